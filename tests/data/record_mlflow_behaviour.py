"""Record what MLflow does for the calls whose behaviour typedmodel mirrors.

Run from the repository root with MLflow installed::

    python tests/data/record_mlflow_behaviour.py

It rewrites ``tests/data/mlflow_behaviour.json`` next to this file. Values that JSON cannot hold
are described: numpy scalars as ``{"numpy": dtype, "value": ...}``, non-finite floats as
``{"float": "nan"}``, arrays as ``{"ndarray": {...}}``, frames as ``{"DataFrame": {...}}``,
exceptions as ``{"raises": class name, "message": first 200 characters}``.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import inspect
import json
import logging
import math
import os
import re
import tempfile
import traceback
import warnings
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.models import Model, ModelSignature, infer_signature
from mlflow.models.utils import _enforce_schema, _save_example
from mlflow.pyfunc import PythonModel
from mlflow.pyfunc.model import _PythonModelPyfuncWrapper
from mlflow.pyfunc.scoring_server import _parse_json_data
from mlflow.types import ColSpec, Schema, TensorSpec
from mlflow.types.schema import Object, Property
from mlflow.types.utils import _infer_schema

OUTPUT = Path(__file__).with_name("mlflow_behaviour.json")
MESSAGE_CHARS = 200
ANSI = re.compile(r"\x1b\[[0-9;]*m")

cases: list[dict[str, Any]] = []


# --------------------------------------------------------------------------- description


def describe(value: Any) -> Any:
    """A JSON value that describes ``value`` faithfully (types included where JSON loses them)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if value is pd.NA:
        return {"pandas": "NA"}
    if value is pd.NaT:
        return {"pandas": "NaT"}
    if isinstance(value, np.generic):
        return {"numpy": value.dtype.name, "value": describe(value.item())}
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return {"float": "nan"}
        if math.isinf(value):
            return {"float": "inf" if value > 0 else "-inf"}
        return value
    if isinstance(value, Decimal):
        return {"Decimal": str(value)}
    if isinstance(value, (bytes, bytearray)):
        return {type(value).__name__: repr(bytes(value))}
    if isinstance(value, (dt.datetime, dt.date)):
        return {type(value).__name__: value.isoformat()}
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            return {key: describe(item) for key, item in value.items()}
        return {"dict_items": [[describe(key), describe(item)] for key, item in value.items()]}
    if isinstance(value, list):
        return [describe(item) for item in value]
    if isinstance(value, tuple):
        return {"tuple": [describe(item) for item in value]}
    if isinstance(value, np.ndarray):
        return {
            "ndarray": {
                "dtype": str(value.dtype),
                "shape": list(value.shape),
                "values": describe(value.tolist()),
                **cell_types(value.ravel().tolist(), value.dtype),
            }
        }
    if isinstance(value, pd.DataFrame):
        columns = [value.iloc[:, i] for i in range(value.shape[1])]
        return {
            "DataFrame": {
                "columns": [describe(label) for label in value.columns],
                "dtypes": [str(column.dtype) for column in columns],
                "values_by_column": [describe(column.tolist()) for column in columns],
                **{
                    key: item
                    for key, item in {
                        "cell_types_by_column": [
                            cell_types(column.tolist(), column.dtype).get("cell_types")
                            for column in columns
                        ]
                    }.items()
                    if any(item)
                },
            }
        }
    if isinstance(value, pd.Series):
        return {
            "Series": {
                "name": describe(value.name),
                "dtype": str(value.dtype),
                "values": describe(value.tolist()),
                **cell_types(value.tolist(), value.dtype),
            }
        }
    return {"type": type(value).__name__, "repr": repr(value)}


def cell_types(cells: list[Any], dtype: Any) -> dict[str, list[str]]:
    """Python type names of the cells of an object-dtype container (empty otherwise)."""
    if dtype != np.dtype(object):
        return {}
    return {"cell_types": [type(cell).__name__ for cell in cells]}


