"""The rule table: what each `DataType` holds, as every path reads it.

One `TypeRule` per DataType says how numpy stores the type, the values it holds (the range of an
integer type, the largest finite value and the exactly held integers of a float type), which
kinds of example data infer to it, and its JSON Schema. The validators (row-wise, columnar,
tensors, params), inference, the server's JSON and CSV readers, the docs and the test strategies
all read this table; nothing else writes a dtype's range down.

The rule for a number is that a value is accepted only when the declared type holds it exactly:
an integer type takes integers within its range (never a bool, never a fraction); a float type
takes floats (a ``float`` overflowing 32 bits is refused, an ``inf`` is not an overflow) and
integers it holds exactly; neither takes a complex number. A number written as text (a CSV
cell, a JSON string) is held to the rule as the number it writes, before a parser rounds it.
`number` applies it to one value; the vectorised paths apply the same constants to whole
arrays.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from typedmodel.schema.nodes import Array, DataType, Map

__all__ = [
    "DEPTH_LIMIT",
    "INFINITY_TEXT",
    "RULES",
    "LossyNumber",
    "TypeRule",
    "applicable",
    "inexact",
    "is_missing",
    "not_a_number",
    "number",
    "out_of_range",
    "rule",
]

DEPTH_LIMIT = 64
"""How deeply nested a value may be (lists and dicts inside each other); deeper is an issue."""


@dataclass(frozen=True, slots=True)
class TypeRule:
    """What one `DataType` holds.

    Attributes:
        dtype: the DataType.
        python: the Python type of one value.
        numpy: the numpy dtype name of an array of values (``"object"`` for str and bytes
            columns; a tensor of strings is numpy's ``"str"``).
        family: ``"bool"``, ``"int"``, ``"float"``, ``"str"``, ``"bytes"`` or ``"datetime"``.
        low, high: integers: the smallest and largest value; floats: the largest magnitude
            that doesn't overflow, negated and not (None for the other families).
        exact_int: floats: every integer of at most this magnitude is held exactly.
        infers_from: the kinds of pandas' ``infer_dtype`` (of an object column) that infer
            this type.
        json: the JSON Schema of one value (integer ranges included).
        arrow: the Arrow type, as `pyarrow.type_for_alias` names it (a datetime is a UTC
            timestamp in microseconds, Spark's ``TimestampType``).
    """

    dtype: DataType
    python: type
    numpy: str
    family: str
    low: int | float | None = None
    high: int | float | None = None
    exact_int: int | None = None
    infers_from: frozenset[str] = frozenset()
    json: Mapping[str, Any] = field(default_factory=dict)
    arrow: str = ""

    @property
    def is_int(self) -> bool:
        return self.family == "int"

    @property
    def is_float(self) -> bool:
        return self.family == "float"


# The largest double that a 32-bit float holds without overflowing to infinity: doubles up to
# half a float32 step above numpy.finfo("float32").max round down to it, 2**128 - 2**103 and
# beyond round to infinity.
_FLOAT32_MAX = math.nextafter(float(2**128 - 2**103), 0.0)
_FLOAT64_MAX = sys.float_info.max


def _int_rule(dtype: DataType, bits: int, infers_from: frozenset[str]) -> TypeRule:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    json = {"type": "integer", "format": f"int{bits}", "minimum": low, "maximum": high}
    return TypeRule(
        dtype, int, f"int{bits}", "int", low, high, None, infers_from, json, f"int{bits}"
    )


def _float_rule(dtype: DataType, bits: int, biggest: float, mantissa: int) -> TypeRule:
    json = {"type": "number", "format": "float" if bits == 32 else "double"}
    kinds = frozenset({"floating", "mixed-integer-float", "decimal"} if bits == 64 else ())
    return TypeRule(
        dtype,
        float,
        f"float{bits}",
        "float",
        -biggest,
        biggest,
        2**mantissa,
        kinds,
        json,
        "float" if bits == 32 else "double",
    )


RULES: Mapping[DataType, TypeRule] = {
    DataType.boolean: TypeRule(
        DataType.boolean, bool, "bool", "bool", infers_from=frozenset({"boolean"}),
        json={"type": "boolean"}, arrow="bool",
    ),
    DataType.integer: _int_rule(DataType.integer, 32, frozenset()),
    DataType.long: _int_rule(DataType.long, 64, frozenset({"integer"})),
    DataType.float: _float_rule(DataType.float, 32, _FLOAT32_MAX, 24),
    DataType.double: _float_rule(DataType.double, 64, _FLOAT64_MAX, 53),
    DataType.string: TypeRule(
        DataType.string, str, "object", "str", infers_from=frozenset({"string"}),
        json={"type": "string"}, arrow="string",
    ),
    DataType.binary: TypeRule(
        DataType.binary, bytes, "object", "bytes", infers_from=frozenset({"bytes"}),
        json={"type": "string", "contentEncoding": "base64"}, arrow="binary",
    ),
    DataType.datetime: TypeRule(
        DataType.datetime, _dt.datetime, "datetime64[ns]", "datetime",
        infers_from=frozenset({"datetime", "datetime64", "date"}),
        json={"type": "string", "format": "date-time"}, arrow="timestamp[us, tz=UTC]",
    ),
}  # fmt: skip


def rule(dtype: DataType) -> TypeRule:
    """The rule of `dtype`.

    Examples:
        >>> rule(DataType.long).high
        9223372036854775807
    """
    return RULES[dtype]


class LossyNumber(ValueError):
    """A number that the declared type can't hold exactly; `type` and `msg` make its issue."""

    def __init__(self, type: str, msg: str) -> None:
        super().__init__(msg)
        self.type = type
        self.msg = msg


def _describe(dtype: DataType) -> str:
    bits = rule(dtype).numpy.removeprefix("int").removeprefix("float")
    return f"{'an' if dtype.value[0] in 'aeiou' else 'a'} {dtype.value} ({bits}-bit)"


def not_a_number(family: str) -> LossyNumber:
    """The issue for a bool or complex value where a number is declared."""
    if family == "int":
        return LossyNumber("int_type", "Input should be a valid integer")
    return LossyNumber("float_type", "Input should be a valid number")


def out_of_range(dtype: DataType) -> LossyNumber:
    """The issue for a number too large for a float type (a finite float for a 32-bit float,
    or a literal such as ``"1e400"`` that would overflow to infinity)."""
    return LossyNumber("number_range", f"Input should be within the range of {_describe(dtype)}")


def inexact(dtype: DataType) -> LossyNumber:
    """The issue for an integer or decimal that a float type would round."""
    return LossyNumber(
        "number_inexact", f"Input should be a number {_describe(dtype)} holds exactly"
    )


def number(dtype: DataType, value: Any) -> Any:
    """`value` as a plain Python number of `dtype`'s family, or `LossyNumber` when `dtype` can't
    hold it exactly (anything else than a number is handed back as it is: the caller's own
    type check decides about strings and other values, except that a float type refuses the
    text of a number it can't hold).

    Integer ranges are not checked here: they are the bounds of the validators' constraints, so
    an out-of-range integer gets the same issue as a value beyond a user's ``le``.

    Examples:
        >>> number(DataType.double, 3)
        3.0
        >>> number(DataType.double, 2**53 + 1)
        Traceback (most recent call last):
        ...
        typedmodel.schema.rules.LossyNumber: Input should be a number a double (64-bit) ...
    """
    r = rule(dtype)
    value = _plain_scalar(value)
    if isinstance(value, (bool, complex)):
        if r.family in ("int", "float"):
            raise not_a_number(r.family)
        return value
    if r.is_int:
        return value
    if not r.is_float:
        return value
    if isinstance(value, int):
        if r.exact_int is not None and abs(value) > r.exact_int and not _float_holds(r, value):
            raise inexact(dtype)
        return float(value)
    if isinstance(value, decimal.Decimal) and value.is_finite():
        as_float = float(value)
        if decimal.Decimal(repr(as_float)) != value:
            raise inexact(dtype)
        return _checked_float(r, as_float)
    if isinstance(value, float):
        return _checked_float(r, value)
    if isinstance(value, str):
        _check_text(r, value)
    return value


# An integer literal, as Python and pydantic read one (underscores between digits allowed).
_INT_TEXT = re.compile(r"[+-]?[0-9]+(?:_[0-9]+)*")
INFINITY_TEXT = frozenset({"inf", "infinity"})
"""How infinity is written as text (after a sign, in any case): a float literal that parses to
infinity and is not one of these overflowed."""
# Past this many digits an integer is beyond every float type's range (a double's is 309 digits).
_FLOAT_DIGITS = 400


def _check_text(r: TypeRule, text: str) -> None:
    """A number written as text (a CSV cell, a JSON string) for a float type: held to the rule
    as the number it writes, before the float parser rounds it. An integer literal must be
    held exactly, and a literal beyond the type's range is not its infinity (``"inf"`` is).
    Text that isn't a number is left to the caller's type check."""
    literal = text.strip()
    if _INT_TEXT.fullmatch(literal):
        digits = literal.replace("_", "")
        if len(digits.lstrip("+-")) > _FLOAT_DIGITS:  # (and past what int() reads)
            raise inexact(r.dtype)
        number(r.dtype, int(digits))  # held as the integer it writes would be
        return
    try:
        as_float = float(literal)
    except ValueError:
        return
    if math.isinf(as_float) and literal.lstrip("+-").lower() not in INFINITY_TEXT:
        raise out_of_range(r.dtype)
    _checked_float(r, as_float)


def _float_holds(r: TypeRule, value: int) -> bool:
    if r.dtype is DataType.float:
        import numpy as np  # only here: a 32-bit float is numpy's

        try:
            narrowed = np.float32(value)
        except OverflowError:
            return False
        return bool(math.isfinite(narrowed) and int(narrowed) == value)
    try:
        return float(value) == value  # Python compares int and float exactly
    except OverflowError:
        return False


def _checked_float(r: TypeRule, value: float) -> float:
    if r.high is not None and math.isfinite(value) and abs(value) > r.high:
        raise out_of_range(r.dtype)
    return value


def _plain_scalar(value: Any) -> Any:
    """A numpy scalar as the Python scalar it holds (other values as they are)."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic):
        if isinstance(value, np.complexfloating):
            return complex(value)
        if isinstance(value, (np.integer, np.floating, np.bool_)):
            return value.item()
    return value


_NUMERIC_LIMITS = frozenset({"gt", "ge", "lt", "le", "multiple_of"})
_LENGTHS = frozenset({"min_length", "max_length"})


def applicable(node: Any) -> frozenset[str]:
    """The names of the `Constraints` that apply to a value of `node`; the others are carried
    (for docs) but hold nothing back.

    Numbers take bounds and ``multiple_of``; strings lengths and a pattern; bytes, lists and
    maps lengths.

    Examples:
        >>> sorted(applicable(DataType.string))
        ['max_length', 'min_length', 'pattern']
    """
    if isinstance(node, DataType):
        if node.is_numeric:
            return _NUMERIC_LIMITS
        if node is DataType.string:
            return _LENGTHS | {"pattern"}
        if node is DataType.binary:
            return _LENGTHS
        return frozenset()
    if isinstance(node, (Array, Map)):
        return _LENGTHS
    return frozenset()


def is_missing(value: Any) -> bool:
    """Whether one value means "missing" where a DataFrame holds it: None, NaN, pandas' NA and
    NaT, and numpy's NaT.

    Examples:
        >>> is_missing(float("nan")), is_missing(0.0)
        (True, False)
    """
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic):
        if isinstance(value, (np.floating, np.complexfloating)):
            return bool(np.isnan(value))
        if isinstance(value, (np.datetime64, np.timedelta64)):
            return bool(np.isnat(value))
        return False
    pd = sys.modules.get("pandas")
    return pd is not None and (value is pd.NA or value is pd.NaT)
