"""The HTTP server: MLflow's scoring protocol in front of a typed or saved model.

``create_app(model_or_path)`` builds the ASGI app; ``typedmodel serve TARGET`` runs it with
uvicorn. Every request is parsed and validated with the same validators ``predict`` uses
in-process, so a request that doesn't fit the signature is refused with a ``400`` listing every
issue before the model sees it.

Routes:

- ``POST /invocations``: ``{"inputs": ...}``, ``{"dataframe_split": ...}``,
  ``{"dataframe_records": ...}`` or ``{"instances": ...}``, each with optional ``"params"``, as
  ``application/json``; or ``text/csv`` for column schemas. Answers ``200 {"predictions": ...}``;
  ``400 {"error_code": "INVALID_INPUT", "message", "issues"}`` for bad input; ``413`` for a body
  over the limit; ``415`` for another content type; ``500 {"error_code": "MODEL_ERROR"}`` when
  the model raises (the traceback goes to the log, never to the client).
- ``GET /ping``, ``/health``, ``/version``, ``/signature``, ``/openapi.json``, ``/docs``.

Why Starlette and uvicorn: Starlette is a small, well-kept ASGI toolkit (routing, requests,
responses, lifespan) and uvicorn its usual server, with graceful shutdown on SIGTERM. FastAPI
adds request validation and OpenAPI generation on top of Starlette, and typedmodel does both
itself from the signature, so that extra layer would only be a second, disagreeing copy.

Concurrency: parsing, validation, ``predict`` and writing the answer run in a bounded thread
pool (``max_workers`` threads; ``--workers`` on the command line), never on the event loop, so
``/ping`` answers while a long batch runs. The model's ``predict`` must therefore be
thread-safe, or the server started with one worker. One process serves one model; for several
processes, run several servers behind a load balancer.

JSON rules: the body must be UTF-8 JSON as RFC 8259 defines it, so ``NaN``/``Infinity``
literals, numbers too large for a float (``1e400``) and integers outside a 64-bit long (the
widest integer a signature can declare) are refused with a ``400``. Outputs are written with
pydantic models dumped (by alias), numpy and pandas values as plain JSON (a DataFrame as a list
of records), datetimes in ISO 8601, bytes in base64, and NaN/NaT/NA as ``null``.

Privacy: unless ``show_inputs``, answers carry no input values (issues without ``input``, and
values that a param checker quotes in its message replaced by ``<omitted>``) and a ``500``
names only the exception's type.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import inspect
import io
import json
import logging
import math
import os
import re
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

try:
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Route
except ImportError as _exc:  # pragma: no cover - exercised in a subprocess without starlette
    raise ImportError(
        f'typedmodel.serve needs the serve extra ({_exc}): pip install "typedmodel[serve]"'
    ) from _exc

from typedmodel._json import jsonable
from typedmodel.errors import OMITTED, Issue, TypedModelError, ValidationError
from typedmodel.model import Compiled, compiled_of
from typedmodel.signature import ModelSignature
from typedmodel.store import LoadedModel, call_predict, load_model
from typedmodel.validate import BatchValidator, parse_request

__all__ = ["DEFAULT_MAX_BODY_BYTES", "create_app", "run"]

DEFAULT_MAX_BODY_BYTES = 50 * 2**20
JSON_TYPE = "application/json"
CSV_TYPE = "text/csv"

logger = logging.getLogger("typedmodel.serve")


# ---------------------------------------------------------------------------------------------
# The model behind the endpoint
# ---------------------------------------------------------------------------------------------


# predict(validated data, validated params, the server's event loop for an async predict)
_Predict = Callable[[Any, Any, "asyncio.AbstractEventLoop | None"], Any]


@dataclass(frozen=True)
class _Endpoint:
    """What the server needs of a model: how to validate a request and how to predict."""

    signature: ModelSignature
    docs_target: Any  # what render_docs is given: the model directory or the typed object
    records: bool  # DataFrame request forms arrive as row dicts (typed list[X] models)
    validate: Callable[[Any, Any], tuple[Any, Any]]
    predict: _Predict
    refuses_params: bool  # untyped, with no params schema: any params are unknown

    @property
    def accepts_csv(self) -> bool:
        inputs = self.signature.inputs
        return inputs is not None and not inputs.is_tensor_spec()


def _endpoint(model_or_path: Any) -> _Endpoint:
    if isinstance(model_or_path, (str, os.PathLike)):
        model_or_path = load_model(model_or_path)
    if isinstance(model_or_path, LoadedModel):
        return _loaded_endpoint(model_or_path)
    obj = model_or_path() if isinstance(model_or_path, type) else model_or_path
    compiled = compiled_of(obj)
    if compiled is None:
        raise TypedModelError(
            f"{_name(obj)} is not a typed model: decorate it with @typedmodel.typed, subclass "
            "typedmodel.PythonModel, or save it with a signature and serve the directory"
        )
    if compiled.signature is None or compiled.signature.inputs is None:
        raise TypedModelError(f"{_name(obj)} has no input signature: nothing to validate against")

    def validate(data: Any, params: Any) -> tuple[Any, Any]:
        # The order of the typed wrapper: params first, then the batch.
        params = compiled.validate_params(params)
        return compiled.validate_input(data), params

    return _Endpoint(
        signature=compiled.signature,
        docs_target=obj,
        records=isinstance(compiled.input, BatchValidator),
        validate=validate,
        predict=_typed_predict(obj, compiled),
        refuses_params=False,  # the typed wrapper's own check says so
    )


def _loaded_endpoint(loaded: LoadedModel) -> _Endpoint:
    signature = loaded.signature
    if signature is None or signature.inputs is None:
        raise TypedModelError(
            f"the model saved at {loaded.path} has no input signature: the server can't "
            "validate requests; save it with signature= or input_example="
        )
    compiled = compiled_of(loaded.model)
    if compiled is not None:
        predict = _typed_predict(loaded.model, compiled)
    else:

        def predict(data: Any, params: Any, loop: asyncio.AbstractEventLoop | None = None) -> Any:
            return call_predict(loaded.model, data, params)

    return _Endpoint(
        signature=signature,
        docs_target=str(loaded.path),
        records=compiled is not None and isinstance(compiled.input, BatchValidator),
        validate=loaded.validate,
        predict=predict,
        refuses_params=compiled is None and signature.params is None,
    )


def _typed_predict(obj: Any, compiled: Compiled) -> _Predict:
    """Call the user's own predict with data and params the server has validated already.

    The typed wrapper would validate them a second time (and a params model instance is not
    what it takes in), so the server calls what it wraps, then checks the output as it would.
    """
    hints = compiled.hints
    if inspect.isfunction(obj):
        wrapper, bound = obj, []
    else:
        wrapper, bound = type(obj).predict, [obj]  # the class's function, not a bound method
    func = inspect.unwrap(wrapper, stop=lambda f: compiled_of(f) is None)

    def predict(data: Any, params: Any, loop: asyncio.AbstractEventLoop | None = None) -> Any:
        args = [*bound, None, data] if hints.has_context else [*bound, data]
        kwargs = {hints.params_name: params} if hints.params_name is not None else {}
        output = func(*args, **kwargs)
        if inspect.iscoroutine(output):  # an async predict runs on the server's event loop
            if loop is None:
                output = asyncio.run(output)
            else:
                output = asyncio.run_coroutine_threadsafe(output, loop).result()
        return compiled.validate_output(output)

    return predict


def _name(obj: Any) -> str:
    return str(getattr(obj, "__qualname__", type(obj).__qualname__))


# ---------------------------------------------------------------------------------------------
# Requests: body, JSON, answers
# ---------------------------------------------------------------------------------------------


class _BadRequest(Exception):
    """A body that isn't what it says it is (not UTF-8, not JSON, not CSV)."""

    def __init__(self, msg: str, type_: str = "json_invalid") -> None:
        super().__init__(msg)
        self.msg = msg
        self.type = type_


