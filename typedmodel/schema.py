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

This module imports nothing else of typedmodel but its errors, and never pandas; numpy only
when a tensor or a numpy mapping is asked for.
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from typedmodel.errors import SchemaError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
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
]

EXT = "x-typedmodel"
"""The key under which typedmodel's extensions travel in MLflow-form dicts."""


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""The default of a field or column that has none."""


class DataType(enum.Enum):
    """The scalar types of MLflow's schemas.

    `DataType("double")` and `DataType.double` are the same member.

    Example:
        >>> DataType("long").to_python()
        <class 'int'>
        >>> DataType.float.to_numpy()
        dtype('float32')
    """

    boolean = "boolean"
    integer = "integer"
    long = "long"
    float = "float"
    double = "double"
    string = "string"
    binary = "binary"
    datetime = "datetime"

    def __repr__(self) -> str:
        return f"DataType.{self.name}"

    def to_numpy(self) -> np.dtype[Any]:
        """The numpy dtype of this type (``str`` and ``bytes`` are numpy's unsized ones)."""
        import numpy as np

        return np.dtype(_NUMPY_NAMES[self])

    def to_pandas(self) -> Any:
        """The dtype pandas uses for a column of this type (``object`` for strings and bytes)."""
        import numpy as np

        if self in (DataType.string, DataType.binary):
            return np.dtype(object)
        return self.to_numpy()

    def to_python(self) -> type:
        """The Python type of one value: `bool`, `int`, `float`, `str`, `bytes` or `datetime`."""
        return _PYTHON_TYPES[self]

    @property
    def is_numeric(self) -> bool:
        """True for integer, long, float and double."""
        return self in (DataType.integer, DataType.long, DataType.float, DataType.double)

    @classmethod
    def from_numpy(cls, dtype: Any) -> DataType:
        """The DataType of a numpy dtype (or anything `numpy.dtype` accepts).

        Integers narrower than 32 bits map to `integer`, unsigned ones to the signed type that
        holds them all; `float16` maps to `float`. Raises `SchemaError` for a dtype with no
        DataType (complex numbers, ``uint64``, objects).
        """
        import numpy as np

        dt = np.dtype(dtype)
        kind, size = dt.kind, dt.itemsize
        if kind == "b":
            return cls.boolean
        if kind == "i":
            return cls.integer if size <= 4 else cls.long
        if kind == "u" and size <= 4:
            return cls.integer if size <= 2 else cls.long
        if kind == "f" and size <= 8:
            return cls.float if size <= 4 else cls.double
        if kind == "U":
            return cls.string
        if kind == "S":
            return cls.binary
        if kind == "M":
            return cls.datetime
        raise SchemaError(
            f"numpy dtype {dt} has no DataType: convert the data to a supported dtype "
            "(bool, int32/int64, float32/float64, str, bytes, datetime64) first"
        )


_NUMPY_NAMES = {
    DataType.boolean: "bool",
    DataType.integer: "int32",
    DataType.long: "int64",
    DataType.float: "float32",
    DataType.double: "float64",
    DataType.string: "str",
    DataType.binary: "bytes",
    DataType.datetime: "datetime64[ns]",
}
_PYTHON_TYPES: dict[DataType, type] = {
    DataType.boolean: bool,
    DataType.integer: int,
    DataType.long: int,
    DataType.float: float,
    DataType.double: float,
    DataType.string: str,
    DataType.binary: bytes,
    DataType.datetime: _dt.datetime,
}
_INT_RANGES = {
    DataType.integer: (-(2**31), 2**31 - 1),
    DataType.long: (-(2**63), 2**63 - 1),
}


def _datatype(value: DataType | str, what: str) -> DataType:
    if isinstance(value, DataType):
        return value
    if isinstance(value, str):
        try:
            return DataType(value)
        except ValueError:
            names = ", ".join(t.value for t in DataType)
            raise SchemaError(f"unknown {what} {value!r}: use one of {names}") from None
    raise SchemaError(f"{what} must be a DataType or its name, got {value!r}")


# ---------------------------------------------------------------------------------------------
# Constraints and the nested nodes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Constraints:
    """Limits on a value, as pydantic's `Field` states them; carried for validation and docs.

    Example:
        >>> Constraints(ge=0, le=130)
        Constraints(ge=0, le=130)
    """

    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    multiple_of: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None

    def __repr__(self) -> str:
        parts = [f"{k}={v!r}" for k, v in self.to_dict().items()]
        return f"Constraints({', '.join(parts)})"

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))

    def to_dict(self) -> dict[str, Any]:
        """The constraints that are set, by name."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Constraints:
        """Read the constraints present in `data` (other keys are ignored)."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


