"""What is documented: title, docstring, signature and an example request, from any
documentable object.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typedmodel._mlmodel import (
    SERVING_EXAMPLE,
    inside,
    read_json_file,
    read_mlmodel,
    signature_in,
)
from typedmodel.signature import ModelSignature


@dataclass(frozen=True)
class _Subject:
    title: str
    doc: str | None
    signature: ModelSignature | None
    saved_example: Any = None  # the saved serving_input_example.json, when there is one
    saved_example_name: str = SERVING_EXAMPLE


def _subject(obj: Any) -> _Subject:
    if isinstance(obj, (str, os.PathLike)):
        directory = Path(obj)
        meta = read_mlmodel(directory)
        name, example = _saved_example(directory, meta)
        return _Subject(
            directory.resolve().name, None, signature_in(meta, directory), example, name
        )
    if isinstance(obj, ModelSignature):
        return _Subject("Model", None, obj)
    from typedmodel.store import LoadedModel

    if isinstance(obj, LoadedModel):
        name, example = _saved_example(obj.path, read_mlmodel(obj.path))
        title = _title_of(obj.model)
        return _Subject(title, _doc_of(obj.model), obj.signature, example, name)
    from typedmodel.model import signature_of

    return _Subject(_title_of(obj), _doc_of(obj), signature_of(obj))


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
