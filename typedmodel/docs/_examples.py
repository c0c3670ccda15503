"""Example values generated from the tree, within its constraints (simple patterns included)."""

from __future__ import annotations

import base64
import importlib
import math
import re
from typing import Any

from typedmodel.docs._util import _plain
from typedmodel.schema import (
    MISSING,
    AnyType,
    Array,
    Constraints,
    DataType,
    DType,
    LiteralType,
    Map,
    Object,
    UnionType,
)
from typedmodel.schema.visitor import NodeVisitor

_EXAMPLE_SCALARS: dict[DataType, Any] = {
    DataType.boolean: True,
    DataType.integer: 1,
    DataType.long: 1,
    DataType.float: 1.0,
    DataType.double: 1.0,
    DataType.string: "string",
    DataType.binary: base64.b64encode(b"bytes").decode("ascii"),
    DataType.datetime: "2024-01-01T00:00:00",
}


class _Example(NodeVisitor[Constraints, Any]):
    """A deterministic example value that fits the node and its constraints (best effort)."""

    def visit_data_type(self, node: DataType, c: Constraints) -> Any:
        if node in (DataType.integer, DataType.long):
            return _number(c, integer=True)
        if node in (DataType.float, DataType.double):
            return _number(c, integer=False)
        if node is DataType.string:
            return _text(c)
        return _EXAMPLE_SCALARS[node]

    def visit_array(self, node: Array, c: Constraints) -> Any:
        return [self.visit(node.dtype, Constraints())] * _count(c)

    def visit_map(self, node: Map, c: Constraints) -> Any:
        value = self.visit(node.value_type, Constraints())
        return {("key" if i == 0 else f"key{i + 1}"): value for i in range(_count(c))}

    def visit_object(self, node: Object, c: Constraints) -> Any:
        return {
            p.name: _holder_example(self, p.dtype, p.default, p.constraints)
            for p in node.properties
        }

    def visit_any_type(self, node: AnyType, c: Constraints) -> Any:
        return "value"

    def visit_union_type(self, node: UnionType, c: Constraints) -> Any:
        return self.visit(node.types[0], c)

    def visit_literal_type(self, node: LiteralType, c: Constraints) -> Any:
        return node.values[0]


def _holder_example(ex: _Example, dtype: DType, default: Any, c: Constraints) -> Any:
    if default is not MISSING and default is not None:
        return _plain(default)
    return ex.visit(dtype, c)


def _count(c: Constraints) -> int:
    """How many items an example list or map has: one, or as many as the lengths ask."""
    n = max(1, c.min_length or 0)
    return min(n, c.max_length) if c.max_length is not None and c.max_length >= 0 else n


def _number(c: Constraints, *, integer: bool) -> Any:
    """1 (or 1.0), moved inside the bounds and onto the step when the constraints ask."""
    lows = [
        (float(v), ex) for v, ex in ((c.ge, False), (c.gt, True)) if v is not None and _finite(v)
    ]
    highs = [
        (float(v), ex) for v, ex in ((c.le, False), (c.lt, True)) if v is not None and _finite(v)
    ]
    low = max(lows) if lows else None  # (bound, exclusive); the tighter bound wins
    high = min(highs, key=lambda b: (b[0], not b[1])) if highs else None
    x = 1.0
    if low is not None and (x < low[0] or (low[1] and x <= low[0])):
        if integer:
            x = math.floor(low[0]) + 1 if low[1] else math.ceil(low[0])
        else:
            x = low[0] + 1 if low[1] else low[0]
    if high is not None and (x > high[0] or (high[1] and x >= high[0])):
        if integer:
            x = math.ceil(high[0]) - 1 if high[1] else math.floor(high[0])
        elif low is not None:
            x = (low[0] + high[0]) / 2
        else:
            x = high[0] - 1 if high[1] else high[0]
    step = c.multiple_of
    if step is not None and _finite(step) and step > 0:
        x = math.ceil(x / step) * step
        if high is not None and x > high[0]:
            x = math.floor(high[0] / step) * step
    return int(x) if integer else float(x)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _text(c: Constraints) -> str:
    text = "string"
    if c.pattern is not None:
        return _pattern_example(c.pattern) or text
    if c.min_length is not None and len(text) < c.min_length:
        text = (text * (c.min_length // len(text) + 1))[: c.min_length]
    if c.max_length is not None and c.max_length >= 0:
        text = text[: c.max_length]
    return text


def _pattern_example(pattern: str) -> str | None:
    """A string that matches `pattern`, for simple patterns (None when none is found)."""
    try:
        compiled = re.compile(pattern)
        candidate = _from_regex(_regex_parser().parse(pattern))
    except Exception:  # any pattern the small generator can't follow: no example, no error
        return None
    return candidate if compiled.search(candidate) else None


def _regex_parser() -> Any:
    # Python's own regex parser; private, so it is only used to find an example (and checked).
    try:
        return importlib.import_module("re._parser")
    except ImportError:  # pragma: no cover  # Python 3.10 names it sre_parse
        return importlib.import_module("sre_parse")


class _NoExample(Exception):
    pass


def _from_regex(items: Any) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("b" if arg == ord("a") else "a")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_class_char(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            out.append(_from_regex(sub) * low)
        elif name == "SUBPATTERN":
            out.append(_from_regex(arg[-1]))
        elif name == "ATOMIC_GROUP":
            out.append(_from_regex(arg))
        elif name == "BRANCH":
            out.append(_from_regex(arg[1][0]))
        elif name != "AT":  # anchors add nothing; anything else is beyond this generator
            raise _NoExample(name)
    return "".join(out)


_CATEGORY_CHARS = {
    "CATEGORY_DIGIT": "0",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": "-",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
}


def _class_char(items: Any) -> str:
    op, arg = items[0]
    name = str(op)
    if name == "LITERAL":
        return chr(arg)
    if name == "RANGE":
        return chr(arg[0])
    if name == "CATEGORY":
        return _CATEGORY_CHARS.get(str(arg), "a")
    return "a"  # a negated class: usually fine, and the result is checked anyway
