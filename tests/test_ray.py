"""typedmodel.ray on a real local Ray cluster (two CPUs): predictions, quarantine, types and
schemas as the in-process ``predict`` and the signature say, and one model load per actor."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pydantic
import pytest

import typedmodel as tm
from typedmodel.batch import BATCH, ISSUES, ROW, Scorer, rejected_schema, to_pandas

ray = pytest.importorskip("ray")
tm_ray = pytest.importorskip("typedmodel.ray")

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.ray,
    # Ray's advice about its own tuning (raised in its executor's thread, where an error
    # would stall the run) is not under test.
    pytest.mark.filterwarnings("ignore:::ray"),
]


class Row(pydantic.BaseModel):
    id: int
    x: int = pydantic.Field(ge=0)
    s: str
    when: dt.datetime | None = None
    tags: list[str] = []


class Point(pydantic.BaseModel):
    lat: float
    lon: float


class Out(pydantic.BaseModel):
    key: int
    score: float
    label: str


class Typed(pydantic.BaseModel):
    n: int | None
    when: dt.datetime
    where: Point
    values: list[int]
    nearby: list[Point]


class Echo(pydantic.BaseModel):
    n: int | None
    when: dt.datetime
    where: Point
    values: list[int]
    nearby: list[Point]


@tm.typed
def by_rows(model_input: list[Row]) -> list[Out]:
    return [Out(key=r.id, score=r.x * 2.0, label=f"{r.s}{len(r.tags)}") for r in model_input]


@tm.typed
def by_frame(model_input: tm.Frame[Row]) -> list[float]:
    return [float(v) for v in model_input["x"]]


@tm.typed
def echo(model_input: list[Typed]) -> list[Echo]:
    return [Echo(**r.model_dump()) for r in model_input]


MODELS = pytest.mark.parametrize("model", [by_rows, by_frame], ids=["list", "frame"])


@pytest.fixture(scope="module")
def loads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where `Counted` notes each process that builds it."""
    return tmp_path_factory.mktemp("ray") / "loads"


@pytest.fixture(scope="module")
def cluster(loads: Path) -> Iterator[Any]:
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.ERROR,
        log_to_driver=False,
        configure_logging=False,
        # The workers import this module's models by name, and `Counted` reads TYPEDMODEL_LOADS.
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "TYPEDMODEL_LOADS": str(loads)}},
    )
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    yield ray
    ray.shutdown()


def _table(n: int, bad: tuple[int, ...] = ()) -> pa.Table:
    xs = [-1 if i in bad and i % 2 else (None if i in bad else i) for i in range(n)]
    when = [dt.datetime(2024, 1, 1, i % 24, tzinfo=dt.timezone.utc) for i in range(n)]
    return pa.table(
        {
            "id": pa.array(range(n), pa.int64()),
            "x": pa.array(xs, pa.int64()),
            "s": [f"r{i}" for i in range(n)],
            "when": pa.array(when, pa.timestamp("us", tz="UTC")),
            "tags": [["a"] * (i % 3) for i in range(n)],
        }
    )


