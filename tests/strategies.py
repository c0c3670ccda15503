"""Hypothesis strategies for random typedmodel schema trees, for reuse across the test suite.

Every strategy draws a *valid* tree: one that the constructors accept and that MLflow's readers
accept too. ``extensions=False`` keeps to what MLflow itself can express (no `UnionType`,
`LiteralType`, descriptions, defaults or constraints), so that MLflow's own writer can be compared
with typedmodel's byte for byte.

Example:
    >>> from hypothesis import given
    >>> from tests.strategies import signatures
    >>> @given(signatures())
    ... def test_something(sig): ...
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from typing import Any

import pydantic
from hypothesis import strategies as st

import typedmodel as tm
from typedmodel import (
    MISSING,
    AnyType,
    Array,
    ColSpec,
    Constraints,
    DataType,
    LiteralType,
    Map,
    ModelSignature,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    SchemaError,
    TensorSpec,
    UnionType,
)

__all__ = [
    "TENSOR_DTYPES",
    "FieldPlan",
    "col_schemas",
    "col_specs",
    "constraints",
    "data_types",
    "json_values",
    "literal_types",
    "models_and_batches",
    "names",
    "objects",
    "param_schemas",
    "param_specs",
    "properties",
    "row_models",
    "rows_for",
    "schemas",
    "signatures",
    "tensor_schemas",
    "tensor_specs",
    "type_nodes",
]

TENSOR_DTYPES = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "str",
    "bytes",
    "datetime64[ns]",
)
"""numpy dtype names a TensorSpec accepts (and MLflow writes by the same name)."""

_INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
_INT32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)


def names() -> st.SearchStrategy[str]:
    """Non-empty names for columns, properties, tensors and params (any printable text)."""
    return st.text(min_size=1, max_size=8)


def data_types(*, exclude: tuple[DataType, ...] = ()) -> st.SearchStrategy[DataType]:
    """A scalar `DataType`."""
    return st.sampled_from([t for t in DataType if t not in exclude])


def json_values(max_leaves: int = 4) -> st.SearchStrategy[Any]:
    """A JSON value that survives ``json.loads(json.dumps(v)) == v`` (no NaN, no tuples)."""
    scalars = st.none() | st.booleans() | _INT64 | _FLOATS | st.text(max_size=6)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
        max_leaves=max_leaves,
    )


def literal_types() -> st.SearchStrategy[LiteralType]:
    """A `LiteralType` of strings, ints, bools or floats (one kind or mixed)."""
    value = st.text(max_size=6) | _INT64 | st.booleans() | _FLOATS
    return st.lists(value, min_size=1, max_size=4).map(LiteralType)


def constraints() -> st.SearchStrategy[Constraints]:
    """Some `Constraints` (possibly none set)."""
    number = st.none() | st.integers(-1000, 1000) | _FLOATS
    length = st.none() | st.integers(0, 100)
    return st.builds(
        Constraints,
        gt=number,
        ge=number,
        lt=number,
        le=number,
        multiple_of=number,
        min_length=length,
        max_length=length,
        pattern=st.none() | st.text(max_size=8),
    )


def _holder_meta(extensions: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments ``description``/``default``/``constraints`` for ColSpec and Property."""
    if not extensions:
        return st.just({})
    return st.fixed_dictionaries(
        {},
        optional={
            "description": st.text(max_size=20),
            "default": json_values(),
            "constraints": constraints(),
        },
    )


@st.composite
def properties(
    draw: st.DrawFn,
    dtypes: st.SearchStrategy[Any] | None = None,
    *,
    extensions: bool = True,
) -> Property:
    """A `Property` whose type is drawn from `dtypes` (scalar DataTypes by default)."""
    dtype = draw(dtypes if dtypes is not None else data_types())
    return Property(draw(names()), dtype, draw(st.booleans()), **draw(_holder_meta(extensions)))


def objects(
    dtypes: st.SearchStrategy[Any] | None = None, *, extensions: bool = True
) -> st.SearchStrategy[Object]:
    """An `Object` with 1-4 properties of distinct names."""
    return st.lists(
        properties(dtypes, extensions=extensions),
        min_size=1,
        max_size=4,
        unique_by=lambda p: p.name,
    ).map(Object)


def _union_or_none(members: list[Any]) -> UnionType | None:
    try:
        return UnionType(members)
    except SchemaError:  # fewer than two distinct members once flattened
        return None


