"""The benchmark suite runs (tiny sizes): every case produces figures, so it can't rot.

Nothing here is timed against a limit: speed is judged by `python -m benchmarks`, not by tests.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.reference import has_mlflow

ROOT = Path(__file__).resolve().parents[1]
# Text columns come as object, and as pandas 3's default ``str`` (pandas 2 has no such dtype).
STRINGS = ["object", "str"] if int(pd.__version__.split(".")[0]) >= 3 else ["object"]
EXPECTED = {
    "list[Row] (4 fields), 1 row",
    "list[Row] (4 fields), 50 rows",
    "list[dict[str, float]] (10 keys), 50 rows",
    "DataFrame 200 x 10 -> list[Row10]",
    "Frame[Row10], 200 x 10 frame",
    "Frame[Row10], 50 x 10 frame",
    "import typedmodel",
    "peak memory validating 1,000 rows of list[Row]",
}
NEEDS_MLFLOW = {  # MLflow is the reference of these cases: without it, they are not run
    "ColSpec enforcement, 10 columns, 1 row",
    "ColSpec enforcement, 10 columns, 200 rows, 7 columns upcast",
    "infer_signature, 200 x 10 DataFrame",
    *(
        f"ColSpec enforcement, {cast}, {size}, strings as {strings}"
        for cast in ("no cast", "int64 -> double", "int32 -> long, float32 -> double")
        for size in ("1 row", "200 rows")
        for strings in STRINGS
    ),
}
NEEDS_PANDERA = {  # pandera is the reference of these: without it, they are not run
    f"Frame[CheckedRow] (5 fields), {size} rows, strings as {strings}"
    for size in ("100", "1,000")
    for strings in STRINGS
}


def has_pandera() -> bool:
    return importlib.util.find_spec("pandera") is not None


def test_smoke_run_reports_every_case(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    cases = {r["case"] for r in report["results"]}
    expected = EXPECTED | (NEEDS_MLFLOW if has_mlflow() else set())
    expected |= NEEDS_PANDERA if has_pandera() else set()
    assert cases >= expected, sorted(expected - cases)
    if not has_pandera():
        assert not cases & NEEDS_PANDERA
    for result in report["results"]:
        assert result["ours"] > 0, result
        assert result["theirs"] > 0, result
        assert result["ratio"] == result["ours"] / result["theirs"]
    assert {r["gc"] for r in report["results"]} == {"on", "off", "n/a"}
    assert report["machine"]["versions"]["typedmodel"]
    assert "ratio" in proc.stdout


def _compare_batching(*args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.serve_load", "--compare-batching", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr  # every answer a 200, none lost
    assert "ratio:" in out.stdout, out.stdout
    # The bound is the wait plus one call timed in the run, not an assumed figure.
    assert re.search(r"p99 bound: .* \(5 \+ \d+\.\d = \d+\.\d ms\): (not )?met", out.stdout)
    assert re.search(r"server work: \d+ µs of CPU a batched request", out.stdout), out.stdout
    return out.stdout


def test_the_batching_bound_times_a_real_call() -> None:
    from benchmarks.serve_load import _one_call_ms

    assert _one_call_ms(4, repeat=3) >= 5.0  # the model sleeps 5 ms a call


def test_the_batching_load_run_answers_every_request() -> None:
    printed = _compare_batching("--requests", "64", "--asyncio-clients")
    assert "statuses {200: 64}" in printed


def test_the_batching_load_run_with_wrk_answers_every_request() -> None:
    printed = _compare_batching("--wrk", "1")  # wrk: on PATH (.ci/run installs it)
    assert "clients as wrk connections" in printed


@pytest.mark.parametrize("pool", [[], ["--lifo"]])
def test_the_open_loop_run_answers_every_request(pool: list[str]) -> None:
    command = [sys.executable, "-m", "benchmarks.serve_load", "--open-loop", "50,200"]
    out = subprocess.run(
        [*command, "--seconds", "1", *pool],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr  # every answer a 200
    lines = re.findall(r"^ +(\d+)/s +(\d+) requests/s, p50 [\d.]+ ms, .*statuses \{200: (\d+)\}$",
                       out.stdout, re.M)  # fmt: skip
    assert [rate for rate, _, _ in lines] == ["50", "200"], out.stdout
    assert all(int(n) > 0 for _, _, n in lines)
