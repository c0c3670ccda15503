"""`ModelSignature`: a model's inputs, outputs and params, in MLflow's ``MLmodel`` form."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from typedmodel.errors import SchemaError
from typedmodel.schema import EXT, ParamSchema, Schema

__all__ = ["ModelSignature"]

_PARTS = ("inputs", "outputs")


@dataclass(frozen=True, slots=True)
class ModelSignature:
    """What a model takes and gives: input and output `Schema`, and a `ParamSchema`.

    At least one of the three is set. `to_dict()` is exactly what MLflow writes under
    ``signature:`` in an ``MLmodel`` file (each part a JSON string, or None), and
    `from_dict()` reads what MLflow writes.

    Examples:
        >>> from typedmodel import ColSpec, Schema
        >>> sig = ModelSignature(inputs=Schema([ColSpec("double", "x")]))
        >>> sig.to_dict()["inputs"]
        '[{"type": "double", "name": "x", "required": true}]'
        >>> ModelSignature.from_dict(sig.to_dict()) == sig
        True
    """

    inputs: Schema | None = None
    outputs: Schema | None = None
    params: ParamSchema | None = None

    def __post_init__(self) -> None:
        for name in _PARTS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, Schema):
                raise SchemaError(f"ModelSignature {name} must be a Schema or None, got {value!r}")
        if self.params is not None and not isinstance(self.params, ParamSchema):
            raise SchemaError(f"ModelSignature params must be a ParamSchema, got {self.params!r}")
        if self.inputs is None and self.outputs is None and self.params is None:
            raise SchemaError("a ModelSignature needs inputs, outputs or params (at least one)")

    def to_dict(self) -> dict[str, str | None]:
        """The MLflow ``MLmodel`` form: ``{"inputs", "outputs", "params"}``, JSON strings or None.

        When a top-level scalar column carries typedmodel extensions (description, constraints,
        allowed values) that MLflow's column reader would reject inline, or the params take any
        name (`ParamSchema.values`), they are kept in one more key, ``"x-typedmodel"``, which
        MLflow ignores.
        """
        out: dict[str, str | None] = {
            "inputs": self.inputs.to_json() if self.inputs is not None else None,
            "outputs": self.outputs.to_json() if self.outputs is not None else None,
            "params": self.params.to_json() if self.params is not None else None,
        }
        ext: dict[str, Any] = {
            name: schema._extensions()
            for name in _PARTS
            if (schema := getattr(self, name)) is not None and schema._extensions()
        }
        if self.params is not None and self.params._extensions():
            ext["params"] = self.params._extensions()
        if ext:
            out[EXT] = json.dumps(ext, sort_keys=True)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSignature:
        """Read the ``MLmodel`` form written by MLflow or by `to_dict`."""
        if not isinstance(data, Mapping):
            raise SchemaError(f"a signature dict is expected, got {type(data).__name__}")
        unknown = sorted(set(data) - {"inputs", "outputs", "params", EXT})
        if unknown:
            raise SchemaError(
                f"unknown signature keys {unknown}: expected 'inputs', 'outputs' and 'params'"
            )
        ext = _json_part(data.get(EXT)) or {}
        if not isinstance(ext, Mapping):
            raise SchemaError(f"the signature's {EXT!r} entry must be a dict")
        parts: dict[str, Any] = {}
        for name in _PARTS:
            raw = _json_part(data.get(name))
            if raw:
                parts[name] = Schema.from_dict(raw)._with_extensions(ext.get(name, {}))
        raw_params = _json_part(data.get("params"))
        if raw_params or "params" in ext:
            params = ParamSchema.from_dict(raw_params or [])
            parts["params"] = params._with_extensions(ext.get("params", {}))
        return cls(**parts)

    def to_json(self) -> str:
        """`to_dict()` as one JSON string."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> ModelSignature:
        """Read `to_json()` output."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"not a JSON signature: {exc}") from None
        return cls.from_dict(data)


def _json_part(value: Any) -> Any:
    """A part may be a JSON string (the MLmodel form) or already parsed."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise SchemaError(f"a signature part is not valid JSON: {exc}") from None
    return value