def describe_exception(exc: BaseException) -> dict[str, str]:
    message = getattr(exc, "message", None) or str(exc)
    frame = traceback.extract_tb(exc.__traceback__)[-1]
    where = Path(frame.filename)
    if "site-packages" in where.parts:
        where = where.relative_to(*where.parts[: where.parts.index("site-packages") + 1])
    return {
        "raises": type(exc).__name__,
        "message": str(message)[:MESSAGE_CHARS],
        "raised_in": f"{where.as_posix()}:{frame.name}",
    }


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.levelname} {record.name}: {record.getMessage()}"[:300])


def record(
    case: str, call: Callable[[], Any], note: str | None = None, *, capture: bool = False
) -> None:
    """Run ``call`` and append its described result (or exception) as one case.

    With ``capture``, the output also lists what MLflow logged (WARNING and above) and the
    Python warnings raised during the call.
    """
    handler = _ListHandler()
    logger = logging.getLogger("mlflow")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                output = describe(call())
            except Exception as exc:
                output = describe_exception(exc)
    finally:
        logger.removeHandler(handler)
    if capture:
        output = {
            "result": output,
            "logged_warnings": handler.records,
            "python_warnings": [
                f"{w.category.__name__}: {ANSI.sub('', str(w.message))}"[:300] for w in caught
            ],
        }
    entry: dict[str, Any] = {"case": case, "mlflow_output": output}
    if note:
        entry["note"] = note
    cases.append(entry)


def object_column(*values: Any) -> pd.Series:
    return pd.Series(list(values), dtype=object)


# --------------------------------------------------------------------------- 1. signatures


def record_signatures() -> None:
    record(
        "infer_signature(np.array(['a','b'], dtype=object)).to_dict()",
        lambda: infer_signature(np.array(["a", "b"], dtype=object)).to_dict(),
    )
    int_labels = pd.DataFrame({0: [1, 2], 1: ["a", "b"]})
    record(
        "infer_signature(pd.DataFrame({0: [1, 2], 1: ['a', 'b']})).to_dict()",
        lambda: infer_signature(int_labels).to_dict(),
        "inputs is a JSON string; the column names are written as JSON integers",
    )
    record(
        "infer_signature(pd.DataFrame({0: [1, 2], 1: ['a', 'b']})).inputs.input_names()",
        lambda: infer_signature(int_labels).inputs.input_names(),
    )
    record(
        "ModelSignature.from_dict(<that to_dict()>).inputs.input_names()",
        lambda: ModelSignature.from_dict(
            infer_signature(int_labels).to_dict()
        ).inputs.input_names(),
    )
    record(
        "ModelSignature.from_dict(<that to_dict()>).to_dict()",
        lambda: ModelSignature.from_dict(infer_signature(int_labels).to_dict()).to_dict(),
    )


# --------------------------------------------------------------------------- 2. inference


def schema_of(data: Any) -> Any:
    return _infer_schema(data).to_dict()


