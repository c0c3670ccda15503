"""A model's contract as documentation: Markdown, HTML, JSON Schema and OpenAPI.

Everything is generated from the schema tree (`ModelSignature`), so a signature written by hand
documents itself exactly as one read from hints does. Three visitors walk the type nodes (a
readable type, a JSON Schema, an example value); each has one method per kind of `NODE_KINDS`,
checked when the class is defined, so a new kind of node can't be skipped silently.

Markdown and HTML are rendered from one small page model (headings, paragraphs, tables and
code blocks), so both say the same thing. Output is deterministic: the same model gives the
same text, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from typedmodel.docs._html import _html
from typedmodel.docs._jsonschema import _json_schema_doc
from typedmodel.docs._markdown import _markdown
from typedmodel.docs._openapi import _openapi_doc
from typedmodel.docs._subject import _Subject, _subject
from typedmodel.docs._util import _dump

__all__ = ["FORMATS", "render_docs"]

FORMATS = ("markdown", "html", "json-schema", "openapi")
"""The formats `render_docs` writes."""


def render_docs(obj: Any, /, *, format: str = "markdown", base_url: str | None = None) -> str:
    """Document a model's contract: its inputs, outputs, params and an example request.

    Args:
        obj: a typed class, instance or function; a `ModelSignature`; a `LoadedModel`; or the
            path of a model directory (only its ``MLmodel`` and example JSON files are read:
            nothing is unpickled, so this is safe on a directory you don't trust). A saved
            model is documented by the name, description and example answer saved with it.
        format: ``"markdown"``; ``"html"`` (one self-contained page: inline CSS, no scripts,
            fonts or other external assets); ``"json-schema"`` (JSON Schema 2020-12: the root
            validates a request body, ``$defs`` holds ``row``, one input row, ``request``, the
            four MLflow request forms, ``params`` and ``response``); ``"openapi"`` (OpenAPI 3.1
            for the server: ``POST /invocations`` and the ``GET`` endpoints).
        base_url: the URL of a running server the page documents (the server's ``/docs``
            passes its own): the Markdown and HTML example request posts there. Without it,
            it posts to ``http://127.0.0.1:5000`` and the page says how to start the server.

    Returns:
        The document as text (JSON formats as a JSON string, keys sorted), ending in a newline.

    Raises:
        ValueError: for an unknown `format`, naming the valid ones.
        SchemaError: when `obj` has no signature to document.
        ModelFileError: for a path that is not a readable model directory.

    Examples:
        >>> import typedmodel as tm
        >>> @tm.typed
        ... def lengths(model_input: list[str]) -> list[int]:
        ...     '''Count the characters of each string.'''
        ...     return [len(s) for s in model_input]
        >>> print(render_docs(lengths).splitlines()[0])
        # lengths
        >>> import json
        >>> schema = json.loads(render_docs(lengths, format="json-schema"))
        >>> schema["$defs"]["row"]["type"], schema["$ref"]
        ('string', '#/$defs/request')
    """
    renderer = _RENDERERS.get(format) if isinstance(format, str) else None
    if renderer is None:
        raise ValueError(f"unknown docs format {format!r}; use one of {', '.join(FORMATS)}")
    return renderer(_subject(obj, base_url))


_RENDERERS: dict[str, Callable[[_Subject], str]] = {
    "markdown": _markdown,
    "html": _html,
    "json-schema": lambda s: _dump(_json_schema_doc(s)) + "\n",
    "openapi": lambda s: _dump(_openapi_doc(s)) + "\n",
}
