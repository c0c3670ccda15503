"""Saved models: a directory with its signature and examples, loadable here and by MLflow.

Layout of a model directory:

    MLmodel                     YAML: signature (MLflow form), flavors, versions, example info
    model.pkl                   the model, pickled with cloudpickle
    input_example.json          the example input (a DataFrame in pandas' "split" form)
    serving_input_example.json  a request body for the server ({"inputs": ...} or
                                {"dataframe_split": ...}, plus "params")
    requirements.txt            what the model needs to load (typedmodel's own pin at least)

Loading unpickles code: load only directories you trust. `signature_of(path)` reads only
``MLmodel`` and never unpickles.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import json
import os
import platform
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typedmodel._json import jsonable
from typedmodel.errors import Issue, SchemaError, TypedModelError, ValidationError
from typedmodel.infer import infer_schema
from typedmodel.model import compiled_of
from typedmodel.signature import ModelSignature
from typedmodel.validate import ParamsValidator, SchemaEnforcer

__all__ = [
    "LoadedModel",
    "ModelFileError",
    "ModelInfo",
    "load_model",
    "read_signature",
    "save_model",
]

FORMAT_VERSION = 1
MLMODEL = "MLmodel"
MODEL_FILE = "model.pkl"
INPUT_EXAMPLE = "input_example.json"
SERVING_EXAMPLE = "serving_input_example.json"
REQUIREMENTS = "requirements.txt"
LOADER_MODULE = "typedmodel.mlflow"


class ModelFileError(TypedModelError, OSError):
    """A model directory that can't be written or read (missing, corrupt, too new)."""


@dataclass(frozen=True)
class ModelInfo:
    """What `save_model` wrote."""

    path: Path
    signature: ModelSignature | None
    is_signature_from_type_hint: bool
    typedmodel_version: str
    metadata: dict[str, Any] = field(default_factory=dict)


def _version() -> str:
    from typedmodel import __version__

    return __version__


# ---------------------------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------------------------


def save_model(
    model: Any,
    path: str | os.PathLike[str],
    *,
    signature: ModelSignature | None = None,
    input_example: Any = None,
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> ModelInfo:
    """Save `model` with its signature and examples to the directory `path`.

    The signature comes from `signature`, else from the hints of a typed model, else it is
    inferred from `input_example` (the outputs by calling ``predict`` on it once, after
    ``load_context``). A typed model's example is validated against its hints first.
    `input_example` may be ``(data, params)``.

    The directory is written next to `path` and moved into place at the end, so a crash leaves
    no half-written model at `path`. An existing non-empty directory is refused unless
    `overwrite`.

    Examples:
        >>> import tempfile, typedmodel as tm
        >>> @tm.typed
        ... class Upper:
        ...     def predict(self, model_input: list[str]) -> list[str]:
        ...         return [s.upper() for s in model_input]
        >>> info = tm.save_model(Upper(), tempfile.mkdtemp() + "/m", input_example=["a"])
        >>> tm.load_model(info.path).predict(["b"])
        ['B']
    """
    import cloudpickle
    import yaml

    target = Path(path)
    if target.exists() and not overwrite and (not target.is_dir() or any(target.iterdir())):
        raise ModelFileError(f"{target} exists and is not empty: pass overwrite=True to replace it")
    data, params = _split_example(input_example)
    compiled = compiled_of(model)
    if compiled is not None and data is not None:
        try:
            compiled.validate_input(data)
            if params is not None:
                compiled.validate_params(params)
        except ValidationError as exc:
            raise ValidationError(
                exc.issues, title="input_example (it does not fit the hints)"
            ) from None
    from_hints = signature is None and compiled is not None and compiled.signature is not None
    if signature is None:
        signature = compiled.signature if from_hints and compiled is not None else None
    if signature is None and data is not None:
        signature = _infer_from_example(model, data, params)

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with open(staging / MODEL_FILE, "wb") as fh:
            cloudpickle.dump(model, fh)
        example_info = None
        if data is not None:
            example_info = _write_examples(staging, data, params)
        (staging / REQUIREMENTS).write_text(_requirements(), encoding="utf-8")
        mlmodel = _mlmodel(signature, from_hints, example_info, dict(metadata or {}))
        (staging / MLMODEL).write_text(yaml.safe_dump(mlmodel, sort_keys=False), encoding="utf-8")
        _move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ModelInfo(target, signature, from_hints, _version(), dict(metadata or {}))


def _split_example(example: Any) -> tuple[Any, Any]:
    if isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], Mapping):
        return example[0], dict(example[1])
    return example, None


