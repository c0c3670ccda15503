"""Explicit signatures: ColSpec columns, TensorSpec arrays and a ParamSchema, no element hints.

Run it with ``python examples/explicit_signatures.py``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

import typedmodel as tm

COLUMNS = tm.ModelSignature(
    inputs=tm.Schema(
        [
            tm.ColSpec("long", "age"),
            tm.ColSpec("double", "income"),
            tm.ColSpec("string", "city", required=False),
        ]
    ),
    outputs=tm.Schema([tm.ColSpec("double")]),
    params=tm.ParamSchema([tm.ParamSpec("threshold", "double", 0.5)]),
)

TENSORS = tm.ModelSignature(
    inputs=tm.Schema([tm.TensorSpec(np.float64, (-1, 3), "pixels")]),
    params=tm.ParamSchema([tm.ParamSpec("top_k", "long", 1)]),
)


@tm.typed(signature=COLUMNS)
class TableModel:
    def predict(self, model_input: pd.DataFrame, params: dict | None = None) -> list[float]:
        assert params is not None
        # Columns arrive in schema order with safe dtypes: age int64, income float64.
        assert list(model_input.columns)[:2] == ["age", "income"]
        assert model_input["age"].dtype == np.int64
        scores = model_input["income"] / 100_000 + model_input["age"] / 100
        return [float(s > params["threshold"]) for s in scores]


@tm.typed(signature=TENSORS)
def tensor_model(model_input, params=None):
    pixels = model_input["pixels"]
    assert pixels.dtype == np.float64  # float32 in, float64 out (a safe cast)
    return np.argsort(-pixels, axis=1)[:, : params["top_k"]]


def rejected(predict: Any, *args: Any, **kwargs: Any) -> tm.ValidationError:
    """The ValidationError that `predict` raises for these arguments."""
    try:
        predict(*args, **kwargs)
    except tm.ValidationError as exc:
        return exc
    raise AssertionError("bad data was accepted")


def main() -> None:
    print("Table signature:", tm.signature_of(TableModel).to_json())
    table = TableModel()
    frame = pd.DataFrame(
        {
            "income": np.array([90_000, 10_000], dtype=np.float32),
            "age": np.array([40, 20], dtype=np.int32),
        }
    )
    out = table.predict(frame)
    print("Table predictions:", out)
    assert out == [1.0, 0.0]
    assert table.predict(frame, params={"threshold": 2}) == [0.0, 0.0]  # an int is a fine double

    # Extra columns are dropped, with a warning that names them.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table.predict(frame.assign(debug=[1, 2]))
    assert any(
        issubclass(w.category, tm.TypedModelWarning) and "debug" in str(w.message) for w in caught
    )

    # A fractional age is not a long, and an unknown param is refused: both named.
    error = rejected(table.predict, pd.DataFrame({"age": [30.5], "income": [1.0]}))
    print("Rejected:", error, sep="\n")
    assert [(i.row, i.loc) for i in error.issues] == [(0, ("age",))]
    error = rejected(table.predict, frame, params={"treshold": 0.1})
    print("Rejected:", error, sep="\n")
    assert "threshold" in str(error)

    print("Tensor signature:", tm.signature_of(tensor_model).to_json())
    pixels = np.array([[0.1, 0.9, 0.5], [0.7, 0.2, 0.3]], dtype=np.float32)
    top = tensor_model({"pixels": pixels}, params={"top_k": 2})
    print("Top indices:", top.tolist())
    assert top.tolist() == [[1, 2], [0, 2]]
    error = rejected(tensor_model, {"pixels": np.zeros((2, 4))})
    print("Rejected:", error, sep="\n")
    assert error.issues[0].loc == ("pixels",)


if __name__ == "__main__":
    main()
