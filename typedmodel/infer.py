"""Example data -> schema tree: `infer_schema` and `infer_signature`.

Columns are typed from their dtype, without a Python loop over rows; object columns go through
pandas' C-level `infer_dtype` first, and only columns of lists, dicts or mixed values are walked
value by value.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from typedmodel.errors import SchemaError
from typedmodel.schema import (
    AnyType,
    Array,
    ColSpec,
    DataType,
    DType,
    Map,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    TensorSpec,
)
from typedmodel.signature import ModelSignature

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["infer_schema", "infer_signature"]


def infer_schema(data: Any) -> Schema:
    """The `Schema` of example data.

    Accepts a pandas DataFrame (a named column each; a column with a missing value is not
    required), a Series (a column named after it), a numpy array (a tensor whose first dimension
    is ``-1``), a dict of arrays (named tensors), a dict of values (one row of named columns), a
    list of dicts (named columns; keys missing in some rows are not required), a list of values
    (one unnamed column), pydantic models and dataclasses (as dicts), or one value.

    Raises:
        SchemaError: for values of mixed types (``[1, "a"]``) and data with no MLflow type.

    Examples:
        >>> import pandas as pd
        >>> infer_schema(pd.DataFrame({"x": [1.5, None]}))
        Schema([ColSpec(DataType.double, name='x', required=False)])
    """
    pd = _pandas()
    np = _numpy()
    if isinstance(data, pd.DataFrame):
        if not len(data.columns):
            _empty("a DataFrame with no columns")
        return Schema([_column_spec(data[c], _column_name(c)) for c in data.columns])
    if isinstance(data, pd.Series):
        return Schema([_column_spec(data, None if data.name is None else _column_name(data.name))])
    if isinstance(data, np.ndarray):
        return Schema([_tensor_spec(data, None)])
    if isinstance(data, Mapping):
        if not data:
            _empty("an empty dict")
        if not all(isinstance(k, str) for k in data):
            raise SchemaError(
                "infer_schema: a dict's keys name its columns and must all be strings, got "
                f"{sorted({type(k).__name__ for k in data if not isinstance(k, str)})} keys"
            )
        if all(isinstance(v, np.ndarray) for v in data.values()):
            return Schema([_tensor_spec(v, str(k)) for k, v in data.items()])
        return Schema(
            [
                ColSpec(_finish(t), str(k), required=t is not None and not _holds_none(v))
                for k, v, t in ((k, v, _value_type(v, str(k))) for k, v in data.items())
            ]
        )
    if isinstance(data, (list, tuple)):
        if not data:
            _empty("an empty list")
        rows = [_as_plain(v) for v in data]
        if all(isinstance(r, Mapping) for r in rows):
            return _records_schema(rows)
        item = _merge_all((_value_type(v, f"[{i}]") for i, v in enumerate(rows)), "the list")
        return Schema([ColSpec(_finish(item))])
    value = _as_plain(data)
    if isinstance(value, Mapping):
        return infer_schema(value)
    return Schema([ColSpec(_finish(_value_type(value, "the value")))])


def _column_name(label: Any) -> str | int:
    """A frame's column label as a column name: an integer label stays an integer (as MLflow
    writes it), anything else is its text."""
    if isinstance(label, int) and not isinstance(label, bool):
        return int(label)
    return str(label)


def _holds_none(value: Any) -> bool:
    """Whether a dict's value is, or holds, None: its column is then not required (MLflow)."""
    if isinstance(value, (list, tuple)):
        return any(v is None for v in value)
    return False


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: Mapping[str, Any] | None = None
) -> ModelSignature:
    """A `ModelSignature` from example input, output and params.

    Params: a scalar gives its DataType, a list gives shape ``(-1,)``; the example values become
    the defaults.

    Examples:
        >>> sig = infer_signature(["hi"], ["there"], params={"temperature": 0.5})
        >>> sig.params
        ParamSchema([ParamSpec('temperature', DataType.double, 0.5)])
    """
    if model_input is None and model_output is None and not params:
        raise SchemaError("infer_signature needs model_input, model_output or params")
    return ModelSignature(
        inputs=infer_schema(model_input) if model_input is not None else None,
        outputs=infer_schema(model_output) if model_output is not None else None,
        params=_param_schema(params) if params else None,
    )


# ---------------------------------------------------------------------------------------------
# Columns (vectorised)
# ---------------------------------------------------------------------------------------------


def _column_spec(col: pd.Series, name: str | int | None) -> ColSpec:
    missing = bool(col.isna().any())
    dtype = _column_type(col, "the column" if name is None else str(name))
    # An unnamed column can't be optional in a Schema: a lone unnamed Series stays required.
    return ColSpec(dtype, name, required=not missing or name is None)