def record_inference() -> None:
    record("_infer_schema({'a': [None]}).to_dict()", lambda: schema_of({"a": [None]}))
    record(
        "infer_signature({'a': [None]}).to_dict()",
        lambda: infer_signature({"a": [None]}).to_dict(),
    )
    record(
        "_infer_schema(pd.DataFrame({'a': [None, None]})).to_dict()",
        lambda: schema_of(pd.DataFrame({"a": [None, None]})),
    )
    record(
        "dtype of pd.DataFrame({'a': [None, None]})['a']",
        lambda: str(pd.DataFrame({"a": [None, None]})["a"].dtype),
        "pandas, not MLflow: the input the case above sees",
    )
    record(
        "infer_signature(pd.DataFrame({'a': [None, None]})).to_dict()",
        lambda: infer_signature(pd.DataFrame({"a": [None, None]})).to_dict(),
    )
    params = {"k": np.int32(3), "f": np.float32(1.5)}
    record(
        "infer_signature({'a': [1]}, params={'k': np.int32(3), 'f': np.float32(1.5)}).params",
        lambda: [
            {
                "name": p.name,
                "type": p.dtype.name,
                "default": p.default,
                "default_python_type": type(p.default).__name__,
                "shape": p.shape,
            }
            for p in infer_signature({"a": [1]}, params=params).params.params
        ],
    )
    record(
        "infer_signature({'a': [1]}, params={'k': np.int32(3), 'f': np.float32(1.5)}).to_dict()",
        lambda: infer_signature({"a": [1]}, params=params).to_dict(),
    )
    numpy_cells = pd.DataFrame(
        {
            "i": object_column(np.int32(1), np.int32(2)),
            "f": object_column(np.float32(1.5), np.float32(2.5)),
        }
    )
    record(
        "_infer_schema(DataFrame with object columns of np.int32 / np.float32 cells).to_dict()",
        lambda: schema_of(numpy_cells),
    )
    record(
        "_infer_schema({1.7: 'a', 'b': 'c'})",
        lambda: schema_of({1.7: "a", "b": "c"}),
    )
    record(
        "infer_signature({1.7: 'a', 'b': 'c'})",
        lambda: infer_signature({1.7: "a", "b": "c"}).to_dict(),
        capture=True,
    )
    record(
        "_infer_schema([{'a': 1}, {'a': 2.5}])",
        lambda: schema_of([{"a": 1}, {"a": 2.5}]),
    )
    record(
        "infer_signature([{'a': 1}, {'a': 2.5}])",
        lambda: infer_signature([{"a": 1}, {"a": 2.5}]).to_dict(),
        capture=True,
    )


# --------------------------------------------------------------------------- 3. enforcement


def enforce(data: Any, *specs: Any) -> Callable[[], Any]:
    return lambda: _enforce_schema(data, Schema(list(specs)))