def _dataset(table: pa.Table, blocks: int = 4) -> Any:
    """`table` in `blocks` blocks (made in the driver: a repartition's tasks would wait for
    CPUs that the actors hold)."""
    size = -(-table.num_rows // blocks)
    return ray.data.from_arrow([table.slice(i, size) for i in range(0, table.num_rows, size)])


def _expected(model: Any, table: pa.Table) -> list[dict[str, Any]]:
    out = model(to_pandas(table))
    return [o.model_dump() if isinstance(o, Out) else {"prediction": o} for o in out]


@MODELS
def test_a_good_table_scores_as_predict_does(cluster: Any, model: Any) -> None:
    table = _table(200)
    got = tm_ray.predict(_dataset(table), model, result="predictions", concurrency=2)
    rows = got.take_all()
    key = "key" if model is by_rows else "prediction"
    assert sorted(rows, key=lambda r: r[key]) == _expected(model, table)


def test_appended_predictions_keep_the_input_columns(cluster: Any) -> None:
    table = _table(50)
    got = tm_ray.predict(_dataset(table, 2), by_frame, concurrency=1).to_arrow_refs()
    result = pa.concat_tables(ray.get(got)).sort_by("id")
    assert result.column_names == [*table.column_names, "prediction"]
    assert result.column("prediction").to_pylist() == [float(i) for i in range(50)]
    assert result.select(table.column_names).equals(table)


@MODELS
def test_one_percent_bad_rows_are_quarantined_with_predicts_issues(
    cluster: Any, model: Any
) -> None:
    n = 1000
    bad = tuple(range(5, n, 100))  # 10 rows, 1%
    table = _table(n, bad)
    scored, rejected = tm_ray.predict(_dataset(table), model, on_error="quarantine", concurrency=2)
    good = scored.take_all()
    assert len(good) == n - len(bad)
    assert sorted(r["id"] for r in good) == [i for i in range(n) if i not in bad]
    found = rejected.take_all()
    assert sorted(r["id"] for r in found) == list(bad)
    with pytest.raises(tm.ValidationError) as info:
        model(to_pandas(table))
    expected: dict[int, list[tuple[Any, ...]]] = {}
    for issue in info.value.issues:
        expected.setdefault(issue.row, []).append(
            ([str(p) for p in issue.loc], issue.type, issue.msg)
        )
    for r in found:
        assert [(i["loc"], i["type"], i["msg"]) for i in r[ISSUES]] == expected[r["id"]]
        original = table.slice(r["id"], 1).to_pylist()[0]
        assert {k: r[k] for k in table.column_names} == original
        assert r[BATCH]
        assert r[ROW] >= 0
    assert rejected.schema().base_schema == rejected_schema(table.schema)
    assert scored.schema().base_schema == pa.schema([*table.schema, *Scorer(model).output_schema()])


def test_a_predictor_without_quarantine_fails_on_a_bad_row(cluster: Any) -> None:
    ds = _dataset(_table(20, bad=(4,)), 1)
    # Ray Data keeps only the text of a UDF's error (a UserCodeException's traceback).
    with pytest.raises(ray.exceptions.RayTaskError) as info:
        tm_ray.predict(ds, by_rows, concurrency=1).materialize()
    assert "typedmodel.errors.ValidationError: 1 validation error" in str(info.value)
    assert "row 4 -> x: Field required" in str(info.value)


def test_the_null_policy_keeps_every_row(cluster: Any) -> None:
    table = _table(40, bad=(4, 9))
    got = tm_ray.predict(_dataset(table, 2), by_rows, on_error="null", concurrency=1)
    rows = sorted(got.take_all(), key=lambda r: r["s"])
    assert len(rows) == 40
    nulls = [r["s"] for r in rows if r["score"] is None]
    assert nulls == ["r4", "r9"]
    assert all(f.nullable for f in got.schema().base_schema if f.name in ("score", "label"))


def _typed_table() -> pa.Table:
    schema = Scorer(echo).input_schema()
    when = dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    rows = [
        {
            "n": None if i % 3 == 0 else i,
            "when": when + dt.timedelta(minutes=i),
            "where": {"lat": i / 2, "lon": -i / 4},
            "values": list(range(i % 4)),
            "nearby": [{"lat": 1.0, "lon": 2.0}] * (i % 2),
        }
        for i in range(30)
    ]
    return pa.Table.from_pylist(rows, schema=schema)


@pytest.mark.parametrize("batch_format", ["pyarrow", "pandas"])
def test_types_round_trip(cluster: Any, batch_format: str) -> None:
    table = _typed_table()
    got = tm_ray.predict(
        _dataset(table, 3),
        echo,
        result="predictions",
        batch_format=batch_format,
        concurrency=1,
    )
    result = pa.concat_tables(ray.get(got.to_arrow_refs()))
    rows = sorted(result.to_pylist(), key=lambda r: r["when"])
    assert rows == table.to_pylist()
    assert rows[0]["n"] is None
    assert rows[0]["when"].utcoffset() == dt.timedelta(0)  # the instant, in UTC
    assert rows[0]["when"] == table.column("when")[0].as_py()
    assert result.schema == Scorer(echo).output_schema()
    assert got.schema().base_schema == Scorer(echo).output_schema()


def test_the_schema_is_the_signatures_even_without_rows(cluster: Any) -> None:
    empty = ray.data.from_arrow(_table(0))
    expected = Scorer(by_rows).output_schema()
    got = tm_ray.predict(empty, by_rows, result="predictions", concurrency=1)
    assert got.schema().base_schema == expected
    assert got.count() == 0
    scored, rejected = tm_ray.predict(empty, by_rows, on_error="quarantine", concurrency=1)
    assert scored.schema().base_schema == pa.schema([*_table(0).schema, *expected])
    assert rejected.schema().base_schema == rejected_schema(_table(0).schema)
    assert scored.count() == rejected.count() == 0


def test_every_row_quarantined_still_has_the_scored_schema(cluster: Any) -> None:
    table = _table(10, bad=tuple(range(10)))
    scored, rejected = tm_ray.predict(
        _dataset(table, 2), by_frame, on_error="quarantine", result="predictions"
    )
    assert scored.count() == 0
    assert scored.schema().base_schema == Scorer(by_frame).output_schema()
    assert rejected.count() == 10


def test_the_predictor_class_returns_the_declared_schema(cluster: Any) -> None:
    out = _dataset(_table(30), 3).map_batches(
        tm_ray.Predictor,
        fn_constructor_kwargs={"model": by_rows},
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=1),
    )
    assert out.schema().base_schema == Scorer(by_rows).output_schema()
    assert out.count() == 30


class Counted(tm.PythonModel):
    """Writes its process id to a file each time it is built, and predicts it."""

    def __init__(self) -> None:
        with open(os.environ["TYPEDMODEL_LOADS"], "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")

    def predict(self, context: Any, model_input: list[Row]) -> list[int]:
        return [os.getpid()] * len(model_input)


def test_the_model_loads_once_per_actor(cluster: Any, loads: Path) -> None:
    ds = _dataset(_table(200), 20)
    out = ds.map_batches(
        tm_ray.Predictor,
        fn_constructor_kwargs={"model": Counted},
        batch_format="pyarrow",
        batch_size=10,  # 20 batches at least
        compute=ray.data.ActorPoolStrategy(size=2),
    )
    scored_by = {r["prediction"] for r in out.take_all()}
    built = [int(line) for line in loads.read_text(encoding="utf-8").split()]
    assert len(built) == len(set(built))  # no process built the model twice
    assert set(built) == scored_by  # and the processes that scored are those that built it
    assert 1 <= len(built) <= 2  # one per actor
