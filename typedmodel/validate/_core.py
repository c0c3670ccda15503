"""The pydantic-core specifics: a hint compiled into validators that keep typedmodel's rules.

pydantic's lax mode takes ``True`` for an int, rounds ``2**53 + 1`` into a float and has no
bound on an ``int``; the schema says ``long`` and the rule table says a value is accepted only
when the declared type holds it exactly. `ExactValidator` takes the core schema pydantic builds
for a hint (the user's models, constraints and validators included) and rewrites its number and
bytes leaves so that they keep the rules of `typedmodel.schema.rules`:

- an ``int`` is bounded to the long range (folded into its own ``ge``/``le``) and refuses bools;
- a ``float`` refuses bools, complex numbers, and integers and decimals it can't hold exactly;
- ``bytes`` take a base64 string (JSON's way of carrying bytes).

Two validators are built from the one schema. The *fast* one keeps every leaf in Rust (a Python
``int`` for an int, a Python ``float`` for a float) and stops at the first error; the *full* one
checks every other value in a small Python function and collects every error. A batch goes
through the fast one and, only when that fails, the full one, so a batch of plain values costs
what pydantic-core alone costs, and every other batch gets exactly the full rules. Both accept
the same values and give the same result for them.

This module also turns pydantic's errors into typedmodel's `Issue`s.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pydantic
from pydantic_core import PydanticCustomError, PydanticKnownError, SchemaValidator, core_schema

from typedmodel.errors import OMITTED, Issue
from typedmodel.schema import DataType
from typedmodel.schema.rules import LossyNumber, number, rule

__all__ = ["ExactValidator", "Holds", "exact_before", "exact_core_schema", "issues_from"]

_LONG = rule(DataType.long)
_SUBSCHEMA_KEYS = frozenset(
    {
        "schema",
        "items_schema",
        "keys_schema",
        "values_schema",
        "choices",
        "fields",
        "steps",
        "definitions",
        "lax_schema",
        "strict_schema",
        "python_schema",
        "json_schema",
        "extras_schema",
        "extras_keys_schema",
        "arguments_schema",
    }
)
_TOO_DEEP = frozenset({"recursion_loop", "recursion_depth_exceeded"})
# The two choices of a rewritten leaf; their labels are taken out of error locations again.
_FAST_LABEL = "typedmodel:fast"
_EXACT_LABEL = "typedmodel:exact"


class ExactValidator:
    """Validates values of one hint by pydantic's rules and typedmodel's (see the module).

    `batch` wraps the hint in a list (a batch of elements), with the fast pass stopping at the
    first error.
    """

    def __init__(self, hint: Any, *, batch: bool = False) -> None:
        adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(hint)
        schema = adapter.core_schema
        if batch:
            schema = _in_list(schema)
        full = exact_core_schema(schema, fast=False)
        fast = exact_core_schema(schema, fast=True)
        if batch:
            fast = _fail_fast(fast)
        with _own_validators(schema):
            self.full = SchemaValidator(full)
            self.fast = SchemaValidator(fast)

    def validate(self, value: Any, *, strict: bool | None = None) -> Any:
        """The validated value; raises `pydantic.ValidationError` with every error."""
        try:
            return self.fast.validate_python(value, strict=strict)
        except pydantic.ValidationError:
            return self.full.validate_python(value, strict=strict)

    def validate_until(
        self, values: list[Any], limit: int, *, strict: bool | None = None
    ) -> tuple[list[Any], list[tuple[int, pydantic.ValidationError]], int]:
        """A batch's `validate` that stops once more than `limit` errors are found: the fast
        pass, then the full checks in growing chunks of rows. Gives the validated rows (all of
        them when there is no error), each failing chunk's first row and error, and how many
        rows were checked."""
        try:
            return self.fast.validate_python(values, strict=strict), [], len(values)
        except pydantic.ValidationError:
            pass
        out: list[Any] = []
        failed: list[tuple[int, pydantic.ValidationError]] = []
        start, size, count = 0, limit, 0
        while start < len(values) and count <= limit:
            end = min(start + size, len(values))
            try:
                out.extend(self.full.validate_python(values[start:end], strict=strict))
            except pydantic.ValidationError as exc:
                failed.append((start, exc))
                count += sum(_FAST_LABEL not in e["loc"] for e in exc.errors(include_url=False))
            start, size = end, size * 2
        return out, failed, start


def exact_core_schema(schema: Any, *, fast: bool) -> Any:
    """`schema` with its int, float and bytes leaves keeping the rule table (see the module).

    A float leaf is a double; a 32-bit ``float`` of the tree is a double leaf behind a
    before-validator that checks the narrower type (see `tree_to_hint`).
    """
    leaves: dict[str, Callable[[dict[str, Any]], Any]] = {
        "int": _fast_int if fast else _full_int,
        "float": _fast_float if fast else _full_float,
        "bytes": _fast_bytes if fast else _full_bytes,
    }

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            kind = node.get("type")
            if not isinstance(kind, str):  # a mapping of schemas: fields by name, tagged choices
                return {k: walk(v) for k, v in node.items()}
            out = {k: (walk(v) if k in _SUBSCHEMA_KEYS else v) for k, v in node.items()}
            if isinstance(kind, str) and kind in leaves:
                ref = out.pop("ref", None)
                out = leaves[kind](out)
                if ref is not None:
                    out["ref"] = ref
            return out
        if isinstance(node, (list, tuple)):
            return type(node)(walk(v) for v in node)
        return node

    return walk(schema)


@contextlib.contextmanager
def _own_validators(schema: Any) -> Iterator[None]:
    """Build validators from `schema` itself, for every model and dataclass in it.

    pydantic-core reuses a complete class's own ``__pydantic_validator__`` where the class
    appears in a schema, which would skip the rewritten fields; a class that is not complete
    while the validator is built gets a validator from the schema.
    """
    classes = _classes(schema)
    was = {cls: cls.__dict__.get("__pydantic_complete__") for cls in classes}
    try:
        for cls in classes:
            type.__setattr__(cls, "__pydantic_complete__", False)
        yield
    finally:
        for cls, value in was.items():
            type.__setattr__(cls, "__pydantic_complete__", value)


def _classes(schema: Any) -> set[type]:
    found: set[type] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            cls = node.get("cls")
            modelled = node.get("type") in ("model", "dataclass")
            if modelled and isinstance(cls, type) and "__pydantic_complete__" in cls.__dict__:
                found.add(cls)
            stack.extend(v for k, v in node.items() if k in _SUBSCHEMA_KEYS or not _is_schema(node))
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return found


def _is_schema(node: dict[str, Any]) -> bool:
    return isinstance(node.get("type"), str)


def _in_list(schema: Any) -> Any:
    if schema.get("type") == "definitions":
        return {**schema, "schema": core_schema.list_schema(schema["schema"])}
    return core_schema.list_schema(schema)


def _fail_fast(schema: Any) -> Any:
    if schema.get("type") == "definitions":
        return {**schema, "schema": {**schema["schema"], "fail_fast": True}}
    return {**schema, "fail_fast": True}


# -- ints ---------------------------------------------------------------------------------------


def _bounded(schema: dict[str, Any]) -> dict[str, Any]:
    """An int schema whose ``ge``/``le`` keep it within the long range."""
    out = dict(schema)
    low, high = _LONG.low, _LONG.high
    out["ge"] = max(out["ge"], low) if out.get("ge") is not None else low
    out["le"] = min(out["le"], high) if out.get("le") is not None else high
    return out


def _fast_int(schema: dict[str, Any]) -> Any:
    return {**_bounded(schema), "strict": True}  # a Python int only: no bool, float or str


def _full_int(schema: dict[str, Any]) -> Any:
    exact = core_schema.no_info_before_validator_function(_int_value, _bounded(schema))
    return _first_fast(_fast_int(schema), exact)


def _int_value(value: Any) -> Any:
    value = _exact(DataType.long, value)
    if isinstance(value, float) and value.is_integer():
        # A whole float is the integer it holds: beyond the long range, its issue is the bound
        # (as on the columnar path), not pydantic's "exceeded maximum size".
        return int(value)
    return value


def _first_fast(fast: Any, exact: Any) -> Any:
    """The fast leaf, else the exact one: values the fast one takes never reach Python."""
    return core_schema.union_schema(
        [(fast, _FAST_LABEL), (exact, _EXACT_LABEL)], mode="left_to_right"
    )


# -- floats -------------------------------------------------------------------------------------


def _fast_float(schema: dict[str, Any]) -> Any:
    # A float: an isinstance check, in Rust (no int or bool gets through). A float subclass
    # such as numpy's float64 passes as it is: it is a float, of the same value. With
    # constraints, pydantic's own float schema checks them next.
    plain = {k: v for k, v in schema.items() if k not in ("type", "ref", "metadata")}
    if not plain:
        return core_schema.is_instance_schema(float)
    return core_schema.chain_schema([core_schema.is_instance_schema(float), schema])


def _full_float(schema: dict[str, Any]) -> Any:
    exact = core_schema.no_info_before_validator_function(_float_value, schema)
    return _first_fast(_fast_float(schema), exact)


def _float_value(value: Any) -> Any:
    return _exact(DataType.double, value)


def exact_before(dtype: DataType) -> Callable[[Any], Any]:
    """A before-validator holding values to `dtype`'s rule (a 32-bit float, say)."""

    def check(value: Any) -> Any:
        return _exact(dtype, value)

    return check


