"""Compile hints or a schema tree once into validators; run them on batches.

- `BatchValidator`: a ``list[X]`` hint, row by row on pydantic-core.
- `FrameValidator`: a ``Frame[Row]`` hint, column by column, vectorised.
- `SchemaEnforcer`: an explicit ColSpec or TensorSpec schema (columns vectorised as for
  ``Frame[Row]``; tensors by dtype and shape).
- `OutputValidator`: predict's return hint; `ParamsValidator`: params.

Every validator keeps the rule table of `typedmodel.schema.rules` (a value is accepted only when
the declared type holds it exactly), collects all issues of the batch and raises one
`ValidationError`. The columnar validators load pandas when first built.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typedmodel.validate.calls import OutputValidator, ParamsValidator, output_validator
    from typedmodel.validate.explicit import SchemaEnforcer
    from typedmodel.validate.frame import FrameValidator
    from typedmodel.validate.rows import BatchValidator
    from typedmodel.validate.tree_hints import tree_to_hint

_WHERE = {
    "BatchValidator": "rows",
    "FrameValidator": "frame",
    "OutputValidator": "calls",
    "ParamsValidator": "calls",
    "SchemaEnforcer": "explicit",
    "output_validator": "calls",
    "tree_to_hint": "tree_hints",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'typedmodel.validate' has no attribute {name!r}")
    value = getattr(import_module(f"typedmodel.validate.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "BatchValidator",
    "FrameValidator",
    "OutputValidator",
    "ParamsValidator",
    "SchemaEnforcer",
    "output_validator",
    "tree_to_hint",
]
