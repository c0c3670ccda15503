"""Tensors: arrays checked against a `TensorSpec`'s dtype and shape.

An array (or JSON's nested lists) is cast to the spec's dtype only when every value is held
exactly, by the number rule of `typedmodel.schema.rules`: integers within the dtype's range,
whole floats for an integer dtype, integers a float dtype holds exactly, finite floats within a
narrower float's range; never a bool as a number. Strings go into a ``str`` tensor, bytes (or
base64 strings, as JSON carries bytes) into a ``bytes`` one, ISO 8601 strings into a
``datetime64`` one; an ``object`` tensor holds anything.
"""

from __future__ import annotations

import base64
import binascii
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from typedmodel.errors import Issue, TypedModelWarning, ValidationError, short_names
from typedmodel.schema import Schema, TensorSpec
from typedmodel.validate._common import batch_type_issue
from typedmodel.validate._numbers import beyond_range, fractional, ints_held, overflows

__all__ = ["TensorEnforcer"]


class TensorEnforcer:
    """Enforces a `Schema` of TensorSpecs: one array, or a dict of named arrays."""

    def __init__(self, schema: Schema, *, hide_input: bool = False) -> None:
        self.specs: list[TensorSpec] = list(schema.inputs)  # type: ignore[arg-type]
        self.named = schema.has_input_names()
        self.hide_input = hide_input

    def validate(self, data: Any) -> Any:
        issues: list[Issue] = []
        if not self.named:
            if isinstance(data, pd.DataFrame):
                data = data.to_numpy()
            if isinstance(data, Mapping):
                raise batch_type_issue(data, "one array")
            value = tensor(data, self.specs[0], None, issues)
            if issues:
                raise ValidationError(issues, hide_input=self.hide_input)
            return value
        data = self._named(data)
        extra = sorted(str(k) for k in data if k not in {s.name for s in self.specs})
        if extra:
            names = short_names(extra)
            warnings.warn(
                f"inputs {names} are not in the model's input schema and were dropped",
                TypedModelWarning,
                stacklevel=4,
            )
        out = {}
        for spec in self.specs:
            name = str(spec.name)
            if name not in data:
                issues.append(Issue(None, (name,), "missing_tensor", "Required tensor is missing"))
                continue
            out[name] = tensor(data[name], spec, name, issues)
        if issues:
            raise ValidationError(issues, hide_input=self.hide_input)
        return out

    def _named(self, data: Any) -> Mapping[Any, Any]:
        if isinstance(data, pd.DataFrame):
            return {str(c): data[c].to_numpy() for c in data.columns}
        if isinstance(data, list) and data and all(isinstance(r, Mapping) for r in data):
            # MLflow's "instances" form: one dict per example; stack each name's values.
            return {
                key: [row.get(key) for row in data]
                for key in dict.fromkeys(k for r in data for k in r)
            }
        if isinstance(data, Mapping):
            return data
        if len(self.specs) == 1:
            return {self.specs[0].name: data}
        raise batch_type_issue(data, "a dict of named arrays")


def tensor(value: Any, spec: TensorSpec, name: str | None, issues: list[Issue]) -> Any:
    """`value` as an array of `spec`'s dtype and shape, or the issues that prevent it."""
    loc = (name,) if name is not None else ()
    where = f"tensor {name!r}" if name else "the tensor"
    target = spec.type
    try:
        arr = _as_array(value, target)
    except (ValueError, TypeError, OverflowError, RecursionError):
        issues.append(Issue(None, loc, "tensor_type", f"{where} is not a rectangular array"))
        return value
    if arr.dtype != target:
        converted, problem = _cast(arr, target)
        if problem is not None:
            kind, msg = problem
            issues.append(Issue(None, loc, kind, f"{where}: {msg}"))
            return value
        arr = converted
    if arr.ndim != len(spec.shape) or any(
        want not in (-1, got) for want, got in zip(spec.shape, arr.shape, strict=False)
    ):
        issues.append(
            Issue(
                None,
                loc,
                "tensor_shape",
                f"{where} has shape {tuple(arr.shape)}; expected {spec.shape} (-1: any size)",
            )
        )
    return arr


def _as_array(value: Any, target: np.dtype[Any]) -> Any:
    """`value` as an array whose dtype says what its values are: JSON's nested lists (or an
    object array) are read value by value, so that ``[1, True]`` is not ints and ``[1, "a"]``
    is not strings, as numpy's own promotion would make them."""
    if isinstance(value, np.ndarray) and value.dtype.kind != "O":
        return value
    np.asarray(value)  # a ragged list is refused here
    cells = np.asarray(value, dtype=object)
    if target.kind == "O" or cells.size == 0:
        return cells if target.kind == "O" else np.asarray(value)
    kinds = {_kind(v) for v in cells.flat}
    if len(kinds) == 1 or kinds == {"i", "f"}:
        kind = "f" if kinds == {"i", "f"} else kinds.pop()
        if kind == "i":
            try:
                return cells.astype(np.int64)
            except OverflowError:
                return cells  # integers beyond int64: checked one by one
        if kind == "f" and "i" in kinds | {kind} and _big_ints(cells):
            return cells
        if kind in "bfUS":
            return cells.astype({"b": bool, "f": np.float64, "U": str, "S": bytes}[kind])
    return cells