def record_enforcement() -> None:
    obj_schema = ColSpec(
        Object([Property("k1", "string"), Property("k2", "string", required=False)]), "obj"
    )
    record(
        "a. _enforce_schema(DataFrame({'obj': [{'k1': 'x'}]}), Object(k1 str, k2 str optional))",
        enforce(pd.DataFrame({"obj": [{"k1": "x"}]}), obj_schema),
    )

    record(
        "b. _enforce_schema(DataFrame({'a': [1, 2]}), Schema([ColSpec('long')]))",
        enforce(pd.DataFrame({"a": [1, 2]}), ColSpec("long")),
    )

    record(
        "c. _enforce_schema(DataFrame({'b': object Series [True, False]}), ColSpec(boolean, b))",
        enforce(pd.DataFrame({"b": object_column(True, False)}), ColSpec("boolean", "b")),
    )

    binary = ColSpec("binary", "b")
    record(
        "d. _enforce_schema(DataFrame({'b': ['aGk=']}), ColSpec(binary, b))",
        enforce(pd.DataFrame({"b": ["aGk="]}), binary),
    )
    record(
        "d. _enforce_schema(DataFrame({'b': object Series ['aGk=']}), ColSpec(binary, b))",
        enforce(pd.DataFrame({"b": object_column("aGk=")}), binary),
    )
    record(
        "d. _enforce_schema(DataFrame({'b': [b'hi']}), ColSpec(binary, b))",
        enforce(pd.DataFrame({"b": [b"hi"]}), binary),
    )
    record(
        "d. base64.b64decode('aGk=')",
        lambda: base64.b64decode("aGk="),
        "not MLflow: the bytes that 'aGk=' encodes, for comparison",
    )

    record(
        "e. _enforce_schema(DataFrame({'d': object [Decimal('1.5'), Decimal('0.1')]}), double)",
        enforce(
            pd.DataFrame({"d": object_column(Decimal("1.5"), Decimal("0.1"))}),
            ColSpec("double", "d"),
        ),
    )

    long_a = ColSpec("long", "a")
    long_a_optional = ColSpec("long", "a", required=False)
    record("f. long on float64 [2.0**63]", enforce(pd.DataFrame({"a": [2.0**63]}), long_a))
    record("f. long on float64 [1e19]", enforce(pd.DataFrame({"a": [1e19]}), long_a))
    record(
        "f. long on uint64 [2**64-1]",
        enforce(pd.DataFrame({"a": np.array([2**64 - 1], dtype=np.uint64)}), long_a),
    )
    record("f. long on object [2**64]", enforce(pd.DataFrame({"a": object_column(2**64)}), long_a))
    record("f. long on float64 [1.5]", enforce(pd.DataFrame({"a": [1.5]}), long_a))
    record(
        "f. long (required) on float64 [1.0, None]",
        enforce(pd.DataFrame({"a": [1.0, None]}), long_a),
    )
    record(
        "f. long (required=False) on float64 [1.0, None]",
        enforce(pd.DataFrame({"a": [1.0, None]}), long_a_optional),
    )
    record("f. long on float64 [1.0, 2.0]", enforce(pd.DataFrame({"a": [1.0, 2.0]}), long_a))

    double_a = ColSpec("double", "a")
    record("g. double on int64 [2**53+1]", enforce(pd.DataFrame({"a": [2**53 + 1]}), double_a))
    record("g. double on int64 [1, 2]", enforce(pd.DataFrame({"a": [1, 2]}), double_a))

    record(
        "h. long on pd.DataFrame([[1, 2]], columns=['a', 'a'])",
        enforce(pd.DataFrame([[1, 2]], columns=["a", "a"]), long_a),
        capture=True,
    )
    record(
        "h. long on pd.DataFrame({'a': [1], 'extra': [2]})",
        enforce(pd.DataFrame({"a": [1], "extra": [2]}), long_a),
        capture=True,
    )

    int32_tensor = TensorSpec(np.dtype("int32"), (-1,))
    record(
        "i. TensorSpec(int32, (-1,)) on np.array([2**31]) (int64)",
        enforce(np.array([2**31]), int32_tensor),
    )
    record(
        "i. TensorSpec(int32, (-1,)) on np.array([1, 2]) (int64)",
        enforce(np.array([1, 2]), int32_tensor),
    )
    record("i. TensorSpec(int32, (-1,)) on list [2**31]", enforce([2**31], int32_tensor))
    record(
        "i. TensorSpec(float32, (-1,)) on np.array([1e39])",
        enforce(np.array([1e39]), TensorSpec(np.dtype("float32"), (-1,))),
    )
    record(
        "i. TensorSpec(float32, (-1,)) on np.array([1.5]) (float64)",
        enforce(np.array([1.5]), TensorSpec(np.dtype("float32"), (-1,))),
    )
    record(
        "i. TensorSpec(int64, (-1,)) on np.array([True])",
        enforce(np.array([True]), TensorSpec(np.dtype("int64"), (-1,))),
    )
    record(
        "i. TensorSpec(np.dtype(object), (-1,)).to_dict()",
        lambda: TensorSpec(np.dtype(object), (-1,)).to_dict(),
    )
    object_tensor = TensorSpec(np.dtype(object), (-1,))
    record(
        "i. TensorSpec(object, (-1,)) on np.array(['a', 'b'], dtype=object)",
        enforce(np.array(["a", "b"], dtype=object), object_tensor),
    )
    record(
        "i. TensorSpec(object, (-1,)) on np.array(['a', 'b']) (<U1)",
        enforce(np.array(["a", "b"]), object_tensor),
    )
    record(
        "i. TensorSpec(object, (-1,)) on np.array([1, 2]) (int64)",
        enforce(np.array([1, 2]), object_tensor),
    )
    record(
        "i. TensorSpec(str <U0, (-1,)).to_dict()",
        lambda: TensorSpec(np.dtype(str), (-1,)).to_dict(),
    )


# --------------------------------------------------------------------------- 4. scoring server


