"""`ParamSpec` and `ParamSchema`: inference parameters, with defaults checked as MLflow checks
them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from typedmodel.errors import SchemaError
from typedmodel.schema.form import (
    _ext,
    _loads,
    _object_from_dict,
    _type_from_dict,
    _type_to_dict,
)
from typedmodel.schema.nodes import (
    EXT,
    AnyType,
    Array,
    Constraints,
    DataType,
    DType,
    LiteralType,
    Map,
    Object,
    UnionType,
    _constraints,
    _datatype,
    _jsonable_param,
    _repeated,
    _to_datetime,
)
from typedmodel.schema.rules import LossyNumber, number, rule
from typedmodel.schema.visitor import NodeVisitor


@dataclass(frozen=True, slots=True, init=False)
class ParamSpec:
    """An inference parameter: name, type, default and shape (None, or ``(-1,)`` for a list).

    The default is checked against the type and shape when the spec is built. `constraints`
    (limits on the value, checked when a call is validated) and `description` are typedmodel's
    own; they travel under ``x-typedmodel``, which MLflow's reader ignores.

    Examples:
        >>> ParamSpec("temperature", "double", 1)
        ParamSpec('temperature', DataType.double, 1.0)
    """

    name: str
    dtype: DataType | Object
    default: Any
    shape: tuple[int, ...] | None
    constraints: Constraints
    description: str | None

    def __init__(
        self,
        name: str,
        dtype: DataType | Object | str,
        default: Any,
        shape: Sequence[int] | None = None,
        *,
        constraints: Constraints | None = None,
        description: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise SchemaError(f"a ParamSpec needs a non-empty string name, got {name!r}")
        dt = dtype if isinstance(dtype, Object) else _datatype(dtype, f"type of param {name!r}")
        if dt is DataType.binary:
            raise SchemaError(f"param {name!r}: binary params are not supported; use a string")
        if shape is not None:
            if not isinstance(shape, (tuple, list)) or tuple(shape) != (-1,):
                raise SchemaError(
                    f"param {name!r}: shape must be None (a scalar) or (-1,) (a list), "
                    f"got {shape!r}"
                )
            shape = (-1,)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "dtype", dt)
        if description is not None and not isinstance(description, str):
            raise SchemaError(f"param {name!r}: a description is text, got {description!r}")
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "constraints", _constraints(constraints, f"param {name!r}"))
        object.__setattr__(self, "description", description)
        if shape is not None and default is None:
            raise SchemaError(
                f"param {name!r}: a list param needs a list default ([] for none), as MLflow does"
            )
        object.__setattr__(self, "default", self.validate(default))

    def __repr__(self) -> str:
        shape = f", shape={self.shape!r}" if self.shape is not None else ""
        limits = f", constraints={self.constraints!r}" if self.constraints else ""
        return f"ParamSpec({self.name!r}, {self.dtype!r}, {self.default!r}{shape}{limits})"

    def validate(self, value: Any) -> Any:
        """Check `value` against this param's type and shape; return it as plain Python.

        Conversions follow MLflow's params rules: an int is fine for a double, but 1.5, True or
        "5" is not a long. None means "not given".

        Raises:
            SchemaError: naming the param and what it expects (`ValueError` subclasses are
                raised by callers that validate requests).
        """
        if value is None:
            return None
        where = f"param {self.name!r}"
        if self.shape is None:
            return _param_value(self.dtype, value, where)
        if isinstance(value, (str, bytes, Mapping)) or not _is_sequence(value):
            raise SchemaError(f"{where} has shape (-1,): give a list, got {type(value).__name__}")
        return [_param_value(self.dtype, v, f"{where}[{i}]") for i, v in enumerate(value)]

    def to_dict(self) -> dict[str, Any]:
        """The MLflow form: ``{"name", "default", "shape", "type"}``."""
        default = _jsonable_param(self.default)
        out: dict[str, Any] = {
            "name": self.name,
            "default": default,
            "shape": list(self.shape) if self.shape is not None else None,
        }
        out.update(_type_to_dict(self.dtype))
        ext = {**self.constraints.to_dict()}
        if self.description is not None:
            ext["description"] = self.description
        if ext:
            out[EXT] = {**out.get(EXT, {}), **ext}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParamSpec:
        """Read the MLflow form (``type`` or the older ``dtype`` key)."""
        if not isinstance(data, Mapping) or "name" not in data or "default" not in data:
            raise SchemaError(f"a ParamSpec dict needs 'name', 'type' and 'default', got {data!r}")
        kind = data.get("type", data.get("dtype"))
        dtype = _object_from_dict(data) if kind == "object" else kind
        ext = _ext(data)
        return cls(
            data["name"],
            dtype,
            data["default"],
            data.get("shape"),
            constraints=Constraints.from_dict(ext),
            description=ext.get("description"),
        )


def _is_sequence(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return True
    ndim = getattr(value, "ndim", None)
    return ndim == 1 and hasattr(value, "tolist")


def _param_value(dtype: DataType | Object, value: Any, where: str) -> Any:
    return _VALUES.visit(dtype, where, value)


class _ParamValue(NodeVisitor[str, Any]):
    """Checks a JSON-like value against a node, as MLflow checks params (no lossy conversion);
    returns it as plain Python. Messages name what is expected, never the value."""

    def visit(self, node: DType, where: str, value: Any = None) -> Any:
        method = self._methods.get(type(node))
        if method is None:
            raise SchemaError(f"not a schema type node: {type(node).__name__}")
        return method(self, node, where, value)

    def visit_data_type(self, node: DataType, where: str, value: Any) -> Any:
        r = rule(node)
        if node is DataType.datetime:
            return _to_datetime(value, where)
        given = type(value).__name__
        try:
            value = number(node, value)
        except LossyNumber as exc:
            if exc.type in ("int_type", "float_type"):  # a bool or a complex number
                raise SchemaError(f"{where} expects {node.value}, got {given}") from None
            raise SchemaError(f"{where}: {exc.msg}") from None
        if isinstance(value, r.python) and not (r.family != "bool" and isinstance(value, bool)):
            if r.is_int and not r.low <= value <= r.high:  # type: ignore[operator]
                raise SchemaError(f"{where} is out of range for {node.value}")
            return bytes(value) if isinstance(value, (bytes, bytearray)) else value
        if r.is_float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if r.family == "bytes" and isinstance(value, bytearray):
            return bytes(value)
        raise SchemaError(f"{where} expects {node.value}, got {type(value).__name__}")

    def visit_any_type(self, node: AnyType, where: str, value: Any) -> Any:
        return value

    def visit_array(self, node: Array, where: str, value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            raise SchemaError(f"{where} expects a list, got {type(value).__name__}")
        return [self.visit(node.dtype, f"{where}[{i}]", v) for i, v in enumerate(value)]

    def visit_map(self, node: Map, where: str, value: Any) -> Any:
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise SchemaError(f"{where} expects a dict with string keys")
        return {k: self.visit(node.value_type, f"{where}.{k}", v) for k, v in value.items()}

    def visit_object(self, node: Object, where: str, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise SchemaError(f"{where} expects an object (a dict), got {type(value).__name__}")
        known = {p.name for p in node.properties}
        extra = [k for k in value if k not in known]
        if extra and node.closed:
            raise SchemaError(
                f"{where} has {len(extra)} unknown field(s); allowed: {sorted(known)}"
            )
        out = {}
        for prop in node.properties:
            if value.get(prop.name) is None:
                if prop.required:
                    raise SchemaError(f"{where}.{prop.name} is required")
                continue
            out[prop.name] = self.visit(prop.dtype, f"{where}.{prop.name}", value[prop.name])
        return out

    def visit_literal_type(self, node: LiteralType, where: str, value: Any) -> Any:
        if not any(value == v and type(value) is type(v) for v in node.values):
            raise SchemaError(f"{where} must be one of {list(node.values)}")
        return value

    def visit_union_type(self, node: UnionType, where: str, value: Any) -> Any:
        for member in node.types:
            try:
                return self.visit(member, where, value)
            except SchemaError:
                continue
        raise SchemaError(f"{where} matches none of the types of the union")


_VALUES = _ParamValue()
_NODES = (DataType, AnyType, Array, Map, Object, LiteralType, UnionType)


@dataclass(frozen=True, slots=True, init=False)
class ParamSchema:
    """The inference parameters a model takes.

    `values` is the type of every param the list doesn't name, for a model that takes any
    name (a ``dict[str, float]`` params hint). MLflow has no word for it: it travels in the
    signature's ``x-typedmodel`` entry, and MLflow's own loader drops the params it doesn't list.

    Examples:
        >>> ParamSchema([ParamSpec("k", "long", 3)]).defaults()
        {'k': 3}
    """

    params: tuple[ParamSpec, ...]
    values: DType | None

    def __init__(self, params: Iterable[ParamSpec], *, values: DType | str | None = None) -> None:
        specs = tuple(params)
        for spec in specs:
            if not isinstance(spec, ParamSpec):
                raise SchemaError(f"a ParamSchema holds ParamSpec values, got {spec!r}")
        dupes = _repeated(p.name for p in specs)
        if dupes:
            raise SchemaError(f"param names must be unique; repeated: {dupes}")
        if isinstance(values, str):
            values = _datatype(values, "type of the other params")
        if values is not None and not isinstance(values, _NODES):
            raise SchemaError(f"values must be a type node or None, got {values!r}")
        object.__setattr__(self, "params", specs)
        object.__setattr__(self, "values", values)

    def __repr__(self) -> str:
        values = f", values={self.values!r}" if self.values is not None else ""
        return f"ParamSchema([{', '.join(map(repr, self.params))}]{values})"

    def validate_other(self, name: str, value: Any) -> Any:
        """Check a param the list doesn't name against `values` (see the class)."""
        if self.values is None:
            raise SchemaError(f"unknown param {name!r}; allowed: {self.names()}")
        return _VALUES.visit(self.values, f"param {name!r}", value)

    def _extensions(self) -> dict[str, Any]:
        """What `to_dict` can't say in MLflow's form (see the class)."""
        return {"values": _type_to_dict(self.values)} if self.values is not None else {}

    def _with_extensions(self, ext: Mapping[str, Any]) -> ParamSchema:
        if not isinstance(ext, Mapping):
            raise SchemaError(f"the params {EXT!r} entry must be a dict")
        if "values" not in ext:
            return self
        return ParamSchema(self.params, values=_type_from_dict(ext["values"]))

    def __len__(self) -> int:
        return len(self.params)

    def __iter__(self) -> Any:
        return iter(self.params)

    def names(self) -> list[str]:
        """The param names, in order."""
        return [p.name for p in self.params]

    def defaults(self) -> dict[str, Any]:
        """Each param's default, by name."""
        return {p.name: p.default for p in self.params}

    def to_dict(self) -> list[dict[str, Any]]:
        """The MLflow form: a list of ParamSpec dicts."""
        return [p.to_dict() for p in self.params]

    def to_json(self) -> str:
        """`to_dict()` as a JSON string."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Sequence[Mapping[str, Any]]) -> ParamSchema:
        """Read the MLflow form."""
        if isinstance(data, (str, bytes)) or not isinstance(data, Sequence):
            raise SchemaError(f"a params schema's MLflow form is a list of dicts, got {data!r}")
        return cls([ParamSpec.from_dict(d) for d in data])

    @classmethod
    def from_json(cls, text: str) -> ParamSchema:
        """Read the MLflow form from a JSON string."""
        return cls.from_dict(_loads(text))
