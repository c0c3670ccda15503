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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


class BenchCostly(tm.PythonModel):
    """A model whose call has a fixed cost (a network's forward pass, say): 5 ms per call,
    plus a little per row. What adaptive batching is for."""

    def predict(self, context: object, model_input: list[BenchApplicant]) -> list[BenchScore]:
        time.sleep(0.005)
        return [BenchScore(score=sum(ord(c) for c in a.name) * a.income) for a in model_input]


TARGETS = {
    "scorer": "benchmarks.serve_load:BenchScorer",
    "costly": "benchmarks.serve_load:BenchCostly",
}


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


def _as_v2(body: bytes) -> bytes:
    """An MLflow request body as the same rows in V2 tensors, one per column."""
    data = json.loads(body)
    rows = data.get("inputs") or data.get("instances") or data.get("dataframe_records")
    if rows is None:
        split = data["dataframe_split"]
        rows = [dict(zip(split["columns"], r, strict=True)) for r in split["data"]]
    kinds = {"name": "BYTES", "age": "INT64", "income": "FP64", "note": "BYTES"}
    tensors = []
    for column, datatype in kinds.items():
        values = [r.get(column) for r in rows]
        if column == "note" and all(v is None for v in values):
            continue
        if column == "note":
            values = [v or "" for v in values]
        if column == "age" and any(not isinstance(v, int) or isinstance(v, bool) for v in values):
            datatype = "BYTES"  # a bad age: not an INT64 (the 400 is the decoder's)
            values = [str(v) for v in values]
        tensors.append(
            {"name": column, "shape": [len(values)], "datatype": datatype, "data": values}
        )
    return json.dumps({"inputs": tensors}).encode()


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
    port: int,
    log_path: Path,
    workers: int | None,
    timeout: float,
    target: str = TARGETS["scorer"],
    extra: list[str] | None = None,
    command: list[str] | None = None,
) -> subprocess.Popen[bytes]:
    """``typedmodel serve TARGET`` on `port`, or `command` (which must listen on `port`)."""
    if command is None:
        command = [
            sys.executable,
            "-m",
            "typedmodel",
            "serve",
            target,
            "--port",
            str(port),
            "--no-access-log",
            *(extra or []),
        ]
        if workers is not None:
            command += ["--workers", str(workers)]
    with open(log_path, "wb") as log:
        # This interpreter's scripts first: MLflow's server starts its own `uvicorn` by name.
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        env = {**os.environ, "PATH": path}
        proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
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

    def take(self, plan: list[tuple[bytes, int]], next_index: list[int]) -> int | None:
        """The index of the next request of `plan` to send, or None when all are taken."""
        with self.lock:
            i = next_index[0]
            if i >= len(plan):
                return None
            next_index[0] += 1
            return i

    def record(self, status: int, elapsed: float, expected: int) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies.append(elapsed)
            if status != expected:
                self.wrong += 1

    def lose(self) -> None:
        with self.lock:
            self.lost += 1


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
    path: str = "/invocations",
) -> None:
    headers = {"Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=request_timeout)
    try:
        while time.monotonic() < deadline:
            i = results.take(plan, next_index)
            if i is None:
                return
            body, expected = plan[i]
            started = time.perf_counter()
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=request_timeout)
                results.lose()
                continue
            results.record(response.status, time.perf_counter() - started, expected)
    finally:
        conn.close()


async def _async_client(
    port: int,
    plan: list[tuple[bytes, int]],
    next_index: list[int],
    results: Results,
    deadline: float,
    request_timeout: float,
    path: str,
) -> None:
    """One keep-alive connection of an asyncio event loop: what `_client` does, for a
    fraction of its CPU (the clients then leave more of the machine to the server)."""
    import asyncio

    async def connect() -> tuple[Any, Any]:
        return await asyncio.open_connection("127.0.0.1", port)

    reader, writer = await connect()
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    try:
        while time.monotonic() < deadline:
            i = results.take(plan, next_index)
            if i is None:
                return
            body, expected = plan[i]
            started = time.perf_counter()
            try:
                writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
                status_line, headers = await asyncio.wait_for(
                    _read_head(reader), timeout=request_timeout
                )
                length = int(headers.get(b"content-length", b"0"))
                await asyncio.wait_for(reader.readexactly(length), timeout=request_timeout)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
                writer.close()
                reader, writer = await connect()
                results.lose()
                continue
            results.record(int(status_line.split()[1]), time.perf_counter() - started, expected)
    finally:
        writer.close()