def parse_body(body: str, schema: Schema | None = None) -> Callable[[], Any]:
    return lambda: _parse_json_data(body, None, schema).data


def record_scoring_server() -> None:
    record(
        "scoring_server JSON path (source)",
        lambda: (
            inspect.getsource(mlflow.pyfunc.scoring_server._decode_json_input)
            .split("try:\n")[1]
            .splitlines()[0]
            .strip()
        ),
        "request bodies are decoded with the stdlib json.loads (accepts NaN/Infinity tokens),"
        " then _parse_json_data -> infer_and_parse_data",
    )
    double_a = Schema([ColSpec("double", "a")])
    record(
        '_parse_json_data(\'{"inputs": {"a": [1.0, NaN]}}\', None, None).data',
        parse_body('{"inputs": {"a": [1.0, NaN]}}'),
    )
    record(
        '_parse_json_data(\'{"inputs": {"a": [1.0, NaN]}}\', None, Schema([double a])).data',
        parse_body('{"inputs": {"a": [1.0, NaN]}}', double_a),
    )
    record(
        '_parse_json_data(\'{"inputs": {"a": [1.0, null]}}\', None, None).data',
        parse_body('{"inputs": {"a": [1.0, null]}}'),
    )
    record(
        "_parse_json_data('{\"inputs\": [1.0, NaN]}', None, None).data",
        parse_body('{"inputs": [1.0, NaN]}'),
    )
    record(
        '_parse_json_data(\'{"inputs": {"a": [Infinity, -Infinity]}}\', None, None).data',
        parse_body('{"inputs": {"a": [Infinity, -Infinity]}}'),
    )
    record(
        '_parse_json_data(\'{"dataframe_split": {"columns": ["a"], "data": [[NaN]]}}\')',
        parse_body('{"dataframe_split": {"columns": ["a"], "data": [[NaN]]}}'),
    )
    record(
        "_parse_json_data(dataframe_split columns ['a'] data [[NaN]], Schema([double a]))",
        parse_body('{"dataframe_split": {"columns": ["a"], "data": [[NaN]]}}', double_a),
    )
    record(
        "_parse_json_data(dataframe_split columns ['a'] data [[1.0], [null]])",
        parse_body('{"dataframe_split": {"columns": ["a"], "data": [[1.0], [null]]}}'),
    )
    record(
        "_parse_json_data(dataframe_split columns ['a'] data [[Infinity], [-Infinity]])",
        parse_body('{"dataframe_split": {"columns": ["a"], "data": [[Infinity], [-Infinity]]}}'),
    )
    record(
        "_parse_json_data(dataframe_split columns ['a', 'a'] data [[1, 2]])",
        parse_body('{"dataframe_split": {"columns": ["a", "a"], "data": [[1, 2]]}}'),
        "parsing accepts duplicate names; see case 'h.' for what schema enforcement then does",
    )
    record(
        "_parse_json_data(dataframe_split columns ['a', 'a'] data [[1, 2]], Schema([long a]))",
        parse_body(
            '{"dataframe_split": {"columns": ["a", "a"], "data": [[1, 2]]}}',
            Schema([ColSpec("long", "a")]),
        ),
    )
    record(
        "_parse_json_data(dataframe_records [{'a': NaN}])",
        parse_body('{"dataframe_records": [{"a": NaN}]}'),
    )


# --------------------------------------------------------------------------- 5. input examples


