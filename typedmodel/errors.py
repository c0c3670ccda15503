"""The exceptions typedmodel raises.

Two families, as in pydantic: `SchemaError` is misuse found when a schema or a typed model is
defined (a bad hint, a rule of the schema tree broken); `ValidationError` is bad data found at run
time, and carries every `Issue` of the batch at once.
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Issue",
    "ModelFileError",
    "SchemaError",
    "TypedModelError",
    "TypedModelWarning",
    "ValidationError",
    "short_names",
    "short_repr",
]

_MESSAGE_ISSUES = 10
_INPUT_REPR_LIMIT = 60


class TypedModelError(Exception):
    """Base class of every exception typedmodel raises."""


class TypedModelWarning(UserWarning):
    """Something was dropped or changed on the way in (extra columns, for instance)."""


class SchemaError(TypedModelError, TypeError):
    """A schema, signature or type hint that typedmodel cannot accept.

    Raised when the schema is built (or the typed class is defined), never while predicting.
    The message says what to change.
    """


class ModelFileError(TypedModelError, OSError):
    """A model directory that can't be written or read (missing, corrupt, too new)."""


class _Omitted:
    """Marks an issue whose input value was left out (sensitive data)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<omitted>"


OMITTED: Any = _Omitted()


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem with one value of a batch.

    Attributes:
        row: index of the row in the batch, or None when the problem is not in a row
            (a missing column, a bad params value, a batch of the wrong kind).
        loc: path to the value inside the row: field names and list indices.
        type: a short machine-readable code (pydantic's error types where pydantic found it).
        msg: a sentence for people.
        input: the offending value, or `OMITTED` when inputs are hidden.
    """

    row: int | None
    loc: tuple[str | int, ...]
    type: str
    msg: str
    input: Any = field(default=OMITTED, compare=False)

    def to_dict(self, *, include_input: bool = True) -> dict[str, Any]:
        """The issue as a plain dict (``row``, ``loc``, ``type``, ``msg`` and maybe ``input``)."""
        out: dict[str, Any] = {
            "row": self.row,
            "loc": list(self.loc),
            "type": self.type,
            "msg": self.msg,
        }
        if include_input and self.input is not OMITTED:
            out["input"] = self.input
        return out

    def describe(self, *, include_input: bool = True) -> str:
        """One line: ``row 3 -> age: Input should be ... [input=-4]``."""
        where = ".".join(_loc_part(part) for part in self.loc)
        head = f"row {self.row}" if self.row is not None else ""
        if head and where:
            head = f"{head} -> {where}"
        elif where:
            head = where
        line = f"{head}: {self.msg}" if head else self.msg
        if include_input and self.input is not OMITTED:
            line += f" [input={short_repr(self.input)}]"
        return line


def _loc_part(part: str | int) -> str:
    """One step of a location, as a message writes it: a key the input made up (an extra or
    repeated column) may be any length, and is cut short there (``loc`` keeps it whole)."""
    text = str(part)
    if len(text) > _INPUT_REPR_LIMIT:
        text = text[: _INPUT_REPR_LIMIT - 3] + "..."
    return text


def short_repr(value: Any, limit: int = _INPUT_REPR_LIMIT) -> str:
    """A repr of `value` for a message: never longer than `limit`, and safe on values nested
    too deeply for `repr` (their inner levels are written ``...``).

    Examples:
        >>> short_repr("x" * 100)
        "'xxxxxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxxxxxxx'"
    """
    try:
        text = _REPR.repr(value)
    except Exception:  # a repr that fails on its own: name the type instead
        text = f"<{type(value).__name__}>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def short_names(names: Any) -> str:
    """Labels listed for a message, as a list's repr: its first few, each cut short (a
    request's column labels are input too).

    Examples:
        >>> short_names(["a", "b"])
        "['a', 'b']"
    """
    return short_repr(list(names), limit=_NAMES_LIMIT)


_NAMES_LIMIT = 200
_REPR = reprlib.Repr()
_REPR.maxlevel = 4
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = _INPUT_REPR_LIMIT


class ValidationError(TypedModelError, ValueError):
    """Bad data: every issue of the batch, collected and raised once.

    Under an issue limit (the server's ``max_issues``), collecting stops once the limit is
    reached: `stopped` is then True, `issues` are the first ones by row, and there may be more.

    The message starts with the count, then lists the first ten issues:

        2 validation errors in model_input
          row 0 -> age: Input should be a valid integer [input='old']
          row 3 -> income: Field required

    Examples:
        >>> from typedmodel import Issue, ValidationError
        >>> issue = Issue(0, ("age",), "int_parsing", "Input should be a valid integer")
        >>> err = ValidationError([issue])
        >>> err.error_count()
        1
    """

    def __init__(
        self,
        issues: Iterable[Issue],
        *,
        title: str = "model_input",
        hide_input: bool = False,
        stopped: bool = False,
    ) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        self.title = title
        self.hide_input = hide_input
        self.stopped = stopped
        super().__init__(self._message())

    def _message(self) -> str:
        count = len(self.issues)
        noun = "validation error" if count == 1 else "validation errors"
        lines = [f"{'at least ' if self.stopped else ''}{count} {noun} in {self.title}"]
        lines.extend(
            "  " + issue.describe(include_input=not self.hide_input)
            for issue in self.issues[:_MESSAGE_ISSUES]
        )
        if count > _MESSAGE_ISSUES:
            lines.append(f"  ... and {count - _MESSAGE_ISSUES} more")
        return "\n".join(lines)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.issues, self.title, self.hide_input, self.stopped))

    def error_count(self) -> int:
        """How many issues the batch has (were found, when `stopped`)."""
        return len(self.issues)

    def errors(self, *, include_input: bool | None = None) -> list[dict[str, Any]]:
        """The issues as dicts with ``row``, ``loc``, ``type``, ``msg`` (and ``input``)."""
        show = (not self.hide_input) if include_input is None else include_input
        return [issue.to_dict(include_input=show) for issue in self.issues]

    def json(self, *, include_input: bool | None = None, indent: int | None = None) -> str:
        """The issues as a JSON array (values JSON cannot hold are written as their repr)."""
        return json.dumps(self.plain_errors(include_input=include_input), indent=indent)

    def plain_errors(self, *, include_input: bool | None = None) -> list[dict[str, Any]]:
        """`errors` as JSON values: an input JSON can't hold (or nested too deeply to write) is
        written as its short repr."""
        from typedmodel._json import jsonable

        out = []
        for error in self.errors(include_input=include_input):
            try:
                out.append(jsonable(error, fallback=repr))
            except (TypeError, RecursionError):
                out.append(
                    {**jsonable({**error, "input": None}), "input": short_repr(error["input"])}
                )
        return out


def _rebuild(
    issues: tuple[Issue, ...], title: str, hide_input: bool, stopped: bool = False
) -> ValidationError:
    return ValidationError(issues, title=title, hide_input=hide_input, stopped=stopped)
