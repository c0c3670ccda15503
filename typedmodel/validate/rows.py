"""`BatchValidator`: a ``list[X]`` hint validated row by row on pydantic-core, with adapters for
DataFrames, Series, arrays and dicts of columns.

The rows of a DataFrame (or of a dict of columns) follow the table rule of missing values, as
the columnar path does: a gap is None where the field is nullable, the default where it has one
(the key is left out of the row), and a ``missing`` issue otherwise.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pydantic
import typing_extensions

from typedmodel.errors import Issue, ValidationError
from typedmodel.hints import _is_model, _strip_optional, _wire_name
from typedmodel.validate._common import batch_type_issue, current_issue_limit, first_issues
from typedmodel.validate._core import ExactValidator, issues_from

__all__ = ["BatchValidator"]

_DROP = object()  # a missing cell whose key is left out of its row


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
        self.exact = ExactValidator(element, batch=True)
        inner, self.nullable = _strip_optional(element)
        self.is_record = _is_record(inner)
        self.is_sequence = typing.get_origin(inner) in (list, tuple, Sequence)
        self.fields = _record_fields(inner)  # wire name -> accepts None
        self.hint_name = f"list[{getattr(element, '__name__', repr(element))}]"

    def validate(self, data: Any) -> list[Any]:
        """The validated batch (new objects; `data` is not changed)."""
        rows, gaps = self.adapt(data)
        if self.strict:
            rows = _without_numpy_scalars(rows)  # numpy scalars are numbers, even in strict mode
        strict = self.strict or None
        limit = current_issue_limit()
        if limit is not None and len(rows) > limit:
            return self._limited(rows, gaps, limit, strict)
        try:
            return self.exact.validate(rows, strict=strict)  # type: ignore[no-any-return]
        except pydantic.ValidationError as exc:
            raise self.error(exc, gaps) from None

    def error(self, exc: pydantic.ValidationError, gaps: Any = None) -> ValidationError:
        """Our `ValidationError` for pydantic's, issues indexed by row."""
        issues = issues_from(exc, batch=True, hide_input=self.hide_input)
        listed, cut = first_issues(self._with_gaps(issues, gaps), current_issue_limit())
        return ValidationError(listed, hide_input=self.hide_input, stopped=cut)

    def _with_gaps(self, issues: list[Issue], gaps: Any, end: int | None = None) -> list[Issue]:
        if gaps:  # a gap in a batch of scalars is missing, not a value of the wrong type
            issues = [i for i in issues if i.row not in gaps]
            issues.extend(
                Issue(row, (), "missing", "Field required")
                for row in gaps
                if end is None or row < end
            )
            issues.sort(key=lambda i: -1 if i.row is None else i.row)
        return issues

    def _limited(self, rows: list[Any], gaps: Any, limit: int, strict: bool | None) -> list[Any]:
        """`validate` under an issue limit (see `ExactValidator.validate_until`)."""
        out, failed, checked = self.exact.validate_until(rows, limit, strict=strict)
        if not failed:
            return out
        issues = [
            issue
            for start, exc in failed
            for issue in issues_from(
                exc, batch=True, hide_input=self.hide_input, rows=range(start, checked)
            )
        ]
        listed, cut = first_issues(self._with_gaps(issues, gaps, end=checked), limit)
        raise ValidationError(listed, hide_input=self.hide_input, stopped=cut)

    def adapt(self, data: Any) -> tuple[Any, set[int]]:
        """The batch as a list pydantic can read (caller's objects untouched), and the rows of
        a batch of scalars that are gaps of a table (each a ``missing`` issue)."""
        if isinstance(data, list):
            return data, set()
        if isinstance(data, tuple):
            return list(data), set()
        pd = sys.modules.get("pandas")
        if pd is not None and isinstance(data, pd.DataFrame):
            return self._frame(data)
        if pd is not None and isinstance(data, pd.Series):
            return self._scalars(data)
        np = sys.modules.get("numpy")
        if np is not None and isinstance(data, np.ndarray):
            if data.ndim == 1 or (data.ndim == 2 and self.is_sequence):
                return data.tolist(), set()
            raise ValidationError(
                [Issue(None, (), "batch_shape", f"Expected a 1-D array, got shape {data.shape}")]
            )
        if isinstance(data, Mapping) and self.is_record and _is_columns(data, self.fields):
            return self._columns(data), set()
        raise batch_type_issue(data, self.hint_name)

    def _frame(self, frame: Any) -> tuple[list[Any], set[int]]:
        from typedmodel.validate.columns import repeated_labels

        repeated = repeated_labels(list(frame.columns))
        if repeated:
            raise ValidationError(repeated, hide_input=self.hide_input)
        if not self.is_record:
            if frame.shape[1] != 1:
                raise ValidationError(
                    [
                        Issue(
                            None,
                            (),
                            "frame_columns",
                            f"Expected one column for {self.hint_name}, got "
                            f"{frame.shape[1]} columns {_labels(frame.columns)}: select the "
                            "column to predict on",
                        )
                    ]
                )
            return self._scalars(frame.iloc[:, 0])
        names = [str(c) for c in frame.columns]
        columns = [_cells(frame.iloc[:, i], self._fill(name)) for i, name in enumerate(names)]
        return _rows(names, columns, len(frame)), set()

    def _scalars(self, col: Any) -> tuple[list[Any], set[int]]:
        values, mask = _values_and_gaps(col)
        if not mask.any():
            return values, set()
        gaps = {int(i) for i in mask.nonzero()[0]}
        return [None if i in gaps else v for i, v in enumerate(values)], (
            set() if self.nullable else gaps
        )

    def _fill(self, name: str) -> Any:
        return None if self.fields.get(name) else _DROP

    def _columns(self, data: Mapping[str, Any]) -> list[Any]:
        import pandas as pd

        names = [str(k) for k in data]
        columns = [
            _cells(pd.Series(_plain_list(v), dtype=object), self._fill(n))
            for n, v in zip(names, data.values(), strict=True)
        ]
        return _rows(names, columns, len(columns[0]))