def record_input_examples() -> None:
    examples: list[tuple[str, Any]] = [
        (
            "pd.DataFrame({'a': [1, 2], 'b': ['x', 'y']})",
            pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}),
        ),
        ("pd.DataFrame([[1, 2]]) (default RangeIndex columns)", pd.DataFrame([[1, 2]])),
        ("pd.DataFrame({'a': [1.0, None]})", pd.DataFrame({"a": [1.0, None]})),
        ("np.array([[1, 2], [3, 4]])", np.array([[1, 2], [3, 4]])),
        (
            "{'x': np.array([1, 2]), 'y': np.array([0.5])}",
            {"x": np.array([1, 2]), "y": np.array([0.5])},
        ),
        ("[{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'y'}]", [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]),
        ("{'a': 1, 'b': 'x'}", {"a": 1, "b": "x"}),
        ("['a', 'b']", ["a", "b"]),
        ("'hello'", "hello"),
        ("({'a': 1}, {'temperature': 0.5}) (data, params)", ({"a": 1}, {"temperature": 0.5})),
    ]
    for label, example in examples:
        with tempfile.TemporaryDirectory() as directory:
            model = Model()
            record(
                f"_save_example(Model(), {label}, dir)",
                functools.partial(save_example, model, example, directory),
            )
            record(
                f"Model.load_input_example(dir) after saving {label}",
                functools.partial(model.load_input_example, directory),
                "Model() has no signature, so no schema is applied when reading back",
            )


def save_example(model: Model, example: Any, directory: str) -> dict[str, Any]:
    _save_example(model, example, directory)
    files = {name: Path(directory, name).read_text() for name in sorted(os.listdir(directory))}
    return {"saved_input_example_info": model.saved_input_example_info, "files": files}


# --------------------------------------------------------------------------- 6. PythonModel


def ctx_model_class() -> type[PythonModel]:
    class CtxModel(PythonModel):
        def predict(self, ctx, model_input, params=None):
            return {"ctx": repr(ctx), "model_input": model_input, "params": params}

    return CtxModel


def no_context_model_class() -> type[PythonModel]:
    class NoContextModel(PythonModel):
        def predict(self, model_input, params=None):
            return {"model_input": model_input, "params": params}

    return NoContextModel


def source_line(function: Callable[..., Any], needle: str) -> str:
    return next(line.strip() for line in inspect.getsource(function).splitlines() if needle in line)


def source_tail(function: Callable[..., Any], needle: str) -> list[str]:
    lines = [line.strip() for line in inspect.getsource(function).splitlines()]
    start = next(i for i, line in enumerate(lines) if needle in line)
    return lines[start:]


def record_python_model() -> None:
    from mlflow.models.signature import _is_context_in_predict_function_signature

    record(
        "_is_context_in_predict_function_signature (source)",
        lambda: source_line(_is_context_in_predict_function_signature, "len([param"),
        "context is detected by the name 'context' OR by there being exactly two parameters"
        " other than self/params; ctx is then passed positionally as the first argument",
    )
    record(
        "_PythonModelPyfuncWrapper.predict (source, from the context check to the end)",
        lambda: source_tail(_PythonModelPyfuncWrapper.predict, "_is_context_in_predict"),
    )
    record(
        "defining a PythonModel subclass with predict(self, ctx, model_input, params=None)",
        lambda: ctx_model_class().__name__,
        "PythonModel.__init_subclass__ wraps predict and checks its parameter names",
        capture=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx_model, no_context_model = ctx_model_class()(), no_context_model_class()()
    record(
        "_PythonModelPyfuncWrapper(<predict(self, ctx, model_input, params=None)>)"
        ".predict([1], {'p': 1})",
        lambda: _PythonModelPyfuncWrapper(ctx_model, "CONTEXT", None).predict([1], {"p": 1}),
        "the wrapper was built with context='CONTEXT'",
    )
    record(
        "_PythonModelPyfuncWrapper(<predict(self, model_input, params=None)>)"
        ".predict([1], {'p': 1})",
        lambda: _PythonModelPyfuncWrapper(no_context_model, "CONTEXT", None).predict([1], {"p": 1}),
    )


def main() -> None:
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    record_signatures()
    record_inference()
    record_enforcement()
    record_scoring_server()
    record_input_examples()
    record_python_model()
    document = {"source": f"MLflow {mlflow.__version__}, outputs recorded verbatim", "cases": cases}
    OUTPUT.write_text(json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
    print(f"wrote {len(cases)} cases to {OUTPUT}")


if __name__ == "__main__":
    main()
