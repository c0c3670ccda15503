"""Saved models: a directory with its signature and examples, loadable here and by MLflow.

Layout of a model directory:

    MLmodel                     YAML: signature (MLflow form), flavors, versions, example info
    model.pkl                   the model, pickled with cloudpickle
    input_example.json          the example input (a DataFrame in pandas' "split" form)
    serving_input_example.json  a request body for the server ({"inputs": ...} or
                                {"dataframe_split": ...}, plus "params")
    serving_output_example.json the server's answer to it ({"predictions": ...}), when predict
                                ran on the example at save time
    requirements.txt            what the model needs to load (typedmodel's own pin at least)
    python_env.yaml             the Python version, pip and the requirements (MLflow's
                                ``--env-manager virtualenv``); conda.yaml the same for conda

Loading unpickles code: load only directories you trust. `signature_of(path)` reads only
``MLmodel`` and never unpickles.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import inspect
import os
import platform
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typedmodel._json import dumps, jsonable
from typedmodel._mlmodel import (
    INPUT_EXAMPLE,
    MAX_DEPTH,
    MAX_EXAMPLE_BYTES,
    MLMODEL,
    MODEL_FILE,
    REQUIREMENTS,
    SERVING_EXAMPLE,
    SERVING_OUTPUT,
    _depth,
    inside,
    read_json_file,
    read_mlmodel,
    read_signature,
    signature_in,
)
from typedmodel._requirements import (
    CONDA_ENV,
    PYTHON_ENV,
    Requirements,
    check_exclusive,
    combine,
    conda_env,
    given_requirements,
    pickled_modules,
    pinned,
    python_env,
)
from typedmodel.errors import ModelFileError, SchemaError, ValidationError
from typedmodel.infer import infer_schema
from typedmodel.model import Typed, compiled_of, typed_model
from typedmodel.signature import ModelSignature

__all__ = [
    "LoadedModel",
    "ModelFileError",
    "ModelInfo",
    "load_model",
    "read_signature",
    "save_model",
    "signature_in",
]

FORMAT_VERSION = 1
LOADER_MODULE = "typedmodel.mlflow"


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
    code_paths: Sequence[str | os.PathLike[str]] | None = None,
    pip_requirements: Requirements | None = None,
    extra_pip_requirements: Requirements | None = None,
) -> ModelInfo:
    """Save `model` with its signature and examples to the directory `path`.

    The model's own code travels with it: a class (or function) from a module that is not an
    installed package, such as the user's ``mymod.py``, is pickled by value, so loading it
    elsewhere doesn't need that module. `code_paths` (files or directories, as MLflow's
    ``code_paths``) are copied into the directory's ``code/`` and put on ``sys.path`` when it
    is loaded, for code the model imports at run time.

    ``requirements.txt`` pins typedmodel, its core dependencies and every installed
    distribution whose classes or functions the pickle refers to (read from the pickle, not by
    importing). `pip_requirements` (requirement strings, or the path of a requirements file)
    replaces that list, keeping typedmodel's pin unless it names typedmodel;
    `extra_pip_requirements` adds to it; not both. ``python_env.yaml`` and ``conda.yaml`` say
    how MLflow rebuilds the environment.

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

    target = _target(path, overwrite=overwrite)
    check_exclusive(pip_requirements, extra_pip_requirements)
    pip_given = given_requirements(pip_requirements, "pip_requirements")
    extra_given = given_requirements(extra_pip_requirements, "extra_pip_requirements")
    data, params = _split_example(input_example)
    compiled = compiled_of(model)
    if compiled is not None and data is not None:
        try:
            compiled.check(data, params)
        except ValidationError as exc:
            raise ValidationError(
                exc.issues, title="input_example (it does not fit the hints)"
            ) from None
    from_hints = signature is None and compiled is not None and compiled.signature is not None
    if signature is None:
        signature = compiled.signature if from_hints and compiled is not None else None
    output: Any = _NOT_RUN
    if signature is None and data is not None:
        signature, output = _infer_from_example(model, data, params)
    answer = None if data is None else _example_answer(model, signature, data, params, output)

    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(target)
    staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(target), dir=target.parent))
    (staging / _OWNER).write_text(str(os.getpid()), encoding="utf-8")
    try:
        code = _copy_code(staging, code_paths or ())
        with open(staging / MODEL_FILE, "wb") as fh, _by_value(model):
            cloudpickle.dump(model, fh)
        requirements = _requirements(staging / MODEL_FILE, pip_given, extra_given)
        example_info = None
        if data is not None:
            example_info = _write_examples(staging, data, params)
            if answer is not None:
                (staging / SERVING_OUTPUT).write_text(answer, encoding="utf-8")
                example_info["serving_output_path"] = SERVING_OUTPUT
        _write_environment(staging, requirements)
        (staging / _OWNER).unlink()
        mlmodel = _mlmodel(signature, from_hints, example_info, dict(metadata or {}), code)
        mlmodel["flavors"]["typedmodel"].update(_identity(model))
        mlmodel["flavors"]["python_function"]["env"] = dict(_ENV)
        (staging / MLMODEL).write_text(yaml.safe_dump(mlmodel, sort_keys=False), encoding="utf-8")
        _move_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ModelInfo(target, signature, from_hints, _version(), dict(metadata or {}))


