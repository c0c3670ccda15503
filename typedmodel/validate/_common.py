"""Helpers shared by the validators."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from typedmodel.errors import Issue, ValidationError

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
