"""``typedmodel serve --processes N``: worker processes, each loading the model once."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.test_serve import start_server, stop_server

MODELS = """
import os
import time

import typedmodel as tm


class Pid(tm.PythonModel):
    def load_context(self, context):
        with open(f"loads-{os.getpid()}.txt", "a") as fh:
            fh.write("loaded\\n")

    def predict(self, context, model_input: list[int]) -> list[int]:
        time.sleep(0.05)  # long enough that concurrent requests reach both processes
        return [os.getpid() for _ in model_input]
"""


def test_worker_processes_each_load_the_model_and_share_the_requests(tmp_path: Path) -> None:
    (tmp_path / "pid_models.py").write_text(MODELS, encoding="utf-8")
    server = start_server("pid_models:Pid", tmp_path, "--processes", "2", "--workers", "1")
    try:
        body = json.dumps({"inputs": [1]}).encode()

        def ask(_: int) -> int:
            reply = server.post_raw(body)
            assert reply.status == 200, reply
            (pid,) = json.loads(reply.body)["predictions"]
            return int(pid)

        with ThreadPoolExecutor(8) as pool:
            pids = set(pool.map(ask, range(48)))
        invalid = server.post({"inputs": ["x"]})
        assert invalid.status == 400
        v2 = server.get("/v2/models/Pid")  # the name of module:attribute's attribute
        assert v2.status == 200
    finally:
        stop_server(server)
    assert len(pids) == 2
    assert server.proc.pid not in pids  # the supervisor doesn't serve
    for pid in pids:  # each worker loaded the model once
        assert (tmp_path / f"loads-{pid}.txt").read_text() == "loaded\n"
