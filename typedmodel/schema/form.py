"""The MLflow form: schema nodes to the dicts MLflow writes in ``MLmodel``, and back.

What MLflow has no word for travels under ``"x-typedmodel"``, where MLflow's readers ignore it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from typedmodel.errors import SchemaError
from typedmodel.schema.columns import ColSpec, Spec, TensorSpec
from typedmodel.schema.nodes import (
    EXT,
    MISSING,
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
    _datatype,
    _jsonable_param,
    _to_datetime,
)
from typedmodel.schema.visitor import NodeVisitor


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"not a JSON schema: {exc}") from None


class _Form(NodeVisitor[None, dict[str, Any]]):
    """A type node in MLflow form; typedmodel's own nodes carry an ``x-typedmodel`` entry."""

    def visit_data_type(self, node: DataType, c: None) -> dict[str, Any]:
        return {"type": node.value}

    def visit_any_type(self, node: AnyType, c: None) -> dict[str, Any]:
        return {"type": "any"}

    def visit_array(self, node: Array, c: None) -> dict[str, Any]:
        return {
            "type": "array",
            "items": _slot(self.visit(node.dtype, None), node.item_constraints),
        }

    def visit_map(self, node: Map, c: None) -> dict[str, Any]:
        values = _slot(self.visit(node.value_type, None), node.value_constraints)
        return {"type": "map", "values": values}

    def visit_object(self, node: Object, c: None) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for prop in node.properties:
            props[prop.name] = _holder_to_dict(prop, prop.dtype, inline_scalars=True)[0]
        out: dict[str, Any] = {"type": "object", "properties": props}
        if not node.closed:
            out[EXT] = {"closed": False}
        return out

    def visit_union_type(self, node: UnionType, c: None) -> dict[str, Any]:
        return {"type": "any", EXT: {"union": [self.visit(t, None) for t in node.types]}}

    def visit_literal_type(self, node: LiteralType, c: None) -> dict[str, Any]:
        return {**self.visit(node.base, None), EXT: {"enum": list(node.values)}}


_FORM = _Form()


def _type_to_dict(dtype: DType) -> dict[str, Any]:
    """A type node in MLflow form."""
    return _FORM.visit(dtype, None)


def _slot(form: dict[str, Any], constraints: Constraints) -> dict[str, Any]:
    """An item's or a map value's form, with the constraints each one keeps to."""
    if not constraints:
        return form
    return {**form, EXT: {**form.get(EXT, {}), **constraints.to_dict()}}


def _holder_meta(obj: ColSpec | Property) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if obj.description is not None:
        meta["description"] = obj.description
    if obj.default is not MISSING:
        meta["default"] = _jsonable_param(obj.default)
    meta.update(obj.constraints.to_dict())
    if obj.nullable == obj.required:  # only when it differs from what `required` implies
        meta["nullable"] = obj.nullable
    return meta


