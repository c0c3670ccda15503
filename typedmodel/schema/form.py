"""The MLflow form: schema nodes to the dicts MLflow writes in ``MLmodel``, and back.

What MLflow has no word for travels under ``"x-typedmodel"``, where MLflow's readers ignore it.
"""

from __future__ import annotations

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


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"not a JSON schema: {exc}") from None


def _type_to_dict(dtype: DType) -> dict[str, Any]:
    """A type node in MLflow form; typedmodel's own nodes carry an ``x-typedmodel`` entry."""
    if isinstance(dtype, DataType):
        return {"type": dtype.value}
    if isinstance(dtype, AnyType):
        return {"type": "any"}
    if isinstance(dtype, Array):
        return {"type": "array", "items": _type_to_dict(dtype.dtype)}
    if isinstance(dtype, Map):
        return {"type": "map", "values": _type_to_dict(dtype.value_type)}
    if isinstance(dtype, Object):
        props: dict[str, Any] = {}
        for prop in dtype.properties:
            props[prop.name] = _holder_to_dict(prop, prop.dtype, inline_scalars=True)[0]
        return {"type": "object", "properties": props}
    if isinstance(dtype, UnionType):
        return {"type": "any", EXT: {"union": [_type_to_dict(t) for t in dtype.types]}}
    if isinstance(dtype, LiteralType):
        base = dtype.base
        return {**_type_to_dict(base), EXT: {"enum": list(dtype.values)}}
    raise SchemaError(f"not a schema type node: {dtype!r}")  # pragma: no cover  # all kinds above


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
        raise SchemaError(f"{what} must be a dict, got {data!r}")
    missing = [k for k in keys if k not in data]
    if missing:
        raise SchemaError(f"{what} is missing {missing}: got {dict(data)!r}")
    return data


def _type_from_dict(data: Any) -> DType:
    data = _need(data, ["type"], "a type")
    kind = data["type"]
    ext = data.get(EXT) or {}
    if "union" in ext:
        return UnionType([_type_from_dict(t) for t in ext["union"]])
    if "enum" in ext:
        return LiteralType(ext["enum"])
    if kind == "any":
        return AnyType()
    if kind == "array":
        return Array(_type_from_dict(_need(data, ["items"], "an array")["items"]))
    if kind == "map":
        return Map(_type_from_dict(_need(data, ["values"], "a map")["values"]))
    if kind == "object":
        return _object_from_dict(data)
    if kind == "tensor":
        raise SchemaError("a tensor can only be a top-level input, not a nested type")
    if kind == "sparkml_vector":
        raise SchemaError("MLflow's sparkml_vector type is not supported; use Array('double')")
    return _datatype(kind, "type")


def _object_from_dict(data: Mapping[str, Any]) -> Object:
    props = _need(data, ["properties"], "an object")["properties"]
    if not isinstance(props, Mapping):
        raise SchemaError(f"an object's properties must be a dict by name, got {props!r}")
    out = []
    for name, body in props.items():
        body = _need(body, ["type"], f"property {name!r}")
        ext = body.get(EXT) or {}
        dtype = _type_from_dict(body)
        out.append(Property(name, dtype, body.get("required", True), **_holder_kwargs(ext, dtype)))
    return Object(out)


def _holder_kwargs(ext: Mapping[str, Any], dtype: DType | None = None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if "description" in ext:
        kwargs["description"] = ext["description"]
    if "default" in ext:
        default = ext["default"]
        if dtype is DataType.datetime and isinstance(default, str):
            default = _to_datetime(default, "a datetime default")
        kwargs["default"] = default
    constraints = Constraints.from_dict(ext)
    if constraints:
        kwargs["constraints"] = constraints
    if isinstance(ext.get("nullable"), bool):
        kwargs["nullable"] = ext["nullable"]
    return kwargs


def _type_with_ext(dtype: DType, ext: Mapping[str, Any]) -> DType:
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
    ext = data.get(EXT) or {}
    required = data.get("required", True)
    if required is None:  # older MLflow wrote null for "not said"
        required = True
    dtype = _type_from_dict(data)
    return ColSpec(dtype, data.get("name"), required, **_holder_kwargs(ext, dtype))
