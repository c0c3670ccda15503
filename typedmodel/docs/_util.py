"""Helpers shared by the renderers: constants, and JSON as JSON holds it and as people read it."""

from __future__ import annotations

import json
import shlex
from typing import Any

from typedmodel._json import jsonable

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SERVER_URL = "http://127.0.0.1:5000"
"""Where ``typedmodel serve`` listens by default: the URL of docs rendered offline."""

_MAX_TENSOR_VALUES = 100  # a generated tensor larger than this is shown as a placeholder
_MAX_EXAMPLE_CHARS = 6000  # a saved example longer than this is not shown inline


def _curl(base_url: str) -> str:
    """The command that posts ``request.json`` to the server at `base_url`."""
    url = shlex.quote(base_url.rstrip("/") + "/invocations")
    return f"curl -X POST {url} -H 'Content-Type: application/json' -d @request.json"


def _plain(value: Any) -> Any:
    """A value as JSON holds it (the one encoder, `typedmodel._json`); what it can't write is
    shown by its repr."""
    try:
        return jsonable(value, fallback=repr)
    except TypeError:  # nested too deeply to write
        return repr(value)


def _json(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True)


def _dump(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, indent=2, sort_keys=True)


def _pretty(value: Any, indent: int = 0, prefix: int = 0) -> str:
    """JSON for people: indented, but a list or object that fits on its line stays on it."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (list, dict)) or not value or indent + prefix + len(flat) <= 80:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, list):
        lines = [pad + _pretty(v, indent + 2) for v in value]
        return "[\n" + ",\n".join(lines) + "\n" + " " * indent + "]"
    lines = []
    for key, v in value.items():
        name = json.dumps(key, ensure_ascii=False) + ": "
        lines.append(pad + name + _pretty(v, indent + 2, len(name)))
    return "{\n" + ",\n".join(lines) + "\n" + " " * indent + "}"
