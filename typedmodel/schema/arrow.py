"""The Arrow types of a signature: how its columns travel to and from the engines that exchange
data as Arrow (Spark's ``mapInArrow``, Ray Data, Dask's pandas partitions).

Each `DataType`'s Arrow type comes from the rule table (`TypeRule.arrow`); the nodes around it
map one to one: `Array` -> ``list``, `Object` -> ``struct`` (a field that may be left out or be
None is nullable), `Map` -> ``map<string, ...>``, a `LiteralType` -> its base type. `AnyType` and
a union of types with different Arrow types have no Arrow type: a `SchemaError` says so.
Engines derive their own types from these (Spark's from Arrow's, with pyspark's converter), so
the signature is read in one place.

Needs pyarrow (the ``spark``, ``ray`` and ``dask`` extras bring it).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from typedmodel.errors import SchemaError
from typedmodel.schema.columns import ColSpec, TensorSpec
from typedmodel.schema.inputs import Schema
from typedmodel.schema.nodes import (
    AnyType,
    Array,
    DataType,
    DType,
    LiteralType,
    Map,
    Object,
    UnionType,
)
from typedmodel.schema.rules import rule
from typedmodel.schema.visitor import NodeVisitor

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["UNNAMED", "arrow_schema", "arrow_type", "column_names"]

UNNAMED = "prediction"
"""The column name of an unnamed output (``list[float]``, say), as MLflow's ``spark_udf`` and
pandas' ``Series.to_frame`` leave one unnamed."""

_TIMESTAMP = re.compile(r"timestamp\[(\w+)(?:, tz=(.+))?\]")


def _pa() -> Any:
    try:
        import pyarrow
    except ImportError as exc:
        raise ImportError(
            f"Arrow types need pyarrow ({exc}): pip install pyarrow, or an engine's extra "
            '(pip install "typedmodel[spark]")'
        ) from None
    return pyarrow


def _datatype(dtype: DataType) -> pa.DataType:
    pa = _pa()
    alias = rule(dtype).arrow
    stamp = _TIMESTAMP.fullmatch(alias)
    if stamp:
        return pa.timestamp(stamp.group(1), tz=stamp.group(2))
    return pa.type_for_alias(alias)


class _ArrowType(NodeVisitor[str, Any]):
    def visit_data_type(self, node: DataType, where: str) -> Any:
        return _datatype(node)

    def visit_array(self, node: Array, where: str) -> Any:
        return _pa().list_(self.visit(node.dtype, f"{where}[]"))

    def visit_map(self, node: Map, where: str) -> Any:
        pa = _pa()
        return pa.map_(pa.string(), self.visit(node.value_type, f"{where}{{}}"))

    def visit_object(self, node: Object, where: str) -> Any:
        pa = _pa()
        return pa.struct(
            [
                pa.field(
                    p.name,
                    self.visit(p.dtype, f"{where}.{p.name}"),
                    nullable=not p.required or p.nullable,
                )
                for p in node.properties
            ]
        )

    def visit_literal_type(self, node: LiteralType, where: str) -> Any:
        return self.visit(node.base, where)

    def visit_union_type(self, node: UnionType, where: str) -> Any:
        found = {str(t): t for t in (self.visit(m, where) for m in node.types)}
        if len(found) == 1:
            return next(iter(found.values()))
        raise SchemaError(
            f"{where}: a union of {sorted(found)} has no Arrow type; declare one type"
        )

    def visit_any_type(self, node: AnyType, where: str) -> Any:
        raise SchemaError(f"{where}: Any has no Arrow type; declare the type")


_ARROW = _ArrowType()


def arrow_type(node: DType, where: str = "value") -> pa.DataType:
    """The Arrow type of one node.

    Examples:
        >>> from typedmodel.schema import Array
        >>> str(arrow_type(Array("long")))
        'list<item: int64>'
    """
    return _ARROW.visit(node, where)


def _row_object(schema: Schema) -> Object | None:
    """The object of a schema of one unnamed object column (``list[Row]``), else None."""
    if len(schema.inputs) != 1 or schema.has_input_names():
        return None
    spec = schema.inputs[0]
    return spec.type if isinstance(spec, ColSpec) and isinstance(spec.type, Object) else None


def column_names(schema: Schema) -> list[str]:
    """The names of a schema's columns as engines see them: an object row's fields (see
    `arrow_schema`), `UNNAMED` for one unnamed column (a tensor without a name too)."""
    row = _row_object(schema)
    if row is not None:
        return [p.name for p in row.properties]
    names = [str(n) for n in schema.input_names()] if schema.has_input_names() else []
    if names:
        return names
    if len(schema.inputs) == 1:
        return [UNNAMED]
    return [f"{UNNAMED}_{i}" for i in range(len(schema.inputs))]


def arrow_schema(schema: Schema) -> pa.Schema:
    """The Arrow schema of a signature's inputs or outputs, as a table: one field per column (a
    tensor is a column of its per-row shape, nested lists). One unnamed object column (what
    ``list[Row]`` is in MLflow's form) is a table of the object's fields.

    Examples:
        >>> from typedmodel.schema import ColSpec, Schema
        >>> arrow_schema(Schema([ColSpec("long", "n"), ColSpec("string", "s", False)]))
        n: int64 not null
        s: string
    """
    pa = _pa()
    row = _row_object(schema)
    if row is not None:
        return pa.schema(list(arrow_type(row, "row")))
    fields = []
    for name, spec in zip(column_names(schema), schema.inputs, strict=True):
        if isinstance(spec, ColSpec):
            kind = arrow_type(spec.type, name)
            fields.append(pa.field(name, kind, nullable=not spec.required or spec.nullable))
        else:
            fields.append(pa.field(name, _tensor_type(spec, name), nullable=False))
    return pa.schema(fields)


def _tensor_type(spec: TensorSpec, where: str) -> Any:
    pa = _pa()
    if spec.type.kind == "O":
        raise SchemaError(f"{where}: an object tensor has no Arrow type")
    kind = pa.from_numpy_dtype(spec.type)
    for _ in spec.shape[1:]:  # the first dimension is the batch
        kind = pa.list_(kind)
    return kind
