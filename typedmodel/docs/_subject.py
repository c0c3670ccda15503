"""What is documented: title, docstring, signature and an example request, from any
documentable object.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from pathlib import Path
from typing import Any

from typedmodel._mlmodel import (
    SERVING_EXAMPLE,
    SERVING_OUTPUT,
    inside,
    read_json_file,
    read_mlmodel,
    read_serving_output,
    signature_in,
)
from typedmodel.signature import ModelSignature

MAX_NAME_CHARS = 200
"""The longest model name saved and read back."""
MAX_DESCRIPTION_CHARS = 10_000
"""The longest description saved and read back (a longer one is cut, ending in "...")."""


@dataclasses.dataclass(frozen=True)
class _Subject:
    title: str
    doc: str | None
    signature: ModelSignature | None
    saved_example: Any = None  # the saved serving_input_example.json, when there is one
    saved_example_name: str = SERVING_EXAMPLE
    saved_answer: Any = None  # the model's answer to it, recorded when it was saved
    saved_answer_name: str = SERVING_OUTPUT
    doc_is_markdown: bool = True  # False: text read from a directory, never raw Markdown
    base_url: str | None = None  # the running server the page documents (None: none yet)


def _subject(obj: Any, base_url: str | None = None) -> _Subject:
    if isinstance(obj, (str, os.PathLike)):
        directory = Path(obj)
        meta = read_mlmodel(directory)
        title, doc = _saved_identity(meta)
        return _with_saved(
            _Subject(
                title or directory.resolve().name,
                doc,
                signature_in(meta, directory),
                doc_is_markdown=False,
                base_url=base_url,
            ),
            directory,
            meta,
        )
    if isinstance(obj, ModelSignature):
        return _Subject("Model", None, obj, base_url=base_url)
    from typedmodel.store import LoadedModel

    if isinstance(obj, LoadedModel):
        subject = _Subject(
            _title_of(obj.model), _doc_of(obj.model), obj.signature, base_url=base_url
        )
        return _with_saved(subject, obj.path, read_mlmodel(obj.path))
    from typedmodel.model import signature_of

    return _Subject(_title_of(obj), _doc_of(obj), signature_of(obj), base_url=base_url)


def _identity_of(model: Any) -> dict[str, str]:
    """The name and description saved in ``MLmodel``: the class (or function) name, and its
    docstring, cleaned and cut to `MAX_DESCRIPTION_CHARS`."""
    out = {"name": _cut(_title_of(model), MAX_NAME_CHARS)}
    doc = _doc_of(model)
    if doc:
        out["description"] = _cut(doc, MAX_DESCRIPTION_CHARS)
    return out


def _saved_identity(meta: dict[str, Any]) -> tuple[str | None, str | None]:
    """The name and description a directory's ``MLmodel`` holds (untrusted: strings only, cut
    to the limits; None for what is missing)."""
    flavors = meta.get("flavors")
    flavor = flavors.get("typedmodel") if isinstance(flavors, dict) else None
    if not isinstance(flavor, dict):
        return None, None
    name, doc = flavor.get("name"), flavor.get("description")
    name = " ".join(name.split()) if isinstance(name, str) else ""
    doc = doc.strip() if isinstance(doc, str) else ""
    return _cut(name, MAX_NAME_CHARS) or None, _cut(doc, MAX_DESCRIPTION_CHARS) or None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _with_saved(subject: _Subject, directory: Path, meta: dict[str, Any]) -> _Subject:
    """`subject` with the example request and answer saved in `directory`."""
    example_name, example = _saved_example(directory, meta)
    answer_name, answer = read_serving_output(directory, meta)
    return dataclasses.replace(
        subject,
        saved_example=example,
        saved_example_name=example_name,
        saved_answer=answer,
        saved_answer_name=answer_name,
    )


def _saved_example(directory: Path, meta: dict[str, Any]) -> tuple[str, Any]:
    info = meta.get("saved_input_example_info")
    name = SERVING_EXAMPLE
    if isinstance(info, dict) and "serving_input_path" in info:
        name = info["serving_input_path"]
    file = inside(directory, name)  # never a file outside the directory
    if not file.is_file():
        return str(name), None
    return str(name), read_json_file(file)


def _target(obj: Any) -> Any:
    """The class or function that names and documents `obj` (an instance's class)."""
    if isinstance(obj, type) or inspect.isfunction(obj) or inspect.ismethod(obj):
        return obj
    return type(obj)


def _title_of(obj: Any) -> str:
    return str(getattr(_target(obj), "__name__", "Model"))


def _doc_of(obj: Any) -> str | None:
    target = _target(obj)
    if isinstance(target, type):
        # The class's own docstring (not one inherited from PythonModel), else predict's.
        doc = target.__dict__.get("__doc__") or getattr(
            target.__dict__.get("predict"), "__doc__", None
        )
    else:
        doc = getattr(target, "__doc__", None)
    if not isinstance(doc, str) or not doc.strip():
        return None
    return inspect.cleandoc(doc)