def _cells(col: Any, fill: Any) -> list[Any]:
    values, mask = _values_and_gaps(col)
    if mask.any():
        return [fill if m else v for v, m in zip(values, mask, strict=True)]
    return values


def _values_and_gaps(col: Any) -> tuple[list[Any], Any]:
    from typedmodel.validate.columns import column_array, gaps

    return col.tolist(), gaps(column_array(col))


def _rows(names: list[str], columns: list[list[Any]], n: int) -> list[dict[str, Any]]:
    """One dict per row; cells marked `_DROP` are left out of their row."""
    if not columns:
        return [{} for _ in range(n)]
    rows: list[dict[str, Any]]
    if len(columns) <= _LITERAL_ROWS:
        rows = _row_maker(len(columns))(columns, *names)
    else:
        rows = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    if any(_DROP in column for column in columns):
        rows = [{k: v for k, v in row.items() if v is not _DROP} for row in rows]
    return rows


_LITERAL_ROWS = 64
"""Up to this many columns, rows are built by a dict display (twice as fast as dict(zip))."""


@functools.lru_cache(maxsize=_LITERAL_ROWS)
def _row_maker(count: int) -> Callable[..., list[dict[str, Any]]]:
    """``make(columns, name0, name1, ...)``: one ``{name0: v0, ...}`` per row of the columns.
    The source holds only generated identifiers; the names are arguments."""
    keys = ", ".join(f"k{i}" for i in range(count))
    values = ", ".join(f"v{i}" for i in range(count)) + ","
    pairs = ", ".join(f"k{i}: v{i}" for i in range(count))
    source = f"def make(columns, {keys}):\n    return [{{{pairs}}} for {values} in zip(*columns)]\n"
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # the source is generated from a count alone
    make: Callable[..., list[dict[str, Any]]] = namespace["make"]
    return make


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


def _labels(columns: Any) -> str:
    """A few column names, for a message (a frame may have thousands)."""
    names = [str(c)[:40] for c in list(columns[:5])]
    return repr(names)[:-1] + (", ...]" if len(columns) > 5 else "]")


def _plain_list(values: Any) -> list[Any]:
    if isinstance(values, list):
        return values
    if hasattr(values, "tolist"):
        return list(values.tolist())
    return list(values)


def _is_record(element: Any) -> bool:
    origin = typing.get_origin(element)
    return (
        _is_model(element)
        or (isinstance(element, type) and dataclasses.is_dataclass(element))
        or bool(typing_extensions.is_typeddict(element))
        or origin in (dict, Mapping)
        or element in (dict, Mapping)
    )


def _record_fields(element: Any) -> dict[str, bool]:
    """Wire name -> whether the field accepts None (so a missing cell becomes None)."""
    if _is_model(element):
        return {
            _wire_name(name, info): _strip_optional(info.annotation)[1]
            for name, info in element.model_fields.items()
        }
    if isinstance(element, type) and (
        dataclasses.is_dataclass(element) or typing_extensions.is_typeddict(element)
    ):
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
        if getattr(value, "ndim", 1) != 1:
            return False
        lengths.add(len(value))
    return len(lengths) == 1