class Holds:
    """Hint metadata written by `tree_to_hint` for a type that Python's ``int`` and ``float``
    don't name (a 32-bit integer or float): pydantic holds the value to `dtype`'s rule, and
    the hint reads back as `dtype` (``hint_to_type`` reads ``__typedmodel_dtype__``)."""

    __slots__ = ("dtype",)

    def __init__(self, dtype: DataType) -> None:
        self.dtype = dtype

    @property
    def __typedmodel_dtype__(self) -> DataType:
        return self.dtype

    def __repr__(self) -> str:
        return f"Holds({self.dtype.value})"

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)
        r = rule(self.dtype)
        if not r.is_int:
            return core_schema.no_info_before_validator_function(exact_before(self.dtype), schema)
        low, high = int(r.low), int(r.high)  # type: ignore[arg-type]

        def within(value: int) -> int:  # the range, with pydantic's own issues for it
            if value < low:
                raise PydanticKnownError("greater_than_equal", {"ge": low})
            if value > high:
                raise PydanticKnownError("less_than_equal", {"le": high})
            return value

        return core_schema.no_info_after_validator_function(within, schema)


def _exact(dtype: DataType, value: Any) -> Any:
    try:
        return number(dtype, value)
    except LossyNumber as exc:
        raise PydanticCustomError(exc.type, exc.msg) from None


