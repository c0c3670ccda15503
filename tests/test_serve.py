"""The HTTP server: the real server started as a subprocess and spoken to over loopback HTTP,
plus in-process checks that drive the ASGI app directly.

Each server is started once per module (``python -m typedmodel serve TARGET --port P``) and
killed in teardown; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import typedmodel as tm
from tests.asgi import JSON, Reply, call, post
from typedmodel._json import jsonable as _jsonable
from typedmodel.serve import DEFAULT_MAX_BODY_BYTES, create_app

STARTUP_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0
LIMIT = 65_536  # --max-body-bytes of the scorer server

MODELS = textwrap.dedent(
    '''
    """Models the server tests serve (imported by the servers and by the tests)."""

    from __future__ import annotations

    import datetime as dt
    import sys
    import time

    import numpy as np
    import pandas as pd
    import pydantic

    import typedmodel as tm


    class Applicant(pydantic.BaseModel):
        name: str
        age: int = pydantic.Field(ge=0, description="Age in whole years")
        income: float
        note: str | None = None


    class Options(pydantic.BaseModel):
        delay: float = pydantic.Field(0.0, ge=0, le=10)
        fail: bool = False


    class Score(pydantic.BaseModel):
        name: str
        score: float


    class Scorer(tm.PythonModel):
        def predict(
            self, context, model_input: list[Applicant], params: Options | None = None
        ) -> list[Score]:
            if params is not None and params.delay:
                print("predict started", file=sys.stderr, flush=True)
                time.sleep(params.delay)
            if params is not None and params.fail:
                raise RuntimeError("secret detail of the model")
            return [Score(name=a.name, score=a.age * 0.1 + a.income * 0.05) for a in model_input]


    class Reading(pydantic.BaseModel):
        when: dt.datetime
        value: float
        raw: bytes


    @tm.typed
    def rich(model_input: list[float]):
        return {
            "array": np.asarray(model_input) * 2,
            "frame": pd.DataFrame(
                {"x": model_input, "when": pd.Timestamp("2024-01-02T03:04:05")}
            ),
            "series": pd.Series(model_input, dtype="float32"),
            "nan": float("nan"),
            "inf": np.inf,
            "bytes": b"\\x00\\xffhi",
            "when": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
            "date": dt.date(2024, 1, 2),
            "np_int": np.int64(7),
            "np_float": np.float32(1.5),
            "np_bool": np.bool_(True),
            "datetimes": np.array(["2024-01-02T03:04:05", "NaT"], dtype="datetime64[s]"),
            "nat": pd.NaT,
            "na": pd.NA,
            "model": Reading(when=dt.datetime(2024, 1, 2), value=float("nan"), raw=b"ok"),
        }


    class Linear:
        """Untyped: served from a directory saved with an explicit signature."""

        def predict(self, context, model_input, params=None):
            scale = (params or {}).get("scale", 1.0)
            return (model_input["x"] * model_input["n"] * scale).to_numpy()


    LINEAR_SIGNATURE = tm.ModelSignature(
        inputs=tm.Schema(
            [
                tm.ColSpec("double", "x"),
                tm.ColSpec("long", "n"),
                tm.ColSpec("string", "label", required=False),
            ]
        ),
        outputs=tm.Schema([tm.ColSpec("double")]),
        params=tm.ParamSchema([tm.ParamSpec("scale", "double", 1.0)]),
    )
    '''
)

ROWS = [
    {"name": "Alice", "age": 30, "income": 50_000.0},
    {"name": "Bob", "age": "41", "income": 42_000, "note": "returning"},
]
EXPECTED = [
    {"name": "Alice", "score": 30 * 0.1 + 50_000 * 0.05},
    {"name": "Bob", "score": 41 * 0.1 + 42_000 * 0.05},
]
COLUMNS = ["name", "age", "income"]


# ---------------------------------------------------------------------------------------------
# Starting servers and talking to them
# ---------------------------------------------------------------------------------------------


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            found = {k.lower(): v for k, v in response.getheaders()}
            return Reply(response.status, found, data)
        finally:
            conn.close()

    def get(self, path: str, timeout: float = REQUEST_TIMEOUT) -> Reply:
        return self.request("GET", path, timeout=timeout)

    def post(self, body: Any, timeout: float = REQUEST_TIMEOUT) -> Reply:
        return self.post_raw(json.dumps(body).encode(), timeout=timeout)

    def post_raw(
        self,
        body: bytes,
        content_type: str | None = "application/json",
        timeout: float = REQUEST_TIMEOUT,
    ) -> Reply:
        headers = {"Content-Type": content_type} if content_type is not None else {}
        return self.request("POST", "/invocations", body, headers, timeout=timeout)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, text: str, timeout: float = REQUEST_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log_text():
            assert time.monotonic() < deadline, f"{text!r} never logged:\n{self.log_text()}"
            time.sleep(0.02)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(target: str, cwd: Path, *args: str) -> Server:
    """Start ``python -m typedmodel serve`` and wait (bounded) until /ping answers."""
    for attempt in range(3):
        port = free_port()
        log = cwd / f"server-{port}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "typedmodel", "serve", target, "--port", str(port), *args],
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = Server(proc, port, log)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            with contextlib.suppress(OSError):
                if server.get("/ping", timeout=2).status == 200:
                    return server
            time.sleep(0.1)
        stop_server(server)
        if attempt == 2 or "address already in use" not in server.log_text().lower():
            raise AssertionError(f"the server did not start:\n{server.log_text()}")
    raise AssertionError("unreachable")  # pragma: no cover


def stop_server(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=15)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory holding ``serve_models.py``, importable here too while the module runs."""
    root = tmp_path_factory.mktemp("serve")
    (root / "serve_models.py").write_text(MODELS, encoding="utf-8")
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        sys.modules.pop("serve_models", None)


