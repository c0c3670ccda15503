"""The ``MLmodel`` file of a model directory: its layout and reading it (I/O only).

Reading never unpickles anything, so it is what `signature_of(path)` and `render_docs(path)`
use on a directory that may not be trusted; `typedmodel.store` writes and loads directories on
top of it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from typedmodel.errors import ModelFileError, SchemaError
from typedmodel.signature import ModelSignature

__all__ = [
    "INPUT_EXAMPLE",
    "MLMODEL",
    "MODEL_FILE",
    "REQUIREMENTS",
    "SERVING_EXAMPLE",
    "read_mlmodel",
    "read_signature",
    "signature_in",
]

MLMODEL = "MLmodel"
MODEL_FILE = "model.pkl"
INPUT_EXAMPLE = "input_example.json"
SERVING_EXAMPLE = "serving_input_example.json"
REQUIREMENTS = "requirements.txt"


def read_mlmodel(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed ``MLmodel`` of a model directory (nothing is unpickled)."""
    import yaml

    directory = Path(path)
    file = directory / MLMODEL
    if not file.is_file():
        raise ModelFileError(f"{directory} is not a model directory: it has no {MLMODEL} file")
    try:
        meta = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{file} is not valid YAML: {str(exc)[:300]}") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{file} is corrupt: expected a mapping at the top level")
    return meta


def read_signature(path: str | os.PathLike[str]) -> ModelSignature | None:
    """The signature saved in a model directory, read from ``MLmodel`` alone (safe to call on
    a directory you don't trust: nothing is unpickled)."""
    return signature_in(read_mlmodel(path), Path(path))


def signature_in(meta: Mapping[str, Any], directory: Path) -> ModelSignature | None:
    """The signature of a parsed ``MLmodel`` (None when it has none)."""
    raw = meta.get("signature")
    if raw is None:
        return None
    try:
        return ModelSignature.from_dict(raw)
    except SchemaError as exc:
        raise ModelFileError(f"{directory / MLMODEL} has a bad signature: {exc}") from None
