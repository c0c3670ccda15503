"""MLflow's scoring protocol: the four request body forms, plus params."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from typedmodel.errors import Issue, ValidationError
from typedmodel.validate._common import _pd

REQUEST_KEYS = ("inputs", "dataframe_split", "dataframe_records", "instances")


def parse_request(body: Any, *, records: bool = False) -> tuple[Any, Any]:
    """The batch and params of an MLflow-style request body.

    Accepts ``{"inputs": ...}``, ``{"dataframe_split": {"columns", "data"}}``,
    ``{"dataframe_records": [...]}`` and ``{"instances": ...}``, each with optional
    ``"params"``. DataFrame forms give a DataFrame, or a list of row dicts when `records`
    (exact for typed models: no NaN stands in for a missing int).

    Raises:
        ValidationError: for a body of the wrong shape (not a dict, none or several of the
            input keys, unknown keys, a malformed ``dataframe_split``).
    """
    if not isinstance(body, Mapping):
        raise _request_issue(f"The body must be a JSON object, got {type(body).__name__}")
    present = [k for k in REQUEST_KEYS if k in body]
    unknown = sorted(str(k) for k in body if k not in (*REQUEST_KEYS, "params"))
    if unknown:
        raise _request_issue(
            f"Unknown keys {unknown}; use one of {list(REQUEST_KEYS)} and 'params'"
        )
    if len(present) != 1:
        raise _request_issue(
            f"The body needs exactly one of {list(REQUEST_KEYS)}, got {present or 'none'}"
        )
    key = present[0]
    params = body.get("params")
    if params is not None and not isinstance(params, Mapping):
        raise _request_issue("'params' must be a JSON object of name -> value", ("params",))
    value = body[key]
    if key == "dataframe_split":
        return _split_frame(value, records=records), params
    if key == "dataframe_records":
        if not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value):
            raise _request_issue("'dataframe_records' must be a list of objects", (key,))
        return (value if records else _pd().DataFrame.from_records(value)), params
    return value, params


def _split_frame(value: Any, *, records: bool) -> Any:
    where = ("dataframe_split",)
    if not isinstance(value, Mapping) or "data" not in value:
        raise _request_issue("'dataframe_split' must be an object with 'columns' and 'data'", where)
    data = value["data"]
    columns = value.get("columns")
    if not isinstance(data, list) or not all(isinstance(r, list) for r in data):
        raise _request_issue("'dataframe_split.data' must be a list of rows (lists)", where)
    if columns is None:
        columns = list(range(len(data[0]))) if data else []
    if not isinstance(columns, list) or any(len(r) != len(columns) for r in data):
        raise _request_issue(
            "every row of 'dataframe_split.data' must have one value per column", where
        )
    if records:
        names = [str(c) for c in columns]
        return [dict(zip(names, row, strict=True)) for row in data]
    return _pd().DataFrame(data, columns=columns)


def _request_issue(msg: str, loc: tuple[str, ...] = ()) -> ValidationError:
    return ValidationError([Issue(None, loc, "request_format", msg)], title="request")
