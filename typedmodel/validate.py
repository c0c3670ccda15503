"""Compile hints or a schema tree once into validators; run them on batches.

- `BatchValidator`: a ``list[X]`` hint, on pydantic-core (one `TypeAdapter`, built once). Lists
  go straight in; DataFrames, Series, arrays and dicts of columns are adapted first, column-wise.
- `OutputValidator`: predict's return hint.
- `ParamsValidator`: an explicit `ParamSchema` and/or a pydantic params model.
- `SchemaEnforcer`: an explicit ColSpec or TensorSpec schema, enforced vectorised on
  DataFrames and arrays (safe casts only).

Every validator collects all issues of the batch and raises one `ValidationError`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import operator
import sys
import types
import typing
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pydantic

from typedmodel.errors import OMITTED, Issue, SchemaError, TypedModelWarning, ValidationError
from typedmodel.hints import _is_model, _strip_optional, _wire_name
from typedmodel.schema import (
    AnyType,
    Array,
    ColSpec,
    DataType,
    DType,
    LiteralType,
    Map,
    Object,
    ParamSchema,
    Schema,
    TensorSpec,
    UnionType,
)

__all__ = [
    "BatchValidator",
    "OutputValidator",
    "ParamsValidator",
    "SchemaEnforcer",
    "TypedModelWarning",
]

_DROP = object()  # a missing cell whose key is left out of the row (default or "required")
_OUTPUT_TITLE = "model output (predict returned data that does not match its return hint)"


def _pd() -> Any:
    import pandas

    return pandas


def _np() -> Any:
    import numpy

    return numpy


def _issues_from(
    exc: pydantic.ValidationError, *, batch: bool, hide_input: bool, prefix: tuple[Any, ...] = ()
) -> list[Issue]:
    out = []
    for err in exc.errors(include_url=False, include_context=False):
        loc = tuple(err["loc"])
        row = None
        if batch and loc and isinstance(loc[0], int):
            row, loc = loc[0], loc[1:]
        out.append(
            Issue(
                row,
                prefix + loc,
                err["type"],
                err["msg"],
                OMITTED if hide_input or err["type"] == "missing" else err.get("input"),
            )
        )
    return out


def _batch_type_issue(data: Any, hint: str) -> ValidationError:
    kind = type(data).__name__
    what = "one row" if isinstance(data, Mapping) or _is_model(type(data)) else f"a {kind}"
    msg = f"Expected a batch ({hint}), got {what}"
    if what == "one row":
        msg += ": wrap it in a list, [row]"
    return ValidationError([Issue(None, (), "batch_type", msg)])


# ---------------------------------------------------------------------------------------------
# list[X] hints
# ---------------------------------------------------------------------------------------------


class BatchValidator:
    """Validates a batch against ``list[element]`` with pydantic-core.

    Accepts a list or tuple; a DataFrame (rows as dicts for a record element, its one column for
    a scalar element); a Series; a 1-D array (2-D for ``list[list[...]]``); a dict of
    equal-length columns for a record element.
    """

    def __init__(self, element: Any, *, strict: bool = False, hide_input: bool = False) -> None:
        self.element = element
        self.strict = strict
        self.hide_input = hide_input
        self.adapter: pydantic.TypeAdapter[list[Any]] = pydantic.TypeAdapter(
            list[_bounded(element)]  # type: ignore[misc]
        )
        self.is_record = _is_record(element)
        self.is_sequence = typing.get_origin(element) in (list, tuple, Sequence)
        self.fields = _record_fields(element)  # wire name -> accepts None
        self.hint_name = f"list[{getattr(element, '__name__', repr(element))}]"

    def validate(self, data: Any) -> list[Any]:
        """The validated batch (new objects; `data` is not changed)."""
        rows = self.adapt(data)
        if self.strict:
            rows = _without_numpy_scalars(rows)  # numpy scalars are numbers, even in strict mode
        try:
            return self.adapter.validate_python(rows, strict=self.strict or None)
        except pydantic.ValidationError as exc:
            raise ValidationError(
                _issues_from(exc, batch=True, hide_input=self.hide_input),
                hide_input=self.hide_input,
            ) from None

    def adapt(self, data: Any) -> Any:
        """The batch as a list pydantic can read (caller's objects untouched)."""
        if isinstance(data, list):
            return data
        if isinstance(data, tuple):
            return list(data)
        pd = _pd() if _pandas_loaded() else None
        if pd is not None and isinstance(data, pd.DataFrame):
            return self._frame(data)
        if pd is not None and isinstance(data, pd.Series):
            return _column_values(data, missing=None)
        if _is_ndarray(data):
            if data.ndim == 1 or (data.ndim == 2 and self.is_sequence):
                return data.tolist()
            raise ValidationError(
                [Issue(None, (), "batch_shape", f"Expected a 1-D array, got shape {data.shape}")]
            )
        if isinstance(data, Mapping) and self.is_record and _is_columns(data, self.fields):
            return self._columns(data)
        raise _batch_type_issue(data, self.hint_name)

    def _frame(self, frame: Any) -> list[Any]:
        if not self.is_record:
            if frame.shape[1] != 1:
                raise ValidationError(
                    [
                        Issue(
                            None,
                            (),
                            "frame_columns",
                            f"Expected one column for {self.hint_name}, got "
                            f"{frame.shape[1]} columns {[str(c) for c in frame.columns]}: "
                            "select the column to predict on",
                        )
                    ]
                )
            return _column_values(frame.iloc[:, 0], missing=None)
        names = [str(c) for c in frame.columns]
        columns = [
            _column_values(frame.iloc[:, i], missing=None if self.fields.get(n) else _DROP)
            for i, n in enumerate(names)
        ]
        return _rows(names, columns)

    def _columns(self, data: Mapping[str, Any]) -> list[Any]:
        names = [str(k) for k in data]
        columns = [_plain_list(v) for v in data.values()]
        return _rows(names, columns)


_LONG = typing.Annotated[int, pydantic.Field(ge=-(2**63), le=2**63 - 1)]


def _bounded(hint: Any) -> Any:
    """`hint` with each bare ``int`` (outside models) bounded to int64: the schema says long."""
    if hint is int:
        return _LONG
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list and args:
        return list[_bounded(args[0])]  # type: ignore[misc]
    if origin is dict and len(args) == 2:
        return dict[args[0], _bounded(args[1])]  # type: ignore[misc,valid-type]
    if origin in (typing.Union, types.UnionType):
        return functools.reduce(operator.or_, [_bounded(a) for a in args])
    return hint


def _without_numpy_scalars(value: Any) -> Any:
    """A copy of `value` with numpy scalars as Python scalars (lists, tuples, dicts walked)."""
    np = sys.modules.get("numpy")
    if np is None:
        return value

    def plain(v: Any) -> Any:
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, list):
            return [plain(x) for x in v]
        if isinstance(v, tuple):
            return tuple(plain(x) for x in v)
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return plain(value)


