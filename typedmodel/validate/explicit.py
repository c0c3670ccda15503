"""`SchemaEnforcer`: explicit ColSpec / TensorSpec schemas enforced on DataFrames and arrays,
vectorised, safe casts only; `tree_to_hint` for nested columns.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import typing
import warnings
from collections.abc import Mapping
from typing import Any, Literal

import pydantic

from typedmodel.errors import OMITTED, Issue, SchemaError, TypedModelWarning, ValidationError
from typedmodel.schema import (
    AnyType,
    Array,
    ColSpec,
    DataType,
    DType,
    LiteralType,
    Map,
    Object,
    Schema,
    TensorSpec,
    UnionType,
)
from typedmodel.validate._common import _batch_type_issue, _issues_from, _np, _pd
from typedmodel.validate.batch import BatchValidator, _column_values, _is_frame, _is_ndarray


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
        array = _column_getter(frame)
        converted: dict[int, Any] = {}  # position in the schema -> new column
        present: list[int] = []  # the frame's positions of the schema's columns, in order
        for i, (spec, pos) in enumerate(zip(specs, positions, strict=True)):
            key = spec.name if spec.name is not None else i
            if pos is None:
                if spec.required:
                    issues.append(
                        Issue(None, (key,), "missing_column", "Required column is missing")
                    )
                continue
            present.append(pos)
            values = array(pos)
            if isinstance(spec.type, DataType) and _holds(values, spec.type):
                # Already the schema's dtype: only gaps in a required column can be wrong
                # (a numpy object column holds only when it has no gaps at all).
                plain_objects = isinstance(values.dtype, _np().dtype) and values.dtype.kind == "O"
                if spec.required and not plain_objects:
                    issues.extend(_array_gaps(values, key))
                continue
            widened = _widen(values, spec.type) if isinstance(spec.type, DataType) else None
            if widened is not None:  # int32 -> long, float32 -> double...: exact by dtype
                if spec.required and widened.dtype.kind == "f":
                    issues.extend(_array_gaps(widened, key))
                converted[len(present) - 1] = widened
                continue
            column, col_issues = self._cast(frame.iloc[:, pos], spec, i, key)
            issues.extend(col_issues)
            converted[len(present) - 1] = column
        if issues:
            raise ValidationError(issues, hide_input=self.hide_input)
        if converted:
            # A new frame: converted columns, and the caller's other columns as Series (pandas
            # copies them on write, so predict can't change the caller's frame).
            columns = {
                frame.columns[pos]: converted[j] if j in converted else frame.iloc[:, pos]
                for j, pos in enumerate(present)
            }
            result = pd.DataFrame(columns, index=frame.index, copy=False)
        elif present == list(range(frame.shape[1])):
            result = frame.copy(deep=False)
        else:
            result = frame.iloc[:, present]
        if not self.schema.has_input_names():
            result.columns = pd.RangeIndex(len(present))
        return result

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
        issues: list[Issue] = _gaps(col, key) if spec.required else []
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
                    f"Input should be {_article(want)} {want} without loss of value",
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
        if isinstance(data, list) and data and all(isinstance(r, Mapping) for r in data):
            # MLflow's "instances" form: one dict per example; stack each name's values.
            data = {
                key: [row.get(key) for row in data]
                for key in dict.fromkeys(k for r in data for k in r)
            }
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


def _holds(values: Any, target: DataType) -> bool:
    """Do a column's values already hold `target` values, with nothing to cast?"""
    pd = _pd()
    dtype = values.dtype
    if target in _OBJECT_KINDS:
        if getattr(dtype, "kind", "") == "O":
            # Strings (or bytes) with no gaps at all: pandas' C-level check, no Python loop.
            return bool(pd.api.types.infer_dtype(values, skipna=False) == _OBJECT_KINDS[target])
        return target is DataType.string and isinstance(dtype, pd.StringDtype)
    if target is DataType.datetime:
        return getattr(dtype, "kind", "") == "M" or isinstance(dtype, pd.DatetimeTZDtype)
    return bool(dtype == _numpy_dtype(target))


