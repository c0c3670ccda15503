"""OpenAPI 3.1 for the server."""

from __future__ import annotations

from typing import Any

from typedmodel.docs._bodies import _Bodies, _saved_answer, _shown_example
from typedmodel.docs._jsonschema import _Schemas
from typedmodel.docs._subject import _Subject

_COMPONENTS = "#/components/schemas/"
_FIXED_SCHEMAS: dict[str, dict[str, Any]] = {
    "issue": {
        "type": "object",
        "description": "One problem with one value of the batch.",
        "properties": {
            "row": {"type": ["integer", "null"], "description": "The row's index, or null."},
            "loc": {
                "type": "array",
                "items": {"type": ["string", "integer"]},
                "description": "The path to the value inside the row.",
            },
            "type": {"type": "string", "description": "A short machine-readable code."},
            "msg": {"type": "string", "description": "A sentence for people."},
            "input": {"description": "The offending value (left out when inputs are hidden)."},
        },
        "required": ["loc", "msg", "row", "type"],
    },
    "error": {
        "type": "object",
        "description": "An error answer.",
        "properties": {
            "error_code": {"type": "string", "examples": ["INVALID_INPUT", "MODEL_ERROR"]},
            "message": {"type": "string"},
            "issues": {"type": "array", "items": {"$ref": _COMPONENTS + "issue"}},
        },
        "required": ["error_code", "message"],
    },
    "invalid_input": {
        "description": "The body of a 400 answer: every issue of the request at once.",
        "allOf": [{"$ref": _COMPONENTS + "error"}],
        "required": ["issues"],
    },
    "signature": {
        "type": "object",
        "description": "The signature in MLflow's MLmodel form: each part a JSON string or null.",
        "properties": {
            name: {"type": ["string", "null"]} for name in ("inputs", "outputs", "params")
        },
    },
    "status": {"type": "object", "properties": {"status": {"const": "ok"}}},
    "version": {"type": "object", "properties": {"typedmodel": {"type": "string"}}},
}


def _answer(
    description: str, schema: str | None = None, example: Any = None, media: str = ""
) -> dict[str, Any]:
    """An OpenAPI response: `schema` names a component (``html`` is a plain string)."""
    out: dict[str, Any] = {"description": description}
    if schema is not None:
        ref = {"type": "string"} if schema == "html" else {"$ref": _COMPONENTS + schema}
        content: dict[str, Any] = {"schema": ref}
        if example is not None:
            content["example"] = example
        out["content"] = {media or "application/json": content}
    return out


def _get(operation: str, summary: str, answer: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"operationId": operation, "summary": summary, "responses": {"200": answer}}}


def _openapi_doc(subject: _Subject) -> dict[str, Any]:
    from typedmodel import __version__

    shown = _shown_example(subject)
    example = shown.usable
    schemas = {**_Schemas(subject.signature, _COMPONENTS).defs(example), **_FIXED_SCHEMAS}
    bodies = _Bodies(subject.signature)
    predictions = _saved_answer(subject, shown)
    if predictions is None:
        generated = bodies.response()
        predictions = None if bodies.placeholders else generated
    request = {"required": True, "content": _answer("", "request", example)["content"]}
    invocations = {
        "operationId": "invocations",
        "summary": "Predict on a batch",
        "description": "The body holds the batch in one of MLflow's four forms "
        "(`inputs`, `dataframe_split`, `dataframe_records`, `instances`), with optional "
        "`params`. Every bad row and field is reported at once.",
        "requestBody": request,
        "responses": {
            "200": _answer(
                "The predictions, one per row.",
                "response",
                predictions,
            ),
            "400": _answer("The request or its data does not fit the signature.", "invalid_input"),
            "413": _answer("The body is over the server's limit.", "error"),
            "415": _answer("The body is not JSON.", "error"),
            "500": _answer("The model failed (the details are in the server's log).", "error"),
        },
    }
    up = _answer("The server is up.", "status", {"status": "ok"})
    info: dict[str, Any] = {"title": subject.title, "version": __version__}
    if subject.doc:
        info["description"] = subject.doc
    return {
        "openapi": "3.1.0",
        "info": info,
        "paths": {
            "/invocations": {"post": invocations},
            "/ping": _get("ping", "Is the server up?", up),
            "/health": _get("health", "Is the server up?", up),
            "/version": _get("version", "The version", _answer("typedmodel's version.", "version")),
            "/signature": _get(
                "signature",
                "The signature",
                _answer("The signature, in MLflow's form.", "signature"),
            ),
            "/openapi.json": _get("openapi", "This document", _answer("OpenAPI 3.1, as JSON.")),
            "/docs": _get(
                "docs", "The docs", _answer("The docs as one HTML page.", "html", media="text/html")
            ),
        },
        "components": {"schemas": schemas},
    }
