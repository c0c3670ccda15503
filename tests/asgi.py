"""The server's ASGI app driven in process: one request, one `Reply`."""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass
from typing import Any

JSON = "application/json"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        assert self.headers.get("content-type", "").startswith("application/json"), self
        return json.loads(self.body)


def call(
    app: Any,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    chunks: int = 1,
) -> Reply:
    """One HTTP request through the ASGI app, the body sent in `chunks` messages."""
    return asyncio.run(request(app, method, path, body, headers, chunks))


async def request(
    app: Any,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    chunks: int = 1,
    client: tuple[str, int] = ("127.0.0.1", 1234),
) -> Reply:
    """`call` on a running event loop (concurrent requests: ``asyncio.gather``), from the
    connection `client`."""
    if headers is None:
        headers = {"content-type": JSON}
    size = max(1, math.ceil(len(body) / chunks))
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": client,
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    found = {k.decode(): v.decode() for k, v in start["headers"]}
    data = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Reply(start["status"], found, data)


def post(app: Any, body: Any, **kwargs: Any) -> Reply:
    return call(app, "POST", "/invocations", json.dumps(body).encode(), **kwargs)
