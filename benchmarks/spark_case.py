"""The ``spark`` case: rows per second through `typedmodel.spark.predict` against MLflow's
``mlflow.pyfunc.spark_udf``, on the same saved model and the same table, in one local session.

The model is a ``list[Row]`` model saved with `typedmodel.save_model`, which MLflow loads as
a pyfunc (its loader is `typedmodel.mlflow`), so both sides validate every row with the same
pydantic model. The table is generated and cached before the timing; each run writes its
predictions to Spark's ``noop`` sink, which computes every column and keeps nothing.

With 1% bad rows, typedmodel quarantines them and completes, while MLflow's job fails on the
first bad batch: the case records both outcomes as booleans.

The case starts a JVM (tens of seconds), so it runs only when asked for by name:
``python -m benchmarks --case spark``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic

import typedmodel as tm
from benchmarks.suite import Result

MLFLOW_UDF = "MLflow spark_udf (same saved model)"


class CheckedApplicant(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(ge=0)
    income: float
    member: bool


@tm.typed
def score(model_input: list[CheckedApplicant]) -> list[float]:
    return [a.income / 1000 + a.age * 0.1 + (1.0 if a.member else 0.0) for a in model_input]


@dataclass
class SparkResult(Result):
    """A Spark measurement; on dirty data, whether each side's job completed."""

    completed: bool | None = None  # typedmodel's job finished (quarantine)
    reference_failed: bool | None = None  # MLflow's job failed


def session() -> Any:
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("typedmodel-benchmarks")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def table(spark: Any, n: int, *, bad_every: int | None = None) -> Any:
    """`n` applicants in 2 partitions, cached; every `bad_every`-th has a negative age."""
    age = "id % 90" if bad_every is None else f"IF(id % {bad_every} = 0, -1, id % 90)"
    df = spark.range(n, numPartitions=2).selectExpr(
        "concat('n', id) AS name",
        f"{age} AS age",
        "CAST(id AS DOUBLE) * 1.5 AS income",
        "id % 2 = 0 AS member",
    )
    df = df.cache()
    df.count()
    return df


def _run(df: Any) -> None:
    df.write.format("noop").mode("overwrite").save()


def _times(fns: dict[str, Any], repeat: int) -> dict[str, float]:
    """Median seconds of each function, their runs interleaved (A B A B ...)."""
    runs: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for key, fn in fns.items():
            start = time.perf_counter()
            fn()
            runs[key].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in runs.items()}


def case_spark(n: int, repeat: int) -> list[Result]:
    """typedmodel.spark.predict against MLflow's spark_udf on `n` rows, clean and dirty."""
    import mlflow.pyfunc
    from pyspark.sql import functions as F

    import typedmodel.spark as tms

    spark = session()
    out: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflow's and pyspark's (pandas 3) warnings
        path = str(Path(tmp) / "model")
        tm.save_model(score, path)
        theirs_udf = mlflow.pyfunc.spark_udf(spark, path, result_type="double", env_manager="local")
        columns = ["name", "age", "income", "member"]

        def ours(df: Any) -> Any:
            return tms.predict(df, path, result="predictions")

        def theirs(df: Any) -> Any:
            return df.select(theirs_udf(F.struct(*columns)).alias("prediction"))

        clean = table(spark, n)
        _run(ours(clean))  # warm: the workers start and load the model once
        _run(theirs(clean))
        t = _times(
            {"ours": lambda: _run(ours(clean)), "theirs": lambda: _run(theirs(clean))}, repeat
        )
        t_ours, t_theirs = t["ours"], t["theirs"]
        out.append(
            SparkResult(
                f"Spark predict, list[Row] (4 fields), {n:,} rows",
                MLFLOW_UDF,
                t_ours,
                t_theirs,
                "s/table",
                1.0,
                "n/a",
                note=f"rows/s: typedmodel {n / t_ours:,.0f}, MLflow {n / t_theirs:,.0f}; 2 cores",
            )
        )
        clean.unpersist()

        dirty = table(spark, n, bad_every=100)
        start = time.perf_counter()
        scored, rejected = tms.predict(dirty, path, on_error="quarantine", result="predictions")
        _run(scored)
        quarantined = rejected.count()
        t_quarantine = time.perf_counter() - start
        start = time.perf_counter()
        try:
            _run(theirs(dirty))
            failed = False
        except Exception:  # Spark wraps the model's ValidationError in its own error
            failed = True
        t_failure = time.perf_counter() - start
        spark.catalog.clearCache()
        out.append(
            SparkResult(
                f"Spark predict, {n:,} rows with 1% bad: quarantine",
                MLFLOW_UDF,
                t_quarantine,
                t_failure,
                "s/table",
                None,
                "n/a",
                note=(
                    f"typedmodel completed, {quarantined:,} rows quarantined; MLflow's job "
                    f"{'failed' if failed else 'completed'} (theirs: seconds until then)"
                ),
                completed=quarantined == n // 100,
                reference_failed=failed,
            )
        )
    return out
