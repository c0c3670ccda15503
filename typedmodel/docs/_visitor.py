"""The visitor over node kinds: one method per kind of `NODE_KINDS`, checked when a visitor
class is defined, so a new kind of node can't be skipped silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from typedmodel.errors import SchemaError
from typedmodel.schema import (
    NODE_KINDS,
    DType,
)

C = TypeVar("C")
R = TypeVar("R")


def _method_name(kind: type) -> str:
    return "visit_" + re.sub(r"(?<!^)(?=[A-Z])", "_", kind.__name__).lower()


class _NodeVisitor(Generic[C, R]):
    """Calls ``visit_<kind>(node, context)`` for each kind of type node.

    The method table is built from `NODE_KINDS` when a subclass is defined: a subclass missing
    a method for any kind fails right there (at import), never silently later.
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
            raise SchemaError(f"not a schema type node: {node!r}")
        result: R = method(self, node, context)
        return result