def _rows(names: list[str], columns: list[list[Any]]) -> list[dict[str, Any]]:
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    if any(_DROP in col for col in columns):
        rows = [{k: v for k, v in row.items() if v is not _DROP} for row in rows]
    return rows


def _is_frame(data: Any) -> bool:
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(data, pd.DataFrame)


def _pandas_loaded() -> bool:
    return "pandas" in sys.modules


def _is_ndarray(data: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(data, np.ndarray)


def _plain_list(values: Any) -> list[Any]:
    if isinstance(values, list):
        return values
    if hasattr(values, "tolist"):
        return list(values.tolist())
    return list(values)


def _column_values(col: Any, *, missing: Any) -> list[Any]:
    """A column as Python values; NaN/None/NA/NaT become `missing`."""
    values = col.tolist()
    mask = col.isna().to_numpy()
    if mask.any():
        values = [missing if m else v for v, m in zip(values, mask, strict=True)]
    return values  # type: ignore[no-any-return]  # Series.tolist() is a list


def _is_record(element: Any) -> bool:
    element = _strip_optional(element)[0]
    origin = typing.get_origin(element)
    return (
        _is_model(element)
        or (isinstance(element, type) and dataclasses.is_dataclass(element))
        or _is_typeddict(element)
        or origin in (dict, Mapping)
        or element in (dict, Mapping)
    )


def _is_typeddict(element: Any) -> bool:
    import typing_extensions

    return bool(typing_extensions.is_typeddict(element))


def _record_fields(element: Any) -> dict[str, bool]:
    """Wire name -> whether the field accepts None (so a missing cell becomes None)."""
    if _is_model(element):
        return {
            _wire_name(name, info): _strip_optional(info.annotation)[1]
            for name, info in element.model_fields.items()
        }
    if isinstance(element, type) and (dataclasses.is_dataclass(element) or _is_typeddict(element)):
        hints = typing.get_type_hints(element)
        return {name: _strip_optional(h)[1] for name, h in hints.items()}
    if typing.get_origin(element) in (dict, Mapping):
        args = typing.get_args(element)
        nullable = bool(args) and _strip_optional(args[1])[1]
        return _AllFields(nullable)
    return {}


class _AllFields(dict[str, bool]):
    """For dict elements: every key is a field; None kept where the value type allows it."""

    def __init__(self, nullable: bool) -> None:
        super().__init__()
        self.nullable = nullable

    def get(self, key: str, default: Any = None) -> bool:
        return self.nullable


def _is_columns(data: Mapping[str, Any], fields: Mapping[str, bool]) -> bool:
    """A dict of equal-length columns (rather than one row)?"""
    if not data or isinstance(fields, _AllFields):
        return False
    lengths = set()
    for key, value in data.items():
        if key not in fields:
            return False
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__len__"):
            return False
        lengths.add(len(value))
    return len(lengths) == 1


# ---------------------------------------------------------------------------------------------
# Outputs and params
# ---------------------------------------------------------------------------------------------


class OutputValidator:
    """Validates predict's return value against its hint; returns the validated value."""

    def __init__(self, hint: Any, *, batch: bool) -> None:
        self.adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(hint)
        self.batch = batch

    def validate(self, value: Any) -> Any:
        if self.batch and not isinstance(value, (list, tuple)) and hasattr(value, "tolist"):
            value = value.tolist()  # an array or Series of outputs
        try:
            return self.adapter.validate_python(value)
        except pydantic.ValidationError as exc:
            raise ValidationError(
                _issues_from(exc, batch=self.batch, hide_input=False), title=_OUTPUT_TITLE
            ) from None


def output_validator(hint: Any, *, batch: bool) -> OutputValidator | None:
    """An output validator, or None when the hint is not one pydantic can check."""
    try:
        return OutputValidator(hint, batch=batch)
    except (pydantic.PydanticSchemaGenerationError, TypeError):
        return None


class ParamsValidator:
    """Checks params against an explicit `ParamSchema` and/or a pydantic params model.

    Unknown names and wrong types are issues listing what is allowed; defaults are filled.
    Conversions follow MLflow's params rules (an int is a fine double; 1.5, True or "5" is not
    a long).
    """

    def __init__(
        self,
        schema: ParamSchema | None,
        model: type[pydantic.BaseModel] | None,
        *,
        hide_input: bool = False,
    ) -> None:
        self.schema = schema
        self.model = model
        self.hide_input = hide_input
        names: set[str] = set(schema.names()) if schema is not None else set()
        if model is not None:
            for name, info in model.model_fields.items():
                names.update({name, _wire_name(name, info)})
        self.allowed = sorted(names)

    def validate(self, params: Any) -> Any:
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise ValidationError(
                [
                    Issue(
                        None,
                        (),
                        "dict_type",
                        f"params must be a dict of name -> value, got {type(params).__name__}",
                    )
                ],
                title="params",
            )
        if self.schema is None and self.model is None:
            return dict(params)
        issues = [
            Issue(
                None,
                (str(name),),
                "unknown_param",
                f"Unknown param; allowed: {self.allowed}",
                OMITTED if self.hide_input else value,
            )
            for name, value in params.items()
            if name not in self.allowed
        ]
        out: dict[str, Any] = {}
        if self.schema is not None:
            for spec in self.schema.params:
                if spec.name not in params:
                    out[spec.name] = spec.default
                    continue
                try:
                    out[spec.name] = spec.validate(params[spec.name])
                except SchemaError as exc:
                    issues.append(
                        Issue(
                            None,
                            (spec.name,),
                            "param_type",
                            str(exc),
                            OMITTED if self.hide_input else params[spec.name],
                        )
                    )
        for name, value in params.items():
            if name in self.allowed and name not in out:
                out[name] = value
        if issues:
            raise ValidationError(issues, title="params", hide_input=self.hide_input)
        if self.model is None:
            return out
        try:
            return self.model.model_validate(out)
        except pydantic.ValidationError as exc:
            raise ValidationError(
                _issues_from(exc, batch=False, hide_input=self.hide_input),
                title="params",
                hide_input=self.hide_input,
            ) from None


# ---------------------------------------------------------------------------------------------
# Explicit schemas: ColSpec on DataFrames, TensorSpec on arrays (vectorised)
# ---------------------------------------------------------------------------------------------


class SchemaEnforcer:
    """Enforces an explicit `Schema` on a batch.

    Columns: required columns present, safe casts only (narrower ints -> long, float32 ->
    double, integers -> double when exact, integral floats without NaN -> long), strings stay
    strings, extra columns dropped with a `TypedModelWarning`, order as the schema.
    Tensors: safe dtype casts only and shapes with ``-1``; a dict of named tensors.
    """

    def __init__(self, schema: Schema, *, hide_input: bool = False) -> None:
        self.schema = schema
        self.hide_input = hide_input
        self._nested: dict[int, pydantic.TypeAdapter[Any]] = {}
        if not schema.is_tensor_spec():
            for i, spec in enumerate(schema.inputs):
                assert isinstance(spec, ColSpec)
                if not isinstance(spec.type, DataType):
                    hint = tree_to_hint(spec.type)
                    self._nested[i] = pydantic.TypeAdapter(list[hint | None])  # type: ignore[valid-type]
        # One unnamed column (the form hints such as list[Model] give): a list stays a list.
        self._values: BatchValidator | None = None
        if not schema.is_tensor_spec() and len(schema.inputs) == 1 and not schema.has_input_names():
            element = tree_to_hint(schema.inputs[0].type)  # type: ignore[arg-type]
            self._values = BatchValidator(element, hide_input=hide_input)

    def validate(self, data: Any) -> Any:
        if self.schema.is_tensor_spec():
            return self._tensors(data)
        if self._values is not None and not _is_frame(data):
            values = self._values.validate(data)
            return [v.model_dump() if isinstance(v, pydantic.BaseModel) else v for v in values]
        return self._columns(data)

    # -- columns ------------------------------------------------------------------------------

    def _columns(self, data: Any) -> Any:
        pd = _pd()
        frame = self._to_frame(data)
        specs: list[ColSpec] = list(self.schema.inputs)  # type: ignore[arg-type]
        issues: list[Issue] = []
        if self.schema.has_input_names():
            by_name = {str(c): i for i, c in enumerate(frame.columns)}
            wanted = [s.name for s in specs]
            extra = [str(c) for c in frame.columns if str(c) not in wanted]
            positions = [by_name.get(s.name) for s in specs]  # type: ignore[arg-type]
        else:
            extra = [str(c) for c in frame.columns[len(specs) :]]
            positions = [i if i < frame.shape[1] else None for i in range(len(specs))]
        if extra:
            warnings.warn(
                f"columns {extra} are not in the model's input schema and were dropped",
                TypedModelWarning,
                stacklevel=4,
            )
        out: dict[Any, Any] = {}
        for i, (spec, pos) in enumerate(zip(specs, positions, strict=True)):
            key = spec.name if spec.name is not None else i
            if pos is None:
                if spec.required:
                    issues.append(
                        Issue(None, (key,), "missing_column", "Required column is missing")
                    )
                continue
            column, col_issues = self._cast(frame.iloc[:, pos], spec, i, key)
            issues.extend(col_issues)
            out[key] = column
        if issues:
            raise ValidationError(issues, hide_input=self.hide_input)
        return pd.DataFrame(out, index=frame.index)

    def _to_frame(self, data: Any) -> Any:
        pd = _pd()
        if isinstance(data, pd.DataFrame):
            return data
        if isinstance(data, pd.Series):
            return data.to_frame()
        if _is_ndarray(data):
            return pd.DataFrame(data if data.ndim > 1 else {0: data})
        if isinstance(data, Mapping):
            values = list(data.values())
            is_columns = (
                all(
                    isinstance(v, (list, tuple)) or _is_ndarray(v) or isinstance(v, pd.Series)
                    for v in values
                )
                and len({len(v) for v in values}) == 1
            )
            if is_columns and not self._has_array_columns():
                return pd.DataFrame(dict(data))
            return pd.DataFrame([dict(data)])
        if isinstance(data, (list, tuple)):
            if data and all(isinstance(r, Mapping) for r in data):
                return pd.DataFrame(list(data))
            if len(self.schema.inputs) == 1:
                return pd.DataFrame({0: list(data)})
            return pd.DataFrame(list(data))
        raise _batch_type_issue(data, "a DataFrame, a list of rows or a dict of columns")

    def _has_array_columns(self) -> bool:
        return any(isinstance(s.type, Array) for s in self.schema.inputs)

    def _cast(self, col: Any, spec: ColSpec, index: int, key: Any) -> tuple[Any, list[Issue]]:
        np = _np()
        mask = col.isna().to_numpy()
        issues: list[Issue] = []
        if spec.required and mask.any():
            issues.extend(
                Issue(int(r), (key,), "missing", "Field required") for r in np.flatnonzero(mask)
            )
        if index in self._nested:
            return self._cast_nested(col, mask, index, key, issues)
        assert isinstance(spec.type, DataType)
        try:
            converted, bad = _cast_scalar(col, mask, spec.type)
        except _ColumnTypeError as exc:
            return col, [*issues, Issue(None, (key,), "column_type", str(exc))]
        if bad is not None and bad.any():
            values = col.tolist()
            want = spec.type.value
            issues.extend(
                Issue(
                    int(r),
                    (key,),
                    "value_type",
                    f"Input should be a {want} without loss of value",
                    OMITTED if self.hide_input else values[r],
                )
                for r in np.flatnonzero(bad)
            )
        return converted, issues

    def _cast_nested(
        self, col: Any, mask: Any, index: int, key: Any, issues: list[Issue]
    ) -> tuple[Any, list[Issue]]:
        pd = _pd()
        values = _column_values(col, missing=None)
        try:
            validated = self._nested[index].validate_python(values)
        except pydantic.ValidationError as exc:
            found = _issues_from(exc, batch=True, hide_input=self.hide_input)
            issues.extend(
                dataclasses.replace(i, loc=(key, *i.loc)) for i in found if i.row is not None
            )
            return col, issues
        dumped = [v.model_dump() if isinstance(v, pydantic.BaseModel) else v for v in validated]
        return pd.Series(dumped, index=col.index, dtype=object), issues

    # -- tensors ------------------------------------------------------------------------------

    def _tensors(self, data: Any) -> Any:
        pd = _pd()
        specs: list[TensorSpec] = list(self.schema.inputs)  # type: ignore[arg-type]
        issues: list[Issue] = []
        if not self.schema.has_input_names():
            if isinstance(data, pd.DataFrame):
                data = data.to_numpy()
            if isinstance(data, Mapping):
                raise _batch_type_issue(data, "one array")
            value = _tensor(data, specs[0], None, issues)
            if issues:
                raise ValidationError(issues, hide_input=self.hide_input)
            return value
        if isinstance(data, pd.DataFrame):
            data = {str(c): data[c].to_numpy() for c in data.columns}
        if not isinstance(data, Mapping):
            if len(specs) == 1:
                data = {specs[0].name: data}
            else:
                raise _batch_type_issue(data, "a dict of named arrays")
        extra = sorted(str(k) for k in data if k not in {s.name for s in specs})
        if extra:
            warnings.warn(
                f"inputs {extra} are not in the model's input schema and were dropped",
                TypedModelWarning,
                stacklevel=4,
            )
        out = {}
        for spec in specs:
            name = str(spec.name)
            if name not in data:
                issues.append(Issue(None, (name,), "missing_tensor", "Required tensor is missing"))
                continue
            out[name] = _tensor(data[name], spec, name, issues)
        if issues:
            raise ValidationError(issues, hide_input=self.hide_input)
        return out


class _ColumnTypeError(Exception):
    pass


_INT_LIMITS = {DataType.integer: (-(2**31), 2**31 - 1), DataType.long: (-(2**63), 2**63 - 1)}
_EXACT_INT_IN_FLOAT = {DataType.float: 2**24, DataType.double: 2**53}


def _cast_scalar(col: Any, mask: Any, target: DataType) -> tuple[Any, Any]:
    """The column converted to `target` and a mask of rows that can't be (or None)."""
    pd = _pd()
    np = _np()
    dtype = col.dtype
    numpy_dtype = getattr(dtype, "numpy_dtype", dtype)
    kind = getattr(numpy_dtype, "kind", "O")
    if isinstance(dtype, pd.CategoricalDtype):
        return _cast_scalar(col.astype(dtype.categories.dtype), mask, target)
    if kind == "O" or isinstance(dtype, pd.StringDtype):
        return _cast_object(col, mask, target)
    if target in _INT_LIMITS:
        lo, hi = _INT_LIMITS[target]
        if kind in "iu":
            values = _int_values(col, mask, numpy_dtype)
            bad = ~mask & ((values < lo) | (values > hi))
            return _to_int(col, mask, target), bad
        if kind == "f":
            values = col.to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(invalid="ignore"):
                bad = ~mask & ((values != np.floor(values)) | (values < lo) | (values > hi))
            return _to_int(col.where(~bad, np.nan) if bad.any() else col, mask, target), bad
    elif target in _EXACT_INT_IN_FLOAT:
        width = "float32" if target is DataType.float else "float64"
        if kind == "f":
            values = col.to_numpy(dtype="float64", na_value=np.nan)
            if target is DataType.float and numpy_dtype.itemsize > 4:
                with np.errstate(over="ignore"):
                    back = values.astype("float32").astype("float64")
                bad = ~mask & ~np.isnan(values) & (back != values)
                return col.astype(width), bad
            return col.astype(width), None
        if kind in "iu":
            # Compared as integers: 2**53 + 1 must not round to 2**53 before the check.
            limit = _EXACT_INT_IN_FLOAT[target]
            values = _int_values(col, mask, numpy_dtype)
            bad = ~mask & ((values > limit) | (values < -limit))
            return col.astype(width), bad
    elif (target, kind) in ((DataType.boolean, "b"), (DataType.datetime, "M")):
        return col, None
    raise _ColumnTypeError(f"Column has dtype {dtype}; expected {target.value} (only safe casts)")


def _int_values(col: Any, mask: Any, numpy_dtype: Any) -> Any:
    """An integer column as a numpy array of its own integer type (gaps as 0)."""
    if mask.any():
        return col.to_numpy(dtype=numpy_dtype, na_value=0)
    return col.to_numpy()


def _to_int(col: Any, mask: Any, target: DataType) -> Any:
    width = "int32" if target is DataType.integer else "int64"
    if mask.any() or col.isna().any():
        return col.astype(width.capitalize())  # nullable Int32 / Int64 keeps the gaps
    return col.astype(width)


def _cast_object(col: Any, mask: Any, target: DataType) -> tuple[Any, Any]:
    pd = _pd()
    np = _np()
    kind = pd.api.types.infer_dtype(col, skipna=True)
    if kind == "empty":
        return col, None
    ok_kinds = {
        DataType.string: {"string"},
        DataType.binary: {"bytes"},
        DataType.boolean: {"boolean"},
        DataType.long: {"integer"},
        DataType.integer: {"integer"},
        DataType.double: {"floating", "integer", "mixed-integer-float"},
        DataType.float: {"floating", "integer", "mixed-integer-float"},
        DataType.datetime: {"datetime", "datetime64", "date"},
    }[target]
    if kind in ok_kinds:
        if target in (DataType.string, DataType.binary, DataType.boolean):
            return col, None
        if target is DataType.datetime:
            return pd.to_datetime(col), None
        numeric = pd.Series(
            [np.nan if m else v for v, m in zip(col.tolist(), mask, strict=True)]
            if kind != "integer"
            else col.tolist(),
            index=col.index,
            dtype="float64" if kind != "integer" else ("Int64" if mask.any() else "int64"),
        )
        return _cast_scalar(numeric, mask, target)
    if target is DataType.datetime and kind == "string":
        parsed = pd.to_datetime(col, errors="coerce", format="ISO8601")
        return parsed, ~mask & parsed.isna().to_numpy()
    # Row by row: which values are of the wrong type.
    py = target.to_python()
    values = col.tolist()
    bad = np.array(
        [
            not m and not (isinstance(v, py) and not (py is int and isinstance(v, bool)))
            for v, m in zip(values, mask, strict=True)
        ],
        dtype=bool,
    )
    if bad.any():
        return col, bad
    return _cast_object(pd.Series(values, index=col.index, dtype=object), mask, target)


def _tensor(value: Any, spec: TensorSpec, name: str | None, issues: list[Issue]) -> Any:
    np = _np()
    loc = (name,) if name is not None else ()
    where = f"tensor {name!r}" if name else "the tensor"
    target = spec.type
    from_json = not _is_ndarray(value)
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        issues.append(Issue(None, loc, "tensor_type", f"{where} is not an array: {exc}"))
        return value
    if arr.dtype != target:
        casting = "same_kind" if from_json else "safe"
        ok = np.can_cast(arr.dtype, target, casting) or (
            from_json and arr.dtype.kind in "iu" and target.kind == "f"
        )
        if arr.dtype.kind == "f" and target.kind in "iu" and from_json:
            ok = bool(np.all(np.isfinite(arr)) and np.all(arr == np.floor(arr)))
        if arr.dtype.kind in "iu" and target.kind == "f" and arr.size:
            limit = 2 ** (np.finfo(target).nmant + 1)
            ok = ok and bool(np.max(np.abs(arr)) <= limit)
        if not ok:
            issues.append(
                Issue(
                    None,
                    loc,
                    "tensor_dtype",
                    f"{where} has dtype {arr.dtype}; expected {target} (only safe casts)",
                )
            )
            return value
        arr = arr.astype(target)
    if arr.ndim != len(spec.shape) or any(
        want not in (-1, got) for want, got in zip(spec.shape, arr.shape, strict=False)
    ):
        issues.append(
            Issue(
                None,
                loc,
                "tensor_shape",
                f"{where} has shape {tuple(arr.shape)}; expected {spec.shape} (-1: any size)",
            )
        )
    return arr


# ---------------------------------------------------------------------------------------------
# Tree -> Python hint (to validate nested columns of explicit schemas with pydantic)
# ---------------------------------------------------------------------------------------------


def tree_to_hint(dtype: DType) -> Any:
    """A Python type that pydantic validates as `dtype` describes.

    Example:
        >>> tree_to_hint(Array("double"))
        list[float]
    """
    if isinstance(dtype, DataType):
        return _PY_HINTS[dtype]
    if isinstance(dtype, AnyType):
        return Any
    if isinstance(dtype, Array):
        return list[tree_to_hint(dtype.dtype)]  # type: ignore[misc]
    if isinstance(dtype, Map):
        return dict[str, tree_to_hint(dtype.value_type)]  # type: ignore[misc]
    if isinstance(dtype, LiteralType):
        return Literal[dtype.values]
    if isinstance(dtype, UnionType):
        return typing.Union[tuple(tree_to_hint(t) for t in dtype.types)]  # noqa: UP007
    if isinstance(dtype, Object):
        fields: dict[str, Any] = {}
        for prop in dtype.properties:
            hint = tree_to_hint(prop.dtype)
            fields[prop.name] = (hint, ...) if prop.required else (hint | None, None)
        return pydantic.create_model(
            "Object", __config__=pydantic.ConfigDict(extra="forbid"), **fields
        )
    raise SchemaError(f"not a schema type node: {dtype!r}")  # pragma: no cover


_PY_HINTS: dict[DataType, Any] = {
    DataType.boolean: bool,
    DataType.integer: typing.Annotated[int, pydantic.Field(ge=-(2**31), le=2**31 - 1)],
    DataType.long: typing.Annotated[int, pydantic.Field(ge=-(2**63), le=2**63 - 1)],
    DataType.float: float,
    DataType.double: float,
    DataType.string: str,
    DataType.binary: bytes,
    DataType.datetime: _dt.datetime,
}


# ---------------------------------------------------------------------------------------------
# Request bodies (MLflow's scoring protocol)
# ---------------------------------------------------------------------------------------------

REQUEST_KEYS = ("inputs", "dataframe_split", "dataframe_records", "instances")


def parse_request(body: Any, *, records: bool = False) -> tuple[Any, Any]:
    """The batch and params of an MLflow-style request body.

    Accepts ``{"inputs": ...}``, ``{"dataframe_split": {"columns", "data"}}``,
    ``{"dataframe_records": [...]}`` and ``{"instances": ...}``, each with optional
    ``"params"``. DataFrame forms give a DataFrame, or a list of row dicts when `records`
    (exact for typed models: no NaN stands in for a missing int).

    Raises:
        ValidationError: for a body of the wrong shape (not a dict, none or several of the
            input keys, unknown keys, a malformed ``dataframe_split``).
    """
    if not isinstance(body, Mapping):
        raise _request_issue(f"The body must be a JSON object, got {type(body).__name__}")
    present = [k for k in REQUEST_KEYS if k in body]
    unknown = sorted(str(k) for k in body if k not in (*REQUEST_KEYS, "params"))
    if unknown:
        raise _request_issue(
            f"Unknown keys {unknown}; use one of {list(REQUEST_KEYS)} and 'params'"
        )
    if len(present) != 1:
        raise _request_issue(
            f"The body needs exactly one of {list(REQUEST_KEYS)}, got {present or 'none'}"
        )
    key = present[0]
    params = body.get("params")
    if params is not None and not isinstance(params, Mapping):
        raise _request_issue("'params' must be a JSON object of name -> value", ("params",))
    value = body[key]
    if key == "dataframe_split":
        return _split_frame(value, records=records), params
    if key == "dataframe_records":
        if not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value):
            raise _request_issue("'dataframe_records' must be a list of objects", (key,))
        return (value if records else _pd().DataFrame.from_records(value)), params
    return value, params


def _split_frame(value: Any, *, records: bool) -> Any:
    where = ("dataframe_split",)
    if not isinstance(value, Mapping) or "data" not in value:
        raise _request_issue("'dataframe_split' must be an object with 'columns' and 'data'", where)
    data = value["data"]
    columns = value.get("columns")
    if not isinstance(data, list) or not all(isinstance(r, list) for r in data):
        raise _request_issue("'dataframe_split.data' must be a list of rows (lists)", where)
    if columns is None:
        columns = list(range(len(data[0]))) if data else []
    if not isinstance(columns, list) or any(len(r) != len(columns) for r in data):
        raise _request_issue(
            "every row of 'dataframe_split.data' must have one value per column", where
        )
    if records:
        names = [str(c) for c in columns]
        return [dict(zip(names, row, strict=True)) for row in data]
    return _pd().DataFrame(data, columns=columns)


def _request_issue(msg: str, loc: tuple[str, ...] = ()) -> ValidationError:
    return ValidationError([Issue(None, loc, "request_format", msg)], title="request")
