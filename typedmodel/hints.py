"""Type hints -> schema tree.

`read_predict` reads a ``predict`` function once into a `PredictHints` record: which parameter
is the batch, whether ``context`` and ``params`` are declared, the hints themselves (kept for
validation) and the schema subtree of each. `hint_to_type` turns one element hint into a tree
node; a private translator does the work with a per-run cache keyed by class, so self-referencing
models finish (the back-reference is read as `AnyType`, while validation keeps the full model).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import functools
import inspect
import operator
import sys
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import annotated_types
import pydantic
import typing_extensions
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from typedmodel._json import jsonable
from typedmodel.errors import SchemaError
from typedmodel.schema import (
    MISSING,
    AnyType,
    Array,
    ColSpec,
    Constraints,
    DataType,
    DType,
    LiteralType,
    Map,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    UnionType,
)

__all__ = ["BatchKind", "Frame", "PredictHints", "hint_to_type", "read_predict"]

RowT = TypeVar("RowT", bound=pydantic.BaseModel)

if TYPE_CHECKING:
    from pandas import DataFrame

    class Frame(DataFrame, Generic[RowT]):
        """``Frame[Row]``: a DataFrame whose columns are the fields of ``Row``."""

else:

    class Frame:
        """``Frame[Row]``, a predict hint: a DataFrame whose columns are the fields of ``Row``.

        predict receives a validated pandas DataFrame (a new one, in field order, converted to
        the fields' types) instead of a list of objects; validation runs column by column,
        vectorised, and reports the same issues as ``list[Row]`` would.

        Examples:
            >>> import pydantic, typedmodel as tm
            >>> class Row(pydantic.BaseModel):
            ...     x: float
            >>> @tm.typed
            ... def total(model_input: tm.Frame[Row]) -> list[float]:
            ...     return model_input["x"].cumsum().tolist()
            >>> total([{"x": 1}, {"x": "2.5"}])
            [1.0, 3.5]
        """

        __slots__ = ()

        def __class_getitem__(cls, row: Any) -> _FrameHint:
            if not _is_model(row):
                raise SchemaError(
                    f"Frame[...] takes a pydantic model whose fields are the columns, got {row!r}"
                )
            return _FrameHint(row)


class _FrameHint:
    """What ``Frame[Row]`` evaluates to: a marker hints.py recognises."""

    __slots__ = ("__typedmodel_frame__",)

    def __init__(self, row: type[pydantic.BaseModel]) -> None:
        self.__typedmodel_frame__ = row

    def __repr__(self) -> str:
        return f"Frame[{self.__typedmodel_frame__.__name__}]"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _FrameHint)
            and other.__typedmodel_frame__ is self.__typedmodel_frame__
        )

    def __hash__(self) -> int:
        return hash(self.__typedmodel_frame__)


_CONTEXT = "context"
_PARAMS = "params"
_EMPTY = inspect.Parameter.empty


class BatchKind(enum.Enum):
    """What a predict input or output hint asks for."""

    NONE = "none"  # no hint (or Any): nothing to check
    LIST = "list"  # list[X]: rows validated by pydantic
    FRAME = "frame"  # pd.DataFrame / pd.Series: checked against an explicit schema only
    ARRAY = "array"  # np.ndarray: checked against an explicit schema only
    COLUMNAR = "columnar"  # typedmodel.Frame[Row]: a DataFrame checked column-wise


@dataclass(frozen=True)
class PredictHints:
    """What ``predict`` takes and gives, read once from its signature."""

    func: Callable[..., Any]
    input_name: str
    input_hint: Any
    input_kind: BatchKind
    element_hint: Any  # X of list[X] (or Row of Frame[Row]); None otherwise
    has_context: bool
    params_name: str | None
    params_hint: Any
    return_hint: Any
    output_kind: BatchKind
    inputs: Schema | None
    outputs: Schema | None
    params: ParamSchema | None
    is_async: bool

    @property
    def params_type(self) -> Any:
        """The hint params are validated with, or None (see `params_type`)."""
        return params_type(self.params_hint)


def read_predict(
    func: Callable[..., Any],
    *,
    is_method: bool,
    localns: Mapping[str, Any] | None = None,
    hints: bool = True,
) -> PredictHints:
    """Read ``predict``'s hints into a `PredictHints` record (without `hints`, only its
    parameters: how it is called).

    Raises:
        SchemaError: when a hint can't describe a batch (``int``, a bare model class, ``list``
            without its element type, ``dict[int, X]``...), saying what to write instead.
    """
    name = getattr(func, "__qualname__", getattr(func, "__name__", "predict"))
    try:
        sig = inspect.signature(func, eval_str=hints, locals=dict(localns or {}))
        if not hints:
            sig = sig.replace(
                parameters=[p.replace(annotation=p.empty) for p in sig.parameters.values()],
                return_annotation=sig.empty,
            )
    except NameError as exc:
        raise SchemaError(
            f"{name}: a type hint names something undefined ({exc}); define it before the "
            "model class, or import it at module level"
        ) from None
    params = list(sig.parameters.values())
    if is_method and params:
        params = params[1:]  # self
    # The context is the parameter named `context`, or, as MLflow reads predict, the first of
    # two parameters besides `params` (predict(self, ctx, model_input, params=None)).
    plain = [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    data_params = [p for p in plain if p.name != _PARAMS]
    has_context = bool(params) and (
        params[0].name == _CONTEXT or (len(data_params) == 2 and params[0] is data_params[0])
    )
    rest = params[1:] if has_context else params
    params_param = next((p for p in rest if p.name == _PARAMS), None)
    inputs = [
        p for p in rest if p.name != _PARAMS and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if not inputs:
        raise SchemaError(f"{name} takes no input: declare it as predict(self, model_input, ...)")
    input_param = inputs[0]
    input_hint = input_param.annotation
    input_kind, element = _batch_kind(input_hint, f"{name}: the input {input_param.name!r}")
    return_hint = sig.return_annotation
    output_kind, out_element = _batch_kind(return_hint, f"{name}: the return hint", output=True)
    params_hint = params_param.annotation if params_param is not None else _EMPTY
    return PredictHints(
        func=func,
        input_name=input_param.name,
        input_hint=input_hint,
        input_kind=input_kind,
        element_hint=element,
        has_context=has_context,
        params_name=params_param.name if params_param is not None else None,
        params_hint=params_hint,
        return_hint=return_hint,
        output_kind=output_kind,
        inputs=_batch_schema(input_kind, element, f"{name}: the input"),
        outputs=_batch_schema(output_kind, out_element, f"{name}: the return hint"),
        params=_params_schema(params_hint, f"{name}: the params hint"),
        is_async=inspect.iscoroutinefunction(func),
    )


# ---------------------------------------------------------------------------------------------
# The batch level
# ---------------------------------------------------------------------------------------------


def _batch_kind(hint: Any, where: str, *, output: bool = False) -> tuple[BatchKind, Any]:
    if hint is _EMPTY or hint is Any or hint is None or hint is type(None):
        return BatchKind.NONE, None
    columnar = getattr(hint, "__typedmodel_frame__", None)
    if columnar is not None:
        return BatchKind.COLUMNAR, columnar
    origin = typing.get_origin(hint)
    if origin in (list, Sequence, typing.List) or hint in (list, typing.List):  # noqa: UP006
        args = typing.get_args(hint)
        if not args:
            raise SchemaError(f"{where} is a list without an element type: write list[X]")
        if len(args) > 1:
            raise SchemaError(
                f"{where} is {_name(hint)}: a list takes one element type; write list[X] "
                "(list[X | Y] for values of several types)"
            )
        return BatchKind.LIST, args[0]
    kind = _dataframe_kind(hint)
    if kind is not None:
        return kind, None
    if output:
        # A return hint that is not a batch (a dict, a model...) is validated as it is.
        return BatchKind.NONE, None
    if origin in (dict, Mapping, typing.Dict) or hint in (dict, typing.Dict):  # noqa: UP006
        raise SchemaError(
            f"{where} is {_name(hint)}, one row, not a batch: write list[dict[str, ...]] "
            "(dict keys are strings)"
        )
    raise SchemaError(
        f"{where} is {_name(hint)}, not a batch: write list[{_name(hint)}] "
        "(or pd.DataFrame / np.ndarray with an explicit signature)"
    )


def _dataframe_kind(hint: Any) -> BatchKind | None:
    module = getattr(hint, "__module__", "") or ""
    name = getattr(hint, "__name__", "")
    if module.startswith("pandas") and name in ("DataFrame", "Series"):
        return BatchKind.FRAME
    if module.startswith("numpy") and name == "ndarray":
        return BatchKind.ARRAY
    if typing.get_origin(hint) is not None:
        return _dataframe_kind(typing.get_origin(hint))  # np.ndarray[Any, ...], npt.NDArray
    return None


def _batch_schema(kind: BatchKind, element: Any, where: str) -> Schema | None:
    if kind is BatchKind.LIST:
        # list[Annotated[str, Field(min_length=1)]]: the element's limits go on the column;
        # list[X | None]: a nullable column (a model may return None for a row it can't score).
        inner, nullable = _strip_optional(element)
        _, constraints, description = _unwrap_annotated(inner)
        inner, nullable_inside = _strip_optional(_unwrap_annotated(inner)[0])
        return Schema(
            [
                ColSpec(
                    hint_to_type(inner, where=where),
                    constraints=constraints,
                    description=description,
                    nullable=nullable or nullable_inside,
                )
            ]
        )
    if kind is BatchKind.COLUMNAR:
        obj = hint_to_type(element, where=where)
        assert isinstance(obj, Object)  # Frame[Row] checks Row is a model
        order = [_wire_name(n, f) for n, f in element.model_fields.items()]  # the columns' order
        props = sorted(obj.properties, key=lambda p: order.index(p.name))
        return Schema(
            [
                ColSpec(
                    p.dtype,
                    p.name,
                    p.required,
                    description=p.description,
                    default=p.default,
                    constraints=p.constraints,
                    nullable=p.nullable,
                )
                for p in props
            ]
        )
    return None


def params_type(hint: Any) -> Any:
    """The hint params are validated with: a pydantic model, dataclass, TypedDict or
    ``dict[str, X]`` (without its ``| None``), else None (params are then passed as given)."""
    hint = _strip_optional(hint)[0]
    if typing.get_origin(hint) in (dict, Mapping, typing.Dict):  # noqa: UP006
        return hint
    if _is_model(hint) or typing_extensions.is_typeddict(hint):
        return hint
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return hint
    return None


def _params_schema(hint: Any, where: str) -> ParamSchema | None:
    hint = params_type(hint)
    if hint is None:
        return None
    translator = _Translator(where)
    if typing.get_origin(hint) in (dict, Mapping, typing.Dict):  # noqa: UP006
        node = translator.node(hint)
        assert isinstance(node, Map)
        return ParamSchema([], values=node.value_type)
    if _is_model(hint):
        props = translator._model_properties(hint)
    elif typing_extensions.is_typeddict(hint):
        props = translator._typeddict_properties(hint)
    else:
        props = translator._dataclass_properties(hint)
    return ParamSchema([_param_spec(p, f"{where} field {p.name!r}") for p in props])


def _param_spec(prop: Property, where: str) -> ParamSpec:
    """A field of a params hint as a ParamSpec: a scalar, a list of scalars or an object."""
    dtype, shape = prop.dtype, None
    if isinstance(dtype, Array):
        dtype, shape = dtype.dtype, (-1,)
    if isinstance(dtype, LiteralType) and isinstance(dtype.base, DataType):
        dtype = dtype.base  # the hint checks the values; MLflow's form has only the base type
    if not isinstance(dtype, (DataType, Object)):
        raise SchemaError(f"{where}: a param is a scalar, a list of scalars or a model: {dtype!r}")
    default = None if prop.default is MISSING else prop.default
    if default is None and shape is not None:
        default = []  # MLflow refuses None as a list param's default
    try:
        return ParamSpec(
            prop.name,
            dtype,
            default,
            shape,
            constraints=prop.constraints,
            description=prop.description,
        )
    except SchemaError as exc:
        raise SchemaError(f"{where}: {exc}") from None


# ---------------------------------------------------------------------------------------------
# Element hints -> tree
# ---------------------------------------------------------------------------------------------

_SCALARS: dict[Any, DataType] = {
    bool: DataType.boolean,
    int: DataType.long,
    float: DataType.double,
    str: DataType.string,
    bytes: DataType.binary,
    bytearray: DataType.binary,
    _dt.datetime: DataType.datetime,
    _dt.date: DataType.datetime,
}


def hint_to_type(hint: Any, *, where: str = "hint") -> DType:
    """The schema node of one element hint.

    Examples:
        >>> hint_to_type(dict[str, list[float]])
        Map(Array(DataType.double))
    """
    return _Translator(where).node(hint)


class _Translator:
    """One run of hint translation; `seen` cuts recursion in self-referencing models."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.seen: set[type] = set()

    def node(self, hint: Any) -> DType:
        marker = _width_marker(hint)
        if marker is not None:  # a width tree_to_hint wrote (a 32-bit integer or float)
            return marker.__typedmodel_dtype__  # type: ignore[no-any-return]
        inner, constraints, description = _unwrap_annotated(hint)
        del constraints, description  # only properties and columns carry them
        hint = inner
        if hint is Any or hint is object:
            return AnyType()
        if isinstance(hint, typing.TypeVar):
            return AnyType()
        if isinstance(hint, (str, typing.ForwardRef)):
            name = hint if isinstance(hint, str) else hint.__forward_arg__
            raise SchemaError(
                f"{self.where}: the hint {name!r} is not resolved; define it before use, or call "
                "Model.model_rebuild() once the names it uses exist"
            )
        scalar = _SCALARS.get(hint)
        if scalar is not None:
            return scalar
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return LiteralType([m.value for m in hint])
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin in (typing.Literal, typing_extensions.Literal):
            if any(a is None for a in args):
                raise SchemaError(f"{self.where}: Literal with None: use Optional[Literal[...]]")
            return LiteralType(args)
        if origin in (typing.Union, types.UnionType):
            members = [a for a in args if a is not type(None)]
            if len(members) < len(args):
                raise SchemaError(
                    f"{self.where}: {_name(hint)} may be None here, where a value is required; "
                    "make the field that holds it optional"
                )
            return UnionType([self.node(a) for a in members])
        if hint in (list, tuple, set, frozenset, Sequence, dict, Mapping):
            raise SchemaError(
                f"{self.where}: {_name(hint)} without its item type: write e.g. list[float] "
                "or dict[str, float]"
            )
        if origin in (list, tuple, set, frozenset, Sequence, typing.List):  # noqa: UP006
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                raise SchemaError(
                    f"{self.where}: fixed-size {_name(hint)} has no schema type: use "
                    "tuple[X, ...] or list[X], or a model with named fields"
                )
            if not args:
                return Array(AnyType())
            return Array(self.node(args[0]), item_constraints=_unwrap_annotated(args[0])[1])
        if origin in (dict, Mapping, typing.Dict):  # noqa: UP006
            if args and len(args) != 2:
                raise SchemaError(
                    f"{self.where}: {_name(hint)} names {len(args)} type(s); a dict takes a key "
                    "and a value type: write dict[str, X]"
                )
            key, value = args if args else (str, Any)
            if key is not str:
                raise SchemaError(
                    f"{self.where}: {_name(hint)} has {_name(key)} keys; JSON and MLflow maps "
                    "have string keys: write dict[str, ...]"
                )
            return Map(self.node(value), value_constraints=_unwrap_annotated(value)[1])
        if _is_model(hint):
            return self._object(hint, self._model_properties)
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            return self._object(hint, self._dataclass_properties)
        if typing_extensions.is_typeddict(hint):
            return self._object(hint, self._typeddict_properties)
        raise SchemaError(
            f"{self.where}: {_name(hint)} has no schema type; use bool, int, float, str, bytes, "
            "datetime, list[...], dict[str, ...], Literal, an Enum, a pydantic model, a "
            "dataclass or a TypedDict"
        )

    def _object(self, cls: type, reader: Callable[[type], list[Property]]) -> DType:
        if cls in self.seen:
            return AnyType()  # a model that contains itself: the tree stops here
        self.seen.add(cls)
        try:
            props = reader(cls)
        finally:
            self.seen.discard(cls)
        if not props:
            return Map(AnyType())
        return Object(props, closed=_closed(cls))

    def _property(
        self, name: str, hint: Any, optional: bool, default: Any, info: Any = None
    ) -> Property:
        inner, nullable = _strip_optional(hint)
        inner, constraints, description = _unwrap_annotated(inner)
        if info is not None:
            constraints = _merge_constraints(constraints, _constraints_of(info.metadata))
            description = info.description or description
        inner, nullable2 = _strip_optional(inner)
        return Property(
            name,
            self.node(inner),
            required=not optional,  # as pydantic reads it: a field without a default
            nullable=nullable or nullable2,
            description=description,
            # None is what an optional field holds anyway: recording it would only add noise
            # to the MLflow form (and differ from what MLflow writes for the same hint).
            default=MISSING if default is MISSING or default is None else _jsonable(default),
            constraints=constraints,
        )

    def _model_properties(self, cls: type[pydantic.BaseModel]) -> list[Property]:
        if not cls.__pydantic_complete__:
            # Forward references to classes defined later: resolve them now, as pydantic would
            # on first use.
            cls.model_rebuild(raise_errors=False)
        props = []
        for name, info in cls.model_fields.items():
            default = _default(info)
            props.append(
                self._property(
                    _wire_name(name, info),
                    info.annotation,
                    default is not MISSING or not info.is_required(),
                    default,
                    info,
                )
            )
        return props

    def _dataclass_properties(self, cls: type) -> list[Property]:
        hints = typing.get_type_hints(cls, include_extras=True)
        props = []
        for f in dataclasses.fields(cls):
            has_default = f.default is not dataclasses.MISSING
            has_factory = f.default_factory is not dataclasses.MISSING
            default = f.default if has_default else MISSING
            if has_factory:  # as for a pydantic field: the value the factory makes
                default = f.default_factory()  # type: ignore[operator]
            props.append(
                self._property(f.name, hints.get(f.name, Any), has_default or has_factory, default)
            )
        return props

    def _typeddict_properties(self, cls: type) -> list[Property]:
        hints = typing.get_type_hints(cls, include_extras=True)
        required = set(getattr(cls, "__required_keys__", frozenset(hints)))
        for key, hint in hints.items():
            # With string annotations the class can't see NotRequired[...]; the hints can.
            origin = typing.get_origin(hint)
            if origin is typing_extensions.NotRequired:
                required.discard(key)
            elif origin is typing_extensions.Required:
                required.add(key)
        return [
            self._property(k, _strip_required(h), k not in required, MISSING)
            for k, h in hints.items()
        ]