class _TooLarge(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise _BadRequest(f"The body is not valid JSON: {name} is not a JSON number (send null)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadRequest("The body has a number too large for a float", "number_range")
    return value


_LONG_DIGITS = len(str(2**63))


def _long(text: str) -> int:
    # No schema type holds a wider integer than a long; refusing them here keeps numbers like
    # 10**400 away from models whose hints say `int` (and from float conversions that overflow).
    value = int(text) if len(text.lstrip("-")) <= _LONG_DIGITS else None
    if value is None or not -(2**63) <= value < 2**63:
        raise _BadRequest(
            "The body has an integer outside the range of a 64-bit long", "number_range"
        )
    return value


def _parse_json(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _BadRequest(f"The body is not valid UTF-8 (at byte {exc.start})") from None
    try:
        return json.loads(
            text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_long
        )
    except json.JSONDecodeError as exc:
        raise _BadRequest(
            f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise _BadRequest("The body is not valid JSON here: it is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise _BadRequest(f"The body is not valid JSON: {exc}") from None


def _parse_csv(body: bytes) -> Any:
    import pandas as pd

    try:
        return pd.read_csv(io.BytesIO(body), encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _BadRequest(
            f"The body is not valid UTF-8 (at byte {exc.start})", "csv_invalid"
        ) from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise _BadRequest(f"The body is not valid CSV: {exc}", "csv_invalid") from None


def _media_type(header: str) -> str | None:
    """``"json"``, ``"csv"`` or None for a Content-Type header (only UTF-8 charsets)."""
    main, *options = (part.strip().lower() for part in header.split(";"))
    for option in options:
        key, _, value = option.partition("=")
        if key.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            return None
    return {JSON_TYPE: "json", CSV_TYPE: "csv"}.get(main)


def _error_body(code: str, message: str, issues: list[Any] | None = None) -> bytes:
    out: dict[str, Any] = {"error_code": code, "message": message}
    if issues is not None:
        out["issues"] = issues
    return json.dumps(out, allow_nan=False).encode("utf-8")


def _error(status: int, code: str, message: str) -> Response:
    return Response(_error_body(code, message), status_code=status, media_type=JSON_TYPE)


# Issue types whose message quotes the offending value (a param's checker words it so).
_QUOTING_TYPES = frozenset({"param_type"})


def _invalid(exc: ValidationError, *, show_inputs: bool) -> bytes:
    """The 400 body for a `ValidationError` (input values only when `show_inputs`)."""
    shown = show_inputs and not exc.hide_input
    if not shown:
        exc = ValidationError(
            [_redacted(issue) for issue in exc.issues], title=exc.title, hide_input=True
        )
    message = str(ValidationError(exc.issues, title=exc.title, hide_input=not shown))
    try:
        issues = [jsonable(i, fallback=repr) for i in exc.errors(include_input=shown)]
        return _error_body("INVALID_INPUT", message, issues)
    except (RecursionError, ValueError, TypeError):  # an input too deep or odd to write back
        message = str(ValidationError(exc.issues, title=exc.title, hide_input=True))
        return _error_body("INVALID_INPUT", message, exc.errors(include_input=False))


def _redacted(issue: Issue) -> Issue:
    """`issue` with the input values its message quotes replaced by ``<omitted>``."""
    if issue.type not in _QUOTING_TYPES or issue.input is OMITTED:
        return issue
    msg = issue.msg
    if isinstance(issue.input, (str, bytes, list, tuple, Mapping)):
        msg = msg.replace(repr(issue.input), "<omitted>")
    for leaf in _leaves(issue.input, limit=1000):
        text = repr(leaf)
        msg = re.sub(rf"(?<![\w.\[]){re.escape(text)}(?![\w.\]])", "<omitted>", msg)
    return dataclasses.replace(issue, msg=msg)


def _leaves(value: Any, *, limit: int) -> list[Any]:
    """Up to `limit` scalar values inside `value` (lists, tuples and dict values walked)."""
    out: list[Any] = []
    stack = [value]
    while stack and len(out) < limit:
        item = stack.pop()
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif item is not None and not isinstance(item, bool):
            out.append(item)
    return out


def _bad_request(msg: str, type_: str) -> bytes:
    issue: dict[str, Any] = {"row": None, "loc": [], "type": type_, "msg": msg}
    return _error_body("INVALID_INPUT", msg, [issue])


# ---------------------------------------------------------------------------------------------
# Outputs as JSON
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# The app
# ---------------------------------------------------------------------------------------------


class _Server:
    """Request handlers around one model, and the bounded pool predict runs in."""

    def __init__(
        self,
        endpoint: _Endpoint,
        *,
        max_body_bytes: int,
        show_inputs: bool,
        max_workers: int | None,
    ) -> None:
        self.endpoint = endpoint
        self.max_body_bytes = max_body_bytes
        self.show_inputs = show_inputs
        self.executor = ThreadPoolExecutor(max_workers, thread_name_prefix="typedmodel-predict")
        self._rendered: dict[str, str] = {}

    # -- POST /invocations ----------------------------------------------------------------------

    async def invocations(self, request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                return Response(
                    _bad_request("Content-Length is not a number", "request_format"),
                    status_code=400,
                    media_type=JSON_TYPE,
                )
            if int(length) > self.max_body_bytes:
                return self._too_large()
        kind = _media_type(request.headers.get("content-type", ""))
        if kind is None or (kind == "csv" and not self.endpoint.accepts_csv):
            with contextlib.suppress(_TooLarge, ClientDisconnect):
                await self._read_body(request)  # read what was sent, so the answer gets through
            return self._unsupported(request.headers.get("content-type"))
        try:
            body = await self._read_body(request)
        except _TooLarge:
            return self._too_large()
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is listening for the answer
        loop = asyncio.get_running_loop()
        status, payload = await loop.run_in_executor(
            self.executor, functools.partial(self.handle, body, kind, loop)
        )
        return Response(payload, status_code=status, media_type=JSON_TYPE)

    async def _read_body(self, request: Request) -> bytes:
        """The whole body, counted while it streams in: `_TooLarge` past the limit."""
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self) -> Response:
        return _error(
            413,
            "REQUEST_TOO_LARGE",
            f"The body is larger than this server's limit of {self.max_body_bytes} bytes",
        )

    def _unsupported(self, content_type: str | None) -> Response:
        accepted = [f"{JSON_TYPE} (UTF-8)"]
        if self.endpoint.accepts_csv:
            accepted.append(f"{CSV_TYPE} (UTF-8)")
        return _error(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"Content-Type {content_type or '(none)'} is not accepted; "
            f"send {' or '.join(accepted)}",
        )

    def handle(
        self, body: bytes, kind: str, loop: asyncio.AbstractEventLoop | None = None
    ) -> tuple[int, bytes]:
        """Parse, validate, predict and write the answer (runs in the worker pool)."""
        endpoint = self.endpoint
        try:
            if kind == "csv":
                data, params = _parse_csv(body), None
            else:
                data, params = parse_request(_parse_json(body), records=endpoint.records)
            if params and endpoint.refuses_params:
                raise _BadRequest("This model's predict takes no params", "no_params")
            data, params = endpoint.validate(data, params)
        except ValidationError as exc:
            return 400, _invalid(exc, show_inputs=self.show_inputs)
        except _BadRequest as exc:
            return 400, _bad_request(exc.msg, exc.type)
        except Exception as exc:  # a validator that failed on odd input: still the request's fault
            logger.warning("a request could not be validated", exc_info=True)
            msg = f"The request could not be validated ({type(exc).__name__})"
            return 400, _bad_request(msg, "validation_failed")
        try:
            output = endpoint.predict(data, params, loop)
        except Exception as exc:
            logger.exception("predict raised %s", type(exc).__name__)
            return 500, self._model_error(f"The model raised {type(exc).__name__}", exc)
        try:
            return 200, json.dumps({"predictions": jsonable(output)}, allow_nan=False).encode()
        except (TypeError, ValueError, RecursionError) as exc:
            logger.exception("predict's output can't be written as JSON")
            return 500, self._model_error("The model's output can't be written as JSON", exc)

    def _model_error(self, head: str, exc: Exception) -> bytes:
        message = f"{head}: {type(exc).__name__}: {exc}" if self.show_inputs else head
        return _error_body("MODEL_ERROR", message + " (the server log has the details)")

    async def _run(self, func: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, func)

    # -- GET routes -------------------------------------------------------------------------------

    async def ping(self, request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type=JSON_TYPE)

    async def version(self, request: Request) -> Response:
        from typedmodel import __version__

        return Response(json.dumps({"typedmodel": __version__}).encode(), media_type=JSON_TYPE)

    async def signature(self, request: Request) -> Response:
        body = json.dumps(self.endpoint.signature.to_dict()).encode()
        return Response(body, media_type=JSON_TYPE)

    async def openapi(self, request: Request) -> Response:
        text = await self._render("openapi")
        return Response(text.encode(), media_type=JSON_TYPE)

    async def docs(self, request: Request) -> Response:
        return HTMLResponse(await self._render("html"))

    async def _render(self, fmt: str) -> str:
        if fmt not in self._rendered:
            from typedmodel.docs import render_docs  # only when docs are asked for

            def render() -> str:
                return render_docs(self.endpoint.docs_target, format=fmt)

            self._rendered[fmt] = await self._run(render)
        return self._rendered[fmt]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
    response = _error(exc.status_code, code, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return _error(500, "INTERNAL_ERROR", "The server failed; its log has the details")


def create_app(
    model_or_path: Any,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    show_inputs: bool = False,
    max_workers: int | None = None,
) -> Starlette:
    """The ASGI app serving one model (the model is loaded here, before the app exists).

    Args:
        model_or_path: a model directory (written by `save_model`), a `LoadedModel`, or a
            typed class, instance or function. A class is instantiated without arguments.
        max_body_bytes: larger request bodies are refused with ``413`` before they are read
            whole (by Content-Length, and by counting while the body streams in).
        show_inputs: put the offending input values in ``400`` answers (and a model's
            exception text in ``500`` answers). Off by default: data may be sensitive.
        max_workers: threads that parse, validate and predict (``None``: Python's default
            for `ThreadPoolExecutor`). ``predict`` must be thread-safe when this is not 1.

    Raises:
        TypedModelError: for a model the server can't validate requests for (untyped and
            without a saved signature), or a model directory that can't be loaded.

    Examples:
        >>> import typedmodel as tm
        >>> from typedmodel.serve import create_app
        >>> @tm.typed
        ... def upper(model_input: list[str]) -> list[str]:
        ...     return [s.upper() for s in model_input]
        >>> app = create_app(upper)   # then: uvicorn.run(app), or TestClient(app)
    """
    if max_body_bytes < 0:
        raise ValueError(f"max_body_bytes must be >= 0, got {max_body_bytes}")
    if max_workers is not None and max_workers < 1:
        raise ValueError(f"max_workers must be >= 1, got {max_workers}")
    server = _Server(
        _endpoint(model_or_path),
        max_body_bytes=max_body_bytes,
        show_inputs=show_inputs,
        max_workers=max_workers,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:  # uvicorn has let the requests in flight finish before this runs
            server.executor.shutdown(wait=True)

    routes = [
        Route("/invocations", server.invocations, methods=["POST"]),
        Route("/ping", server.ping, methods=["GET"]),
        Route("/health", server.ping, methods=["GET"]),
        Route("/version", server.version, methods=["GET"]),
        Route("/signature", server.signature, methods=["GET"]),
        Route("/openapi.json", server.openapi, methods=["GET"]),
        Route("/docs", server.docs, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.typedmodel = server
    return app


def run(
    model_or_path: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    workers: int | None = None,
    show_inputs: bool = False,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    access_log: bool = True,
) -> None:
    """Serve a model with uvicorn until SIGTERM or Ctrl-C (requests in flight finish first).

    `workers` threads run ``predict`` in this one process (see `create_app`'s
    ``max_workers``). The default bind is loopback only: pass ``host="0.0.0.0"`` to listen on
    every interface.

    Examples:
        >>> from typedmodel.serve import run
        >>> run("scorer/", port=5000)  # doctest: +SKIP
    """
    try:
        import uvicorn
        from uvicorn.config import LOGGING_CONFIG
    except ImportError as exc:  # pragma: no cover - the serve extra pulls uvicorn in
        raise ImportError(
            f'typedmodel serve needs the serve extra ({exc}): pip install "typedmodel[serve]"'
        ) from exc

    app = create_app(
        model_or_path, max_body_bytes=max_body_bytes, show_inputs=show_inputs, max_workers=workers
    )
    log_config = json.loads(json.dumps(LOGGING_CONFIG))  # a deep copy of uvicorn's
    log_config["loggers"]["typedmodel"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    uvicorn.run(app, host=host, port=port, log_config=log_config, access_log=access_log)
