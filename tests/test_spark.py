"""typedmodel.spark on a real local Spark: predictions, policies, the rejected table, types, the
derived schema and the column UDF, against in-process ``predict`` on the same rows."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pydantic
import pytest

import typedmodel as tm
from typedmodel.batch import Scorer, to_pandas

pyspark = pytest.importorskip("pyspark")

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql.pandas.types import from_arrow_schema  # noqa: E402
from pyspark.sql.types import (  # noqa: E402
    ArrayType,
    BinaryType,
    DoubleType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from typedmodel import spark as tms  # noqa: E402

pytestmark = [
    pytest.mark.spark,
    # pyspark warns about pandas 3 in its own pandas helpers, which typedmodel.spark doesn't use.
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers run this venv's Python
    session = (
        SparkSession.builder.master("local[2]")
        .appName("typedmodel-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "America/New_York")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "128")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    # The workers import this module (the models' classes are pickled by reference).
    path = os.environ.get("PYTHONPATH", "")
    session.sparkContext.environment["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), path) if p
    )
    yield session
    session.catalog.clearCache()


# -- models ------------------------------------------------------------------------------------


class Row(pydantic.BaseModel):
    id: int
    x: int = pydantic.Field(ge=0, le=1000)
    s: str = pydantic.Field(min_length=1)
    when: dt.datetime | None = None


class Out(pydantic.BaseModel):
    score: float
    label: str


@tm.typed
def by_rows(model_input: list[Row]) -> list[Out]:
    return [Out(score=r.x * 2.0 + r.id, label=f"{r.s}:{r.id}") for r in model_input]


@tm.typed
def by_frame(model_input: tm.Frame[Row]) -> list[float]:
    return [
        float(x) + 0.5 * float(i) for x, i in zip(model_input["x"], model_input["id"], strict=True)
    ]


COLUMNS = tm.ModelSignature(
    inputs=tm.Schema(
        [
            tm.ColSpec("long", "id"),
            tm.ColSpec("long", "x"),
            tm.ColSpec("string", "s"),
            tm.ColSpec("datetime", "when", required=False),
        ]
    ),
    outputs=tm.Schema([tm.ColSpec("double", "y"), tm.ColSpec("string", "tag")]),
)


@tm.typed(signature=COLUMNS)
def by_columns(model_input: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {"y": model_input["x"] * 1.5 - model_input["id"], "tag": model_input["s"].str.upper()}
    )


MODELS = {"list": by_rows, "frame": by_frame, "columns": by_columns}


def _table(n: int, bad: dict[int, str] | None = None) -> pa.Table:
    """`n` rows for `Row`; `bad` maps a row to what is wrong with it."""
    bad = bad or {}
    xs: list[int | None] = [i % 997 for i in range(n)]
    ss = [f"r{i}" for i in range(n)]
    for i, what in bad.items():
        if what == "null":
            xs[i] = None
        elif what == "range":
            xs[i] = 5000 + i
        else:
            ss[i] = ""
    when = [dt.datetime(2024, 3, 10, i % 24, tzinfo=dt.timezone.utc) for i in range(n)]
    return pa.table(
        {
            "id": pa.array(range(n), pa.int64()),
            "x": pa.array(xs, pa.int64()),
            "s": pa.array(ss, pa.string()),
            "when": pa.array(when, pa.timestamp("us", tz="UTC")),
        }
    )


def _local(model: Any, table: pa.Table) -> list[dict[str, Any]]:
    """In-process predictions of `table`, as rows of the output columns."""
    scored = Scorer(model).score(table)
    return scored.predictions.to_pylist()  # type: ignore[no-any-return]


def _rows(df: Any, order: str = "id") -> list[dict[str, Any]]:
    return df.orderBy(order).toArrow().to_pylist()  # type: ignore[no-any-return]


def _issues(model: Any, table: pa.Table) -> dict[int, list[tuple[Any, ...]]]:
    """What in-process ``predict`` reports per row of `table`: (loc, type, msg)."""
    with pytest.raises(tm.ValidationError) as info:
        model(to_pandas(table))
    out: dict[int, list[tuple[Any, ...]]] = {}
    for issue in info.value.issues:
        out.setdefault(issue.row, []).append(([str(p) for p in issue.loc], issue.type, issue.msg))
    return out


# -- predictions -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MODELS))
def test_a_good_table_scores_as_predict_does(spark: SparkSession, name: str) -> None:
    model = MODELS[name]
    table = _table(300)
    df = spark.createDataFrame(table)
    got = _rows(tms.predict(df, model))
    expected = _local(model, table)
    assert len(got) == 300
    outputs = Scorer(model).output_schema().names
    assert [{k: r[k] for k in outputs} for r in got] == expected
    assert [r["id"] for r in got] == list(range(300))  # the input's columns come first
    assert [r["s"] for r in got] == table.column("s").to_pylist()
    only = tms.predict(df, model, result="predictions")
    assert only.columns == outputs
    assert sorted(only.toArrow().to_pylist(), key=str) == sorted(expected, key=str)


def test_in_process_predictions_agree_with_the_model() -> None:
    table = _table(5)
    assert _local(by_rows, table) == [
        o.model_dump() for o in by_rows([Row(**r) for r in table.to_pylist()])
    ]


def test_a_saved_directory_scores_as_the_object_does(spark: SparkSession, tmp_path: Path) -> None:
    tm.save_model(by_rows, tmp_path / "m")
    table = _table(200)
    df = spark.createDataFrame(table)
    got = _rows(tms.predict(df, str(tmp_path / "m"), result="append"))
    assert [{"score": r["score"], "label": r["label"]} for r in got] == _local(by_rows, table)


def test_runs_and_models_uris_score_through_a_local_file_store(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mlflow = pytest.importorskip("mlflow")
    from typedmodel.mlflow import log_model

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    store = (tmp_path / "mlruns").as_uri()
    mlflow.set_tracking_uri(store)
    env = spark.sparkContext.environment  # the workers' environment: they read the store too
    env.update({"MLFLOW_TRACKING_URI": store, "MLFLOW_ALLOW_FILE_STORE": "true"})
    try:
        with mlflow.start_run() as run:
            log_model(by_frame, "scorer")
        uri = f"runs:/{run.info.run_id}/scorer"
        version = mlflow.register_model(uri, "spark-scorer").version
        table = _table(100)
        df = spark.createDataFrame(table)
        for model in (uri, f"models:/spark-scorer/{version}"):
            got = _rows(tms.predict(df, model))
            assert [{"prediction": r["prediction"]} for r in got] == _local(by_frame, table)
    finally:
        mlflow.set_tracking_uri(None)
        env.pop("MLFLOW_TRACKING_URI", None)
        env.pop("MLFLOW_ALLOW_FILE_STORE", None)


# -- policies ----------------------------------------------------------------------------------

BAD = {
    **dict.fromkeys((3, 250, 511, 999), "null"),
    **dict.fromkeys((17, 600, 801), "empty"),
    **dict.fromkeys((42, 400, 777), "range"),
}


def _located(spark: SparkSession, df: Any) -> dict[int, tuple[str, int]]:
    """Each row's (partition:batch, index in batch) in `df`'s Arrow batches, read apart."""

    def locate(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from pyspark import TaskContext

        part = TaskContext.get().partitionId()
        for i, batch in enumerate(batches):
            yield pa.RecordBatch.from_pydict(
                {
                    "id": batch.column("id"),
                    "b": [f"{part}:{i}"] * batch.num_rows,
                    "r": list(range(batch.num_rows)),
                }
            )

    rows = df.mapInArrow(locate, "id long, b string, r long").toArrow().to_pylist()
    return {r["id"]: (r["b"], r["r"]) for r in rows}


@pytest.mark.parametrize("name", ["list", "frame"])
def test_quarantine_sets_aside_exactly_the_bad_rows_with_predicts_issues(
    spark: SparkSession, name: str
) -> None:
    model = MODELS[name]
    table = _table(1000, BAD)
    df = spark.createDataFrame(table).repartition(3, "id")
    scored, rejected = tms.predict(df, model, on_error="quarantine")
    bad = _rows(rejected)
    assert [r["id"] for r in bad] == sorted(BAD)
    expected = _issues(model, table)
    assert sorted(expected) == sorted(BAD)
    for r in bad:
        got = [(i["loc"], i["type"], i["msg"]) for i in r["_issues"]]
        assert got == [tuple(e) for e in expected[r["id"]]], r["id"]
        assert r["s"] == table.column("s")[r["id"]].as_py()  # the original row
    located = _located(spark, df)
    assert {r["id"]: (r["_batch"], r["_row"]) for r in bad} == {i: located[i] for i in BAD}
    assert all(re.fullmatch(r"\d+:\d+", r["_batch"]) for r in bad)
    good = _rows(scored)
    keep = [i for i in range(1000) if i not in BAD]
    assert [r["id"] for r in good] == keep
    outputs = Scorer(model).output_schema().names
    assert [{k: r[k] for k in outputs} for r in good] == _local(model, table.take(keep))
    assert rejected.columns == [*df.columns, "_batch", "_row", "_issues"]


class Log(pydantic.BaseModel):
    path: str


@tm.typed
def logged(model_input: list[Row], params: Log) -> list[float]:
    with open(params.path, "a", encoding="utf-8") as fh:  # one line per predict call
        fh.write(f"{len(model_input)}\n")
    return [float(r.x) for r in model_input]


def test_quarantine_runs_the_model_once_per_row(spark: SparkSession, tmp_path: Path) -> None:
    log = tmp_path / "calls.txt"
    df = spark.createDataFrame(_table(1000, BAD))
    scored, rejected = tms.predict(
        df, logged, on_error="quarantine", params={"path": str(log)}, result="predictions"
    )
    assert rejected.count() == len(BAD)
    assert scored.count() == 1000 - len(BAD)
    assert len(scored.collect()) == 1000 - len(BAD)
    assert len(rejected.collect()) == len(BAD)
    calls = [int(n) for n in log.read_text().split()]
    assert sum(calls) == 1000 - len(BAD)  # predict ran on each good row once, in one pass


def test_quarantine_schemas(spark: SparkSession) -> None:
    df = spark.createDataFrame(_table(10))
    scored, rejected = tms.predict(df, by_rows, on_error="quarantine", result="predictions")
    issue = StructType(
        [
            StructField("loc", ArrayType(StringType())),
            StructField("type", StringType()),
            StructField("msg", StringType()),
        ]
    )
    assert rejected.schema == StructType(
        [
            *df.schema.fields,
            StructField("_batch", StringType()),
            StructField("_row", LongType()),
            StructField("_issues", ArrayType(issue)),
        ]
    )
    assert scored.columns == ["label", "score"]  # an object's properties are sorted by name
    assert [f.dataType for f in scored.schema] == [StringType(), DoubleType()]
    assert scored.count() == 10
    assert rejected.count() == 0


def test_the_null_policy_gives_null_predictions_for_bad_rows(spark: SparkSession) -> None:
    table = _table(400, {5: "null", 300: "range"})
    got = _rows(tms.predict(spark.createDataFrame(table), by_rows, on_error="null"))
    assert len(got) == 400
    assert [r["id"] for r in got if r["score"] is None] == [5, 300]
    assert all(r["label"] is None for r in got if r["score"] is None)
    expected = _local(by_rows, table.take([i for i in range(400) if i not in (5, 300)]))
    assert [{"score": r["score"], "label": r["label"]} for r in got if r["id"] not in (5, 300)] == (
        expected
    )


def test_raise_fails_the_job_with_the_validation_message(spark: SparkSession) -> None:
    df = spark.createDataFrame(_table(50, {7: "range"}))
    with pytest.raises(Exception, match="ValidationError") as info:  # Spark wraps it
        tms.predict(df, by_rows).collect()
    text = str(info.value)
    assert "ValidationError" in text
    assert "row 7 -> x: Input should be less than or equal to 1000" in text


def test_bad_arguments_are_refused(spark: SparkSession) -> None:
    df = (
        spark.createDataFrame(_table(3)).withColumnRenamed("s", "SCORE").withColumn("s", F.lit("a"))
    )
    with pytest.raises(tm.TypedModelError, match=r"\['score'\] are also columns"):
        tms.predict(df, by_rows)
    assert tms.predict(df, by_rows, result="predictions").count() == 3
    with pytest.raises(ValueError, match="result must be"):
        tms.predict(df, by_rows, result="both")
    with pytest.raises(ValueError, match="on_error must be"):
        tms.predict(df, by_rows, on_error="skip")
    with pytest.raises(tm.TypedModelError, match="_row"):
        tms.predict(
            df.withColumn("_row", F.lit(1)), by_rows, on_error="quarantine", result="predictions"
        )


# -- types -------------------------------------------------------------------------------------


class Address(pydantic.BaseModel):
    city: str
    zip: int | None = None


class Typed(pydantic.BaseModel):
    n: int | None
    when: dt.datetime
    address: Address
    tags: list[str]
    counts: dict[str, int]
    blob: bytes


@tm.typed
def echo(model_input: list[Typed]) -> list[Typed]:
    for row in model_input:
        assert row.n is None or type(row.n) is int  # a null is a null, never a float NaN
    return model_input


class Optional(pydantic.BaseModel):
    id: int
    x: int | None


@tm.typed
def dtypes(model_input: tm.Frame[Optional]) -> list[str]:
    return [f"{model_input['x'].dtype}:{v}" for v in model_input["x"]]


def _typed_table() -> pa.Table:
    est = dt.timezone(dt.timedelta(hours=-5))
    rows = [
        {
            "n": None if i % 3 == 0 else i * 10**12,
            "when": dt.datetime(2024, 3, 10, 1 + i, 30, tzinfo=est),
            "address": {"city": f"c{i}", "zip": None if i % 2 else 1000 + i},
            "tags": ["a"] * i,
            "counts": {f"k{j}": j for j in range(i)},
            "blob": bytes([i, 0, 255]),
        }
        for i in range(6)
    ]
    kind = Scorer(echo).input_schema()
    return pa.Table.from_pylist(rows, schema=kind)


def test_types_round_trip(spark: SparkSession) -> None:
    table = _typed_table()
    df = spark.createDataFrame(table)
    got = tms.predict(df, echo, result="predictions").toArrow()
    # Spark hands timestamps back in its session's zone: the instants are what matters.
    assert got.column("when").to_pylist() == table.column("when").to_pylist()
    for name in ("n", "address", "tags", "blob"):
        assert got.column(name).to_pylist() == table.column(name).to_pylist(), name
    assert [dict(m) for m in got.column("counts").to_pylist()] == [
        dict(m) for m in table.column("counts").to_pylist()
    ]
    assert got.column("n").null_count == 2
    assert pa.types.is_int64(got.column("n").type)
    # Under quarantine too, where the outputs share the inputs' names.
    scored, rejected = tms.predict(df, echo, on_error="quarantine", result="predictions")
    again = scored.toArrow()
    for name in ("n", "tags", "blob"):
        assert again.column(name).to_pylist() == got.column(name).to_pylist(), name
    assert rejected.count() == 0


def test_nulls_in_int_columns_reach_a_frame_as_nullable_ints(spark: SparkSession) -> None:
    table = _table(6, {2: "null"})
    df = spark.createDataFrame(table)
    got = _rows(tms.predict(df.select("id", "x").coalesce(1), dtypes))  # one Arrow batch
    assert [r["prediction"] for r in got] == [
        "Int64:0",
        "Int64:1",
        "Int64:<NA>",
        "Int64:3",
        "Int64:4",
        "Int64:5",
    ]


def test_int_columns_widen_and_fractions_are_refused_as_predict_refuses_them(
    spark: SparkSession,
) -> None:
    df = spark.createDataFrame(_table(20)).withColumn("x", F.col("x").cast("int"))
    assert df.schema["x"].dataType.simpleString() == "int"
    got = _rows(tms.predict(df, by_rows))
    assert [{"score": r["score"], "label": r["label"]} for r in got] == _local(by_rows, _table(20))
    fractions = df.withColumn("x", F.col("x") + F.lit(0.5))
    _, rejected = tms.predict(fractions, by_rows, on_error="quarantine")
    bad = _rows(rejected)
    local = fractions.toArrow()
    expected = _issues(by_rows, local)
    assert len(bad) == 20
    for r in bad:
        assert [(i["loc"], i["type"], i["msg"]) for i in r["_issues"]] == [
            tuple(e) for e in expected[r["id"]]
        ]
        assert r["_issues"][0]["type"] == "int_from_float"


# -- schema ------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [by_rows, by_frame, by_columns, echo], ids=str)
def test_the_spark_schema_is_derived_from_the_signature(spark: SparkSession, model: Any) -> None:
    df = spark.createDataFrame(_typed_table() if model is echo else _table(3))
    expected = from_arrow_schema(Scorer(model).output_schema())
    got = tms.predict(df, model, result="predictions").schema
    assert len(got.fields) == len(expected.fields)
    for ours, theirs in zip(got.fields, expected.fields, strict=True):
        assert ours == theirs
    if model is not echo:  # echo's outputs are its inputs' names
        appended = tms.predict(df, model).schema
        assert appended.fields == [*df.schema.fields, *expected.fields]


def test_the_spark_schema_of_nested_types(spark: SparkSession) -> None:
    df = spark.createDataFrame(_typed_table())
    # An object's properties come sorted by name; list items and map values are nullable.
    assert tms.predict(df, echo, result="predictions").schema == StructType(
        [
            StructField(
                "address",
                StructType(
                    [
                        StructField("city", StringType(), False),
                        StructField("zip", LongType(), True),
                    ]
                ),
                False,
            ),
            StructField("blob", BinaryType(), False),
            StructField("counts", MapType(StringType(), LongType(), True), False),
            StructField("n", LongType(), True),
            StructField("tags", ArrayType(StringType(), True), False),
            StructField("when", TimestampType(), False),
        ]
    )


# -- udf ---------------------------------------------------------------------------------------


def test_udf_in_with_column(spark: SparkSession) -> None:
    table = _table(300)
    df = spark.createDataFrame(table)
    score = tms.udf(by_rows)
    got = _rows(df.withColumn("p", score("id", "x", "s", "when")).select("id", "p.*"))
    assert [{"score": r["score"], "label": r["label"]} for r in got] == _local(by_rows, table)
    by_struct = _rows(df.select("id", score(F.struct("id", "x", "s")).alias("p")))
    assert [r["p"] for r in by_struct] == _local(by_rows, table)
    one = _rows(df.withColumn("p", tms.udf(by_frame)()))
    assert [r["p"] for r in one] == [r["prediction"] for r in _local(by_frame, table)]
    assert df.withColumn("p", tms.udf(by_frame)()).schema["p"].dataType == DoubleType()


def test_udf_policies(spark: SparkSession) -> None:
    table = _table(40, {4: "range"})
    df = spark.createDataFrame(table)
    got = _rows(df.withColumn("p", tms.udf(by_rows, on_error="null")()))
    assert [r["id"] for r in got if r["p"] is None] == [4]
    with pytest.raises(Exception, match="row 4 -> x"):
        df.withColumn("p", tms.udf(by_rows)()).collect()
    with pytest.raises(ValueError, match="quarantine"):
        tms.udf(by_rows, on_error="quarantine")


def test_without_pyspark_the_import_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['pyspark'] = None\n"
        "try:\n    import typedmodel.spark\n"
        "except ImportError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert 'pip install "typedmodel[spark]"' in out.stdout


def test_the_benchmark_case_runs(spark: SparkSession) -> None:
    pytest.importorskip("mlflow.pyfunc")
    from benchmarks.spark_case import case_spark

    clean, dirty = case_spark(1_000, 1)  # the test session: getOrCreate finds it
    assert clean.ours > 0
    assert clean.theirs > 0
    assert clean.ratio == clean.ours / clean.theirs
    assert dirty.completed is True  # typedmodel quarantined the 1% and finished
    assert dirty.reference_failed is True  # MLflow's job failed on them
