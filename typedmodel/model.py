"""`PythonModel`, `typed` and `signature_of`: read ``predict`` once, wrap it, validate each call.

The hints are read and the validators compiled when the class (or function) is defined, never
per call; a bad hint is a `SchemaError` right there. The wrapper then:

1. sorts out the call (``predict(rows)``, ``predict(context, rows)``, ``params=...``),
2. coerces and validates the batch and the params (every issue, raised once),
3. calls the user's ``predict`` with validated data,
4. validates the output against the return hint and returns the validated value.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar, overload

import pydantic

from typedmodel.errors import Issue, SchemaError, ValidationError
from typedmodel.hints import BatchKind, PredictHints, caller_namespace, read_predict
from typedmodel.signature import ModelSignature
from typedmodel.validate import (
    BatchValidator,
    FrameValidator,
    OutputValidator,
    ParamsValidator,
    SchemaEnforcer,
    output_validator,
)

__all__ = ["PythonModel", "signature_of", "typed"]

T = TypeVar("T")
_ATTR = "__typedmodel__"
_OPTIONS = "__typedmodel_options__"


@dataclass(frozen=True)
class Options:
    """How a typed predict validates."""

    signature: ModelSignature | None = None
    strict: bool = False
    validate_output: bool = True
    hide_input: bool = False


class Compiled:
    """Everything a wrapped predict needs, built once: hints, signature and validators."""

    def __init__(self, hints: PredictHints, options: Options) -> None:
        self.hints = hints
        self.options = options
        explicit = options.signature
        if explicit is not None and not isinstance(explicit, ModelSignature):
            raise SchemaError(f"signature= must be a ModelSignature, got {explicit!r}")
        self.signature = _merge(hints, explicit)
        try:
            self.input = self._input_validator()
        except (pydantic.PydanticUserError, pydantic.PydanticSchemaGenerationError) as exc:
            # pydantic refuses the hint (typing.TypedDict before Python 3.12, say): a definition
            # error, raised where the class is defined, like every other bad hint.
            name = getattr(hints.func, "__qualname__", "predict")
            raise SchemaError(f"{name}: pydantic can't validate the input hint: {exc}") from None
        self.output: OutputValidator | None = None
        if options.validate_output and hints.output_kind is BatchKind.LIST:
            self.output = output_validator(hints.return_hint, batch=True)
        elif options.validate_output and _checkable_return(hints.return_hint):
            self.output = output_validator(hints.return_hint, batch=False)
        params_schema = self.signature.params if self.signature is not None else None
        self.params = ParamsValidator(
            params_schema, hints.params_model, hide_input=options.hide_input
        )
        self.takes_params = hints.params_name is not None
        self.has_params_schema = params_schema is not None or hints.params_model is not None
        self.wants_frame = hints.input_kind is BatchKind.FRAME

    def _input_validator(self) -> BatchValidator | FrameValidator | SchemaEnforcer | None:
        hints, options = self.hints, self.options
        if hints.input_kind is BatchKind.LIST:
            return BatchValidator(
                hints.element_hint, strict=options.strict, hide_input=options.hide_input
            )
        if hints.input_kind is BatchKind.COLUMNAR:
            return FrameValidator(
                hints.element_hint, strict=options.strict, hide_input=options.hide_input
            )
        if self.signature is not None and self.signature.inputs is not None:
            return SchemaEnforcer(self.signature.inputs, hide_input=options.hide_input)
        return None

    def validate_input(self, data: Any) -> Any:
        if self.input is not None:
            return self.input.validate(data)
        if self.wants_frame:
            return _as_frame(data)
        return data

    def validate_params(self, params: Any) -> Any:
        if not self.takes_params:
            if params:
                raise ValidationError(
                    [Issue(None, (), "no_params", "This model's predict takes no params")],
                    title="params",
                )
            return None
        if params is None and not self.has_params_schema:
            return None
        return self.params.validate(params)

    def validate_output(self, value: Any) -> Any:
        if self.output is None:
            return value
        return self.output.validate(value)


def _checkable_return(hint: Any) -> bool:
    return hint not in (inspect.Parameter.empty, Any, None, type(None))


def _merge(hints: PredictHints, explicit: ModelSignature | None) -> ModelSignature | None:
    """Hints and an explicit signature, part by part; explicit wins for what it defines."""
    parts = {"inputs": hints.inputs, "outputs": hints.outputs, "params": hints.params}
    if explicit is not None:
        for name in parts:
            if getattr(explicit, name) is not None:
                parts[name] = getattr(explicit, name)
    if all(v is None for v in parts.values()):
        return None
    return ModelSignature(**parts)  # type: ignore[arg-type]


def _as_frame(data: Any) -> Any:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    try:
        return pd.DataFrame(data)
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            [Issue(None, (), "frame_type", f"Input can't be read as a DataFrame: {exc}")]
        ) from None


# ---------------------------------------------------------------------------------------------
# Wrapping
# ---------------------------------------------------------------------------------------------


def _split_call(
    compiled: Compiled, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Any, Any]:
    """(context, data, params) from the ways a caller may call predict."""
    hints = compiled.hints
    kwargs = dict(kwargs)
    context = kwargs.pop("context", None)
    params = kwargs.pop(hints.params_name or "params", None)
    missing = object()
    data = kwargs.pop(hints.input_name, missing)
    if data is missing and "model_input" in kwargs:
        data = kwargs.pop("model_input")
    if kwargs:
        raise TypeError(f"predict() got unexpected keyword arguments {sorted(kwargs)}")
    args_list = list(args)
    if data is missing:
        if not args_list:
            raise TypeError("predict() missing the input batch")
        if hints.has_context and len(args_list) >= 2:
            context = args_list.pop(0)
        data = args_list.pop(0)
    elif hints.has_context and args_list:
        context = args_list.pop(0)
    if args_list:
        params = args_list.pop(0)
    if args_list:
        raise TypeError("predict() got too many positional arguments")
    return context, data, params


def _wrap(func: Callable[..., Any], compiled: Compiled, *, is_method: bool) -> Callable[..., Any]:
    hints = compiled.hints

    def call_args(
        args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[list[Any], dict[str, Any]]:
        self_args = list(args[:1]) if is_method else []
        rest = args[1:] if is_method else args
        context, data, params = _split_call(compiled, rest, kwargs)
        validated_params = compiled.validate_params(params)
        validated = compiled.validate_input(data)
        pos = [*self_args]
        if hints.has_context:
            pos.append(context)
        pos.append(validated)
        kw = {hints.params_name: validated_params} if hints.params_name is not None else {}
        return pos, kw

    if hints.is_async:

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            pos, kw = call_args(args, kwargs)
            return compiled.validate_output(await func(*pos, **kw))

        wrapper: Callable[..., Any] = async_wrapper
    else:
        fast = _fast_path(compiled)
        arity = 2 if is_method else 1
        lead: tuple[Any, ...] = (None,) if hints.has_context else ()
        extra = {hints.params_name: None} if hints.params_name is not None else {}

        @functools.wraps(func)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            if fast is not None and not kwargs and len(args) == arity and type(args[-1]) is list:
                # The common call, predict(rows): the list goes straight to pydantic-core.
                try:
                    rows = fast.core(args[-1])
                except pydantic.ValidationError as exc:
                    raise fast.error(exc) from None
                return compiled.validate_output(func(*args[:-1], *lead, rows, **extra))
            pos, kw = call_args(args, kwargs)
            return compiled.validate_output(func(*pos, **kw))

        wrapper = sync_wrapper
    setattr(wrapper, _ATTR, compiled)
    return wrapper


def _fast_path(compiled: Compiled) -> BatchValidator | None:
    """The batch validator when a plain ``predict(rows)`` call needs nothing else."""
    if not isinstance(compiled.input, BatchValidator) or compiled.input.strict:
        return None
    if compiled.takes_params and compiled.has_params_schema:
        return None  # params defaults must be validated (and built) on every call
    return compiled.input


def _original(func: Any) -> Any:
    """The user's predict under any typedmodel wrapper."""
    while hasattr(func, _ATTR):
        func = func.__wrapped__
    return func