@pytest.fixture(scope="module")
def models(project: Path) -> Any:
    import serve_models  # type: ignore[import-not-found]

    return serve_models


@pytest.fixture(scope="module")
def scorer(project: Path) -> Iterator[Server]:
    server = start_server(
        "serve_models:Scorer", project, "--max-body-bytes", str(LIMIT), "--workers", "4"
    )
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def rich(project: Path) -> Iterator[Server]:
    server = start_server("serve_models:rich", project)
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def linear_dir(project: Path, models: Any) -> Path:
    path = project / "linear"
    tm.save_model(models.Linear(), path, signature=models.LINEAR_SIGNATURE)
    return path


@pytest.fixture(scope="module")
def linear(project: Path, linear_dir: Path) -> Iterator[Server]:
    server = start_server(str(linear_dir), project)
    try:
        yield server
    finally:
        stop_server(server)


def assert_invalid(reply: Reply) -> list[dict[str, Any]]:
    """A 400 INVALID_INPUT body of the documented shape; returns its issues."""
    assert reply.status == 400, reply
    body = reply.json()
    assert set(body) == {"error_code", "message", "issues"}
    assert body["error_code"] == "INVALID_INPUT"
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["issues"], body
    for issue in body["issues"]:
        assert set(issue) == {"row", "loc", "type", "msg"}, issue
    issues: list[dict[str, Any]] = body["issues"]
    return issues


# ---------------------------------------------------------------------------------------------
# A typed model served from module:attribute
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"inputs": ROWS},
        {"inputs": {c: [r[c] for r in ROWS] for c in COLUMNS}},
        {"dataframe_split": {"columns": COLUMNS, "data": [[r[c] for c in COLUMNS] for r in ROWS]}},
        {"dataframe_records": ROWS},
        {"instances": ROWS, "params": {"delay": 0}},
    ],
    ids=["inputs", "inputs-columns", "dataframe_split", "dataframe_records", "instances+params"],
)
def test_every_request_form_predicts(scorer: Server, body: dict[str, Any]) -> None:
    reply = scorer.post(body)
    assert reply.status == 200, reply
    assert reply.json() == {"predictions": EXPECTED}


def test_csv_body_for_a_column_schema(scorer: Server) -> None:
    csv = b"name,age,income,note\nAlice,30,50000.0,\nBob,41,42000,returning\n"
    reply = scorer.post_raw(csv, "text/csv; charset=utf-8")
    assert reply.status == 200, reply
    assert reply.json() == {"predictions": EXPECTED}
    assert_invalid(scorer.post_raw(b"name,age,income\nAlice,old,1\n", "text/csv"))


def test_keep_alive_connection_serves_several_requests(scorer: Server) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", scorer.port, timeout=REQUEST_TIMEOUT)
    try:
        for body in ({"inputs": ROWS}, {"inputs": [{"age": -1}]}, {"inputs": ROWS}):
            conn.request("POST", "/invocations", json.dumps(body), {"Content-Type": JSON})
            response = conn.getresponse()
            response.read()
            assert response.status in (200, 400)
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("body", "loc", "type_"),
    [
        (b'{"inputs": [', [], "json_invalid"),
        (b"[1, 2]", [], "request_format"),
        (b'{"inputs": [], "instances": []}', [], "request_format"),
        (b"{}", [], "request_format"),
        (b'{"params": {}}', [], "request_format"),
        (b'{"rows": []}', [], "request_format"),
        (b'{"inputs": {"name": "Alice", "age": 3, "income": 1}}', [], "batch_type"),
        (b'{"inputs": [{"name": "Alice", "age": "SECRET-42", "income": 1}]}', ["age"], None),
        (b'{"inputs": [{"name": "Alice", "income": 1}]}', ["age"], "missing"),
        (b'{"inputs": [], "params": {"SECRET-param": 1}}', ["params"], "unknown_param"),
        (b'{"inputs": [], "params": {"delay": "SECRET"}}', ["params", "delay"], None),
        (b'{"inputs": [], "params": ["delay"]}', ["params"], "request_format"),
    ],
    ids=[
        "malformed-json",
        "top-level-list",
        "two-input-keys",
        "no-input-key",
        "only-params",
        "unknown-key",
        "lone-row",
        "wrong-type",
        "missing-field",
        "unknown-param",
        "wrong-param-type",
        "params-not-object",
    ],
)
def test_bad_requests_get_400_with_issues_and_no_inputs(
    scorer: Server, body: bytes, loc: list[Any], type_: str | None
) -> None:
    reply = scorer.post_raw(body)
    issues = assert_invalid(reply)
    assert issues[0]["loc"] == loc
    if type_ is not None:
        assert issues[0]["type"] == type_
    assert b"SECRET-42" not in reply.body
    assert b'"SECRET"' not in reply.body
    assert b"SECRET-param" not in reply.body  # an unknown name is input, hidden with it