def _holder_to_dict(
    obj: ColSpec | Property, dtype: DType, *, inline_scalars: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A column or property in MLflow form, and the extensions that could not go inline.

    MLflow reads a top-level scalar column with ``ColSpec(**d)``, which fails on unknown keys, so
    there (``inline_scalars=False``) the extensions are handed back to be kept beside the schema.
    """
    out = _type_to_dict(dtype)
    ext = {**out.pop(EXT, {}), **_holder_meta(obj)}
    if isinstance(obj, ColSpec) and obj.name is not None:
        out["name"] = obj.name
    out["required"] = obj.required
    if not ext:
        return out, {}
    if inline_scalars or out["type"] in ("array", "object", "map", "any"):
        out[EXT] = ext
        return out, {}
    return out, ext


def _spec_to_dict(spec: Spec) -> tuple[dict[str, Any], dict[str, Any]]:
    if isinstance(spec, TensorSpec):
        out: dict[str, Any] = {} if spec.name is None else {"name": spec.name}
        out["type"] = "tensor"
        out["tensor-spec"] = {"dtype": spec.type.name, "shape": list(spec.shape)}
        return out, {}
    return _holder_to_dict(spec, spec.type, inline_scalars=False)


def _need(data: Any, keys: Iterable[str], what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise SchemaError(f"{what} must be a dict, got {type(data).__name__}")
    missing = [k for k in keys if k not in data]
    if missing:
        raise SchemaError(f"{what} is missing {missing}: it has keys {_keys(data)}")
    return data


def _keys(data: Mapping[str, Any]) -> str:
    """The keys of a dict for a message, cut short."""
    keys = [str(k)[:40] for k in list(data)[:10]]
    return str(keys) + (" ..." if len(data) > 10 else "")


def _type_from_dict(data: Any) -> DType:
    data = _need(data, ["type"], "a type")
    kind = data["type"]
    ext = _ext(data)
    special: DType | None = _type_with_ext(None, ext)
    if special is not None:
        return special
    if kind == "any":
        return AnyType()
    if kind == "array":
        items = _need(data, ["items"], "an array")["items"]
        return Array(_type_from_dict(items), item_constraints=_slot_constraints(items))
    if kind == "map":
        values = _need(data, ["values"], "a map")["values"]
        return Map(_type_from_dict(values), value_constraints=_slot_constraints(values))
    if kind == "object":
        return _object_from_dict(data)
    if kind == "tensor":
        raise SchemaError("a tensor can only be a top-level input, not a nested type")
    if kind == "sparkml_vector":
        raise SchemaError("MLflow's sparkml_vector type is not supported; use Array('double')")
    return _datatype(kind, "type")


def _slot_constraints(data: Mapping[str, Any]) -> Constraints:
    return Constraints.from_dict(_ext(data))


def _ext(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``x-typedmodel`` entry of a form dict (an empty one when there is none)."""
    ext = data.get(EXT) or {}
    if not isinstance(ext, Mapping):
        raise SchemaError(f"{EXT!r} must be a dict, got {type(ext).__name__}")
    return ext


def _object_from_dict(data: Mapping[str, Any]) -> Object:
    props = _need(data, ["properties"], "an object")["properties"]
    if not isinstance(props, Mapping):
        raise SchemaError(f"an object's properties must be a dict by name, got {props!r}")
    out = []
    for name, body in props.items():
        body = _need(body, ["type"], f"property {name!r}")
        ext = _ext(body)
        dtype = _type_from_dict(body)
        out.append(Property(name, dtype, body.get("required", True), **_holder_kwargs(ext, dtype)))
    closed = _ext(data).get("closed", True)
    if not isinstance(closed, bool):
        raise SchemaError(f"an object's 'closed' must be true or false, got {closed!r}")
    return Object(out, closed=closed)


def _holder_kwargs(ext: Mapping[str, Any], dtype: DType | None = None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if "description" in ext:
        kwargs["description"] = ext["description"]
    if "default" in ext:
        default = ext["default"]
        if dtype is DataType.datetime and isinstance(default, str):
            # An ISO 8601 default reads back as the datetime it was written from; any other
            # text stays as it is, as the node took it (a holder's default is not checked).
            with contextlib.suppress(SchemaError):
                default = _to_datetime(default, "a datetime default")
        kwargs["default"] = default
    constraints = Constraints.from_dict(ext)
    if constraints:
        kwargs["constraints"] = constraints
    if isinstance(ext.get("nullable"), bool):
        kwargs["nullable"] = ext["nullable"]
    return kwargs


def _type_with_ext(dtype: Any, ext: Mapping[str, Any]) -> Any:
    """The union or literal an ``x-typedmodel`` entry describes, else `dtype`."""
    for key in ("union", "enum"):
        if key in ext and not isinstance(ext[key], list):
            raise SchemaError(f"{EXT} {key!r} must be a list, got {type(ext[key]).__name__}")
    if "union" in ext:
        return UnionType([_type_from_dict(t) for t in ext["union"]])
    if "enum" in ext:
        return LiteralType(ext["enum"])
    return dtype


def _spec_from_dict(data: Any) -> Spec:
    data = _need(data, ["type"], "a schema input")
    if data["type"] == "tensor":
        spec = _need(
            data.get("tensor-spec"),
            ["dtype", "shape"],
            "a tensor-spec",
        )
        return TensorSpec(spec["dtype"], spec["shape"], data.get("name"))
    ext = _ext(data)
    required = data.get("required", True)
    if required is None:  # older MLflow wrote null for "not said"
        required = True
    dtype = _type_from_dict(data)
    return ColSpec(dtype, data.get("name"), required, **_holder_kwargs(ext, dtype))