async def _read_head(reader: Any) -> tuple[bytes, dict[bytes, bytes]]:
    raw = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = raw[:-4].split(b"\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    return status_line, headers


_WRK_SCRIPT = """
local bodies = {%s}
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def _wrk(port: int, bodies: list[bytes], clients: int, seconds: float, path: str) -> WrkRun:
    """Every valid body of `bodies` in turn from `clients` connections for `seconds`; each
    answer must be a 2xx (wrk counts the others)."""
    for body in bodies:
        assert b"]==]" not in body
    listed = ", ".join(f"[==[{b.decode()}]==]" for b in bodies)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT % listed)
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "-s", script.name,
             f"http://127.0.0.1:{port}{path}"],
            capture_output=True, text=True, timeout=seconds + 60, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    sent, duration_us, not_2xx, lost, p50_us, p99_us = (int(v) for v in line.split()[1:])
    results = Results(lost=lost, wrong=not_2xx)
    results.statuses[200] = sent - not_2xx
    if not_2xx:
        results.statuses[0] = not_2xx  # some other status: wrk doesn't say which
    return WrkRun(results, duration_us / 1e6, sent, out, {0.5: p50_us / 1000, 0.99: p99_us / 1000})


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Run:
    """One load run's figures."""

    results: Results
    elapsed: float
    requests: int
    log: str

    @property
    def answered(self) -> int:
        return sum(self.results.statuses.values())

    @property
    def throughput(self) -> float:
        return self.answered / self.elapsed

    def latency_ms(self, q: float) -> float:
        return _percentile([s * 1000 for s in self.results.latencies], q)


@dataclass
class WrkRun(Run):
    """One run of wrk (in C; one thread drives every connection): its own counts and
    percentiles, the requests being whatever it sent in its time."""

    percentiles_ms: dict[float, float] = field(default_factory=dict)

    def latency_ms(self, q: float) -> float:
        return self.percentiles_ms[q]


def load(
    plan: list[tuple[bytes, int]],
    *,
    clients: int,
    workers: int | None,
    timeout: float,
    request_timeout: float,
    target: str = TARGETS["scorer"],
    extra: list[str] | None = None,
    path: str = "/invocations",
    command: Any = None,
    asyncio_clients: bool = False,
    wrk_seconds: float | None = None,
) -> Run:
    """Start a server, send `plan` from `clients` connections, stop it. `command`, if given,
    makes the server's command line from the port. With `wrk_seconds`, wrk sends the plan's
    bodies (all of them valid) for that long instead."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="typedmodel-load-") as tmp:
        log_path = Path(tmp) / "server.log"
        proc = start_server(
            port,
            log_path,
            workers,
            timeout=120,
            target=target,
            extra=extra,
            command=command(port) if command is not None else None,
        )
        if wrk_seconds is not None:
            assert all(expected == 200 for _, expected in plan)
            try:
                bodies = list(dict.fromkeys(body for body, _ in plan))
                run = _wrk(port, bodies, clients, wrk_seconds, path)
            finally:
                stop_server(proc)
            run.log = log_path.read_text(encoding="utf-8", errors="replace")
            return run
        results = Results()
        next_index = [0]
        try:
            started = time.perf_counter()
            deadline = time.monotonic() + timeout
            args = (port, plan, next_index, results, deadline, request_timeout, path)
            if asyncio_clients:
                import asyncio

                async def run_all() -> None:
                    await asyncio.gather(*(_async_client(*args) for _ in range(clients)))

                try:  # the lighter event loop where it is installed (the serve extra's)
                    import uvloop
                except ImportError:
                    asyncio.run(run_all())
                else:
                    uvloop.run(run_all())
            else:
                threads = [
                    threading.Thread(target=_client, args=args, daemon=True) for _ in range(clients)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=max(0.0, deadline - time.monotonic()) + request_timeout)
            elapsed = time.perf_counter() - started
        finally:
            stop_server(proc)
        log = log_path.read_text(encoding="utf-8", errors="replace")
    return Run(results, elapsed, len(plan), log)


def _one_call_ms(rows: int, repeat: int = 15) -> float:
    """The median time of one call of the costly model with `rows` checked rows, here in
    this process: the "one model call" of the batching latency bound."""
    model = BenchCostly()
    batch = [BenchApplicant(name="Dana", age=40, income=1000.0 + i) for i in range(rows)]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        model.predict(None, batch)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _server_work_us(rounds: int = 100, clients: int = 32) -> float:
    """The server's CPU time a request, here in this process: `clients` single-row requests of
    the costly model at a time through the batched app's ASGI interface, with no HTTP (its
    5 ms sleep costs no CPU). The p99 bound needs `clients` of these, and uvicorn's HTTP, to
    take well under one call."""
    import asyncio

    from typedmodel.serve import create_app

    app = create_app(BenchCostly(), max_batch_size=64, max_workers=1)
    valid, _ = _bodies(1, variants=4, seed=0)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1"}
    scope |= {"method": "POST", "scheme": "http", "path": "/invocations", "query_string": b""}
    scope |= {"raw_path": b"/invocations", "root_path": "", "headers": []}

    async def one(body: bytes) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        statuses: list[int] = []

        async def receive() -> dict[str, Any]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app({**scope, "headers": headers}, receive, send)
        if statuses != [200]:
            raise RuntimeError(f"the server answered {statuses}")

    async def run() -> float:
        async def wave(i: int) -> None:
            await asyncio.gather(*(one(valid[(i + j) % len(valid)]) for j in range(clients)))

        for i in range(5):  # warm up
            await wave(i)
        started = time.process_time()
        for i in range(rounds):
            await wave(i)
        return (time.process_time() - started) / (rounds * clients) * 1e6

    try:  # the event loop uvicorn runs on, when it is installed
        import uvloop
    except ImportError:
        return asyncio.run(run())
    return float(uvloop.run(run()))


def compare_batching(args: argparse.Namespace) -> int:
    """The costly model under 32 single-row clients, without and with batching. The model
    runs one call at a time (``--workers 1`` unless given), as a model on one GPU does."""
    valid, _ = _bodies(1, variants=16, seed=args.seed)
    plan = [(valid[i % len(valid)], 200) for i in range(args.requests)]
    common = {
        "clients": 32,
        "workers": args.workers or 1,
        "timeout": args.timeout,
        "asyncio_clients": args.asyncio_clients,
        "wrk_seconds": args.wrk,
    }
    plain = load(plan, **common, request_timeout=args.request_timeout, target=TARGETS["costly"])
    latency = args.max_latency_ms
    joined = load(
        plan,
        **common,
        request_timeout=args.request_timeout,
        target=TARGETS["costly"],
        extra=[
            "--max-batch-size",
            str(args.max_batch_size or 64),
            "--max-latency-ms",
            str(latency),
        ],
    )
    ratio = joined.throughput / plain.throughput
    call = _one_call_ms(common["clients"])
    work = _server_work_us()
    bound = latency + call  # the longest wait, then one call of every client's row
    print(f"machine:     {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
    if args.wrk is not None:
        sent = f"single-row requests for {args.wrk:g} s a run"
        clients = "wrk connections"
    else:
        sent = f"{args.requests} single-row requests"
        clients = "asyncio connections" if args.asyncio_clients else "threads"
    print(
        f"run:         {sent}, 32 clients, model: 5 ms per call, "
        f"--workers {common['workers']}, clients as {clients}"
    )
    for name, run in (("unbatched", plain), ("batched", joined)):
        print(
            f"{name:<12} {run.throughput:.0f} requests/s, p50 {run.latency_ms(0.5):.1f} ms, "
            f"p99 {run.latency_ms(0.99):.1f} ms, statuses {dict(run.results.statuses)}"
        )
    print(f"ratio:       {ratio:.1f}x (target >= 5x)")
    p99 = joined.latency_ms(0.99)
    print(
        f"p99 bound:   {p99:.1f} ms vs max-latency + one {common['clients']}-row call "
        f"({latency:g} + {call:.1f} = {bound:.1f} ms): {'met' if p99 <= bound else 'not met'}"
    )
    print(
        f"server work: {work:.0f} µs of CPU a batched request in process (no HTTP), "
        f"{work * common['clients'] / 1000:.1f} ms for {common['clients']}"
    )
    bad = any(
        r.results.wrong or r.results.lost or r.answered != r.requests for r in (plain, joined)
    )
    return 1 if bad else 0


def _open_loop(port: int, bodies: list[bytes], rate: float, seconds: float, lifo: bool) -> Run:
    """Requests sent at random (Poisson) times, `rate` a second for `seconds`, each on a free
    connection of a pool of 128 kept open (the oldest free one, or with `lifo` the newest, as
    urllib3's pool takes them): clients that don't wait for each other's answers."""
    import asyncio

    head = "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    raw = [f"{head}Content-Length: {len(b)}\r\n\r\n".encode() + b for b in bodies]
    results = Results()

    async def run() -> float:
        free: asyncio.Queue[Any] = asyncio.LifoQueue() if lifo else asyncio.Queue()
        for _ in range(128):
            free.put_nowait(await asyncio.open_connection("127.0.0.1", port))

        async def one(i: int, due: float) -> None:
            reader, writer = await free.get()
            try:
                writer.write(raw[i % len(raw)])
                status, headers = await _read_head(reader)
            except (asyncio.IncompleteReadError, ConnectionError):  # closed while idle: anew
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(raw[i % len(raw)])
                status, headers = await _read_head(reader)
            await reader.readexactly(int(headers[b"content-length"]))
            results.latencies.append(time.perf_counter() - due)
            results.statuses[int(status.split()[1])] += 1
            free.put_nowait((reader, writer))

        rng = random.Random(0)
        tasks = []
        start = due = time.perf_counter()
        while due - start < seconds:
            due += rng.expovariate(rate)
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.ensure_future(one(len(tasks), due)))
        await asyncio.gather(*tasks)
        return time.perf_counter() - start

    try:
        import uvloop
    except ImportError:
        elapsed = asyncio.run(run())
    else:
        elapsed = uvloop.run(run())
    return Run(results, elapsed, len(results.latencies), "")


