"""A bounded load run against ``typedmodel serve`` on loopback.

Starts the server (``python -m typedmodel serve benchmarks.serve_load:BenchScorer``) on a free
127.0.0.1 port, sends REQUESTS requests of ROWS rows each from CLIENTS concurrent keep-alive
connections (a fixed share of them invalid, which must be answered 400), then stops the server
with SIGTERM. Prints throughput, p50/p99 latency, the status counts, the 5xx count and the count
of lost or unanswered requests; exits 1 if either of those is not zero, or if any request got
another status than expected (200 for valid, 400 for invalid).

Run from the repository root::

    python -m benchmarks.serve_load                       # 16 clients, 20,000 requests of 32 rows
    python -m benchmarks.serve_load --requests 2000       # a shorter run

Nothing leaves the machine: the server binds 127.0.0.1 and the clients talk only to it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pydantic

import typedmodel as tm

ROOT = Path(__file__).resolve().parents[1]


class BenchApplicant(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(ge=0, description="Age in whole years")
    income: float
    note: str | None = None


class BenchScore(pydantic.BaseModel):
    score: float


class BenchScorer(tm.PythonModel):
    """The README's scorer: what the server validates and runs under load."""

    def predict(self, context: object, model_input: list[BenchApplicant]) -> list[BenchScore]:
        return [BenchScore(score=a.age * 0.1 + a.income * 0.05) for a in model_input]


# ---------------------------------------------------------------------------------------------
# Request bodies
# ---------------------------------------------------------------------------------------------


def _row(rng: random.Random) -> dict[str, object]:
    row: dict[str, object] = {
        "name": rng.choice(["Alice", "Bob", "Chen", "Dana"]),
        "age": rng.randint(18, 90),
        "income": round(rng.uniform(0, 200_000), 2),
    }
    if rng.random() < 0.3:
        row["note"] = "returning customer"
    return row


