"""Readable types for Markdown and HTML (`list[double]`, `map<str, double>`, `"a" | "b"`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from typedmodel.docs._util import _json
from typedmodel.schema import (
    AnyType,
    Array,
    Constraints,
    DataType,
    LiteralType,
    Map,
    Object,
    TensorSpec,
    UnionType,
)
from typedmodel.schema.visitor import NodeVisitor


@dataclass(frozen=True)
class _Code:
    text: str


@dataclass(frozen=True)
class _Link:
    text: str  # shown as code
    anchor: str


_Inline = str | _Code | _Link  # a str is plain text
_Cell = tuple[_Inline, ...]


class _TypeText(NodeVisitor[str, list[_Inline]]):
    """A readable type: ``list[double]``, ``map<str, long>``, ``"a" | "b"``, a link to an
    object's own table. The context is the path of the value, which names that table."""

    def __init__(self, on_object: Callable[[Object, str], str]) -> None:
        self.on_object = on_object  # registers an object's sub-table; returns its anchor

    def visit_data_type(self, node: DataType, path: str) -> list[_Inline]:
        return [_Code(node.value)]

    def visit_array(self, node: Array, path: str) -> list[_Inline]:
        return [_Code("list["), *self.visit(node.dtype, f"{path}[]"), _Code("]")]

    def visit_map(self, node: Map, path: str) -> list[_Inline]:
        return [_Code("map<str, "), *self.visit(node.value_type, f"{path}{{}}"), _Code(">")]

    def visit_object(self, node: Object, path: str) -> list[_Inline]:
        return [_Link("object", self.on_object(node, path))]

    def visit_any_type(self, node: AnyType, path: str) -> list[_Inline]:
        return [_Code("any")]

    def visit_union_type(self, node: UnionType, path: str) -> list[_Inline]:
        return _joined([self.visit(t, path) for t in node.types])

    def visit_literal_type(self, node: LiteralType, path: str) -> list[_Inline]:
        return _joined([[_Code(_json(v))] for v in node.values])


def _joined(parts: list[list[_Inline]]) -> list[_Inline]:
    out: list[_Inline] = []
    for i, part in enumerate(parts):
        if i:
            out.append(" | ")
        out.extend(part)
    return out


def _tensor_text(spec: TensorSpec) -> str:
    return f"tensor {spec.type.name} [{', '.join(map(str, spec.shape))}]"


def _constraint_text(c: Constraints) -> list[_Inline]:
    words = {
        "gt": ">",
        "ge": ">=",
        "lt": "<",
        "le": "<=",
        "multiple_of": "multiple of",
        "min_length": "min length",
        "max_length": "max length",
        "pattern": "pattern",
    }
    out: list[_Inline] = []
    for key, value in c.to_dict().items():
        if out:
            out.append(", ")
        shown = value if key == "pattern" else _json(value)
        out.append(_Code(f"{words[key]} {shown}"))
    return out