_CONSTRAINT_KEYS = frozenset(f.name for f in fields(Constraints))


@dataclass(frozen=True, slots=True)
class AnyType:
    """Any JSON-like value."""

    def __repr__(self) -> str:
        return "AnyType()"


@dataclass(frozen=True, slots=True, init=False)
class Array:
    """A list whose items all have `dtype`.

    Example:
        >>> Array("double")
        Array(DataType.double)
    """

    dtype: DType

    def __init__(self, dtype: DType | str) -> None:
        object.__setattr__(self, "dtype", _node_type(dtype, "Array item type"))

    def __repr__(self) -> str:
        return f"Array({self.dtype!r})"


@dataclass(frozen=True, slots=True, init=False)
class Map:
    """A dict with string keys and values of `value_type`.

    Example:
        >>> Map("double")
        Map(DataType.double)
    """

    value_type: DType

    def __init__(self, value_type: DType | str) -> None:
        object.__setattr__(self, "value_type", _node_type(value_type, "Map value type"))

    def __repr__(self) -> str:
        return f"Map({self.value_type!r})"


@dataclass(frozen=True, slots=True, init=False)
class Property:
    """A named field of an `Object`.

    Args:
        name: the field's name on the wire (a pydantic alias, when there is one).
        dtype: its type: a DataType (or its name) or a nested node.
        required: False when the field may be left out (or is None).
        description: what the field means, for docs.
        default: the value used when it is left out, or `MISSING`.
        constraints: limits on the value.
    """

    name: str
    dtype: DType
    required: bool
    description: str | None
    default: Any
    constraints: Constraints

    def __init__(
        self,
        name: str,
        dtype: DType | str,
        required: bool = True,
        *,
        description: str | None = None,
        default: Any = MISSING,
        constraints: Constraints | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise SchemaError(f"a Property needs a non-empty string name, got {name!r}")
        _set_holder(self, name, dtype, required, description, default, constraints, "Property")

    def __repr__(self) -> str:
        return f"Property({self.name!r}, {self.dtype!r}{_holder_repr(self)})"


@dataclass(frozen=True, slots=True, init=False)
class Object:
    """A JSON object with known fields, kept sorted by name (as MLflow does).

    Example:
        >>> Object([Property("b", "long"), Property("a", "string")]).properties[0].name
        'a'
    """

    properties: tuple[Property, ...]

    def __init__(self, properties: Iterable[Property]) -> None:
        props = tuple(properties)
        if not props:
            raise SchemaError("an Object needs at least one Property; use Map(...) for free keys")
        for prop in props:
            if not isinstance(prop, Property):
                raise SchemaError(f"Object takes Property values, got {prop!r}")
        names = [p.name for p in props]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SchemaError(f"an Object's property names must be unique; repeated: {dupes}")
        object.__setattr__(self, "properties", tuple(sorted(props, key=lambda p: p.name)))

    def __repr__(self) -> str:
        return f"Object([{', '.join(map(repr, self.properties))}])"

    def property(self, name: str) -> Property:
        """The property called `name` (KeyError-free: raises `SchemaError` naming the choices)."""
        for prop in self.properties:
            if prop.name == name:
                return prop
        raise SchemaError(
            f"no property {name!r}; the object has {[p.name for p in self.properties]}"
        )


@dataclass(frozen=True, slots=True, init=False)
class UnionType:
    """A value of one of several types (MLflow has no union: it reads this as ``any``).

    Example:
        >>> UnionType(["long", "string"])
        UnionType([DataType.long, DataType.string])
    """

    types: tuple[DType, ...]

    def __init__(self, types: Iterable[DType | str]) -> None:
        flat: list[DType] = []
        for t in types:
            node = _node_type(t, "union member")
            for member in node.types if isinstance(node, UnionType) else (node,):
                if member not in flat:
                    flat.append(member)
        if len(flat) < 2:
            raise SchemaError("a UnionType needs at least two distinct types; use the type itself")
        object.__setattr__(self, "types", tuple(flat))

    def __repr__(self) -> str:
        return f"UnionType([{', '.join(map(repr, self.types))}])"


@dataclass(frozen=True, slots=True, init=False, eq=False)
class LiteralType:
    """One of a fixed set of values (a `Literal` or an `Enum`); MLflow reads its base type.

    The values are strings, integers or booleans (floats too, though rarely wise).

    Example:
        >>> LiteralType(["a", "b"]).base
        DataType.string
    """

    values: tuple[Any, ...]

    def __init__(self, values: Iterable[Any]) -> None:
        vals: list[Any] = []
        for v in values:
            if v is None or not isinstance(v, (str, int, float)):
                raise SchemaError(
                    f"a LiteralType's values are str, int, float or bool, got {v!r}; "
                    "make a None choice optional instead"
                )
            if not any(v == w and type(v) is type(w) for w in vals):
                vals.append(v)
        if not vals:
            raise SchemaError("a LiteralType needs at least one value")
        object.__setattr__(self, "values", tuple(vals))

    def __repr__(self) -> str:
        return f"LiteralType({list(self.values)!r})"

    def _key(self) -> tuple[tuple[str, Any], ...]:
        # 1, 1.0 and True are equal in Python but distinct choices (and MLflow types) here.
        return tuple((type(v).__name__, v) for v in self.values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LiteralType):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def base(self) -> DataType | AnyType:
        """The nearest MLflow type: the DataType all values share, else `AnyType()`."""
        kinds = {_literal_kind(v) for v in self.values}
        if kinds == {DataType.long, DataType.double}:
            return DataType.double
        if len(kinds) == 1:
            return kinds.pop()
        return AnyType()


def _literal_kind(value: Any) -> DataType:
    if isinstance(value, bool):
        return DataType.boolean
    if isinstance(value, int):
        return DataType.long
    if isinstance(value, float):
        return DataType.double
    return DataType.string


DType = DataType | Array | Object | Map | AnyType | UnionType | LiteralType
"""The type of a column, property, item or map value."""

NODE_KINDS: tuple[type, ...] = (DataType, Array, Object, Map, AnyType, UnionType, LiteralType)
"""Every kind of type node; visitors check they handle each one."""


def _node_type(value: Any, what: str) -> DType:
    if isinstance(value, str):
        return _datatype(value, what)
    if isinstance(value, NODE_KINDS):
        return value  # type: ignore[return-value]  # NODE_KINDS is DType's members
    raise SchemaError(
        f"{what} must be a DataType (or its name), Array, Object, Map, AnyType, UnionType or "
        f"LiteralType, got {value!r}"
    )


def _set_holder(
    obj: Any,
    name: str | None,
    dtype: Any,
    required: bool,
    description: str | None,
    default: Any,
    constraints: Constraints | None,
    what: str,
) -> None:
    if not isinstance(required, bool):
        raise SchemaError(f"{what} 'required' must be True or False, got {required!r}")
    if description is not None and not isinstance(description, str):
        raise SchemaError(f"{what} description must be a string, got {description!r}")
    if constraints is not None and not isinstance(constraints, Constraints):
        raise SchemaError(f"{what} constraints must be a Constraints, got {constraints!r}")
    object.__setattr__(obj, "name", name)
    object.__setattr__(
        obj, "dtype" if what == "Property" else "type", _node_type(dtype, f"{what} type")
    )
    object.__setattr__(obj, "required", required)
    object.__setattr__(obj, "description", description)
    object.__setattr__(obj, "default", default)
    object.__setattr__(obj, "constraints", constraints or Constraints())


def _holder_repr(obj: Any) -> str:
    parts = []
    if not obj.required:
        parts.append("required=False")
    if obj.description is not None:
        parts.append(f"description={obj.description!r}")
    if obj.default is not MISSING:
        parts.append(f"default={obj.default!r}")
    if obj.constraints:
        parts.append(f"constraints={obj.constraints!r}")
    return "".join(", " + p for p in parts)


# ---------------------------------------------------------------------------------------------
# Columns, tensors and schemas
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, init=False)
class ColSpec:
    """A column: its type, its name (None for an unnamed column) and whether it is required.

    Example:
        >>> ColSpec("double", "x")
        ColSpec(DataType.double, name='x')
    """

    type: DType
    name: str | None
    required: bool
    description: str | None
    default: Any
    constraints: Constraints

    def __init__(
        self,
        type: DType | str,  # MLflow's parameter name, kept for compatibility
        name: str | None = None,
        required: bool = True,
        *,
        description: str | None = None,
        default: Any = MISSING,
        constraints: Constraints | None = None,
    ) -> None:
        if name is not None and (not isinstance(name, str) or not name):
            raise SchemaError(f"a column name must be a non-empty string or None, got {name!r}")
        _set_holder(self, name, type, required, description, default, constraints, "ColSpec")

    def __repr__(self) -> str:
        name = f", name={self.name!r}" if self.name is not None else ""
        return f"ColSpec({self.type!r}{name}{_holder_repr(self)})"


