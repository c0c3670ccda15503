"""`check`: a model run on batches drawn from its own contract, and `given_batches`."""

from __future__ import annotations

import json
import os
import reprlib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import hypothesis
from hypothesis import HealthCheck, Verbosity
from hypothesis import strategies as st

from typedmodel.errors import Issue, SchemaError, TypedModelError, ValidationError
from typedmodel.signature import ModelSignature
from typedmodel.testing import strategies as tms

__all__ = ["Failure", "Report", "check", "given_batches"]

F = TypeVar("F", bound=Callable[..., Any])

_OUTPUT = "model output"  # how an output's ValidationError title starts
_SHORT = reprlib.Repr()
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxlevel = 60, 60, 6, 6, 4


@dataclass(frozen=True)
class Failure:
    """One failed property: what went wrong, and the shrunk example that shows it."""

    kind: str  # "valid", "invalid" or "setup"
    message: str
    example: Any = None

    def __str__(self) -> str:
        shown = "" if self.example is None else f"\n    example: {_SHORT.repr(self.example)}"
        return f"[{self.kind}] {self.message}{shown}"


@dataclass
class Report:
    """What `check` ran and what failed (empty `failures`: all passed)."""

    target: str
    examples: int
    seed: int
    failures: list[Failure] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        head = f"typedmodel check {self.target}: {self.examples} examples each, seed {self.seed}"
        lines = [head, *(f"  ran: {r}" for r in self.ran)]
        lines += [f"  FAILED {f}" for f in self.failures]
        lines.append("ok" if self.ok else f"{len(self.failures)} failure(s)")
        return "\n".join(lines)


class _Failed(Exception):
    pass


def _run(
    kind: str,
    strategy: st.SearchStrategy[Any],
    test: Callable[[Any], str | None],
    examples: int,
    seed: int,
) -> Failure | None:
    """Run `test` on `examples` draws; the failure of the shrunk example, or None."""
    found: list[Failure] = []

    @hypothesis.settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        report_multiple_bugs=False,
        verbosity=Verbosity.quiet,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @hypothesis.seed(seed)
    @hypothesis.given(strategy)
    def prop(example: Any) -> None:
        message = test(example)
        if message is not None:
            found.append(Failure(kind, message, example))
            raise _Failed(message)

    try:
        prop()
    except _Failed:
        return found[-1]  # the last one is the shrunk example, replayed at the end
    except hypothesis.errors.HypothesisException as exc:
        return Failure("setup", f"{type(exc).__name__}: {str(exc)[:300]}")
    return None


def _issues_at(exc: ValidationError, bad: tms.Invalid, in_rows: bool) -> bool:
    """Whether an issue of `exc` is where `bad` breaks the contract."""
    if in_rows:
        row, loc = bad.loc[0], bad.loc[1:]
    else:
        row, loc = None, bad.loc
    return any(_same_place(i, row, loc, in_rows) for i in exc.issues)


def _same_place(issue: Issue, row: Any, loc: tuple[Any, ...], in_rows: bool) -> bool:
    if in_rows and issue.row is not None and issue.row != row:
        return False
    n = min(len(issue.loc), len(loc))
    return tuple(map(str, issue.loc[:n])) == tuple(map(str, loc[:n]))


def _first(exc: ValidationError) -> str:
    if not exc.issues:
        return str(exc)[:200]
    return exc.issues[0].describe(include_input=False)[:200]


def _typed(obj: Any) -> Any:
    """The `Typed` of a model object, a saved directory or ``module:attribute``."""
    from typedmodel.cli import _resolve
    from typedmodel.model import typed_model
    from typedmodel.store import LoadedModel, _load_context, load_model

    if isinstance(obj, (str, os.PathLike)):
        obj = load_model(obj) if Path(obj).is_dir() else _resolve(str(obj))
    if isinstance(obj, LoadedModel):
        return obj.typed
    if isinstance(obj, type):
        instance = obj()
        _load_context(instance)
        obj = instance
    return typed_model(obj)


def check(obj: Any = None, *, examples: int = 100, seed: int = 0, url: str | None = None) -> Report:
    """Run a model on batches drawn from its contract and report what failed.

    On valid batches (and params) the model must not raise, and its output must keep to its
    return contract; each invalid one must be refused with a `ValidationError` that names the
    broken rule's place, before predict runs. With `url`, the batches go to a running server's
    ``POST /invocations`` as JSON bodies instead: no answer may be a 5xx, valid bodies get a
    200 and invalid ones a 400 (`obj` may then be None: the server's ``/signature`` is used).

    `obj` is a typed class, instance or function, a loaded model, a saved model's directory or
    ``"module:attribute"``. `seed` makes a run of the same code repeatable (Hypothesis also
    draws constants from the local modules loaded, so another module can change the draws).
    """
    name = str(obj) if isinstance(obj, (str, os.PathLike)) else getattr(obj, "__name__", None)
    report = Report(name or (url or type(obj).__name__), examples, seed)
    if url is not None:
        sig = tms.signature(obj) if obj is not None else _server_signature(url)
        _check_server(report, sig, url.rstrip("/"))
        return report
    typed = _typed(obj)
    sig = typed.compiled.signature
    if sig is None or sig.inputs is None:
        raise TypedModelError(f"{report.target} has no input schema: nothing to check")
    _check_model(report, typed, sig)
    return report


