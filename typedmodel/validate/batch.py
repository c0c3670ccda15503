"""`BatchValidator`: a ``list[X]`` hint validated on pydantic-core, with adapters for DataFrames,
Series, arrays and dicts of columns (built column-wise).
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic

from typedmodel.errors import Issue, ValidationError
from typedmodel.hints import _is_model, _strip_optional, _wire_name
from typedmodel.validate._common import _DROP, _batch_type_issue, _issues_from, _np, _pd


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
        batch: Any = list[_bounded(element)]  # type: ignore[misc]  # a runtime-built hint
        self.adapter: pydantic.TypeAdapter[list[Any]] = pydantic.TypeAdapter(batch)
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
            return self.core(rows, strict=self.strict or None)  # type: ignore[no-any-return]
        except pydantic.ValidationError as exc:
            raise self.error(exc) from None

    @property
    def core(self) -> Any:
        """pydantic-core's validate function for the batch (no per-call wrapper around it)."""
        return self.adapter.validator.validate_python

    def error(self, exc: pydantic.ValidationError) -> ValidationError:
        """Our `ValidationError` for pydantic's, issues indexed by row."""
        return ValidationError(
            _issues_from(exc, batch=True, hide_input=self.hide_input), hide_input=self.hide_input
        )

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
        columns = []
        drops = False
        for i, name in enumerate(names):
            col = frame.iloc[:, i]
            mask = _gaps(col)
            fill = None if self.fields.get(name) else _DROP
            drops = drops or (fill is _DROP and bool(mask.any()))
            columns.append(_fill(col.tolist(), mask, fill))
        return _rows(names, columns, drops=drops)

    def _columns(self, data: Mapping[str, Any]) -> list[Any]:
        names = [str(k) for k in data]
        columns = [_plain_list(v) for v in data.values()]
        return _rows(names, columns, drops=False)


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


def _rows(names: list[str], columns: list[list[Any]], *, drops: bool) -> list[dict[str, Any]]:
    """One dict per row; where `drops`, cells marked `_DROP` are left out of their row."""
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    if drops:
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
    return _fill(col.tolist(), _gaps(col), missing)


def _fill(values: list[Any], mask: Any, missing: Any) -> list[Any]:
    if mask.any():
        return [missing if m else v for v, m in zip(values, mask, strict=True)]
    return values


def _object_kind(col: Any) -> str | None:
    """pandas' C-level kind of a numpy object column's values (``"string"`` when all are str,
    gaps counted), or None for other dtypes."""
    dtype = col.dtype
    if isinstance(dtype, _np().dtype) and dtype.kind == "O":
        return str(_pd().api.types.infer_dtype(col.to_numpy(), skipna=False))
    return None


def _gaps(col: Any, object_kind: str | None = None) -> Any:
    """Where a column is missing (NaN, None, NA, NaT), as a numpy bool array.

    `object_kind` is `_object_kind(col)` when the caller has it already.
    """
    np = _np()
    dtype = col.dtype
    if isinstance(dtype, np.dtype):  # not an extension dtype (those have their own NA)
        if dtype.kind in "iub":
            return np.zeros(len(col), dtype=bool)  # numpy ints and bools have no gaps
        if dtype.kind == "O":
            kind = object_kind if object_kind is not None else _object_kind(col)
            if kind in ("string", "bytes"):  # all str (or bytes), no NaN/None: one C pass
                return np.zeros(len(col), dtype=bool)
    return col.isna().to_numpy()


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