@dataclass(frozen=True, slots=True, init=False)
class TensorSpec:
    """A tensor: numpy dtype, shape (``-1`` for any size) and optional name.

    `type` may be a numpy dtype, a numpy scalar type (``np.float32``), a dtype string
    (``"float32"``) or a numeric DataType.

    Example:
        >>> TensorSpec("float32", (-1, 28, 28))
        TensorSpec('float32', (-1, 28, 28))
    """

    type: np.dtype[Any]
    shape: tuple[int, ...]
    name: str | None

    def __init__(self, type: Any, shape: Sequence[int], name: str | None = None) -> None:
        object.__setattr__(self, "type", _tensor_dtype(type))
        if not isinstance(shape, (tuple, list)):
            raise SchemaError(f"a TensorSpec shape is a tuple or list of ints, got {shape!r}")
        for dim in shape:
            if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or dim < -1:
                raise SchemaError(
                    f"TensorSpec shape {tuple(shape)!r}: each dimension is a size >= 0 "
                    "or -1 for any size"
                )
        object.__setattr__(self, "shape", tuple(int(d) for d in shape))
        if name is not None and (not isinstance(name, str) or not name):
            raise SchemaError(f"a tensor name must be a non-empty string or None, got {name!r}")
        object.__setattr__(self, "name", name)

    @property
    def required(self) -> bool:
        """Tensors are always required."""
        return True

    def __repr__(self) -> str:
        name = f", {self.name!r}" if self.name is not None else ""
        return f"TensorSpec({self.type.name!r}, {self.shape!r}{name})"


