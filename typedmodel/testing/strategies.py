"""Hypothesis strategies drawn from a model's contract.

Each strategy is built node by node from the schema tree, with the node's constraints merged
first (bounds, lengths, patterns, ``multiple_of``, allowed values), so every value it draws keeps
to the contract without being filtered out after the fact. The one exception is a string with
both a pattern and lengths: its strings come from the pattern and are kept to the lengths.

`obj` is anything `typedmodel.signature_of` takes (a typed class, instance or function, a loaded
model, a saved model's directory), ``"module:attribute"``, an MLmodel file, a signature JSON file,
a `ModelSignature`, a `Schema` (the inputs) or a `ParamSchema`.

With ``valid=False`` a strategy draws `Invalid` records instead: a value that breaks the contract
in one way, the tag of that way (`TAGS`) and where (`Invalid.loc`). Each is built so that it
breaks the rule it names, and shrinking keeps it broken.

Numbers start with a boundary phase: a draw is first one of the values at the edges of the
contract (the dtype's or the constraints' minimum and maximum, ``-0.0``, NaN and the infinities
where a float allows them, the empty and the longest allowed string, an empty batch and a batch
of one), then anything within.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, NamedTuple, cast

import numpy as np
from hypothesis import strategies as st

from typedmodel.errors import SchemaError
from typedmodel.schema import (
    AnyType,
    Array,
    Constraints,
    DataType,
    LiteralType,
    Map,
    Object,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
    UnionType,
)
from typedmodel.schema.nodes import DType
from typedmodel.schema.rules import applicable, rule
from typedmodel.schema.visitor import NodeVisitor
from typedmodel.signature import ModelSignature

__all__ = [
    "TAGS",
    "Invalid",
    "arrays",
    "batches",
    "frames",
    "params",
    "requests",
    "rows",
    "signature",
]

TAGS = ("missing", "type", "constraint", "range", "extra", "shape", "dtype", "param")
"""The ways an `Invalid` value breaks the contract: a required field or column removed, a value
of the wrong type (or outside a Literal's values), a constraint negated, a number the dtype
doesn't hold (beyond an integer's range, too large for a 32-bit float, an integer a float would
round), an extra key on a closed object, a tensor of the wrong shape or dtype, an unknown param."""

Format = Literal["inputs", "dataframe_split", "dataframe_records", "instances"]

_MAX_BATCH = 8
_EXTRA = 8  # how far past a minimum length sizes go when there is no maximum
_DATETIMES = (_dt.datetime(1700, 1, 1), _dt.datetime(2200, 12, 31))  # within datetime64[ns]
_WRONG_TEXT = st.text(alphabet="qxz", min_size=1, max_size=3)  # no number, bool or date


class Invalid(NamedTuple):
    """A value that breaks the contract in one way.

    Attributes:
        value: the value (a batch, a row, params, arrays or a request body).
        tag: which kind of rule it breaks, one of `TAGS`.
        loc: where: a batch's row index then the path inside the row (the `Issue`'s ``row``
            and ``loc``); ``("params", name, ...)`` for params; the tensor's name for arrays.
        detail: the rule, in a few words (``"ge=0"``, ``"required"``).
    """

    value: Any
    tag: str
    loc: tuple[Any, ...]
    detail: str


# -- the signature of anything ------------------------------------------------------------------


def signature(obj: Any) -> ModelSignature:
    """The `ModelSignature` the strategies read from `obj` (see the module)."""
    if isinstance(obj, ModelSignature):
        return obj
    if isinstance(obj, Schema):
        return ModelSignature(inputs=obj)
    if isinstance(obj, ParamSchema):
        return ModelSignature(params=obj)
    if isinstance(obj, (str, os.PathLike)):
        path = Path(obj)
        if path.is_file() and path.suffix == ".json":
            try:
                return ModelSignature.from_dict(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                raise SchemaError(f"can't read a signature from {path}: {exc}") from None
        if path.is_file():
            path = path.parent  # an MLmodel file: its directory
        if not path.is_dir() and isinstance(obj, str) and ":" in obj:
            from typedmodel.cli import _resolve

            obj = _resolve(obj)
        else:
            obj = path
    from typedmodel.model import signature_of

    return signature_of(obj)


def _inputs(obj: Any) -> Schema:
    sig = signature(obj)
    if sig.inputs is None:
        raise SchemaError("the signature has no input schema: nothing to draw inputs from")
    return sig.inputs


# -- what one value may be ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Ctx:
    c: Constraints = field(default_factory=Constraints)
    cell: bool = False  # sits in a DataFrame cell: never None or NaN at this level
    wire: bool = False  # goes into a JSON body: finite floats, dates and bytes as strings
    params: bool = False  # MLflow's params rules: a required property is never None
    limits: bool = True  # constraints are enforced here (params check them at the top only)

    def inner(self, c: Constraints) -> _Ctx:
        return replace(self, c=c, cell=False, limits=self.limits and not self.params)


@dataclass(frozen=True)
class _Field:
    name: Any
    dtype: DType
    required: bool
    nullable: bool
    constraints: Constraints


def _fields(holders: Sequence[Any]) -> list[_Field]:
    out = []
    for h in holders:
        dtype = h.dtype if hasattr(h, "dtype") else h.type
        out.append(_Field(h.name, dtype, h.required, h.nullable, h.constraints))
    return out


def _edges(base: st.SearchStrategy[Any], edges: Sequence[Any]) -> st.SearchStrategy[Any]:
    """`base`, with the boundary values drawn first (and shrunk towards)."""
    if not edges:
        return base
    unique = list({repr(e): e for e in edges}.values())  # repr: -0.0 is not 0.0 here
    return st.one_of(st.sampled_from(unique), base)


def _limits(c: Constraints, node: DType) -> dict[str, Any]:
    return {k: v for k, v in c.to_dict().items() if k in applicable(node)}


def _nowhere(what: str) -> SchemaError:
    return SchemaError(f"no {what} keeps to its constraints: they contradict each other")


def _int_range(node: DataType, lim: dict[str, Any]) -> tuple[int, int]:
    r = rule(node)
    low, high = int(r.low), int(r.high)  # type: ignore[arg-type]
    for name, bound in lim.items():
        if name == "multiple_of" or not _finite(bound):
            continue
        b = Fraction(bound)
        if name == "ge":
            low = max(low, math.ceil(b))
        elif name == "gt":
            low = max(low, math.floor(b) + 1)
        elif name == "le":
            high = min(high, math.floor(b))
        elif name == "lt":
            high = min(high, math.ceil(b) - 1)
    return low, high


def _finite(x: Any) -> bool:
    return isinstance(x, int) or (isinstance(x, float) and math.isfinite(x))


def _step(m: Any) -> Fraction:
    step = abs(Fraction(m))
    if step == 0:
        raise SchemaError("multiple_of=0: no number is a multiple of 0")
    return step


def _ints(node: DataType, lim: dict[str, Any]) -> tuple[st.SearchStrategy[int], int, int]:
    low, high = _int_range(node, lim)
    m = lim.get("multiple_of")
    if m is None:
        if low > high:
            raise _nowhere(f"{node.value}")
        edges = [low, high, *([0] if low <= 0 <= high else [])]
        return _edges(st.integers(low, high), edges), low, high
    step = _step(m).numerator  # the integer multiples of p/q are the multiples of p
    if isinstance(m, float):  # the checks compute in floats: stay where they are exact
        low, high = max(low, -(2**53)), min(high, 2**53)
    kmin, kmax = math.ceil(Fraction(low, step)), math.floor(Fraction(high, step))
    if kmin > kmax:
        raise _nowhere(f"{node.value}")
    ks = _edges(st.integers(kmin, kmax), [kmin, kmax, *([0] if kmin <= 0 <= kmax else [])])
    return ks.map(lambda k: k * step), kmin * step, kmax * step


def _width(node: DataType) -> Literal[32, 64]:
    return 32 if node is DataType.float else 64


def _round(x: Fraction, width: int) -> float:
    f = float(x)
    return float(np.float32(f)) if width == 32 else f


def _next(f: float, up: bool, width: int) -> float:
    if width == 32:
        with np.errstate(over="ignore"):
            return float(np.nextafter(np.float32(f), np.float32(math.inf if up else -math.inf)))
    return math.nextafter(f, math.inf if up else -math.inf)


def _float_at_least(x: Fraction, strict: bool, width: int) -> float:
    f = _round(x, width)
    while math.isfinite(f) and (Fraction(f) < x or (strict and Fraction(f) == x)):
        f = _next(f, True, width)
    while math.isfinite(f):
        g = _next(f, False, width)
        if math.isfinite(g) and (Fraction(g) > x or (not strict and Fraction(g) == x)):
            f = g
        else:
            return f
    return f


def _float_at_most(x: Fraction, strict: bool, width: int) -> float:
    return -_float_at_least(-x, strict, width)


def _float_range(node: DataType, lim: dict[str, Any]) -> tuple[float, float]:
    width, high = _width(node), Fraction(rule(node).high)  # type: ignore[arg-type]
    lo, hi = -_float_at_most(high, False, width), _float_at_most(high, False, width)
    for name, bound in lim.items():
        if name == "multiple_of" or not _finite(bound):
            continue
        b = Fraction(bound)
        if name in ("ge", "gt"):
            lo = max(lo, _float_at_least(b, name == "gt", width))
        else:
            hi = min(hi, _float_at_most(b, name == "lt", width))
    return lo, hi


def _floats(node: DataType, lim: dict[str, Any], ctx: _Ctx) -> st.SearchStrategy[float]:
    width = _width(node)
    lo, hi = _float_range(node, lim)
    if lo > hi:
        raise _nowhere(node.value)
    m = lim.get("multiple_of")
    if m is not None:
        step = _step(m)
        kmin, kmax = math.ceil(Fraction(lo) / step), math.floor(Fraction(hi) / step)
        ks = _exact_multiples(kmin, kmax, 2 ** (24 if width == 32 else 53) // step.numerator)
        if ks is None:
            raise _nowhere(node.value)
        return ks.map(lambda k: float(k * step))
    base = st.floats(lo, hi, width=width, allow_nan=False, allow_infinity=False)
    edges: list[Any] = [lo, hi]
    if lo <= 0.0 <= hi:
        edges += [0.0, -0.0]
    tiny = _next(0.0, True, width)
    if lo <= tiny <= hi:
        edges.append(tiny)
    if not lim and not ctx.wire:
        edges += [math.inf, -math.inf]
        if not ctx.cell:
            edges.append(math.nan)
    return _edges(base, edges)


def _exact_multiples(kmin: int, kmax: int, held: int) -> st.SearchStrategy[int] | None:
    """The k in [kmin, kmax] of the form o * 2**j with |o| <= held: those whose product with
    the step is a float held exactly (None when there is none)."""
    spans = []
    for j in range(max(abs(kmin), abs(kmax)).bit_length() + 1):
        lo_o = max(-held, -((-kmin) >> j))  # ceil(kmin / 2**j)
        hi_o = min(held, kmax >> j)  # floor(kmax / 2**j)
        if lo_o <= hi_o:
            spans.append((j, lo_o, hi_o))
    if not spans:
        return None
    first = [k for j, a, b in spans[:1] for k in (a << j, b << j)]
    edges = [*first, *([0] if kmin <= 0 <= kmax else [])]
    pick = st.sampled_from(spans).flatmap(
        lambda s: st.integers(s[1], s[2]).map(lambda o: o << s[0])
    )
    return _edges(pick, edges)


def _sizes(c: dict[str, Any]) -> tuple[int, int, int | None]:
    """(min size, max size to draw, the maximum allowed)."""
    low = int(c.get("min_length") or 0)
    most = c.get("max_length")
    high = low + _EXTRA if most is None else min(int(most), low + _EXTRA)
    if most is not None and low > most:
        raise _nowhere("length")
    return low, high, most


_PRINTABLE = st.characters(codec="utf-8", exclude_categories=["Cs"])


def _strings(lim: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high, most = _sizes(lim)
    pattern = lim.get("pattern")
    if pattern is not None:
        try:
            base: st.SearchStrategy[str] = st.from_regex(pattern, fullmatch=True)
        except (re.error, TypeError) as exc:
            raise SchemaError(f"can't draw strings for the pattern {pattern!r}: {exc}") from None
        if "min_length" in lim or "max_length" in lim:
            top = math.inf if most is None else most
            base = base.filter(lambda s: low <= len(s) <= top)
        return base
    edges = [] if low else [""]
    base = st.text(_PRINTABLE, min_size=low, max_size=high)
    if most is not None and most <= 1000:
        return st.one_of(st.sampled_from([*edges, "x" * most]), base)
    return _edges(base, edges)


def _json_values(ctx: _Ctx) -> st.SearchStrategy[Any]:
    floats = st.floats(allow_nan=not ctx.wire, allow_infinity=not ctx.wire)
    ints = st.integers(int(rule(DataType.long).low), int(rule(DataType.long).high))  # type: ignore[arg-type]
    text = st.text(max_size=6)
    scalars = st.none() | st.booleans() | ints | floats | text
    inner = st.recursive(
        scalars,
        lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=4), kids),
        max_leaves=6,
    )
    if not ctx.cell:
        return inner
    top_floats = st.floats(allow_nan=False, allow_infinity=not ctx.wire)
    return st.one_of(
        st.booleans(),
        ints,
        top_floats,
        text,
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=4), inner, max_size=3),
    )


class _Valid(NodeVisitor[_Ctx, "st.SearchStrategy[Any]"]):
    """The values a node (with its constraints) takes."""

    def visit_data_type(self, node: DataType, ctx: _Ctx) -> st.SearchStrategy[Any]:
        lim = _limits(ctx.c, node) if ctx.limits else {}
        family = rule(node).family
        if family == "bool":
            return st.booleans()
        if family == "int":
            return _ints(node, lim)[0]
        if family == "float":
            return _floats(node, lim, ctx)
        if family == "str":
            return _strings(lim)
        if family == "bytes":
            low, high, _ = _sizes(lim)
            return _edges(st.binary(min_size=low, max_size=high), [] if low else [b""])
        dates = st.datetimes(*_DATETIMES)
        return dates.map(_dt.datetime.isoformat) if ctx.wire else dates

    def visit_any_type(self, node: AnyType, ctx: _Ctx) -> st.SearchStrategy[Any]:
        return _json_values(ctx)

    def visit_literal_type(self, node: LiteralType, ctx: _Ctx) -> st.SearchStrategy[Any]:
        values = [v for v in node.values if not (ctx.cell and isinstance(v, float) and v != v)]
        return st.sampled_from(values)

    def visit_union_type(self, node: UnionType, ctx: _Ctx) -> st.SearchStrategy[Any]:
        return st.one_of([self.visit(t, ctx) for t in node.types])

    def visit_array(self, node: Array, ctx: _Ctx) -> st.SearchStrategy[Any]:
        low, high, _ = _sizes(_limits(ctx.c, node) if ctx.limits else {})
        return st.lists(
            self.visit(node.dtype, ctx.inner(node.item_constraints)), min_size=low, max_size=high
        )

    def visit_map(self, node: Map, ctx: _Ctx) -> st.SearchStrategy[Any]:
        low, high, _ = _sizes(_limits(ctx.c, node) if ctx.limits else {})
        value = self.visit(node.value_type, ctx.inner(node.value_constraints))
        return st.dictionaries(st.text(max_size=6), value, min_size=low, max_size=high)

    def visit_object(self, node: Object, ctx: _Ctx) -> st.SearchStrategy[Any]:
        whole = self.record(_fields(node.properties), replace(ctx, cell=False), cells=False)
        if node.closed or ctx.params:
            return whole
        # An open object takes (and drops) keys it doesn't declare: draw some of those too.
        taken = {p.name for p in node.properties}
        others = st.dictionaries(
            st.text(min_size=1, max_size=6).map(lambda n: _not_a_key(taken, n)),
            _json_values(replace(ctx, cell=False)),
            max_size=2,
        )
        return st.tuples(others, whole).map(lambda t: {**t[0], **t[1]})

    def field(self, f: _Field, ctx: _Ctx, *, cell: bool) -> st.SearchStrategy[Any]:
        """A field's values, None included where it may be None."""
        value = self.visit(f.dtype, replace(ctx.inner(f.constraints), cell=cell))
        if f.nullable and not (ctx.params and f.required):
            return st.none() | value
        return value

    def record(self, fields: list[_Field], ctx: _Ctx, *, cells: bool) -> st.SearchStrategy[Any]:
        """A dict of fields: the required ones always, the others or not."""
        required = {f.name: self.field(f, ctx, cell=cells) for f in fields if f.required}
        optional = {f.name: self.field(f, ctx, cell=cells) for f in fields if not f.required}
        return st.fixed_dictionaries(required, optional=optional)