def _closed(cls: type) -> bool:
    """Whether a model (dataclass, TypedDict) refuses keys that are not its fields."""
    config = getattr(cls, "model_config", None) or getattr(cls, "__pydantic_config__", None)
    return isinstance(config, Mapping) and config.get("extra") == "forbid"


def _strip_required(hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing_extensions.Required, typing_extensions.NotRequired):
        return typing.get_args(hint)[0]
    return hint


def _strip_optional(hint: Any) -> tuple[Any, bool]:
    """``Optional[X]`` -> (X, True); anything else -> (hint, False)."""
    if typing.get_origin(hint) is typing.Annotated:
        inner, nullable = _strip_optional(typing.get_args(hint)[0])
        if nullable:
            return typing.Annotated.__class_getitem__((inner, *hint.__metadata__)), True
        return hint, False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        members = [a for a in args if a is not type(None)]
        if len(members) < len(args):
            if len(members) == 1:
                return members[0], True
            return functools.reduce(operator.or_, members), True
    return hint, False


def _width_marker(hint: Any) -> Any:
    """The metadata of an ``Annotated`` hint that names a `DataType` through
    ``__typedmodel_dtype__`` (``validate._core.Holds``), or None."""
    while typing.get_origin(hint) is typing.Annotated:
        for m in hint.__metadata__:
            if isinstance(getattr(m, "__typedmodel_dtype__", None), DataType):
                return m
        hint = typing.get_args(hint)[0]
    return None


