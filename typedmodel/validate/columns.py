"""The columnar engine: a table checked column by column, vectorised, for ``Frame[Row]`` and
explicit ColSpec schemas alike.

Each column is compiled once into a `ColumnPlan`: its tree node and rule (from
`typedmodel.schema.rules`), whether it may be missing, its default, its constraints, and the
pydantic hint that checks values one by one when no vectorised check applies. A batch is read
into columns (`read_table`), each column is checked with numpy over the whole array, and issues
are built only for the rows that fail, with the error types and messages the row-wise path (and
pydantic) gives for the same values.

What "missing" means depends on the form of the batch, as it does row-wise:

- a DataFrame, or a dict of columns: a gap (None, NaN, NA, NaT) is missing: None where the
  column is nullable, the default where it has one, else a ``missing`` issue;
- a list of rows: a key left out is missing (the default, or a ``missing`` issue); None is a
  value, None where the column is nullable and a type issue where it is not.

A column whose values no vectorised check covers (objects of mixed types, nested values,
strings for numbers) is checked by pydantic, still column by column, with the same rules.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pydantic

from typedmodel.errors import OMITTED, Issue, TypedModelWarning, ValidationError, short_names
from typedmodel.schema import MISSING, Array, Constraints, DataType, LiteralType
from typedmodel.schema.nodes import DType
from typedmodel.schema.rules import TypeRule, applicable, inexact, not_a_number, out_of_range
from typedmodel.schema.rules import rule as rule_of
from typedmodel.validate._common import batch_type_issue, current_issue_limit, first_issues
from typedmodel.validate._core import ExactValidator, issues_from
from typedmodel.validate._numbers import ints_held

__all__ = [
    "ColumnPlan",
    "Table",
    "TableValidator",
    "column_array",
    "gaps",
    "read_table",
    "repeated_labels",
]

_ABSENT = object()  # a key left out of a row


@dataclass(eq=False)
class ColumnPlan:
    """How one column is checked and converted.

    Attributes:
        key: the column as issues name it (a field's wire name, a ColSpec's name or position).
        names: the labels the column may have in a batch (a field's name and its alias).
        dtype: the column's tree node.
        required: whether a row must hold a value (a key left out is a ``missing`` issue).
        nullable: whether None is a value.
        default: what a missing value becomes when not required (or `MISSING`).
        constraints: limits on each value.
        hint: the pydantic hint that checks one value where no vectorised check applies.
        is_enum: allowed values from an Enum (their issues say ``enum``, as pydantic's do).
    """

    key: str | int
    names: tuple[Any, ...]
    dtype: DType
    required: bool
    nullable: bool
    default: Any
    constraints: Constraints
    hint: Any
    is_enum: bool = False
    _values: ExactValidator | None = field(default=None, repr=False)

    @property
    def rule(self) -> TypeRule | None:
        return rule_of(self.dtype) if isinstance(self.dtype, DataType) else None

    @functools.cached_property
    def fast(self) -> _Fast | None:
        """What `_fast_column` checks for this column (None: the full checks always run)."""
        return _fast_plan(self)

    def values_validator(self) -> ExactValidator:
        """pydantic, value by value, for this column (built on first use, then kept)."""
        if self._values is None:
            self._values = ExactValidator(self.hint, batch=True)
        return self._values


# ---------------------------------------------------------------------------------------------
# Reading a batch into columns
# ---------------------------------------------------------------------------------------------


@dataclass
class Table:
    """A batch as columns: labels and arrays, and whether it came as rows (`records`)."""

    n: int
    index: Any
    labels: list[Any]
    arrays: list[Any]  # numpy arrays or pandas extension arrays, one per label
    records: bool = False
    absent: list[Any] = field(default_factory=list)  # records: a bool mask per label, or None
    issues: list[Issue] = field(default_factory=list)  # repeated labels


def read_table(
    data: Any,
    wanted: Sequence[ColumnPlan],
    *,
    what: str,
    lone_row: bool = False,
    by_position: bool = False,
) -> Table:
    """`data` as a `Table`: a DataFrame, a Series, a 1-D or 2-D array, a dict of equal-length
    columns, or a list of rows (dicts; lists of values where columns go `by_position`).

    With `lone_row`, a dict that is not a dict of columns is one row (as MLflow reads
    ``{"inputs": {"a": 1}}`` for a column schema); a dict is one row too when a wanted column
    holds lists (a dict of lists would be ambiguous).

    Raises:
        ValidationError: for anything else (a lone row says "wrap it in a list"), and for a
            batch that names a column twice.
    """
    table = _table(data, wanted, what=what, lone_row=lone_row, by_position=by_position)
    if table.issues:
        raise ValidationError(table.issues)
    return table


def _table(
    data: Any, wanted: Sequence[ColumnPlan], *, what: str, lone_row: bool, by_position: bool
) -> Table:
    if isinstance(data, pd.DataFrame):
        return _frame_table(data)
    if isinstance(data, pd.Series):
        label = data.name if data.name is not None else 0
        return Table(len(data), data.index, [label], [column_array(data)])
    if isinstance(data, np.ndarray):
        if data.ndim == 1:
            return Table(len(data), pd.RangeIndex(len(data)), [0], [data])
        if data.ndim == 2:
            n, count = data.shape
            return Table(n, pd.RangeIndex(n), list(range(count)), list(data.T))
        raise ValidationError(
            [Issue(None, (), "batch_shape", f"Expected a 1-D or 2-D array, got {data.ndim}-D")]
        )
    if isinstance(data, (list, tuple)):
        if all(isinstance(row, Mapping) for row in data):
            return _records_table(list(data), [] if by_position else wanted)
        if by_position and all(isinstance(row, (list, tuple)) for row in data):
            return _records_table([dict(enumerate(row)) for row in data], [])
        raise batch_type_issue(data, what)
    if isinstance(data, Mapping) and data:
        names = {str(n) for plan in wanted for n in plan.names}
        holds_lists = any(isinstance(plan.dtype, Array) for plan in wanted)
        columns = _columns_of(data, names)
        if columns is not None and not (lone_row and holds_lists):
            return columns
        if lone_row:
            return _records_table([data], [] if by_position else wanted)
    raise batch_type_issue(data, what)


_EXTRA = "Extra inputs are not permitted"
_NOT_A_STR_KEY = "Keys should be strings"


def _frame_table(frame: pd.DataFrame) -> Table:
    labels = list(frame.columns)
    fast = getattr(frame, "_get_column_array", None)  # pandas' own accessor, 2.x and 3.x
    arrays = [fast(i) if callable(fast) else frame.iloc[:, i].array for i in range(len(labels))]
    table = Table(len(frame), frame.index, labels, arrays)
    table.issues = repeated_labels(labels)
    return table


def repeated_labels(labels: Sequence[Any]) -> list[Issue]:
    """An issue for each column name that a batch has more than once (``1`` and ``"1"`` are
    the same name)."""
    seen: dict[str, int] = {}
    for label in labels:
        seen[str(label)] = seen.get(str(label), 0) + 1
    return [
        Issue(None, (name,), "duplicate_column", f"Column name appears {count} times")
        for name, count in seen.items()
        if count > 1
    ]


def _is_column(value: Any) -> bool:
    return isinstance(value, (list, tuple, pd.Series)) or (
        isinstance(value, np.ndarray) and value.ndim == 1
    )


def _columns_of(data: Mapping[Any, Any], names: set[str]) -> Table | None:
    """A dict of columns as a table: the wanted keys (all keys when none is wanted) are 1-D
    columns of one length; any other key is an extra column (dropped, whatever it holds)."""
    keys = [k for k in data if str(k) in names] or list(data)
    if not all(_is_column(data[k]) for k in keys):
        return None
    lengths = {len(data[k]) for k in keys}
    if len(lengths) != 1:
        return None
    (n,) = lengths
    labels = list(data)
    arrays = [
        _as_array(v) if _is_column(v) and len(v) == n else np.full(n, None, dtype=object)
        for v in data.values()
    ]
    table = Table(n, pd.RangeIndex(n), labels, arrays)
    table.issues = repeated_labels(labels)
    return table


def _as_array(values: Any) -> Any:
    if isinstance(values, pd.Series):
        return values.array
    if isinstance(values, np.ndarray):
        return values
    return _object_array(values)


def _object_array(values: Sequence[Any]) -> Any:
    """A 1-D object array of `values` (lists inside stay lists, never a second dimension)."""
    out = np.empty(len(values), dtype=object)
    out[:] = _Cells(values)
    return out


class _Cells:
    """Wraps values so numpy assigns them one per cell (no broadcasting of inner lists)."""

    __slots__ = ("values",)

    def __init__(self, values: Sequence[Any]) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, i: int) -> Any:
        return self.values[i]


def _records_table(rows: list[Mapping[Any, Any]], wanted: Sequence[ColumnPlan]) -> Table:
    n = len(rows)
    labels: list[Any] = []
    arrays: list[Any] = []
    absent: list[Any] = []
    taken: set[Any] = set()
    for plan in wanted:
        values = []
        for row in rows:
            for name in plan.names:
                if name in row:
                    values.append(row[name])
                    break
            else:
                values.append(_ABSENT)
        taken.update(plan.names)
        missing = np.fromiter((v is _ABSENT for v in values), dtype=bool, count=n)
        labels.append(plan.names[0])
        arrays.append(_object_array(values))
        absent.append(missing if missing.any() else None)
    extra = list(dict.fromkeys(k for row in rows for k in row if k not in taken))
    for key in extra:
        values = [row.get(key, _ABSENT) for row in rows]
        labels.append(key)
        arrays.append(_object_array(values))
        absent.append(np.fromiter((v is _ABSENT for v in values), dtype=bool, count=n))
    return Table(n, pd.RangeIndex(n), labels, arrays, records=True, absent=absent)


# ---------------------------------------------------------------------------------------------
# Validating the columns
# ---------------------------------------------------------------------------------------------


class TableValidator:
    """Checks a batch column by column against `plans` and builds the new DataFrame.

    Args:
        plans: the columns, in order.
        closed: whether other columns are issues (``extra_forbidden``, per row) rather than
            dropped with a `TypedModelWarning`.
        by_position: columns are matched by position (unnamed ColSpecs), not by name.
        keep_labels: the output keeps the batch's own column labels (explicit schemas) rather
            than the plans' keys (the fields' names, for ``Frame[Row]``).
        output_names: the output label of each plan, when not `keep_labels`.
        lone_row: a dict that is not a dict of columns is one row (see `read_table`).
        fill_absent: an optional column the batch doesn't have is in the output, filled with
            its default or missing values (``Frame[Row]``); else it is left out, as MLflow
            leaves it out for explicit schemas.
        what: how the batch's expected form is described in a ``batch_type`` issue.
        known: what the dropped columns are not, in the warning that names them.
    """

    def __init__(
        self,
        plans: Sequence[ColumnPlan],
        *,
        closed: bool = False,
        by_position: bool = False,
        keep_labels: bool = True,
        output_names: Sequence[Any] | None = None,
        hide_input: bool = False,
        lone_row: bool = False,
        fill_absent: bool = True,
        what: str = "a DataFrame, a list of rows or a dict of columns",
        known: str = "in the model's input schema",
    ) -> None:
        self.known = known
        self.plans = list(plans)
        self.fill_absent = fill_absent
        self._layouts: dict[Any, _Layout] = {}
        self.lone_row = lone_row
        self.closed = closed
        self.by_position = by_position
        self.keep_labels = keep_labels
        self.output_names = list(output_names) if output_names is not None else None
        self.hide_input = hide_input
        self.what = what

    def validate(self, data: Any) -> pd.DataFrame:
        if isinstance(data, pd.DataFrame):
            return self._validate_frame(data)
        table = read_table(
            data,
            self.plans,
            what=self.what,
            lone_row=self.lone_row,
            by_position=self.by_position,
        )
        issues: list[Issue] = []
        positions = self._positions(table)
        used = {p for p in positions if p is not None}
        extra = [i for i in range(len(table.labels)) if i not in used]
        issues.extend(self._extra(table, extra))
        out: dict[Any, Any] = {}
        for j, (plan, pos) in enumerate(zip(self.plans, positions, strict=True)):
            label = self._label(j, plan, table, pos)
            if not plan.required and not self.fill_absent and _absent_from(table, pos):
                continue
            if pos is None:
                column, found = self._left_out(plan, table.n)
            else:
                absent = table.absent[pos] if table.records else None
                column, found = self._column(plan, table.arrays[pos], table.records, absent)
            issues.extend(found)
            if column is not None:
                out[label] = column
        if issues:
            self._raise(issues)
        return _frame_of(list(out.values()), list(out), table.index)

    # -- a DataFrame: its own path, the serving hot path of explicit schemas ------------------

    def _validate_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """`validate` for a DataFrame: the columns' arrays as pandas holds them, each first
        through `_fast_column` (the dtype and one pass decide that every value is plainly
        valid), else through the full checks, which word the issues. The output shares the
        batch's arrays wherever nothing changes."""
        layout = self._layout(frame)
        if layout.issues:
            raise ValidationError(layout.issues, hide_input=self.hide_input)
        n = len(frame)
        fast_get = getattr(frame, "_get_column_array", None)  # pandas' own, 2.x and 3.x

        def get(i: int) -> Any:
            return fast_get(i) if callable(fast_get) else frame.iloc[:, i].array

        issues: list[Issue] = []
        if layout.extra:
            if self.closed:
                issues.extend(self._extra(_frame_table(frame), layout.extra))
            else:
                self._warn_extra([frame.columns[i] for i in layout.extra])
        arrays: list[Any] = []
        changed: list[int] = []
        for plan, pos in zip(self.plans, layout.positions, strict=True):
            if pos is None:
                if not plan.required and not self.fill_absent:
                    continue
                column, found = self._left_out(plan, n)
            else:
                values = get(pos)
                column = _fast_column(plan, values)
                found = []
                if column is None:
                    column, found = self._column(plan, values, False, None)
                if column is not values:
                    changed.append(len(arrays))
            issues.extend(found)
            arrays.append(column)
        if issues:
            self._raise(issues)
        out: pd.DataFrame
        if layout.identity and not changed:  # the batch's own columns, in order: its frame
            out = frame.copy(deep=False)
            return out
        blocks = _cast_together(arrays, n)
        if n >= _SET_COLUMNS_FROM:
            built = _frame_of_blocks(arrays, blocks, layout.columns, frame.index)
            if built is not None:
                return built
            if layout.identity:
                out = frame.copy(deep=False)
                for i in changed:  # as a Series on the same index: set without another copy
                    out.isetitem(i, pd.Series(arrays[i], index=out.index, copy=False))
                return out
        return _frame_of(arrays, layout.columns, frame.index)

    def _layout(self, frame: pd.DataFrame) -> _Layout:
        """Where each plan's column is in a frame of these labels (kept for the next batch with
        the same labels: a server sees the same columns every time)."""
        try:
            key: Any = tuple(frame.columns)
            found = self._layouts.get(key)
        except TypeError:  # an unhashable label
            key, found = None, None
        if found is not None:
            return found
        labels = list(frame.columns)
        table = Table(len(frame), frame.index, labels, [])
        positions = self._positions(table)
        used = {p for p in positions if p is not None}
        out_labels = [
            self._label_of(j, plan, labels, pos)
            for j, (plan, pos) in enumerate(zip(self.plans, positions, strict=True))
            if pos is not None or plan.required or self.fill_absent
        ]
        layout = _Layout(
            positions,
            [i for i in range(len(labels)) if i not in used],
            repeated_labels(labels),
            pd.Index(out_labels),
            out_labels == labels and len(out_labels) == len(labels),
        )
        if key is not None:
            if len(self._layouts) >= 64:
                self._layouts.clear()
            self._layouts[key] = layout
        return layout

    def _raise(self, issues: list[Issue]) -> None:
        order = {plan.key: j for j, plan in enumerate(self.plans)}
        listed, cut = first_issues(issues, current_issue_limit(), lambda x: _loc_order(x, order))
        raise ValidationError(listed, hide_input=self.hide_input, stopped=cut)

    def _label_of(self, j: int, plan: ColumnPlan, labels: Any, pos: int | None) -> Any:
        if not self.keep_labels and self.output_names is not None:
            return self.output_names[j]
        return labels[pos] if pos is not None else plan.key

    def _warn_extra(self, labels: Sequence[Any]) -> None:
        names = short_names(str(label) for label in labels)
        warnings.warn(
            f"columns {names} are not {self.known} and were dropped",
            TypedModelWarning,
            stacklevel=6,
        )

    # -- any other batch -------------------------------------------------------------------------

    def _positions(self, table: Table) -> list[int | None]:
        if self.by_position:
            return [j if j < len(table.labels) else None for j in range(len(self.plans))]
        by_name: dict[str, int] = {}
        for i, label in enumerate(table.labels):
            by_name.setdefault(str(label), i)
        out: list[int | None] = []
        for plan in self.plans:
            pos = next((by_name[str(n)] for n in plan.names if str(n) in by_name), None)
            out.append(pos)
        return out

    def _label(self, j: int, plan: ColumnPlan, table: Table, pos: int | None) -> Any:
        if not self.keep_labels and self.output_names is not None:
            return self.output_names[j]
        if pos is not None and not table.records:
            return table.labels[pos]
        return plan.key

    def _extra(self, table: Table, extra: list[int]) -> list[Issue]:
        if not extra:
            return []
        if not self.closed:
            if not table.records:
                self._warn_extra([table.labels[i] for i in extra])
            return []
        issues: list[Issue] = []
        for i in extra:
            values = table.arrays[i]
            # A row's key is named as given; a column's label by its name (1 and "1" are one).
            label = table.labels[i] if table.records else str(table.labels[i])
            if table.records:
                absent = table.absent[i]
                present = np.ones(table.n, dtype=bool) if absent is None else ~absent
            else:
                present = ~gaps(values)  # a gap in a frame is a value left out
            for r in _upto(np.flatnonzero(present)):
                if table.records and not isinstance(label, str):  # as pydantic says of a row
                    given = OMITTED if self.hide_input else label
                    issues.append(Issue(int(r), (label,), "invalid_key", _NOT_A_STR_KEY, given))
                else:
                    given = self._input(values, int(r))
                    issues.append(Issue(int(r), (label,), "extra_forbidden", _EXTRA, given))
        return issues

    def _input(self, values: Any, row: int) -> Any:
        return OMITTED if self.hide_input else _plain(values[row])

    # -- one column ---------------------------------------------------------------------------

    def _left_out(self, plan: ColumnPlan, n: int) -> tuple[Any, list[Issue]]:
        """A column the batch doesn't have: ``missing`` in every row, or the default."""
        if plan.required:
            rows = range(n if (limit := current_issue_limit()) is None else min(n, limit + 1))
            return None, [Issue(i, (plan.key,), "missing", "Field required") for i in rows]
        left_out = np.ones(n, dtype=bool)
        r = plan.rule
        typed = r is not None and r.family in ("int", "float", "bool", "datetime")
        empty = np.zeros(n, dtype=r.numpy) if typed and r is not None else np.empty(n, object)
        return _output(plan, empty, left_out, ~left_out), []

    def _column(
        self, plan: ColumnPlan, values: Any, records: bool, absent: Any
    ) -> tuple[Any, list[Issue]]:
        n = len(values)
        if records:  # a key left out is missing; None is a value (null where nullable)
            left_out = absent if absent is not None else np.zeros(n, dtype=bool)
            null = _is_none(values) if plan.nullable else np.zeros(n, dtype=bool)
        else:  # a gap is missing: null where nullable
            found = gaps(values)
            left_out = found if not plan.nullable else np.zeros(n, dtype=bool)
            null = found if plan.nullable else np.zeros(n, dtype=bool)
        issues: list[Issue] = []
        if plan.required and left_out.any():
            issues.extend(
                Issue(int(i), (plan.key,), "missing", "Field required")
                for i in _upto(np.flatnonzero(left_out))
            )
        converted, found = self._check(plan, values, ~(left_out | null))
        issues.extend(found)
        if issues:  # the batch is refused: no column to build
            return None, issues
        return _output(plan, converted, left_out, null), issues

    def _check(self, plan: ColumnPlan, values: Any, checked: Any) -> tuple[Any, list[Issue]]:
        if not checked.any():  # nothing to check: every value is missing (or there are none)
            r = plan.rule
            if r is not None and r.family in ("int", "float", "bool"):
                return np.zeros(len(values), dtype=r.numpy), []
            return np.empty(len(values), dtype=object), []
        result = _vectorised(plan, values, checked)
        if result is None:
            return self._by_pydantic(plan, values, checked)
        converted, bad = result
        issues = [
            Issue(int(i), (plan.key,), kind, msg, self._input(values, int(i)))
            for rows, kind, msg in bad
            for i in _upto(rows)
        ]
        return converted, issues

    def _by_pydantic(self, plan: ColumnPlan, values: Any, checked: Any) -> tuple[Any, list[Issue]]:
        positions = np.flatnonzero(checked)
        cells = _python_values(values, positions)
        out = np.empty(len(values), dtype=object)
        validator = plan.values_validator()
        limit = current_issue_limit()
        if limit is None or len(cells) <= limit:
            try:
                validated = validator.validate(cells)
                failed: list[tuple[int, pydantic.ValidationError]] = []
            except pydantic.ValidationError as exc:
                failed = [(0, exc)]
        else:
            validated, failed, _ = validator.validate_until(cells, limit)
        if failed:
            where = positions.tolist()
            found = [
                issue
                for start, exc in failed
                for issue in issues_from(
                    exc,
                    batch=True,
                    hide_input=self.hide_input,
                    prefix=(plan.key,),
                    rows=where[start:],
                )
            ]
            return out, found
        r = plan.rule
        if r is not None and r.family in ("int", "float", "bool"):
            # Validated numbers (from Decimals or numeric strings, say) go in the column's own
            # dtype, as the vectorised checks give them.
            typed = np.zeros(len(values), dtype=r.numpy)
            typed[positions] = validated
            return typed, []
        out[positions] = _Cells([_plain_enum(v) for v in validated])
        return out, []


@dataclass(frozen=True)
class _Layout:
    """Where a frame's columns go: each plan's position (None: not there), the positions of
    the other columns, and the issues of repeated labels."""

    positions: list[int | None]
    extra: list[int]
    issues: list[Issue]
    columns: pd.Index  # the output's labels
    identity: bool  # the output's columns are the batch's, in its order


# From this many rows, changed columns are set into a copy of the batch's frame; below it, a
# new frame is built (setting a column costs more than building the frame of a few rows).
_SET_COLUMNS_FROM = 5000


def _frame_of(arrays: list[Any], labels: Any, index: Any) -> pd.DataFrame:
    """A DataFrame of these columns as they are: no copy, and no dtype inferred again (an
    object column of strings stays object, as MLflow hands it over)."""
    from_arrays = getattr(pd.DataFrame, "_from_arrays", None)  # pandas' own constructor
    if callable(from_arrays):
        try:
            frame: pd.DataFrame = from_arrays(
                arrays,
                columns=labels if isinstance(labels, pd.Index) else pd.Index(labels),
                index=index,
                verify_integrity=False,
            )
            return frame
        except (TypeError, ValueError):  # pragma: no cover  # a pandas without it, or changed
            pass
    pairs = zip(labels, arrays, strict=True)
    series = {label: pd.Series(a, index=index, copy=False) for label, a in pairs}
    built: pd.DataFrame = pd.DataFrame(series, index=index, copy=False)
    return built


def _absent_from(table: Table, pos: int | None) -> bool:
    """Whether the batch doesn't have a column at all (a key no row has, for records)."""
    if pos is None:
        return True
    absent = table.absent[pos] if table.records else None
    return absent is not None and bool(absent.all())


def _upto(rows: Any) -> Any:
    """The first rows of a column's issue rows under the issue limit (one more than the limit,
    so that `first_issues` knows there were more)."""
    limit = current_issue_limit()
    if limit is None or len(rows) <= limit:
        return rows
    return np.sort(np.asarray(rows))[: limit + 1]


def _loc_order(issue: Issue, order: Mapping[Any, int]) -> int:
    return order.get(issue.loc[0], len(order)) if issue.loc else -1


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) and isinstance(value, np.generic) else value


