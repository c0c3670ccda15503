"""The Open Inference Protocol (V2) beside MLflow's: metadata, decoding by the protocol's rules,
the same validation, and a real client (tritonclient) against the server as a process."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pydantic
import pytest

import typedmodel as tm
from tests.asgi import Reply, call
from tests.test_serve import start_server, stop_server
from typedmodel.serve import create_app


class Applicant(pydantic.BaseModel):
    age: int = pydantic.Field(ge=0)
    name: str


class Decision(pydantic.BaseModel):
    score: float
    label: str


@tm.typed
def scorer(model_input: list[Applicant], params: dict[str, float] | None = None) -> list[Decision]:
    weight = (params or {}).get("weight", 1.0)
    return [Decision(score=a.age * weight, label=a.name.upper()) for a in model_input]


TENSORS = tm.ModelSignature(
    inputs=tm.Schema([tm.TensorSpec("float32", (-1, 3), "input0")]),
    outputs=tm.Schema([tm.TensorSpec("float32", (-1,), "output0")]),
)


@tm.typed(signature=TENSORS)
def summer(model_input: Any) -> np.ndarray:
    return model_input["input0"].sum(axis=1)  # named tensors arrive by name, as in MLflow


@tm.typed
def blobs(model_input: list[bytes]) -> list[int]:
    return [len(b) for b in model_input]


@tm.typed
def stamps(model_input: list[dt.datetime]) -> list[int]:
    return [t.year for t in model_input]


def _infer(app: Any, body: Any, path: str = "/v2/models/scorer/infer") -> Reply:
    return call(app, "POST", path, json.dumps(body).encode())


def _columns(ages: list[Any], names: list[Any], **extra: Any) -> dict[str, Any]:
    return {
        "inputs": [
            {"name": "age", "shape": [len(ages)], "datatype": "INT64", "data": ages},
            {"name": "name", "shape": [len(names), 1], "datatype": "BYTES", "data": names},
        ],
        **extra,
    }


def test_model_metadata_comes_from_the_signature() -> None:
    app = create_app(scorer)
    meta = call(app, "GET", "/v2/models/scorer").json()
    assert meta["name"] == "scorer"
    assert meta["inputs"] == [
        {"name": "age", "datatype": "INT64", "shape": [-1]},
        {"name": "name", "datatype": "BYTES", "shape": [-1]},
    ]
    assert meta["outputs"] == [
        {"name": "label", "datatype": "BYTES", "shape": [-1]},
        {"name": "score", "datatype": "FP64", "shape": [-1]},
    ]
    assert meta["parameters"] == {}  # a dict[str, float] params hint: any name, no list
    tensor_meta = call(create_app(summer), "GET", "/v2/models/summer").json()
    assert tensor_meta["inputs"] == [{"name": "input0", "datatype": "FP32", "shape": [-1, 3]}]


def test_infer_answers_tensors_with_the_request_id() -> None:
    app = create_app(scorer)
    reply = _infer(app, _columns([3, 4], [["a"], ["b"]], id="42"))
    assert reply.status == 200
    assert reply.json() == {
        "model_name": "scorer",
        "model_version": None,
        "id": "42",
        "outputs": [
            {"name": "label", "datatype": "BYTES", "shape": [2], "data": ["A", "B"]},
            {"name": "score", "datatype": "FP64", "shape": [2], "data": [3.0, 4.0]},
        ],
    }


def test_the_request_parameters_are_the_models_params() -> None:
    app = create_app(scorer)
    body = _columns([2], ["a"], parameters={"content_type": "pd", "weight": 0.5})
    assert _infer(app, body).json()["outputs"][1]["data"] == [1.0]
    bad = _infer(app, _columns([2], ["a"], parameters={"weight": "heavy"}))
    assert bad.status == 400
    assert [i["loc"] for i in bad.json()["issues"]] == [["params", "weight"]]


def test_nested_data_is_read_in_row_major_order() -> None:
    app = create_app(summer)
    flat = {"name": "input0", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]}
    nested = {**flat, "data": [[1, 2, 3], [4, 5, 6]]}
    for tensor in (flat, nested):
        reply = _infer(app, {"inputs": [tensor]}, "/v2/models/summer/infer")
        assert reply.json()["outputs"] == [
            {"name": "output0", "datatype": "FP32", "shape": [2], "data": [6.0, 15.0]}
        ]


@pytest.mark.parametrize(
    ("tensor", "loc", "kind"),
    [
        ({"shape": [3], "datatype": "INT64", "data": [1, 2]}, ["inputs", "age", "shape"], None),
        ({"shape": [2], "datatype": "INT65", "data": [1, 2]}, ["inputs", "age", "datatype"], None),
        (
            {"shape": [2], "datatype": "INT8", "data": [1, 300]},
            ["inputs", "age", 1],
            "number_range",
        ),
        ({"shape": [2], "datatype": "INT64", "data": [1, True]}, ["inputs", "age", 1], None),
        ({"shape": [1], "datatype": "FP32", "data": [1e39]}, ["inputs", "age", 0], "number_range"),
        ({"shape": [1], "datatype": "INT64", "data": "x"}, ["inputs", "age", "data"], None),
    ],
    ids=["shape", "datatype", "int8-range", "bool", "fp32-overflow", "not-a-list"],
)
def test_a_tensor_that_cant_be_read_is_a_400_naming_the_input(
    tensor: dict[str, Any], loc: list[Any], kind: str | None
) -> None:
    body = {
        "inputs": [
            {"name": "age", **tensor},
            {"name": "name", "shape": [1], "datatype": "BYTES", "data": ["a"]},
        ]
    }
    reply = _infer(create_app(scorer), body)
    assert reply.status == 400
    issues = reply.json()["issues"]
    assert [i["loc"] for i in issues] == [loc]
    if kind is not None:
        assert issues[0]["type"] == kind
    assert "error" in reply.json()


def test_every_bad_row_is_one_400_with_the_validators_issues() -> None:
    reply = _infer(create_app(scorer), _columns([-1, 2, -3], ["a", "b", "c"]))
    assert reply.status == 400
    assert [(i["row"], i["loc"], i["type"]) for i in reply.json()["issues"]] == [
        (0, ["age"], "greater_than_equal"),
        (2, ["age"], "greater_than_equal"),
    ]
    # The same rows through MLflow's protocol: the same issues.
    mlflow = call(
        create_app(scorer),
        "POST",
        "/invocations",
        json.dumps({"inputs": {"age": [-1, 2, -3], "name": ["a", "b", "c"]}}).encode(),
    )
    assert [i["loc"] for i in mlflow.json()["issues"]] == [["age"], ["age"]]


def test_content_types_base64_and_datetime() -> None:
    data = [base64.b64encode(b"abc").decode(), base64.b64encode(b"").decode()]
    body = {
        "inputs": [
            {
                "name": "b",
                "shape": [2],
                "datatype": "BYTES",
                "parameters": {"content_type": "base64"},
                "data": data,
            }
        ]
    }
    assert _infer(create_app(blobs), body, "/v2/models/blobs/infer").json()["outputs"][0][
        "data"
    ] == [3, 0]
    when = {
        "inputs": [
            {
                "name": "t",
                "shape": [1],
                "datatype": "BYTES",
                "parameters": {"content_type": "datetime"},
                "data": ["2024-05-01T12:00:00+00:00"],
            }
        ]
    }
    assert _infer(create_app(stamps), when, "/v2/models/stamps/infer").json()["outputs"][0][
        "data"
    ] == [2024]
    body["inputs"][0].update(shape=[1], data=["not base64!"])
    reply = _infer(create_app(blobs), body, "/v2/models/blobs/infer")
    assert reply.status == 400
    assert reply.json()["issues"][0]["loc"] == ["inputs", "b", 0]


def test_names_versions_and_protocols() -> None:
    app = create_app(scorer, name="risk", version="2")
    assert call(app, "GET", "/v2/models/risk/versions/2/ready").json() == {
        "name": "risk",
        "ready": True,
    }
    assert call(app, "GET", "/v2/models/risk/versions/3").status == 404
    assert call(app, "GET", "/v2/models/scorer").status == 404
    assert call(app, "GET", "/v2/models/risk").json()["versions"] == ["2"]
    assert _infer(app, _columns([1], ["a"]), "/v2/models/risk/versions/2/infer").status == 200
    assert call(app, "GET", "/v2/health/live").json() == {"live": True}
    assert call(app, "GET", "/v2").json()["name"] == "typedmodel"
    any_version = create_app(scorer)
    assert (
        _infer(any_version, _columns([1], ["a"]), "/v2/models/scorer/versions/9/infer").status
        == 200
    )
    only_mlflow = create_app(scorer, protocol="mlflow")
    assert call(only_mlflow, "GET", "/v2/models/scorer").status == 404
    only_v2 = create_app(scorer, protocol="v2")
    assert call(only_v2, "POST", "/invocations", b"{}").status == 404
    with pytest.raises(ValueError, match="protocol"):
        create_app(scorer, protocol="grpc")


def test_a_model_error_is_a_500_in_the_protocols_form() -> None:
    @tm.typed
    def broken(model_input: list[float]) -> list[float]:
        raise RuntimeError("boom")

    reply = _infer(
        create_app(broken),
        {"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [1.0]}]},
        "/v2/models/broken/infer",
    )
    assert reply.status == 500
    assert reply.json() == {
        "error": "The model raised RuntimeError (the server log has the details)"
    }


MODELS = """
import numpy as np
import typedmodel as tm

