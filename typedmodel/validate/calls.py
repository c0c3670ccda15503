"""`OutputValidator` (predict's return hint) and `ParamsValidator` (explicit `ParamSchema` and/or
predict's params hint).
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

import pydantic
import typing_extensions

from typedmodel.errors import OMITTED, Issue, SchemaError, ValidationError
from typedmodel.hints import _wire_name
from typedmodel.schema import Array, DType, ParamSchema, ParamSpec
from typedmodel.validate._common import OUTPUT_TITLE
from typedmodel.validate._core import ExactValidator, issues_from
from typedmodel.validate.tree_hints import tree_to_hint

PARAMS = "params"  # the first step of every params issue's loc


class OutputValidator:
    """Validates predict's return value against its hint; returns the validated value."""

    def __init__(self, hint: Any, *, batch: bool) -> None:
        self.exact = ExactValidator(hint)
        self.batch = batch
        self.hint = hint
        self._rows: Any = None

    def validate(self, value: Any) -> Any:
        if self.batch and _is_columns(value):
            return self._from_columns(value)
        if self.batch and not isinstance(value, (list, tuple)) and hasattr(value, "tolist"):
            value = value.tolist()  # an array or Series of outputs
        try:
            return self.exact.validate(value)
        except pydantic.ValidationError as exc:
            raise ValidationError(
                issues_from(exc, batch=self.batch, hide_input=False), title=OUTPUT_TITLE
            ) from None

    def _from_columns(self, value: Any) -> Any:
        """A DataFrame or a dict of columns returned for ``list[X]``: read as an input batch
        is (a row per row, a column per field), then validated."""
        import typing

        from typedmodel.validate.rows import BatchValidator

        if self._rows is None:
            (element,) = typing.get_args(self.hint) or (Any,)
            self._rows = BatchValidator(element)
        try:
            return self._rows.validate(value)
        except ValidationError as exc:
            raise ValidationError(exc.issues, title=OUTPUT_TITLE) from None


def _is_columns(value: Any) -> bool:
    import sys

    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(value, pd.DataFrame):
        return True
    return (
        isinstance(value, Mapping)
        and bool(value)
        and all(isinstance(v, (list, tuple)) or hasattr(v, "tolist") for v in value.values())
    )


def output_validator(hint: Any, *, batch: bool) -> OutputValidator | None:
    """An output validator, or None when the hint is not one pydantic can check."""
    try:
        return OutputValidator(hint, batch=batch)
    except (pydantic.PydanticSchemaGenerationError, TypeError):
        return None


class ParamsValidator:
    """Checks params against an explicit `ParamSchema` and/or predict's params hint (a pydantic
    model, dataclass, TypedDict or ``dict[str, X]``; see `typedmodel.hints.params_type`).

    Unknown names and wrong types are issues listing what is allowed; defaults are filled.
    Conversions follow MLflow's params rules (an int is a fine double; 1.5, True or "5" is not
    a long). Every issue of every param comes back in one `ValidationError`.
    """

    def __init__(self, schema: ParamSchema | None, hint: Any, *, hide_input: bool = False) -> None:
        self.schema = schema
        self.hint = hint
        self.hide_input = hide_input
        names: set[str] = set(schema.names()) if schema is not None else set()
        self._hint_names: set[str] | None = set()  # None: the hint takes any name
        if hint is not None and typing.get_origin(hint) in (dict, Mapping):
            self._hint_names = None
        elif isinstance(hint, type) and issubclass(hint, pydantic.BaseModel):
            for name, info in hint.model_fields.items():
                self._hint_names.update({name, _wire_name(name, info)})
        elif hint is not None:
            self._hint_names.update(typing.get_type_hints(hint))
        names.update(self._hint_names or ())
        self.allowed = sorted(names)
        # Any name is taken when the signature says so (a dict[str, X] hint, unless an explicit
        # schema lists the names).
        self.open = schema.values is not None if schema is not None else self._hint_names is None
        self._hint = ExactValidator(hint) if hint is not None else None
        plain_class = isinstance(hint, type) and not typing_extensions.is_typeddict(hint)
        self._instance = hint if plain_class else None
        self._limits = {
            spec.name: ExactValidator(tree_to_hint(_param_node(spec), spec.constraints))
            for spec in (schema.params if schema is not None else ())
            if spec.constraints
        }

    def _hint_knows(self, name: str) -> bool:
        return self._hint is not None and (self._hint_names is None or name in self._hint_names)

    def validate(self, params: Any) -> Any:
        if self._instance is not None and isinstance(params, self._instance):
            return params  # already validated (an instance of the params model or dataclass)
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise ValidationError(
                [
                    Issue(
                        None,
                        (),
                        "dict_type",
                        f"params must be a dict of name -> value, got {type(params).__name__}",
                    )
                ],
                title="params",
            )
        if self.schema is None and self.hint is None:
            return dict(params)
        # An unknown name is the input here (the caller wrote it), so hiding inputs hides it.
        issues = [
            Issue(
                None,
                (PARAMS,),
                "unknown_param",
                f"Unknown param; allowed: {self.allowed}",
                OMITTED if self.hide_input else name,
            )
            for name in params
            if not self.open and name not in self.allowed
        ]
        out: dict[str, Any] = {}
        bad: set[str] = set()
        for spec in self.schema.params if self.schema is not None else ():
            if spec.name not in params:
                if spec.default is not None or not self._hint_knows(spec.name):
                    out[spec.name] = spec.default  # else the hint fills it, or says it's missing
                continue
            try:
                out[spec.name] = self._check_spec(spec, params[spec.name])
            except ValidationError as exc:
                bad.add(spec.name)
                issues.extend(exc.issues)
        for name, value in params.items():
            if name in out or name in bad or (not self.open and name not in self.allowed):
                continue
            if self.schema is not None and self.schema.values is not None:
                try:
                    value = self.schema.validate_other(name, value)
                except SchemaError as exc:
                    bad.add(name)
                    issues.append(self._issue((PARAMS, name), "param_type", str(exc), value))
                    continue
            out[name] = value
        result: Any = out
        if self._hint is not None:
            try:
                result = self._hint.validate(out)
            except pydantic.ValidationError as exc:
                found = issues_from(exc, batch=False, hide_input=self.hide_input, prefix=(PARAMS,))
                issues.extend(i for i in found if len(i.loc) < 2 or i.loc[1] not in bad)
        if issues:
            raise ValidationError(issues, title="params", hide_input=self.hide_input)
        return result

    def _check_spec(self, spec: ParamSpec, value: Any) -> Any:
        try:
            value = spec.validate(value)
        except SchemaError as exc:  # its message names what is wanted, not the value
            raise ValidationError(
                [self._issue((PARAMS, spec.name), "param_type", str(exc), value)]
            ) from None
        limits = self._limits.get(spec.name)
        if limits is None or value is None:
            return value
        try:
            return limits.validate(value)
        except pydantic.ValidationError as exc:
            raise ValidationError(
                issues_from(
                    exc, batch=False, hide_input=self.hide_input, prefix=(PARAMS, spec.name)
                )
            ) from None

    def _issue(self, loc: tuple[Any, ...], kind: str, msg: str, value: Any) -> Issue:
        return Issue(None, loc, kind, msg, OMITTED if self.hide_input else value)


def _param_node(spec: ParamSpec) -> DType:
    return Array(spec.dtype) if spec.shape is not None else spec.dtype
