"""A counterexample for each breaking change of `typedmodel.compatibility.diff`: a value one
version accepts and the other refuses, at the change's path.

Values are drawn with `typedmodel.testing.strategies` from the side that admits more, and each
candidate is checked against both versions' own validators: the wider side must accept it,
and the narrower side must refuse it with an issue at the change's path. A batch is one row;
params are one call's params. Hypothesis shrinks what it finds to a small example; the search
is derandomised, so the same two versions always give the same counterexamples.
"""

from __future__ import annotations

import warnings
from typing import Any

from typedmodel.errors import SchemaError, TypedModelWarning, ValidationError
from typedmodel.signature import ModelSignature

TRIES = 300
"""Candidates drawn per change before it is reported without a counterexample."""


def counterexample(
    change: Any, old: ModelSignature, new: ModelSignature, mode: str, role: str
) -> tuple[Any, str | None]:
    """(the value, None), or (None, why there is none)."""
    try:
        import hypothesis
        from hypothesis import HealthCheck, settings

        from typedmodel.testing import strategies
    except ImportError:
        return None, 'drawing one needs the testing extra (pip install "typedmodel[testing]")'
    wider, narrower = _sides(change.effect, role, mode, old, new)
    part = "params" if role == "param" else "inputs" if role == "input" else "outputs"
    wide_part, narrow_part = getattr(wider, part), getattr(narrower, part)
    if wide_part is None:
        return None, f"the side that admits more has no {part}: anything goes there"
    accepts_wide = _acceptor(wide_part, part)
    accepts_narrow = _acceptor(narrow_part, part) if narrow_part is not None else None
    if accepts_narrow is None:
        return None, f"the other side has no {part} schema: it admits anything"
    where = _loc(change.path)

    def breaks(value: Any) -> bool:
        if not _accepted(accepts_wide, value):
            return False
        issues = _refused(accepts_narrow, value)
        return issues is not None and any(_at(i, where, part) for i in issues)

    try:
        if part == "params":
            source = strategies.params(ModelSignature(params=wide_part))
        else:
            source = strategies.batches(wide_part, min_size=1, max_size=1)
        found = hypothesis.find(
            source,
            breaks,
            settings=settings(
                max_examples=TRIES,
                derandomize=True,  # the same versions give the same report, run after run
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    except hypothesis.errors.NoSuchExample:
        return None, f"none found in {TRIES} values drawn from the side that admits more"
    except (SchemaError, hypothesis.errors.HypothesisException) as exc:
        return None, f"values can't be drawn here: {str(exc)[:160]}"
    from typedmodel._json import jsonable

    try:
        return jsonable(found), None
    except TypeError:
        return repr(found)[:200], None


def _sides(
    effect: str, role: str, mode: str, old: ModelSignature, new: ModelSignature
) -> tuple[ModelSignature, ModelSignature]:
    """(the side a counterexample comes from, the side that refuses it)."""
    if effect == "narrowed":
        return old, new
    if effect in ("widened", "lossy"):
        return new, old
    # changed: the direction that breaks callers in this mode
    breaks_old_callers = (role in ("input", "param")) == (mode != "forward")
    return (old, new) if breaks_old_callers else (new, old)


def _acceptor(part: Any, kind: str) -> Any:
    if kind == "params":
        from typedmodel.validate import ParamsValidator

        return ParamsValidator(part, None).validate
    from typedmodel.validate import SchemaEnforcer

    return SchemaEnforcer(part).validate


def _accepted(accept: Any, value: Any) -> bool:
    return _refused(accept, value) is None


def _refused(accept: Any, value: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TypedModelWarning)
        try:
            accept(value)
        except ValidationError as exc:
            return exc.issues
        except Exception:  # a value the validator can't even read: refused, but not at a path
            return ()
    return None


def _loc(path: str) -> list[str]:
    """The names along a change's path, without its part (``inputs.a.b[]`` -> ``[a, b]``)."""
    head, _, rest = path.partition(".")
    del head
    names = []
    for step in rest.split(".") if rest else []:
        name = step.split("[")[0].split("{")[0]
        if name and name != "*":
            names.append(name)
    return names


def _at(issue: Any, where: list[str], part: str) -> bool:
    """Whether `issue` is at (or inside) the change's place."""
    names = [str(p) for p in issue.loc if not isinstance(p, int)]
    if part == "params" and names[:1] == ["params"]:
        names = names[1:]
        if issue.type == "unknown_param" and where:  # the name itself is the issue's input
            return bool(issue.input == where[0])
    return names[: len(where)] == where