def _check_model(report: Report, typed: Any, sig: ModelSignature) -> None:
    has_params = sig.params is not None
    good = st.tuples(tms.batches(sig), tms.params(sig) if has_params else st.just(None))

    def valid(example: tuple[Any, Any]) -> str | None:
        batch, params = example
        try:
            typed.predict(batch, params)
        except ValidationError as exc:
            if exc.title.startswith(_OUTPUT):
                return f"the output breaks the return contract: {_first(exc)}"
            return f"a valid batch was refused: {_first(exc)}"
        except Exception as exc:  # the model's own error: the finding
            return f"predict raised {type(exc).__name__}: {str(exc)[:200]}"
        return None

    in_rows = not sig.inputs.is_tensor_spec()  # type: ignore[union-attr]
    bad = [
        st.tuples(tms.batches(sig, valid=False), st.just(in_rows), st.just(False)),
    ]
    if has_params:
        try:
            bad_params = tms.params(sig, valid=False)
        except SchemaError:  # params of any value: none is invalid
            pass
        else:
            bad.append(st.tuples(bad_params, st.just(False), st.just(True)))
    batch_for_params = tms.batches(sig, max_size=2)

    @st.composite
    def broken(draw: st.DrawFn) -> tuple[Any, Any, tms.Invalid, bool]:
        bad_one, rows, is_params = draw(st.one_of(bad))
        if is_params:
            return draw(batch_for_params), bad_one.value, bad_one, False
        params = draw(tms.params(sig)) if has_params else None
        return bad_one.value, params, bad_one, rows

    def invalid(example: tuple[Any, Any, tms.Invalid, bool]) -> str | None:
        batch, params, bad, rows = example
        what = f"{bad.tag} ({bad.detail}) at {list(bad.loc)}"
        try:
            typed.predict(batch, params)
        except ValidationError as exc:
            if exc.title.startswith(_OUTPUT):
                return f"predict ran on an invalid batch, {what}"
            if not _issues_at(exc, bad, rows):
                return f"an invalid batch, {what}, was refused elsewhere: {_first(exc)}"
            return None
        except Exception as exc:
            return f"an invalid batch, {what}, raised {type(exc).__name__}, not a ValidationError"
        return f"an invalid batch was accepted: {what}"

    for kind, strategy, test in (("valid", good, valid), ("invalid", broken(), invalid)):
        report.ran.append(f"{kind} batches" + (" and params" if has_params else ""))
        failure = _run(kind, strategy, test, report.examples, report.seed)
        if failure is not None:
            report.failures.append(failure)


def _server_signature(url: str) -> ModelSignature:
    status, text = _get(url.rstrip("/") + "/signature")
    if status != 200:
        raise TypedModelError(f"{url}/signature answered {status}")
    return ModelSignature.from_dict(json.loads(text))


def _get(url: str) -> tuple[int, str]:
    return _send(urllib.request.Request(url, method="GET"))


def _post(url: str, body: Any) -> tuple[int, str]:
    data = json.dumps(body).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    return _send(urllib.request.Request(url, data=data, headers=headers, method="POST"))


def _send(request: urllib.request.Request) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as exc:
        raise TypedModelError(f"can't reach {request.full_url}: {exc}") from None


def _check_server(report: Report, sig: ModelSignature, url: str) -> None:
    endpoint = url + "/invocations"

    def valid(body: Any) -> str | None:
        status, text = _post(endpoint, body)
        if status >= 500:
            return f"the server answered {status} to a valid body: {text[:200]}"
        if status != 200:
            return f"a valid body got {status}: {text[:200]}"
        return None

    def invalid(bad: tms.Invalid) -> str | None:
        status, text = _post(endpoint, bad.value)
        what = f"{bad.tag} ({bad.detail}) at {list(bad.loc)}"
        if status >= 500:
            return f"the server answered {status} to an invalid body, {what}: {text[:200]}"
        if status != 400:
            return f"an invalid body, {what}, got {status}, not 400"
        return None

    good, broken = tms.requests(sig), tms.requests(sig, valid=False)
    for kind, strategy, test in (("valid", good, valid), ("invalid", broken, invalid)):
        report.ran.append(f"{kind} request bodies to {endpoint}")
        failure = _run(kind, strategy, test, report.examples, report.seed)
        if failure is not None:
            report.failures.append(failure)


def given_batches(
    obj: Any, *, min_size: int = 0, max_size: int = 8, valid: bool = True
) -> Callable[[F], F]:
    """``hypothesis.given`` with the batches of `obj` (see `strategies.batches`): the test
    takes the batch as its one argument.

    Examples:
        >>> import typedmodel as tm
        >>> @tm.typed
        ... def halve(model_input: list[int]) -> list[int]:
        ...     return [x // 2 for x in model_input]  # (2 * x would overflow a long: try it)
        >>> @given_batches(halve)
        ... def test_halve(batch):
        ...     assert len(halve(batch)) == len(batch)
        >>> test_halve()
    """
    return hypothesis.given(  # type: ignore[return-value]
        tms.batches(obj, min_size=min_size, max_size=max_size, valid=valid)
    )
