"""The model behind the server: its signature, its compiled predict and what documents it.

Every request goes through the model's call seam (`typedmodel.model.Compiled`): ``check``
validates the params and the batch, ``call`` predicts with what was validated and checks the
output. A typed model keeps its hints; a saved directory is typed with its saved signature.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from typedmodel.errors import TypedModelError
from typedmodel.model import Compiled, compiled_of, typed_model
from typedmodel.schema import DataType, Object
from typedmodel.signature import ModelSignature

__all__ = ["Endpoint", "endpoint_of"]


@dataclass(frozen=True)
class Endpoint:
    """What the server needs of one model."""

    signature: ModelSignature
    compiled: Compiled
    target: Any  # the instance a method predict is called on (None for a function)
    docs_target: Any  # what render_docs is given: the model directory or the typed object

    @property
    def records(self) -> bool:
        """DataFrame request forms arrive as row dicts (``list[X]`` models)."""
        return self.compiled.row_wise

    @property
    def accepts_csv(self) -> bool:
        inputs = self.signature.inputs
        return inputs is not None and not inputs.is_tensor_spec()

    @cached_property
    def text_columns(self) -> frozenset[str]:
        """The columns of a CSV body read as text: those the signature declares strings, so
        that ``02139`` stays ``"02139"`` (MLflow's server reads CSV with the schema's dtypes)."""
        inputs = self.signature.inputs
        if inputs is None or inputs.is_tensor_spec():
            return frozenset()
        columns = [(c.name, c.type) for c in inputs.inputs if c.name is not None]
        only = inputs.inputs[0]
        if len(inputs.inputs) == 1 and only.name is None and isinstance(only.type, Object):
            columns = [(p.name, p.dtype) for p in only.type.properties]  # a batch of rows
        return frozenset(str(name) for name, kind in columns if kind is DataType.string)

    def check(self, data: Any, params: Any) -> tuple[Any, Any]:
        """Validated (data, params), or one `ValidationError` with every issue."""
        return self.compiled.check(data, params)

    def predict(self, data: Any, params: Any, loop: asyncio.AbstractEventLoop | None) -> Any:
        """Predict on validated data; an async predict runs on the server's event `loop`."""
        output = self.compiled.call(self.target, None, data, params)
        if inspect.isawaitable(output):
            coroutine: Any = output
            if loop is None:
                output = asyncio.run(coroutine)
            else:
                output = asyncio.run_coroutine_threadsafe(coroutine, loop).result()
            return self.compiled.validate_output(output, data)
        return output


def endpoint_of(model_or_path: Any) -> Endpoint:
    """The endpoint of a model directory, a `LoadedModel`, or a typed class (instantiated
    without arguments), instance or function.

    Raises:
        TypedModelError: for a model without an input signature to validate requests with.
    """
    from typedmodel.store import LoadedModel, load_model

    if isinstance(model_or_path, (str, os.PathLike)):
        model_or_path = load_model(model_or_path)
    if isinstance(model_or_path, LoadedModel):
        loaded = model_or_path
        if loaded.signature is None or loaded.signature.inputs is None:
            raise TypedModelError(
                f"the model saved at {loaded.path} has no input signature: the server can't "
                "validate requests; save it with signature= or input_example="
            )
        typed = loaded.typed
        return Endpoint(loaded.signature, typed.compiled, typed.target, str(loaded.path))
    obj = model_or_path
    if isinstance(obj, type):
        from typedmodel.store import _load_context

        obj = obj()
        _load_context(obj)  # an instance made here is set up as a loaded model is
    if compiled_of(obj) is None:
        raise TypedModelError(
            f"{_name(obj)} is not a typed model: decorate it with @typedmodel.typed, subclass "
            "typedmodel.PythonModel, or save it with a signature and serve the directory"
        )
    typed = typed_model(obj)
    signature = typed.compiled.signature
    if signature is None or signature.inputs is None:
        raise TypedModelError(f"{_name(obj)} has no input signature: nothing to validate against")
    return Endpoint(signature, typed.compiled, typed.target, obj)


def _name(obj: Any) -> str:
    return str(getattr(obj, "__qualname__", type(obj).__qualname__))
