"""typedmodel.dask on a local distributed cluster (two worker processes): predictions,
quarantine, dtypes and metas as the in-process ``predict`` and the signature say."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pydantic
import pytest

import typedmodel as tm
from typedmodel.batch import BATCH, ISSUES, ROW, Scorer, to_pandas

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
delayed = pytest.importorskip("dask.delayed").delayed
tm_dask = pytest.importorskip("typedmodel.dask")


class Row(pydantic.BaseModel):
    id: int
    x: int = pydantic.Field(ge=0)
    s: str


class Maybe(pydantic.BaseModel):
    m: int | None


class Out(pydantic.BaseModel):
    key: int
    score: float
    label: str


class Point(pydantic.BaseModel):
    lat: float
    lon: float


class Typed(pydantic.BaseModel):
    n: int | None
    when: dt.datetime
    where: Point
    values: list[int]


class Echo(pydantic.BaseModel):
    n: int | None
    when: dt.datetime
    where: Point
    values: list[int]
    flag: bool | None


@tm.typed
def by_rows(model_input: list[Row]) -> list[Out]:
    return [Out(key=r.id, score=r.x * 2.0, label=f"{r.s}!") for r in model_input]


@tm.typed
def by_frame(model_input: tm.Frame[Row]) -> list[float]:
    return [float(v) for v in model_input["x"]]


@tm.typed
def by_maybe(model_input: tm.Frame[Maybe]) -> list[int]:
    return [0] * len(model_input)


@tm.typed
def echo(model_input: list[Typed]) -> list[Echo]:
    return [Echo(**r.model_dump(), flag=None if r.n is None else r.n > 2) for r in model_input]


MODELS = pytest.mark.parametrize("model", [by_rows, by_frame], ids=["list", "frame"])


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _frame(n: int, bad: tuple[int, ...] = ()) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": range(n),
            "x": [-1 if i in bad else i for i in range(n)],
            "s": [f"r{i}" for i in range(n)],
        }
    )


def _issues(model: Any, frame: pd.DataFrame) -> dict[int, list[tuple[Any, ...]]]:
    with pytest.raises(tm.ValidationError) as info:
        model(frame)
    out: dict[int, list[tuple[Any, ...]]] = {}
    for issue in info.value.issues:
        out.setdefault(issue.row, []).append(([str(p) for p in issue.loc], issue.type, issue.msg))
    return out


@MODELS
def test_a_good_frame_scores_as_predict_does(client: Any, model: Any) -> None:
    frame = _frame(300)
    got = tm_dask.predict(dd.from_pandas(frame, npartitions=3), model, result="predictions")
    result = got.compute()
    expected = Scorer(model).score(frame).predictions  # pandas in, pandas out
    pd.testing.assert_frame_equal(result, expected)
    assert got.npartitions == 3


def test_appended_predictions_follow_the_input(client: Any) -> None:
    frame = _frame(40)
    ddf = dd.from_pandas(frame, npartitions=2)
    result = tm_dask.predict(ddf, by_frame).compute()
    assert list(result.columns) == [*ddf.columns, "prediction"]
    assert result["prediction"].tolist() == [float(i) for i in range(40)]
    pd.testing.assert_frame_equal(result[list(ddf.columns)], ddf.compute())


@MODELS
def test_one_percent_bad_rows_are_quarantined_with_predicts_issues(client: Any, model: Any) -> None:
    n = 1000
    bad = tuple(range(7, n, 100))  # 10 rows, 1%
    frame = _frame(n, bad)
    ddf = dd.from_pandas(frame, npartitions=4)
    scored, rejected = tm_dask.predict(ddf, model, on_error="quarantine")
    good = scored.compute()
    assert good["id"].tolist() == [i for i in range(n) if i not in bad]
    found = rejected.compute()
    assert found["id"].tolist() == list(bad)
    assert found.index.tolist() == list(bad)  # a rejected row keeps its index
    expected = _issues(model, frame)
    for _, r in found.iterrows():
        assert [(i["loc"], i["type"], i["msg"]) for i in r[ISSUES]] == expected[r["id"]]
    sizes = ddf.map_partitions(len).compute().tolist()
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    for _, r in found.iterrows():  # _batch is the partition, _row the position in it
        assert starts[int(r[BATCH])] + r[ROW] == r["id"]
    pd.testing.assert_frame_equal(found[list(frame.columns)], ddf.compute().iloc[list(bad)])
    assert dict(rejected.dtypes) == dict(found.dtypes)
    assert dict(scored.dtypes) == dict(good.dtypes)


class Counted(tm.PythonModel):
    """Notes each call of predict in a file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def predict(self, context: Any, model_input: list[Row]) -> list[float]:
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(f"{len(model_input)}\n")
        return [0.0] * len(model_input)


