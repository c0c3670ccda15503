"""Example request and response bodies."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from typedmodel.docs._examples import _EXAMPLE_SCALARS, _Example, _holder_example
from typedmodel.docs._subject import _Subject
from typedmodel.docs._text import _Cell, _Code, _Inline
from typedmodel.docs._util import _MAX_EXAMPLE_CHARS, _MAX_TENSOR_VALUES, _dump, _plain
from typedmodel.schema import (
    ColSpec,
    DataType,
    Schema,
    TensorSpec,
)
from typedmodel.signature import ModelSignature


@dataclass
class _Shown:
    body: Any  # None when there is nothing to show
    note: _Cell
    placeholders: list[_Cell] = field(default_factory=list)
    saved: bool = False  # the body is the example saved with the model

    @property
    def usable(self) -> Any:
        """The body, when it is a real one (no placeholders stand in for values)."""
        return None if self.placeholders else self.body


def _shown_example(subject: _Subject) -> _Shown:
    """The request body the docs show: the saved example, else one made from the schema."""
    saved = subject.saved_example
    generated = _Bodies(subject.signature)
    body = generated.request()
    file = _Code(subject.saved_example_name)
    if saved is not None:
        size = len(_dump(saved))
        if size <= _MAX_EXAMPLE_CHARS:
            return _Shown(saved, ("Saved with the model (", file, ")."), saved=True)
        note = (
            "The example saved with the model (",
            file,
            f") is too long to show ({size} characters); this one is generated from the schema.",
        )
        return _Shown(body, note, generated.placeholders)
    if body is None:
        return _Shown(None, ())
    return _Shown(body, ("Generated from the schema.",), generated.placeholders)


def _saved_answer(subject: _Subject, shown: _Shown) -> Any:
    """The model's recorded answer to the shown example (None when the example shown is not
    the saved one, nothing was recorded, or the answer is too long to show)."""
    answer = subject.saved_answer
    if not shown.saved or answer is None or len(_dump(answer)) > _MAX_EXAMPLE_CHARS:
        return None
    return answer


class _Bodies:
    """Example request and response bodies made from a signature."""

    def __init__(self, signature: ModelSignature | None) -> None:
        self.signature = signature
        self.ex = _Example()
        self.placeholders: list[_Cell] = []

    def request(self) -> dict[str, Any] | None:
        sig = self.signature
        if sig is None or sig.inputs is None:
            return None
        body: dict[str, Any] = {"inputs": self.batch(sig.inputs)}
        if sig.params is not None:
            body["params"] = {p.name: _plain(p.default) for p in sig.params.params}
        return body

    def response(self) -> dict[str, Any] | None:
        sig = self.signature
        if sig is None or sig.outputs is None:
            return None
        return {"predictions": self.batch(sig.outputs)}

    def batch(self, schema: Schema) -> Any:
        if schema.is_tensor_spec():
            tensors: list[TensorSpec] = list(schema.inputs)  # type: ignore[arg-type]
            if not schema.has_input_names():
                return self.tensor(tensors[0])
            return {str(t.name): self.tensor(t) for t in tensors}
        cols: list[ColSpec] = list(schema.inputs)  # type: ignore[arg-type]
        values = [_holder_example(self.ex, c.type, c.default, c.constraints) for c in cols]
        if cols[0].name is not None:
            return [{str(c.name): v for c, v in zip(cols, values, strict=True)}]
        return [values[0]] if len(cols) == 1 else [values]

    def tensor(self, spec: TensorSpec) -> Any:
        dims = [1 if d == -1 else d for d in spec.shape]
        count = math.prod(dims)
        if count > _MAX_TENSOR_VALUES:
            where: _Inline = _Code(spec.name) if spec.name is not None else "The tensor"
            self.placeholders.append(
                (
                    " ",
                    where,
                    f" is a placeholder: a {spec.type.name} array of shape {dims} "
                    f"({count} values) is too long to show.",
                )
            )
            return f"<{spec.type.name} array of shape {dims}>"
        value: Any = _TENSOR_VALUES.get(spec.type.kind, 0)
        for dim in reversed(dims):
            value = [value] * dim
        return value


_TENSOR_VALUES = {
    "b": True,
    "i": 1,
    "u": 1,
    "f": 1.0,
    "U": "string",
    "S": _EXAMPLE_SCALARS[DataType.binary],
    "M": _EXAMPLE_SCALARS[DataType.datetime],
}
