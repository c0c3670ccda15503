"""MLflow's scoring protocol: the request forms of ``/invocations`` and its answers.

A body is one of ``{"inputs": ...}``, ``{"dataframe_split": {"columns", "data"}}``,
``{"dataframe_records": [...]}`` and ``{"instances": ...}``, each with optional ``"params"``;
the answer is ``{"predictions": ...}``. This module only reads and writes those forms:
validation is the model's call seam, whatever the protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from typedmodel._json import dump_json
from typedmodel.errors import Issue, ValidationError
from typedmodel.serve.wire import exact_frame

__all__ = ["REQUEST_KEYS", "answer", "parse_request"]

REQUEST_KEYS = ("inputs", "dataframe_split", "dataframe_records", "instances")


def parse_request(body: Any, *, records: bool = False) -> tuple[Any, Any]:
    """The batch and params of an MLflow request body.

    DataFrame forms give a DataFrame, or a list of row dicts when `records` (exact for
    ``list[X]`` models: no NaN stands in for a missing int). Either way a ``null`` cell of a
    table is a missing value (its field's default, or a ``missing`` issue), as pandas reads it.

    Raises:
        ValidationError: for a body of the wrong shape (not an object, none or several of the
            input keys, unknown keys, a malformed ``dataframe_split``, repeated column names).
    """
    if not isinstance(body, Mapping):
        raise _request_issue(f"The body must be a JSON object, got {type(body).__name__}")
    present = [k for k in REQUEST_KEYS if k in body]
    unknown = [k for k in body if k not in (*REQUEST_KEYS, "params")]
    if unknown:  # the keys are the caller's input: named in the issue's input, not its message
        raise ValidationError(
            [
                Issue(
                    None,
                    (),
                    "request_format",
                    f"{len(unknown)} unknown key(s); use one of {list(REQUEST_KEYS)} and 'params'",
                    unknown[:20],
                )
            ],
            title="request",
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
        if records:  # a null cell is a missing one, as in the DataFrame
            return [{k: v for k, v in r.items() if v is not None} for r in value], params
        import pandas as pd

        # (from_records reads a list of empty records as no rows at all)
        frame = pd.DataFrame(value, index=pd.RangeIndex(len(value)))
        names = list(frame.columns)
        return exact_frame(frame, lambda i, j: value[i].get(names[j])), params
    return value, params


def answer(output: Any) -> bytes:
    """The ``200`` body of a prediction.

    Raises:
        TypeError: for an output JSON can't hold.
    """
    return dump_json({"predictions": output})


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
    from typedmodel.validate.columns import repeated_labels

    repeated = repeated_labels(columns)
    if repeated:
        raise ValidationError(repeated, title="request")
    names = [str(c) for c in columns]
    if records:  # a null cell is a missing one, as in the DataFrame
        return [{n: v for n, v in zip(names, row, strict=True) if v is not None} for row in data]
    import pandas as pd

    frame = pd.DataFrame(data, columns=columns)
    return exact_frame(frame, lambda i, j: data[i][j])


def _request_issue(msg: str, loc: tuple[str, ...] = ()) -> ValidationError:
    return ValidationError([Issue(None, loc, "request_format", msg)], title="request")