def _install(cls: type, options: Options, localns: dict[str, Any]) -> None:
    predict = cls.__dict__.get("predict")
    if predict is None:
        return
    if isinstance(predict, (staticmethod, classmethod)):
        raise SchemaError(
            f"{cls.__name__}.predict must be a plain method, not a {type(predict).__name__}"
        )
    func = _original(predict)
    hints = read_predict(func, is_method=True, localns=localns)
    setattr(cls, "predict", _wrap(func, Compiled(hints, options), is_method=True))  # noqa: B010
    setattr(cls, _OPTIONS, options)


def _inherited_options(cls: type) -> Options:
    options: Options = getattr(cls, _OPTIONS, Options())
    return replace(options, signature=None)  # an explicit signature belongs to its own class


class PythonModel:
    """Base class for typed models: a subclass's ``predict`` is wrapped from its hints.

    Examples:
        >>> import typedmodel as tm
        >>> class Doubler(tm.PythonModel):
        ...     def predict(self, context, model_input: list[float]) -> list[float]:
        ...         return [2 * x for x in model_input]
        >>> Doubler().predict([1, "2.5"])
        [2.0, 5.0]
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "predict" in cls.__dict__:
            _install(cls, _inherited_options(cls), caller_namespace(1))

    def load_context(self, context: Any) -> None:
        """Load artifacts before predicting; called once after loading. Does nothing here."""


@overload
def typed(obj: T, /) -> T: ...


@overload
def typed(
    *,
    signature: ModelSignature | None = None,
    strict: bool = False,
    validate_output: bool = True,
    hide_input: bool = False,
) -> Callable[[T], T]: ...


def typed(
    obj: Any = None,
    /,
    *,
    signature: ModelSignature | None = None,
    strict: bool = False,
    validate_output: bool = True,
    hide_input: bool = False,
) -> Any:
    """Wrap ``predict`` (of a class, or a bare function) so batches are validated first.

    Args:
        signature: an explicit signature; merged with the hints part by part (it wins for the
            parts it defines). Without hints it is enforced on DataFrames and arrays.
        strict: pydantic strict mode (no ``"3"`` -> 3).
        validate_output: validate predict's output against its return hint.
        hide_input: leave input values out of error messages and issues (sensitive data).

    Examples:
        >>> import typedmodel as tm
        >>> @tm.typed
        ... def lengths(model_input: list[str]) -> list[int]:
        ...     return [len(s) for s in model_input]
        >>> lengths(["ab", "c"])
        [2, 1]
    """
    options = Options(signature, strict, validate_output, hide_input)
    localns = caller_namespace(1)

    def apply(target: Any) -> Any:
        if isinstance(target, type):
            if "predict" not in target.__dict__ and not hasattr(target, "predict"):
                raise SchemaError(f"@typed class {target.__name__} has no predict method")
            if "predict" not in target.__dict__:
                # Inherited predict: wrap it here with these options.
                target.predict = _original(target.predict)  # type: ignore[attr-defined]
            _install(target, options, localns)
            if not issubclass(target, PythonModel):
                _add_subclass_hook(target)
            return target
        if callable(target):
            func = _original(target)
            hints = read_predict(func, is_method=False, localns=localns)
            return _wrap(func, Compiled(hints, options), is_method=False)
        raise SchemaError(f"@typed takes a class with predict or a function, got {target!r}")

    if obj is None:
        return apply
    return apply(obj)


def _add_subclass_hook(cls: type) -> None:
    """Subclasses of a @typed class re-read the hints of their own predict."""
    previous = cls.__dict__.get("__init_subclass__")

    def __init_subclass__(sub: Any, /, **kwargs: Any) -> None:
        if previous is not None:
            previous.__func__(sub, **kwargs)
        else:
            super(cls, sub).__init_subclass__(**kwargs)  # type: ignore[arg-type]
        if "predict" in sub.__dict__:
            _install(sub, _inherited_options(sub), caller_namespace(1))

    cls.__init_subclass__ = classmethod(__init_subclass__)  # type: ignore[assignment,method-assign]


def compiled_of(obj: Any) -> Compiled | None:
    """The compiled predict of a typed class, instance or function (None when untyped)."""
    target = obj
    if not isinstance(obj, type) and not callable(getattr(obj, _ATTR, None)):
        if hasattr(obj, "predict") and not inspect.isfunction(obj):
            target = obj.predict
    elif isinstance(obj, type):
        target = getattr(obj, "predict", None)
    found = getattr(target, _ATTR, None)
    if isinstance(found, Compiled):
        return found
    return None


def signature_of(obj: Any) -> ModelSignature:
    """The `ModelSignature` of a typed class, instance or function, a loaded model, or a saved
    model directory (read from its ``MLmodel`` file alone: nothing is unpickled).

    A class or function that is not typed but has hints on ``predict`` gives the signature its
    hints describe.

    Raises:
        SchemaError: when `obj` has neither hints nor an explicit signature.

    Examples:
        >>> import typedmodel as tm
        >>> @tm.typed
        ... def scores(model_input: list[str]) -> list[float]:
        ...     return [0.0 for _ in model_input]
        >>> tm.signature_of(scores).inputs
        Schema([ColSpec(DataType.string)])
    """
    if isinstance(obj, (str, os.PathLike)):
        from typedmodel.store import read_signature

        found = read_signature(obj)
        if found is None:
            raise SchemaError(f"the model saved at {obj} has no signature")
        return found
    loaded_signature = getattr(obj, "signature", None)
    if isinstance(loaded_signature, ModelSignature) and hasattr(obj, "model"):
        return loaded_signature  # a LoadedModel
    compiled = compiled_of(obj)
    if compiled is None:
        compiled = _compile_untyped(obj)
    if compiled is None or compiled.signature is None:
        name = getattr(obj, "__name__", type(obj).__name__)
        raise SchemaError(
            f"{name} has no signature: add type hints to predict, pass signature= to @typed, "
            "or infer one from an example with infer_signature"
        )
    return compiled.signature


def _compile_untyped(obj: Any) -> Compiled | None:
    if isinstance(obj, type):
        func, is_method = getattr(obj, "predict", None), True
    elif inspect.isfunction(obj):
        func, is_method = obj, False
    else:
        predict = getattr(obj, "predict", None)
        func, is_method = getattr(predict, "__func__", None), True
    if func is None:
        return None
    return Compiled(read_predict(func, is_method=is_method), Options())
