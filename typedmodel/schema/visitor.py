"""The visitor over node kinds: one method per kind of `NODE_KINDS`, checked when a visitor
class is defined, so a new kind of node can't be skipped silently.

Every walk of the type tree is a `NodeVisitor`: the MLflow form, params checks, the tree ->
hint translation, inference and the docs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from typedmodel.errors import SchemaError
from typedmodel.schema.nodes import NODE_KINDS, DType

__all__ = ["NodeVisitor"]

C = TypeVar("C")
R = TypeVar("R")


def _method_name(kind: type) -> str:
    return "visit_" + re.sub(r"(?<!^)(?=[A-Z])", "_", kind.__name__).lower()


class NodeVisitor(Generic[C, R]):
    """Calls ``visit_<kind>(node, context)`` for each kind of type node.

    The method table is built from `NODE_KINDS` when a subclass is defined: a subclass missing
    a method for any kind fails right there (at import), never silently later.

    Examples:
        >>> from typedmodel.schema import DataType, Array
        >>> class Depth(NodeVisitor[None, int]):
        ...     def visit_data_type(self, node, c): return 0
        ...     def visit_array(self, node, c): return 1 + self.visit(node.dtype, c)
        ...     def visit_map(self, node, c): return 1 + self.visit(node.value_type, c)
        ...     def visit_object(self, node, c): return 1
        ...     def visit_any_type(self, node, c): return 0
        ...     def visit_union_type(self, node, c): return 0
        ...     def visit_literal_type(self, node, c): return 0
        >>> Depth().visit(Array(Array("long")), None)
        2
    """

    _methods: ClassVar[dict[type, Callable[..., Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        missing = [_method_name(k) for k in NODE_KINDS if not hasattr(cls, _method_name(k))]
        if missing:
            raise TypeError(
                f"{cls.__name__} has no method for node kinds {missing}: a visitor handles "
                "every kind in typedmodel.schema.NODE_KINDS"
            )
        cls._methods = {kind: getattr(cls, _method_name(kind)) for kind in NODE_KINDS}

    def visit(self, node: DType, context: C) -> R:
        method = self._methods.get(type(node))
        if method is None:
            raise SchemaError(f"not a schema type node: {type(node).__name__}")
        result: R = method(self, node, context)
        return result