def _plain_enum(value: Any) -> Any:
    import enum

    return value.value if isinstance(value, enum.Enum) else value


def _python_values(values: Any, positions: Any) -> list[Any]:
    if isinstance(values, np.ndarray):
        if values.dtype.kind in "mM":
            return list(pd.array(values[positions]))  # Timestamps, as pandas gives them
        cells: list[Any] = values[positions].tolist()
        return cells
    return list(values[positions])


def _is_none(values: Any) -> Any:
    if isinstance(values, np.ndarray) and values.dtype.kind == "O":
        return np.fromiter((v is None for v in values), dtype=bool, count=len(values))
    return np.zeros(len(values), dtype=bool)


def column_array(series: pd.Series) -> Any:
    """A Series' values: its numpy array (no copy), or its extension array."""
    if isinstance(series.dtype, np.dtype):
        return series.to_numpy(copy=False)
    return series.array


def gaps(values: Any) -> Any:
    """Where a column's values are missing (None, NaN, NA, NaT), with one scan."""
    if isinstance(getattr(values, "dtype", None), pd.StringDtype) and _all_str(values):
        return np.zeros(len(values), dtype=bool)
    if isinstance(values, np.ndarray):
        kind = values.dtype.kind
        if kind in "iub":
            return np.zeros(len(values), dtype=bool)
        if kind in "fc":
            return np.isnan(values)
        if kind in "mM":
            return np.isnat(values)
        if kind == "O" and (
            _objects_all_str(values)
            or pd.api.types.infer_dtype(values, skipna=False) in ("string", "bytes")
        ):
            return np.zeros(len(values), dtype=bool)  # all str (or bytes): one C pass
        return np.asarray(pd.isna(values), dtype=bool)
    return np.asarray(values.isna(), dtype=bool)


