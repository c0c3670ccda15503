"""Reading a request body: UTF-8 JSON or CSV, numbers by the rule table.

JSON is read as RFC 8259 defines it, with the tokens Python's ``json.dumps`` writes for floats
it can't otherwise write: ``NaN`` is a missing value (read as ``null``, as MLflow's server reads
it), ``Infinity`` and ``-Infinity`` are infinite floats (which only a float field takes). A
float literal too large for a double (``1e400`` is not infinity) is refused here, before any
validator. An integer is read as the integer it is, so that a value beyond the type's range
(the rule table's) is an issue naming its row and field; only a literal far longer than the
widest integer type holds (a long's 19 digits) is refused as the body's fault, before Python
spends time converting it. A CSV body follows the same integer rule.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

from typedmodel.schema.nodes import DataType
from typedmodel.schema.rules import rule

__all__ = ["BadRequest", "media_type", "read_csv", "read_json"]

JSON_TYPE = "application/json"
CSV_TYPE = "text/csv"

_WIDEST = rule(DataType.long)
# No integer type holds more digits than a long; five times as many is plainly not a value.
_INT_DIGITS = 5 * len(str(_WIDEST.high))


class BadRequest(Exception):
    """A body that isn't what it says it is (not UTF-8, not JSON, not CSV, numbers no type
    holds). `type` is the issue type of the answer."""

    def __init__(self, msg: str, type_: str = "json_invalid") -> None:
        super().__init__(msg)
        self.msg = msg
        self.type = type_


def _int_out_of_range() -> BadRequest:
    return BadRequest(
        f"The body has an integer of more than {_INT_DIGITS} digits, far outside the range of "
        "a 64-bit long",
        "number_range",
    )


def _constant(name: str) -> float | None:
    return None if name == "NaN" else float(name)  # "Infinity", "-Infinity"


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadRequest("The body has a number too large for a double", "number_range")
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > _INT_DIGITS:
        raise _int_out_of_range()
    return int(text)


def read_json(body: bytes) -> Any:
    """The JSON value of `body`, by the rules above.

    Raises:
        BadRequest: for a body that is not UTF-8 JSON, or holds a number no type holds.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"The body is not valid UTF-8 (at byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_constant, parse_float=_finite_float, parse_int=_int)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise BadRequest("The body is not valid JSON here: it is nested too deeply") from None


def read_csv(body: bytes) -> Any:
    """The DataFrame of a CSV body with a header row.

    Raises:
        BadRequest: for a body that is not UTF-8 CSV, or has an integer no type holds.
    """
    import pandas as pd

    try:
        frame = pd.read_csv(io.BytesIO(body), encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"The body is not valid UTF-8 (at byte {exc.start})", "csv_invalid"
        ) from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise BadRequest(f"The body is not valid CSV: {str(exc)[:200]}", "csv_invalid") from None
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind in "iufb":
            continue
        # pandas leaves an integer wider than 64 bits as text: the JSON rule applies to it.
        text = column.dropna().astype(str)
        digits = text.str.fullmatch(r"[+-]?\d+")
        if digits.any() and (text[digits].str.lstrip("+-").str.len() > _INT_DIGITS).any():
            raise _int_out_of_range()
    return frame


def media_type(header: str) -> str | None:
    """``"json"``, ``"csv"`` or None for a Content-Type header (only UTF-8 charsets)."""
    main, *options = (part.strip().lower() for part in header.split(";"))
    for option in options:
        key, _, value = option.partition("=")
        if key.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            return None
    return {JSON_TYPE: "json", CSV_TYPE: "csv"}.get(main)