def test_issues_list_every_bad_row(scorer: Server) -> None:
    rows = [
        {"name": "a", "age": -1, "income": 1},
        {"name": "b", "age": 1, "income": 1},
        {"name": "c", "age": "x", "income": "y"},
    ]
    issues = assert_invalid(scorer.post({"inputs": rows}))
    assert [(i["row"], i["loc"]) for i in issues] == [(0, ["age"]), (2, ["age"]), (2, ["income"])]


@pytest.mark.parametrize(
    ("make_body", "table"),
    [
        (lambda rows: {"inputs": rows}, False),
        (lambda rows: {"instances": rows}, False),
        # a table: its null is a missing cell, as in the DataFrame of the same records
        (lambda rows: {"dataframe_records": rows}, True),
    ],
    ids=["inputs", "instances", "dataframe_records"],
)
def test_issues_equal_what_predict_raises_in_process(
    scorer: Server, models: Any, make_body: Any, table: bool
) -> None:
    rows = [
        {"name": "a", "age": -1, "income": 1.5},
        {"name": 5, "age": "old", "income": "much"},
        {"age": 1.5, "income": None, "note": 3},
        {"name": "ok", "age": 1, "income": 2},
    ]
    with pytest.raises(tm.ValidationError) as raised:
        models.Scorer().predict(pd.DataFrame(rows) if table else rows)
    in_process = [issue.to_dict(include_input=False) for issue in raised.value.issues]
    assert assert_invalid(scorer.post(make_body(rows))) == in_process


def test_dataframe_split_issues_equal_predict_on_a_dataframe(scorer: Server, models: Any) -> None:
    data = [["a", -1, 1.5], ["b", "old", 2.0]]
    with pytest.raises(tm.ValidationError) as raised:
        models.Scorer().predict(pd.DataFrame(data, columns=COLUMNS))
    in_process = [issue.to_dict(include_input=False) for issue in raised.value.issues]
    reply = scorer.post({"dataframe_split": {"columns": COLUMNS, "data": data}})
    assert assert_invalid(reply) == in_process


def test_params_issues_equal_what_predict_raises_in_process(scorer: Server, models: Any) -> None:
    params = {"delay": -1, "nope": 2}
    with pytest.raises(tm.ValidationError) as raised:
        models.Scorer().predict(ROWS, params=params)
    in_process = [issue.to_dict(include_input=False) for issue in raised.value.issues]
    assert assert_invalid(scorer.post({"inputs": ROWS, "params": params})) == in_process


def test_body_over_the_limit_by_content_length_is_413_before_reading(scorer: Server) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", scorer.port, timeout=REQUEST_TIMEOUT)
    try:
        # Headers only: the answer must come without the server waiting for the body.
        conn.putrequest("POST", "/invocations")
        conn.putheader("Content-Type", JSON)
        conn.putheader("Content-Length", str(LIMIT + 1))
        conn.endheaders()
        response = conn.getresponse()
        body = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 413
    assert body["error_code"] == "REQUEST_TOO_LARGE"
    assert scorer.get("/ping").status == 200