# ---------------------------------------------------------------------------------------------
# Output columns
# ---------------------------------------------------------------------------------------------


def _output(plan: ColumnPlan, converted: Any, left_out: Any, null: Any) -> Any:
    """The column predict receives: the converted values, the default where a value was left
    out, None where it is null, in the dtype of the column's type."""
    default = None if plan.default is MISSING else _plain_enum(plan.default)
    none = null | left_out if default is None else null
    filled = left_out if default is not None else np.zeros(len(null), dtype=bool)
    if isinstance(converted, _Keep):
        if not filled.any() and not left_out.any():
            return converted.values  # nothing left out; nulls are the batch's own
        kept = converted.values
        numpy_dtype = kept.dtype if isinstance(kept.dtype, np.dtype) else np.dtype(object)
        converted = np.asarray(kept, dtype=numpy_dtype)  # a DatetimeArray's datetime64
    r = plan.rule
    if r is not None:
        typed = _typed_output(r, converted, filled, none, default)
        if typed is not None:
            return typed
    out = converted if converted.dtype == object else converted.astype(object)
    if filled.any() or none.any():
        out = out.copy()
        for i in np.flatnonzero(filled):
            out[i] = copy.deepcopy(default)
        out[none] = None
    if r is not None and r.family == "datetime":
        return _datetime_column(out)
    return out