_VALID = _Valid()


def values(dtype: DType, constraints: Constraints | None = None) -> st.SearchStrategy[Any]:
    """The values of one type node (with `constraints`)."""
    return _VALID.visit(dtype, _Ctx(constraints or Constraints()))


# -- how one value breaks -----------------------------------------------------------------------


def _broken(tag: str, detail: str, loc: tuple[Any, ...] = ()) -> Callable[[Any], Invalid]:
    return lambda value: Invalid(value, tag, loc, detail)


def _not_a_key(taken: Any, base: str = "qx_extra") -> str:
    key = base
    while key in taken:
        key += "_"
    return key


def _without(key: Any) -> Callable[[dict[Any, Any]], Invalid]:
    def drop(whole: dict[Any, Any]) -> Invalid:
        return Invalid({k: v for k, v in whole.items() if k != key}, "missing", (key,), "required")

    return drop


def _into_dict(key: Any, prefix: tuple[Any, ...] = ()) -> Callable[[Any], Invalid]:
    def put(t: tuple[dict[Any, Any], Invalid]) -> Invalid:
        whole, bad = t
        return Invalid({**whole, key: bad.value}, bad.tag, (*prefix, key, *bad.loc), bad.detail)

    return put


def _into_list(i: int) -> Callable[[Any], Invalid]:
    def put(t: tuple[list[Any], Invalid]) -> Invalid:
        whole, bad = t
        value = [*whole[:i], bad.value, *whole[i + 1 :]]
        return Invalid(value, bad.tag, (i, *bad.loc), bad.detail)

    return put