def _unions(children: st.SearchStrategy[Any]) -> st.SearchStrategy[UnionType]:
    return (
        st.lists(children, min_size=2, max_size=3)
        .map(_union_or_none)
        .filter(lambda u: u is not None)
    )


def type_nodes(*, extensions: bool = True, max_leaves: int = 6) -> st.SearchStrategy[Any]:
    """A column type: a DataType or a nested Array / Object / Map / AnyType tree.

    With `extensions`, the tree may hold `UnionType` and `LiteralType` nodes and its properties
    descriptions, defaults and constraints.
    """
    leaves: st.SearchStrategy[Any] = data_types() | st.just(AnyType())
    if extensions:
        leaves = leaves | literal_types()

    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        nodes = children.map(Array) | children.map(Map) | objects(children, extensions=extensions)
        if extensions:
            nodes = nodes | _unions(children)
        return nodes

    return st.recursive(leaves, extend, max_leaves=max_leaves)


@st.composite
def col_specs(
    draw: st.DrawFn,
    name: str | None = None,
    *,
    extensions: bool = True,
    required: bool | None = None,
) -> ColSpec:
    """A `ColSpec` named `name` (unnamed when None)."""
    req = draw(st.booleans()) if required is None else required
    return ColSpec(
        draw(type_nodes(extensions=extensions)), name, req, **draw(_holder_meta(extensions))
    )


@st.composite
def col_schemas(draw: st.DrawFn, *, extensions: bool = True, max_size: int = 4) -> Schema:
    """A `Schema` of ColSpecs: all named (distinct names) or all unnamed (then all required)."""
    if draw(st.booleans()):
        col_names = draw(st.lists(names(), min_size=1, max_size=max_size, unique=True))
        return Schema([draw(col_specs(n, extensions=extensions)) for n in col_names])
    count = draw(st.integers(1, max_size))
    return Schema(
        [draw(col_specs(None, extensions=extensions, required=True)) for _ in range(count)]
    )


@st.composite
def tensor_specs(draw: st.DrawFn, name: str | None = None) -> TensorSpec:
    """A `TensorSpec` of a supported dtype; dimensions are -1 (any size) or a size."""
    shape = draw(st.lists(st.just(-1) | st.integers(0, 64), min_size=1, max_size=4))
    dtype = draw(st.sampled_from(TENSOR_DTYPES))
    return TensorSpec(dtype, draw(st.sampled_from([tuple(shape), shape])), name)


@st.composite
def tensor_schemas(draw: st.DrawFn, max_size: int = 3) -> Schema:
    """A `Schema` of TensorSpecs: one (named or not) or several named."""
    if draw(st.booleans()):
        return Schema([draw(tensor_specs(draw(st.none() | names())))])
    tensor_names = draw(st.lists(names(), min_size=2, max_size=max_size, unique=True))
    return Schema([draw(tensor_specs(n)) for n in tensor_names])


def schemas(*, extensions: bool = True) -> st.SearchStrategy[Schema]:
    """A `Schema` of columns or of tensors."""
    return col_schemas(extensions=extensions) | tensor_schemas()


def _datetimes() -> st.SearchStrategy[dt.datetime]:
    return st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1))


_PARAM_VALUES: dict[DataType, st.SearchStrategy[Any]] = {
    DataType.boolean: st.booleans(),
    DataType.integer: _INT32,
    DataType.long: _INT64,
    DataType.float: st.floats(allow_nan=False, allow_infinity=False, width=32),
    DataType.double: _FLOATS | st.integers(-(2**53), 2**53),
    DataType.string: st.text(max_size=8),
    DataType.datetime: _datetimes() | _datetimes().map(dt.datetime.isoformat),
}
_OBJECT_PARAM_FIELD_TYPES = (DataType.boolean, DataType.long, DataType.double, DataType.string)


@st.composite
def _object_param_defaults(draw: st.DrawFn, obj: Object) -> dict[str, Any]:
    out = {}
    for prop in obj.properties:
        if prop.required or draw(st.booleans()):
            out[prop.name] = draw(_PARAM_VALUES[prop.dtype])
    return out