def _datetime_column(values: np.ndarray) -> Any:
    """Datetimes (None where null) as a datetime64 column, as MLflow hands a ``datetime``
    column over: ``datetime64[us]`` when none has a time zone (it holds every `datetime`
    exactly), ``datetime64[us, UTC]`` when each has one (the same instants); objects when
    some have one and some don't, or a value is not a datetime."""
    stamps = [v for v in values if v is not None]
    if not all(isinstance(v, dt.datetime) for v in stamps):
        return values  # a default of another kind
    aware = {v.utcoffset() is not None for v in stamps}
    if len(aware) > 1:
        return values
    # microseconds, unless a pandas Timestamp holds nanoseconds (which it then holds in range)
    ns = any(isinstance(v, pd.Timestamp) and v.nanosecond for v in stamps)
    if aware == {True}:
        values = np.array(
            [
                None if v is None else v.astimezone(dt.timezone.utc).replace(tzinfo=None)
                for v in values
            ],
            dtype=object,
        )
    try:
        if ns:
            column = pd.DatetimeIndex(list(values)).as_unit("ns")
        else:
            column = pd.DatetimeIndex(np.array(list(values), dtype="datetime64[us]"))
    except (ValueError, OverflowError):  # nanoseconds beside a year they can't reach
        return values
    return column.tz_localize("UTC").array if aware == {True} else column.to_numpy()


