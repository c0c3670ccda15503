"""Reading a request body: UTF-8 JSON or CSV, numbers by the rule table.

JSON is read as RFC 8259 defines it, with the tokens Python's ``json.dumps`` writes for floats
it can't otherwise write: ``NaN`` is a missing value (read as ``null``, as MLflow's server reads
it), ``Infinity`` and ``-Infinity`` are infinite floats (which only a float field takes). A
float literal too large for a double (``1e400`` is not infinity) is refused here, before any
validator. An integer is read as the integer it is, so that a value beyond the type's range
(the rule table's) is an issue naming its row and field; only a literal far longer than the
widest integer type holds (a long's 19 digits) is refused as the body's fault, before Python
spends time converting it. A CSV body follows the same rules: pandas reads a column of numbers
as float64, rounding an integer beyond 2**53 and reading ``1e400`` as infinity, so a float
column that may have either is read again as text, its integers kept as integers.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable, Collection
from typing import Any

from typedmodel.schema.nodes import DataType
from typedmodel.schema.rules import INFINITY_TEXT, rule

__all__ = [
    "BadRequest",
    "exact_frame",
    "media_type",
    "read_csv",
    "read_json",
    "rounding_candidates",
]

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


_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_finite_float, parse_int=_int)


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
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise BadRequest("The body is not valid JSON here: it is nested too deeply") from None


def read_csv(body: bytes, text: Collection[str] = ()) -> Any:
    """The DataFrame of a CSV body with a header row, its numbers as exact as JSON's, and the
    columns named in `text` read as text (``02139`` as ``"02139"``, not the number 2139).

    pandas reads a column of numbers as float64, which rounds an integer beyond 2**53 and reads
    ``1e400`` as infinity, and leaves a column with an integer beyond 64 bits as text. Such
    columns are read again as the numbers they write: integers as Python ints (held to the
    declared type by the validators, as a JSON integer is), the others as floats.

    Raises:
        BadRequest: for a body that is not UTF-8 CSV, or has a number no type holds.
        ValidationError: for a header that names a column twice.
    """
    import pandas as pd

    body = _line_feeds(body)
    try:
        frame = pd.read_csv(
            io.BytesIO(body),
            encoding="utf-8",
            dtype=dict.fromkeys(text, object),  # (a name not in the header is left alone)
            **_exact_floats_option(pd),
        )
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"The body is not valid UTF-8 (at byte {exc.start})", "csv_invalid"
        ) from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise BadRequest(f"The body is not valid CSV: {str(exc)[:200]}", "csv_invalid") from None
    if not isinstance(frame.index, pd.RangeIndex):  # pandas made the extra fields an index
        raise BadRequest(
            "The body is not valid CSV: a row has more fields than the header", "csv_invalid"
        )
    _refuse_repeated_names(body, [str(c) for c in frame.columns])
    for j in range(frame.shape[1]):
        if frame.columns[j] in text:
            continue
        column = frame.iloc[:, j]
        if column.dtype.kind == "f":
            frame.isetitem(j, _exact_floats(body, j, column))
        if column.dtype.kind != "O":
            continue
        numbers = _numbers(column)
        if numbers is not None:
            frame.isetitem(j, pd.Series(numbers, index=frame.index, dtype=object))
            continue
        # Text: an integer literal in it is still held to the JSON rule's length.
        cells = column.dropna().astype(str)
        digits = cells.str.fullmatch(r"[+-]?\d+")
        if digits.any() and (cells[digits].str.lstrip("+-").str.len() > _INT_DIGITS).any():
            raise _int_out_of_range()
    return frame


_LONE_CR = re.compile(rb"\r(?!\n)")


def _line_feeds(body: bytes) -> bytes:
    """`body` with each line that ends in a carriage return alone, outside quotes, ending in a
    line feed: the same line end to pandas, but for its C parser, which drops the first field
    of the line after a blank line so ended (``s,n\\n\\r,0`` was read as ``s=0``, no ``n``).
    A CR in a quoted field is text, and stays."""
    if b"\r" not in body:
        return body
    parts = body.split(b'"')  # (outside quotes: the even parts; "" in a field toggles twice)
    parts[::2] = [_LONE_CR.sub(b"\n", part) for part in parts[::2]]
    return b'"'.join(parts)


def _exact_floats_option(pd: Any) -> dict[str, Any]:
    """pandas 2's default float parser can be a step off (``9.801176974488253e+274`` reads
    as ``...252e+274``); its round-trip parser reads floats as Python does, which is what
    pandas 3 does by default (and warns about the option)."""
    return {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


def _refuse_repeated_names(body: bytes, names: list[str]) -> None:
    """A header naming a column twice is an issue, as in a ``dataframe_split`` (pandas renames
    the second ``x`` to ``x.1``, which would then be dropped as an extra column).

    Raises:
        ValidationError: naming each repeated column.
    """
    known = set(names)
    if not any(n.rpartition(".")[0] in known for n in names if n.rpartition(".")[2].isdigit()):
        return
    import pandas as pd

    from typedmodel.errors import ValidationError
    from typedmodel.validate.columns import repeated_labels

    header = pd.read_csv(io.BytesIO(body), header=None, nrows=1, dtype=str, keep_default_na=False)
    repeated = repeated_labels(header.iloc[0].tolist())
    if repeated:
        raise ValidationError(repeated, title="request")


def _texts(body: bytes, j: int) -> Any:
    """Column `j` of a CSV body (which pandas has read once), as text."""
    import pandas as pd

    try:
        frame = pd.read_csv(io.BytesIO(body), encoding="utf-8", usecols=[j], dtype=str)
    except (ValueError, pd.errors.ParserError) as exc:  # (read once already: not expected)
        raise BadRequest(f"The body is not valid CSV: {str(exc)[:200]}", "csv_invalid") from None
    return frame.iloc[:, 0]


_TOO_LARGE = object()
# A number as pandas' CSV reader writes one (ASCII digits, no underscores), and an integer.
_NUMBER = re.compile(
    r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|infinity)", re.I
)
_INTEGER = re.compile(r"[+-]?[0-9]+")  # ([0-9]: Python's \d is any script's digits)


def _numbers(texts: Any) -> list[Any] | None:
    """The numbers a column's cells write (missing cells stay missing), or None when one of
    them is not a number.

    Raises:
        BadRequest: when every cell is a number and one is too large for any type.
    """
    values: list[Any] = []
    for text in texts:
        if isinstance(text, int) and not isinstance(text, bool):
            text = str(text)  # pandas reads a column of integers beyond 64 bits as ints
        if not isinstance(text, str):
            values.append(text)  # missing
            continue
        literal = text.strip()
        if not literal:  # (pandas leaves empty cells as "" beside an integer beyond 64 bits)
            values.append(math.nan)
            continue
        if not _NUMBER.fullmatch(literal):
            return None  # text, as pandas read it
        if _INTEGER.fullmatch(literal):
            values.append(literal)  # an integer: read once every cell is a number
            continue
        value = float(literal)
        if math.isinf(value) and literal.lstrip("+-").lower() not in INFINITY_TEXT:
            values.append(_TOO_LARGE)  # refused once every cell is a number
            continue
        values.append(value)
    if any(v is _TOO_LARGE for v in values):
        raise BadRequest("The body has a number too large for a double", "number_range")
    return [_int(v) if isinstance(v, str) else v for v in values]


_EXACT = rule(DataType.double).exact_int


def rounding_candidates(values: Any) -> Any:
    """The positions where pandas may have rounded a float64 column it made, from CSV text or
    from Python ints beside floats: values beyond what a double holds exactly (2**53 + 1
    rounds to 2**53 itself, so that is one too), and infinities (from CSV, a literal too
    large for a double)."""
    import numpy as np

    with np.errstate(invalid="ignore"):
        return np.flatnonzero(np.isinf(values) | (np.abs(values) >= _EXACT))


def exact_frame(frame: Any, cell: Callable[[int, int], Any]) -> Any:
    """`frame`, which pandas built from a request's values (`cell(i, j)`: row i, column j),
    with the integers pandas rounded put back: a float64 column that got a Python int at a
    `rounding_candidates` position becomes objects there, so that the validators hold the
    integer to the declared type as they hold any other."""

    for j in range(frame.shape[1]):
        column = frame.iloc[:, j]
        if column.dtype.kind != "f":
            continue
        at = rounding_candidates(column.to_numpy())
        given = [cell(i, j) for i in at]
        if any(isinstance(v, int) and not isinstance(v, bool) for v in given):
            frame.isetitem(j, _put(column, at, given))
    return frame


def _put(column: Any, at: Any, values: list[Any]) -> Any:
    """`column` as objects, with `values` at the positions `at`."""
    import pandas as pd

    out = column.to_numpy(dtype=object)
    for i, value in zip(at, values, strict=True):
        out[i] = value
    return pd.Series(out, index=column.index, dtype=object, name=column.name)


def _exact_floats(body: bytes, j: int, column: Any) -> Any:
    """A float64 column pandas read from CSV column `j`, with the integer literals it rounded
    put back as Python ints (see `exact_frame`).

    Raises:
        BadRequest: for a literal too large for a double (``inf`` itself is infinity).
    """
    import numpy as np

    values = column.to_numpy()
    at = rounding_candidates(values)
    if not len(at):
        return column
    texts = _texts(body, j).iloc[at].str.strip()
    infinite = np.isinf(values[at])
    written = texts[infinite].str.lstrip("+-").str.lower()
    if infinite.any() and not written.isin(list(INFINITY_TEXT)).all():
        raise BadRequest("The body has a number too large for a double", "number_range")
    ints = texts.str.fullmatch(_INTEGER.pattern).to_numpy(dtype=bool)
    if not ints.any():
        return column  # every one is a float literal: pandas read it as Python does
    return _put(column, at[ints], [_int(t) for t in texts[ints]])


def media_type(header: str) -> str | None:
    """``"json"``, ``"csv"`` or None for a Content-Type header (only UTF-8 charsets)."""
    main, *options = (part.strip().lower() for part in header.split(";"))
    for option in options:
        key, _, value = option.partition("=")
        if key.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            return None
    return {JSON_TYPE: "json", CSV_TYPE: "csv"}.get(main)