# -- bytes --------------------------------------------------------------------------------------


def _fast_bytes(schema: dict[str, Any]) -> Any:
    return {**schema, "strict": True}


def _full_bytes(schema: dict[str, Any]) -> Any:
    exact = core_schema.no_info_before_validator_function(_bytes_value, schema)
    return _first_fast(_fast_bytes(schema), exact)


def _bytes_value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise PydanticCustomError(
                "bytes_base64", "Input should be bytes or a base64 string"
            ) from None
    return value


# -- errors -------------------------------------------------------------------------------------


def issues_from(
    exc: pydantic.ValidationError,
    *,
    batch: bool,
    hide_input: bool,
    prefix: Sequence[Any] = (),
    rows: Sequence[int] | None = None,
) -> list[Issue]:
    """typedmodel issues for pydantic's errors.

    With `batch`, the first step of each location is the row; `rows` maps it to the row's index
    in the caller's batch (when pydantic saw a subset of the rows).
    """
    out = []
    for err in exc.errors(include_url=False, include_context=False):
        loc = tuple(err["loc"])
        if _FAST_LABEL in loc:
            continue  # the same value's error from the exact choice says it all
        if _EXACT_LABEL in loc:
            loc = tuple(part for part in loc if part != _EXACT_LABEL)
        row = None
        if batch and loc and isinstance(loc[0], int):
            row, loc = loc[0], loc[1:]
            if rows is not None:
                row = int(rows[row])
        kind, msg = err["type"], err["msg"]
        if kind in _TOO_DEEP:
            kind, msg = "too_deep", "Input is nested too deeply"
        value = err.get("input")
        out.append(
            Issue(
                row,
                (*prefix, *loc),
                kind,
                msg,
                OMITTED if hide_input or kind in ("missing", "too_deep") else value,
            )
        )
    return out