class _Breaks(NodeVisitor[_Ctx, "list[st.SearchStrategy[Invalid]]"]):
    """The ways a value of a node breaks it, each a strategy of `Invalid` (loc relative)."""

    def visit_data_type(self, node: DataType, ctx: _Ctx) -> list[st.SearchStrategy[Invalid]]:
        r = rule(node)
        out: list[st.SearchStrategy[Invalid]] = []
        wrong = st.integers(-9, 9) if r.family in ("str", "bytes") else _WRONG_TEXT
        out.append(wrong.map(_broken("type", f"not a {node.value}")))
        lim = _limits(ctx.c, node) if ctx.limits else {}
        if r.is_int:
            low, high = int(r.low), int(r.high)  # type: ignore[arg-type]
            beyond = st.integers(high + 1, high + 2**8) | st.integers(low - 2**8, low - 1)
            out.append(beyond.map(_broken("range", f"beyond {r.numpy}")))
            out += self._int_limits(node, lim)
        elif r.is_float:
            exact = int(r.exact_int)  # type: ignore[arg-type]
            odd = st.integers(exact // 2, exact - 1).map(lambda k: 2 * k + 1)  # rounds
            out.append(odd.map(_broken("range", f"not held by {r.numpy}")))
            if node is DataType.float:
                big = st.floats(1e39, 1e300)
                out.append(big.map(_broken("range", "beyond float32")))
            out += self._float_limits(node, lim)
        elif r.family in ("str", "bytes"):
            out += self._lengths(
                lim,
                st.characters(codec="utf-8", exclude_categories=["Cs"])
                if r.family == "str"
                else None,
                ctx,
            )
            pattern = lim.get("pattern")
            if pattern is not None:
                misses = [
                    s
                    for s in ("", " ", "\x00", "~", "0", "a", "Z", "é", "_-")
                    if not _search(pattern, s)
                ]
                if misses:
                    out.append(st.sampled_from(misses).map(_broken("constraint", "pattern")))
        return out

    def _int_limits(self, node: DataType, lim: dict[str, Any]) -> list[st.SearchStrategy[Invalid]]:
        r = rule(node)
        out: list[st.SearchStrategy[Invalid]] = []
        bounds = {k: v for k, v in lim.items() if k != "multiple_of"}
        low, high = _int_range(node, bounds)
        if low > int(r.low):  # type: ignore[arg-type]
            below = st.integers(max(int(r.low), low - 1000), low - 1)  # type: ignore[arg-type]
            out.append(below.map(_broken("constraint", f"at least {low}")))
        if high < int(r.high):  # type: ignore[arg-type]
            above = st.integers(high + 1, min(int(r.high), high + 1000))  # type: ignore[arg-type]
            out.append(above.map(_broken("constraint", f"at most {high}")))
        m = lim.get("multiple_of")
        if m is not None and low <= high:
            step = _step(m).numerator
            if isinstance(m, float):
                low, high = max(low, -(2**53)), min(high, 2**53)
            kmin, kmax = math.ceil(Fraction(low, step)), math.floor(Fraction(high - 1, step))
            if step > 1 and kmin <= kmax:
                off = st.integers(kmin, kmax).map(lambda k: k * step + 1)
                out.append(off.map(_broken("constraint", f"multiple_of={m}")))
        return out

    def _float_limits(
        self, node: DataType, lim: dict[str, Any]
    ) -> list[st.SearchStrategy[Invalid]]:
        width = _width(node)
        out: list[st.SearchStrategy[Invalid]] = []
        bounds = {k: v for k, v in lim.items() if k != "multiple_of"}
        low, high = _float_range(node, bounds)
        full_low, full_high = _float_range(node, {})
        if low > full_low:
            below = st.floats(full_low, _next(low, False, width), width=width)
            out.append(below.map(_broken("constraint", "below the minimum")))
        if high < full_high:
            above = st.floats(_next(high, True, width), full_high, width=width)
            out.append(above.map(_broken("constraint", "above the maximum")))
        m = lim.get("multiple_of")
        if m is not None and abs(m) >= 1e-6:
            step = _step(m)
            held = 2 ** (23 if width == 32 else 52) // step.numerator
            kmin = max(math.ceil(Fraction(low) / step), -min(held, 1000))
            kmax = min(math.floor(Fraction(high) / step) - 1, min(held, 1000))
            if kmin <= kmax:
                half = st.integers(kmin, kmax).map(lambda k: float(k * step + step / 2))
                out.append(half.map(_broken("constraint", f"multiple_of={m}")))
        return out

    def _lengths(
        self, lim: dict[str, Any], chars: Any, ctx: _Ctx, item: Any = None, kind: str = "str"
    ) -> list[st.SearchStrategy[Invalid]]:
        out: list[st.SearchStrategy[Invalid]] = []
        low, most = int(lim.get("min_length") or 0), lim.get("max_length")

        def sized(a: int, b: int) -> st.SearchStrategy[Any]:
            if kind == "list":
                return st.lists(item, min_size=a, max_size=b)
            if kind == "map":
                return st.dictionaries(st.text(max_size=6), item, min_size=a, max_size=b)
            if chars is None:  # bytes (in base64 on the wire)
                return st.binary(min_size=a, max_size=b)
            return st.text(chars, min_size=a, max_size=b)

        if low > 0 and (most is None or low <= most):
            out.append(sized(0, low - 1).map(_broken("constraint", f"min_length={low}")))
        if most is not None and most < 64 and most >= low:
            out.append(sized(most + 1, most + 3).map(_broken("constraint", f"max_length={most}")))
        return out

    def visit_any_type(self, node: AnyType, ctx: _Ctx) -> list[st.SearchStrategy[Invalid]]:
        return []

    def visit_literal_type(self, node: LiteralType, ctx: _Ctx) -> list[st.SearchStrategy[Invalid]]:
        outside = _not_a_key({v for v in node.values if isinstance(v, str)}, "qx not a choice")
        return [st.just(outside).map(_broken("type", "one of the Literal's values"))]

    def visit_union_type(self, node: UnionType, ctx: _Ctx) -> list[st.SearchStrategy[Invalid]]:
        kinds = {type(t) for t in node.types}
        if AnyType in kinds:
            return []
        if not kinds & {Map, Object}:
            return [st.just({"qx": [1]}).map(_broken("type", "none of the union's types"))]
        if Array not in kinds:
            return [st.just([["qx"]]).map(_broken("type", "none of the union's types"))]
        return []

    def visit_array(self, node: Array, ctx: _Ctx) -> list[st.SearchStrategy[Invalid]]:
        out = [st.integers(-9, 9).map(_broken("type", "not a list"))]
        lim = _limits(ctx.c, node) if ctx.limits else {}
        item_ctx = ctx.inner(node.item_constraints)
        item = _VALID.visit(node.dtype, item_ctx)
        out += self._lengths(lim, None, ctx, item, "list")
        low, high, _ = _sizes(lim)
        if high < 1:
            return out
        prefix = st.lists(item, min_size=max(low - 1, 0), max_size=max(high - 1, max(low - 1, 0)))
        for sub in self.visit(node.dtype, item_ctx):
            out.append(
                st.tuples(prefix, sub).map(
                    lambda t: Invalid(
                        [*t[0], t[1].value], t[1].tag, (len(t[0]), *t[1].loc), t[1].detail
                    )
                )
            )
        return out

    def visit_map(self, node: Map, ctx: _Ctx) -> list[st.SearchStrategy[Invalid]]:
        out = [st.just([1]).map(_broken("type", "not a dict"))]
        lim = _limits(ctx.c, node) if ctx.limits else {}
        value_ctx = ctx.inner(node.value_constraints)
        value = _VALID.visit(node.value_type, value_ctx)
        out += self._lengths(lim, None, ctx, value, "map")
        low, high, _ = _sizes(lim)
        if high < 1:
            return out
        rest = st.dictionaries(
            st.text(max_size=6),
            value,
            min_size=max(low - 1, 0),
            max_size=max(high - 1, max(low - 1, 0)),
        )

        def put(t: tuple[dict[str, Any], Invalid]) -> Invalid:
            key = _not_a_key(t[0], "k")
            return Invalid({**t[0], key: t[1].value}, t[1].tag, (key, *t[1].loc), t[1].detail)

        out += [st.tuples(rest, sub).map(put) for sub in self.visit(node.value_type, value_ctx)]
        return out

    def visit_object(self, node: Object, ctx: _Ctx) -> list[st.SearchStrategy[Invalid]]:
        out = [st.just(["qx"]).map(_broken("type", "not an object"))]
        return out + self.record(
            _fields(node.properties), replace(ctx, cell=False), closed=node.closed, cells=False
        )

    def record(
        self, fields: list[_Field], ctx: _Ctx, *, closed: bool, cells: bool
    ) -> list[st.SearchStrategy[Invalid]]:
        """The ways a dict of fields breaks: one field removed, added or broken."""
        whole = _VALID.record(fields, ctx, cells=cells)
        out: list[st.SearchStrategy[Invalid]] = []
        for f in fields:
            if f.required:
                out.append(whole.map(_without(f.name)))
        if closed:
            key = _not_a_key({f.name for f in fields})
            out.append(
                whole.map(lambda d: Invalid({**d, key: 1}, "extra", (key,), "closed object"))
            )
        for f in fields:
            sub_ctx = replace(ctx.inner(f.constraints), cell=cells)
            if ctx.params:  # MLflow's params check the type only, below the top
                sub_ctx = replace(sub_ctx, limits=False)
            for sub in self.visit(f.dtype, sub_ctx):
                out.append(st.tuples(whole, sub).map(_into_dict(f.name)))
        return out


_BREAKS = _Breaks()


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True


# -- the shape of a batch -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """How the inputs of a schema are laid out in a batch."""

    kind: str  # "value" (one unnamed column), "columns" (named), "positional", "tensors"
    schema: Schema

    @property
    def specs(self) -> list[Any]:
        return list(self.schema.inputs)


def _shape(schema: Schema) -> _Shape:
    if schema.is_tensor_spec():
        return _Shape("tensors", schema)
    if schema.has_input_names():
        return _Shape("columns", schema)
    return _Shape("value" if len(schema.inputs) == 1 else "positional", schema)


def _row(shape: _Shape, ctx: _Ctx) -> st.SearchStrategy[Any]:
    if shape.kind == "columns":
        return _VALID.record(_fields(shape.specs), ctx, cells=True)
    if shape.kind == "value":
        (spec,) = shape.specs
        return _VALID.field(_fields([spec])[0], ctx, cell=False)
    if shape.kind == "positional":
        return st.tuples(*[_VALID.field(f, ctx, cell=True) for f in _fields(shape.specs)]).map(list)
    raise SchemaError("a tensor schema has no rows: use arrays()")


def _row_breaks(shape: _Shape, ctx: _Ctx) -> list[st.SearchStrategy[Invalid]]:
    if shape.kind == "columns":
        return _BREAKS.record(_fields(shape.specs), ctx, closed=False, cells=True)
    if shape.kind == "value":
        (spec,) = shape.specs
        return _BREAKS.visit(spec.type, replace(ctx, c=spec.constraints))
    if shape.kind == "positional":
        fields = _fields(shape.specs)
        whole = st.tuples(*[_VALID.field(f, ctx, cell=True) for f in fields]).map(list)
        out = []
        for i, f in enumerate(fields):
            for sub in _BREAKS.visit(f.dtype, replace(ctx, c=f.constraints, cell=True)):
                out.append(st.tuples(whole, sub).map(_into_list(i)))
        return out
    raise SchemaError("a tensor schema has no rows: use arrays()")


def _one_of_breaks(
    breaks: list[st.SearchStrategy[Invalid]], what: str
) -> st.SearchStrategy[Invalid]:
    if not breaks:
        raise SchemaError(f"{what} takes any value: there is no invalid one to draw")
    return st.one_of(breaks)


def rows(obj: Any, *, valid: bool = True) -> st.SearchStrategy[Any]:
    """One row of the input: a dict of named columns, or the value of the one unnamed column
    (a ``list[Model]`` model's rows are dicts of the model's fields)."""
    shape = _shape(_inputs(obj))
    if valid:
        return _row(shape, _Ctx())
    return _one_of_breaks(_row_breaks(shape, _Ctx()), "the row")


def _sized(
    rows_: st.SearchStrategy[Any], min_size: int, max_size: int
) -> st.SearchStrategy[list[Any]]:
    if min_size > max_size:
        raise ValueError(f"min_size={min_size} is more than max_size={max_size}")
    edges: list[st.SearchStrategy[list[Any]]] = []
    if min_size == 0:
        edges.append(st.just([]))
    if min_size <= 1 <= max_size:
        edges.append(st.lists(rows_, min_size=1, max_size=1))
    return st.one_of(*edges, st.lists(rows_, min_size=min_size, max_size=max_size))


def _broken_batch(
    rows_: st.SearchStrategy[Any], breaks: st.SearchStrategy[Invalid], max_size: int
) -> st.SearchStrategy[Invalid]:
    def put(t: tuple[list[Any], Invalid]) -> Invalid:
        batch, bad = t
        return Invalid([*batch, bad.value], bad.tag, (len(batch), *bad.loc), bad.detail)

    return st.tuples(st.lists(rows_, max_size=max(max_size - 1, 0)), breaks).map(put)


def batches(
    obj: Any, *, min_size: int = 0, max_size: int = _MAX_BATCH, valid: bool = True
) -> st.SearchStrategy[Any]:
    """A batch: a list of rows (see `rows`), or the arrays of a tensor schema (see `arrays`)
    with `min_size` to `max_size` rows."""
    shape = _shape(_inputs(obj))
    if shape.kind == "tensors":
        return _arrays(shape, min_size, max_size, valid=valid, wire=False)
    return _batch(shape, _Ctx(), min_size, max_size, valid)


def _batch(
    shape: _Shape, ctx: _Ctx, min_size: int, max_size: int, valid: bool
) -> st.SearchStrategy[Any]:
    one = _row(shape, ctx)
    if valid:
        return _sized(one, min_size, max_size)
    return _broken_batch(one, _one_of_breaks(_row_breaks(shape, ctx), "the row"), max_size)


def frames(
    obj: Any, *, min_size: int = 0, max_size: int = _MAX_BATCH, valid: bool = True
) -> st.SearchStrategy[Any]:
    """A batch as a pandas DataFrame: one column per named column, or per field of a
    ``list[Model]`` model's rows; a missing cell is an optional field left out. A column keeps
    its values exactly: one whose integers a float column would round is an object column.

    With ``valid=False``, `Invalid` frames: a required column removed (``loc`` is row 0 and
    the column, since every row misses it), a cell broken (its row, its column, the path in the
    cell; the one unnamed column is column 0), or an extra column on a closed model's rows."""
    shape = _shape(_inputs(obj))
    if shape.kind == "tensors":
        raise SchemaError("a tensor schema has no DataFrame form: use arrays()")
    ctx, closed = _Ctx(), False
    if shape.kind == "columns":
        names: list[Any] = [s.name for s in shape.specs]
        fields = _fields(shape.specs)
    elif shape.kind == "value" and isinstance(shape.specs[0].type, Object):
        fields = _fields(shape.specs[0].type.properties)
        names, closed = [f.name for f in fields], shape.specs[0].type.closed
    elif shape.kind == "value":
        (f,) = _fields(shape.specs)
        cell_ctx = _Ctx(f.constraints, cell=True)
        cell = _VALID.visit(f.dtype, cell_ctx)
        if valid:
            return _sized(cell, min_size, max_size).map(lambda vs: _frame([[v] for v in vs], [0]))
        bad = _one_of_breaks(_BREAKS.visit(f.dtype, cell_ctx), "the column")
        return _broken_batch(cell, bad, max_size).map(
            lambda b: b._replace(
                value=_frame([[v] for v in b.value], [0], broken=0), loc=(b.loc[0], 0, *b.loc[1:])
            )
        )
    else:
        names = list(range(len(shape.specs)))
        one = _row(shape, ctx)
        if valid:
            return _sized(one, min_size, max_size).map(lambda rs: _frame(rs, names))
        bad = _one_of_breaks(_row_breaks(shape, ctx), "the row")
        return _broken_batch(one, bad, max_size).map(
            lambda b: b._replace(value=_frame(b.value, names, broken=b.loc[1]))
        )
    record = _VALID.record(fields, ctx, cells=True)
    if valid:
        return _sized(record, min_size, max_size).map(lambda rs: _frame(rs, names))
    breaks = _one_of_breaks(_BREAKS.record(fields, ctx, closed=closed, cells=True), "the row")
    return _broken_batch(record, breaks, max_size).map(lambda b: _broken_frame(b, names))


_NO_COLUMN = object()


def _broken_frame(bad: Invalid, names: list[Any]) -> Invalid:
    """A broken batch of records as a frame. A removed key is a removed column (a missing cell
    is only a null) and an extra key an extra column, both of every row."""
    rows: list[dict[Any, Any]] = bad.value
    if bad.tag in ("missing", "extra") and len(bad.loc) == 2:
        key = bad.loc[1]
        if bad.tag == "missing":
            rows = [{k: v for k, v in r.items() if k != key} for r in rows]
            names = [n for n in names if n != key]
        else:
            rows = [{**r, key: 1} for r in rows]
        return bad._replace(value=_frame(rows, names), loc=(0, key))
    return bad._replace(value=_frame(rows, names, broken=bad.loc[1]))


def _frame(rows: list[Any], names: list[Any], broken: Any = _NO_COLUMN) -> Any:
    """A DataFrame of `rows` (dicts by name, or lists by position), with the `names` columns
    and any other key of a row after them; each column keeps its values exactly. The `broken`
    column keeps its values' types too (an object column: an int a float32 doesn't hold would
    be a float in a float column, which the float32 takes rounded)."""
    import pandas as pd

    keys = list(names)
    if rows and isinstance(rows[0], dict):
        for r in rows:
            keys += [k for k in r if k not in keys]
        columns = [[r.get(k) for r in rows] for k in keys]
    else:
        columns = [[r[i] for r in rows] for i in range(len(keys))]
    series = [
        pd.Series(c, dtype=object) if k == broken else _column(c)
        for k, c in zip(keys, columns, strict=True)
    ]
    frame = pd.DataFrame(dict(enumerate(series)), index=range(len(rows)))
    return frame.set_axis(keys, axis=1)


def _column(values: list[Any]) -> Any:
    """A Series of `values`, as pandas infers it unless that changes a number (an integer
    beyond 2**53 in a float column): then an object column."""
    import pandas as pd

    column = pd.Series(values, dtype=object if not values else None)
    if column.dtype.kind in "fiu":
        for v, x in zip(values, column.tolist(), strict=True):
            if v is not None and not isinstance(v, bool) and isinstance(v, int) and x != v:
                return pd.Series(values, dtype=object)
    return column


# -- tensors ------------------------------------------------------------------------------------


def _tensor_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """A dtype numpy can fill: unsized str and bytes get a size."""
    return np.dtype(f"{dtype.kind}6") if dtype.kind in "US" else dtype


def _tensor_elements(dtype: np.dtype[Any]) -> st.SearchStrategy[Any]:
    kind = dtype.kind
    if kind == "b":
        return st.booleans()
    if kind in "iu":
        info = np.iinfo(dtype)
        return _edges(st.integers(int(info.min), int(info.max)), [int(info.min), int(info.max), 0])
    if kind == "f":
        width = cast(Literal[16, 32, 64], dtype.itemsize * 8)
        return st.floats(width=width, allow_nan=False, allow_infinity=False)
    if kind == "U":
        chars = st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00")
        return st.text(alphabet=chars, max_size=6)
    if kind == "S":
        return st.binary(max_size=6).map(lambda b: b.rstrip(b"\x00"))
    if kind == "M":
        return st.datetimes(*_DATETIMES).map(lambda d: np.datetime64(d, "ns"))
    return st.integers(-9, 9)  # object: anything; small ints keep it simple


def _tensor(
    spec: TensorSpec, batch: int | None, dims: st.SearchStrategy[int]
) -> st.SearchStrategy[Any]:
    from hypothesis.extra import numpy as hnp

    @st.composite
    def draw_one(draw: st.DrawFn) -> Any:
        shape = []
        for i, d in enumerate(spec.shape):
            if d >= 0:
                shape.append(d)
            elif i == 0 and batch is not None:
                shape.append(batch)
            else:
                shape.append(draw(dims))
        dtype = _tensor_dtype(spec.type)
        elements = _tensor_elements(spec.type)
        if dtype.kind == "O":
            return draw(hnp.arrays(dtype, tuple(shape), elements=elements, fill=st.just(0)))
        return draw(hnp.arrays(dtype, tuple(shape), elements=elements))

    return draw_one()


def _tensor_breaks(spec: TensorSpec, batch: int) -> list[st.SearchStrategy[Invalid]]:
    loc = (spec.name,) if spec.name is not None else ()
    fixed = [i for i, d in enumerate(spec.shape) if d >= 0]
    shape = [batch if (i == 0 and d < 0) else max(d, 1) for i, d in enumerate(spec.shape)]
    shape = [1 if d < 0 else d for d in shape]
    out: list[st.SearchStrategy[Invalid]] = []
    good = _tensor(spec, batch, st.integers(1, 2))
    if fixed:
        i = fixed[-1]
        wrong = [*shape[:i], spec.shape[i] + 1, *shape[i + 1 :]]
        out.append(
            st.just(
                np.zeros(wrong, dtype=spec.type) if spec.type.kind != "O" else np.zeros(wrong)
            ).map(_broken("shape", f"shape {spec.shape}", loc))
        )
    out.append(
        good.map(lambda a: a[..., np.newaxis]).map(
            _broken("shape", f"{len(spec.shape)} dimensions", loc)
        )
    )
    kind = spec.type.kind
    if kind in "biufM":
        out.append(st.just(np.full(shape, "qx")).map(_broken("dtype", f"dtype {spec.type}", loc)))
    if kind in "iu":
        info = np.iinfo(spec.type)
        big = int(info.max) + 1
        if big <= 2**63 - 1:
            out.append(
                st.just(np.full(shape, big, dtype=np.int64)).map(
                    _broken("range", f"beyond {spec.type}", loc)
                )
            )
    if kind == "f" and spec.type.itemsize == 4:
        out.append(st.just(np.full(shape, 1e300)).map(_broken("range", f"beyond {spec.type}", loc)))
    return out


def _arrays(
    shape: _Shape, min_size: int, max_size: int, *, valid: bool, wire: bool
) -> st.SearchStrategy[Any]:
    specs: list[TensorSpec] = shape.specs
    named = shape.schema.has_input_names()
    dims = st.integers(0, 3)

    @st.composite
    def draw(d: st.DrawFn) -> Any:
        fixed = [s.shape[0] for s in specs if s.shape and s.shape[0] >= 0]
        size = (
            fixed[0]
            if fixed
            else d(
                st.one_of(
                    st.sampled_from(sorted({min_size, min(max(min_size, 1), max_size)})),
                    st.integers(min_size, max_size),
                )
            )
        )
        tensors = [d(_tensor(s, size, dims)) for s in specs]
        if valid:
            return {s.name: t for s, t in zip(specs, tensors, strict=True)} if named else tensors[0]
        i = d(st.integers(0, len(specs) - 1))
        bad: Invalid = d(st.one_of(_tensor_breaks(specs[i], max(size, 1))))
        if not named:
            return bad
        value = {s.name: t for s, t in zip(specs, tensors, strict=True)}
        value[specs[i].name] = bad.value
        return bad._replace(value=value)

    return draw()


def arrays(
    obj: Any, *, min_size: int = 0, max_size: int = _MAX_BATCH, valid: bool = True
) -> st.SearchStrategy[Any]:
    """The arrays of a tensor schema: one numpy array, or a dict of them by name. A ``-1``
    first dimension is the batch size (`min_size` to `max_size`), other ``-1`` dimensions 0 to 3."""
    shape = _shape(_inputs(obj))
    if shape.kind != "tensors":
        raise SchemaError("arrays() is for tensor schemas: use batches() or frames()")
    return _arrays(shape, min_size, max_size, valid=valid, wire=False)


# -- params -------------------------------------------------------------------------------------


def _param_node(spec: ParamSpec) -> DType:
    return Array(spec.dtype) if spec.shape is not None else spec.dtype


def _params(schema: ParamSchema | None, ctx: _Ctx, valid: bool) -> st.SearchStrategy[Any]:
    pctx = replace(ctx, params=True)
    specs = list(schema.params) if schema is not None else []
    given = {s.name: _VALID.visit(_param_node(s), replace(pctx, c=s.constraints)) for s in specs}
    base: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries({}, optional=given)
    if schema is not None and schema.values is not None:
        taken = set(schema.names())
        others = st.dictionaries(
            st.text(min_size=1, max_size=6).map(lambda n: _not_a_key(taken, n)),
            _VALID.visit(schema.values, pctx),
            max_size=3,
        )
        base = st.tuples(others, base).map(lambda t: {**t[0], **t[1]})
    if valid:
        return base
    out: list[st.SearchStrategy[Invalid]] = []
    if schema is None or schema.values is None:
        unknown = _not_a_key({s.name for s in specs}, "qx_unknown")
        out.append(
            base.map(lambda d: Invalid({**d, unknown: 1}, "param", ("params",), "unknown param"))
        )
    else:
        other = _not_a_key({s.name for s in specs}, "qx_other")
        for sub in _BREAKS.visit(schema.values, pctx):
            out.append(st.tuples(base, sub).map(_into_dict(other, ("params",))))
    for s in specs:
        for sub in _BREAKS.visit(_param_node(s), replace(pctx, c=s.constraints)):
            out.append(st.tuples(base, sub).map(_into_dict(s.name, ("params",))))
    return _one_of_breaks(out, "the params")


def params(obj: Any, *, valid: bool = True) -> st.SearchStrategy[Any]:
    """The params of a call: a dict with some of the named params (each may be left out for
    its default) and, for a model that takes any name, others of its `values` type."""
    sig = signature(obj)
    if sig.params is None:
        if valid:
            return st.just({})
        raise SchemaError("the signature has no params: there is no invalid one to draw")
    return _params(sig.params, _Ctx(), valid)


# -- request bodies -----------------------------------------------------------------------------


def _wire(value: Any) -> Any:
    """`value` as a JSON body carries it: bytes in (standard) base64, datetimes in ISO 8601."""
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "M":
            return np.datetime_as_string(value).tolist()
        return _wire(value.tolist())
    if isinstance(value, np.generic):
        return _wire(value.item())
    return value


def _body(shape: _Shape, format: Format, batch: Any, extra: dict[str, Any]) -> dict[str, Any]:
    if shape.kind == "tensors":
        if format not in ("inputs", "instances"):
            raise SchemaError(f"a tensor schema takes 'inputs' or 'instances', not {format!r}")
        return {format: _wire(batch), **extra}
    if format in ("inputs", "instances"):
        return {format: _wire(batch), **extra}
    fields = _table_fields(shape)
    if fields is None:
        raise SchemaError(f"{format!r} needs named columns or rows of objects")
    records = _wire(batch)
    if format == "dataframe_records":
        return {format: records, **extra}
    # One value per column: a column some rows leave out is dropped when it can't be None.
    nullable = {f.name: f.nullable for f in fields}
    present = [f.name for f in fields if any(f.name in r for r in records)]
    columns = [n for n in present if nullable[n] or all(n in r for r in records)]
    data = [[r.get(n) for n in columns] for r in records]
    return {format: {"columns": columns, "data": data}, **extra}


def _table_fields(shape: _Shape) -> list[_Field] | None:
    """The columns of a table of `shape`'s batches: its named columns, or its rows' fields
    (None: no table form)."""
    if shape.kind == "columns":
        return _fields(shape.specs)
    if shape.kind == "value" and isinstance(shape.specs[0].type, Object):
        return _fields(shape.specs[0].type.properties)
    return None


_TABLES = ("dataframe_split", "dataframe_records")


def _in_a_table(shape: _Shape, batch: Any) -> bool:
    """Whether a table form carries a valid batch: a table's ``null`` is a missing cell, so
    not a batch that gives a required field the value None."""
    fields = _table_fields(shape)
    if fields is None:
        return True
    required = [f.name for f in fields if f.required]
    records = _wire(batch)
    return all(
        not isinstance(r, dict) or all(r.get(n, 0) is not None for n in required) for r in records
    )


def _formats(shape: _Shape) -> list[Format]:
    if shape.kind == "tensors":
        return ["inputs", "instances"]
    if _table_fields(shape) is not None:
        return ["inputs", "dataframe_split", "dataframe_records", "instances"]
    return ["inputs", "instances"]


def requests(
    obj: Any,
    format: Format | None = None,
    *,
    min_size: int = 0,
    max_size: int = _MAX_BATCH,
    valid: bool = True,
) -> st.SearchStrategy[Any]:
    """A JSON request body for ``POST /invocations``, in one of MLflow's four forms (any form
    the inputs take when `format` is None), with ``"params"`` when the model has params."""
    sig = signature(obj)
    shape = _shape(_inputs(sig))
    formats: list[Format] = [format] if format is not None else _formats(shape)
    if format is not None and format not in _formats(shape):
        raise SchemaError(f"these inputs have no {format!r} form; use one of {_formats(shape)}")
    ctx = _Ctx(wire=True)

    def inputs(ok: bool) -> st.SearchStrategy[Any]:
        if shape.kind == "tensors":
            return _arrays(shape, min_size, max_size, valid=ok, wire=True)
        return _batch(shape, ctx, min_size, max_size, ok)

    batch = inputs(True)
    if format in _TABLES:
        batch = batch.filter(lambda b: _in_a_table(shape, b))
    good_params = _params(sig.params, ctx, True) if sig.params is not None else st.just({})

    def build(fmt: Format, data: Any, p: dict[str, Any]) -> dict[str, Any]:
        if fmt in _TABLES and format is None and not _in_a_table(shape, data):
            fmt = "inputs"  # (rows: the one form that carries the batch)
        return _body(shape, fmt, data, {"params": _wire(p)} if p else {})

    if valid:
        return st.builds(build, st.sampled_from(formats), batch, good_params)
    bad_data = st.tuples(st.sampled_from(formats), inputs(False), good_params).map(
        lambda t: t[1]._replace(value=build(t[0], t[1].value, t[2]))
    )
    if sig.params is None:
        return bad_data
    bad_params = st.tuples(st.sampled_from(formats), batch, _params(sig.params, ctx, False)).map(
        lambda t: t[2]._replace(value=build(t[0], t[1], t[2].value))
    )
    return st.one_of(bad_data, bad_params)
