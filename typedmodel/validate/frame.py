"""The columnar path: ``Frame[Row]`` validated column by column, vectorised.

Each field of the pydantic model ``Row`` is compiled once into a `_Column` plan: its type, its
constraints (ge/gt/le/lt/multiple_of, min/max length, pattern), its allowed values (Literal,
Enum), whether it may be missing (Optional, defaults). A batch is then checked with numpy and
pandas operations over whole columns, and row-indexed issues are built only for the rows that
fail, with pydantic's own error types and messages, so the issues are those the row-wise path
reports for the same data.

A column whose dtype pydantic would treat value by value (objects, mixed types) is checked by
pydantic itself, still column by column; a model with its own validators (``field_validator``,
``model_validator``) is checked row-wise, since its validators need whole rows.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import typing
import warnings
from typing import Any

import pydantic
from pydantic.fields import FieldInfo

from typedmodel.errors import OMITTED, Issue, TypedModelWarning, ValidationError
from typedmodel.hints import _default, _strip_optional, _unwrap_annotated, hint_to_type
from typedmodel.schema import MISSING, Constraints, DataType, LiteralType
from typedmodel.validate._common import _batch_type_issue, _issues_from, _np, _pd
from typedmodel.validate.batch import BatchValidator, _gaps, _object_kind

__all__ = ["FrameValidator"]

_NUMERIC_ORDER = ("multiple_of", "le", "lt", "ge", "gt")  # pydantic-core's order of checks
_NUMERIC_ERRORS = {
    "multiple_of": ("multiple_of", "Input should be a multiple of {}"),
    "le": ("less_than_equal", "Input should be less than or equal to {}"),
    "lt": ("less_than", "Input should be less than {}"),
    "ge": ("greater_than_equal", "Input should be greater than or equal to {}"),
    "gt": ("greater_than", "Input should be greater than {}"),
}


@dataclasses.dataclass
class _Column:
    """How one field of the row model is checked and converted."""

    name: str  # the column (the field's name; its alias is accepted too)
    alias: str
    kind: str  # "int", "float", "bool", "str", "datetime", "literal" or "other"
    nullable: bool
    default: Any  # MISSING when the field is required
    constraints: Constraints
    choices: tuple[Any, ...] = ()
    is_enum: bool = False
    hint: Any = None  # the field's hint with its constraints, for pydantic value by value
    fallback: pydantic.TypeAdapter[Any] | None = None  # built on first use, then kept

    @property
    def required(self) -> bool:
        return self.default is MISSING


class FrameValidator:
    """Validates a DataFrame against the fields of a pydantic model, column-wise.

    Returns a new DataFrame with one column per field, in field order, converted to the field's
    type (int64, float64, bool, datetime64; nullable dtypes where gaps are allowed), defaults
    filled for missing columns. Extra columns are dropped with a `TypedModelWarning`.
    """

    def __init__(
        self, row: type[pydantic.BaseModel], *, strict: bool = False, hide_input: bool = False
    ) -> None:
        self.row = row
        self.strict = strict
        self.hide_input = hide_input
        decorators = row.__pydantic_decorators__
        self.row_wise: BatchValidator | None = None
        if decorators.field_validators or decorators.model_validators or strict:
            self.row_wise = BatchValidator(row, strict=strict, hide_input=hide_input)
        self.columns = [_plan(name, info) for name, info in row.model_fields.items()]

    def validate(self, data: Any) -> Any:
        frame = _to_frame(data)
        if self.row_wise is not None:
            return self._row_wise(frame)
        pd = _pd()
        np = _np()
        n = len(frame)
        by_name = {str(c): c for c in frame.columns}
        issues: list[Issue] = []
        out: dict[str, Any] = {}
        used: set[str] = set()
        for col in self.columns:
            key = col.name if col.name in by_name else col.alias
            if key not in by_name:
                if col.required:
                    issues.extend(
                        Issue(i, (col.alias,), "missing", "Field required") for i in range(n)
                    )
                else:
                    out[col.name] = _filled(col, n, frame.index)
                continue
            used.add(key)
            values, found = self._column(col, frame[by_name[key]], np)
            issues.extend(found)
            out[col.name] = values
        extra = [str(c) for c in frame.columns if str(c) not in used]
        if extra:
            warnings.warn(
                f"columns {extra} are not fields of {self.row.__name__} and were dropped",
                TypedModelWarning,
                stacklevel=4,
            )
        if issues:
            order = {c.alias: i for i, c in enumerate(self.columns)}
            issues.sort(
                key=lambda x: (x.row if x.row is not None else -1, order.get(str(x.loc[0]), 0))
            )
            raise ValidationError(issues, hide_input=self.hide_input)
        return pd.DataFrame(out, index=frame.index, copy=False)  # the columns are new already

    def _row_wise(self, frame: Any) -> Any:
        assert self.row_wise is not None
        pd = _pd()
        rows = self.row_wise.validate(frame)
        return pd.DataFrame([r.model_dump() for r in rows], index=frame.index)

    # -- one column ---------------------------------------------------------------------------

    def _column(self, col: _Column, series: Any, np: Any) -> tuple[Any, list[Issue]]:
        object_kind = _object_kind(series)  # one C pass over an object column, shared below
        missing = _gaps(series, object_kind)
        issues: list[Issue] = []
        if missing.any() and not col.nullable:
            if col.required:
                issues.extend(
                    Issue(int(i), (col.alias,), "missing", "Field required")
                    for i in np.flatnonzero(missing)
                )
            else:
                series = series.where(~missing, col.default) if col.default is not None else series
                missing = series.isna().to_numpy()
                object_kind = None  # the filled column is a new one
        check = _CHECKS.get(col.kind)
        result = check(col, series, missing, object_kind) if check is not None else None
        if result is None:  # a dtype pydantic reads value by value
            return self._by_pydantic(col, series, missing, issues)
        values, bad = result
        for rows, kind, msg in bad:
            issues.extend(self._issue(series, int(i), col, kind, msg) for i in rows)
        return values, issues

    def _issue(self, series: Any, i: int, col: _Column, kind: str, msg: str) -> Issue:
        value = OMITTED if self.hide_input else _plain(series.iloc[i])
        return Issue(i, (col.alias,), kind, msg, value)

    def _by_pydantic(
        self, col: _Column, series: Any, missing: Any, issues: list[Issue]
    ) -> tuple[Any, list[Issue]]:
        np = _np()
        pd = _pd()
        if col.fallback is None:
            col.fallback = pydantic.TypeAdapter(list[col.hint])  # type: ignore[name-defined]
        adapter = col.fallback
        positions = np.flatnonzero(~missing)
        values = series.to_numpy(dtype=object)[positions].tolist()
        try:
            validated = adapter.validate_python(values)
        except pydantic.ValidationError as exc:
            for issue in _issues_from(exc, batch=True, hide_input=self.hide_input):
                row = int(positions[issue.row]) if issue.row is not None else None
                issues.append(dataclasses.replace(issue, row=row, loc=(col.alias, *issue.loc)))
            return series, issues
        out = np.full(len(series), None, dtype=object)
        out[positions] = [v.value if isinstance(v, enum.Enum) else v for v in validated]
        return pd.Series(out, index=series.index), issues


_EMPTY_DTYPES = {
    "int": "Int64",
    "float": "float64",
    "bool": "boolean",
    "datetime": "datetime64[ns]",
}


def _filled(col: _Column, n: int, index: Any) -> Any:
    """A column left out of the batch: its default in every row, typed as the field."""
    pd = _pd()
    if col.default is None and col.kind in _EMPTY_DTYPES:
        return pd.Series([None] * n, index=index, dtype=_EMPTY_DTYPES[col.kind])
    values = pd.Series([copy.deepcopy(col.default) for _ in range(n)], index=index)
    return values if col.kind != "other" else values.astype(object)


def _to_frame(data: Any) -> Any:
    pd = _pd()
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, (list, tuple)) and all(isinstance(r, dict) for r in data):
        return pd.DataFrame(list(data))
    if isinstance(data, dict) and data:
        sized = [v for v in data.values() if hasattr(v, "__len__") and not isinstance(v, str)]
        if len(sized) == len(data) and len({len(v) for v in sized}) == 1:
            return pd.DataFrame(data)
    raise _batch_type_issue(data, "a DataFrame, a list of rows or a dict of columns")


def _plan(name: str, info: FieldInfo) -> _Column:
    hint, nullable = _strip_optional(info.annotation)
    hint, constraints, _ = _unwrap_annotated(hint)
    from typedmodel.hints import _constraints_of, _merge_constraints, _wire_name

    constraints = _merge_constraints(constraints, _constraints_of(info.metadata))
    default = _default(info)
    if default is MISSING and nullable and not info.is_required():
        default = None
    node = hint_to_type(hint, where=f"field {name!r}")
    kind = "other"
    choices: tuple[Any, ...] = ()
    is_enum = isinstance(hint, type) and issubclass(hint, enum.Enum)
    if isinstance(node, DataType):
        kind = _KINDS.get(node, "other")
    elif isinstance(node, LiteralType):
        kind, choices = "literal", node.values
    return _Column(
        name=name,
        alias=_wire_name(name, info),
        kind=kind,
        nullable=nullable,
        default=default,
        constraints=constraints,
        choices=choices,
        is_enum=is_enum,
        hint=typing.Annotated.__class_getitem__(  # type: ignore[attr-defined]
            (info.annotation, *info.metadata)
        )
        if info.metadata
        else info.annotation,
    )


_KINDS = {
    DataType.long: "int",
    DataType.integer: "int",
    DataType.double: "float",
    DataType.float: "float",
    DataType.boolean: "bool",
    DataType.string: "str",
    DataType.datetime: "datetime",
}

# -- vectorised checks: (converted column, [(rows, error type, message), ...]) or None ----------

_Bad = list[tuple[Any, str, str]]


def _numpy_kind(series: Any) -> str:
    dtype = series.dtype
    numpy_dtype = getattr(dtype, "numpy_dtype", dtype)
    return str(getattr(numpy_dtype, "kind", "O"))


def _check_int(
    col: _Column, series: Any, missing: Any, object_kind: str | None
) -> tuple[Any, _Bad] | None:
    np = _np()
    kind = _numpy_kind(series)
    bad: _Bad = []
    if kind in "iub":
        values = series.to_numpy(dtype="int64", na_value=0) if missing.any() else series.to_numpy()
        values = values.astype("int64", copy=False) if kind == "b" else values
    elif kind == "f":
        raw = series.to_numpy(dtype="float64", na_value=np.nan)
        ok = ~missing
        infinite = ok & np.isinf(raw)
        with np.errstate(invalid="ignore"):
            fractional = ok & ~infinite & (raw != np.floor(raw))
        bad.append((np.flatnonzero(infinite), "finite_number", "Input should be a finite number"))
        bad.append(
            (
                np.flatnonzero(fractional),
                "int_from_float",
                "Input should be a valid integer, got a number with a fractional part",
            )
        )
        missing = missing | infinite | fractional
        values = np.where(missing, 0, raw).astype("int64")
    else:
        return None
    bad.extend(_numeric_constraints(col.constraints, values, missing))
    if series.dtype == np.dtype("int64"):
        return series, bad  # already int64 with no gaps: the column as it is
    return _int_series(series, values, missing), bad


def _int_series(series: Any, values: Any, missing: Any) -> Any:
    pd = _pd()
    if missing.any():
        return pd.Series(pd.array(values, dtype="Int64"), index=series.index).mask(missing)
    return _new_series(values.astype("int64", copy=False), series)


def _new_series(values: Any, like: Any) -> Any:
    """A Series over a freshly made array (no second copy)."""
    return _pd().Series(values, index=like.index, copy=False)


def _check_float(
    col: _Column, series: Any, missing: Any, object_kind: str | None
) -> tuple[Any, _Bad] | None:
    np = _np()
    if _numpy_kind(series) not in "iufb":
        return None
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    bad = _numeric_constraints(col.constraints, values, missing)
    if series.dtype == np.dtype("float64"):
        return series, bad  # already float64 (gaps are NaN, as wanted)
    return _new_series(values, series), bad


def _numeric_constraints(c: Constraints, values: Any, missing: Any) -> _Bad:
    np = _np()
    bad: _Bad = []
    failed = missing.copy()
    with np.errstate(invalid="ignore"):
        for name in _NUMERIC_ORDER:
            limit = getattr(c, name)
            if limit is None:
                continue
            if name == "multiple_of":
                wrong = np.remainder(values, limit) != 0
            else:
                wrong = {
                    "le": values > limit,
                    "lt": values >= limit,
                    "ge": values < limit,
                    "gt": values <= limit,
                }[name]
            rows = wrong & ~failed
            failed |= rows
            kind, template = _NUMERIC_ERRORS[name]
            bad.append((np.flatnonzero(rows), kind, template.format(_number(limit))))
    return bad


def _number(value: Any) -> str:
    """A limit as pydantic writes it in messages (0.0 -> "0", 0.5 -> "0.5")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_bool(
    col: _Column, series: Any, missing: Any, object_kind: str | None
) -> tuple[Any, _Bad] | None:
    np = _np()
    kind = _numpy_kind(series)
    if kind == "b":
        values = series.to_numpy(dtype=bool, na_value=False)
        bad: _Bad = []
    elif kind in "iu":
        raw = series.to_numpy(dtype="int64", na_value=0)
        wrong = ~missing & (raw != 0) & (raw != 1)
        bad = [
            (
                np.flatnonzero(wrong),
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input",
            )
        ]
        values = raw == 1
    else:
        return None
    pd = _pd()
    if missing.any():
        return pd.Series(pd.array(values, dtype="boolean"), index=series.index).mask(missing), bad
    if kind == "b":
        return series, bad
    return _new_series(values, series), bad


