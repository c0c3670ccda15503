"""Adaptive batching: the valid rows of concurrent requests joined into one ``predict`` call.

Each request is parsed and validated on its own (so each keeps its own issues and its own
``400``). Its valid batch then waits, on the event loop, for others with equal params (and,
for frames, the same columns and dtypes, so that ``predict`` sees the dtypes each request
would have on its own). While the model is free, a group is called once it holds `max_rows`
rows, or `max_latency` seconds after the model could have taken it, or as soon as the server
has gone quiet: a few turns of the event loop with no request coming or being answered
(waiting longer would add no rows, only latency). Quiet, that is, but for the clients a call
has just answered that sent again at once (within `max_latency`) the last time: closed-loop
clients, known by their connection. While those haven't come back and the oldest group is
smaller than the last call, the server waits for them as long as requests keep coming, with
pauses of at most `_RETURN_PAUSE`. While the model is busy, groups take the rows of the
requests that come, and their clocks start when it is free: so under load its calls grow with
the load, and the clients it has just answered join the next call rather than wait for the one
after it. At most `capacity` calls run at once (the model's threads). The output, validated as
one batch, is split back by each request's row count, in order. A request larger than
`max_rows` is a call of its own, never split. When the joined call fails, every request in it
fails, and no request gets another's rows.

Batching applies to models whose output is a list of rows (``-> list[X]``), where one row out
per row in is checked; a model can opt out with ``@typed(batching=False)`` or take fewer rows
with ``@typed(max_batch_size=...)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from typedmodel.hints import BatchKind

__all__ = ["Batcher", "batchable"]

# Turns of the event loop without a request arriving or being answered after which the server
# is quiet. A request is read in one turn and checked in the next; an answer is written in the
# turn after its call ends. Both uvloop and asyncio poll for new requests within three turns.
_QUIET_TURNS = 3
# The longest pause the quiet server waits for a client it has just answered, between the
# requests that come meanwhile: 32 closed-loop clients on loopback came with pauses of up to
# 0.9 ms (while the server wrote the other answers, and read and checked other requests).
_RETURN_PAUSE = 0.002
_CONNECTIONS = 4096  # connections noted before those answered long ago are forgotten


def batchable(compiled: Any) -> bool:
    """Whether a compiled predict's calls can be joined and split: batches in, a list of rows
    out, and not opted out."""
    hints = compiled.hints
    return bool(
        compiled.options.batching
        and hints.input_kind in (BatchKind.LIST, BatchKind.COLUMNAR)
        and hints.output_kind is BatchKind.LIST
    )


@dataclass
class _Waiting:
    data: Any
    rows: int
    future: asyncio.Future[Any]
    client: Hashable | None = None  # its connection (ASGI's ``client``), when known


@dataclass
class _Group:
    params: Any
    layout: Any = None  # a frame's columns and dtypes (lists: None): joined only when equal
    waiting: list[_Waiting] = field(default_factory=list)
    rows: int = 0
    timer: asyncio.TimerHandle | None = None
    ready: bool = False  # full, or its time is up: called as soon as the model is free


class Batcher:
    """Joins validated batches into calls of `predict` (see the module).

    Args:
        predict: runs one joined call (in the worker pool) and returns its validated output.
        max_rows: the most rows of one call.
        max_latency: seconds the first request of a group waits for others.
        capacity: the most calls at once (the threads `predict` runs in); None: no bound.
    """

    def __init__(
        self,
        predict: Callable[[Any, Any], Awaitable[Any]],
        *,
        max_rows: int,
        max_latency: float,
        capacity: int | None = None,
    ) -> None:
        self.predict = predict
        self.max_rows = max_rows
        self.max_latency = max_latency
        self.capacity = capacity
        self._groups: list[_Group] = []  # open and ready groups, oldest first
        self._running = 0
        self._arriving = 0  # requests being checked in a worker thread, which may join a group
        self._events = 0  # requests arrived or answered: the loop is not quiet while it grows
        self._watching = False
        # Connections: when a call last answered each; those that sent again within
        # max_latency of it; and those of these answered since, whose next request is awaited.
        self._answered: dict[Hashable, float] = {}
        self._prompt: set[Hashable] = set()
        self._owed: set[Hashable] = set()
        self._last_rows = 0  # the rows of the last call that ended
        self._remembered = _CONNECTIONS  # connections noted before the old ones are forgotten
        self._hold: asyncio.TimerHandle | None = None  # the quiet server's wait for them
        self._tasks: set[asyncio.Task[None]] = set()
        self.calls = 0  # joined calls made, for tests and logs

    def submit(
        self, data: Any, params: Any, *, client: Hashable | None = None, expected: bool = False
    ) -> asyncio.Future[Any]:
        """The future output rows for `data`, predicted with whatever joins it (`client`: the
        request's connection; `expected`: the request was announced by `expect`, and has
        arrived)."""
        if expected:
            self._arriving -= 1
        rows = len(data)
        waiting = _Waiting(data, rows, asyncio.get_running_loop().create_future(), client)
        layout = _layout(data)
        if rows >= self.max_rows:  # a call of its own, in its turn
            group = _Group(params, layout)
            self._groups.append(group)
        else:
            group = self._group(params, layout, rows)
        group.waiting.append(waiting)
        group.rows += rows
        if group.rows >= self.max_rows:
            self._ready(group)
        elif self._free():
            self._arm(group)
            self._stir()
        return waiting.future

    def came(self, client: Hashable | None = None) -> None:
        """A request for the model has come in on connection `client` (it is checked next)."""
        if client is not None:
            self._owed.discard(client)
            answered = self._answered.pop(client, None)
            now = asyncio.get_running_loop().time()
            if answered is not None and now - answered <= self.max_latency:
                self._prompt.add(client)
                if len(self._prompt) > self._remembered:  # (those that came, and left)
                    self._forget(now)
            else:
                self._prompt.discard(client)
        self._stir()

    def expect(self) -> None:
        """A request is being read and checked elsewhere: its rows may join a group."""
        self._arriving += 1

    def arrived(self) -> None:
        """A request `expect` announced is answered without a call (its batch is invalid)."""
        self._arriving -= 1
        self._stir()

    def _free(self) -> bool:
        return self.capacity is None or self._running < self.capacity

    def _arm(self, group: _Group) -> None:
        """Start the clock of a group the model could take now."""
        if group.timer is None and not group.ready:
            loop = asyncio.get_running_loop()
            group.timer = loop.call_later(self.max_latency, self._expire, group)

    def _expire(self, group: _Group) -> None:
        """A group's time is up: it is called, and the clients still owed are not awaited."""
        group.timer = None
        self._owed.clear()
        self._ready(group)

    def _stir(self) -> None:
        """A request arrived or was answered: the oldest groups (as many as the model can take)
        are called once the loop has gone `_QUIET_TURNS` turns without another, and no
        request is being checked in a worker thread."""
        self._events += 1
        if not self._watching and self._groups:
            self._watching = True
            asyncio.get_running_loop().call_soon(self._watch, self._events, 0)

    def _watch(self, seen: int, turns: int) -> None:
        loop = asyncio.get_running_loop()
        if self._events != seen:
            loop.call_soon(self._watch, self._events, 0)
        elif turns < _QUIET_TURNS:
            loop.call_soon(self._watch, seen, turns + 1)
        else:
            self._watching = False
            if self._arriving:  # its arrival stirs again
                return
            if not self._owed or not self._groups or self._groups[0].rows >= self._last_rows:
                self._call_oldest()
                return
            # Clients answered that came back at once last time haven't yet, and the group is
            # smaller than the last call: they may be sending again. Wait for them while
            # requests keep coming, with pauses of `_RETURN_PAUSE` at most (and `max_latency`
            # in all, the groups' own clocks).
            if self._hold is not None:
                self._hold.cancel()
            pause = min(self.max_latency, _RETURN_PAUSE)
            self._hold = loop.call_later(pause, self._forgive, self._events)

    def _forgive(self, seen: int) -> None:
        """No request has come for a pause: those still owed are not coming soon."""
        self._hold = None
        if self._events == seen and not self._arriving:
            self._owed.clear()
            self._call_oldest()

    def _call_oldest(self) -> None:
        """Call the oldest groups, as many as the model can take now."""
        room = len(self._groups) if self.capacity is None else self.capacity - self._running
        for group in self._groups[: max(room, 0)]:
            self._ready(group)

    def _group(self, params: Any, layout: Any, rows: int) -> _Group:
        """The oldest group not yet called with equal params, the same layout and room for
        `rows`, else a new one."""
        for group in self._groups:
            if (
                group.layout == layout
                and _equal(group.params, params)
                and group.rows + rows <= self.max_rows
            ):
                return group
        group = _Group(params, layout)
        self._groups.append(group)
        return group

    def _ready(self, group: _Group) -> None:
        if group.timer is not None:
            group.timer.cancel()
            group.timer = None
        group.ready = True
        self._start()

    def _start(self) -> None:
        """Call the oldest ready groups while the model has room."""
        while self.capacity is None or self._running < self.capacity:
            group = next((g for g in self._groups if g.ready), None)
            if group is None:
                return
            self._groups.remove(group)
            self._running += 1
            self.calls += 1
            task = asyncio.get_running_loop().create_task(self._run(group))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, group: _Group) -> None:
        waiting = group.waiting
        try:
            output = await self.predict(_join([w.data for w in waiting]), group.params)
            parts = _split(output, [w.rows for w in waiting])
        except BaseException as exc:  # every request of the call fails, with the same error
            for w in waiting:
                if not w.future.done():
                    w.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            for w, part in zip(waiting, parts, strict=True):
                if not w.future.done():  # its request may have timed out
                    w.future.set_result(part)
        finally:
            self._last_rows = group.rows
            self._answer(waiting)
            self._running -= 1
            self._start()
            if self._free():  # the groups that waited for the model start their clocks now
                for other in self._groups:
                    self._arm(other)
                self._stir()  # and its answers go out: their clients may send again at once

    def _answer(self, waiting: list[_Waiting]) -> None:
        """Note the connections a call answers: those that came back at once last time are
        awaited now."""
        now = asyncio.get_running_loop().time()
        if len(self._answered) > self._remembered:
            self._forget(now)
        for w in waiting:
            if w.client is not None:
                self._answered[w.client] = now
                if w.client in self._prompt:
                    self._owed.add(w.client)

    def _forget(self, now: float) -> None:
        """Forget the connections answered too long ago to count: they came back late, or
        have gone (as have the prompt ones that came back and were not answered by a call)."""
        self._answered = {c: t for c, t in self._answered.items() if now - t <= self.max_latency}
        self._prompt.intersection_update(self._answered)
        self._remembered = max(_CONNECTIONS, 2 * len(self._answered))


def _layout(data: Any) -> Any:
    """A checked frame's columns and dtypes (None for a list of rows). Frames are joined only
    when these are equal, so that a call's columns have the dtypes each request's own would:
    pandas makes a datetime column with a time zone and one without objects, for instance."""
    columns = getattr(data, "columns", None)
    if columns is None:
        return None
    return tuple(columns), tuple(data.dtypes)  # (a categorical's dtype names its categories)


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # params that can't be compared: never joined
        return a is b


def _join(batches: list[Any]) -> Any:
    if len(batches) == 1:
        return batches[0]
    first = batches[0]
    if isinstance(first, list):
        return [row for batch in batches for row in batch]
    import pandas as pd

    if isinstance(first, pd.DataFrame):
        return pd.concat(batches, ignore_index=True)
    raise TypeError(f"batches of {type(first).__name__} can't be joined")


def _split(output: Any, counts: list[int]) -> list[Any]:
    """`output` (one row per joined row, as the output check has made sure) cut by `counts`."""
    parts, start = [], 0
    for count in counts:
        parts.append(output[start : start + count])
        start += count
    return parts