def _tensor_dtype(value: Any) -> np.dtype[Any]:
    import numpy as np

    if isinstance(value, DataType):
        if not (value.is_numeric or value is DataType.boolean):
            raise SchemaError(
                f"a TensorSpec takes a numeric DataType, not {value!r}; pass a numpy dtype "
                "such as 'str' or 'datetime64[ns]' instead"
            )
        return value.to_numpy()
    try:
        dt: np.dtype[Any] = np.dtype(value)
    except TypeError:
        raise SchemaError(
            f"TensorSpec type {value!r} is not a numpy dtype: use e.g. np.float32 or 'float32'"
        ) from None
    if dt.kind in "US" and dt.itemsize != 0:
        raise SchemaError(
            f"TensorSpec type {dt.str!r} has a size; use the unsized {np.dtype(dt.kind).name!r}"
        )
    if dt.kind == "V" or dt.kind == "O":
        raise SchemaError(
            f"TensorSpec type {dt!r} is not supported: use a numeric, str or bytes dtype"
        )
    return dt


Spec = ColSpec | TensorSpec


@dataclass(frozen=True, slots=True, init=False)
class Schema:
    """The inputs or outputs of a model: all `ColSpec` or all `TensorSpec`.

    Example:
        >>> s = Schema([ColSpec("double", "x"), ColSpec("string", "y", required=False)])
        >>> s.input_names(), s.required_input_names()
        (['x', 'y'], ['x'])
    """

    inputs: tuple[Spec, ...]

    def __init__(self, inputs: Iterable[Spec]) -> None:
        specs = tuple(inputs)
        if not specs:
            raise SchemaError("a Schema needs at least one ColSpec or TensorSpec")
        for spec in specs:
            if not isinstance(spec, (ColSpec, TensorSpec)):
                raise SchemaError(f"a Schema holds ColSpec or TensorSpec values, got {spec!r}")
        kinds = {type(s) for s in specs}
        if len(kinds) > 1:
            raise SchemaError(
                "a Schema can't mix ColSpec and TensorSpec: describe the inputs as columns or "
                "as tensors, not both"
            )
        named = [s.name is not None for s in specs]
        if any(named) and not all(named):
            raise SchemaError(
                "a Schema's inputs must all be named or all unnamed; got names "
                f"{[s.name for s in specs]}: give every input a name"
            )
        if kinds == {TensorSpec} and len(specs) > 1 and not all(named):
            raise SchemaError("several TensorSpecs need names: give each tensor a name")
        if not any(named) and any(not s.required for s in specs):
            raise SchemaError(
                "an unnamed column can't be optional: name the columns or make them required"
            )
        names = [s.name for s in specs if s.name is not None]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SchemaError(f"a Schema's input names must be unique; repeated: {dupes}")
        object.__setattr__(self, "inputs", specs)

    def __repr__(self) -> str:
        return f"Schema([{', '.join(map(repr, self.inputs))}])"

    def __len__(self) -> int:
        return len(self.inputs)

    def __iter__(self) -> Any:
        return iter(self.inputs)

    def is_tensor_spec(self) -> bool:
        """True when the schema is made of tensors."""
        return isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        """True when the inputs are named."""
        return self.inputs[0].name is not None

    def input_names(self) -> list[str | int]:
        """The names of the inputs, or their positions when unnamed."""
        return [s.name if s.name is not None else i for i, s in enumerate(self.inputs)]

    def required_input_names(self) -> list[str | int]:
        """The names (or positions) of the required inputs."""
        return [n for n, s in zip(self.input_names(), self.inputs, strict=True) if s.required]

    def optional_input_names(self) -> list[str | int]:
        """The names of the inputs that may be left out."""
        return [n for n, s in zip(self.input_names(), self.inputs, strict=True) if not s.required]

    def input_types(self) -> list[Any]:
        """The type of each input: a DType for columns, a numpy dtype for tensors."""
        return [s.type for s in self.inputs]

    def to_dict(self) -> list[dict[str, Any]]:
        """The MLflow form: a list with one dict per input.

        Extensions that MLflow can't read on a top-level scalar column (its description,
        constraints or allowed values) are not in this list; `ModelSignature.to_dict()` keeps
        them beside it.
        """
        return [_spec_to_dict(s)[0] for s in self.inputs]

    def to_json(self) -> str:
        """`to_dict()` as a JSON string, formatted as MLflow formats it."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Sequence[Mapping[str, Any]]) -> Schema:
        """Read the MLflow form (as written by MLflow or by `to_dict`)."""
        if isinstance(data, (str, bytes)) or not isinstance(data, Sequence):
            raise SchemaError(
                f"a schema's MLflow form is a list of dicts, got {type(data).__name__}"
            )
        return cls([_spec_from_dict(d) for d in data])

    @classmethod
    def from_json(cls, text: str) -> Schema:
        """Read the MLflow form from a JSON string."""
        return cls.from_dict(_loads(text))

    def _extensions(self) -> dict[str, dict[str, Any]]:
        """Column extensions that `to_dict` could not write inline, by input name or position."""
        out = {}
        for key, spec in zip(self.input_names(), self.inputs, strict=True):
            ext = _spec_to_dict(spec)[1]
            if ext:
                out[str(key)] = ext
        return out

    def _with_extensions(self, ext: Mapping[str, Mapping[str, Any]]) -> Schema:
        if not ext:
            return self
        specs = []
        for key, spec in zip(self.input_names(), self.inputs, strict=True):
            extra = ext.get(str(key))
            if extra and isinstance(spec, ColSpec):
                spec = ColSpec(
                    _type_with_ext(spec.type, extra),
                    spec.name,
                    spec.required,
                    **_holder_kwargs(extra, spec.type),
                )
            specs.append(spec)
        return Schema(specs)


# ---------------------------------------------------------------------------------------------
# Params
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, init=False)
class ParamSpec:
    """An inference parameter: name, type, default and shape (None, or ``(-1,)`` for a list).

    The default is checked against the type and shape when the spec is built.

    Example:
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


def _to_datetime(value: Any, where: str) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return _dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    raise SchemaError(f"{where} expects a datetime (or an ISO 8601 string), got {value!r}")


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


def _jsonable_param(value: Any) -> Any:
    """A default as JSON holds it: datetimes in ISO form, inside lists and dicts too."""
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable_param(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _jsonable_param(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True, init=False)
class ParamSchema:
    """The inference parameters a model takes.

    Example:
        >>> ParamSchema([ParamSpec("k", "long", 3)]).defaults()
        {'k': 3}
    """

    params: tuple[ParamSpec, ...]

    def __init__(self, params: Iterable[ParamSpec]) -> None:
        specs = tuple(params)
        for spec in specs:
            if not isinstance(spec, ParamSpec):
                raise SchemaError(f"a ParamSchema holds ParamSpec values, got {spec!r}")
        names = [p.name for p in specs]
        dupes = sorted({n for n in names if names.count(n) > 1})
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


# ---------------------------------------------------------------------------------------------
# MLflow form: dicts out and in
# ---------------------------------------------------------------------------------------------


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
