"""The ``ray`` and ``dask`` cases: a Frame[Row10] model scored through the engine, against
``predict`` on the whole pandas frame in one process. The ratio is the engine's overhead (its
start-up of workers excluded, its scheduling, transfer and batching included); no target.

Each engine starts a local cluster of its own with two workers, so the cases run only when
named (``python -m benchmarks --case ray --case dask``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa

import typedmodel as tm
from benchmarks.suite import Result, Row10, frame10

REFERENCE = "predict on the whole pandas frame, in process"
ROOT = Path(__file__).resolve().parents[1]


class ScoreModel(tm.PythonModel):
    """A Frame[Row10] model with declared outputs (the engines name their columns from them)."""

    def predict(self, context: Any, model_input: tm.Frame[Row10]) -> list[float]:
        return (model_input["f0"] + model_input["f9"]).tolist()


MODEL = ScoreModel()


def _seconds(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def case_ray(n: int, repeat: int) -> list[Result]:
    import ray

    import typedmodel.ray

    frame = frame10(n)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    blocks = [table.slice(i, -(-n // 8)) for i in range(0, n, -(-n // 8))]
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level=logging.ERROR,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}},  # the workers import this module
    )
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        ds = ray.data.from_arrow(blocks).materialize()

        def through_ray() -> int:
            out = typedmodel.ray.predict(ds, MODEL, result="predictions", concurrency=2)
            return int(out.count())

        through_ray()  # the actors' first start (imports) is left out
        ours = _seconds(through_ray, repeat)
    finally:
        ray.shutdown()
    return _against_in_process(
        f"Ray Data, Frame[Row10], {n:,} x 10, 2 actors",
        ours,
        frame,
        repeat,
        "the engine's overhead; includes starting the actor pool of each run",
    )


def case_dask(n: int, repeat: int) -> list[Result]:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import typedmodel.dask

    frame = frame10(n)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        ddf = dd.from_pandas(frame, npartitions=8).persist()

        def through_dask() -> int:
            out = typedmodel.dask.predict(ddf, MODEL, result="predictions")
            return len(out.compute())

        through_dask()  # the workers' first imports are left out
        ours = _seconds(through_dask, repeat)
    return _against_in_process(
        f"Dask, Frame[Row10], {n:,} x 10, 2 worker processes",
        ours,
        frame,
        repeat,
        "the engine's overhead; the result is gathered to the client",
    )


def _against_in_process(case: str, ours: float, frame: Any, repeat: int, note: str) -> list[Result]:
    """The engine's figure against `predict` on the whole frame in this process (no target)."""
    theirs = _seconds(lambda: MODEL.predict(frame), repeat)
    return [Result(case, REFERENCE, ours, theirs, "s/call", None, "n/a", note=note)]
