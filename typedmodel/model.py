"""`PythonModel`, `typed` and `signature_of`: read ``predict`` once, wrap it, validate each call.

The hints are read and the validators compiled when the class (or function) is defined, never
per call; a bad hint is a `SchemaError` right there. Everything a call needs is one `Compiled`
record, and it is the one seam every caller goes through (the typed wrapper, a loaded model, the
server and the command line):

1. `Compiled.bind` sorts out the call (``predict(rows)``, ``predict(context, rows)``,
   ``params=...``), with a clear `TypeError` when positionals are ambiguous;
2. `Compiled.check` coerces and validates the params and the batch (every issue, raised once);
3. `Compiled.call` calls the user's ``predict`` with validated data and validates its output.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, TypeVar, overload

import pydantic

from typedmodel.errors import Issue, SchemaError, ValidationError
from typedmodel.hints import BatchKind, PredictHints, caller_namespace, read_predict
from typedmodel.signature import ModelSignature

__all__ = ["PythonModel", "signature_of", "typed"]

T = TypeVar("T")
_ATTR = "__typedmodel__"
_OPTIONS = "__typedmodel_options__"
_NOT_GIVEN: Any = object()


@dataclass(frozen=True)
class Options:
    """How a typed predict validates."""

    signature: ModelSignature | None = None
    strict: bool = False
    validate_output: bool = True
    hide_input: bool = False
    batching: bool = True  # whether a server may join concurrent requests into one call
    max_batch_size: int | None = None  # the most rows of one joined call (None: the server's)


class Call(NamedTuple):
    """One call of predict, sorted out: the context, the batch and the params."""

    context: Any
    data: Any
    params: Any


class Compiled:
    """Everything a wrapped predict needs, built once: hints, signature and validators."""

    def __init__(self, hints: PredictHints, options: Options) -> None:
        self.hints = hints
        self.options = options
        explicit = options.signature
        if explicit is not None and not isinstance(explicit, ModelSignature):
            raise SchemaError(f"signature= must be a ModelSignature, got {type(explicit).__name__}")
        self.signature = _merge(hints, explicit)
        from typedmodel.validate import ParamsValidator, output_validator

        params_schema = self.signature.params if self.signature is not None else None
        try:
            self.input = self._input_validator()
            self.params = ParamsValidator(
                params_schema, hints.params_type, hide_input=options.hide_input
            )
        except (pydantic.PydanticUserError, pydantic.PydanticSchemaGenerationError) as exc:
            # pydantic refuses the hint (typing.TypedDict before Python 3.12, say): a definition
            # error, raised where the class is defined, like every other bad hint.
            name = getattr(hints.func, "__qualname__", "predict")
            what = "params" if hasattr(self, "input") else "input"
            raise SchemaError(f"{name}: pydantic can't validate the {what} hint: {exc}") from None

        self.output: Any = None
        if options.validate_output and hints.output_kind is BatchKind.LIST:
            self.output = output_validator(hints.return_hint, batch=True)
        elif options.validate_output and _checkable_return(hints.return_hint):
            self.output = output_validator(hints.return_hint, batch=False)
        self.takes_params = hints.params_name is not None
        self.has_params_schema = params_schema is not None or hints.params_type is not None
        self.wants_frame = hints.input_kind is BatchKind.FRAME
        # Batches read row by row (list[X]): DataFrame request forms are then best handed over
        # as row dicts (no NaN standing in for a missing int).
        self.row_wise = hints.input_kind is BatchKind.LIST

    def _input_validator(self) -> Any:
        # Each validator's module is imported only when needed: list[X] models never load
        # pandas or numpy.
        hints, options = self.hints, self.options
        if hints.input_kind is BatchKind.LIST:
            from typedmodel.validate.rows import BatchValidator

            return BatchValidator(
                hints.element_hint, strict=options.strict, hide_input=options.hide_input
            )
        if hints.input_kind is BatchKind.COLUMNAR:
            from typedmodel.validate.frame import FrameValidator

            return FrameValidator(
                hints.element_hint, strict=options.strict, hide_input=options.hide_input
            )
        if self.signature is not None and self.signature.inputs is not None:
            from typedmodel.validate.explicit import SchemaEnforcer

            return SchemaEnforcer(self.signature.inputs, hide_input=options.hide_input)
        return None

    @property
    def validates_input(self) -> bool:
        """Whether the batch is checked (by hints or by an explicit input schema)."""
        return self.input is not None

    # -- the call seam --------------------------------------------------------------------------

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call:
        """(context, data, params) from the ways a caller may call predict.

        Raises:
            TypeError: for arguments predict doesn't take, or positionals that could be read
                two ways (``predict(rows, {"k": 2})`` on a model that takes a context).
        """
        hints = self.hints
        kwargs = dict(kwargs)
        context = kwargs.pop("context", None)
        params = kwargs.pop(hints.params_name or "params", None)
        if hints.params_name is not None and "params" in kwargs and hints.params_name != "params":
            params = kwargs.pop("params")
        data = kwargs.pop(hints.input_name, _NOT_GIVEN)
        if data is _NOT_GIVEN and "model_input" in kwargs:
            data = kwargs.pop("model_input")
        if kwargs:
            raise TypeError(f"predict() got unexpected keyword arguments {sorted(kwargs)}")
        rest = list(args)
        if data is _NOT_GIVEN:
            if not rest:
                raise TypeError("predict() missing the input batch")
            if hints.has_context and len(rest) >= 2:
                ambiguous = isinstance(rest[1], Mapping) and not _is_context(rest[0])
                if len(rest) == 2 and self.takes_params and ambiguous:
                    raise TypeError(
                        "predict() got two positional arguments, which could be (context, "
                        "input) or (input, params): pass params=... by keyword, or None as "
                        "the context first"
                    )
                context = rest.pop(0)
            data = rest.pop(0)
        elif hints.has_context and rest:
            context = rest.pop(0)
        if rest and self.takes_params:
            params = rest.pop(0)
        if rest:
            raise TypeError("predict() got too many positional arguments")
        return Call(context, data, params)

    def check(self, data: Any, params: Any) -> tuple[Any, Any]:
        """The validated (data, params); one `ValidationError` with the issues of both."""
        try:
            params = self.validate_params(params)
        except ValidationError as exc:
            try:
                self.validate_input(data)
            except ValidationError as data_exc:
                raise ValidationError(
                    [*exc.issues, *data_exc.issues],
                    title="model_input and params",
                    hide_input=exc.hide_input or data_exc.hide_input,
                    stopped=data_exc.stopped,
                ) from None
            raise
        return self.validate_input(data), params

    def call(self, target: Any, context: Any, data: Any, params: Any) -> Any:
        """Call the user's predict (on `target`, the instance, when it is a method) with
        validated data and params; return its output, validated (an async predict's coroutine
        is returned as it is: `call_async` awaits it)."""
        hints = self.hints
        args = [] if target is None else [target]
        if hints.has_context:
            args.append(context)
        args.append(data)
        kwargs = {hints.params_name: params} if hints.params_name is not None else {}
        output = hints.func(*args, **kwargs)
        if inspect.isawaitable(output):
            return output
        return self.validate_output(output, data)

    async def call_async(self, target: Any, context: Any, data: Any, params: Any) -> Any:
        """`call`, awaiting an async predict."""
        output = self.call(target, context, data, params)
        if inspect.isawaitable(output):
            return self.validate_output(await output, data)
        return output

    def run(self, target: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Bind, check and call: one whole predict call (a coroutine for an async predict)."""
        context, data, params = self.bind(args, kwargs)
        data, params = self.check(data, params)
        if self.hints.is_async:
            return self.call_async(target, context, data, params)
        return self.call(target, context, data, params)

    def run_sync(self, target: Any, data: Any, params: Any = None) -> Any:
        """Check and call with data and params, from synchronous code (an async predict runs
        to completion, in a thread with its own loop when one is already running here)."""
        data, params = self.check(data, params)
        output = self.call(target, None, data, params)
        if not inspect.isawaitable(output):
            return output
        return self.validate_output(_run_coroutine(output), data)

    # -- the checks -----------------------------------------------------------------------------

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

    def validate_output(self, value: Any, data: Any = _NOT_GIVEN) -> Any:
        """The validated output; for a ``list[X]`` output of a batch input, one row per input
        row (another count is an issue)."""
        if self.output is None:
            return value
        out = self.output.validate(value)
        batch_in = self.hints.input_kind in (BatchKind.LIST, BatchKind.COLUMNAR)
        if data is not _NOT_GIVEN and batch_in and self.hints.output_kind is BatchKind.LIST:
            given, got = _rows_in(data), len(out)
            if given is not None and given != got:
                from typedmodel.validate._common import OUTPUT_TITLE

                msg = f"predict returned {got} rows for a batch of {given}"
                raise ValidationError([Issue(None, (), "output_rows", msg)], title=OUTPUT_TITLE)
        return out