def _bodies(rows: int, variants: int, seed: int) -> tuple[list[bytes], list[bytes]]:
    """(valid bodies, invalid bodies), in the four request forms."""
    rng = random.Random(seed)
    valid: list[bytes] = []
    invalid: list[bytes] = []
    columns = ["name", "age", "income", "note"]
    for i in range(variants):
        batch = [_row(rng) for _ in range(rows)]
        form = i % 4
        if form == 0:
            body: dict[str, object] = {"inputs": batch}
        elif form == 1:
            data = [[r.get(c) for c in columns] for r in batch]
            body = {"dataframe_split": {"columns": columns, "data": data}}
        elif form == 2:
            body = {"dataframe_records": batch}
        else:
            body = {"instances": batch}
        valid.append(json.dumps(body).encode())
        bad = [dict(r) for r in batch]
        for j in rng.sample(range(rows), k=min(rows, 1 + i % 3)):
            bad[j]["age"] = rng.choice([-1, "old", None, 1.5])
        invalid.append(json.dumps({"inputs": bad}).encode())
    return valid, invalid


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ping(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/ping")
        response = conn.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        conn.close()


def start_server(
    port: int, log_path: Path, workers: int | None, timeout: float
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "typedmodel",
        "serve",
        "benchmarks.serve_load:BenchScorer",
        "--port",
        str(port),
        "--no-access-log",
    ]
    if workers is not None:
        command += ["--workers", str(workers)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if _ping(port):
            return proc
        time.sleep(0.1)
    stop_server(proc)
    raise SystemExit(f"the server did not start; its log:\n{log_path.read_text()}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


# ---------------------------------------------------------------------------------------------
# The clients
# ---------------------------------------------------------------------------------------------


@dataclass
class Results:
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    lost: int = 0  # sent, but no answer (connection error or timeout)
    wrong: int = 0  # answered, but not with the status expected
    lock: threading.Lock = field(default_factory=threading.Lock)


def _is_invalid(i: int, fraction: float) -> bool:
    """Exactly floor(n * fraction) of the first n requests are invalid, evenly spread."""
    return int((i + 1) * fraction) > int(i * fraction)


def _client(
    port: int,
    plan: list[tuple[bytes, int]],
    next_index: list[int],
    results: Results,
    deadline: float,
    request_timeout: float,
) -> None:
    headers = {"Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=request_timeout)
    try:
        while time.monotonic() < deadline:
            with results.lock:
                i = next_index[0]
                if i >= len(plan):
                    return
                next_index[0] += 1
            body, expected = plan[i]
            started = time.perf_counter()
            try:
                conn.request("POST", "/invocations", body, headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=request_timeout)
                with results.lock:
                    results.lost += 1
                continue
            elapsed = time.perf_counter() - started
            with results.lock:
                results.statuses[response.status] += 1
                results.latencies.append(elapsed)
                if response.status != expected:
                    results.wrong += 1
    finally:
        conn.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections")
    parser.add_argument("--requests", type=int, default=20_000, help="requests in all")
    parser.add_argument("--rows", type=int, default=32, help="rows per request")
    parser.add_argument("--invalid", type=float, default=0.1, help="share of invalid requests")
    parser.add_argument("--workers", type=int, default=None, help="the server's --workers")
    parser.add_argument("--timeout", type=float, default=900.0, help="bound on the whole run (s)")
    parser.add_argument("--request-timeout", type=float, default=30.0, help="per request (s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.clients < 1 or args.requests < 1 or args.rows < 1 or not 0 <= args.invalid <= 1:
        parser.error("--clients, --requests and --rows must be >= 1; --invalid in [0, 1]")

    valid, invalid = _bodies(args.rows, variants=16, seed=args.seed)
    plan = [
        (invalid[i % len(invalid)], 400)
        if _is_invalid(i, args.invalid)
        else (valid[i % len(valid)], 200)
        for i in range(args.requests)
    ]
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="typedmodel-load-") as tmp:
        log_path = Path(tmp) / "server.log"
        proc = start_server(port, log_path, args.workers, timeout=60)
        results = Results()
        next_index = [0]
        try:
            started = time.perf_counter()
            deadline = time.monotonic() + args.timeout
            threads = [
                threading.Thread(
                    target=_client,
                    args=(port, plan, next_index, results, deadline, args.request_timeout),
                    daemon=True,
                )
                for _ in range(args.clients)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=max(0.0, deadline - time.monotonic()) + args.request_timeout)
            elapsed = time.perf_counter() - started
        finally:
            stop_server(proc)
        log = log_path.read_text(encoding="utf-8", errors="replace")

    answered = sum(results.statuses.values())
    unanswered = args.requests - answered  # includes requests never sent before the deadline
    server_errors = sum(n for status, n in results.statuses.items() if status >= 500)
    latencies_ms = [s * 1000 for s in results.latencies]
    print(f"machine:     {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(f"python:      {platform.python_version()}; typedmodel {tm.__version__}")
    print(
        f"run:         {args.requests} requests x {args.rows} rows, {args.clients} clients, "
        f"{args.invalid:.0%} invalid, server --workers {args.workers or 'default'}"
    )
    print(f"elapsed:     {elapsed:.2f} s")
    print(
        f"throughput:  {answered / elapsed:.0f} requests/s, "
        f"{answered * args.rows / elapsed:.0f} rows/s"
    )
    print(
        f"latency:     p50 {_percentile(latencies_ms, 0.50):.1f} ms, "
        f"p99 {_percentile(latencies_ms, 0.99):.1f} ms, max {max(latencies_ms, default=0):.1f} ms"
    )
    print(f"statuses:    {dict(sorted(results.statuses.items()))}")
    print(f"5xx:         {server_errors}")
    never_sent = unanswered - results.lost
    print(
        f"lost:        {unanswered} (sent but unanswered: {results.lost}, "
        f"never sent before the deadline: {never_sent})"
    )
    print(f"unexpected:  {results.wrong} (status other than 200 for valid, 400 for invalid)")
    if "Traceback" in log:
        print("the server logged a traceback:\n" + log[-4000:])
    failed = server_errors or unanswered or results.wrong
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