@st.composite
def param_specs(draw: st.DrawFn, name: str | None = None, *, extensions: bool = True) -> ParamSpec:
    """A `ParamSpec` with a default that fits its type and shape.

    Scalar and list params of every DataType but binary, and Object params whose fields are
    scalars (boolean, long, double, string).
    """
    name = draw(names()) if name is None else name
    if draw(st.integers(0, 4)) == 0:
        field_types = st.sampled_from(_OBJECT_PARAM_FIELD_TYPES)
        obj = draw(objects(field_types, extensions=extensions))
        return ParamSpec(name, obj, draw(_object_param_defaults(obj)))
    dtype = draw(data_types(exclude=(DataType.binary,)))
    values = _PARAM_VALUES[dtype]
    if draw(st.booleans()):
        return ParamSpec(name, dtype, draw(values))
    shape = draw(st.sampled_from([(-1,), [-1]]))
    return ParamSpec(name, dtype, draw(st.lists(values, max_size=3)), shape)


@st.composite
def param_schemas(draw: st.DrawFn, *, extensions: bool = True, max_size: int = 4) -> ParamSchema:
    """A non-empty `ParamSchema` with distinct names."""
    param_names = draw(st.lists(names(), min_size=1, max_size=max_size, unique=True))
    return ParamSchema([draw(param_specs(n, extensions=extensions)) for n in param_names])


@st.composite
def signatures(draw: st.DrawFn, *, extensions: bool = True) -> ModelSignature:
    """A `ModelSignature` with any non-empty combination of inputs, outputs and params."""
    parts = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "inputs": schemas(extensions=extensions),
                "outputs": schemas(extensions=extensions),
                "params": param_schemas(extensions=extensions),
            },
        ).filter(bool)
    )
    return ModelSignature(**parts)


# ---------------------------------------------------------------------------------------------
# Row models and batches for them: valid values and values just outside the contract
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FieldPlan:
    """One generated field: its kind, bounds, whether it has a default or may be None."""

    name: str
    kind: str  # "int", "float", "str", "bool", "literal"
    optional: bool = False  # X | None
    default: Any = MISSING
    low: int | None = None  # int: ge; str: min_length
    high: int | None = None  # int: le

    def annotation(self) -> Any:
        base: Any = {"int": int, "float": float, "str": str, "bool": bool}.get(self.kind)
        if self.kind == "literal":
            base = typing.Literal["a", "b"]
        limits: dict[str, Any] = {}
        if self.kind == "int" and self.low is not None:
            limits["ge"] = self.low
        if self.kind == "int" and self.high is not None:
            limits["le"] = self.high
        if self.kind == "str" and self.low is not None:
            limits["min_length"] = self.low
        if limits:
            base = typing.Annotated[base, pydantic.Field(**limits)]
        return typing.Optional[base] if self.optional else base  # noqa: UP045


_KINDS = ("int", "float", "str", "bool", "literal")
_FIELD_NAMES = ("a", "b", "c", "d", "e")


@st.composite
def field_plans(draw: st.DrawFn, name: str) -> FieldPlan:
    kind = draw(st.sampled_from(_KINDS))
    low = high = None
    if kind == "int" and draw(st.booleans()):
        low = draw(st.integers(-5, 5))
        high = low + draw(st.integers(0, 10))
    if kind == "str" and draw(st.booleans()):
        low = 1
    optional = draw(st.booleans())
    default: Any = MISSING
    if draw(st.booleans()):
        default = None if optional and draw(st.booleans()) else _valid_value(kind, low, high)
    return FieldPlan(name, kind, optional, default, low, high)


def _valid_value(kind: str, low: int | None, high: int | None) -> Any:
    return {
        "int": low if low is not None else 0,
        "float": 0.5,
        "str": "x",
        "bool": True,
        "literal": "a",
    }[kind]


@st.composite
def row_models(draw: st.DrawFn, *, closed: bool | None = None) -> type[pydantic.BaseModel]:
    """A pydantic model of one to four scalar fields (ints with bounds, floats, strings,
    bools, literals; optional or not; with a default or not); closed (``extra="forbid"``) or
    open. The plans are on the class as ``__plans__``."""
    count = draw(st.integers(1, 4))
    plans = [draw(field_plans(n)) for n in _FIELD_NAMES[:count]]
    fields: dict[str, Any] = {}
    for plan in plans:
        default = ... if plan.default is MISSING else plan.default
        fields[plan.name] = (plan.annotation(), default)
    is_closed = draw(st.booleans()) if closed is None else closed
    config = pydantic.ConfigDict(extra="forbid" if is_closed else "ignore")
    model = pydantic.create_model("Row", __config__=config, **fields)
    model.__plans__ = plans  # type: ignore[attr-defined]
    return model


