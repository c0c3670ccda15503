"""typedmodel: a typed contract for a model's ``predict``.

Schemas and signatures in the form MLflow writes, inferred from data, built by hand or read from
``predict``'s type hints; batches coerced and validated before the model runs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typedmodel.compatibility import diff
    from typedmodel.docs import render_docs
    from typedmodel.errors import (
        Issue,
        ModelFileError,
        SchemaError,
        TypedModelError,
        TypedModelWarning,
        ValidationError,
    )
    from typedmodel.hints import Frame
    from typedmodel.infer import infer_schema, infer_signature
    from typedmodel.model import PythonModel, signature_of, typed
    from typedmodel.schema import (
        MISSING,
        AnyType,
        Array,
        ColSpec,
        Constraints,
        DataType,
        LiteralType,
        Map,
        Object,
        ParamSchema,
        ParamSpec,
        Property,
        Schema,
        TensorSpec,
        UnionType,
    )
    from typedmodel.signature import ModelSignature
    from typedmodel.store import LoadedModel, ModelInfo, load_model, save_model

__version__ = "0.1.0"

# Public names load on first use (as pydantic's do), so `import typedmodel` stays cheap and
# pandas, numpy and the server are imported only by what needs them.
_WHERE = {
    "diff": "compatibility",
    "render_docs": "docs",
    "Issue": "errors",
    "ModelFileError": "errors",
    "SchemaError": "errors",
    "TypedModelError": "errors",
    "TypedModelWarning": "errors",
    "ValidationError": "errors",
    "Frame": "hints",
    "infer_schema": "infer",
    "infer_signature": "infer",
    "PythonModel": "model",
    "signature_of": "model",
    "typed": "model",
    "ModelSignature": "signature",
    "LoadedModel": "store",
    "ModelInfo": "store",
    "load_model": "store",
    "save_model": "store",
    **dict.fromkeys(
        [
            "MISSING",
            "AnyType",
            "Array",
            "ColSpec",
            "Constraints",
            "DataType",
            "LiteralType",
            "Map",
            "Object",
            "ParamSchema",
            "ParamSpec",
            "Property",
            "Schema",
            "TensorSpec",
            "UnionType",
        ],
        "schema",
    ),
}


_SUBMODULES = frozenset({"testing"})  # loaded on first use: `tm.testing` needs Hypothesis


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return import_module(f"typedmodel.{name}")
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'typedmodel' has no attribute {name!r}")
    value = getattr(import_module(f"typedmodel.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__all__ = [
    "MISSING",
    "AnyType",
    "Array",
    "ColSpec",
    "Constraints",
    "DataType",
    "Frame",
    "Issue",
    "LiteralType",
    "LoadedModel",
    "Map",
    "ModelFileError",
    "ModelInfo",
    "ModelSignature",
    "Object",
    "ParamSchema",
    "ParamSpec",
    "Property",
    "PythonModel",
    "Schema",
    "SchemaError",
    "TensorSpec",
    "TypedModelError",
    "TypedModelWarning",
    "UnionType",
    "ValidationError",
    "__version__",
    "diff",
    "infer_schema",
    "infer_signature",
    "load_model",
    "render_docs",
    "save_model",
    "signature_of",
    "typed",
]
