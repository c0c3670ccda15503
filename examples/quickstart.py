"""Quickstart: a typed predict, and a model's contract as a schema tree in MLflow's JSON form.

Run it with ``python examples/quickstart.py``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pydantic

import typedmodel as tm


class Applicant(pydantic.BaseModel):
    age: int = pydantic.Field(ge=0, description="Age in whole years")
    income: float | None = None
    city: str


class Risk(tm.PythonModel):
    """Scores applicants; the hints are the contract."""

    def predict(self, context, model_input: list[Applicant]) -> list[float]:
        return [min(1.0, a.age / 100 + (a.income or 0) / 1e6) for a in model_input]


def main() -> tm.ModelSignature:
    # 0. A typed model: a DataFrame with a missing income is coerced and validated first.
    risk = Risk()
    frame = pd.DataFrame({"age": [30, 41], "income": [52_000.0, np.nan], "city": ["Lyon", "Nice"]})
    print("Scores:", risk.predict(frame))
    try:
        risk.predict([{"age": -3, "city": "Paris"}, {"age": 1.5, "city": None}])
    except tm.ValidationError as exc:
        error = exc
    else:
        raise AssertionError("bad rows were accepted")
    print(error)
    assert error.error_count() == 3  # every bad row and field, in one error
    print("Signature from the hints:", tm.signature_of(Risk).to_dict()["inputs"], sep="\n  ")

    # 1. Infer a signature from example data: a DataFrame in, an array of scores out.
    applicants = pd.DataFrame(
        {
            "age": [30, 41, 25],
            "income": [52_000.0, 61_500.0, None],  # a missing value: the column is optional
            "city": pd.Categorical(["Paris", "Lyon", "Paris"]),
        }
    )
    scores = np.array([0.12, 0.80, 0.33])
    inferred = tm.infer_signature(applicants, scores, params={"threshold": 0.5})
    print("Inferred:", inferred, sep="\n  ")

    # 2. Build the same contract by hand: the two are equal, value for value.
    explicit = tm.ModelSignature(
        inputs=tm.Schema(
            [
                tm.ColSpec("long", "age"),
                tm.ColSpec("double", "income", required=False),
                tm.ColSpec("string", "city"),
            ]
        ),
        outputs=tm.Schema([tm.TensorSpec(np.float64, (-1,))]),
        params=tm.ParamSchema([tm.ParamSpec("threshold", tm.DataType.double, 0.5)]),
    )
    assert explicit == inferred, (explicit, inferred)

    # 3. The MLmodel form: what MLflow writes under `signature:`, and reads back.
    mlmodel_form = explicit.to_dict()
    print("MLmodel form:", json.dumps(mlmodel_form, indent=2), sep="\n")
    assert tm.ModelSignature.from_dict(mlmodel_form) == explicit
    return explicit


if __name__ == "__main__":
    main()
