"""Quickstart: a model's contract as a schema tree, in the JSON form MLflow writes.

Run it with ``python examples/quickstart.py``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

import typedmodel as tm


def main() -> tm.ModelSignature:
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
