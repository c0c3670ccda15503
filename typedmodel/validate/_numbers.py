"""The number rule on whole arrays: which values a numpy dtype holds exactly.

`typedmodel.schema.rules.number` says it for one value; these say it for a numpy array at once,
and the columnar and tensor paths both use them. A test checks that both agree, value by value,
and that the ranges of the rule table are numpy's own.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from typedmodel.schema.nodes import DataType
from typedmodel.schema.rules import rule

__all__ = ["beyond_range", "fractional", "ints_held", "overflows"]

_FLOAT_HIGH = {4: rule(DataType.float).high, 8: rule(DataType.double).high}


def ints_held(array: Any, target: np.dtype[Any]) -> Any:
    """Which integers of `array` the float dtype `target` holds exactly (compared as integers:
    ``2**53 + 1`` must not round to ``2**53`` before the check)."""
    exact = 2 ** (np.finfo(target).nmant + 1)
    small = (array <= exact) if array.dtype.kind == "u" else (array <= exact) & (array >= -exact)
    if small.all():
        return small
    # The floats that convert back to the array's integer type: [-2**63, 2**63) for int64,
    # [0, 2**64) for uint64 (-2**63, 2**63 and 2**64 are exact doubles).
    info = np.iinfo(array.dtype)
    low, high = float(info.min), float(info.max) + 1
    with np.errstate(over="ignore", invalid="ignore"):
        as_float = array.astype(target)
        wide = as_float.astype(np.float64)
        back_ok = np.isfinite(wide) & (wide >= low) & (wide < high)
        back = np.where(back_ok, wide, 0).astype(array.dtype)
    return small | (back_ok & (back == array))


def beyond_range(array: Any, target: np.dtype[Any]) -> Any:
    """Which values of an integer or float `array` fall outside the integer dtype `target`
    (compared exactly: a float ``2.0**63`` is beyond int64, which ends at ``2**63 - 1``)."""
    info = np.iinfo(target)
    if array.dtype.kind in "iu":
        src = np.iinfo(array.dtype)
        if src.min >= info.min and src.max <= info.max:
            return (
                np.zeros(len(array), dtype=bool) if array.ndim == 1 else np.zeros(array.shape, bool)
            )
        return (array < info.min) | (array > info.max)
    with np.errstate(invalid="ignore"):
        low, high = float(info.min), float(info.max)
        above = array >= high if high > info.max else array > high
        below = array <= low if low < info.min else array < low
        return above | below | ~np.isfinite(array)


def fractional(array: Any) -> Any:
    """Which values of a float `array` are not whole numbers (NaN and infinities included)."""
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(array) | (array != np.floor(array))


def overflows(array: Any, target: np.dtype[Any]) -> Any:
    """Which finite values of a float `array` are too large for the float dtype `target`."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(array) & (np.abs(array) > _float_high(np.dtype(target)))


def _float_high(target: np.dtype[Any]) -> float:
    """The largest magnitude `target` holds without overflowing: the rule table's for a
    float or double; for another width (float16), the value half a step above its largest,
    less one double step (what rounds up to infinity there)."""
    if target.itemsize in _FLOAT_HIGH:
        return float(_FLOAT_HIGH[target.itemsize])  # type: ignore[arg-type]
    biggest = np.finfo(target).max
    step = float(biggest) - float(np.nextafter(biggest, target.type(0)))  # its last step
    return math.nextafter(float(biggest) + step / 2, 0.0)