def _unwrap_annotated(hint: Any) -> tuple[Any, Constraints, str | None]:
    constraints = Constraints()
    description = None
    marker = _width_marker(hint)
    while typing.get_origin(hint) is typing.Annotated:
        meta = hint.__metadata__
        hint = typing.get_args(hint)[0]
        constraints = _merge_constraints(constraints, _constraints_of(meta))
        for m in meta:
            if isinstance(m, FieldInfo) and m.description:
                description = m.description
    if marker is not None:  # the width stays on the hint, for `node` to read
        hint = typing.Annotated[hint, marker]
    return hint, constraints, description


def _constraints_of(metadata: Sequence[Any]) -> Constraints:
    found: dict[str, Any] = {}
    for m in metadata:
        if isinstance(m, FieldInfo):
            found.update(_constraints_of(m.metadata).to_dict())
            continue
        if isinstance(m, annotated_types.GroupedMetadata) and not isinstance(m, FieldInfo):
            found.update(_constraints_of(list(m)).to_dict())
            continue
        for key in ("gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length", "pattern"):
            value = getattr(m, key, None)
            if value is not None and not callable(value):
                found[key] = value if key != "pattern" else str(getattr(value, "pattern", value))
    return Constraints(**found)


def _merge_constraints(a: Constraints, b: Constraints) -> Constraints:
    return Constraints(**{**a.to_dict(), **b.to_dict()})


def _default(info: FieldInfo) -> Any:
    if info.default is not PydanticUndefined:
        return info.default
    if info.default_factory is not None:
        try:
            return info.default_factory()  # type: ignore[call-arg]
        except TypeError:
            return MISSING
    return MISSING


def _wire_name(name: str, info: FieldInfo) -> str:
    alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
    return alias or name


def _jsonable(value: Any) -> Any:
    try:
        return jsonable(value)
    except TypeError:  # a default JSON can't hold is shown by its repr
        return repr(value)


def _is_model(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, pydantic.BaseModel)


def _name(hint: Any) -> str:
    if isinstance(hint, type):
        return hint.__name__
    return repr(hint).replace("typing.", "")


def caller_namespace(depth: int) -> dict[str, Any]:
    """The local names of the frame `depth` levels up (where a model class is being defined).

    Hints that name classes local to a function (common in notebooks and tests) resolve
    through it, as pydantic resolves them.
    """
    try:
        frame = sys._getframe(depth + 1)
    except ValueError:  # pragma: no cover  # the stack is never that shallow in practice
        return {}
    return dict(frame.f_locals)