SIGNATURE = tm.ModelSignature(
    inputs=tm.Schema([tm.TensorSpec("float32", (-1, 3), "input0")]),
    outputs=tm.Schema([tm.TensorSpec("float32", (-1,), "output0")]),
)


@tm.typed(signature=SIGNATURE)
def summer(model_input):
    return model_input["input0"].sum(axis=1)
"""


def test_a_real_v2_client_against_the_server_process(tmp_path: Path) -> None:
    httpclient = pytest.importorskip("tritonclient.http")
    (tmp_path / "v2_models.py").write_text(MODELS, encoding="utf-8")
    server = start_server("v2_models:summer", tmp_path, "--name", "summer", "--version", "1")
    try:
        client = httpclient.InferenceServerClient(url=f"127.0.0.1:{server.port}")
        assert client.is_server_live()
        assert client.is_model_ready("summer", "1")
        meta = client.get_model_metadata("summer", "1")
        assert meta["inputs"][0]["datatype"] == "FP32"
        values = np.arange(6, dtype=np.float32).reshape(2, 3)
        tensor = httpclient.InferInput("input0", list(values.shape), "FP32")
        tensor.set_data_from_numpy(values, binary_data=False)
        wanted = httpclient.InferRequestedOutput("output0", binary_data=False)
        result = client.infer("summer", [tensor], model_version="1", outputs=[wanted])
        assert result.as_numpy("output0").tolist() == [3.0, 12.0]
        bad = httpclient.InferInput("input0", [1, 2], "FP32")
        bad.set_data_from_numpy(np.zeros((1, 2), dtype=np.float32), binary_data=False)
        with pytest.raises(Exception, match=r"input0|shape|3"):
            client.infer("summer", [bad], model_version="1")
    finally:
        stop_server(server)


def test_the_openapi_document_describes_the_v2_routes() -> None:
    paths = call(create_app(scorer), "GET", "/openapi.json").json()["paths"]
    infer = paths["/v2/models/{name}/infer"]["post"]
    assert infer["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/v2_request"
    }
    assert {"/v2", "/v2/health/live", "/v2/models/{name}/versions/{version}/infer"} <= set(paths)


SPEC = tm.ModelSignature(
    inputs=tm.Schema(
        [tm.TensorSpec("uint32", (-1, 2), "input0"), tm.TensorSpec("bool", (-1,), "input1")]
    ),
    outputs=tm.Schema([tm.TensorSpec("float32", (-1, 2), "output0")]),
)


@tm.typed(signature=SPEC)
def spec_model(model_input: Any) -> np.ndarray:
    first = model_input["input0"].astype(np.float32)
    return np.concatenate([first, first + 0.5])


def test_the_protocols_own_request_example() -> None:
    # The Open Inference Protocol's REST example request (its input1 given three values, as
    # its shape says), and the shape of its example response.
    body = {
        "id": "42",
        "inputs": [
            {"name": "input0", "shape": [2, 2], "datatype": "UINT32", "data": [1, 2, 3, 4]},
            {"name": "input1", "shape": [3], "datatype": "BOOL", "data": [True, False, True]},
        ],
        "outputs": [{"name": "output0"}],
    }
    reply = _infer(create_app(spec_model), body, "/v2/models/spec_model/infer")
    assert reply.status == 200, reply.body
    answer = reply.json()
    assert answer["id"] == "42"
    assert answer["outputs"] == [
        {
            "name": "output0",
            "datatype": "FP32",
            "shape": [4, 2],
            "data": [1.0, 2.0, 3.0, 4.0, 1.5, 2.5, 3.5, 4.5],
        }
    ]
    body["inputs"][0]["data"] = [1, 2, 3, -4]  # no negative UINT32
    refused = _infer(create_app(spec_model), body, "/v2/models/spec_model/infer")
    assert refused.status == 400
    assert refused.json()["issues"][0]["loc"] == ["inputs", "input0", 3]


def test_mlservers_pandas_codec_request() -> None:
    # What MLServer's PandasCodec sends for a DataFrame: one tensor per column, "pd" on the
    # request and "str" on text columns.
    body = {
        "parameters": {"content_type": "pd"},
        "inputs": [
            {"name": "age", "shape": [2, 1], "datatype": "INT64", "data": [30, 41]},
            {
                "name": "name",
                "shape": [2, 1],
                "datatype": "BYTES",
                "parameters": {"content_type": "str"},
                "data": ["ann", "bo"],
            },
        ],
    }
    answer = _infer(create_app(scorer), body).json()
    assert answer["outputs"][0]["data"] == ["ANN", "BO"]
