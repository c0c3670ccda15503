"""`Schema`: a model's inputs or outputs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from typedmodel.errors import SchemaError
from typedmodel.schema.columns import ColSpec, Spec, TensorSpec
from typedmodel.schema.form import (
    _holder_kwargs,
    _loads,
    _spec_from_dict,
    _spec_to_dict,
    _type_with_ext,
)
from typedmodel.schema.nodes import _repeated


@dataclass(frozen=True, slots=True, init=False)
class Schema:
    """The inputs or outputs of a model: all `ColSpec` or all `TensorSpec`.

    Examples:
        >>> s = Schema([ColSpec("double", "x"), ColSpec("string", "y", required=False)])
        >>> s.input_names(), s.required_input_names()
        (['x', 'y'], ['x'])
    """

    inputs: tuple[Spec, ...]

    def __init__(self, inputs: Iterable[Spec]) -> None:
        specs = tuple(inputs)
        if not specs:
            raise SchemaError("a Schema needs at least one ColSpec or TensorSpec")
        for spec in specs:
            if not isinstance(spec, (ColSpec, TensorSpec)):
                raise SchemaError(f"a Schema holds ColSpec or TensorSpec values, got {spec!r}")
        kinds = {type(s) for s in specs}
        if len(kinds) > 1:
            raise SchemaError(
                "a Schema can't mix ColSpec and TensorSpec: describe the inputs as columns or "
                "as tensors, not both"
            )
        named = [s.name is not None for s in specs]
        if any(named) and not all(named):
            raise SchemaError(
                "a Schema's inputs must all be named or all unnamed; got names "
                f"{[s.name for s in specs]}: give every input a name"
            )
        if kinds == {TensorSpec} and len(specs) > 1 and not all(named):
            raise SchemaError("several TensorSpecs need names: give each tensor a name")
        if not any(named) and any(not s.required for s in specs):
            raise SchemaError(
                "an unnamed column can't be optional: name the columns or make them required"
            )
        dupes = _repeated(s.name for s in specs if s.name is not None)
        if dupes:
            raise SchemaError(f"a Schema's input names must be unique; repeated: {dupes}")
        object.__setattr__(self, "inputs", specs)

    def __repr__(self) -> str:
        return f"Schema([{', '.join(map(repr, self.inputs))}])"

    def __len__(self) -> int:
        return len(self.inputs)

    def __iter__(self) -> Any:
        return iter(self.inputs)

    def is_tensor_spec(self) -> bool:
        """True when the schema is made of tensors."""
        return isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        """True when the inputs are named."""
        return self.inputs[0].name is not None

    def input_names(self) -> list[str | int]:
        """The names of the inputs, or their positions when unnamed."""
        return [s.name if s.name is not None else i for i, s in enumerate(self.inputs)]

    def required_input_names(self) -> list[str | int]:
        """The names (or positions) of the required inputs."""
        return [n for n, s in zip(self.input_names(), self.inputs, strict=True) if s.required]

    def optional_input_names(self) -> list[str | int]:
        """The names of the inputs that may be left out."""
        return [n for n, s in zip(self.input_names(), self.inputs, strict=True) if not s.required]

    def input_types(self) -> list[Any]:
        """The type of each input: a DType for columns, a numpy dtype for tensors."""
        return [s.type for s in self.inputs]

    def to_dict(self) -> list[dict[str, Any]]:
        """The MLflow form: a list with one dict per input.

        Extensions that MLflow can't read on a top-level scalar column (its description,
        constraints or allowed values) are not in this list; `ModelSignature.to_dict()` keeps
        them beside it.
        """
        return [_spec_to_dict(s)[0] for s in self.inputs]

    def to_json(self) -> str:
        """`to_dict()` as a JSON string, formatted as MLflow formats it."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Sequence[Mapping[str, Any]]) -> Schema:
        """Read the MLflow form (as written by MLflow or by `to_dict`)."""
        if isinstance(data, (str, bytes)) or not isinstance(data, Sequence):
            raise SchemaError(
                f"a schema's MLflow form is a list of dicts, got {type(data).__name__}"
            )
        return cls([_spec_from_dict(d) for d in data])

    @classmethod
    def from_json(cls, text: str) -> Schema:
        """Read the MLflow form from a JSON string."""
        return cls.from_dict(_loads(text))

    def _extensions(self) -> dict[str, dict[str, Any]]:
        """Column extensions that `to_dict` could not write inline, by input name or position."""
        out = {}
        for key, spec in zip(self.input_names(), self.inputs, strict=True):
            ext = _spec_to_dict(spec)[1]
            if ext:
                out[str(key)] = ext
        return out

    def _with_extensions(self, ext: Mapping[str, Mapping[str, Any]]) -> Schema:
        if not ext:
            return self
        specs = []
        for key, spec in zip(self.input_names(), self.inputs, strict=True):
            extra = ext.get(str(key))
            if extra and isinstance(spec, ColSpec):
                spec = ColSpec(
                    _type_with_ext(spec.type, extra),
                    spec.name,
                    spec.required,
                    **_holder_kwargs(extra, spec.type),
                )
            specs.append(spec)
        return Schema(specs)