def _column_type(col: pd.Series, where: str) -> DType:
    pd = _pandas()
    np = _numpy()
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = pd.Series(dtype.categories)
        return _column_type(categories, where) if len(categories) else AnyType()
    if isinstance(dtype, pd.StringDtype):
        return DataType.string
    if isinstance(dtype, pd.DatetimeTZDtype):
        return DataType.datetime
    if isinstance(dtype, pd.BooleanDtype):
        return DataType.boolean
    numpy_dtype = getattr(dtype, "numpy_dtype", None)  # Int64, Float64, ArrowDtype, ...
    is_extension = isinstance(dtype, pd.api.extensions.ExtensionDtype)
    if is_extension and numpy_dtype is not None and numpy_dtype.kind != "O":
        return _from_numpy(numpy_dtype, where)
    if isinstance(dtype, np.dtype) and dtype.kind != "O":
        return _from_numpy(dtype, where)
    return _object_column_type(col, where)


def _object_column_type(col: pd.Series, where: str) -> DType:
    pd = _pandas()
    kind = pd.api.types.infer_dtype(col, skipna=True)
    simple = _INFER_DTYPE_KINDS.get(kind)
    if simple is not None:
        return simple
    if kind == "empty":
        return AnyType()
    if kind in ("timedelta", "time", "period", "interval", "complex"):
        raise SchemaError(f"{where}: values of kind {kind!r} have no MLflow type; convert them")
    merged = _merge_all(
        (_value_type(v, f"{where}[{i}]") for i, v in zip(col.index, col.tolist(), strict=True)),
        where,
    )
    return _finish(merged)


_INFER_DTYPE_KINDS: dict[str, DType] = {
    "string": DataType.string,
    "bytes": DataType.binary,
    "integer": DataType.long,
    "floating": DataType.double,
    "mixed-integer-float": DataType.double,
    "decimal": DataType.double,
    "boolean": DataType.boolean,
    "datetime": DataType.datetime,
    "datetime64": DataType.datetime,
    "date": DataType.datetime,
}


def _from_numpy(dtype: Any, where: str) -> DataType:
    if dtype.kind == "m":
        raise SchemaError(f"{where}: timedelta values have no MLflow type; convert them")
    try:
        return DataType.from_numpy(dtype)
    except SchemaError as exc:
        raise SchemaError(f"{where}: {exc}") from None


def _tensor_spec(arr: Any, name: str | None) -> TensorSpec:
    np = _numpy()
    dtype = arr.dtype  # "object" for Python objects, as MLflow infers it
    if dtype.kind in "US":
        dtype = np.dtype(dtype.kind)  # drop the size: '<U5' -> 'str'
    shape = (-1, *arr.shape[1:]) if arr.ndim else ()
    return TensorSpec(dtype, shape, name)


# ---------------------------------------------------------------------------------------------
# Values (rows, dicts, lists, scalars)
# ---------------------------------------------------------------------------------------------


def _records_schema(rows: list[Any]) -> Schema:
    merged = _merge_all((_value_type(r, f"[{i}]") for i, r in enumerate(rows)), "the records")
    if not isinstance(merged, _Obj) or not merged.fields:
        _empty("records with no keys")
    return Schema(
        [ColSpec(_finish(t), name, required=req) for name, (t, req) in merged.fields.items()]
    )


# While values are read, types are kept in these private forms: an item or field seen only as
# missing (or a list seen only empty) is `_UNKNOWN` and takes the type of the next value seen;
# `_finish` turns them into schema nodes at the end.


class _Unknown:
    __slots__ = ()


_UNKNOWN = _Unknown()


@dataclasses.dataclass(frozen=True)
class _Arr:
    item: _Inferred


@dataclasses.dataclass(frozen=True)
class _MapOf:
    value: _Inferred


@dataclasses.dataclass(frozen=True)
class _Obj:
    fields: dict[str, tuple[_Inferred, bool]]  # name -> (type, required), in first-seen order


_Inferred = Any  # DataType | AnyType | _Arr | _MapOf | _Obj | _Unknown


def _value_type(value: Any, where: str) -> _Inferred | None:
    """The type of one value; None for a missing value."""
    np = _numpy()
    value = _as_plain(value)
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, (bool, np.bool_)):
        return DataType.boolean
    if isinstance(value, np.generic) and not isinstance(value, (np.str_, np.bytes_)):
        if isinstance(value, np.datetime64):
            return None if np.isnat(value) else DataType.datetime
        if isinstance(value, np.floating) and np.isnan(value):
            return None
        return _from_numpy(value.dtype, where)
    if isinstance(value, int):
        return DataType.long
    if isinstance(value, (float, decimal.Decimal)):
        return DataType.double
    if isinstance(value, str):
        return DataType.string
    if isinstance(value, (bytes, bytearray)):
        return DataType.binary
    if isinstance(value, (_dt.datetime, _dt.date)):
        return DataType.datetime
    if _is_missing_scalar(value):
        return None
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _value_type(value.item(), where)
        if value.dtype.kind != "O" and value.ndim == 1:
            return _Arr(_from_numpy(value.dtype, where) if value.size else _UNKNOWN)
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return _Arr(
            _merge_all((_value_type(v, f"{where}[{i}]") for i, v in enumerate(value)), where)
        )
    if isinstance(value, Mapping):
        if not value:
            return _MapOf(_UNKNOWN)
        fields: dict[str, tuple[_Inferred, bool]] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise SchemaError(f"{where}: dict keys must be strings, got {key!r}")
            t = _value_type(item, f"{where}.{key}")
            fields[key] = (_UNKNOWN if t is None else t, t is not None)
        return _Obj(fields)
    raise SchemaError(f"{where}: can't infer a type for {type(value).__name__} value {value!r}")


