"""Helpers shared by the validators: lazy pandas/numpy, pydantic errors -> issues."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pydantic

from typedmodel.errors import OMITTED, Issue, ValidationError
from typedmodel.hints import _is_model

_DROP = object()  # a missing cell whose key is left out of the row (default or "required")
_OUTPUT_TITLE = "model output (predict returned data that does not match its return hint)"


def _pd() -> Any:
    import pandas

    return pandas


def _np() -> Any:
    import numpy

    return numpy


def _issues_from(
    exc: pydantic.ValidationError, *, batch: bool, hide_input: bool, prefix: tuple[Any, ...] = ()
) -> list[Issue]:
    out = []
    for err in exc.errors(include_url=False, include_context=False):
        loc = tuple(err["loc"])
        row = None
        if batch and loc and isinstance(loc[0], int):
            row, loc = loc[0], loc[1:]
        out.append(
            Issue(
                row,
                prefix + loc,
                err["type"],
                err["msg"],
                OMITTED if hide_input or err["type"] == "missing" else err.get("input"),
            )
        )
    return out


def _batch_type_issue(data: Any, hint: str) -> ValidationError:
    kind = type(data).__name__
    what = "one row" if isinstance(data, Mapping) or _is_model(type(data)) else f"a {kind}"
    msg = f"Expected a batch ({hint}), got {what}"
    if what == "one row":
        msg += ": wrap it in a list, [row]"
    return ValidationError([Issue(None, (), "batch_type", msg)])