class _Keep:
    """A column kept as the batch had it (its dtype is already the column's)."""

    __slots__ = ("values",)

    def __init__(self, values: Any) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)


def _typed_output(r: TypeRule, converted: Any, filled: Any, none: Any, default: Any) -> Any:
    if not isinstance(converted, np.ndarray) or converted.dtype == object:
        return None
    if not (filled.any() or none.any()):
        return converted
    values = converted.copy()
    if filled.any():
        values[filled] = default
    if not none.any():
        return values
    if r.is_float:
        values[none] = np.nan
        return values
    if r.family == "datetime":
        values[none] = np.datetime64("NaT")
        return values
    if r.is_int:
        return pd.arrays.IntegerArray(values, none)
    if r.family == "bool":
        return pd.arrays.BooleanArray(values, none)
    return None


# ---------------------------------------------------------------------------------------------
# Vectorised checks: (converted column, [(rows, error type, message), ...]) or None
# ---------------------------------------------------------------------------------------------

_Bad = list[tuple[Any, str, str]]
_NUMERIC_ORDER = ("multiple_of", "le", "lt", "ge", "gt")  # pydantic-core's order of checks
_NUMERIC_ERRORS = {
    "multiple_of": ("multiple_of", "Input should be a multiple of {}"),
    "le": ("less_than_equal", "Input should be less than or equal to {}"),
    "lt": ("less_than", "Input should be less than {}"),
    "ge": ("greater_than_equal", "Input should be greater than or equal to {}"),
    "gt": ("greater_than", "Input should be greater than {}"),
}


def _vectorised(plan: ColumnPlan, values: Any, checked: Any) -> tuple[Any, _Bad] | None:
    node = plan.dtype
    if isinstance(node, LiteralType):
        literal: tuple[Any, _Bad] | None = _check_literal(plan, values, checked)
        return literal
    if not isinstance(node, DataType):
        return None
    r = rule_of(node)
    check = _CHECKS.get(r.family)
    if check is None:
        return None
    result: tuple[Any, _Bad] | None = check(plan, r, values, checked)
    return result


def _numpy_view(values: Any, checked: Any) -> tuple[Any, str] | None:
    """The values as a numpy array of one kind (``i``, ``u``, ``f``, ``b``, ``M``, ``O``...),
    gaps left as they are, or None for an extension array without a numpy equivalent."""
    if isinstance(values, np.ndarray):
        return values, values.dtype.kind
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return np.asarray(values, dtype=object), "O"
    if isinstance(dtype, pd.StringDtype):
        return None
    numpy_dtype = getattr(dtype, "numpy_dtype", None)
    if numpy_dtype is None or numpy_dtype.kind == "O":
        return np.asarray(values, dtype=object), "O"
    fill = {"b": False, "i": 0, "u": 0}.get(numpy_dtype.kind, np.nan)
    if numpy_dtype.kind in "mM":
        return values.to_numpy(dtype=numpy_dtype, na_value=np.datetime64("NaT")), numpy_dtype.kind
    return values.to_numpy(dtype=numpy_dtype, na_value=fill), numpy_dtype.kind


def _object_kind(array: Any, checked: Any) -> str:
    cells = array if checked.all() else array[checked]
    return str(pd.api.types.infer_dtype(cells, skipna=False))


