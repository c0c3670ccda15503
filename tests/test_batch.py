"""The engine-neutral batch core: policies, the Arrow exchange, and the issues of quarantined rows
agreeing with what ``predict`` reports."""

from __future__ import annotations

import datetime as dt
import pickle
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings

import typedmodel as tm
from tests.strategies import models_and_batches
from typedmodel.batch import BATCH, ISSUES, ROW, Scorer, rejected_schema, to_pandas
from typedmodel.schema.arrow import arrow_schema, arrow_type


class Row(pydantic.BaseModel):
    x: int = pydantic.Field(ge=0)
    s: str
    when: dt.datetime | None = None
    tags: list[str] = []


class Out(pydantic.BaseModel):
    score: float
    label: str


@tm.typed
def by_rows(model_input: list[Row]) -> list[Out]:
    return [Out(score=r.x * 2.0, label=f"{r.s}{len(r.tags)}") for r in model_input]


@tm.typed
def by_frame(model_input: tm.Frame[Row]) -> list[float]:
    return [float(v) for v in model_input["x"]]


def _table(n: int = 6, bad: tuple[int, ...] = ()) -> pa.Table:
    xs = [None if i in bad else i for i in range(n)]
    when = [dt.datetime(2024, 1, 1, i % 24, tzinfo=dt.timezone.utc) for i in range(n)]
    return pa.table(
        {
            "x": pa.array(xs, pa.int64()),
            "s": [f"r{i}" for i in range(n)],
            "when": pa.array(when, pa.timestamp("us", tz="UTC")),
            "tags": [["a"] * (i % 3) for i in range(n)],
        }
    )


def _predict_issues(model: Any, frame: pd.DataFrame) -> dict[int, list[tuple[Any, ...]]]:
    with pytest.raises(tm.ValidationError) as info:
        model(frame)
    out: dict[int, list[tuple[Any, ...]]] = {}
    for issue in info.value.issues:
        out.setdefault(issue.row, []).append(([str(p) for p in issue.loc], issue.type, issue.msg))
    return out


@pytest.mark.parametrize("model", [by_rows, by_frame], ids=["list", "frame"])
def test_a_good_batch_scores_as_predict_does(model: Any) -> None:
    table = _table()
    scored = Scorer(model).score(table)
    expected = model(to_pandas(table))
    got = scored.predictions.to_pylist()
    if isinstance(expected[0], Out):
        assert got == [o.model_dump() for o in expected]
    else:
        assert got == [{"prediction": v} for v in expected]
    assert scored.rows.tolist() == list(range(len(table)))
    assert scored.rejected.num_rows == 0


@pytest.mark.parametrize("model", [by_rows, by_frame], ids=["list", "frame"])
def test_quarantined_rows_carry_the_issues_predict_reports(model: Any) -> None:
    table = _table(10, bad=(2, 7))
    scored = Scorer(model, on_error="quarantine").score(table, batch_id="p0")
    assert scored.rows.tolist() == [0, 1, 3, 4, 5, 6, 8, 9]
    assert scored.predictions.num_rows == 8
    rejected = scored.rejected.to_pylist()
    assert [r[ROW] for r in rejected] == [2, 7]
    assert {r[BATCH] for r in rejected} == {"p0"}
    assert [r["s"] for r in rejected] == ["r2", "r7"]  # the original row
    expected = _predict_issues(model, to_pandas(table))
    for r in rejected:
        assert [(i["loc"], i["type"], i["msg"]) for i in r[ISSUES]] == [
            tuple(e) for e in expected[r[ROW]]
        ]
    assert scored.rejected.schema == rejected_schema(table.schema)


def test_null_policy_gives_every_row_a_prediction_row() -> None:
    table = _table(5, bad=(1,))
    scored = Scorer(by_rows, on_error="null").score(table)
    got = scored.predictions.to_pylist()
    assert got[1] == {"label": None, "score": None}
    assert got[0] == {"label": "r00", "score": 0.0}
    assert len(got) == 5
    assert scored.rejected.num_rows == 1
    assert all(f.nullable for f in scored.predictions.schema)


def test_raise_policy_raises_predicts_error() -> None:
    with pytest.raises(tm.ValidationError) as info:
        Scorer(by_rows).score(_table(4, bad=(3,)))
    assert [(i.row, i.loc, i.type) for i in info.value.issues] == [(3, ("x",), "missing")]


def test_a_batch_level_issue_fails_under_every_policy() -> None:
    frame = pd.DataFrame([[1, "a", 2]], columns=["x", "s", "x"])
    for policy in ("null", "quarantine"):
        with pytest.raises(tm.ValidationError) as info:
            Scorer(by_frame, on_error=policy).score(frame)
        assert info.value.issues[0].row is None