def _infer_from_example(model: Any, data: Any, params: Any) -> ModelSignature:
    from typedmodel.infer import _param_schema

    load_context = getattr(model, "load_context", None)
    if callable(load_context):
        load_context(None)
    output = call_predict(model, data, params)
    return ModelSignature(
        inputs=infer_schema(data),
        outputs=infer_schema(output) if output is not None else None,
        params=_param_schema(params) if params else None,
    )


def call_predict(model: Any, data: Any, params: Any) -> Any:
    """Call a model's predict in the form it declares (context, params or neither)."""
    predict = model if inspect.isfunction(model) else model.predict
    if compiled_of(model) is not None:
        return predict(data, params=params) if params is not None else predict(data)
    try:
        names = list(inspect.signature(predict).parameters)
    except (TypeError, ValueError):
        names = []
    args: list[Any] = [None, data] if names[:1] == ["context"] else [data]
    if "params" in names:
        return predict(*args, params=params)
    if params:
        raise ValidationError(
            [Issue(None, (), "no_params", "This model's predict takes no params")],
            title="params",
        )
    return predict(*args)


def _move_into_place(staging: Path, target: Path) -> None:
    if target.exists():
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(target, old)
        try:
            os.replace(staging, target)
        except BaseException:
            os.replace(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)


def _mlmodel(
    signature: ModelSignature | None,
    from_hints: bool,
    example_info: dict[str, Any] | None,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "flavors": {
            "python_function": {
                "loader_module": LOADER_MODULE,
                "data": MODEL_FILE,
                "python_version": platform.python_version(),
                "env": {"virtualenv": None},
            },
            "typedmodel": {
                "typedmodel_version": _version(),
                "format_version": FORMAT_VERSION,
                "model": MODEL_FILE,
            },
        },
        "model_uuid": uuid.uuid4().hex,
        "utc_time_created": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f"),
    }
    out["flavors"]["python_function"].pop("env")
    if signature is not None:
        out["signature"] = signature.to_dict()
        out["is_signature_from_type_hint"] = from_hints
    if example_info is not None:
        out["saved_input_example_info"] = example_info
    if metadata:
        out["metadata"] = _jsonable(metadata)
    return out


def _requirements() -> str:
    import cloudpickle
    import numpy
    import pandas
    import pydantic

    pins = [
        f"typedmodel=={_version()}",
        f"pydantic=={pydantic.VERSION}",
        f"numpy=={numpy.__version__}",
        f"pandas=={pandas.__version__}",
        f"cloudpickle=={cloudpickle.__version__}",
    ]
    return "\n".join(pins) + "\n"


# ---------------------------------------------------------------------------------------------
# Examples as JSON
# ---------------------------------------------------------------------------------------------


def _write_examples(directory: Path, data: Any, params: Any) -> dict[str, Any]:
    is_frame = _is_frame(data)
    if is_frame:
        split = _frame_split(data)
        example: Any = split
        serving: dict[str, Any] = {"dataframe_split": split}
        info = {"artifact_path": INPUT_EXAMPLE, "type": "dataframe", "pandas_orient": "split"}
    else:
        example = _jsonable(data)
        serving = {"inputs": example}
        info = {"artifact_path": INPUT_EXAMPLE, "type": "json_object"}
    if params is not None:
        serving["params"] = _jsonable(params)
    info["serving_input_path"] = SERVING_EXAMPLE
    (directory / INPUT_EXAMPLE).write_text(_dumps(example), encoding="utf-8")
    (directory / SERVING_EXAMPLE).write_text(_dumps(serving), encoding="utf-8")
    return info


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, allow_nan=False)


def _is_frame(data: Any) -> bool:
    import sys

    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(data, pd.DataFrame)


def _frame_split(frame: Any) -> dict[str, Any]:
    columns = [str(c) for c in frame.columns]
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    return {"columns": columns, "data": _jsonable(rows)}


