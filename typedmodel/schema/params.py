"""`ParamSpec` and `ParamSchema`: inference parameters, with defaults checked as MLflow checks
them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from typedmodel.errors import SchemaError
from typedmodel.schema.form import _loads, _object_from_dict, _type_to_dict
from typedmodel.schema.nodes import (
    _INT_RANGES,
    AnyType,
    Array,
    DataType,
    DType,
    LiteralType,
    Map,
    Object,
    _datatype,
    _jsonable_param,
    _repeated,
    _to_datetime,
)


@dataclass(frozen=True, slots=True, init=False)
class ParamSpec:
    """An inference parameter: name, type, default and shape (None, or ``(-1,)`` for a list).

    The default is checked against the type and shape when the spec is built.

    Examples:
        >>> ParamSpec("temperature", "double", 1)
        ParamSpec('temperature', DataType.double, 1.0)
    """

    name: str
    dtype: DataType | Object
    default: Any
    shape: tuple[int, ...] | None

    def __init__(
        self,
        name: str,
        dtype: DataType | Object | str,
        default: Any,
        shape: Sequence[int] | None = None,
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
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "default", self.validate(default))

    def __repr__(self) -> str:
        shape = f", shape={self.shape!r}" if self.shape is not None else ""
        return f"ParamSpec({self.name!r}, {self.dtype!r}, {self.default!r}{shape})"

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
            raise SchemaError(f"{where} has shape (-1,): give a list, got {value!r}")
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
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParamSpec:
        """Read the MLflow form (``type`` or the older ``dtype`` key)."""
        if not isinstance(data, Mapping) or "name" not in data or "default" not in data:
            raise SchemaError(f"a ParamSpec dict needs 'name', 'type' and 'default', got {data!r}")
        kind = data.get("type", data.get("dtype"))
        dtype = _object_from_dict(data) if kind == "object" else kind
        return cls(data["name"], dtype, data["default"], data.get("shape"))


def _is_sequence(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return True
    ndim = getattr(value, "ndim", None)
    return ndim == 1 and hasattr(value, "tolist")


def _param_value(dtype: DataType | Object, value: Any, where: str) -> Any:
    if isinstance(dtype, Object):
        return _check_value(dtype, value, where)
    return _scalar_value(dtype, value, where)


def _scalar_value(dtype: DataType, value: Any, where: str) -> Any:
    """One scalar as plain Python, checked as MLflow checks params (no lossy conversion)."""
    if (
        hasattr(value, "item")
        and not isinstance(value, (list, tuple))
        and getattr(value, "ndim", 0) == 0
    ):
        value = value.item()  # numpy scalar -> Python scalar
    if dtype is DataType.datetime:
        return _to_datetime(value, where)
    if dtype is DataType.boolean:
        if isinstance(value, bool):
            return value
    elif dtype in _INT_RANGES:
        if isinstance(value, int) and not isinstance(value, bool):
            low, high = _INT_RANGES[dtype]
            if not low <= value <= high:
                raise SchemaError(f"{where}: {value} is out of range for {dtype.value}")
            return value
    elif dtype in (DataType.float, DataType.double):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif dtype is DataType.string:
        if isinstance(value, str):
            return value
    elif dtype is DataType.binary and isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise SchemaError(f"{where} expects {dtype.value}, got {type(value).__name__} {value!r}")


def _check_value(dtype: DType, value: Any, where: str) -> Any:
    """Check a JSON-like value against a nested type (for params of Object type)."""
    if isinstance(dtype, DataType):
        return _scalar_value(dtype, value, where)
    if isinstance(dtype, AnyType):
        return value
    if isinstance(dtype, Array):
        if not isinstance(value, (list, tuple)):
            raise SchemaError(f"{where} expects a list, got {value!r}")
        return [_check_value(dtype.dtype, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(dtype, Map):
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise SchemaError(f"{where} expects a dict with string keys, got {value!r}")
        return {k: _check_value(dtype.value_type, v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(dtype, Object):
        if not isinstance(value, Mapping):
            raise SchemaError(f"{where} expects an object (a dict), got {value!r}")
        known = {p.name for p in dtype.properties}
        extra = sorted(set(value) - known)
        if extra:
            raise SchemaError(f"{where} has unknown fields {extra}; allowed: {sorted(known)}")
        out = {}
        for prop in dtype.properties:
            if value.get(prop.name) is None:
                if prop.required:
                    raise SchemaError(f"{where}.{prop.name} is required")
                continue
            out[prop.name] = _check_value(prop.dtype, value[prop.name], f"{where}.{prop.name}")
        return out
    if isinstance(dtype, LiteralType):
        if value not in dtype.values:
            raise SchemaError(f"{where} must be one of {list(dtype.values)}, got {value!r}")
        return value
    for member in dtype.types:  # UnionType
        try:
            return _check_value(member, value, where)
        except SchemaError:
            continue
    raise SchemaError(f"{where} matches none of {list(dtype.types)}: {value!r}")


@dataclass(frozen=True, slots=True, init=False)
class ParamSchema:
    """The inference parameters a model takes.

    Examples:
        >>> ParamSchema([ParamSpec("k", "long", 3)]).defaults()
        {'k': 3}
    """

    params: tuple[ParamSpec, ...]

    def __init__(self, params: Iterable[ParamSpec]) -> None:
        specs = tuple(params)
        for spec in specs:
            if not isinstance(spec, ParamSpec):
                raise SchemaError(f"a ParamSchema holds ParamSpec values, got {spec!r}")
        dupes = _repeated(p.name for p in specs)
        if dupes:
            raise SchemaError(f"param names must be unique; repeated: {dupes}")
        object.__setattr__(self, "params", specs)

    def __repr__(self) -> str:
        return f"ParamSchema([{', '.join(map(repr, self.params))}])"

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
