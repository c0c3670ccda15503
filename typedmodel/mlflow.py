"""The MLflow bridge: MLflow's pyfunc loader for typedmodel directories, and `log_model`.

MLflow is not a dependency: nothing here imports it at module level. MLflow loads a directory
written by `typedmodel.save_model` through `_load_pyfunc` (named in the ``MLmodel`` file), and
predictions then go through typedmodel's validation.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from typedmodel.signature import ModelSignature
from typedmodel.store import LoadedModel, load_model, save_model

__all__ = ["log_model"]


class _PyFuncModel:
    """What MLflow's ``PyFuncModel`` calls: ``predict(model_input, params=None)``."""

    def __init__(self, loaded: LoadedModel) -> None:
        self._loaded = loaded

    def predict(self, model_input: Any, params: Mapping[str, Any] | None = None) -> Any:
        return self._loaded.predict(model_input, params=params)

    def get_raw_model(self) -> Any:
        """The user's model object."""
        return self._loaded.model


def _load_pyfunc(data_path: str, model_config: Any = None) -> _PyFuncModel:
    """MLflow's loader hook: `data_path` is the model file inside the directory."""
    path = Path(data_path)
    directory = path.parent if path.is_file() else path
    return _PyFuncModel(load_model(directory))


def log_model(
    model: Any,
    name: str,
    *,
    input_example: Any = None,
    signature: ModelSignature | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Any:
    """Log a typed model to the active MLflow run (one is started when none is active).

    The model is saved with `save_model` and logged as the run's artifacts under `name`, so
    MLflow's registry, ``mlflow.pyfunc.load_model`` and serving use it with typedmodel's
    contract intact. Returns the artifact URI of the logged model.

    Raises:
        ImportError: when MLflow is not installed (``pip install "typedmodel[compat]"``).
    """
    try:
        import mlflow
    except ImportError as exc:  # pragma: no cover  # the test suite installs MLflow
        raise ImportError(
            'typedmodel.mlflow.log_model needs MLflow: pip install "typedmodel[compat]"'
        ) from exc
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / name
        save_model(
            model, local, signature=signature, input_example=input_example, metadata=metadata
        )
        if mlflow.active_run() is None:
            mlflow.start_run()
        mlflow.log_artifacts(os.fspath(local), artifact_path=name)
        return mlflow.get_artifact_uri(name)