def _jsonable(value: Any) -> Any:
    """JSON-ready example data (see `typedmodel._json`); a value JSON can't hold is an error."""
    try:
        return jsonable(value)
    except TypeError as exc:
        raise SchemaError(f"input_example can't be written as JSON: {exc}") from None


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def read_mlmodel(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed ``MLmodel`` of a model directory (nothing is unpickled)."""
    import yaml

    directory = Path(path)
    file = directory / MLMODEL
    if not file.is_file():
        raise ModelFileError(f"{directory} is not a model directory: it has no {MLMODEL} file")
    try:
        meta = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{file} is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{file} is corrupt: expected a mapping at the top level")
    return meta


def read_signature(path: str | os.PathLike[str]) -> ModelSignature | None:
    """The signature saved in a model directory, read from ``MLmodel`` alone (safe to call on
    a directory you don't trust: nothing is unpickled)."""
    return signature_in(read_mlmodel(path), Path(path))


def signature_in(meta: Mapping[str, Any], directory: Path) -> ModelSignature | None:
    """The signature of a parsed ``MLmodel`` (None when it has none)."""
    raw = meta.get("signature")
    if raw is None:
        return None
    try:
        return ModelSignature.from_dict(raw)
    except SchemaError as exc:
        raise ModelFileError(f"{directory / MLMODEL} has a bad signature: {exc}") from None


@dataclass
class LoadedModel:
    """A model loaded from a directory: ``predict`` validates as the saved contract says."""

    model: Any
    signature: ModelSignature | None
    input_example: Any
    metadata: dict[str, Any]
    path: Path
    _enforcer: SchemaEnforcer | None = field(default=None, repr=False)
    _params: ParamsValidator | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # What the model's own hints don't check, the saved signature does.
        compiled = compiled_of(self.model)
        if self.signature is None:
            return
        if self.signature.inputs is not None and (compiled is None or compiled.input is None):
            self._enforcer = SchemaEnforcer(self.signature.inputs)
        if self.signature.params is not None and (
            compiled is None or not compiled.has_params_schema
        ):
            self._params = ParamsValidator(self.signature.params, None)

    @property
    def is_typed(self) -> bool:
        """True when the model validates its input from its own hints."""
        compiled = compiled_of(self.model)
        return compiled is not None and compiled.input is not None

    def predict(self, data: Any, params: Mapping[str, Any] | None = None) -> Any:
        """Validate `data` (and `params`) and predict.

        A typed model validates from its hints; an untyped one has its saved signature enforced.
        """
        if self._enforcer is not None:
            data = self._enforcer.validate(data)
        if self._params is not None:
            params = self._params.validate(params)
        return call_predict(self.model, data, params)

    def validate(self, data: Any, params: Mapping[str, Any] | None = None) -> tuple[Any, Any]:
        """Validate `data` and `params` as `predict` would, without predicting.

        Returns the validated (data, params); raises `ValidationError` with every issue.
        """
        compiled = compiled_of(self.model)
        if self._params is not None:
            params = self._params.validate(params)
        if compiled is not None:
            params = compiled.validate_params(params)
        if self._enforcer is not None:
            data = self._enforcer.validate(data)
        if compiled is not None:
            data = compiled.validate_input(data)
        return data, params


def load_model(path: str | os.PathLike[str]) -> LoadedModel:
    """Load a model directory written by `save_model`.

    Warning:
        Loading unpickles the model, which runs code from the directory: load only models you
        trust. To read a signature without that risk, use `signature_of(path)`.

    Raises:
        ModelFileError: for a missing or corrupt ``MLmodel``, a missing model file, or a model
            saved by a newer, incompatible typedmodel.
    """
    import cloudpickle

    directory = Path(path)
    meta = read_mlmodel(directory)
    flavor = (meta.get("flavors") or {}).get("typedmodel")
    if not isinstance(flavor, dict):
        raise ModelFileError(
            f"{directory / MLMODEL} has no typedmodel flavor: not saved by typedmodel"
        )
    fmt = flavor.get("format_version")
    if not isinstance(fmt, int) or fmt > FORMAT_VERSION:
        raise ModelFileError(
            f"{directory} was saved by typedmodel {flavor.get('typedmodel_version')} (format "
            f"{fmt}); this typedmodel {_version()} reads format {FORMAT_VERSION}: "
            "upgrade typedmodel"
        )
    model_file = directory / str(flavor.get("model", MODEL_FILE))
    if not model_file.is_file():
        raise ModelFileError(f"{directory} has no {model_file.name}: the model file is missing")
    with open(model_file, "rb") as fh:
        model = cloudpickle.load(fh)
    load_context = getattr(model, "load_context", None)
    if callable(load_context):
        load_context(None)
    return LoadedModel(
        model=model,
        signature=read_signature(directory),
        input_example=_read_example(directory, meta),
        metadata=dict(meta.get("metadata") or {}),
        path=directory,
    )


def _read_example(directory: Path, meta: Mapping[str, Any]) -> Any:
    info = meta.get("saved_input_example_info")
    if not isinstance(info, Mapping):
        return None
    file = directory / str(info.get("artifact_path", INPUT_EXAMPLE))
    if not file.is_file():
        return None
    value = json.loads(file.read_text(encoding="utf-8"))
    if info.get("type") == "dataframe":
        import pandas as pd

        return pd.DataFrame(value["data"], columns=value["columns"])
    return value
