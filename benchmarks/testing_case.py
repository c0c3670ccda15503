"""The ``testing`` case: drawing valid rows of a 10-field model with constraints.

typedmodel's strategies (`typedmodel.testing.strategies.rows`) against hypothesis-jsonschema on
the model's JSON Schema, where it installs and works with the installed Hypothesis, else
against ``st.builds`` of the pydantic model (which reads the field types, not their limits: the
share of its rows that validate is in the note).
"""

from __future__ import annotations

import time
import typing
import warnings
from typing import Annotated, Any, Literal

import pydantic
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import typedmodel as tm
from benchmarks.suite import Result


class Constrained10(pydantic.BaseModel):
    """Ten fields, each with a limit or a fixed set of values."""

    name: str = pydantic.Field(min_length=1, max_length=20)
    code: str = pydantic.Field(pattern=r"^[A-Z]{3}[0-9]{2}$")
    age: int = pydantic.Field(ge=0, le=120)
    count: int = pydantic.Field(ge=0, multiple_of=5)
    score: float = pydantic.Field(ge=0.0, le=1.0)
    income: float = pydantic.Field(gt=0)
    ratio: float = pydantic.Field(ge=-1.0, le=1.0, multiple_of=0.25)
    tier: Literal["free", "pro", "team"]
    member: bool
    note: str | None = pydantic.Field(default=None, max_length=40)


@tm.typed
def constrained10(model_input: list[Constrained10]) -> list[float]:
    return [r.score for r in model_input]


def _draw_time(strategy: st.SearchStrategy[Any], n: int) -> tuple[float, list[Any]]:
    """Seconds per row for Hypothesis to draw `n` examples of `strategy`, and the rows."""
    drawn: list[Any] = []

    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(row: Any) -> None:
        drawn.append(row)

    start = time.perf_counter()
    with warnings.catch_warnings():  # Hypothesis warns about pydantic metadata it can't read
        warnings.simplefilter("ignore")
        draw()
    return (time.perf_counter() - start) / max(len(drawn), 1), drawn


def _valid_share(rows: list[Any]) -> float:
    adapter = pydantic.TypeAdapter(Constrained10)
    ok = 0
    for row in rows:
        try:
            adapter.validate_python(row if isinstance(row, dict) else row.model_dump())
        except pydantic.ValidationError:
            continue
        ok += 1
    return ok / max(len(rows), 1)


def reference() -> tuple[str, st.SearchStrategy[Any], str]:
    """hypothesis-jsonschema on the JSON Schema when it works here, else ``st.builds``."""
    import json

    schema = json.loads(tm.render_docs(constrained10, format="json-schema"))
    row_schema = _row_schema(schema)
    try:
        from hypothesis_jsonschema import from_schema

        strategy = from_schema(row_schema)
        _draw_time(strategy, 3)  # its object schemas fail on some Hypothesis versions
    except ImportError:
        why = "hypothesis-jsonschema is not installed"
    except Exception as exc:  # broken with this Hypothesis: measured against st.builds
        why = f"hypothesis-jsonschema fails here ({type(exc).__name__})"
    else:
        return "hypothesis-jsonschema from_schema", strategy, ""
    return "hypothesis st.builds(dict, from_type per field)", _builds(), why


def _builds() -> st.SearchStrategy[Any]:
    """Rows from each field's annotation and its annotated-types limits (what Hypothesis reads
    of a pydantic model; a pattern it can't read)."""
    fields = {}
    for name, info in Constrained10.model_fields.items():
        hint: Any = info.annotation
        args = typing.get_args(hint)
        optional = type(None) in args
        if optional:  # from_type can't put a length limit on an Optional
            hint = next(a for a in args if a is not type(None))
        if info.metadata:
            hint = Annotated[(hint, *info.metadata)]
        fields[name] = st.none() | st.from_type(hint) if optional else st.from_type(hint)
    return st.fixed_dictionaries(fields)


def _row_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one row (the document's ``row`` definition), with the document's
    definitions beside it for its references."""
    defs = schema.get("$defs", {})
    if "row" not in defs:
        raise RuntimeError("no row definition in the model's JSON Schema")
    return {**defs["row"], "$defs": defs}


def case_testing(n: int) -> list[Result]:
    """Seconds per valid row drawn, typedmodel's strategies against the reference."""
    from typedmodel.testing import strategies

    ours, our_rows = _draw_time(strategies.rows(constrained10), n)
    name, strategy, why = reference()
    theirs, their_rows = _draw_time(strategy, n)
    note = (
        f"{len(our_rows)} rows drawn; valid: ours {_valid_share(our_rows):.0%}, "
        f"theirs {_valid_share(their_rows):.0%}" + (f"; {why}" if why else "")
    )
    return [
        Result(
            f"testing: draw valid rows of a 10-field model with constraints, {n:,} rows",
            name,
            ours,
            theirs,
            "s",
            1.0 if why == "" else None,  # no slower than hypothesis-jsonschema, where it runs
            gc="n/a",
            note=note,
        )
    ]