def _rows_in(data: Any) -> int | None:
    try:
        return len(data)
    except TypeError:
        return None


def _is_context(value: Any) -> bool:
    """Whether a first positional argument is a context: None, or what MLflow passes."""
    return value is None or hasattr(value, "artifacts")


def _run_coroutine(coroutine: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


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


def _wrap(func: Callable[..., Any], compiled: Compiled, *, is_method: bool) -> Callable[..., Any]:
    hints = compiled.hints

    if hints.is_async:

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            target, rest = (args[0], args[1:]) if is_method else (None, args)
            return await compiled.run(target, rest, kwargs)

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
                rows = fast.validate(args[-1])
                return compiled.validate_output(func(*args[:-1], *lead, rows, **extra), rows)
            target, rest = (args[0], args[1:]) if is_method else (None, args)
            return compiled.run(target, rest, kwargs)

        wrapper = sync_wrapper
    setattr(wrapper, _ATTR, compiled)
    return wrapper


def _fast_path(compiled: Compiled) -> Any:
    """The batch validator when a plain ``predict(rows)`` call needs nothing else."""
    if not compiled.row_wise or compiled.input.strict:
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
    batching: bool = True,
    max_batch_size: int | None = None,
) -> Callable[[T], T]: ...


def typed(
    obj: Any = None,
    /,
    *,
    signature: ModelSignature | None = None,
    strict: bool = False,
    validate_output: bool = True,
    hide_input: bool = False,
    batching: bool = True,
    max_batch_size: int | None = None,
) -> Any:
    """Wrap ``predict`` (of a class, or a bare function) so batches are validated first.

    Args:
        signature: an explicit signature; merged with the hints part by part (it wins for the
            parts it defines). Without hints it is enforced on DataFrames and arrays.
        strict: pydantic strict mode (no ``"3"`` -> 3).
        validate_output: validate predict's output against its return hint.
        hide_input: leave input values out of issues (sensitive data).
        batching: whether a server started with ``max_batch_size`` may join concurrent
            requests into one call of this predict (False: each request is its own call).
        max_batch_size: the most rows this predict takes in one joined call (the server's
            limit applies when it is lower).

    Examples:
        >>> import typedmodel as tm
        >>> @tm.typed
        ... def lengths(model_input: list[str]) -> list[int]:
        ...     return [len(s) for s in model_input]
        >>> lengths(["ab", "c"])
        [2, 1]
    """
    if max_batch_size is not None and max_batch_size < 1:
        raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size}")
    options = Options(signature, strict, validate_output, hide_input, batching, max_batch_size)
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
        raise SchemaError(
            f"@typed takes a class with predict or a function, got {type(target).__name__}"
        )

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


