"""`OutputValidator` (predict's return hint) and `ParamsValidator` (explicit `ParamSchema` and/or
a pydantic params model).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pydantic

from typedmodel.errors import OMITTED, Issue, SchemaError, ValidationError
from typedmodel.hints import _wire_name
from typedmodel.schema import ParamSchema
from typedmodel.validate._common import OUTPUT_TITLE
from typedmodel.validate._core import ExactValidator, issues_from

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
    """Checks params against an explicit `ParamSchema` and/or a pydantic params model.

    Unknown names and wrong types are issues listing what is allowed; defaults are filled.
    Conversions follow MLflow's params rules (an int is a fine double; 1.5, True or "5" is not
    a long).
    """

    def __init__(
        self,
        schema: ParamSchema | None,
        model: type[pydantic.BaseModel] | None,
        *,
        hide_input: bool = False,
    ) -> None:
        self.schema = schema
        self.model = model
        self.hide_input = hide_input
        names: set[str] = set(schema.names()) if schema is not None else set()
        if model is not None:
            for name, info in model.model_fields.items():
                names.update({name, _wire_name(name, info)})
        self.allowed = sorted(names)
        self._model = ExactValidator(model) if model is not None else None

    def validate(self, params: Any) -> Any:
        if self.model is not None and isinstance(params, self.model):
            return params  # already validated (an instance of the params model)
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
        if self.schema is None and self.model is None:
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
            if name not in self.allowed
        ]
        out: dict[str, Any] = {}
        if self.schema is not None:
            for spec in self.schema.params:
                if spec.name not in params:
                    out[spec.name] = spec.default
                    continue
                try:
                    out[spec.name] = spec.validate(params[spec.name])
                except SchemaError as exc:  # its message names what is wanted, not the value
                    issues.append(
                        Issue(
                            None,
                            (PARAMS, spec.name),
                            "param_type",
                            str(exc),
                            OMITTED if self.hide_input else params[spec.name],
                        )
                    )
        for name, value in params.items():
            if name in self.allowed and name not in out:
                out[name] = value
        if issues:
            raise ValidationError(issues, title="params", hide_input=self.hide_input)
        if self._model is None:
            return out
        try:
            return self._model.validate(out)
        except pydantic.ValidationError as exc:
            raise ValidationError(
                issues_from(exc, batch=False, hide_input=self.hide_input, prefix=(PARAMS,)),
                title="params",
                hide_input=self.hide_input,
            ) from None