def _as_plain(value: Any) -> Any:
    """Pydantic models and dataclass instances as dicts."""
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return dump(by_alias=True)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def _is_missing_scalar(value: Any) -> bool:
    pd = _pandas()
    return value is pd.NA or value is pd.NaT


def _merge_all(types: Any, where: str) -> _Inferred:
    out: _Inferred = _UNKNOWN
    for t in types:
        if t is not None:
            out = _merge(out, t, where)
    return out


_WIDER = {
    frozenset({DataType.integer, DataType.long}): DataType.long,
    frozenset({DataType.float, DataType.double}): DataType.double,
    frozenset({DataType.long, DataType.double}): DataType.double,
    frozenset({DataType.integer, DataType.double}): DataType.double,
    frozenset({DataType.long, DataType.float}): DataType.double,
    frozenset({DataType.integer, DataType.float}): DataType.double,
}


def _merge(a: _Inferred, b: _Inferred, where: str) -> _Inferred:
    """The type that holds values of both `a` and `b`, never losing a value."""
    if a is _UNKNOWN:
        return b
    if b is _UNKNOWN or a == b:
        return a
    if isinstance(a, DataType) and isinstance(b, DataType):
        wider = _WIDER.get(frozenset({a, b}))
        if wider is not None:
            return wider
    elif isinstance(a, _Arr) and isinstance(b, _Arr):
        return _Arr(_merge(a.item, b.item, where))
    elif isinstance(a, _MapOf) and isinstance(b, _MapOf):
        return _MapOf(_merge(a.value, b.value, where))
    elif isinstance(a, _Obj) and isinstance(b, _Obj):
        return _merge_objects(a, b, where)
    elif isinstance(a, _Obj) and b == _MapOf(_UNKNOWN):
        return _merge_objects(a, _Obj({}), where)  # an empty dict: every field missing
    elif isinstance(b, _Obj) and a == _MapOf(_UNKNOWN):
        return _merge_objects(_Obj({}), b, where)
    raise SchemaError(
        f"{where} mixes values of type {_describe(a)} and {_describe(b)}: use "
        "ColSpec(Array(AnyType())) or AnyType() for mixed data, or make the values one type"
    )


def _merge_objects(a: _Obj, b: _Obj, where: str) -> _Obj:
    fields = dict(a.fields)
    for name, (tb, rb) in b.fields.items():
        if name in fields:
            ta, ra = fields[name]
            fields[name] = (_merge(ta, tb, f"{where}.{name}"), ra and rb)
        else:
            fields[name] = (tb, False)
    for name in a.fields.keys() - b.fields.keys():
        fields[name] = (fields[name][0], False)
    return _Obj(fields)


def _finish(t: _Inferred | None) -> DType:
    """The schema node of an inferred type (what stayed unknown becomes `AnyType()`)."""
    if t is None or t is _UNKNOWN:
        return AnyType()
    if isinstance(t, _Arr):
        return Array(_finish(t.item))
    if isinstance(t, _MapOf):
        return Map(_finish(t.value))
    if isinstance(t, _Obj):
        return Object(Property(n, _finish(ft), required=r) for n, (ft, r) in t.fields.items())
    return t  # type: ignore[no-any-return]  # a DataType


def _describe(t: Any) -> str:
    if isinstance(t, DataType):
        return t.value
    return {_Arr: "array", _MapOf: "map", _Obj: "object"}.get(type(t), type(t).__name__)


def _empty(what: str) -> NoReturn:
    raise SchemaError(f"can't infer a schema from {what}: give at least one column or value")


# ---------------------------------------------------------------------------------------------
# Params
# ---------------------------------------------------------------------------------------------


def _param_schema(params: Mapping[str, Any]) -> ParamSchema:
    if not isinstance(params, Mapping):
        raise SchemaError(f"params must be a dict of name -> example value, got {params!r}")
    specs = []
    np = _numpy()
    for name, value in params.items():
        where = f"param {name!r}"
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, (list, tuple)):
            if not value:
                raise SchemaError(
                    f"{where}: can't infer a type from an empty list; build "
                    f"ParamSpec({name!r}, DataType.string, [], shape=(-1,)) with its type"
                )
            item = _finish(_merge_all((_value_type(v, where) for v in value), where))
            specs.append(ParamSpec(name, _param_dtype(item, where), list(value), shape=(-1,)))
        else:
            t = _finish(_value_type(value, where))
            specs.append(ParamSpec(name, _param_dtype(t, where), _as_plain(value)))
    return ParamSchema(specs)


def _param_dtype(t: DType, where: str) -> DataType | Object:
    if isinstance(t, (DataType, Object)):
        return t
    raise SchemaError(
        f"{where}: a param is a scalar, a 1-D list of scalars or an object, not {_describe(t)}"
    )


def _pandas() -> Any:
    import pandas

    return pandas


def _numpy() -> Any:
    import numpy

    return numpy