@dataclass(frozen=True)
class Typed:
    """A model object and the compiled predict that checks its calls (`typed_model`)."""

    compiled: Compiled
    target: Any  # the instance a method predict is called on (None for a function)

    def predict(self, data: Any, params: Any = None) -> Any:
        """Validate `data` and `params`, predict, and validate the output."""
        return self.compiled.run_sync(self.target, data, params)


def typed_model(obj: Any, signature: ModelSignature | None = None) -> Typed:
    """`obj` typed by its own hints and, where they say nothing, by `signature` (a saved one).

    A typed class, instance or function keeps its compiled predict (with the saved params
    schema when its hints declare none); an untyped one is compiled from its predict's
    parameters with `signature` enforced.

    Raises:
        SchemaError: for an object without a usable predict.
    """
    own = compiled_of(obj)
    is_function = inspect.isfunction(obj) or (
        own is not None and callable(obj) and not hasattr(obj, "predict")
    )
    target = None if is_function else obj
    if own is not None and (signature is None or _covers(own, signature)):
        return Typed(own, target)
    if own is not None and signature is not None:
        compiled = Compiled(
            own.hints, replace(own.options, signature=_missing_parts(own, signature))
        )
        return Typed(compiled, target)
    func, is_method = _predict_of(obj)
    try:
        hints = read_predict(func, is_method=is_method)
    except SchemaError:
        # Hints that don't describe a batch (or name what isn't defined here) on a model that
        # isn't typed: it is called as its parameters say, and the signature is enforced.
        hints = read_predict(func, is_method=is_method, hints=False)
    compiled = Compiled(hints, Options(signature=signature))
    return Typed(compiled, target if is_method else None)


def _covers(compiled: Compiled, signature: ModelSignature) -> bool:
    return (signature.inputs is None or compiled.validates_input) and (
        signature.params is None or compiled.has_params_schema
    )


def _missing_parts(compiled: Compiled, signature: ModelSignature) -> ModelSignature | None:
    """The parts of `signature` the compiled hints don't check."""
    inputs = signature.inputs if not compiled.validates_input else None
    params = signature.params if not compiled.has_params_schema else None
    if inputs is None and params is None:
        return compiled.options.signature
    return ModelSignature(inputs=inputs, outputs=signature.outputs, params=params)


def _predict_of(obj: Any) -> tuple[Callable[..., Any], bool]:
    if inspect.isfunction(obj):
        return obj, False
    predict = getattr(type(obj), "predict", None)
    if inspect.isfunction(predict):
        return predict, True
    bound = getattr(obj, "predict", None)
    if callable(bound):
        return bound, False
    raise SchemaError(f"{type(obj).__name__} has no predict method")


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
        from typedmodel._mlmodel import read_signature

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
