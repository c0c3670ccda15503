"""Inputs and outputs: `ColSpec` (a column) and `TensorSpec` (a tensor)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from typedmodel.errors import SchemaError

if TYPE_CHECKING:
    import numpy as np

from typedmodel.schema.nodes import MISSING, Constraints, DataType, DType, _holder_repr, _set_holder


@dataclass(frozen=True, slots=True, init=False)
class ColSpec:
    """A column: its type, its name (None for an unnamed column) and whether it is required.

    Examples:
        >>> ColSpec("double", "x")
        ColSpec(DataType.double, name='x')
    """

    type: DType
    name: str | int | None
    required: bool
    description: str | None
    default: Any
    constraints: Constraints
    nullable: bool

    def __init__(
        self,
        type: DType | str,  # MLflow's parameter name, kept for compatibility
        name: str | int | None = None,
        required: bool = True,
        *,
        description: str | None = None,
        default: Any = MISSING,
        constraints: Constraints | None = None,
        nullable: bool | None = None,
    ) -> None:
        if name is not None and not _is_name(name):
            raise SchemaError(
                f"a column name must be a non-empty string, an integer or None, got {name!r}"
            )
        _set_holder(
            self, name, type, required, description, default, constraints, nullable, "ColSpec"
        )

    def __repr__(self) -> str:
        name = f", name={self.name!r}" if self.name is not None else ""
        return f"ColSpec({self.type!r}{name}{_holder_repr(self)})"


@dataclass(frozen=True, slots=True, init=False)
class TensorSpec:
    """A tensor: numpy dtype, shape (``-1`` for any size) and optional name.

    `type` may be a numpy dtype, a numpy scalar type (``np.float32``), a dtype string
    (``"float32"``) or a numeric DataType.

    Examples:
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


def _is_name(name: Any) -> bool:
    """A column name: a non-empty string, or an integer (a frame's default labels; MLflow writes
    them as JSON integers)."""
    if isinstance(name, str):
        return bool(name)
    return isinstance(name, int) and not isinstance(name, bool)


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
    if dt.kind == "V":  # "object" is allowed: MLflow infers it for arrays of Python objects
        raise SchemaError(
            f"TensorSpec type {dt!r} is not supported: use a numeric, str, bytes or object dtype"
        )
    return dt


Spec = ColSpec | TensorSpec
