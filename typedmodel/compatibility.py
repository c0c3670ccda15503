"""Signature compatibility: does a new model version break the callers of an old one?

`diff(old, new)` compares two signatures node by node and reports each change with a stable
check id (``input-column-removed``), a level and the path it is at (``inputs.applicant.age``).

Whether a change breaks callers depends on its direction. An input, or a param, breaks old
callers when the new version **refuses** something the old one accepted. An output breaks them
when the new version can **produce** something the old one could not. So each change is first
classified by what it does to the set of values a node admits:

- ``widened``: the new node admits everything the old one did, and more;
- ``narrowed``: the new node admits less;
- ``changed``: neither (``string`` -> ``long``, a new pattern);
- ``lossy``: widened, but some values are no longer held exactly (``long`` -> ``double``).

The mode then gives the level. ``backward`` (the default: the new version serves old callers)
makes narrowed inputs and widened outputs errors. ``forward`` (the old version serves new
callers) is the reverse. ``full`` is both. A ``changed`` node is an error in every mode; a
lossy one and a changed default are warnings; the rest is info.

How far a type reaches comes from the rule table (`typedmodel.schema.rules`): ``integer`` ->
``long`` widens because every int32 is an int64, and ``long`` -> ``double`` is lossy because a
double holds integers exactly only up to 2**53.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

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
    Schema,
    TensorSpec,
    UnionType,
)
from typedmodel.schema.rules import rule
from typedmodel.signature import ModelSignature

__all__ = ["LEVELS", "MODES", "Change", "Report", "diff"]

LEVELS = ("info", "warning", "error")
MODES = ("backward", "forward", "full")
_EFFECTS = ("widened", "narrowed", "changed", "lossy", "neutral")


@dataclass(frozen=True)
class Change:
    """One difference between two signatures.

    Attributes:
        id: the check's stable id, ``<role>-<subject>-<change>`` (``input-column-removed``).
        level: ``"error"`` (breaks callers), ``"warning"`` (may) or ``"info"`` (safe).
        path: where it is: ``inputs.age``, ``outputs.score``, ``params.k``, ``inputs.tags[]``.
        message: what changed, in words.
        effect: what the change does to the values admitted (see the module).
        counterexample: for an error, a batch of one row (or one call's params) that one
            version accepts and the other refuses at `path`, as JSON values; else None.
        why: for an error without a counterexample, why there is none.
    """

    id: str
    level: str
    path: str
    message: str
    effect: str
    counterexample: Any = None
    why: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "level": self.level,
            "path": self.path,
            "message": self.message,
            "effect": self.effect,
        }
        if self.level == "error":
            out["counterexample"] = self.counterexample
            out["why"] = self.why
        return out


@dataclass(frozen=True)
class Report:
    """Every change between two signatures, in the order found, and how they were judged."""

    changes: tuple[Change, ...]
    mode: str = "backward"
    ignored: int = 0  # changes a config ignored

    def at_least(self, level: str) -> list[Change]:
        """The changes of `level` or above."""
        floor = LEVELS.index(level)
        return [c for c in self.changes if LEVELS.index(c.level) >= floor]

    @property
    def breaking(self) -> bool:
        """Whether a change is an error."""
        return bool(self.at_least("error"))

    def to_dict(self) -> dict[str, Any]:
        counts = {level: sum(c.level == level for c in self.changes) for level in LEVELS}
        return {
            "mode": self.mode,
            "breaking": self.breaking,
            "counts": counts,
            "ignored": self.ignored,
            "changes": [c.to_dict() for c in self.changes],
        }

    def render(self, format: str = "text") -> str:
        """The report as ``text``, ``json``, ``markdown``, ``junit`` (XML) or ``github``
        (workflow annotations)."""
        from typedmodel import _diff_formats

        return _diff_formats.render(self, format)


def diff(
    old: Any,
    new: Any,
    *,
    mode: str = "backward",
    config: Mapping[str, Any] | None = None,
    counterexamples: bool = True,
) -> Report:
    """Compare the signatures of two model versions (anything `signature_of` takes, or a
    `ModelSignature`).

    Args:
        mode: ``"backward"`` (the new version serves the old one's callers), ``"forward"`` or
            ``"full"``.
        config: overrides, as under ``[tool.typedmodel.diff]``: ``levels`` (check id ->
            level) and ``ignore`` (a list of ``{id, path}``, each a glob; either may be left
            out).
        counterexamples: draw a counterexample for each error (with the testing extra):
            a value the wider side accepts and the other refuses at the change's path, each
            checked against both versions' validators.

    Examples:
        >>> from typedmodel import ColSpec, ModelSignature, Schema
        >>> v1 = ModelSignature(inputs=Schema([ColSpec("long", "age")]))
        >>> v2 = ModelSignature(inputs=Schema([ColSpec("integer", "age")]))
        >>> [(c.id, c.level) for c in diff(v1, v2).changes]
        [('input-type-narrowed', 'error')]
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    old_sig, new_sig = _signature(old), _signature(new)
    found = _Walk()
    found.signatures(old_sig, new_sig)
    levels, ignore = _config(config or {})
    changes, ignored = [], 0
    for id_, path, message, effect, role in found.changes:
        if any(fnmatch.fnmatchcase(id_, i) and fnmatch.fnmatchcase(path, p) for i, p in ignore):
            ignored += 1
            continue
        level = levels.get(id_) or _level(effect, role, mode, id_)
        change = Change(id_, level, path, message, effect)
        if level == "error" and counterexamples:
            from typedmodel._counterexamples import counterexample

            value, why = counterexample(change, old_sig, new_sig, mode, role)
            change = replace(change, counterexample=value, why=why)
        elif level == "error":
            change = replace(change, why="counterexamples were not asked for")
        changes.append(change)
    return Report(tuple(changes), mode, ignored)


# ---------------------------------------------------------------------------------------------
# Levels and config
# ---------------------------------------------------------------------------------------------


def _level(effect: str, role: str, mode: str, id_: str) -> str:
    if effect == "changed":
        return "error"
    if effect == "neutral":
        return "warning" if id_.endswith("default-changed") else "info"
    # What breaks old callers (backward): an input (or param) admitting less, an output more.
    bad_backward = "narrowed" if role in ("input", "param") else "widened"
    bad_forward = "widened" if bad_backward == "narrowed" else "narrowed"
    kind = "widened" if effect == "lossy" else effect
    bad = {"backward": {bad_backward}, "forward": {bad_forward}, "full": {"widened", "narrowed"}}
    if kind in bad[mode]:
        return "error"
    return "warning" if effect == "lossy" else "info"


def _config(config: Mapping[str, Any]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    levels = config.get("levels", {})
    if not isinstance(levels, Mapping) or any(v not in LEVELS for v in levels.values()):
        raise SchemaError(f"diff config 'levels' maps check ids to one of {list(LEVELS)}")
    ignore = config.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(i, Mapping) for i in ignore):
        raise SchemaError("diff config 'ignore' is a list of {id, path} tables")
    unknown = sorted(set(config) - {"levels", "ignore"})
    if unknown:
        raise SchemaError(f"unknown diff config keys {unknown}: use 'levels' and 'ignore'")
    pairs = [(str(i.get("id", "*")), str(i.get("path", "*"))) for i in ignore]
    return {str(k): str(v) for k, v in levels.items()}, pairs


def _signature(obj: Any) -> ModelSignature:
    if isinstance(obj, ModelSignature):
        return obj
    if isinstance(obj, str) and obj.startswith(("models:/", "runs:/")):
        from typedmodel.batch import _local

        obj = _local(obj)  # the version's files, from the MLflow registry or run
    from typedmodel.model import signature_of

    found = signature_of(obj)
    if found is None:
        raise SchemaError(f"{obj!r} has no signature to compare")
    return found


# ---------------------------------------------------------------------------------------------
# The walk
# ---------------------------------------------------------------------------------------------


@dataclass
class _Walk:
    """Collects (id, path, message, effect, role) for each change."""

    changes: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def add(self, role: str, subject: str, change: str, path: str, msg: str, effect: str) -> None:
        self.changes.append((f"{role}-{subject}-{change}", path, msg, effect, role))

    def signatures(self, old: ModelSignature, new: ModelSignature) -> None:
        self.schemas(old.inputs, new.inputs, "input", "inputs")
        self.schemas(old.outputs, new.outputs, "output", "outputs")
        self.params(old.params, new.params)

    # -- schemas --------------------------------------------------------------------------------

    def schemas(self, old: Schema | None, new: Schema | None, role: str, path: str) -> None:
        if old is None and new is None:
            return
        if old is None or new is None:
            # No schema admits anything: declaring one narrows, dropping one widens.
            change, effect = ("added", "narrowed") if old is None else ("removed", "widened")
            self.add(role, "schema", change, path, f"the {path} schema was {change}", effect)
            return
        if old.is_tensor_spec() != new.is_tensor_spec():
            self.add(role, "schema", "changed", path, "columns became tensors or back", "changed")
            return
        self.fields(_fields(old), _fields(new), role, path, closed=False, kind="column")

    def fields(
        self,
        old: Mapping[str, _Field],
        new: Mapping[str, _Field],
        role: str,
        path: str,
        *,
        closed: bool,
        kind: str,
    ) -> None:
        for name, was in old.items():
            where = _join(path, name)
            now = new.get(name)
            if now is None:
                self.removed(was, role, where, closed=closed, kind=kind)
            else:
                self.field(was, now, role, where)
        for name, now in new.items():
            if name not in old:
                where = _join(path, name)
                self.added(now, role, where, closed=closed, kind=kind)

    def removed(self, was: _Field, role: str, path: str, *, closed: bool, kind: str) -> None:
        if closed:  # a closed object now refuses what it required (or allowed) before
            effect = "changed" if was.required else "narrowed"
            msg = f"{kind} {path} was removed, and is refused"
        elif role == "output":  # rows without it: new when it was required
            effect = "widened" if was.required else "narrowed"
            msg = f"{kind} {path} is no longer produced"
        else:  # callers still send it, and it is dropped: admitted, but no longer used
            effect = "lossy"
            msg = f"{kind} {path} was removed: what callers send for it is ignored"
        self.add(role, kind, "removed", path, msg, effect)

    def added(self, now: _Field, role: str, path: str, *, closed: bool, kind: str) -> None:
        if role == "output" and not closed:  # callers of an open output ignore what's new
            effect = "narrowed"
        elif now.required:  # refused without it; and with it, where it was refused before
            effect = "changed" if closed else "narrowed"
        else:
            effect = "widened"
        word = "required" if now.required else "optional"
        subject = "required" if now.required else kind
        self.add(role, subject, "added", path, f"{word} {kind} {path} was added", effect)

    def field(self, was: _Field, now: _Field, role: str, path: str) -> None:
        if was.required != now.required:
            change = "optional" if was.required else "required"
            effect = "widened" if not now.required else "narrowed"
            self.add(role, "required", "changed", path, f"{path} became {change}", effect)
        # Not required is nullable too, as MLflow reads it: one change, not two.
        same_way = was.required != now.required and now.nullable == (not now.required)
        if was.nullable != now.nullable and not same_way:
            effect = "widened" if now.nullable else "narrowed"
            word = "nullable" if now.nullable else "not nullable"
            self.add(role, "nullable", "changed", path, f"{path} became {word}", effect)
        if _plain(was.default) != _plain(now.default):
            msg = f"the default of {path} changed"
            self.add(role, "default", "changed", path, msg, "neutral")
        self.constraints(was.constraints, now.constraints, role, path)
        if was.tensor is not None and now.tensor is not None:
            self.tensors(was.tensor, now.tensor, role, path)
        elif was.dtype is not None and now.dtype is not None:
            self.node(was.dtype, now.dtype, role, path)

    # -- type nodes -----------------------------------------------------------------------------

    def node(self, old: DType, new: DType, role: str, path: str) -> None:
        if isinstance(old, LiteralType) or isinstance(new, LiteralType):
            self.literal(old, new, role, path)
        elif isinstance(old, UnionType) or isinstance(new, UnionType):
            self.union(old, new, role, path)
        elif isinstance(new, AnyType) and not isinstance(old, AnyType):
            self.add(role, "type", "widened", path, f"{path} became Any", "widened")
        elif isinstance(old, AnyType) and not isinstance(new, AnyType):
            self.add(role, "type", "narrowed", path, f"{path} was Any, now {new!r}", "narrowed")
        elif isinstance(old, DataType) and isinstance(new, DataType):
            effect = _datatype_effect(old, new)
            if effect != "neutral":
                change = "widened" if effect == "lossy" else effect
                msg = f"{path} went from {old.value} to {new.value}"
                if effect == "lossy":
                    msg += " (not every value is held exactly)"
                self.add(role, "type", change, path, msg, effect)
        elif isinstance(old, Array) and isinstance(new, Array):
            self.constraints(old.item_constraints, new.item_constraints, role, f"{path}[]")
            self.node(old.dtype, new.dtype, role, f"{path}[]")
        elif isinstance(old, Map) and isinstance(new, Map):
            self.constraints(old.value_constraints, new.value_constraints, role, f"{path}{{}}")
            self.node(old.value_type, new.value_type, role, f"{path}{{}}")
        elif isinstance(old, Object) and isinstance(new, Object):
            if old.closed != new.closed:
                effect = "narrowed" if new.closed else "widened"
                word = "closed (other keys refused)" if new.closed else "open"
                self.add(role, "closed", "changed", path, f"{path} became {word}", effect)
            self.fields(
                _properties(old), _properties(new), role, path, closed=new.closed, kind="property"
            )
        else:
            msg = f"{path} went from {_kind(old)} to {_kind(new)}"
            self.add(role, "type", "changed", path, msg, "changed")

    def literal(self, old: DType, new: DType, role: str, path: str) -> None:
        if isinstance(old, LiteralType) and isinstance(new, LiteralType):
            added = [v for v in new.values if not _has(old.values, v)]
            gone = [v for v in old.values if not _has(new.values, v)]
            if added:
                self.add(role, "enum", "added", path, f"{path} allows {added} too", "widened")
            if gone:
                self.add(
                    role, "enum", "removed", path, f"{path} no longer allows {gone}", "narrowed"
                )
            return
        if isinstance(old, LiteralType):  # the values freed: the base type is what remains
            self.add(
                role, "enum", "widened", path, f"{path} is no longer limited to values", "widened"
            )
            self.node(old.base, new, role, path)
        else:
            assert isinstance(new, LiteralType)
            self.add(
                role,
                "enum",
                "narrowed",
                path,
                f"{path} is now limited to {list(new.values)}",
                "narrowed",
            )
            self.node(old, new.base, role, path)

    def union(self, old: DType, new: DType, role: str, path: str) -> None:
        was = list(old.types) if isinstance(old, UnionType) else [old]
        now = list(new.types) if isinstance(new, UnionType) else [new]
        added = [t for t in now if t not in was]
        gone = [t for t in was if t not in now]
        if added:
            self.add(role, "union", "added", path, f"{path} takes {added} too", "widened")
        if gone:
            self.add(role, "union", "removed", path, f"{path} no longer takes {gone}", "narrowed")

    def constraints(self, old: Constraints, new: Constraints, role: str, path: str) -> None:
        for name in ("ge", "gt", "min_length"):
            self.bound(getattr(old, name), getattr(new, name), role, path, name, lower=True)
        for name in ("le", "lt", "max_length"):
            self.bound(getattr(old, name), getattr(new, name), role, path, name, lower=False)
        for name in ("multiple_of", "pattern"):
            was, now = getattr(old, name), getattr(new, name)
            if was == now:
                continue
            effect = "widened" if now is None else "narrowed" if was is None else "changed"
            if name == "multiple_of" and was and now and _divides(was, now):
                effect = "narrowed"  # a multiple of 6 is a multiple of 3
            change = (
                "loosened"
                if effect == "widened"
                else "tightened"
                if effect == "narrowed"
                else "changed"
            )
            msg = f"{path}: {name} went from {was!r} to {now!r}"
            self.add(role, "constraint", change, path, msg, effect)

    def bound(self, was: Any, now: Any, role: str, path: str, name: str, *, lower: bool) -> None:
        if was == now:
            return
        if now is None or (was is not None and (now < was if lower else now > was)):
            effect, change = "widened", "loosened"
        else:
            effect, change = "narrowed", "tightened"
        msg = f"{path}: {name} went from {was!r} to {now!r}"
        self.add(role, "constraint", change, path, msg, effect)

    def tensors(self, old: TensorSpec, new: TensorSpec, role: str, path: str) -> None:
        if old.type != new.type:
            if np.can_cast(old.type, new.type, casting="safe"):
                effect = "widened"
            elif np.can_cast(new.type, old.type, casting="safe"):
                effect = "narrowed"
            else:
                effect = "changed"
            msg = f"{path}: tensor dtype went from {old.type} to {new.type}"
            self.add(role, "tensor-dtype", "changed", path, msg, effect)
        if old.shape != new.shape:
            effect = _shape_effect(old.shape, new.shape)
            msg = f"{path}: tensor shape went from {old.shape} to {new.shape}"
            self.add(role, "tensor-shape", "changed", path, msg, effect)

    # -- params ---------------------------------------------------------------------------------

    def params(self, old: ParamSchema | None, new: ParamSchema | None) -> None:
        if old is None and new is None:
            return
        was = {p.name: _param_field(p) for p in (old.params if old is not None else ())}
        now = {p.name: _param_field(p) for p in (new.params if new is not None else ())}
        for name, field_ in was.items():
            where = f"params.{name}"
            if name in now:
                self.field(field_, now[name], "param", where)
            elif new is not None and new.values is not None:
                self.node(field_.dtype or AnyType(), new.values, "param", where)
            else:  # callers still send it: an unknown param is refused
                self.add(
                    "param", "param", "removed", where, f"param {name} was removed", "narrowed"
                )
        for name in now:
            if name not in was:
                where = f"params.{name}"
                self.add(
                    "param",
                    "param",
                    "added",
                    where,
                    f"param {name} was added (with its default)",
                    "widened",
                )
        old_values = old.values if old is not None else None
        new_values = new.values if new is not None else None
        if old_values is not None and new_values is None:
            self.add(
                "param",
                "values",
                "removed",
                "params.*",
                "params of any name are refused now",
                "narrowed",
            )
        elif old_values is None and new_values is not None:
            self.add(
                "param",
                "values",
                "added",
                "params.*",
                "params of any name are taken now",
                "widened",
            )
        elif old_values is not None and new_values is not None:
            self.node(old_values, new_values, "param", "params.*")


# ---------------------------------------------------------------------------------------------
# What a field is, whatever holds it
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    dtype: DType | None
    required: bool
    nullable: bool
    default: Any
    constraints: Constraints
    tensor: TensorSpec | None = None


def _fields(schema: Schema) -> dict[str, _Field]:
    specs = list(schema.inputs)
    only = specs[0] if len(specs) == 1 else None
    if isinstance(only, ColSpec) and only.name is None and isinstance(only.type, Object):
        return _properties(only.type)  # list[Row]: the row's fields are the columns
    out = {}
    for i, spec in enumerate(specs):
        name = str(spec.name) if spec.name is not None else f"[{i}]"
        if isinstance(spec, TensorSpec):
            out[name] = _Field(None, True, False, MISSING, Constraints(), spec)
        else:
            out[name] = _Field(
                spec.type, spec.required, spec.nullable, spec.default, spec.constraints
            )
    return out


def _join(path: str, name: str) -> str:
    return f"{path}{name}" if name.startswith("[") else f"{path}.{name}"


def _properties(obj: Object) -> dict[str, _Field]:
    return {
        p.name: _Field(p.dtype, p.required, p.nullable, p.default, p.constraints)
        for p in obj.properties
    }


def _param_field(spec: ParamSpec) -> _Field:
    dtype: DType = Array(spec.dtype) if spec.shape is not None else spec.dtype
    return _Field(dtype, False, True, spec.default, spec.constraints)


def _datatype_effect(old: DataType, new: DataType) -> str:
    """What going from `old` to `new` does to the values admitted, from the rule table."""
    if old is new:
        return "neutral"
    a, b = rule(old), rule(new)
    if a.is_int and b.is_int:
        return "widened" if b.low <= a.low and a.high <= b.high else "narrowed"  # type: ignore[operator]
    if a.is_int and b.is_float:
        biggest = max(abs(a.low), abs(a.high))  # type: ignore[arg-type]
        return "widened" if biggest <= (b.exact_int or 0) else "lossy"
    if a.is_float and b.is_float:
        return "widened" if (b.high or 0) >= (a.high or 0) else "narrowed"
    return "changed"  # a float to an integer type (fractions refused, more integers exact)


def _shape_effect(old: tuple[int, ...], new: tuple[int, ...]) -> str:
    if len(old) != len(new):
        return "changed"
    wider = all(n == -1 or n == o for o, n in zip(old, new, strict=True))
    narrower = all(o == -1 or n == o for o, n in zip(old, new, strict=True))
    return "widened" if wider else "narrowed" if narrower else "changed"


def _divides(was: float, now: float) -> bool:
    ratio = now / was
    return math.isfinite(ratio) and ratio == int(ratio)


def _has(values: Sequence[Any], value: Any) -> bool:
    return any(v == value and type(v) is type(value) for v in values)


def _kind(node: DType) -> str:
    return node.value if isinstance(node, DataType) else type(node).__name__


def _plain(value: Any) -> Any:
    return None if value is MISSING else value