_OBJECT_KINDS = {DataType.string: "string", DataType.binary: "bytes"}


@functools.cache
def _numpy_dtype(target: DataType) -> Any:
    return target.to_numpy()


def _widen(values: Any, target: DataType) -> Any:
    """`values` cast to `target` when its dtype alone makes the cast exact, else None."""
    np = _np()
    if not isinstance(values, np.ndarray) or values.dtype.kind not in "iuf":
        return None
    want = _numpy_dtype(target)
    if want.kind not in "iuf" or not np.can_cast(values.dtype, want, "safe"):
        return None
    # numpy calls int64 -> float64 safe; it is exact only up to the mantissa's width.
    too_wide = values.dtype.itemsize * 8 > np.finfo(want).nmant + 1 if want.kind == "f" else False
    if values.dtype.kind in "iu" and too_wide:
        return None
    return values.astype(want)


def _column_getter(frame: Any) -> Any:
    """A function from a column's position to its values (a numpy or extension array)."""
    fast = getattr(frame, "_get_column_array", None)  # pandas' own accessor, 1.x to 3.x
    if callable(fast):
        return fast
    return lambda pos: frame.iloc[:, pos].array  # pragma: no cover  # a pandas without it


def _array_gaps(values: Any, key: Any) -> list[Issue]:
    """Rows of a column's values that are missing (NaN, None, NA, NaT)."""
    np = _np()
    kind = getattr(values.dtype, "kind", "O")
    if kind in "iub" and isinstance(values, np.ndarray):
        return []  # numpy ints and bools have no gaps
    if kind == "f" and isinstance(values, np.ndarray):
        mask = np.isnan(values)
    elif kind in "Mm" and isinstance(values, np.ndarray):
        mask = np.isnat(values)
    else:
        mask = np.asarray(_pd().isna(values), dtype=bool)
    if not mask.any():
        return []
    return [Issue(int(r), (key,), "missing", "Field required") for r in np.flatnonzero(mask)]


def _gaps(col: Any, key: Any) -> list[Issue]:
    np = _np()
    mask = col.isna().to_numpy()
    if not mask.any():
        return []
    return [Issue(int(r), (key,), "missing", "Field required") for r in np.flatnonzero(mask)]


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
            if np.can_cast(numpy_dtype, target.to_numpy(), "safe"):
                return _to_int(col, mask, target), None  # int32 -> long: nothing to check
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
            if target is DataType.float and numpy_dtype.itemsize > 4:
                values = col.to_numpy(dtype="float64", na_value=np.nan)
                with np.errstate(over="ignore"):
                    narrow = values.astype("float32")
                bad = ~mask & ~np.isnan(values) & (narrow.astype("float64") != values)
                return _series(narrow, col), bad
            return _series(col.to_numpy(dtype=width, na_value=np.nan), col), None
        if kind in "iu":
            if numpy_dtype.itemsize <= (2 if target is DataType.float else 4):
                return col.astype(width), None  # every int16 / int32 value is exact
            # Compared as integers: 2**53 + 1 must not round to 2**53 before the check.
            limit = _EXACT_INT_IN_FLOAT[target]
            values = _int_values(col, mask, numpy_dtype)
            bad = ~mask & ((values > limit) | (values < -limit))
            return col.astype(width), bad
    elif (target, kind) in ((DataType.boolean, "b"), (DataType.datetime, "M")):
        return col, None
    raise _ColumnTypeError(f"Column has dtype {dtype}; expected {target.value} (only safe casts)")


def _series(values: Any, like: Any) -> Any:
    return _pd().Series(values, index=like.index, name=like.name, copy=False)


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
    # Row by row: which values are of the wrong type (an int is a fine float, a bool no number).
    accepted: tuple[type, ...] = (
        (int, float) if target.to_python() is float else (target.to_python(),)
    )
    numeric = target.is_numeric
    values = col.tolist()
    bad = np.array(
        [
            not m and not (isinstance(v, accepted) and not (numeric and isinstance(v, bool)))
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

    Examples:
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


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