def test_streamed_body_over_the_limit_is_413(scorer: Server) -> None:
    chunk = b" " * 8192
    head = (
        b"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", scorer.port), timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(head)
        # No Content-Length: the server counts; the 9th chunk passes the limit.
        for _ in range(LIMIT // len(chunk) + 1):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        received = b""
        while True:
            data = sock.recv(65536)
            if not data:
                break
            received += data
    status_line, _, rest = received.partition(b"\r\n")
    assert status_line.split()[1] == b"413", received
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["error_code"] == "REQUEST_TOO_LARGE"
    assert scorer.get("/ping").status == 200


def test_body_at_the_limit_is_read(scorer: Server) -> None:
    body = json.dumps({"inputs": ROWS}).encode()
    body += b" " * (LIMIT - len(body))
    reply = scorer.post_raw(body)
    assert reply.status == 200, reply


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_other_content_types_are_415(scorer: Server, content_type: str | None) -> None:
    reply = scorer.post_raw(json.dumps({"inputs": ROWS}).encode(), content_type)
    assert reply.status == 415
    assert reply.json()["error_code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_a_model_that_raises_is_500_without_traceback(scorer: Server) -> None:
    reply = scorer.post({"inputs": ROWS, "params": {"fail": True}})
    assert reply.status == 500
    body = reply.json()
    assert set(body) == {"error_code", "message"}
    assert body["error_code"] == "MODEL_ERROR"
    assert "RuntimeError" in body["message"]
    assert b"Traceback" not in reply.body
    assert b"secret detail" not in reply.body
    scorer.wait_for_log("secret detail of the model")
    assert "Traceback" in scorer.log_text()
    assert scorer.post({"inputs": ROWS}).status == 200


def test_ping_answers_while_a_slow_predict_runs(scorer: Server) -> None:
    replies: list[Reply] = []
    slow = threading.Thread(
        target=lambda: replies.append(scorer.post({"inputs": ROWS, "params": {"delay": 3}}))
    )
    before = scorer.log_text().count("predict started")
    slow.start()
    try:
        deadline = time.monotonic() + REQUEST_TIMEOUT
        while scorer.log_text().count("predict started") == before:
            assert time.monotonic() < deadline, scorer.log_text()
            time.sleep(0.02)
        started = time.monotonic()
        assert scorer.get("/ping", timeout=2).status == 200
        assert scorer.get("/health", timeout=2).status == 200
        assert time.monotonic() - started < 1.5
        assert slow.is_alive()  # the batch is still running
    finally:
        slow.join(timeout=REQUEST_TIMEOUT)
    assert not slow.is_alive()
    assert replies[0].status == 200
    assert replies[0].json() == {"predictions": EXPECTED}


def test_get_endpoints(scorer: Server, models: Any) -> None:
    assert scorer.get("/ping").status == 200
    assert scorer.get("/health").status == 200
    assert scorer.get("/version").json() == {"typedmodel": tm.__version__}
    signature = scorer.get("/signature").json()
    assert signature == tm.signature_of(models.Scorer).to_dict()


def test_unknown_routes_and_methods_answer_json(scorer: Server) -> None:
    missing = scorer.get("/nowhere")
    assert missing.status == 404
    assert missing.json()["error_code"] == "NOT_FOUND"
    wrong = scorer.get("/invocations")
    assert wrong.status == 405
    assert wrong.json()["error_code"] == "METHOD_NOT_ALLOWED"


ROW = b'{"name": "a", "age": 1, "income": 2}'
DEEP = 10_000
FUZZ_CORPUS: list[bytes] = [
    # truncated JSON
    b"",
    b" ",
    b"{",
    b'{"inputs"',
    b'{"inputs": [',
    b'{"inputs": [' + ROW,
    b'{"inputs": [' + ROW + b"]",
    b'{"inputs": [{"name": "a", "age": 1, "inc',
    b'{"dataframe_split": {"columns": ["name"], "data": [["a"',
    # not JSON at all, or not UTF-8
    b"inputs=1",
    b"<xml/>",
    b"\x00\x01\x02",
    b'{"inputs": [{"name": "\xff\xfe", "age": 1, "income": 2}]}',
    b"\xef\xbb\xbf" + b'{"inputs": []}',  # a UTF-8 byte order mark
    '{"inputs": []}'.encode("utf-16"),
    b'{"inputs": [{"name": "a\x80", "age": 1, "income": 2}]}',
    # NaN (a missing value) where a value is required, Infinity where no float goes, and
    # numbers out of range
    b'{"inputs": [{"name": "a", "age": 1, "income": NaN}]}',
    b'{"inputs": [{"name": "a", "age": Infinity, "income": 1}]}',
    b'{"inputs": [{"name": -Infinity, "age": 1, "income": 1}]}',
    b'{"inputs": [{"name": "a", "age": 1, "income": 1e400}]}',
    b'{"inputs": [{"name": "a", "age": 1, "income": -1e400}]}',
    b'{"inputs": [{"name": "a", "age": ' + str(10**400).encode() + b', "income": 1}]}',
    b'{"inputs": [{"name": "a", "age": 1, "income": ' + str(10**400).encode() + b"}]}",
    b'{"inputs": [{"name": "a", "age": ' + b"9" * 5000 + b', "income": 1}]}',
    b'{"inputs": [], "params": {"delay": 1e400}}',
    b'{"inputs": [], "params": {"delay": ' + str(10**400).encode() + b"}}",
    # deep nesting
    b'{"inputs": ' + b"[" * DEEP + b"]" * DEEP + b"}",
    b'{"inputs": [{"name": ' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"}]}",
    b"[" * DEEP,
    b'{"inputs": ' + b"[" * 500 + b"]" * 500 + b"}",
    b'{"inputs": [{"name": ' + b"[" * 500 + b"]" * 500 + b', "age": 1, "income": 2}]}',
    # wrong types at every level
    b"null",
    b"true",
    b"1",
    b'"inputs"',
    b"[]",
    b'[{"inputs": []}]',
    b'{"inputs": null}',
    b'{"inputs": 1}',
    b'{"inputs": "rows"}',
    b'{"inputs": [null]}',
    b'{"inputs": [1, 2]}',
    b'{"inputs": [[1, 2]]}',
    b'{"inputs": [{"name": null, "age": 1, "income": 2}]}',
    b'{"inputs": [{"name": [], "age": {}, "income": "x"}]}',
    b'{"inputs": [{"name": true, "age": 1, "income": 2}]}',
    b'{"inputs": [{"name": "a", "age": 1.5, "income": 2}]}',
    b'{"inputs": {"name": ["a"], "age": [1, 2], "income": [1]}}',
    b'{"instances": {"name": "a"}}',
    b'{"instances": null}',
    b'{"dataframe_records": {}}',
    b'{"dataframe_records": null}',
    b'{"dataframe_records": [1, 2]}',
    b'{"dataframe_records": [{"name": []}]}',
    b'{"dataframe_split": null}',
    b'{"dataframe_split": []}',
    b'{"dataframe_split": {}}',
    b'{"dataframe_split": {"columns": null, "data": null}}',
    b'{"dataframe_split": {"columns": "name", "data": [["a"]]}}',
    b'{"dataframe_split": {"columns": ["name"], "data": "a"}}',
    b'{"dataframe_split": {"columns": ["name"], "data": ["a"]}}',
    b'{"dataframe_split": {"columns": ["name"], "data": [["a", 1]]}}',
    b'{"dataframe_split": {"columns": [["name"]], "data": [["a"]]}}',
    b'{"dataframe_split": {"columns": [null, 1], "data": [["a", 1]]}}',
    b'{"dataframe_split": {"data": [[1, 2, 3]]}}',
    b'{"dataframe_split": {"columns": ["name", "name"], "data": [["a", "b"]]}}',
    b'{"inputs": [], "params": null, "extra": 1}',
    b'{"inputs": [], "params": 1}',
    b'{"inputs": [], "params": "delay"}',
    b'{"inputs": [], "params": {"delay": []}}',
    b'{"inputs": [], "params": {"delay": {"a": 1}}}',
    b'{"inputs": [], "params": {"fail": "maybe"}}',
    b'{"inputs": [], "params": {"delay": 11}}',
    b'{"inputs": [], "params": {"": 1}}',
]


def test_fuzz_corpus_of_malformed_bodies_gets_4xx_json(scorer: Server) -> None:
    for body in FUZZ_CORPUS:
        reply = scorer.post_raw(body)
        assert 400 <= reply.status < 500, (body[:80], reply)
        payload = reply.json()
        assert payload["error_code"] == "INVALID_INPUT", (body[:80], payload)
        assert b"Traceback" not in reply.body
        for issue in payload["issues"]:
            # Each was refused by a parser or a validator, not by the server's safety net.
            assert issue["type"] != "validation_failed", (body[:80], payload)
    assert scorer.get("/ping").status == 200
    assert scorer.post({"inputs": ROWS}).json() == {"predictions": EXPECTED}


# ---------------------------------------------------------------------------------------------
# Outputs, a saved untyped model, shutdown
# ---------------------------------------------------------------------------------------------


def test_outputs_are_serialised_to_json(rich: Server) -> None:
    reply = rich.post({"inputs": [1, 2.5]})
    assert reply.status == 200, reply
    out = reply.json()["predictions"]
    assert out["array"] == [2.0, 5.0]
    assert out["frame"] == [
        {"x": 1.0, "when": "2024-01-02T03:04:05"},
        {"x": 2.5, "when": "2024-01-02T03:04:05"},
    ]
    assert out["series"] == [1.0, 2.5]
    assert out["nan"] is None
    assert out["inf"] is None
    assert base64.b64decode(out["bytes"]) == b"\x00\xffhi"
    assert out["when"] == "2024-01-02T03:04:05Z"  # RFC 3339, as pydantic writes UTC
    assert out["date"] == "2024-01-02"
    assert (out["np_int"], out["np_float"], out["np_bool"]) == (7, 1.5, True)
    assert out["datetimes"] == ["2024-01-02T03:04:05", None]
    assert out["nat"] is None
    assert out["na"] is None
    assert out["model"] == {
        "when": "2024-01-02T00:00:00",
        "value": None,
        "raw": base64.b64encode(b"ok").decode(),
    }


@pytest.mark.parametrize(
    "body",
    [
        {"inputs": [{"x": 1.5, "n": 2}, {"x": 2.0, "n": 3, "label": "b"}]},
        {"inputs": {"x": [1.5, 2.0], "n": [2, 3]}},
        {"dataframe_split": {"columns": ["x", "n"], "data": [[1.5, 2], [2.0, 3]]}},
        {"dataframe_records": [{"x": 1.5, "n": 2}, {"x": 2, "n": 3}]},
        {"instances": [{"x": 1.5, "n": 2}, {"x": 2.0, "n": 3}]},
    ],
    ids=["inputs", "inputs-columns", "dataframe_split", "dataframe_records", "instances"],
)
def test_untyped_saved_model_with_signature_takes_every_form(
    linear: Server, body: dict[str, Any]
) -> None:
    reply = linear.post(body)
    assert reply.status == 200, reply
    assert reply.json() == {"predictions": [3.0, 6.0]}
    scaled = linear.post({**body, "params": {"scale": 2}})
    assert scaled.json() == {"predictions": [6.0, 12.0]}


def test_untyped_saved_model_takes_csv(linear: Server) -> None:
    reply = linear.post_raw(b"x,n\n1.5,2\n2.0,3\n", "text/csv")
    assert reply.json() == {"predictions": [3.0, 6.0]}


@pytest.mark.parametrize(
    ("body", "loc", "type_"),
    [
        ({"inputs": [{"x": 1.0}]}, ["n"], "missing"),
        ({"inputs": [{"x": "SECRET", "n": 1}]}, ["x"], None),
        ({"inputs": [{"x": 1.0, "n": 1.5}]}, ["n"], None),
        (
            {"inputs": [{"x": 1.0, "n": 1}], "params": {"scale": "SECRET"}},
            ["params", "scale"],
            None,
        ),
        ({"inputs": [{"x": 1.0, "n": 1}], "params": {"scale": [12345]}}, ["params", "scale"], None),
        ({"inputs": [{"x": 1.0, "n": 1}], "params": {"nope": 1}}, ["params"], "unknown_param"),
        ({"dataframe_records": [{}, {}]}, ["x"], "missing"),  # two rows, not none
    ],
    ids=[
        "missing-column",
        "string-for-double",
        "lossy-long",
        "param-type",
        "param-list",
        "unknown-param",
        "empty-records",
    ],
)
def test_untyped_saved_model_refuses_bad_requests(
    linear: Server, body: dict[str, Any], loc: list[Any], type_: str | None
) -> None:
    reply = linear.post(body)
    issues = assert_invalid(reply)
    assert issues[0]["loc"] == loc
    if type_ is not None:
        assert issues[0]["type"] == type_
    assert b"SECRET" not in reply.body
    assert b"12345" not in reply.body


def test_untyped_saved_model_issues_equal_predict_in_process(
    linear: Server, linear_dir: Path
) -> None:
    data = [[1.5, 2], ["a", 2.5], [2.0, None]]
    with pytest.raises(tm.ValidationError) as raised:
        tm.load_model(linear_dir).predict(pd.DataFrame(data, columns=["x", "n"]))
    in_process = [issue.to_dict(include_input=False) for issue in raised.value.issues]
    reply = linear.post({"dataframe_split": {"columns": ["x", "n"], "data": data}})
    assert assert_invalid(reply) == in_process


def test_saved_model_signature_endpoint(linear: Server, models: Any) -> None:
    assert linear.get("/signature").json() == models.LINEAR_SIGNATURE.to_dict()


def test_sigterm_lets_the_request_in_flight_finish(project: Path) -> None:
    server = start_server("serve_models:Scorer", project)
    try:
        replies: list[Reply] = []
        slow = threading.Thread(
            target=lambda: replies.append(server.post({"inputs": ROWS, "params": {"delay": 2}}))
        )
        slow.start()
        server.wait_for_log("predict started")
        server.proc.send_signal(signal.SIGTERM)
        slow.join(timeout=REQUEST_TIMEOUT)
        assert not slow.is_alive()
        assert len(replies) == 1
        assert replies[0].status == 200, server.log_text()
        assert replies[0].json() == {"predictions": EXPECTED}
        # uvicorn re-raises the signal once it has shut down cleanly (or exits 0).
        assert server.proc.wait(timeout=REQUEST_TIMEOUT) in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in server.log_text()
        with pytest.raises(ConnectionRefusedError):
            server.get("/ping", timeout=2)
    finally:
        stop_server(server)


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------


def run_cli(*args: str, cwd: Path, code: str | None = None) -> subprocess.CompletedProcess[str]:
    command = ["-c", code] if code is not None else ["-m", "typedmodel"]
    return subprocess.run(
        [sys.executable, *command, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=120,
    )


def test_serve_help_lists_the_options(tmp_path: Path) -> None:
    result = run_cli("serve", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for option in ("--host", "--port", "--workers", "--show-inputs", "--max-body-bytes"):
        assert option in result.stdout
    assert "127.0.0.1" in result.stdout


@pytest.mark.parametrize(
    ("option", "value"), [("--workers", "0"), ("--max-body-bytes", "-1"), ("--workers", "x")]
)
def test_serve_checks_its_options(tmp_path: Path, option: str, value: str) -> None:
    result = run_cli("serve", "nowhere", option, value, cwd=tmp_path)
    assert result.returncode == 2
    assert option in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_a_bad_target_is_one_line_without_traceback(tmp_path: Path) -> None:
    result = run_cli("serve", "nowhere", "--port", str(free_port()), cwd=tmp_path)
    assert result.returncode == 2
    assert "neither a model directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_an_untyped_object_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text(
        "class Plain:\n    def predict(self, x):\n        return x\n"
    )
    result = run_cli("serve", "plain:Plain", "--port", str(free_port()), cwd=tmp_path)
    assert result.returncode == 2
    assert "not a typed model" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_serve_extra_says_what_to_install(tmp_path: Path) -> None:
    block = "import sys; sys.modules['starlette'] = None; "
    result = run_cli(cwd=tmp_path, code=block + "from typedmodel.serve import create_app")
    assert result.returncode != 0
    assert 'pip install "typedmodel[serve]"' in result.stderr
    cli = block + "from typedmodel.cli import main; raise SystemExit(main(['serve', 'x:y']))"
    result = run_cli(cwd=tmp_path, code=cli)
    assert result.returncode == 2
    assert 'pip install "typedmodel[serve]"' in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------------------------
# In process: the ASGI app driven directly
# ---------------------------------------------------------------------------------------------


def test_create_app_takes_class_instance_function_path_and_loaded_model(
    models: Any, tmp_path: Path
) -> None:
    tm.save_model(models.Scorer(), tmp_path / "scorer", input_example=ROWS[:1])
    for target in (
        models.Scorer,
        models.Scorer(),
        tmp_path / "scorer",
        str(tmp_path / "scorer"),
        tm.load_model(tmp_path / "scorer"),
    ):
        reply = post(create_app(target), {"inputs": ROWS})
        assert reply.json() == {"predictions": EXPECTED}, target
    assert post(create_app(models.rich), {"inputs": [1]}).status == 200


def test_saved_typed_model_issues_equal_loaded_predict(models: Any, tmp_path: Path) -> None:
    tm.save_model(models.Scorer(), tmp_path / "scorer")
    loaded = tm.load_model(tmp_path / "scorer")
    rows = [{"name": "a", "age": -1, "income": "x"}]
    with pytest.raises(tm.ValidationError) as raised:
        loaded.predict(rows)
    in_process = [issue.to_dict(include_input=False) for issue in raised.value.issues]
    assert assert_invalid(post(create_app(loaded), {"inputs": rows})) == in_process
    params_reply = post(create_app(loaded), {"inputs": ROWS, "params": {"delay": 0}})
    assert params_reply.json() == {"predictions": EXPECTED}


def test_untyped_objects_and_unsigned_directories_are_refused(tmp_path: Path) -> None:
    class Plain:
        def predict(self, model_input: Any) -> Any:
            return model_input

    with pytest.raises(tm.TypedModelError, match="not a typed model"):
        create_app(Plain())
    tm.save_model(Plain(), tmp_path / "plain")
    with pytest.raises(tm.TypedModelError, match="no input signature"):
        create_app(tmp_path / "plain")


@pytest.mark.parametrize(
    ("kwargs", "message"), [({"max_body_bytes": -1}, "max_body_bytes"), ({"max_workers": 0}, "max")]
)
def test_create_app_checks_its_options(models: Any, kwargs: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_app(models.Scorer, **kwargs)


def test_show_inputs_puts_values_in_400_answers(models: Any) -> None:
    rows = [{"name": "a", "age": "SECRET-42", "income": 1}]
    hidden = post(create_app(models.Scorer), {"inputs": rows})
    assert b"SECRET-42" not in hidden.body
    shown = post(create_app(models.Scorer, show_inputs=True), {"inputs": rows})
    body = shown.json()
    assert body["issues"][0]["input"] == "SECRET-42"
    assert "SECRET-42" in body["message"]
    # A deeply nested input is written back, or left out where it is too deep to write.
    deep = b'{"inputs": [{"name": ' + b"[" * 900 + b"]" * 900 + b', "age": 1, "income": 2}]}'
    app = create_app(models.Scorer, show_inputs=True)
    reply = call(app, "POST", "/invocations", deep)
    assert reply.status == 400
    issue = reply.json()["issues"][0]
    assert (issue["row"], issue["loc"], issue["type"]) == (0, ["name"], "string_type")


def test_show_inputs_puts_the_exception_text_in_500_answers(models: Any) -> None:
    body = {"inputs": ROWS, "params": {"fail": True}}
    assert b"secret" not in post(create_app(models.Scorer), body).body
    shown = post(create_app(models.Scorer, show_inputs=True), body)
    assert shown.status == 500
    assert "secret detail of the model" in shown.json()["message"]


def test_default_body_limit_is_50_mib(models: Any) -> None:
    app = create_app(models.Scorer)
    assert DEFAULT_MAX_BODY_BYTES == 50 * 2**20
    headers = {"content-type": JSON, "content-length": str(DEFAULT_MAX_BODY_BYTES + 1)}
    assert call(app, "POST", "/invocations", b"", headers).status == 413


def test_streamed_body_is_counted_in_process(models: Any) -> None:
    app = create_app(models.Scorer, max_body_bytes=100)
    body = json.dumps({"inputs": ROWS}).encode()
    assert call(app, "POST", "/invocations", body, chunks=4).status == 413
    small = create_app(models.Scorer, max_body_bytes=len(body))
    assert call(small, "POST", "/invocations", body, chunks=4).status == 200


class Summer:
    """Untyped, saved with a tensor signature."""

    def predict(self, context: Any, model_input: Any) -> Any:
        return model_input.sum(axis=1)


def test_tensor_signature_model(tmp_path: Path) -> None:
    signature = tm.ModelSignature(inputs=tm.Schema([tm.TensorSpec(np.float64, (-1, 3))]))
    tm.save_model(Summer(), tmp_path / "summer", signature=signature)
    app = create_app(tmp_path / "summer")
    assert post(app, {"inputs": [[1, 2, 3], [4, 5, 6]]}).json() == {"predictions": [6.0, 15.0]}
    assert post(app, {"instances": [[1, 2, 3]]}).json() == {"predictions": [6.0]}
    issues = assert_invalid(post(app, {"inputs": [[1, 2]]}))
    assert issues[0]["type"] == "tensor_shape"
    assert assert_invalid(post(app, {"inputs": [[1, 2, 3]], "params": {"k": 1}}))[0]["type"] == (
        "no_params"
    )
    csv = call(app, "POST", "/invocations", b"a,b,c\n1,2,3\n", {"content-type": "text/csv"})
    assert csv.status == 415


def test_async_predict(models: Any) -> None:
    @tm.typed
    async def doubled(model_input: list[float]) -> list[float]:
        await asyncio.sleep(0)
        return [2 * x for x in model_input]

    assert post(create_app(doubled), {"inputs": [1, "2"]}).json() == {"predictions": [2.0, 4.0]}


def test_output_that_breaks_its_hint_or_json_is_500(models: Any) -> None:
    @tm.typed
    def wrong(model_input: list[float]) -> list[int]:
        return ["not an int" for _ in model_input]  # type: ignore[misc]

    @tm.typed
    def opaque(model_input: list[float]) -> Any:
        return object()

    for model in (wrong, opaque):
        reply = post(create_app(model), {"inputs": [1.0]})
        assert reply.status == 500
        assert reply.json()["error_code"] == "MODEL_ERROR"
        assert b"Traceback" not in reply.body


def test_model_without_params_refuses_params(models: Any) -> None:
    reply = post(create_app(models.rich), {"inputs": [1.0], "params": {"a": 1}})
    assert assert_invalid(reply)[0]["type"] == "no_params"


def test_jsonable_rules() -> None:
    import datetime as dt
    import decimal
    import enum
    import uuid

    class Color(enum.Enum):
        RED = "red"

    @dataclass
    class Point:
        x: float
        y: bytes

    value = {
        Color.RED: Color.RED,
        1: (1, {2}),
        "decimal": decimal.Decimal("1.10"),
        "uuid": uuid.UUID(int=1),
        "delta": dt.timedelta(seconds=90),
        "path": Path("a") / "b",
        "point": Point(float("inf"), b"\x01"),
        "time": dt.time(1, 2),
        "td64": np.array([1], dtype="timedelta64[s]"),
        "index": pd.Index([1, 2]),
        "ext": pd.array([1, None], dtype="Int64"),
    }
    assert _jsonable(value) == {
        "red": "red",
        "1": [1, [2]],
        "decimal": "1.10",
        "uuid": str(uuid.UUID(int=1)),
        "delta": 90.0,
        "path": os.path.join("a", "b"),
        "point": {"x": None, "y": "AQ=="},
        "time": "01:02:00",
        "td64": [1.0],
        "index": [1, 2],
        "ext": [1, None],
    }
    with pytest.raises(TypeError, match="object"):
        _jsonable(object())
    assert _jsonable(object(), fallback=lambda v: "seen") == "seen"


# ---------------------------------------------------------------------------------------------
# Docs endpoints (typedmodel.docs renders them)
# ---------------------------------------------------------------------------------------------


def test_openapi_json(scorer: Server) -> None:
    reply = scorer.get("/openapi.json")
    assert reply.status == 200, reply
    spec = reply.json()
    assert str(spec["openapi"]).startswith("3.")
    assert "/invocations" in spec["paths"]


def test_docs_page_is_self_contained_html(scorer: Server) -> None:
    reply = scorer.get("/docs")
    assert reply.status == 200, reply
    assert reply.headers["content-type"].startswith("text/html")
    page = reply.body.decode()
    assert "<html" in page.lower()
    assert "Applicant" in page or "age" in page
    for external in ('src="http', 'href="http', "src='http", "@import"):
        assert external not in page
