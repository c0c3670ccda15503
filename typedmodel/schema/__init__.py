"""The schema tree: the one data structure every part of typedmodel reads.

A `Schema` is a list of columns (`ColSpec`) or of tensors (`TensorSpec`). A column's type is a
`DataType` or a nested node: `Array`, `Object` (made of `Property`), `Map`, `AnyType`, and two
nodes MLflow lacks, `UnionType` and `LiteralType`. Columns and properties also carry a
description, a default and `Constraints`, for validation and for docs.

Every node is a frozen, slotted dataclass with value equality and a `repr` that reads like the
constructor call. `to_dict()` writes the JSON form MLflow writes in its ``MLmodel`` file;
`from_dict()` reads it back. What MLflow has no word for travels under an ``"x-typedmodel"`` key,
which MLflow's readers ignore, and the node's MLflow ``"type"`` is the nearest MLflow type
(``any`` for a union, ``string``/``long``/... for a literal), so an MLflow-only reader degrades
instead of failing.

The package imports nothing else of typedmodel but its errors, and never pandas; numpy only
when a tensor or a numpy mapping is asked for. `nodes` holds the type nodes, `columns` ColSpec and
TensorSpec, `inputs` Schema, `params` ParamSpec and ParamSchema, `form` the MLflow JSON form.
"""

from __future__ import annotations

from typedmodel.schema.columns import ColSpec, Spec, TensorSpec
from typedmodel.schema.inputs import Schema
from typedmodel.schema.nodes import (
    EXT,
    MISSING,
    NODE_KINDS,
    AnyType,
    Array,
    Constraints,
    DataType,
    DType,
    LiteralType,
    Map,
    Object,
    Property,
    UnionType,
)
from typedmodel.schema.params import ParamSchema, ParamSpec

__all__ = [
    "EXT",
    "MISSING",
    "NODE_KINDS",
    "AnyType",
    "Array",
    "ColSpec",
    "Constraints",
    "DType",
    "DataType",
    "LiteralType",
    "Map",
    "Object",
    "ParamSchema",
    "ParamSpec",
    "Property",
    "Schema",
    "Spec",
    "TensorSpec",
    "UnionType",
]