def _kind(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "b"
    if isinstance(value, (int, np.integer)):
        return "i"
    if isinstance(value, (float, np.floating)):
        return "f"
    if isinstance(value, str):
        return "U"
    if isinstance(value, bytes):
        return "S"
    return "O"


def _big_ints(cells: Any) -> bool:
    return any(isinstance(v, int) and abs(v) > 2**53 for v in cells.flat)


def _cast(arr: Any, target: np.dtype[Any]) -> tuple[Any, tuple[str, str] | None]:
    """`arr` cast to `target` when every value is held exactly, else the issue."""
    src = arr.dtype.kind
    want = target.kind
    flat = arr.reshape(-1)
    if want == "O":
        return arr.astype(object), None
    if src == "O" and want in "iuf" and all(_kind(v) in "if" for v in flat):
        return _cast_python_numbers(arr, target)
    if (src == "b" and want in "iuf") or (src in "iuf" and want == "b"):
        return arr, (
            "tensor_dtype",
            f"has dtype {arr.dtype}; expected {target} (no bool as a number)",
        )
    if want in "iu" and src in "iuf":
        if src == "f" and fractional(flat).any():
            return arr, (
                "number_inexact",
                f"has values that are not whole numbers; expected {target}",
            )
        if beyond_range(flat, target).any():
            return arr, ("number_range", f"has values outside the range of {target}")
        return arr.astype(target), None
    if want == "f" and src in "iu":
        if not ints_held(flat, target).all():
            return arr, ("number_inexact", f"has integers that {target} can't hold exactly")
        return arr.astype(target), None
    if want == "f" and src == "f":
        if arr.dtype.itemsize > target.itemsize and overflows(flat, target).any():
            return arr, ("number_range", f"has values outside the range of {target}")
        with np.errstate(over="ignore"):
            return arr.astype(target), None
    if want == "U" and src in "UO" and all(isinstance(v, str) for v in flat):
        return arr.astype(target), None
    if want == "S" and src in "SUO":
        decoded = _bytes(flat)
        if decoded is None:
            return arr, ("tensor_dtype", "has values that are neither bytes nor base64 strings")
        return np.array(decoded, dtype=object).astype(target).reshape(arr.shape), None
    if want == "M" and src in "UOM":
        try:
            return arr.astype(target), None
        except (ValueError, TypeError):
            return arr, ("tensor_dtype", f"has values that are not ISO 8601 datetimes ({target})")
    return arr, ("tensor_dtype", f"has dtype {arr.dtype}; expected {target} (only exact casts)")


def _cast_python_numbers(arr: Any, target: np.dtype[Any]) -> tuple[Any, tuple[str, str] | None]:
    """Python numbers too large for numpy's own dtypes, checked one by one."""
    values = arr.reshape(-1).tolist()
    if target.kind in "iu":
        info = np.iinfo(target)
        if any(isinstance(v, float) and not float(v).is_integer() for v in values):
            return arr, (
                "number_inexact",
                f"has values that are not whole numbers; expected {target}",
            )
        if any(not info.min <= int(v) <= info.max for v in values):
            return arr, ("number_range", f"has values outside the range of {target}")
        return np.array([int(v) for v in values], dtype=target).reshape(arr.shape), None
    held = []
    for v in values:
        try:
            with np.errstate(over="ignore"):
                cast = target.type(float(v))
        except OverflowError:  # an integer beyond any float
            cast = target.type(np.inf)
        if np.isinf(cast) and not np.isinf(float(v) if isinstance(v, float) else 0.0):
            return arr, ("number_range", f"has values outside the range of {target}")
        if isinstance(v, int) and int(cast) != v:
            return arr, ("number_inexact", f"has integers that {target} can't hold exactly")
        held.append(cast)
    return np.array(held, dtype=target).reshape(arr.shape), None


def _bytes(values: Any) -> list[bytes] | None:
    out = []
    for v in values:
        if isinstance(v, (bytes, np.bytes_)):
            out.append(bytes(v))
        elif isinstance(v, str):
            try:
                out.append(base64.b64decode(v, validate=True))
            except (binascii.Error, ValueError):
                return None
        else:
            return None
    return out