def _check_str(
    col: _Column, series: Any, missing: Any, object_kind: str | None
) -> tuple[Any, _Bad] | None:
    np = _np()
    pd = _pd()
    kind = _numpy_kind(series)
    if kind in "iufbM":
        return series, [(np.flatnonzero(~missing), "string_type", "Input should be a valid string")]
    is_text = isinstance(series.dtype, pd.StringDtype) or object_kind == "string"
    if not is_text and pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty"):
        return None
    return series, _string_constraints(col.constraints, series, missing)


def _string_constraints(c: Constraints, series: Any, missing: Any) -> _Bad:
    np = _np()
    bad: _Bad = []
    if c.min_length is None and c.max_length is None and c.pattern is None:
        return bad
    failed = missing.copy()
    lengths = series.str.len().to_numpy(dtype="float64", na_value=np.nan)
    if c.min_length is not None:
        rows = ~failed & (lengths < c.min_length)
        failed |= rows
        unit = "character" if c.min_length == 1 else "characters"
        msg = f"String should have at least {c.min_length} {unit}"
        bad.append((np.flatnonzero(rows), "string_too_short", msg))
    if c.max_length is not None:
        rows = ~failed & (lengths > c.max_length)
        failed |= rows
        unit = "character" if c.max_length == 1 else "characters"
        msg = f"String should have at most {c.max_length} {unit}"
        bad.append((np.flatnonzero(rows), "string_too_long", msg))
    if c.pattern is not None:
        matches = series.str.contains(c.pattern, regex=True, na=False).to_numpy(dtype=bool)
        rows = ~failed & ~matches
        msg = f"String should match pattern '{c.pattern}'"
        bad.append((np.flatnonzero(rows), "string_pattern_mismatch", msg))
    return bad


