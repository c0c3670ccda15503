"""Values as JSON holds them: the one encoder of saved examples, defaults, server answers, docs
and error bodies.

It is pydantic-core's `to_jsonable_python` (models dumped by alias, dataclasses by field,
datetimes in ISO 8601, durations in seconds, bytes in base64, enums as their values, NaN and
infinities as ``null``) with a fallback for numpy and pandas values: numpy scalars and arrays as
plain Python values, a DataFrame as a list of records, a Series as a list, and pandas' NA and
NaT as ``null``. A pydantic model is written as pydantic writes it to JSON, by its own config
(its ``ser_json_bytes``, for instance); `dumps` writes any NaN left inside one as ``null``.
"""

from __future__ import annotations

import base64
import json
import math
import sys
from collections.abc import Callable, Mapping
from typing import Any

from pydantic_core import PydanticSerializationError, to_json, to_jsonable_python

__all__ = ["dump_json", "dumps", "jsonable"]


def jsonable(value: Any, *, fallback: Callable[[Any], Any] | None = None) -> Any:
    """`value` as plain JSON values, by the rules above.

    Examples:
        >>> import datetime
        >>> jsonable({"when": datetime.date(2024, 1, 2), "raw": b"\\x00", "n": float("nan")})
        {'when': '2024-01-02', 'raw': 'AA==', 'n': None}

    Raises:
        TypeError: for a value JSON can't hold (unless `fallback` turns it into one), or one
            nested too deeply.
    """
    return _serialized(to_jsonable_python, value, fallback)


def dump_json(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON, by the rules above (pydantic-core writes it): the bodies
    the server answers with.

    Raises:
        TypeError: for a value JSON can't hold.
    """
    out: bytes = _serialized(to_json, value, None)
    return out


def _serialized(
    encode: Callable[..., Any], value: Any, fallback: Callable[[Any], Any] | None
) -> Any:
    def other(v: Any) -> Any:
        plain = _plain(v)
        if plain is not _UNKNOWN:
            return plain
        if fallback is not None:
            return fallback(v)
        raise TypeError(f"a value of type {type(v).__name__} can't be written as JSON")

    value = _prepared(value, 0)
    try:
        return _encode(encode, value, other)
    except TypeError as exc:
        if "can't be written as JSON" in str(exc):
            raise
        # pandas' NaT is a datetime that pydantic-core can't write: replace it, then again.
        return _encode(encode, _without_nat(value), other)


_SCALARS = frozenset({str, int, float, bool, type(None)})
_DEPTH = 200


def _prepared(value: Any, depth: int) -> Any:
    """`value` with each pydantic model dumped to plain Python (by alias), so that its bytes,
    NaNs and durations follow the rules above rather than the model's own JSON config."""
    kind = type(value)
    if kind in _SCALARS or depth > _DEPTH:
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        # Standard base64, as MLflow writes bytes and as typedmodel reads them back
        # (pydantic-core's base64 mode is the URL-safe alphabet).
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind is list or kind is tuple:
        if all(type(v) in _SCALARS for v in value):
            return value
        return [_prepared(v, depth + 1) for v in value]
    if kind is dict:
        if all(type(v) in _SCALARS for v in value.values()):
            return value
        return {k: _prepared(v, depth + 1) for k, v in value.items()}
    dump = getattr(value, "model_dump", None)
    if callable(dump) and hasattr(kind, "__pydantic_serializer__"):
        return _prepared(dump(by_alias=True), depth + 1)
    return value


def _encode(encode: Callable[..., Any], value: Any, other: Callable[[Any], Any]) -> Any:
    try:
        return encode(
            value,
            by_alias=True,
            bytes_mode="base64",
            inf_nan_mode="null",
            timedelta_mode="float",
            fallback=other,
        )
    except PydanticSerializationError as exc:
        raise TypeError(str(exc).split("\n")[0][:200]) from None
    except ValueError as exc:  # "Maximum serialization depth exceeded"
        raise TypeError(f"the value can't be written as JSON: {str(exc)[:200]}") from None


def dumps(value: Any, *, indent: int | None = None) -> str:
    """`value` written as JSON text (see `jsonable`); never ``NaN`` or ``Infinity`` tokens.

    Raises:
        TypeError: for a value JSON can't hold.
    """
    plain = jsonable(value)
    try:
        return json.dumps(plain, indent=indent, allow_nan=False)
    except ValueError:  # a non-finite float inside a pydantic model's own dump
        return json.dumps(_finite(plain), indent=indent, allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


_UNKNOWN = object()


def _plain(value: Any) -> Any:
    """A numpy or pandas value as plain Python (`_UNKNOWN` for anything else)."""
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    if np is not None and isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind in "mM":  # datetime64 / timedelta64: microseconds give Python types
            value = value.astype(f"{value.dtype.str[1:2]}8[us]")  # (and NaT gives None)
        return value.tolist()
    if pd is not None:
        if value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, pd.DataFrame):
            frame = value.astype(object).where(value.notna(), None)
            return frame.to_dict(orient="records")
        if isinstance(value, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
            series = pd.Series(value, copy=False).astype(object)
            return series.where(series.notna(), None).tolist()
    if isinstance(value, Mapping):
        return dict(value)
    return _UNKNOWN


def _without_nat(value: Any) -> Any:
    pd = sys.modules.get("pandas")
    if pd is not None and value is pd.NaT:
        return None
    if isinstance(value, Mapping):
        return {k: _without_nat(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_without_nat(v) for v in value]
    return value
