"""Tree -> Python hint: a type that pydantic validates as a schema node describes.

Explicit schemas (and the value-by-value checks of the columnar paths) validate nested values
with pydantic through these hints. An `Object` becomes a TypedDict, so a value stays the plain
dict it was (no absent key is filled in), closed objects refuse other keys, and open ones drop
them. Constraints apply where the rule table says they do (`typedmodel.schema.rules.applicable`).
"""

from __future__ import annotations

import typing
from typing import Any, Literal

import pydantic
import typing_extensions

from typedmodel.schema import (
    AnyType,
    Array,
    Constraints,
    DataType,
    LiteralType,
    Map,
    Object,
    UnionType,
)
from typedmodel.schema.nodes import DType
from typedmodel.schema.rules import applicable, rule
from typedmodel.schema.visitor import NodeVisitor
from typedmodel.validate._core import Holds

__all__ = ["tree_to_hint"]


def tree_to_hint(dtype: DType, constraints: Constraints | None = None) -> Any:
    """A Python type that pydantic validates as `dtype` (and `constraints`) describe.

    Examples:
        >>> tree_to_hint(Array("double"))
        list[float]
    """
    return _HINTS.visit(dtype, constraints or Constraints())


def _constrained(hint: Any, node: DType, c: Constraints) -> Any:
    kept = {k: v for k, v in c.to_dict().items() if k in applicable(node)}
    if not kept:
        return hint
    return typing.Annotated[hint, pydantic.Field(**kept)]


class _Hints(NodeVisitor[Constraints, Any]):
    def visit_data_type(self, node: DataType, c: Constraints) -> Any:
        hint: Any = rule(node).python
        if node in (DataType.integer, DataType.float):  # widths Python's types don't name
            hint = typing.Annotated[hint, Holds(node)]
        return _constrained(hint, node, c)

    def visit_any_type(self, node: AnyType, c: Constraints) -> Any:
        return Any

    def visit_array(self, node: Array, c: Constraints) -> Any:
        item = self.visit(node.dtype, node.item_constraints)
        return _constrained(list[item], node, c)  # type: ignore[valid-type]

    def visit_map(self, node: Map, c: Constraints) -> Any:
        value = self.visit(node.value_type, node.value_constraints)
        return _constrained(dict[str, value], node, c)  # type: ignore[valid-type]

    def visit_literal_type(self, node: LiteralType, c: Constraints) -> Any:
        return Literal[node.values]

    def visit_union_type(self, node: UnionType, c: Constraints) -> Any:
        return typing.Union[tuple(self.visit(t, c) for t in node.types)]  # noqa: UP007

    def visit_object(self, node: Object, c: Constraints) -> Any:
        fields: dict[str, Any] = {}
        for prop in node.properties:
            hint = self.visit(prop.dtype, prop.constraints)
            if prop.nullable:
                hint = typing.Optional[hint]  # noqa: UP045
            wrap = typing_extensions.Required if prop.required else typing_extensions.NotRequired
            fields[prop.name] = wrap[hint]
        make: Any = typing_extensions.TypedDict
        typed = make("Object", fields)
        config = pydantic.ConfigDict(extra="forbid" if node.closed else "ignore")
        typed.__pydantic_config__ = config
        return typed


_HINTS = _Hints()