def _check_datetime(
    col: _Column, series: Any, missing: Any, object_kind: str | None
) -> tuple[Any, _Bad] | None:
    if _numpy_kind(series) != "M":
        return None
    return series, []


def _check_literal(
    col: _Column, series: Any, missing: Any, object_kind: str | None
) -> tuple[Any, _Bad] | None:
    np = _np()
    kinds = {type(v) for v in col.choices}
    kind = _numpy_kind(series)
    is_str = kinds == {str} and (kind == "O" or isinstance(series.dtype, _pd().StringDtype))
    is_int = kinds == {int} and kind in "iu"
    if not (is_str or is_int):
        return None
    text = object_kind == "string" or isinstance(series.dtype, _pd().StringDtype)
    if is_str and not text and _pd().api.types.infer_dtype(series, skipna=True) != "string":
        return None
    wrong = ~missing & ~series.isin(list(col.choices)).to_numpy(dtype=bool)
    shown = [repr(v) for v in col.choices]
    listed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
    error = "enum" if col.is_enum else "literal_error"
    return series, [(np.flatnonzero(wrong), error, f"Input should be {listed}")]


_CHECKS = {
    "int": _check_int,
    "float": _check_float,
    "bool": _check_bool,
    "str": _check_str,
    "datetime": _check_datetime,
    "literal": _check_literal,
}


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else value
