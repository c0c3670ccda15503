"""OpenAPI 3.1 for the server."""

from __future__ import annotations

from typing import Any

from typedmodel.docs._bodies import _Bodies, _saved_answer, _shown_example
from typedmodel.docs._jsonschema import _Schemas
from typedmodel.docs._subject import _Subject
from typedmodel.serve.v2_protocol import DATATYPES

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
    "v2_tensor": {
        "type": "object",
        "description": "An Open Inference Protocol tensor: `data` flat (row-major) or nested.",
        "properties": {
            "name": {"type": "string"},
            "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "datatype": {"enum": list(DATATYPES)},
            "parameters": {"type": "object"},
            "data": {"type": "array"},
        },
        "required": ["name", "shape", "datatype", "data"],
    },
    "v2_request": {
        "type": "object",
        "description": "An Open Inference Protocol request; `parameters` (less `content_type`) "
        "are the model's params.",
        "properties": {
            "id": {"type": "string"},
            "parameters": {"type": "object"},
            "inputs": {"type": "array", "items": {"$ref": _COMPONENTS + "v2_tensor"}},
            "outputs": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["inputs"],
    },
    "v2_response": {
        "type": "object",
        "properties": {
            "model_name": {"type": "string"},
            "model_version": {"type": ["string", "null"]},
            "id": {"type": "string"},
            "outputs": {"type": "array", "items": {"$ref": _COMPONENTS + "v2_tensor"}},
        },
        "required": ["model_name", "outputs"],
    },
    "v2_error": {
        "type": "object",
        "description": "An Open Inference Protocol error; a 400 also lists every issue.",
        "properties": {
            "error": {"type": "string"},
            "issues": {"type": "array", "items": {"$ref": _COMPONENTS + "issue"}},
        },
        "required": ["error"],
    },
    "v2_model": {
        "type": "object",
        "description": "Model metadata: inputs and outputs as tensors (-1: any size).",
        "properties": {
            "name": {"type": "string"},
            "versions": {"type": "array", "items": {"type": "string"}},
            "platform": {"type": "string"},
            "inputs": {"type": "array", "items": {"type": "object"}},
            "outputs": {"type": "array", "items": {"type": "object"}},
            "parameters": {"type": "object"},
        },
        "required": ["name", "inputs", "outputs"],
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
            **_v2_paths(),
        },
        "components": {"schemas": schemas},
    }


def _v2_paths() -> dict[str, Any]:
    """The Open Inference Protocol's routes (served unless ``--protocol mlflow``)."""
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    version = {"name": "version", "in": "path", "required": True, "schema": {"type": "string"}}
    missing = _answer("No model of that name (or version) here.", "v2_error")
    infer = {
        "summary": "Predict on tensors (the Open Inference Protocol)",
        "requestBody": {"required": True, "content": _answer("", "v2_request")["content"]},
        "responses": {
            "200": _answer("The predictions, one tensor per output.", "v2_response"),
            "400": _answer("A tensor can't be read, or the data doesn't fit.", "v2_error"),
            "404": missing,
            "500": _answer("The model failed (the details are in the server's log).", "v2_error"),
        },
    }
    model = {
        "summary": "Model metadata",
        "responses": {"200": _answer("", "v2_model"), "404": missing},
    }
    out: dict[str, Any] = {
        "/v2": _get("v2_server", "Server metadata", _answer("typedmodel and its version.")),
        "/v2/health/live": _get("v2_live", "Is the server live?", _answer("Live.")),
        "/v2/health/ready": _get("v2_ready", "Is the server ready?", _answer("Ready.")),
    }
    for suffix, params in (("", [name]), ("/versions/{version}", [name, version])):
        base = "/v2/models/{name}" + suffix
        tag = "_versioned" if suffix else ""
        out[base] = {"get": {"operationId": f"v2_model{tag}", "parameters": params, **model}}
        out[base + "/ready"] = {
            "get": {
                "operationId": f"v2_model_ready{tag}",
                "parameters": params,
                "summary": "Is the model ready?",
                "responses": {"200": _answer("Ready."), "404": missing},
            }
        }
        out[base + "/infer"] = {
            "post": {"operationId": f"v2_infer{tag}", "parameters": params, **infer}
        }
    return out
