"""The Open Inference Protocol (KServe "V2"): model metadata, and the tensors of ``/infer``.

A request is ``{"id", "parameters", "inputs": [{"name", "shape", "datatype", "parameters",
"data"}], "outputs"}``; the answer ``{"model_name", "model_version", "id", "outputs": [...]}``.
This module only turns tensors into the batch the model's call seam validates, and its output
back into tensors: validation is the same whatever the protocol.

- A column signature reads its columns as named 1-D tensors (a ``list[Row]`` model, the row's
  fields); a tensor of shape ``[n, k]`` for a column is a column of length-``k`` lists. A
  signature of one unnamed column takes one input, whatever its name.
- A tensor signature reads each input as an array of its shape.
- Datatypes: ``BOOL``, ``INT8`` .. ``INT64``, ``UINT8`` .. ``UINT64``, ``FP16``, ``FP32``,
  ``FP64`` and ``BYTES``. A value must be one its datatype holds exactly (the rule table's
  rule: no bool as a number, no int outside the range, no float32 overflow).
- MLServer's ``content_type`` parameters: ``pd`` (a table of named columns, which is how column
  signatures are read anyway), ``np``, ``str`` (BYTES as text, the default), ``base64`` (BYTES
  as base64 text of bytes) and ``datetime`` (BYTES as ISO 8601 text).
- The request's ``parameters``, less the protocol's own keys, are the model's params.

Every decoding issue names its input (``loc`` starts ``("inputs", name)``), and is a ``400``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from typedmodel._json import dump_json, dumps, jsonable
from typedmodel.errors import Issue, ValidationError
from typedmodel.schema import Array, ColSpec, DataType, Object, Schema, TensorSpec
from typedmodel.schema.rules import LossyNumber, number, rule
from typedmodel.signature import ModelSignature

__all__ = ["DATATYPES", "decode", "encode", "model_metadata"]

# The protocol's datatypes by the numpy dtype that holds them.
_BY_NUMPY = {
    "bool": "BOOL",
    "int8": "INT8",
    "int16": "INT16",
    "int32": "INT32",
    "int64": "INT64",
    "uint8": "UINT8",
    "uint16": "UINT16",
    "uint32": "UINT32",
    "uint64": "UINT64",
    "float16": "FP16",
    "float32": "FP32",
    "float64": "FP64",
}
DATATYPES = (*_BY_NUMPY.values(), "BYTES")
_NUMPY = {v: k for k, v in _BY_NUMPY.items()}
_PROTOCOL_KEYS = ("content_type", "headers")  # request parameters that are not model params
_FLOAT_TYPES = {"FP32": DataType.float, "FP64": DataType.double}
UNNAMED_INPUT = "input-0"
UNNAMED_OUTPUT = "output-0"


def datatype_of(spec: ColSpec | TensorSpec) -> str:
    """The protocol datatype of a column or tensor (text, bytes, datetimes and nested values
    travel as ``BYTES``)."""
    if isinstance(spec, TensorSpec):
        return _BY_NUMPY.get(spec.type.name, "BYTES")
    kind = spec.type.dtype if isinstance(spec.type, Array) else spec.type  # [n, k] of items
    if isinstance(kind, DataType):
        return _BY_NUMPY.get(rule(kind).numpy, "BYTES")
    return "BYTES"


def _columns(schema: Schema, unnamed: str) -> list[tuple[str, ColSpec | TensorSpec]]:
    """(name, spec) of each tensor of a schema (a ``list[Row]`` row's fields)."""
    specs = list(schema.inputs)
    only = specs[0] if len(specs) == 1 else None
    if isinstance(only, ColSpec) and only.name is None and isinstance(only.type, Object):
        return [(p.name, ColSpec(p.dtype, p.name, p.required)) for p in only.type.properties]
    return [
        (str(s.name) if s.name is not None else f"{unnamed[:-1]}{i}", s)
        for i, s in enumerate(specs)
    ]


def _shape(spec: ColSpec | TensorSpec) -> list[int]:
    if isinstance(spec, TensorSpec):
        return list(spec.shape)
    return [-1, -1] if isinstance(spec.type, Array) else [-1]


def model_metadata(signature: ModelSignature, name: str, version: str | None) -> dict[str, Any]:
    """``GET /v2/models/{name}``: inputs and outputs as ``{name, datatype, shape}`` (-1 for a
    dimension of any size), params under ``parameters``."""

    def tensors(schema: Schema | None, unnamed: str) -> list[dict[str, Any]]:
        if schema is None:
            return []
        return [
            {"name": n, "datatype": datatype_of(s), "shape": _shape(s)}
            for n, s in _columns(schema, unnamed)
        ]

    out: dict[str, Any] = {
        "name": name,
        "versions": [version] if version is not None else [],
        "platform": "typedmodel",
        "inputs": tensors(signature.inputs, UNNAMED_INPUT),
        "outputs": tensors(signature.outputs, UNNAMED_OUTPUT),
    }
    if signature.params is not None:
        out["parameters"] = {
            p.name: {"type": p.to_dict()["type"], "default": jsonable(p.default), "shape": p.shape}
            for p in signature.params
        }
    return out


# ---------------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------------


def decode(body: Any, signature: ModelSignature) -> tuple[Any, Any, Any]:
    """The batch, the params and the request id of an ``/infer`` body.

    Raises:
        ValidationError: naming each input that can't be read (its shape, datatype or data),
            and for a body of the wrong shape.
    """
    if not isinstance(body, Mapping):
        raise _issue((), f"The body must be a JSON object, got {type(body).__name__}")
    unknown = [k for k in body if k not in ("id", "parameters", "inputs", "outputs")]
    if unknown:
        raise _issue(
            (), f"{len(unknown)} unknown key(s); use 'id', 'parameters', 'inputs', 'outputs'"
        )
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise _issue(("inputs",), "'inputs' must be a non-empty list of tensors")
    parameters = body.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        raise _issue(("parameters",), "'parameters' must be an object")
    params = {k: v for k, v in parameters.items() if k not in _PROTOCOL_KEYS} or None
    request_id = body.get("id")
    schema = signature.inputs
    issues: list[Issue] = []
    decoded: dict[str, Any] = {}
    for i, tensor in enumerate(inputs):
        try:
            name, values = _tensor(tensor, i, parameters.get("content_type"))
        except ValidationError as exc:
            issues.extend(exc.issues)
            continue
        if name in decoded:
            issues.append(Issue(None, ("inputs", name), "request_format", "Input given twice"))
        decoded[name] = values
    if issues:
        raise ValidationError(issues, title="request")
    assert schema is not None  # the endpoint has an input signature
    return _batch(decoded, schema), params, request_id


def _tensor(tensor: Any, i: int, default_content: Any) -> tuple[str, Any]:
    if not isinstance(tensor, Mapping) or not isinstance(tensor.get("name"), str):
        raise _issue(
            ("inputs", i), "An input is an object with 'name', 'shape', 'datatype', 'data'"
        )
    name = tensor["name"]
    where = ("inputs", name)
    shape, datatype, data = tensor.get("shape"), tensor.get("datatype"), tensor.get("data")
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise _issue((*where, "shape"), "'shape' must be a list of non-negative integers")
    if datatype not in DATATYPES:
        raise _issue((*where, "datatype"), f"'datatype' must be one of {list(DATATYPES)}")
    flat = _flatten(data, where)
    size = math.prod(shape)
    if len(flat) != size:
        raise _issue(
            (*where, "shape"), f"shape {shape} holds {size} values; 'data' has {len(flat)}"
        )
    own = tensor.get("parameters") or {}
    content = own.get("content_type", default_content) if isinstance(own, Mapping) else None
    values = _plainly(flat, datatype, content)
    if values is None:  # the values one by one, each issue naming its place
        values = [_value(v, datatype, content, (*where, j)) for j, v in enumerate(flat)]
    return name, (values, shape, datatype)


def _plainly(flat: list[Any], datatype: str, content: Any) -> list[Any] | None:
    """`flat` as it is, when one pass shows every value is plainly of `datatype` (the common
    case, a request's hot path); else None."""
    kinds = {type(v) for v in flat}
    if datatype == "BYTES":
        return flat if kinds <= {str} and content not in ("base64", "datetime") else None
    if datatype == "BOOL":
        return flat if kinds <= {bool} else None
    if datatype == "FP64":
        return flat if kinds <= {float} else None  # ints: held exactly? one by one
    kind = np.dtype(_NUMPY[datatype])
    if kind.kind in "iu" and kinds <= {int} and flat:
        info = np.iinfo(kind)
        return flat if info.min <= min(flat) and max(flat) <= info.max else None
    return None


def _flatten(data: Any, where: tuple[Any, ...]) -> list[Any]:
    """`data` flat, in row-major order (the protocol allows it nested)."""
    if not isinstance(data, list):
        raise _issue((*where, "data"), "'data' must be a list")
    if not any(isinstance(d, list) for d in data):
        return data
    out: list[Any] = []
    stack: list[Any] = [iter(data)]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, list):
            if len(stack) > 32:
                raise _issue((*where, "data"), "'data' is nested more than 32 deep")
            stack.append(iter(item))
        else:
            out.append(item)
    return out


