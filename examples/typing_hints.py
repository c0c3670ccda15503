"""A model typed with plain typing hints: a batch of feature dicts, ``list[dict[str, float]]``.

Run it with ``python examples/typing_hints.py``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

import typedmodel as tm


@tm.typed
class WeightedSum:
    """Scores each row as a weighted sum of its features."""

    weights: ClassVar[dict[str, float]] = {"height": 0.5, "width": 2.0}

    def predict(self, model_input: list[dict[str, float]]) -> list[float]:
        return [sum(self.weights.get(k, 0.0) * v for k, v in row.items()) for row in model_input]


def main() -> None:
    signature = tm.signature_of(WeightedSum)
    print("Signature:", signature.to_json())
    assert signature.inputs.to_dict() == [
        {"type": "map", "values": {"type": "double"}, "required": True}
    ]

    model = WeightedSum()
    # Ints, numeric strings and numpy scalars all arrive as Python floats.
    rows = [{"height": 2, "width": "1.5"}, {"height": np.float32(4.0), "width": np.int64(1)}]
    scores = model.predict(rows)
    print("Scores:", scores)
    assert scores == [4.0, 4.0]
    assert rows[0]["width"] == "1.5"  # the caller's data is left as it was

    # A DataFrame's rows become dicts.
    frame = pd.DataFrame({"height": [2.0, 4.0], "width": [1.5, 1.0]})
    assert model.predict(frame) == scores

    error = None
    try:
        model.predict([{"height": "tall"}])
    except tm.ValidationError as exc:
        error = exc
    assert error is not None, "a non-number was accepted"
    print("Rejected:", error, sep="\n")
    [issue] = error.issues
    assert (issue.row, issue.loc, issue.input) == (0, ("height",), "tall")


if __name__ == "__main__":
    main()