def test_quarantine_runs_the_model_once_per_partition(client: Any, tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    ddf = dd.from_pandas(_frame(100, bad=(3, 50)), npartitions=4)
    scored, rejected = tm_dask.predict(ddf, Counted(str(calls)), on_error="quarantine")
    assert len(scored.compute()) == 98
    assert len(rejected.compute()) == 2
    assert len(scored) == 98  # computed again, from the persisted partitions
    assert sorted(int(n) for n in calls.read_text().split()) == [24, 24, 25, 25]


def test_a_bad_row_fails_the_frame_under_raise(client: Any) -> None:
    ddf = dd.from_pandas(_frame(20, bad=(5,)), npartitions=2)
    with pytest.raises(tm.ValidationError) as info:
        tm_dask.predict(ddf, by_rows).compute()
    assert [(i.row, i.loc, i.type) for i in info.value.issues] == [
        (5, ("x",), "greater_than_equal")
    ]


def test_the_null_policy_keeps_every_row(client: Any) -> None:
    ddf = dd.from_pandas(_frame(30, bad=(4, 19)), npartitions=2)
    result = tm_dask.predict(ddf, by_rows, on_error="null").compute()
    assert len(result) == 30
    assert result.index[result["key"].isna()].tolist() == [4, 19]
    assert str(result["key"].dtype) == "Int64"


def _typed_frame() -> pd.DataFrame:
    when = dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    return pd.DataFrame(
        {
            "n": pd.array([None if i % 3 == 0 else i for i in range(24)], dtype="Int64"),
            "when": pd.Series([when + dt.timedelta(minutes=i) for i in range(24)]),
            "where": pd.Series([{"lat": i / 2, "lon": -i / 4} for i in range(24)], dtype=object),
            "values": pd.Series([list(range(i % 4)) for i in range(24)], dtype=object),
        }
    )


def _nested(frame: pd.DataFrame, npartitions: int) -> Any:
    """A Dask frame of `frame` (Dask would turn its object columns, dicts and lists, into text)."""
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(frame, npartitions=npartitions)


def test_types_round_trip(client: Any) -> None:
    frame = _typed_frame()
    got = tm_dask.predict(_nested(frame, 3), echo, result="predictions")
    result = got.compute()
    assert str(result["n"].dtype) == "Int64"  # nulls in an int column stay nulls, not floats
    assert result["n"].isna().tolist() == frame["n"].isna().tolist()
    assert result["n"].dropna().tolist() == frame["n"].dropna().tolist()
    assert str(result["flag"].dtype) == "boolean"
    assert result["flag"].isna().sum() == 8
    assert isinstance(result["when"].dtype, pd.DatetimeTZDtype)
    assert (result["when"] == frame["when"]).all()  # the same instants (in UTC)
    assert result["where"].tolist() == frame["where"].tolist()
    assert result["values"].tolist() == frame["values"].tolist()
    assert dict(result.dtypes) == dict(got.dtypes)


def test_the_meta_is_the_signatures(client: Any) -> None:
    ddf = _nested(_typed_frame(), 2)
    expected = to_pandas(Scorer(echo).output_schema().empty_table())
    got = tm_dask.predict(ddf, echo, result="predictions")
    assert dict(got.dtypes) == dict(expected.dtypes)
    assert list(got.columns) == ["flag", "n", "values", "when", "where"]
    appended = tm_dask.predict(ddf[["n"]].rename(columns={"n": "m"}), by_maybe)
    assert dict(appended.dtypes) == {"m": pd.Int64Dtype(), "prediction": pd.Int64Dtype()}
    assert appended.compute()["prediction"].tolist() == [0] * 24


def test_a_partition_that_differs_from_the_meta_is_an_error() -> None:
    meta = pd.DataFrame({"a": pd.Series(dtype="Int64"), "b": pd.Series(dtype=float)})
    tm_dask._check_partition(meta.copy(), meta)
    wrong = pd.DataFrame({"a": [1.5], "b": [2.0]})
    with pytest.raises(tm.TypedModelError, match="column 'a' is float64, the meta says Int64"):
        tm_dask._check_partition(wrong, meta, 3)
    with pytest.raises(tm.TypedModelError, match="partition 3: the columns"):
        tm_dask._check_partition(meta[["b", "a"]], meta, 3)


def test_an_input_partition_unlike_its_meta_fails_clearly(client: Any) -> None:
    # Dask trusts the meta: here it says int64 but a partition holds float64.
    parts = [_frame(5), _frame(5).astype({"x": "float64"})]
    ddf = dd.from_delayed([delayed(p) for p in parts], meta=parts[0])
    with pytest.raises(tm.TypedModelError, match="column 'x' is float64, the meta says int64"):
        tm_dask.predict(ddf, by_frame).compute()


def test_output_columns_may_not_repeat_input_columns() -> None:
    ddf = dd.from_pandas(pd.DataFrame({"prediction": [1], "x": [2]}), npartitions=1)
    with pytest.raises(tm.TypedModelError, match="also input columns"):
        tm_dask.predict(ddf, by_frame)


@pytest.mark.parametrize("engine", ["dask", "ray"])
def test_without_the_engine_the_import_error_names_the_extra(engine: str) -> None:
    code = (
        f"import sys; sys.modules[{engine!r}] = None\n"
        f"try:\n    import typedmodel.{engine}\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert f'pip install "typedmodel[{engine}]"' in out.stdout