def _near_values(plan: FieldPlan) -> st.SearchStrategy[Any]:
    """JSON values of the field's kind, valid or just outside its contract (beyond a bound,
    beyond the long range, a wrong kind, None)."""
    wrong = st.sampled_from(["x", None, [1], {"k": 1}])
    if plan.kind == "int":
        bounded = st.integers(
            (plan.low if plan.low is not None else -(2**63)) - 2,
            (plan.high if plan.high is not None else 2**63 - 1) + 2,
        )
        edges = st.sampled_from([2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**70, 3.0, 2.5, True])
        texts = st.sampled_from(["7", " -7 ", "9223372036854775808", "2.5"])  # lax: numbers
        return st.one_of(bounded, edges, texts, wrong)
    if plan.kind == "float":
        exact = st.floats(allow_nan=False, allow_infinity=False)
        ints = st.sampled_from([0, 7, 2**53, 2**53 + 1, -(2**53) - 1])
        # Numbers as text (pydantic's lax mode), held to the same rule as the numbers.
        texts = st.sampled_from(["1.5", "9007199254740993", "9007199254740992", "1e400", "inf"])
        return st.one_of(exact, ints, texts, st.sampled_from([True]), wrong)
    if plan.kind == "str":
        return st.one_of(st.text(max_size=3), st.sampled_from([5, 1.5, False]), wrong)
    if plan.kind == "bool":
        return st.one_of(st.booleans(), st.sampled_from([0, 1, 2, 2**63, "yes", 1.5]), wrong)
    return st.one_of(st.sampled_from(["a", "b", "c", "A", 1]), wrong)


def _valid_values(plan: FieldPlan) -> st.SearchStrategy[Any]:
    """JSON values the field takes as they are."""
    if plan.kind == "int":
        low = plan.low if plan.low is not None else -(2**63)
        high = plan.high if plan.high is not None else 2**63 - 1
        values: st.SearchStrategy[Any] = st.integers(low, high)
    elif plan.kind == "float":
        values = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**53), 2**53)
    elif plan.kind == "str":
        values = st.text(min_size=plan.low or 0, max_size=3)
    elif plan.kind == "bool":
        values = st.booleans()
    else:
        values = st.sampled_from(["a", "b"])
    return values | st.none() if plan.optional else values


@st.composite
def rows_for(
    draw: st.DrawFn, model: type[pydantic.BaseModel], *, max_rows: int = 4
) -> list[dict[str, Any]]:
    """A batch of row dicts for a `row_models` model: each key may be left out, and a row may
    carry a key the model doesn't name."""
    plans: list[FieldPlan] = model.__plans__  # type: ignore[attr-defined]
    valid = draw(st.booleans())  # half the batches keep to the contract, row for row
    rows = []
    for _ in range(draw(st.integers(0, max_rows))):
        row: dict[str, Any] = {}
        for plan in plans:
            if valid:
                if plan.default is MISSING or draw(st.booleans()):
                    row[plan.name] = draw(_valid_values(plan))
                continue
            if draw(st.integers(0, 5)) == 0:
                continue  # left out
            row[plan.name] = draw(_near_values(plan))
        if not valid and draw(st.integers(0, 6)) == 0:
            row["zz"] = 1
        rows.append(row)
    return rows


@st.composite
def models_and_batches(draw: st.DrawFn, *, closed: bool | None = None) -> tuple[Any, Any]:
    """A row model and a batch for it: drawn by `typedmodel.testing.strategies` from the
    model's contract (valid, or broken in one tagged way), or of values just outside the
    contract (`tests.strategies.rows_for`), where the verdict is for the paths to agree on."""
    from typedmodel.testing import strategies as tms

    model = draw(row_models(closed=closed))
    source = draw(st.sampled_from(["valid", "broken", "near"]))
    if source == "near":
        return model, draw(rows_for(model))

    @tm.typed
    def predict(model_input: list[model]) -> int:  # type: ignore[valid-type]
        return len(model_input)

    if source == "valid":
        return model, draw(tms.batches(predict, max_size=4))
    return model, draw(tms.batches(predict, min_size=1, max_size=4, valid=False)).value
