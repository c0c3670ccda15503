"""Helpers shared by the validators."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from typing import Any

from typedmodel.errors import Issue, ValidationError

_LIMIT: contextvars.ContextVar[int | None] = contextvars.ContextVar("issue_limit", default=None)


@contextlib.contextmanager
def issue_limit(limit: int | None) -> Iterator[None]:
    """Within the block, a batch's validation stops collecting issues once `limit` are found
    (the server's ``max_issues``: an all-wrong body costs no more than its first issues)."""
    token = _LIMIT.set(limit)
    try:
        yield
    finally:
        _LIMIT.reset(token)


def current_issue_limit() -> int | None:
    """The limit set by `issue_limit`, or None (every issue is collected)."""
    return _LIMIT.get()


def first_issues(
    issues: list[Issue], limit: int | None, order: Any = None
) -> tuple[list[Issue], bool]:
    """The first `limit` issues by row (then `order`), and whether any were cut."""
    issues.sort(key=lambda i: (-1 if i.row is None else i.row, order(i) if order else 0))
    if limit is None or len(issues) <= limit:
        return issues, False
    return issues[:limit], True


OUTPUT_TITLE = "model output (predict returned data that does not match its return hint)"


def batch_type_issue(data: Any, expected: str) -> ValidationError:
    """The error for data that is not a batch at all (one row says "wrap it in a list")."""
    kind = type(data).__name__
    one_row = isinstance(data, Mapping) or hasattr(type(data), "model_fields")
    what = "one row" if one_row else f"a {kind}"
    msg = f"Expected a batch ({expected}), got {what}"
    if one_row:
        msg += ": wrap it in a list, [row]"
    return ValidationError([Issue(None, (), "batch_type", msg)])