def _check_int(plan: ColumnPlan, r: TypeRule, values: Any, checked: Any) -> Any:
    view = _numpy_view(values, checked)
    if view is None:
        return None
    array, kind = view
    if kind == "O":
        if _object_kind(array, checked) != "integer":
            return None
        try:
            array = np.where(checked, array, 0).astype(np.int64)
        except OverflowError:  # a Python int beyond int64: pydantic words its issue
            return None
        kind = "i"
    bad: _Bad = []
    limits = _bounded(plan.constraints, r)
    if kind == "b":
        bad.append((np.flatnonzero(checked), *_issue(not_a_number("int"))))
        return np.zeros(len(array), dtype=r.numpy), bad
    if kind == "f":
        with np.errstate(invalid="ignore"):
            infinite = checked & ~np.isfinite(array)
            fractional = checked & ~infinite & (array != np.floor(array))
        bad.append((np.flatnonzero(infinite), "finite_number", "Input should be a finite number"))
        bad.append(
            (
                np.flatnonzero(fractional),
                "int_from_float",
                "Input should be a valid integer, got a number with a fractional part",
            )
        )
        ok = checked & ~infinite & ~fractional
        bad.extend(_numeric_limits(limits, array, ok, integral_floats=True))
        failed = _failed(bad, len(array))
        with np.errstate(invalid="ignore"):
            out = np.where(ok & ~failed, array, 0).astype(r.numpy)
        return out, bad
    if kind not in "iu":
        return None
    bad.extend(_numeric_limits(limits, array, checked))
    if array.dtype == np.dtype(r.numpy):
        return _Keep(values) if array is values else array, bad
    failed = _failed(bad, len(array))
    return np.where(checked & ~failed, array, 0).astype(r.numpy), bad


def _check_float(plan: ColumnPlan, r: TypeRule, values: Any, checked: Any) -> Any:
    view = _numpy_view(values, checked)
    if view is None:
        return None
    array, kind = view
    if kind == "O":
        found = _object_kind(array, checked)
        if found == "floating":
            array, kind = np.where(checked, array, np.nan).astype(np.float64), "f"
        elif found == "integer":
            try:
                array, kind = np.where(checked, array, 0).astype(np.int64), "i"
            except OverflowError:
                return None
        else:
            return None
    bad: _Bad = []
    ok = checked
    if kind in "bc":
        bad.append((np.flatnonzero(checked), *_issue(not_a_number("float"))))
        return np.zeros(len(array), dtype=r.numpy), bad
    if kind in "iu":
        lossy = checked & ~ints_held(array, np.dtype(r.numpy))
        bad.append((np.flatnonzero(lossy), *_issue(inexact(r.dtype))))
        ok = checked & ~lossy
    elif kind == "f":
        if array.dtype.itemsize > np.dtype(r.numpy).itemsize:
            with np.errstate(invalid="ignore"):
                over = ok & np.isfinite(array) & (np.abs(array) > r.high)
            bad.append((np.flatnonzero(over), *_issue(out_of_range(r.dtype))))
            ok = ok & ~over
    else:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        as_float = array.astype(np.float64, copy=False)
    bad.extend(_numeric_limits(plan.constraints, as_float, ok))
    if array.dtype == np.dtype(r.numpy):
        return _Keep(values) if array is values else array, bad
    with np.errstate(over="ignore", invalid="ignore"):
        return array.astype(r.numpy), bad


def _check_bool(plan: ColumnPlan, r: TypeRule, values: Any, checked: Any) -> Any:
    view = _numpy_view(values, checked)
    if view is None:
        return None
    array, kind = view
    if kind == "b":
        return (_Keep(values) if array is values else array), []
    if kind == "O" and _object_kind(array, checked) == "boolean":
        return np.where(checked, array, False).astype(bool), []
    if kind in "iu":
        if kind == "u" and len(array) and array.max() > np.iinfo(np.int64).max:
            return None  # pydantic calls an int beyond 64 bits another type: its own checks
        wrong = checked & (array != 0) & (array != 1)
        msg = "Input should be a valid boolean, unable to interpret input"
        return array == 1, [(np.flatnonzero(wrong), "bool_parsing", msg)]
    return None


def _check_str(plan: ColumnPlan, r: TypeRule, values: Any, checked: Any) -> Any:
    text = isinstance(getattr(values, "dtype", None), pd.StringDtype)
    if not text:
        view = _numpy_view(values, checked)
        if view is None:
            return None
        array, kind = view
        if kind in "iufbcmM":
            return values, [
                (np.flatnonzero(checked), "string_type", "Input should be a valid string")
            ]
        if kind != "O" or _object_kind(array, checked) != "string":
            return None
    return _Keep(values), _string_limits(plan.constraints, values, checked)


def _check_bytes(plan: ColumnPlan, r: TypeRule, values: Any, checked: Any) -> Any:
    if isinstance(values, np.ndarray) and values.dtype.kind == "O":
        kind = _object_kind(values, checked)
        if kind == "bytes" and not plan.constraints:
            return _Keep(values), []
    return None  # strings (base64) and length limits: pydantic, value by value


def _check_datetime(plan: ColumnPlan, r: TypeRule, values: Any, checked: Any) -> Any:
    dtype = getattr(values, "dtype", None)  # of an ndarray, or of pandas' DatetimeArray
    if isinstance(dtype, pd.DatetimeTZDtype) or (isinstance(dtype, np.dtype) and dtype.kind == "M"):
        return _Keep(values), []
    return None


def _arrow_text(values: Any) -> bool:
    """Whether a column is a pandas string column stored in Arrow."""
    dtype = getattr(values, "dtype", None)
    return isinstance(dtype, pd.StringDtype) and getattr(dtype, "storage", None) != "python"


def _on_arrow(values: Any, compute: Any) -> Any:
    """`compute(pyarrow, strings)` on an Arrow string column, as a numpy array; None for other
    columns, or where Arrow has no kernel for the column's string type."""
    if not _arrow_text(values):
        return None
    import pyarrow as pa
    import pyarrow.compute  # the submodule, as pa.compute

    try:
        return np.asarray(compute(pa, values.__arrow_array__()))
    except pa.ArrowException:
        return None


def _members(values: Any, allowed: list[Any]) -> Any:
    """Where a column's values are among `allowed` (Arrow strings: Arrow's own set lookup)."""
    found = _on_arrow(
        values,
        lambda pa, s: pa.compute.fill_null(
            pa.compute.is_in(s, value_set=pa.array(allowed, type=s.type)), False
        ),
    )
    if found is not None:
        return found
    return np.asarray(pd.Series(values, copy=False).isin(allowed), dtype=bool)


def _check_literal(plan: ColumnPlan, values: Any, checked: Any) -> Any:
    node = plan.dtype
    assert isinstance(node, LiteralType)
    kinds = {type(v) for v in node.values}
    text = isinstance(getattr(values, "dtype", None), pd.StringDtype)
    if kinds == {str}:
        if not text:
            view = _numpy_view(values, checked)
            if view is None or view[1] != "O" or _object_kind(view[0], checked) != "string":
                return None
    elif kinds == {int}:
        if not (isinstance(values, np.ndarray) and values.dtype.kind in "iu"):
            return None
    else:
        return None
    member = _members(values, list(node.values))
    wrong = checked & ~member
    shown = [repr(v) for v in node.values]
    listed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
    error = "enum" if plan.is_enum else "literal_error"
    return _Keep(values), [(np.flatnonzero(wrong), error, f"Input should be {listed}")]


