"""The type nodes of the tree: `DataType`, `Array`, `Map`, `Object` of `Property`, `AnyType`,
`UnionType`, `LiteralType`, with `Constraints` and `MISSING`.
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from typedmodel.errors import SchemaError

if TYPE_CHECKING:
    import numpy as np


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

    Examples:
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


def _repeated(names: Iterable[Any]) -> list[Any]:
    """The names that occur more than once, sorted."""
    seen: set[Any] = set()
    repeated: set[Any] = set()
    for name in names:
        (repeated if name in seen else seen).add(name)
    return sorted(repeated)


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


@dataclass(frozen=True, slots=True)
class Constraints:
    """Limits on a value, as pydantic's `Field` states them; carried for validation and docs.

    Examples:
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
    """A list whose items all have `dtype` (and each keeps to `item_constraints`).

    Examples:
        >>> Array("double")
        Array(DataType.double)
        >>> Array("long", item_constraints=Constraints(ge=0))
        Array(DataType.long, item_constraints=Constraints(ge=0))
    """

    dtype: DType
    item_constraints: Constraints

    def __init__(self, dtype: DType | str, *, item_constraints: Constraints | None = None) -> None:
        object.__setattr__(self, "dtype", _node_type(dtype, "Array item type"))
        object.__setattr__(self, "item_constraints", _constraints(item_constraints, "Array item"))

    def __repr__(self) -> str:
        extra = f", item_constraints={self.item_constraints!r}" if self.item_constraints else ""
        return f"Array({self.dtype!r}{extra})"


@dataclass(frozen=True, slots=True, init=False)
class Map:
    """A dict with string keys and values of `value_type` (each keeping to
    `value_constraints`).

    Examples:
        >>> Map("double")
        Map(DataType.double)
    """

    value_type: DType
    value_constraints: Constraints

    def __init__(
        self, value_type: DType | str, *, value_constraints: Constraints | None = None
    ) -> None:
        object.__setattr__(self, "value_type", _node_type(value_type, "Map value type"))
        object.__setattr__(self, "value_constraints", _constraints(value_constraints, "Map value"))

    def __repr__(self) -> str:
        extra = f", value_constraints={self.value_constraints!r}" if self.value_constraints else ""
        return f"Map({self.value_type!r}{extra})"


def _constraints(value: Constraints | None, what: str) -> Constraints:
    if value is None:
        return Constraints()
    if not isinstance(value, Constraints):
        raise SchemaError(f"{what} constraints must be a Constraints, got {type(value).__name__}")
    return value


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
        nullable: whether None is a valid value. By default, as MLflow reads ``required``: a
            field that is not required may also be None. A field with a default that isn't
            Optional (``x: int = 5``) may be left out but is not nullable.
    """

    name: str
    dtype: DType
    required: bool
    description: str | None
    default: Any
    constraints: Constraints
    nullable: bool

    def __init__(
        self,
        name: str,
        dtype: DType | str,
        required: bool = True,
        *,
        description: str | None = None,
        default: Any = MISSING,
        constraints: Constraints | None = None,
        nullable: bool | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise SchemaError(f"a Property needs a non-empty string name, got {name!r}")
        _set_holder(
            self, name, dtype, required, description, default, constraints, nullable, "Property"
        )

    def __repr__(self) -> str:
        return f"Property({self.name!r}, {self.dtype!r}{_holder_repr(self)})"


@dataclass(frozen=True, slots=True, init=False)
class Object:
    """A JSON object with known fields, kept sorted by name (as MLflow does).

    `closed` says whether keys other than the properties are refused (MLflow's reading of an
    object, and a pydantic model's with ``extra="forbid"``); an open object accepts and drops
    them, as a pydantic model does by default.

    Examples:
        >>> Object([Property("b", "long"), Property("a", "string")]).properties[0].name
        'a'
    """

    properties: tuple[Property, ...]
    closed: bool

    def __init__(self, properties: Iterable[Property], *, closed: bool = True) -> None:
        if not isinstance(closed, bool):
            raise SchemaError(f"Object 'closed' must be True or False, got {closed!r}")
        object.__setattr__(self, "closed", closed)
        props = tuple(properties)
        if not props:
            raise SchemaError("an Object needs at least one Property; use Map(...) for free keys")
        for prop in props:
            if not isinstance(prop, Property):
                raise SchemaError(f"Object takes Property values, got {prop!r}")
        dupes = _repeated(p.name for p in props)
        if dupes:
            raise SchemaError(f"an Object's property names must be unique; repeated: {dupes}")
        object.__setattr__(self, "properties", tuple(sorted(props, key=lambda p: p.name)))

    def __repr__(self) -> str:
        closed = "" if self.closed else ", closed=False"
        return f"Object([{', '.join(map(repr, self.properties))}]{closed})"

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

    Examples:
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

    Examples:
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
    name: str | int | None,
    dtype: Any,
    required: bool,
    description: str | None,
    default: Any,
    constraints: Constraints | None,
    nullable: bool | None,
    what: str,
) -> None:
    if not isinstance(required, bool):
        raise SchemaError(f"{what} 'required' must be True or False, got {required!r}")
    if nullable is not None and not isinstance(nullable, bool):
        raise SchemaError(f"{what} 'nullable' must be True, False or None, got {nullable!r}")
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
    object.__setattr__(obj, "nullable", (not required) if nullable is None else nullable)


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
    if obj.nullable == obj.required:  # not what `required` implies on its own
        parts.append(f"nullable={obj.nullable!r}")
    return "".join(", " + p for p in parts)


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
    raise SchemaError(
        f"{where} expects a datetime (or an ISO 8601 string), got {type(value).__name__}"
    )


def _jsonable_param(value: Any) -> Any:
    """A default as JSON holds it: datetimes in ISO form, inside lists and dicts too."""
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable_param(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _jsonable_param(v) for k, v in value.items()}
    return value