def open_loop(args: argparse.Namespace) -> int:
    """The costly model, batched, under open-loop clients at each rate of ``--open-loop``."""
    rates = [float(r) for r in args.open_loop.split(",")]
    valid, _ = _bodies(1, variants=16, seed=args.seed)
    port = _free_port()
    extra = ["--max-batch-size", str(args.max_batch_size or 64)]
    extra += ["--max-latency-ms", str(args.max_latency_ms)]
    print(f"machine:     {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
    pool = "the newest free connection" if args.lifo else "the oldest free connection"
    print(
        f"run:         single-row requests at random times for {args.seconds:g} s a rate, "
        f"each on {pool} of 128, model: 5 ms per call, --workers {args.workers or 1}, batched"
    )
    bad = False
    with tempfile.TemporaryDirectory(prefix="typedmodel-load-") as tmp:
        proc = start_server(
            port, Path(tmp) / "server.log", args.workers or 1, 120, TARGETS["costly"], extra
        )
        try:
            for rate in rates:
                run = _open_loop(port, valid, rate, args.seconds, args.lifo)
                bad = bad or set(run.results.statuses) != {200}
                print(
                    f"{rate:>7.0f}/s    {run.throughput:.0f} requests/s, "
                    f"p50 {run.latency_ms(0.5):.1f} ms, p90 {run.latency_ms(0.9):.1f} ms, "
                    f"p99 {run.latency_ms(0.99):.1f} ms, statuses {dict(run.results.statuses)}"
                )
        finally:
            stop_server(proc)
    return 1 if bad else 0


_INPUTS = b'{"inputs": ['


def compare_mlflow(args: argparse.Namespace) -> int:
    """The scorer saved to a directory, served by ``typedmodel serve`` and by MLflow's scoring
    server (``mlflow models serve --env-manager local``, which loads it as a pyfunc), back to
    back in one run with the same valid requests. Needs the full ``mlflow`` package."""
    try:
        import mlflow
    except ImportError:
        needs = "--compare-mlflow needs MLflow's scoring server: pip install mlflow"
        raise SystemExit(needs) from None
    # MLflow's server takes only the "inputs" form for a model with type hints.
    valid = [b for b in _bodies(args.rows, variants=64, seed=args.seed)[0] if b.startswith(_INPUTS)]
    plan = [(valid[i % len(valid)], 200) for i in range(args.requests)]
    common = {
        "clients": args.clients,
        "workers": None,
        "timeout": args.timeout,
        "request_timeout": args.request_timeout,
    }
    with tempfile.TemporaryDirectory(prefix="typedmodel-vs-mlflow-") as tmp:
        model_dir = Path(tmp) / "scorer"
        tm.save_model(BenchScorer(), model_dir)
        ours = load(plan, **common, target=str(model_dir))
        mlflow_cli = [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(model_dir)]
        theirs = load(
            plan,
            **common,
            command=lambda port: [
                *mlflow_cli,
                *("--env-manager", "local", "--host", "127.0.0.1", "--port", str(port)),
            ],
        )
    print(f"machine:     {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(f"versions:    typedmodel {tm.__version__}, mlflow {mlflow.__version__}")
    print(
        f"run:         {args.requests} valid requests x {args.rows} rows, {args.clients} clients, "
        "one server process each (typedmodel's default threads; MLflow's default workers)"
    )
    for name, run in (("typedmodel", ours), ("mlflow", theirs)):
        print(
            f"{name:<12} {run.throughput:.0f} requests/s, p50 {run.latency_ms(0.5):.1f} ms, "
            f"p99 {run.latency_ms(0.99):.1f} ms, statuses {dict(run.results.statuses)}"
        )
    ratio = ours.throughput / theirs.throughput
    print(f"ratio:       {ratio:.2f}x the requests per second (target >= 2x)")
    bad = any(r.results.wrong or r.answered != r.requests for r in (ours, theirs))
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections")
    parser.add_argument("--requests", type=int, default=20_000, help="requests in all")
    parser.add_argument("--rows", type=int, default=32, help="rows per request")
    parser.add_argument("--invalid", type=float, default=0.1, help="share of invalid requests")
    parser.add_argument("--workers", type=int, default=None, help="the server's --workers")
    parser.add_argument("--processes", type=int, default=1, help="the server's --processes")
    parser.add_argument(
        "--protocol",
        choices=["mlflow", "v2"],
        default="mlflow",
        help="send MLflow's request forms to /invocations, or V2 tensors to /v2/.../infer",
    )
    parser.add_argument("--model", choices=sorted(TARGETS), default="scorer")
    parser.add_argument("--max-batch-size", type=int, default=None, help="the server's")
    parser.add_argument("--max-latency-ms", type=float, default=5.0, help="the server's")
    parser.add_argument(
        "--compare-batching",
        action="store_true",
        help="the costly model, 32 single-row clients, without and with batching",
    )
    parser.add_argument(
        "--open-loop",
        metavar="RATES",
        default=None,
        help="the costly model, batched, under clients sending at RATES (comma-separated, /s)",
    )
    parser.add_argument(
        "--lifo", action="store_true", help="with --open-loop: reuse the newest free connection"
    )
    parser.add_argument(
        "--seconds", type=float, default=8.0, help="with --open-loop: seconds a rate"
    )
    parser.add_argument(
        "--compare-mlflow",
        action="store_true",
        help="the scorer served by typedmodel and by MLflow's scoring server, valid requests",
    )
    parser.add_argument(
        "--asyncio-clients",
        action="store_true",
        help="clients as connections of one asyncio loop, not threads (less of the CPU)",
    )
    parser.add_argument(
        "--wrk",
        type=float,
        default=None,
        metavar="SECONDS",
        help="with --compare-batching: wrk (C, on PATH) as the clients, for SECONDS each run",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="bound on the whole run (s)")
    parser.add_argument("--request-timeout", type=float, default=30.0, help="per request (s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.clients < 1 or args.requests < 1 or args.rows < 1 or not 0 <= args.invalid <= 1:
        parser.error("--clients, --requests and --rows must be >= 1; --invalid in [0, 1]")
    if args.compare_batching:
        return compare_batching(args)
    if args.compare_mlflow:
        return compare_mlflow(args)
    if args.open_loop is not None:
        return open_loop(args)

    valid, invalid = _bodies(args.rows, variants=16, seed=args.seed)
    path = "/invocations"
    if args.protocol == "v2":
        valid, invalid = [_as_v2(b) for b in valid], [_as_v2(b) for b in invalid]
        path = f"/v2/models/{TARGETS[args.model].rpartition(':')[2]}/infer"
    plan = [
        (invalid[i % len(invalid)], 400)
        if _is_invalid(i, args.invalid)
        else (valid[i % len(valid)], 200)
        for i in range(args.requests)
    ]
    extra = ["--processes", str(args.processes)]
    if args.max_batch_size is not None:
        extra += [
            "--max-batch-size",
            str(args.max_batch_size),
            "--max-latency-ms",
            str(args.max_latency_ms),
        ]
    run = load(
        plan,
        clients=args.clients,
        workers=args.workers,
        timeout=args.timeout,
        request_timeout=args.request_timeout,
        target=TARGETS[args.model],
        extra=extra,
        path=path,
    )
    results, elapsed, log = run.results, run.elapsed, run.log
    answered = run.answered
    unanswered = args.requests - answered  # includes requests never sent before the deadline
    server_errors = sum(n for status, n in results.statuses.items() if status >= 500)
    latencies_ms = [s * 1000 for s in results.latencies]
    print(f"machine:     {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(f"python:      {platform.python_version()}; typedmodel {tm.__version__}")
    print(
        f"run:         {args.requests} requests x {args.rows} rows, {args.clients} clients, "
        f"{args.invalid:.0%} invalid, server --workers {args.workers or 'default'} "
        f"--processes {args.processes}"
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
