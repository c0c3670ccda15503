"""`SchemaEnforcer`: an explicit ColSpec or TensorSpec schema enforced on a batch.

Columns go through the columnar engine (`typedmodel.validate.columns`), with the same rules as
``Frame[Row]``: lax value-exact casts (an int64 column into a double when every value is held,
integral floats into a long, numeric strings into numbers), missing values by the table rule,
extra columns dropped with a `TypedModelWarning`, the schema's order, the batch's own column
labels. Nested values are checked by pydantic through `tree_to_hint` and stay the plain values
they were (a dict stays a dict). What predict receives is what MLflow's pyfunc hands a model
with the same signature.
"""

from __future__ import annotations

import typing
from typing import Any

from typedmodel.schema import ColSpec, Schema
from typedmodel.validate.columns import ColumnPlan, TableValidator
from typedmodel.validate.rows import BatchValidator
from typedmodel.validate.tensors import TensorEnforcer
from typedmodel.validate.tree_hints import tree_to_hint

__all__ = ["SchemaEnforcer"]


class SchemaEnforcer:
    """Enforces an explicit `Schema` on a batch: columns or tensors."""

    def __init__(self, schema: Schema, *, hide_input: bool = False) -> None:
        self.schema = schema
        self.hide_input = hide_input
        self._tensors: TensorEnforcer | None = None
        self._values: BatchValidator | None = None
        if schema.is_tensor_spec():
            self._tensors = TensorEnforcer(schema, hide_input=hide_input)
            return
        specs: list[ColSpec] = list(schema.inputs)  # type: ignore[arg-type]
        named = schema.has_input_names()
        self.table = TableValidator(
            [_plan(spec, i) for i, spec in enumerate(specs)],
            by_position=not named,
            keep_labels=True,
            lone_row=True,
            fill_absent=False,
            hide_input=hide_input,
        )
        if len(specs) == 1 and not named:
            # One unnamed column (the form hints such as list[Model] give): a list stays a list.
            only = specs[0]
            element = tree_to_hint(only.type, only.constraints)
            if only.nullable:
                element = typing.Optional[element]  # noqa: UP045
            self._values = BatchValidator(element, hide_input=hide_input)

    def validate(self, data: Any) -> Any:
        if self._tensors is not None:
            return self._tensors.validate(data)
        if self._values is not None and isinstance(data, (list, tuple)):
            return self._values.validate(data)
        return self.table.validate(data)


def _plan(spec: ColSpec, position: int) -> ColumnPlan:
    key = spec.name if spec.name is not None else position
    return ColumnPlan(
        key=key,
        names=(key,),
        dtype=spec.type,
        required=spec.required,
        nullable=spec.nullable,
        default=spec.default,
        constraints=spec.constraints,
        hint=tree_to_hint(spec.type, spec.constraints),
    )