def test_a_pandas_batch_gets_pandas_back_with_nullable_ints() -> None:
    frame = pd.DataFrame({"x": [1, -1, 3], "s": ["a", "b", "c"]})
    scored = Scorer(by_frame, on_error="quarantine").score(frame)
    assert isinstance(scored.predictions, pd.DataFrame)
    assert scored.predictions["prediction"].tolist() == [1.0, 3.0]
    assert scored.rejected[ROW].tolist() == [1]
    assert scored.rejected["x"].tolist() == [-1]
    assert scored.rejected[ISSUES][0][0]["type"] == "greater_than_equal"


def test_arrow_nulls_in_an_int_column_stay_nulls_in_pandas() -> None:
    frame = to_pandas(pa.table({"x": pa.array([1, None], pa.int64())}))
    assert str(frame["x"].dtype) == "Int64"
    assert frame["x"].tolist()[0] == 1
    assert frame["x"].isna().tolist() == [False, True]


def test_nested_arrow_values_arrive_as_python_values() -> None:
    kind = pa.map_(pa.string(), pa.list_(pa.int64()))
    table = pa.table({"m": pa.array([[("k", [1, 2])], None], kind)})
    assert to_pandas(table)["m"].tolist() == [{"k": [1, 2]}, None]


def test_the_arrow_schema_follows_the_signature() -> None:
    assert arrow_schema(tm.signature_of(by_rows).inputs) == pa.schema(
        [
            pa.field("s", pa.string(), nullable=False),
            pa.field("tags", pa.list_(pa.string())),
            pa.field("when", pa.timestamp("us", tz="UTC")),
            pa.field("x", pa.int64(), nullable=False),
        ]
    )
    assert Scorer(by_frame).output_schema() == pa.schema(
        [pa.field("prediction", pa.float64(), nullable=False)]
    )
    assert arrow_type(tm.Map(tm.DataType.float)) == pa.map_(pa.string(), pa.float32())


@pytest.mark.parametrize("node", [tm.AnyType(), tm.UnionType(["long", "string"])], ids=repr)
def test_a_node_without_an_arrow_type_is_a_schema_error(node: Any) -> None:
    with pytest.raises(tm.SchemaError):
        arrow_type(node)


def test_a_model_without_outputs_can_not_name_its_result_columns() -> None:
    @tm.typed
    def untyped_output(model_input: list[Row]):  # type: ignore[no-untyped-def]
        return [1.0] * len(model_input)

    with pytest.raises(tm.SchemaError):
        Scorer(untyped_output).score(_table(2))


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="on_error"):
        Scorer(by_rows, on_error="skip")


def test_a_scorer_pickles_without_its_loaded_model(tmp_path: Any) -> None:
    tm.save_model(by_frame, tmp_path / "m")
    scorer = Scorer(str(tmp_path / "m"), on_error="quarantine")
    scorer.score(_table(2))
    assert scorer._endpoint is not None
    copy = pickle.loads(pickle.dumps(scorer))
    assert copy._endpoint is None
    assert copy.score(_table(3)).predictions.column("prediction").to_pylist() == [0.0, 1.0, 2.0]
    # A directory loads once per process, however many scorers hold it.
    assert copy.endpoint is scorer.endpoint


SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60)


@pytest.mark.filterwarnings("ignore::typedmodel.TypedModelWarning")  # columns Row doesn't name
@SLOW
@given(models_and_batches())
def test_quarantine_agrees_with_predict_on_generated_batches(case: tuple[Any, Any]) -> None:
    model, rows = case
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        return
    frame = pd.DataFrame(rows)

    @tm.typed
    def predict(model_input: tm.Frame[model]) -> list[int]:  # type: ignore[valid-type]
        return list(range(len(model_input)))

    try:
        expected = predict(frame)
        issues: dict[int, list[Any]] = {}
    except tm.ValidationError as exc:
        if any(i.row is None for i in exc.issues):
            return  # a batch-level issue: every policy raises it (tested above)
        expected = None
        issues = {}
        for i in exc.issues:
            issues.setdefault(i.row, []).append(([str(p) for p in i.loc], i.type, i.msg))
    scored = Scorer(predict, on_error="quarantine").score(frame)
    got = {
        int(r): [(i["loc"], i["type"], i["msg"]) for i in found]
        for r, found in zip(scored.rejected[ROW], scored.rejected[ISSUES], strict=True)
    }
    assert got == issues
    if expected is not None:
        assert scored.predictions["prediction"].tolist() == expected
    good = np.setdiff1d(np.arange(len(frame)), np.array(sorted(issues), dtype=np.int64))
    assert scored.rows.tolist() == good.tolist()


def test_a_directory_saved_again_is_loaded_again(tmp_path: Any) -> None:
    tm.save_model(by_frame, tmp_path / "m")
    first = Scorer(str(tmp_path / "m")).endpoint
    assert Scorer(str(tmp_path / "m")).endpoint is first
    tm.save_model(by_rows, tmp_path / "m", overwrite=True)
    again = Scorer(str(tmp_path / "m"))
    assert again.endpoint is not first
    assert again.score(_table(1)).predictions.column_names == ["label", "score"]