_CHECKS = {
    "int": _check_int,
    "float": _check_float,
    "bool": _check_bool,
    "str": _check_str,
    "bytes": _check_bytes,
    "datetime": _check_datetime,
}


def _issue(lossy: Any) -> tuple[str, str]:
    return lossy.type, lossy.msg


def _failed(bad: _Bad, n: int) -> Any:
    failed = np.zeros(n, dtype=bool)
    for rows, _, _ in bad:
        failed[rows] = True
    return failed


def _bounded(c: Constraints, r: TypeRule) -> dict[str, Any]:
    """An integer column's limits: its constraints within the range of its type."""
    limits = {k: v for k, v in c.to_dict().items() if k in applicable(r.dtype)}
    limits["ge"] = max(limits["ge"], r.low) if limits.get("ge") is not None else r.low
    limits["le"] = min(limits["le"], r.high) if limits.get("le") is not None else r.high
    return limits


def _numeric_limits(
    limits: Constraints | Mapping[str, Any], values: Any, ok: Any, *, integral_floats: bool = False
) -> _Bad:
    """Rows breaking the numeric limits, in pydantic-core's order (a row fails once)."""
    given = limits.to_dict() if isinstance(limits, Constraints) else dict(limits)
    bad: _Bad = []
    failed = ~ok
    with np.errstate(invalid="ignore", over="ignore"):
        for name in _NUMERIC_ORDER:
            limit = given.get(name)
            if limit is None:
                continue
            if name == "multiple_of":
                wrong = np.remainder(values, limit) != 0
            else:
                wrong = _beyond(values, name, limit, integral_floats)
            rows = wrong & ~failed
            failed = failed | rows
            kind, template = _NUMERIC_ERRORS[name]
            bad.append((np.flatnonzero(rows), kind, template.format(_number(limit))))
    return bad


def _beyond(values: Any, name: str, limit: Any, integral_floats: bool) -> Any:
    """Rows on the wrong side of one limit, compared exactly (a float column against an
    integer limit such as ``2**63 - 1``, which no float holds, included)."""
    if values.dtype.kind == "f" and isinstance(limit, int) and float(limit) != limit:
        as_float = float(limit)
        rounded_up = as_float > limit
        if name in ("le", "lt"):
            return values >= as_float if rounded_up else values > as_float
        return values <= as_float if not rounded_up else values < as_float
    return {
        "le": values > limit,
        "lt": values >= limit,
        "ge": values < limit,
        "gt": values <= limit,
    }[name]


