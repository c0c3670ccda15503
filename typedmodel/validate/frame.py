"""The columnar path: ``Frame[Row]`` validated column by column, vectorised.

Each field of the pydantic model ``Row`` is compiled once into a `ColumnPlan` from the schema
tree of ``Row`` (type, constraints, whether it may be missing, default) and the field's own hint
(for values checked one by one). The engine in `typedmodel.validate.columns` then checks whole
columns and reports the issues the row-wise path (``list[Row]``) reports for the same batch.

A model whose validation the tree doesn't describe is checked row-wise instead (its field or
model validators need whole rows; a strict or otherwise configured model converts values as the
tree can't say): the result is then the same as ``list[Row]``'s, as a DataFrame. A field whose
hint carries more than the tree's constraints (an ``AfterValidator``, ``Strict()``, a type such
as ``date`` the tree names ``datetime``) is checked by pydantic, still column by column.
"""

from __future__ import annotations

import datetime as _dt
import enum
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import annotated_types
import pydantic
from pydantic.fields import FieldInfo

from typedmodel.hints import _strip_optional, _unwrap_annotated, _wire_name, hint_to_type
from typedmodel.schema import LiteralType, Object
from typedmodel.validate.columns import ColumnPlan, TableValidator
from typedmodel.validate.rows import BatchValidator

__all__ = ["FrameValidator"]

# Model settings the columnar path keeps as the row-wise path would (any other goes row-wise).
_COLUMNAR_CONFIG = frozenset(
    {
        "title",
        "extra",
        "frozen",
        "populate_by_name",
        "validate_by_name",
        "validate_by_alias",
        "serialize_by_alias",
        "alias_generator",
        "json_schema_extra",
        "protected_namespaces",
        "use_enum_values",
        "from_attributes",
        "defer_build",
        "use_attribute_docstrings",
        "ser_json_bytes",
        "ser_json_timedelta",
        "ser_json_inf_nan",
    }
)
_PLAIN_TYPES = (int, float, bool, str, bytes, _dt.datetime)
_LIMITS = (
    annotated_types.Gt,
    annotated_types.Ge,
    annotated_types.Lt,
    annotated_types.Le,
    annotated_types.MultipleOf,
    annotated_types.MinLen,
    annotated_types.MaxLen,
)


class FrameValidator:
    """Validates a DataFrame (or a list of rows, or a dict of columns) against the fields of a
    pydantic model, column-wise.

    Returns a new DataFrame with one column per field, in field order, named by field, in the
    field's type (int64, float64, bool, datetime64; nullable dtypes where None is allowed),
    defaults filled in. Columns that are not fields are dropped with a `TypedModelWarning` (or
    are issues, for a model with ``extra="forbid"``).
    """

    def __init__(
        self, row: type[pydantic.BaseModel], *, strict: bool = False, hide_input: bool = False
    ) -> None:
        self.row = row
        self.strict = strict
        self.hide_input = hide_input
        decorators = row.__pydantic_decorators__
        config = set(row.model_config) - _COLUMNAR_CONFIG
        self.row_wise: BatchValidator | None = None
        if decorators.field_validators or decorators.model_validators or strict or config:
            self.row_wise = BatchValidator(row, strict=strict, hide_input=hide_input)
        tree = hint_to_type(row, where=row.__name__)
        assert isinstance(tree, Object)  # Frame[Row] checks Row is a model
        by_name = bool(
            row.model_config.get("populate_by_name") or row.model_config.get("validate_by_name")
        )
        plans = [
            _plan(name, info, tree.property(_wire_name(name, info)), by_name=by_name)
            for name, info in row.model_fields.items()
        ]
        self.table = TableValidator(
            plans,
            closed=tree.closed,
            keep_labels=False,
            output_names=list(row.model_fields),
            hide_input=hide_input,
            known=f"fields of {row.__name__}",
        )

    def validate(self, data: Any) -> Any:
        if self.row_wise is not None:
            return self._row_wise(data)
        if isinstance(data, (list, tuple)) and not all(isinstance(r, Mapping) for r in data):
            data = self._records(data)
        return self.table.validate(data)

    def _records(self, rows: Sequence[Any]) -> list[dict[str, Any]]:
        """Rows that aren't all dicts, as dicts: instances of the model give their fields, and
        anything else is refused by the rows' own checks, row by row, as ``list[Row]`` does."""
        checked = BatchValidator(self.row, hide_input=self.hide_input).validate(rows)
        fields = [(name, _wire_name(name, info)) for name, info in self.row.model_fields.items()]
        return [{wire: getattr(r, name) for name, wire in fields} for r in checked]

    def _row_wise(self, data: Any) -> Any:
        import pandas as pd

        assert self.row_wise is not None
        rows = self.row_wise.validate(data)
        index = data.index if isinstance(data, pd.DataFrame) else None
        columns = list(self.row.model_fields)
        return pd.DataFrame([r.model_dump() for r in rows], index=index, columns=columns)


def _plan(name: str, info: FieldInfo, prop: Any, *, by_name: bool) -> ColumnPlan:
    wire = _wire_name(name, info)
    inner, _ = _strip_optional(info.annotation)
    inner, _, _ = _unwrap_annotated(inner)
    inner, _ = _strip_optional(inner)
    hint = info.annotation
    if info.metadata:
        hint = typing.Annotated.__class_getitem__((info.annotation, *info.metadata))  # type: ignore[attr-defined]
    is_enum = isinstance(inner, type) and issubclass(inner, enum.Enum)
    columnar = _tree_says_all(info, inner) and (
        inner in _PLAIN_TYPES or is_enum or isinstance(prop.dtype, LiteralType)
    )
    default = prop.default
    if is_enum and isinstance(info.default, enum.Enum):
        default = info.default.value
    return ColumnPlan(
        key=wire,
        names=(wire, name) if by_name and name != wire else (wire,),
        dtype=prop.dtype if columnar else _BY_PYDANTIC,
        required=prop.required,
        nullable=prop.nullable,
        default=default,
        constraints=prop.constraints,
        hint=hint,
        is_enum=is_enum,
    )


def _tree_says_all(info: FieldInfo, inner: Any) -> bool:
    """Whether the field's hint holds nothing beyond its type and the tree's constraints."""
    metadata = list(info.metadata)
    hint = info.annotation
    while True:
        stripped, _ = _strip_optional(hint)
        if typing.get_origin(stripped) is not typing.Annotated:
            break
        metadata.extend(stripped.__metadata__)
        hint = typing.get_args(stripped)[0]
    for item in metadata:
        if isinstance(item, _LIMITS):
            continue
        if type(item).__name__ == "_PydanticGeneralMetadata" and set(vars(item)) <= {"pattern"}:
            continue
        if isinstance(item, FieldInfo) and not item.metadata:
            continue
        return False
    return True


class _ByPydantic:
    """The dtype of a column that pydantic checks value by value."""

    __slots__ = ()


_BY_PYDANTIC: Any = _ByPydantic()
