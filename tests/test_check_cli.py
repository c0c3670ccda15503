"""``typedmodel check``: against ``module:attribute``, a saved directory and a running server."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import typedmodel as tm
from typedmodel.cli import main

MODULE = """
import pydantic
import typedmodel as tm


class Row(pydantic.BaseModel):
    age: int = pydantic.Field(ge=0, le=150)
    name: str = pydantic.Field(min_length=1, max_length=8)


class Good(tm.PythonModel):
    def predict(
        self, context, model_input: list[Row], params: dict[str, float] | None = None
    ) -> list[float]:
        return [r.age / 150 for r in model_input]


class Crashes(tm.PythonModel):
    def predict(self, context, model_input: list[Row]) -> list[float]:
        return [1.0 / (1 - r.age // 101) for r in model_input]  # ZeroDivisionError from 101 on
"""


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "checked_model.py").write_text(MODULE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_check_module_attribute(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "checked_model:Good", "--examples", "25"]) == 0
    out = capsys.readouterr().out
    assert "valid batches and params" in out
    assert out.rstrip().endswith("ok")


def test_check_reports_a_failure_and_exits_non_zero(
    module: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "checked_model:Crashes", "--examples", "200", "--seed", "1"]) == 1
    out = capsys.readouterr().out
    assert "FAILED [valid] predict raised ZeroDivisionError" in out
    assert "'age': 150" in out  # shrunk to the edge it fails at (the maximum age)


def test_check_saved_directory(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import checked_model  # type: ignore[import-not-found]

    tm.save_model(checked_model.Good(), module / "saved")
    assert main(["check", str(module / "saved"), "--examples", "20"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("ok")


def test_check_needs_a_target_or_a_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    assert "TARGET" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served(module: Path) -> Iterator[str]:
    """The Good model served by uvicorn in a thread; yields its URL."""
    import checked_model  # type: ignore[import-not-found]
    import uvicorn

    from typedmodel.serve.app import create_app

    port = _free_port()
    config = uvicorn.Config(
        create_app(checked_model.Good()), port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


def test_check_a_running_server(served: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--url", served, "--examples", "25"]) == 0
    out = capsys.readouterr().out
    assert "request bodies to" in out
    assert out.rstrip().endswith("ok")


class _AlwaysOK(http.server.BaseHTTPRequestHandler):
    """A server that answers 200 to every body (a model that checks nothing)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer(b'{"predictions": []}')

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_check_finds_a_server_that_accepts_invalid_bodies(
    module: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AlwaysOK)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        code = main(["check", "checked_model:Good", "--url", url, "--examples", "10"])
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=15)
    assert code == 1
    assert "got 200, not 400" in capsys.readouterr().out
