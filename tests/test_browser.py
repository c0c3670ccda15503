"""The docs page in a real browser: a saved model served by ``typedmodel serve`` as a process,
``/docs`` opened in headless Chromium (the system's, driven by Playwright).

A missing browser is a failure, not a skip: install it with ``apt-get install chromium`` (or
point ``TYPEDMODEL_CHROMIUM`` at one; where there is none, ``playwright install chromium``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, sync_playwright

STARTUP_TIMEOUT = 60.0
PAGE_TIMEOUT_MS = 30_000

MODEL = textwrap.dedent(
    '''
    """The model the browser test serves."""

    import pydantic

    import typedmodel as tm


    class Applicant(pydantic.BaseModel):
        name: str = pydantic.Field(min_length=1)
        age: int = pydantic.Field(ge=0, description="Age in whole years")


    class Knobs(pydantic.BaseModel):
        threshold: float = pydantic.Field(0.5, gt=0, le=1, description="Cut-off")


    class Scorer(tm.PythonModel):
        """Scores applicants."""

        def predict(self, context, model_input: list[Applicant], params: Knobs) -> list[float]:
            return [a.age / 100 for a in model_input]
    '''
)


SAVE = (
    "import browser_model, typedmodel as tm; "
    "tm.save_model(browser_model.Scorer(), 'saved', "
    "input_example=([{'name': 'Ada', 'age': 36}], {'threshold': 0.4}))"
)


def chromium(playwright: Playwright) -> str:
    """The system Chromium, else Playwright's own build when it is installed (a test failure
    when there is neither)."""
    for candidate in (os.environ.get("TYPEDMODEL_CHROMIUM"), "chromium"):
        found = candidate and shutil.which(candidate)
        if found:
            return found
    bundled = playwright.chromium.executable_path
    if bundled and Path(bundled).is_file():
        return bundled
    pytest.fail("no Chromium: install it (apt-get install chromium) or set TYPEDMODEL_CHROMIUM")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _up(port: int) -> bool:
    url = f"http://127.0.0.1:{port}/ping"
    with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as reply:
        return bool(reply.status == 200)
    return False


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    """The model saved to ``saved/``, served by ``python -m typedmodel serve saved`` on a free
    port; yields the port."""
    (tmp_path / "browser_model.py").write_text(MODEL, encoding="utf-8")
    subprocess.run([sys.executable, "-c", SAVE], cwd=tmp_path, check=True, timeout=120)
    command = [sys.executable, "-m", "typedmodel", "serve", "saved", "--port"]
    log = tmp_path / "server.log"
    for _attempt in range(3):
        port = free_port()
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [*command, str(port)],
                cwd=tmp_path,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while proc.poll() is None and time.monotonic() < deadline and not _up(port):
                time.sleep(0.1)
            if proc.poll() is None and _up(port):
                yield port
                return
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        if "address already in use" not in log.read_text(errors="replace").lower():
            break
    pytest.fail(f"the server did not start:\n{log.read_text(errors='replace')[-3000:]}")


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_docs_page_renders_in_a_browser(server: int, tmp_path: Path) -> None:
    origin = f"http://127.0.0.1:{server}"
    requested: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(p))
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            page.on("request", lambda request: requested.append(request.url))
            reply = page.goto(f"{origin}/docs", wait_until="networkidle", timeout=PAGE_TIMEOUT_MS)
            assert reply is not None
            assert reply.status == 200
            assert page.title() == "Scorer: model docs"
            for name in ("Scorer", "Inputs", "Outputs", "Params", "Example request"):
                heading = page.get_by_role("heading", name=name, exact=True)
                assert heading.is_visible(), name
            assert page.get_by_text("Scores applicants.").is_visible()
            assert page.get_by_role("cell", name="Cut-off").is_visible()  # a param's description
            curl = page.locator("code.language-bash").inner_text()
            assert f"curl -X POST {origin}/invocations " in curl
            text = page.locator("main").inner_text()
            assert "Start the server" not in text
            assert "127.0.0.1:5000" not in text
            examples = page.locator("code.language-json")
            request_body = json.loads(examples.nth(0).inner_text())
            shown_answer = json.loads(examples.nth(1).inner_text())
            assert page.get_by_text("recorded when it was saved").is_visible()
            shot = tmp_path / "docs.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()

    data = shot.read_bytes()
    width, height = _png_size(data)
    assert width == 1024
    assert height > 768  # the whole page, longer than the window
    assert len(data) > 20_000  # text and tables, not a blank page
    # Nothing but the server itself was asked for: no fonts, scripts or images from elsewhere.
    assert f"{origin}/docs" in requested
    assert [url for url in requested if not url.startswith(origin + "/")] == []
    # The page shows the saved example, and the server answers it as the page says.
    assert request_body == {"inputs": [{"name": "Ada", "age": 36}], "params": {"threshold": 0.4}}
    post = urllib.request.Request(
        f"{origin}/invocations",
        data=json.dumps(request_body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(post, timeout=30) as answer:
        assert answer.status == 200
        assert json.loads(answer.read()) == shown_answer == {"predictions": [0.36]}
