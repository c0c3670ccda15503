"""typedmodel: a typed contract for a model's ``predict``.

Schemas and signatures in the form MLflow writes, inferred from data, built by hand or read from
``predict``'s type hints; batches coerced and validated before the model runs.
"""

from typedmodel.errors import (
    Issue,
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
from typedmodel.store import LoadedModel, ModelFileError, ModelInfo, load_model, save_model

__version__ = "0.1.0"

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
    "infer_schema",
    "infer_signature",
    "load_model",
    "save_model",
    "signature_of",
    "typed",
]