_END = object()


def _value(value: Any, datatype: str, content: Any, loc: tuple[Any, ...]) -> Any:
    if datatype == "BYTES":
        return _bytes_value(value, content, loc)
    if datatype == "BOOL":
        if not isinstance(value, bool):
            raise _issue(loc, "Input should be a boolean (BOOL)", "bool_type")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _issue(loc, f"Input should be a number ({datatype})", "v2_datatype")
    kind = np.dtype(_NUMPY[datatype])
    if kind.kind in "iu":
        info = np.iinfo(kind)
        if not isinstance(value, int) or not info.min <= value <= info.max:
            msg = f"Input should be an integer within the range of {datatype}"
            raise _issue(loc, msg, "number_range")
        return value
    if datatype in _FLOAT_TYPES:
        try:
            return number(_FLOAT_TYPES[datatype], value)
        except LossyNumber as exc:
            raise _issue(loc, exc.msg, exc.type) from None
    if math.isfinite(value) and abs(value) > float(np.finfo(np.float16).max):
        raise _issue(loc, "Input should be within the range of FP16", "number_range")
    return float(value)


def _bytes_value(value: Any, content: Any, loc: tuple[Any, ...]) -> Any:
    if not isinstance(value, str):
        raise _issue(loc, "Input should be text (BYTES)", "string_type")
    if content == "base64":
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise _issue(loc, "Input should be base64 text", "bytes_invalid") from None
    if content == "datetime":
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            raise _issue(loc, "Input should be an ISO 8601 datetime", "datetime_parsing") from None
    return value


