"""Compile hints or a schema tree once into validators; run them on batches.

- `BatchValidator`: a ``list[X]`` hint, on pydantic-core (one `TypeAdapter`, built once). Lists
  go straight in; DataFrames, Series, arrays and dicts of columns are adapted first, column-wise.
- `OutputValidator`: predict's return hint.
- `ParamsValidator`: an explicit `ParamSchema` and/or a pydantic params model.
- `SchemaEnforcer`: an explicit ColSpec or TensorSpec schema, enforced vectorised on
  DataFrames and arrays (safe casts only).
- `parse_request`: MLflow's request bodies.

Every validator collects all issues of the batch and raises one `ValidationError`.
"""

from typedmodel.errors import TypedModelWarning
from typedmodel.validate.batch import BatchValidator
from typedmodel.validate.calls import OutputValidator, ParamsValidator, output_validator
from typedmodel.validate.explicit import SchemaEnforcer, tree_to_hint
from typedmodel.validate.frame import FrameValidator
from typedmodel.validate.request import REQUEST_KEYS, parse_request

__all__ = [
    "REQUEST_KEYS",
    "BatchValidator",
    "FrameValidator",
    "OutputValidator",
    "ParamsValidator",
    "SchemaEnforcer",
    "TypedModelWarning",
    "output_validator",
    "parse_request",
    "tree_to_hint",
]
