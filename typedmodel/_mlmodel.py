"""The ``MLmodel`` file of a model directory: its layout and reading it (I/O only).

Reading never unpickles anything, so it is what `signature_of(path)` and `render_docs(path)`
use on a directory that may not be trusted; `typedmodel.store` writes and loads directories on
top of it. What such a directory can do is bounded:

- every file named in ``MLmodel`` is read only from inside the directory (after symlinks are
  resolved), never from a path that leaves it;
- ``MLmodel`` is at most `MAX_MLMODEL_BYTES`, and YAML anchors and aliases (which MLflow never
  writes, and which can make a few hundred bytes expand to gigabytes) are refused, as is nesting
  deeper than `MAX_DEPTH`; an example file is at most `MAX_EXAMPLE_BYTES`;
- anything malformed is a `ModelFileError` with a short message.
"""

from __future__ import annotations

import functools
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
    "SERVING_OUTPUT",
    "read_mlmodel",
    "read_serving_output",
    "read_signature",
    "signature_in",
]

MAX_MLMODEL_BYTES = 2**20
"""The largest ``MLmodel`` read (MLflow writes a few KB)."""
MAX_EXAMPLE_BYTES = 64 * 2**20
"""The largest example file read."""
MAX_DEPTH = 200
"""The deepest nesting read from ``MLmodel`` or an example file."""

MLMODEL = "MLmodel"
MODEL_FILE = "model.pkl"
INPUT_EXAMPLE = "input_example.json"
SERVING_EXAMPLE = "serving_input_example.json"
SERVING_OUTPUT = "serving_output_example.json"
REQUIREMENTS = "requirements.txt"


def read_mlmodel(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed ``MLmodel`` of a model directory (nothing is unpickled)."""
    import yaml

    directory = Path(path)
    if not (directory / MLMODEL).is_file():
        raise ModelFileError(f"{directory} is not a model directory: it has no {MLMODEL} file")
    file = inside(directory, MLMODEL)
    text = _read_text(file, MAX_MLMODEL_BYTES)
    try:
        meta = yaml.load(text, Loader=_loader())  # a SafeLoader, see _loader
    except _Refused as exc:
        raise ModelFileError(f"{file} is refused: {exc}") from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise ModelFileError(f"{file} is not valid YAML: {str(exc)[:300]}") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{file} is corrupt: expected a mapping at the top level")
    return meta


def inside(directory: Path, name: Any) -> Path:
    """The file `name` (read from ``MLmodel``) in `directory`, refused unless it resolves inside
    it: no absolute path, no ``..`` and no symlink leads out.

    Raises:
        ModelFileError: for a name that is not a relative path inside the directory.
    """
    if not isinstance(name, str) or not name:
        raise ModelFileError(f"{directory / MLMODEL} names a file by {type(name).__name__}")
    root = directory.resolve()
    target = (root / name).resolve()
    if Path(name).is_absolute() or not target.is_relative_to(root):
        raise ModelFileError(
            f"{directory / MLMODEL} names a file outside the model directory; refused"
        )
    return target


def read_json_file(file: Path) -> Any:
    """The JSON of an example file inside a model directory, bounded in size and depth.

    Raises:
        ModelFileError: for a file too large, too deep, or not UTF-8 JSON.
    """
    import json

    text = _read_text(file, MAX_EXAMPLE_BYTES)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ModelFileError(f"{file} is not valid JSON: {str(exc)[:200]}") from None
    if _depth(value) > MAX_DEPTH:
        raise ModelFileError(f"{file} is nested more than {MAX_DEPTH} deep; refused")
    return value


def read_serving_output(directory: Path, meta: Mapping[str, Any]) -> tuple[str, Any]:
    """The file name and the JSON of the model's answer to its serving example, recorded when
    it was saved (None when none was recorded).

    Raises:
        ModelFileError: for a name that leaves the directory, or a file as `read_json_file`
            refuses it.
    """
    info = meta.get("saved_input_example_info")
    if not isinstance(info, Mapping) or "serving_output_path" not in info:
        return SERVING_OUTPUT, None
    name = info["serving_output_path"]
    file = inside(directory, name)  # never a file outside the directory
    if not file.is_file():
        return str(name), None
    return str(name), read_json_file(file)


def _read_text(file: Path, limit: int) -> str:
    try:
        with open(file, "rb") as fh:
            data = fh.read(limit + 1)  # never more than the limit, whatever stat says
    except OSError as exc:
        raise ModelFileError(f"{file} can't be read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise ModelFileError(f"{file} is over the limit of {limit} bytes; refused")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{file} is not UTF-8 (at byte {exc.start})") from None


def _depth(value: Any) -> int:
    """How deeply lists and dicts nest in `value` (without recursion)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                children = item.values() if isinstance(item, dict) else item
                stack.extend((child, level + 1) for child in children)
    return deepest


class _Refused(Exception):
    pass


@functools.cache
def _loader() -> type:
    """The YAML loader, built on first use (PyYAML is imported only when a file is read)."""
    import yaml

    class Loader(yaml.SafeLoader):
        """PyYAML's SafeLoader without anchors and aliases, and with a depth bound."""

        _level = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise _Refused("it uses YAML anchors or aliases, which MLflow never writes")
            self._level += 1
            try:
                if self._level > MAX_DEPTH:
                    raise _Refused(f"it is nested more than {MAX_DEPTH} deep")
                return super().compose_node(parent, index)
            finally:
                self._level -= 1

    return Loader


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
    except (SchemaError, TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
        detail = str(exc)[:300]
        raise ModelFileError(f"{directory / MLMODEL} has a bad signature: {detail}") from None
