"""Adaptive batching: concurrent requests joined into one predict call, each answered as if
alone; a failing joined call fails only its own requests."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import threading
from typing import Any

import pydantic
import pytest

import typedmodel as tm
from tests.asgi import Reply, request
from typedmodel.serve import create_app


class Item(pydantic.BaseModel):
    x: int = pydantic.Field(ge=0)
    tag: str = ""


CALLS: list[int] = []  # rows per predict call
LOCK = threading.Lock()


@tm.typed
def scale(model_input: list[Item], params: dict[str, float] | None = None) -> list[float]:
    with LOCK:
        CALLS.append(len(model_input))
    if any(item.tag == "poison" for item in model_input):
        raise ValueError("a poisoned row")
    factor = (params or {}).get("factor", 1.0)
    return [item.x * factor for item in model_input]


async def _all(app: Any, bodies: list[Any], path: str = "/invocations") -> list[Reply]:
    return await asyncio.gather(
        *(request(app, "POST", path, json.dumps(b).encode()) for b in bodies)
    )


def _bodies(rng: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        rows = [{"x": rng.randint(0, 50)} for _ in range(rng.randint(1, 4))]
        kind = rng.random()
        if kind < 0.25:
            rows[rng.randrange(len(rows))]["x"] = -1  # invalid: its own 400
        body: dict[str, Any] = {"inputs": rows}
        if rng.random() < 0.4:
            body["params"] = {"factor": rng.choice([2.0, 3.0])}
        out.append(body)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_joined_answers_equal_unbatched_answers(seed: int) -> None:
    bodies = _bodies(random.Random(seed), 40)
    alone = asyncio.run(_all(create_app(scale), bodies))
    batched_app = create_app(scale, max_batch_size=16, max_latency_ms=30)
    CALLS.clear()
    joined = asyncio.run(_all(batched_app, bodies))
    for body, a, b in zip(bodies, alone, joined, strict=True):
        assert (b.status, b.json()) == (a.status, a.json()), body
    valid = sum(r.status == 200 for r in alone)
    batcher = batched_app.state.typedmodel.batcher
    assert batcher.calls == len(CALLS)
    assert len(CALLS) < valid  # requests were joined
    assert max(CALLS) <= 16


class Reading(pydantic.BaseModel):
    x: int = pydantic.Field(ge=0)
    when: dt.datetime | None = None


@tm.typed
def stamp(model_input: tm.Frame[Reading], params: dict[str, float] | None = None) -> list[float]:
    with LOCK:
        CALLS.append(len(model_input))
    factor = (params or {}).get("factor", 1.0)
    years = model_input["when"].dt.year.fillna(0)  # .dt: an object column fails
    return (model_input["x"] * factor + years).tolist()


_WHEN = [None, "2024-05-06T07:08:09", "2025-01-02T03:04:05+02:00", "2023-03-04T05:06:07Z"]


def _frame_bodies(rng: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        rows: list[dict[str, Any]] = []
        for _ in range(rng.randint(1, 3)):
            row: dict[str, Any] = {"x": rng.randint(0, 50)}
            when = rng.choice(_WHEN)
            if when is not None or rng.random() < 0.5:
                row["when"] = when
            rows.append(row)
        if rng.random() < 0.2:
            rows[rng.randrange(len(rows))]["x"] = -1  # invalid: its own 400
        form = rng.choice(["inputs", "dataframe_records"])
        body: dict[str, Any] = {form: rows}
        if rng.random() < 0.4:
            body["params"] = {"factor": rng.choice([2.0, 3.0])}
        out.append(body)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_joined_frames_are_answered_as_each_alone(seed: int) -> None:
    # Frames with and without time zones, with missing and null cells, mixed in one request
    # or not: each answer (200, 400 or 500) is the one it gets alone.
    bodies = _frame_bodies(random.Random(seed), 40)
    alone = asyncio.run(_all(create_app(stamp), bodies))
    batched_app = create_app(stamp, max_batch_size=16, max_latency_ms=30)
    CALLS.clear()
    joined = asyncio.run(_all(batched_app, bodies))
    for body, a, b in zip(bodies, alone, joined, strict=True):
        assert (b.status, b.json()) == (a.status, a.json()), body
    assert {r.status for r in alone} >= {200, 400}
    assert len(CALLS) < sum(r.status != 400 for r in alone)  # requests were joined


def test_a_failing_joined_call_fails_only_its_own_requests() -> None:
    app = create_app(scale, max_batch_size=64, max_latency_ms=50)
    same = [{"inputs": [{"x": i}]} for i in range(5)]
    poison = {"inputs": [{"x": 1, "tag": "poison"}]}
    other = [{"inputs": [{"x": i}], "params": {"factor": 2.0}} for i in range(3)]
    replies = asyncio.run(_all(app, [*same, poison, *other]))
    for reply in replies[:6]:  # joined with the poisoned row: each a 500 naming the error
        assert reply.status == 500
        assert reply.json()["message"].startswith("The model raised ValueError")
    assert [r.json() for r in replies[6:]] == [{"predictions": [i * 2.0]} for i in range(3)]


def test_a_request_larger_than_the_limit_is_a_call_of_its_own() -> None:
    app = create_app(scale, max_batch_size=4, max_latency_ms=20)
    big = {"inputs": [{"x": i} for i in range(10)]}
    CALLS.clear()
    (reply,) = asyncio.run(_all(app, [big]))
    assert reply.json() == {"predictions": [float(i) for i in range(10)]}
    assert CALLS == [10]


def test_the_v2_protocol_is_joined_too() -> None:
    app = create_app(scale, max_batch_size=32, max_latency_ms=30)
    bodies = [
        {"id": str(i), "inputs": [{"name": "x", "shape": [1], "datatype": "INT64", "data": [i]}]}
        for i in range(6)
    ]
    CALLS.clear()
    replies = asyncio.run(_all(app, bodies, "/v2/models/scale/infer"))
    assert [r.json()["id"] for r in replies] == [str(i) for i in range(6)]
    assert [r.json()["outputs"][0]["data"] for r in replies] == [[float(i)] for i in range(6)]
    assert len(CALLS) < 6


def test_models_opt_out_or_lower_the_limit() -> None:
    @tm.typed(batching=False)
    def alone(model_input: list[int]) -> list[int]:
        return model_input

    @tm.typed(max_batch_size=8)
    def small(model_input: list[int]) -> list[int]:
        return model_input

    @tm.typed
    def total(model_input: list[int]) -> int:  # one value for the batch: nothing to split
        return sum(model_input)

    assert create_app(alone, max_batch_size=64).state.typedmodel.batcher is None
    assert create_app(total, max_batch_size=64).state.typedmodel.batcher is None
    assert create_app(small, max_batch_size=64).state.typedmodel.batcher.max_rows == 8
    assert create_app(small, max_batch_size=4).state.typedmodel.batcher.max_rows == 4
    with pytest.raises(ValueError, match="max_batch_size"):
        create_app(small, max_batch_size=0)
    with pytest.raises(ValueError, match="max_batch_size"):
        tm.typed(max_batch_size=0)


def test_requests_arriving_while_the_model_is_busy_join_the_next_call() -> None:
    from typedmodel.serve.batching import Batcher

    calls: list[list[str]] = []
    busy = 0

    async def predict(data: list[str], params: Any) -> list[str]:
        nonlocal busy
        busy += 1
        assert busy == 1  # never more calls at once than the capacity
        calls.append(list(data))
        await asyncio.sleep(0.2)
        busy -= 1
        return [f"{row}!" for row in data]

    async def run() -> list[Any]:
        batcher = Batcher(predict, max_rows=8, max_latency=0.02, capacity=1)
        first = asyncio.ensure_future(batcher.submit(["a"], None))
        await asyncio.sleep(0.05)  # "a" is being predicted
        second = asyncio.ensure_future(batcher.submit(["b"], None))
        await asyncio.sleep(0.05)  # "b" is ready, and waits for the model
        third = asyncio.ensure_future(batcher.submit(["c", "d"], None))
        return [await first, await second, await third, batcher.calls]

    first, second, third, count = asyncio.run(run())
    assert (first, second, third) == (["a!"], ["b!"], ["c!", "d!"])
    assert calls == [["a"], ["b", "c", "d"]]  # "c" joined "b", which had not been called yet
    assert count == 2


def test_a_group_waits_only_while_another_request_is_on_its_way() -> None:
    from typedmodel.serve.batching import Batcher

    calls: list[list[str]] = []

    async def predict(data: list[str], params: Any) -> list[str]:
        calls.append(list(data))
        return data

    async def run() -> list[Any]:
        batcher = Batcher(predict, max_rows=8, max_latency=60.0, capacity=1)
        # nothing else on its way and the model free: called at once, not after a minute
        alone = await asyncio.wait_for(batcher.submit(["a"], None), 10)
        batcher.expect()
        batcher.expect()  # two requests are being checked
        first = asyncio.ensure_future(batcher.submit(["b"], None))
        await asyncio.sleep(0.05)
        waited = not first.done()
        second = asyncio.ensure_future(batcher.submit(["c"], None, expected=True))
        await asyncio.sleep(0.05)
        waited = waited and not second.done()  # one of the two is still on its way
        batcher.arrived()  # it was refused: nothing more can join
        both = await asyncio.wait_for(asyncio.gather(first, second), 10)
        return [alone, waited, both]

    alone, waited, both = asyncio.run(run())
    assert alone == ["a"]
    assert waited
    assert both == [["b"], ["c"]]
    assert calls == [["a"], ["b", "c"]]


def test_the_clients_a_call_answers_join_the_call_that_waited_for_it() -> None:
    # Closed-loop clients send again as soon as they are answered. A group that waited for
    # the busy model starts its clock when the model is free, so those requests join it;
    # calling it alone at once would leave them for one more call.
    from typedmodel.serve.batching import Batcher

    calls: list[list[str]] = []

    async def predict(data: list[str], params: Any) -> list[str]:
        calls.append(list(data))
        await asyncio.sleep(0.2)
        return data

    async def run() -> list[Any]:
        batcher = Batcher(predict, max_rows=8, max_latency=0.05, capacity=1)
        first = asyncio.ensure_future(batcher.submit(["a"], None))
        await asyncio.sleep(0.1)  # "a" is being predicted, longer than max_latency
        waiting = asyncio.ensure_future(batcher.submit(["b"], None))
        answered = await first
        again = asyncio.ensure_future(batcher.submit(["a2"], None))  # "a"'s client, at once
        return [answered, await waiting, await again]

    assert asyncio.run(run()) == [["a"], ["b"], ["a2"]]
    assert calls == [["a"], ["b", "a2"]]


async def _turns(n: int) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


def test_clients_that_came_back_at_once_are_awaited_through_pauses() -> None:
    # Closed-loop clients send again as soon as they are answered, but their requests may
    # come in with pauses (while the server writes the other answers): many more turns of the
    # loop than its quiet turns. A client that came back at once last time is waited for, so
    # all join one call; a client that doesn't come back is waited for only a short pause.
    from typedmodel.serve.batching import Batcher

    calls: list[list[str]] = []

    async def predict(data: list[str], params: Any) -> list[str]:
        calls.append(sorted(data))
        await asyncio.sleep(0.01)
        return data

    async def run() -> tuple[list[list[str]], float, set[Any], set[Any]]:
        batcher = Batcher(predict, max_rows=8, max_latency=5.0, capacity=1)
        clients = ["c0", "c1", "c2", "c3"]

        async def send(client: str, turns: int) -> Any:
            await _turns(turns)
            batcher.came(client)
            return await batcher.submit([client], None, client=client)

        for _ in range(2):  # every client sends again as soon as it is answered
            await asyncio.gather(*(send(c, 0) for c in clients))
        calls.clear()
        await asyncio.gather(*(send(c, 10 * i) for i, c in enumerate(clients)))
        whole = list(calls)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.gather(*(send(c, 0) for c in clients[:3]))  # "c3" doesn't come back
        waited = loop.time() - started
        owed = set(batcher._owed)
        await asyncio.sleep(5.1)  # longer than max_latency
        await send("c0", 0)  # came back late: not waited for next time
        return whole, waited, owed, set(batcher._owed)

    whole, waited, owed, late = asyncio.run(run())
    assert whole == [["c0", "c1", "c2", "c3"]]  # one call, though they came with pauses
    assert waited < 1.0  # a short pause for "c3", not max_latency (5 s)
    assert owed == {"c0", "c1", "c2"}
    assert late == set()


def test_connections_answered_long_ago_are_forgotten() -> None:
    from typedmodel.serve.batching import _CONNECTIONS, Batcher

    async def predict(data: list[str], params: Any) -> list[str]:
        return data

    async def run() -> list[int]:
        batcher = Batcher(predict, max_rows=100_000, max_latency=0.01)
        sizes = []
        for n in (_CONNECTIONS + 10, 1):  # clients on connections of their own, then one
            clients = [("10.0.0.2", i) for i in range(n)]
            for c in clients:
                batcher.came(c)
            await asyncio.gather(*(batcher.submit([c], None, client=c) for c in clients))
            sizes.append(len(batcher._answered))
            await asyncio.sleep(0.05)  # longer than max_latency
        return sizes

    assert asyncio.run(run()) == [_CONNECTIONS + 10, 1]

    async def prompt() -> int:  # clients that come back at once, once, and go
        batcher = Batcher(predict, max_rows=100_000, max_latency=60.0)
        for i in range(2 * _CONNECTIONS):
            c = ("10.0.0.3", i)
            batcher.came(c)
            await batcher.submit([c], None, client=c)
            batcher.came(c)  # and its request is refused: no call answers it
        return len(batcher._prompt)

    assert asyncio.run(prompt()) <= _CONNECTIONS + 1


def test_the_server_knows_a_client_by_its_connection() -> None:
    # Through the app: clients on their own connections, sending again soon after their
    # answers, come back into one call even when they come with pauses.
    app = create_app(scale, max_batch_size=16, max_latency_ms=5000)
    body = json.dumps({"inputs": [{"x": 1}]}).encode()
    rounds: list[list[int]] = []

    async def client(i: int, turns: int) -> int:
        await _turns(turns)
        reply = await request(app, "POST", "/invocations", body, client=("10.0.0.1", i))
        return reply.status

    async def run() -> list[int]:
        statuses = []
        for pause in (0, 0, 10, 10):  # turns between one client's request and the next's
            CALLS.clear()
            statuses += await asyncio.gather(*(client(i, pause * i) for i in range(4)))
            rounds.append(list(CALLS))
        return statuses

    assert asyncio.run(run()) == [200] * 16
    assert rounds[2:] == [[4], [4]], rounds  # the clients of one call come back into one


def test_a_waiting_group_is_called_within_max_latency_of_the_model_being_free() -> None:
    from typedmodel.serve.batching import Batcher

    calls: list[list[str]] = []

    async def predict(data: list[str], params: Any) -> list[str]:
        calls.append(list(data))
        return data

    async def run() -> bool:
        batcher = Batcher(predict, max_rows=8, max_latency=0.1, capacity=1)
        loop = asyncio.get_running_loop()
        stop = loop.time() + 0.3

        async def stream() -> None:  # never quiet: a request every turn of the loop
            while loop.time() < stop:
                batcher.expect()
                batcher.arrived()
                await asyncio.sleep(0)

        feeder = asyncio.ensure_future(stream())
        await asyncio.sleep(0)
        started = loop.time()
        await asyncio.wait_for(batcher.submit(["a"], None), 10)
        waited = loop.time() - started
        await feeder
        return 0.09 <= waited < 0.25

    assert asyncio.run(run())
    assert calls == [["a"]]


def test_small_bodies_are_checked_on_the_event_loop_when_batching() -> None:
    # A small body's check is shorter than the hops to a worker thread and back; a large
    # one is checked in the worker pool, so that it never holds up the event loop.
    threads: list[str] = []

    class Tagged(pydantic.BaseModel):
        x: int
        tag: str = ""

        @pydantic.field_validator("x")
        @classmethod
        def _seen(cls, value: int) -> int:
            threads.append(threading.current_thread().name)
            return value

    @tm.typed
    def echo(model_input: list[Tagged]) -> list[int]:
        return [row.x for row in model_input]

    app = create_app(echo, max_batch_size=8)
    small = {"inputs": [{"x": 1}]}
    large = {"inputs": [{"x": 2, "tag": "t" * 20_000}]}
    replies = asyncio.run(_all(app, [small, large]))
    assert [r.json() for r in replies] == [{"predictions": [1]}, {"predictions": [2]}]
    assert threads[0] == threading.main_thread().name
    assert threads[1].startswith("typedmodel-predict")


def test_a_joined_call_over_the_time_limit_is_a_503_and_the_server_goes_on() -> None:
    import time

    @tm.typed
    def slow(model_input: list[float]) -> list[float]:
        time.sleep(max(model_input))
        return model_input

    app = create_app(slow, timeout=0.2, max_batch_size=8)
    (late,) = asyncio.run(_all(app, [{"inputs": [0.6]}]))
    assert late.status == 503
    assert late.json()["error_code"] == "TIMEOUT"
    time.sleep(0.5)  # the late call ends; its answer is dropped
    (reply,) = asyncio.run(_all(app, [{"inputs": [0.0]}]))
    assert reply.json() == {"predictions": [0.0]}


def test_frames_are_joined_only_with_the_same_dtypes() -> None:
    # pandas joins a datetime column with a time zone and one without as objects: a model
    # using .dt would fail in the joined call though each request alone succeeds.
    import pandas as pd

    from typedmodel.serve.batching import Batcher

    calls: list[list[str]] = []

    async def predict(data: pd.DataFrame, params: Any) -> list[str]:
        calls.append([str(t) for t in data.dtypes])
        return list(data["when"].dt.year.astype(str))

    aware = pd.DataFrame({"when": pd.to_datetime(["2024-01-01T00:00:00+00:00"])})
    naive = pd.DataFrame({"when": pd.to_datetime(["2025-01-01T00:00:00"])})

    async def run() -> list[Any]:
        batcher = Batcher(predict, max_rows=8, max_latency=0.05, capacity=1)
        batcher.expect()
        batcher.expect()
        batcher.expect()  # three on their way: the groups wait for them
        out = asyncio.gather(
            batcher.submit(aware, None, expected=True),
            batcher.submit(naive, None, expected=True),
            batcher.submit(aware, None, expected=True),
        )
        return list(await asyncio.wait_for(out, 10))

    assert asyncio.run(run()) == [["2024"], ["2025"], ["2024"]]
    own = sorted([[str(aware["when"].dtype)], [str(naive["when"].dtype)]])
    assert sorted(calls) == own  # two calls (the aware ones joined), never one of objects
    from typedmodel.serve.batching import _layout

    # categoricals of other categories would be joined as objects too
    assert _layout(pd.DataFrame({"c": pd.Categorical(["a"])})) != _layout(
        pd.DataFrame({"c": pd.Categorical(["b"])})
    )
    assert _layout(pd.DataFrame({"c": pd.Categorical(["a"])})) == _layout(
        pd.DataFrame({"c": pd.Categorical(["a", "a"])})
    )