_OWNER = ".typedmodel-save"  # in a staging directory: the pid of the process writing it
CODE_DIR = "code"


def _copy_code(staging: Path, paths: Sequence[str | os.PathLike[str]]) -> str | None:
    """Copy `paths` into ``code/``; the name recorded in ``MLmodel`` (None: nothing copied)."""
    if not paths:
        return None
    code = staging / CODE_DIR
    code.mkdir()
    for given in paths:
        source = Path(given)
        if not source.exists():
            raise ModelFileError(f"code_paths: {source} does not exist")
        if source.is_dir():
            shutil.copytree(
                source, code / source.name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(source, code / source.name)
    return CODE_DIR


@contextlib.contextmanager
def _by_value(model: Any) -> Iterator[None]:
    """While pickling: the module of the model's class (or function) pickled by value when it
    is the user's own code, not an installed package, so the model loads without it."""
    import cloudpickle

    target = model if isinstance(model, type) or inspect.isfunction(model) else type(model)
    module = sys.modules.get(getattr(target, "__module__", "") or "")
    if module is None or not _own_code(module):
        yield
        return
    cloudpickle.register_pickle_by_value(module)
    try:
        yield
    finally:
        cloudpickle.unregister_pickle_by_value(module)


def _own_code(module: Any) -> bool:
    """Whether a module is the user's own file: not ``__main__`` (pickled by value anyway), not
    the standard library, not an installed distribution, not typedmodel."""
    import sysconfig

    name = module.__name__
    file = getattr(module, "__file__", None)
    if name == "__main__" or file is None or name.split(".")[0] == "typedmodel":
        return False
    path = Path(file).resolve()
    installed = {
        Path(p).resolve()
        for key in ("stdlib", "platstdlib", "purelib", "platlib")
        if (p := sysconfig.get_paths().get(key))
    }
    site = {
        Path(p).resolve() for p in sys.path if p and ("site-packages" in p or "dist-packages" in p)
    }
    return not any(path.is_relative_to(root) for root in installed | site)


def _target(path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Where a model is saved, refused when saving there would lose something.

    Raises:
        ModelFileError: for the working directory or one of its parents (``"."``, ``".."``),
            a file, a non-empty directory without ``overwrite``, and, with ``overwrite``, a
            non-empty directory that is not a model directory (its files would be lost).
    """
    target = Path(path).resolve()
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents or target == target.parent:
        raise ModelFileError(
            f"{path} is the working directory or one of its parents: save to a new directory"
        )
    if not target.exists():
        return target
    if not target.is_dir():
        raise ModelFileError(f"{target} is a file, not a model directory")
    if not any(target.iterdir()):
        return target
    if not overwrite:
        raise ModelFileError(f"{target} exists and is not empty: pass overwrite=True to replace it")
    if not (target / MLMODEL).is_file():
        raise ModelFileError(
            f"{target} is not a model directory (it has no {MLMODEL}): overwrite=True replaces "
            "only a model directory, so its files are kept"
        )
    return target


def _staging_prefix(target: Path) -> str:
    return f".{target.name}.staging-"


def _remove_stale_staging(target: Path) -> None:
    """Remove what a save to `target` killed before it finished left behind: staging
    directories whose writing process is gone."""
    for leftover in target.parent.glob(_staging_prefix(target) + "*"):
        owner = leftover / _OWNER
        try:
            pid = int(owner.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not ours, or being created right now
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, and belongs to another user
        return True
    return True


def _split_example(example: Any) -> tuple[Any, Any]:
    if isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], Mapping):
        return example[0], dict(example[1])
    return example, None


def _infer_from_example(model: Any, data: Any, params: Any) -> tuple[ModelSignature, Any]:
    """The signature of an untyped model: inputs and params from the example, outputs from
    predicting on it once (through the call seam, as every other caller does); and that output.

    It predicts with a copy, made as loading makes one (unpickled, then ``load_context``), so
    that what ``load_context`` loads never ends up in the saved pickle.
    """
    from typedmodel.infer import _param_schema

    output = _probe(model).predict(data, params)
    signature = ModelSignature(
        inputs=infer_schema(data),
        outputs=infer_schema(output) if output is not None else None,
        params=_param_schema(params) if params else None,
    )
    return signature, output


def _probe(model: Any, signature: ModelSignature | None = None) -> Typed:
    """A copy of `model` made as loading makes one (unpickled, then ``load_context``), typed."""
    import cloudpickle

    probe = cloudpickle.loads(cloudpickle.dumps(model))
    _load_context(probe)
    return typed_model(probe, signature)


_NOT_RUN = object()


def _example_answer(
    model: Any, signature: ModelSignature | None, data: Any, params: Any, output: Any = _NOT_RUN
) -> str | None:
    """The server's answer to the example, ``{"predictions": ...}`` as JSON text: the output of
    predict (run here unless `output` is given), validated. None when predict fails, or the
    answer can't be written or is too large: the save goes on without it."""
    try:
        if output is _NOT_RUN:
            output = _probe(model, signature).predict(data, params)
        else:
            output = typed_model(model, signature).compiled.validate_output(output, data)
        answer = {"predictions": jsonable(output)}
        text = dumps(answer, indent=2)
    except Exception:  # any failure of the user's model: no recorded answer, not a failed save
        return None
    if len(text.encode("utf-8")) > MAX_EXAMPLE_BYTES or _depth(answer) > MAX_DEPTH:
        return None  # more than the docs would read back
    return text


def _identity(model: Any) -> dict[str, str]:
    """The model's name and description, as the docs of its directory show them."""
    from typedmodel.docs._subject import _identity_of

    return _identity_of(model)


def _load_context(model: Any) -> None:
    """Call ``load_context(None)`` once on a model just unpickled (or just made)."""
    load_context = getattr(model, "load_context", None)
    if callable(load_context) and not isinstance(model, type):
        load_context(None)


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
    code: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "flavors": {
            "python_function": {
                "loader_module": LOADER_MODULE,
                "data": MODEL_FILE,
                "python_version": platform.python_version(),
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
    if code is not None:  # MLflow's pyfunc puts the same key's directory on sys.path
        out["flavors"]["python_function"]["code"] = code
        out["flavors"]["typedmodel"]["code"] = code
    if signature is not None:
        out["signature"] = signature.to_dict()
        out["is_signature_from_type_hint"] = from_hints
    if example_info is not None:
        out["saved_input_example_info"] = example_info
    if metadata:
        out["metadata"] = _jsonable(metadata)
    return out


def _requirements(
    model_file: Path, pip_given: list[str] | None, extra_given: list[str] | None
) -> list[str]:
    """The lines of ``requirements.txt``: typedmodel's core pins and the distributions the
    pickle in `model_file` refers to (see `typedmodel._requirements`), or what was given."""
    import cloudpickle
    import numpy
    import pandas
    import pydantic

    core = {
        "typedmodel": f"typedmodel=={_version()}",
        "pydantic": f"pydantic=={pydantic.VERSION}",
        "numpy": f"numpy=={numpy.__version__}",
        "pandas": f"pandas=={pandas.__version__}",
        "cloudpickle": f"cloudpickle=={cloudpickle.__version__}",
    }
    inferred: list[str] = []
    if pip_given is None:
        with open(model_file, "rb") as fh:
            modules = pickled_modules(fh)
        found = {line.split("==")[0]: line for line in pinned(modules, _pickled_by_value)}
        inferred = [pins for _, pins in sorted({**found, **core}.items())]
    return combine(inferred, core["typedmodel"], pip_given, extra_given)


_ENV = {"conda": CONDA_ENV, "virtualenv": PYTHON_ENV}  # MLflow's pyfunc env key


def _pickled_by_value(module: str) -> bool:
    """Whether `module` is the user's own code (pickled by value, so not a requirement)."""
    loaded = sys.modules.get(module)
    return loaded is not None and _own_code(loaded)


def _write_environment(directory: Path, requirements: list[str]) -> None:
    """Write ``requirements.txt``, ``python_env.yaml`` and ``conda.yaml`` as MLflow does."""
    import yaml

    (directory / REQUIREMENTS).write_text("\n".join(requirements) + "\n", encoding="utf-8")
    files = {PYTHON_ENV: python_env(REQUIREMENTS), CONDA_ENV: conda_env(requirements)}
    for name, content in files.items():
        text = yaml.safe_dump(content, sort_keys=False, default_flow_style=False)
        (directory / name).write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Examples as JSON, in MLflow's layout (so MLflow's Model.load_input_example reads them back)
# ---------------------------------------------------------------------------------------------


def _write_examples(directory: Path, data: Any, params: Any) -> dict[str, Any]:
    """Write the example and the serving example; return ``saved_input_example_info``.

    As MLflow records them: a DataFrame is ``dataframe`` in pandas' ``split`` orient (or
    ``values`` when its columns are the default 0..n-1), an ndarray or a dict of ndarrays is
    ``ndarray``, anything else ``json_object``; with params the example is
    ``{"inputs": ..., "params": ...}`` and the info says ``params: "true"``.
    """
    info: dict[str, Any] = {"artifact_path": INPUT_EXAMPLE}
    if _is_frame(data):
        split = _frame_split(data)
        example: Any = split
        serving: dict[str, Any] = {"dataframe_split": split}
        info["type"] = "dataframe"
        info["pandas_orient"] = "split" if "columns" in split else "values"
    else:
        example = _jsonable(data)
        serving = {"inputs": example}
        info["type"] = "ndarray" if _is_ndarray_example(data) else "json_object"
    if params is not None:
        serving["params"] = _jsonable(params)
        example = {"inputs": example, "params": serving["params"]}
        info["params"] = "true"
    info["serving_input_path"] = SERVING_EXAMPLE
    (directory / INPUT_EXAMPLE).write_text(_dumps(example), encoding="utf-8")
    (directory / SERVING_EXAMPLE).write_text(_dumps(serving), encoding="utf-8")
    return info


def _dumps(value: Any) -> str:
    return dumps(value, indent=2)


def _is_frame(data: Any) -> bool:
    import sys

    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(data, pd.DataFrame)


def _is_ndarray_example(data: Any) -> bool:
    import numpy as np

    if isinstance(data, np.ndarray):
        return True
    return (
        isinstance(data, Mapping)
        and bool(data)
        and all(isinstance(v, np.ndarray) for v in data.values())
    )


def _frame_split(frame: Any) -> dict[str, Any]:
    import pandas as pd

    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    out: dict[str, Any] = {"data": _jsonable(rows)}
    default = isinstance(frame.columns, pd.RangeIndex) and frame.columns.start == 0
    if not default or frame.columns.step != 1:
        out = {"columns": _jsonable(list(frame.columns)), **out}
    return out


def _jsonable(value: Any) -> Any:
    """JSON-ready example data (see `typedmodel._json`); a value JSON can't hold is an error."""
    try:
        return jsonable(value)
    except TypeError as exc:
        raise SchemaError(f"input_example can't be written as JSON: {exc}") from None


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


@dataclass
class LoadedModel:
    """A model loaded from a directory: ``predict`` validates as the saved contract says."""

    model: Any
    signature: ModelSignature | None
    input_example: Any
    metadata: dict[str, Any]
    path: Path
    typed: Typed = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # The model's own hints, and the saved signature for what they don't check.
        self.typed = typed_model(self.model, self.signature)

    @property
    def is_typed(self) -> bool:
        """True when the model validates its input from its own hints."""
        compiled = compiled_of(self.model)
        return compiled is not None and compiled.validates_input

    def predict(self, data: Any, params: Mapping[str, Any] | None = None) -> Any:
        """Validate `data` (and `params`) and predict.

        A typed model validates from its hints; an untyped one has its saved signature enforced.
        """
        return self.typed.predict(data, params)

    def validate(self, data: Any, params: Mapping[str, Any] | None = None) -> tuple[Any, Any]:
        """Validate `data` and `params` as `predict` would, without predicting.

        Returns the validated (data, params); raises `ValidationError` with every issue.
        """
        return self.typed.compiled.check(data, params)


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
    model_file = inside(directory, flavor.get("model", MODEL_FILE))
    if not model_file.is_file():
        raise ModelFileError(f"{directory} has no {model_file.name}: the model file is missing")
    code = flavor.get("code")
    if code is not None:
        code_dir = str(inside(directory, code))
        if code_dir not in sys.path:
            sys.path.insert(0, code_dir)
    try:
        with open(model_file, "rb") as fh:
            model = cloudpickle.load(fh)
    except ModuleNotFoundError as exc:
        raise ModelFileError(
            f"{directory}: the model needs the module {exc.name!r}, which is not importable "
            "here; install it, or save the model with code_paths=[...] holding it"
        ) from None
    _load_context(model)
    return LoadedModel(
        model=model,
        signature=signature_in(meta, directory),
        input_example=_read_example(directory, meta),
        metadata=dict(meta.get("metadata") or {}),
        path=directory,
    )


def _read_example(directory: Path, meta: Mapping[str, Any]) -> Any:
    """The saved example input, as MLflow's ``Model.load_input_example`` reads it back."""
    info = meta.get("saved_input_example_info")
    if not isinstance(info, Mapping):
        return None
    file = inside(directory, info.get("artifact_path", INPUT_EXAMPLE))
    if not file.is_file():
        return None
    value = read_json_file(file)
    if str(info.get("params")) == "true" and isinstance(value, dict):
        value = value.get("inputs")
    kind = info.get("type")
    if kind == "dataframe" and isinstance(value, dict):
        import pandas as pd

        return pd.DataFrame(value.get("data"), columns=value.get("columns"))
    if kind == "ndarray":
        import numpy as np

        if isinstance(value, dict):
            return {k: np.asarray(v) for k, v in value.items()}
        return np.asarray(value)
    return value