def _number(value: Any) -> str:
    """A limit as pydantic writes it in messages (0.0 -> "0", 0.5 -> "0.5")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _not_empty(values: Any) -> Any:
    """1.0 where a string is not empty, 0.0 where it is (gaps: either): Arrow's size of each
    string in bytes (0 only when empty), or a comparison with "" in C."""
    sizes = _on_arrow(values, lambda pa, s: pa.compute.fill_null(pa.compute.binary_length(s), 1))
    if sizes is not None:
        return np.where(sizes == 0, 0.0, 1.0)
    return np.where(np.asarray(values, dtype=object) == "", 0.0, 1.0)


def _string_limits(c: Constraints, values: Any, checked: Any) -> _Bad:
    bad: _Bad = []
    if c.min_length is None and c.max_length is None and c.pattern is None:
        return bad
    series = pd.Series(values, copy=False)
    failed = ~checked
    if c.max_length is None and c.min_length == 1:
        lengths = _not_empty(values)  # "not empty", the usual limit: nothing counted
    else:
        lengths = series.str.len().to_numpy(dtype="float64", na_value=np.nan)
    for key, compare, kind, word in (
        ("min_length", np.less, "string_too_short", "at least"),
        ("max_length", np.greater, "string_too_long", "at most"),
    ):
        limit = getattr(c, key)
        if limit is None:
            continue
        rows = ~failed & compare(lengths, limit)
        failed = failed | rows
        unit = "character" if limit == 1 else "characters"
        bad.append((np.flatnonzero(rows), kind, f"String should have {word} {limit} {unit}"))
    if c.pattern is not None:
        matches = series.str.contains(c.pattern, regex=True, na=False).to_numpy(dtype=bool)
        rows = ~failed & ~matches
        msg = f"String should match pattern '{c.pattern}'"
        bad.append((np.flatnonzero(rows), "string_pattern_mismatch", msg))
    return bad


# ---------------------------------------------------------------------------------------------
# The fast column: when the dtype and one pass say every value is plainly valid
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fast:
    """What `_fast_column` checks for a plan: the family, the target dtype, the bounds (the
    rule table's range and the constraints' ``ge``/``gt``/``le``/``lt``), and whether a gap
    (NaN) in a float column stays as it is in the output."""

    family: str
    target: np.dtype[Any]
    low: Any
    high: Any
    gt: Any
    lt: Any
    exact_int: int | None
    gaps_stay: bool


def _fast_plan(plan: ColumnPlan) -> _Fast | None:
    r = plan.rule
    if r is None or r.family not in ("int", "float", "bool", "str"):
        return None
    given = plan.constraints.to_dict()
    if r.family in ("bool", "str") and given:
        return None  # lengths and patterns: the full checks
    if set(given) - {"ge", "gt", "le", "lt"}:
        return None  # multiple_of: the full checks
    low, high = given.get("ge"), given.get("le")
    if r.is_int:
        low = r.low if low is None else max(low, r.low)
        high = r.high if high is None else min(high, r.high)
    gaps_stay = (not plan.required or plan.nullable) and plan.default in (MISSING, None)
    return _Fast(
        r.family, np.dtype(r.numpy), low, high, given.get("gt"), given.get("lt"),
        r.exact_int, gaps_stay,
    )  # fmt: skip


def _fast_column(plan: ColumnPlan, values: Any) -> Any:
    """The column as predict receives it, when its dtype and one pass show every value is
    valid and held exactly (a `_Cast` where it only needs its dtype); else None (the full
    checks then run, and word the issues). It gives what the full checks give for such a column,
    only sooner."""
    fast = plan.fast
    if fast is None:
        return None
    if fast.family == "str":
        return _fast_str(values)
    if not isinstance(values, np.ndarray):
        return None
    kind = values.dtype.kind
    if fast.family == "bool":
        return values if kind == "b" else None
    if fast.family == "int":
        return _fast_int(fast, values, kind)
    return _fast_float(fast, values, kind)


def _fast_str(values: Any) -> Any:
    # An empty column: the full checks' own (an object array), whatever the batch's dtype.
    return values if len(values) and _all_str(values) else None


def _all_str(values: Any) -> bool:
    """Whether a column holds only strings, no gap: one pass in C over an object array (a
    python-storage ``str`` column's own, not a copy); Arrow's ``str`` counts its nulls."""
    if _arrow_text(values):
        return not values.isna().any()
    if isinstance(getattr(values, "dtype", None), pd.StringDtype):
        values = np.asarray(values)
    if not isinstance(values, np.ndarray) or values.dtype != object:
        return False
    return _objects_all_str(values)


# pandas' `ensure_string_array` leaves an object array that holds only `str` as it is (the same
# array back, nothing copied or converted) in a tighter loop than `infer_dtype`'s, about half
# its cost per value. At its first other value it copies and converts the rest of its input
# with `str()`: chunks bound that wasted work on a column that isn't all strings.
_STR_CHUNK = 16_384
_ensure_str = getattr(pd._libs.lib, "ensure_string_array", None)


def _objects_all_str(values: np.ndarray) -> bool:
    """Whether a 1-D object array holds only `str` values (`infer_dtype`'s ``"string"``)."""
    n = len(values)
    if not n or values.ndim != 1 or not isinstance(values[0], str):
        return False
    if _ensure_str is None or not values.flags.writeable:
        return bool(pd.api.types.infer_dtype(values, skipna=False) == "string")
    for start in range(0, n, _STR_CHUNK):
        part = values[start : start + _STR_CHUNK]
        try:
            if _ensure_str(part, copy=False, skipna=True) is not part:
                return False
        except Exception:  # a value whose str() raises: not a string, and the full checks say so
            return False
    return True


@dataclass(frozen=True)
class _Cast:
    """A column the fast path found valid, still to be cast to `target` (`_cast_together`)."""

    values: np.ndarray
    target: np.dtype[Any]


def _cast(values: np.ndarray, target: np.dtype[Any]) -> Any:
    return values if values.dtype == target else _Cast(values, target)


def _cast_together(arrays: list[Any], n: int) -> list[tuple[np.ndarray, list[int]]]:
    """Do the fast path's casts in place in `arrays`, the columns cast to one dtype written
    into one 2-D block: one allocation for them all, which costs a fraction of one per column.
    Returns the blocks of more than one column, with the columns' positions."""
    by_target: dict[np.dtype[Any], list[int]] = {}
    for i, column in enumerate(arrays):
        if isinstance(column, _Cast):
            by_target.setdefault(column.target, []).append(i)
    blocks = []
    for target, where in by_target.items():
        if len(where) == 1:
            arrays[where[0]] = arrays[where[0]].values.astype(target)
            continue
        block = np.empty((len(where), n), dtype=target)
        for row, i in zip(block, where, strict=True):
            np.copyto(row, arrays[i].values, casting="unsafe")  # checked: every value held
            arrays[i] = row
        blocks.append((block, where))
    return blocks


def _frame_of_blocks(
    arrays: list[Any], blocks: list[tuple[np.ndarray, list[int]]], labels: pd.Index, index: Any
) -> pd.DataFrame | None:
    """A DataFrame of these columns as pandas blocks: each of `blocks` as one, every other
    column as its own, nothing copied or consolidated (pandas 3's constructor; None where there
    is none, or a column is neither a numpy array pandas keeps nor an extension array)."""
    make = _from_blocks()
    if make is None:
        return None
    parts: list[tuple[Any, np.ndarray]] = []
    taken: set[int] = set()
    for block, where in blocks:
        parts.append((block, np.array(where, dtype=np.intp)))
        taken.update(where)
    for i, column in enumerate(arrays):
        if i in taken:
            continue
        if isinstance(column, pd.api.extensions.ExtensionArray):
            parts.append((column, np.array([i], dtype=np.intp)))  # a 1-D block of its own
        elif isinstance(column, np.ndarray) and column.dtype.kind in "biufcmMO":
            parts.append((column.reshape(1, -1), np.array([i], dtype=np.intp)))
        else:
            return None
    frame: pd.DataFrame = make(parts, index=index, columns=labels)
    return frame


@functools.cache
def _from_blocks() -> Any:
    try:
        from pandas.api.internals import (  # type: ignore[import-not-found,unused-ignore]
            create_dataframe_from_blocks,
        )
    except ImportError:  # pandas 2
        return None
    return create_dataframe_from_blocks


def _within(fast: _Fast, lo: Any, hi: Any) -> bool:
    """Whether every value between `lo` and `hi` keeps the bounds (compared exactly: Python
    compares a float with an int by value)."""
    if fast.low is not None and lo < fast.low:
        return False
    if fast.high is not None and hi > fast.high:
        return False
    if fast.gt is not None and not lo > fast.gt:
        return False
    return fast.lt is None or hi < fast.lt


def _fast_int(fast: _Fast, values: Any, kind: str) -> Any:
    if len(values) == 0:
        return values if values.dtype == fast.target else values.astype(fast.target)
    if kind in "iu":
        plain = values.dtype == fast.target and fast.gt is None and fast.lt is None
        if (
            plain
            and fast.low == np.iinfo(fast.target).min
            and fast.high == np.iinfo(fast.target).max
        ):
            return values  # its own dtype, and no narrower bound
        if not _within(fast, int(values.min()), int(values.max())):
            return None
        return _cast(values, fast.target)
    if kind == "f":
        with np.errstate(invalid="ignore"):
            if not (np.isfinite(values).all() and (values == np.floor(values)).all()):
                return None
        if not _within(fast, float(values.min()), float(values.max())):
            return None
        return _cast(values, fast.target)
    return None


def _fast_float(fast: _Fast, values: Any, kind: str) -> Any:
    if kind == "f":
        present = values
        bounded = (fast.low, fast.high, fast.gt, fast.lt) != (None, None, None, None)
        if fast.gaps_stay or bounded:
            nan = np.isnan(values)
            if nan.any():
                if not fast.gaps_stay:
                    return None
                present = values[~nan]
        elif np.isnan(values).any():
            return None  # a gap where a value is required: the full checks say so
        wider = values.dtype.itemsize > fast.target.itemsize
        if len(present) and (wider or bounded):
            finite = present[np.isfinite(present)]
            if wider and len(finite) and np.abs(finite).max() > rule_of(DataType.float).high:
                return None  # overflows a 32-bit float
            if bounded and not _within(fast, float(present.min()), float(present.max())):
                return None
        return _cast(values, fast.target)
    if kind in "iu":
        if fast.exact_int is None or len(values) == 0:
            return None
        lo, hi = int(values.min()), int(values.max())
        if max(abs(lo), abs(hi)) > fast.exact_int or not _within(fast, lo, hi):
            return None
        return _cast(values, fast.target)
    return None
