"""A pydantic-typed scoring model: dicts or a DataFrame in, validated Score objects out.

Run it with ``python examples/scoring.py``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pydantic

import typedmodel as tm


class Applicant(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(ge=0, description="Age in whole years")
    income: float
    note: str | None = None


class Score(pydantic.BaseModel):
    score: float


class Scorer(tm.PythonModel):  # subclassing wraps predict automatically
    def predict(self, context, model_input: list[Applicant]) -> list[Score]:
        return [Score(score=a.age * 0.1 + a.income * 0.05) for a in model_input]


def rejected(predict: Any, *args: Any, **kwargs: Any) -> tm.ValidationError:
    """The ValidationError that `predict` raises for these arguments."""
    try:
        predict(*args, **kwargs)
    except tm.ValidationError as exc:
        return exc
    raise AssertionError("bad data was accepted")


def main() -> None:
    # The signature is read from the hints, in the form MLflow writes.
    signature = tm.signature_of(Scorer)
    print("Signature inputs:", signature.inputs.to_json())
    print("Signature outputs:", signature.outputs.to_json())

    model = Scorer()

    # Plain dicts in (lax coercion: "30" is 30), Score objects out.
    scores = model.predict([{"name": "Alice", "age": "30", "income": 50_000}])
    print("From dicts:", scores)
    assert scores == [Score(score=30 * 0.1 + 50_000 * 0.05)]

    # A DataFrame works too; a missing note (None/NaN) is fine because note is optional.
    frame = pd.DataFrame(
        {
            "name": ["Alice", "Bob"],
            "age": [30, 41],
            "income": [50_000.0, 42_000.0],
            "note": [None, "returning customer"],
        }
    )
    from_frame = model.predict(frame)
    print("From a DataFrame:", from_frame)
    assert [s.score for s in from_frame] == [
        30 * 0.1 + 50_000 * 0.05,
        41 * 0.1 + 42_000 * 0.05,
    ]

    # Bad rows: every issue of the batch, in one error.
    bad_rows = [
        {"name": "Bob", "age": "old", "income": 1},
        {"name": "Cid", "age": -4, "income": 2},
    ]
    error = rejected(model.predict, bad_rows)
    print("Rejected:", error, sep="\n")
    assert error.error_count() == 2
    assert [(i.row, i.loc) for i in error.issues] == [(0, ("age",)), (1, ("age",))]


if __name__ == "__main__":
    main()
