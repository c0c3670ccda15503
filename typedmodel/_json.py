"""Values as JSON holds them: one set of rules for saved examples and server answers.

Pydantic models are dumped (by alias), dataclasses by field, numpy and pandas values become
plain Python (a DataFrame a list of records), datetimes ISO 8601 strings, bytes base64, enums
their values, and NaN, NaT and NA ``null``.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import enum
import math
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["jsonable"]


def jsonable(value: Any, *, fallback: Callable[[Any], Any] | None = None) -> Any:
    """`value` as plain JSON values, by the rules above.

    Examples:
        >>> import datetime
        >>> jsonable({"when": datetime.date(2024, 1, 2), "raw": b"\\x00", "n": float("nan")})
        {'when': '2024-01-02', 'raw': 'AA==', 'n': None}


    Raises:
        TypeError: for a value JSON can't hold (unless `fallback` turns it into one).
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value, fallback=fallback)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {_key(k): jsonable(v, fallback=fallback) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, fallback=fallback) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if _is_missing(value):
        return None
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    return _jsonable_other(value, fallback)


def _jsonable_other(value: Any, fallback: Callable[[Any], Any] | None) -> Any:
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    if np is not None and isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind in "mM":  # datetime64 / timedelta64: microseconds give Python types
            value = value.astype(f"{value.dtype.str[1:2]}8[us]")
        return jsonable(value.tolist(), fallback=fallback)
    if pd is not None and isinstance(value, pd.DataFrame):
        return jsonable(value.to_dict(orient="records"), fallback=fallback)
    if pd is not None and isinstance(
        value, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)
    ):
        return jsonable(list(value), fallback=fallback)
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return jsonable(dump(by_alias=True), fallback=fallback)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return {f.name: jsonable(getattr(value, f.name), fallback=fallback) for f in fields}
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, Path):
        return str(value)
    from pydantic_core import PydanticSerializationError, to_jsonable_python

    try:  # Decimal, UUID and the rest of what pydantic knows
        return to_jsonable_python(value, inf_nan_mode="null")
    except PydanticSerializationError:
        if fallback is not None:
            return fallback(value)
        raise TypeError(f"a {type(value).__name__} value can't be written as JSON") from None


def _key(key: Any) -> str:
    if isinstance(key, enum.Enum):
        key = key.value
    return key if isinstance(key, str) else str(jsonable(key, fallback=repr))


def _is_missing(value: Any) -> bool:
    pd = sys.modules.get("pandas")
    return pd is not None and (value is pd.NaT or value is pd.NA)