def _batch(decoded: Mapping[str, Any], schema: Schema) -> Any:
    """The batch the call seam validates: arrays for a tensor signature, columns otherwise."""
    if schema.is_tensor_spec():
        arrays = {n: _array(v, s, t) for n, (v, s, t) in decoded.items()}
        if len(schema.inputs) == 1 and len(arrays) == 1:
            return next(iter(arrays.values()))  # one tensor: the array, as MLflow's inputs form
        return arrays
    columns = {n: _column(v, s) for n, (v, s, _) in decoded.items()}
    only = schema.inputs[0] if len(schema.inputs) == 1 else None
    if isinstance(only, ColSpec) and only.name is None:
        if isinstance(only.type, Object):  # list[Row]: rows, as MLflow's records form is
            lengths = {len(c) for c in columns.values()}
            if len(lengths) == 1:
                names = list(columns)
                return [
                    dict(zip(names, row, strict=True))
                    for row in zip(*columns.values(), strict=True)
                ]
        elif len(columns) == 1:
            return next(iter(columns.values()))  # list[X]: the one tensor, whatever its name
    return columns  # columns of different lengths: the validator says so


def _array(values: list[Any], shape: list[int], datatype: str) -> Any:
    kind = _NUMPY.get(datatype, "object")
    return np.array(values, dtype=kind).reshape(shape)


def _column(values: list[Any], shape: list[int]) -> list[Any]:
    if len(shape) <= 1 or (len(shape) == 2 and shape[1] == 1):
        return values
    width = math.prod(shape[1:])
    rows = [values[i : i + width] for i in range(0, len(values), width)]
    return rows


def _issue(loc: tuple[Any, ...], msg: str, type_: str = "request_format") -> ValidationError:
    return ValidationError([Issue(None, loc, type_, msg)], title="request")


# ---------------------------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------------------------


def encode(
    output: Any, signature: ModelSignature, name: str, version: str | None, request_id: Any
) -> bytes:
    """The ``200`` body: the predictions as tensors, one per output column.

    Raises:
        TypeError: for an output JSON can't hold.
    """
    out: dict[str, Any] = {"model_name": name, "model_version": version}
    if request_id is not None:
        out["id"] = request_id
    out["outputs"] = _outputs(output, signature.outputs)  # plain JSON values already
    return dump_json(out)


def _outputs(output: Any, schema: Schema | None) -> list[dict[str, Any]]:
    if isinstance(output, np.ndarray):
        name = UNNAMED_OUTPUT
        if schema is not None and schema.is_tensor_spec() and schema.inputs[0].name:
            name = str(schema.inputs[0].name)
        datatype = _BY_NUMPY.get(output.dtype.name, "BYTES")
        return [_out(name, datatype, list(output.shape), jsonable(output.ravel().tolist()))]
    named = _columns(schema, UNNAMED_OUTPUT) if schema is not None else []
    rows = jsonable(output)
    if isinstance(rows, Mapping):  # a dict of columns (a DataFrame is written as records)
        return [_out(str(k), "BYTES", [len(v)], v) for k, v in rows.items()]
    if not isinstance(rows, list):
        rows = [rows]
    if rows and all(isinstance(r, Mapping) for r in rows):
        names = [n for n, _ in named] or list(rows[0])
        specs = dict(named)
        return [_column_out(n, [r.get(n) for r in rows], specs.get(n)) for n in names]
    name, spec = named[0] if named else (UNNAMED_OUTPUT, None)
    return [_column_out(name, rows, spec)]


def _column_out(name: str, values: list[Any], spec: Any) -> dict[str, Any]:
    datatype = datatype_of(spec) if spec is not None else _guess(values)
    widths = {len(v) for v in values if isinstance(v, list)}
    if values and all(isinstance(v, list) for v in values) and len(widths) == 1:
        width = widths.pop()
        flat = [x for v in values for x in v]
        return _out(name, datatype, [len(values), width], flat)
    if datatype == "BYTES":
        values = [v if isinstance(v, str) or v is None else dumps(v) for v in values]
    return _out(name, datatype, [len(values)], values)


def _guess(values: Sequence[Any]) -> str:
    if values and all(isinstance(v, bool) for v in values):
        return "BOOL"
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "INT64"
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "FP64"
    return "BYTES"


def _out(name: str, datatype: str, shape: list[int], data: list[Any]) -> dict[str, Any]:
    return {"name": name, "datatype": datatype, "shape": shape, "data": data}
