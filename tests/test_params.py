"""Params hints of every kind: a pydantic model, a TypedDict, a dataclass, ``dict[str, X]``;
each validated, and each in the signature."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated, Any

import pydantic
import pytest
from typing_extensions import NotRequired, TypedDict

import typedmodel as tm
from tests.asgi import post


class Limits(TypedDict):
    k: Annotated[int, pydantic.Field(gt=0, description="how many")]
    scale: NotRequired[float]


@dataclasses.dataclass
class Window:
    size: int = 3
    labels: list[str] = dataclasses.field(default_factory=list)


class Gen(pydantic.BaseModel):
    temperature: float = pydantic.Field(0.5, ge=0, le=2, description="randomness")
    top_k: int = 2


@tm.typed
def by_typeddict(model_input: list[float], params: Limits | None = None) -> list[float]:
    assert isinstance(params, dict)
    return [x * params["k"] for x in model_input]


@tm.typed
def by_dataclass(model_input: list[float], params: Window | None = None) -> list[float]:
    assert isinstance(params, Window)
    return [x / params.size for x in model_input]


@tm.typed
def by_dict(model_input: list[float], params: dict[str, float] | None = None) -> list[float]:
    assert params is not None
    return [x * params.get("weight", 1.0) for x in model_input]


@tm.typed
def by_model(model_input: list[float], params: Gen | None = None) -> list[float]:
    assert isinstance(params, Gen)
    return [x * params.temperature for x in model_input]


def _issues(run: Any) -> list[tuple[Any, str]]:
    with pytest.raises(tm.ValidationError) as info:
        run()
    assert info.value.title == "params"
    return [(issue.loc, issue.type) for issue in info.value.issues]


def test_a_typeddict_hint_is_in_the_signature_with_its_constraints() -> None:
    assert tm.signature_of(by_typeddict).params == tm.ParamSchema(
        [
            tm.ParamSpec(
                "k", "long", None, constraints=tm.Constraints(gt=0), description="how many"
            ),
            tm.ParamSpec("scale", "double", None),
        ]
    )


def test_a_typeddict_hint_is_validated() -> None:
    assert by_typeddict([2.0], params={"k": 3}) == [6.0]
    assert _issues(lambda: by_typeddict([2.0], params={"k": 0})) == [
        (("params", "k"), "greater_than")
    ]
    assert _issues(lambda: by_typeddict([2.0], params={})) == [(("params", "k"), "missing")]
    assert _issues(lambda: by_typeddict([2.0], params={"k": "3", "x": 1})) == [
        (("params",), "unknown_param"),
        (("params", "k"), "param_type"),
    ]


def test_a_dataclass_hint_gives_an_instance_with_its_defaults() -> None:
    assert tm.signature_of(by_dataclass).params == tm.ParamSchema(
        [tm.ParamSpec("size", "long", 3), tm.ParamSpec("labels", "string", [], shape=(-1,))]
    )
    assert by_dataclass([3.0]) == [1.0]
    assert by_dataclass([3.0], params=Window(size=1)) == [3.0]
    assert _issues(lambda: by_dataclass([3.0], params={"size": 1.5})) == [
        (("params", "size"), "param_type")
    ]


def test_a_dict_hint_checks_every_value_and_takes_any_name() -> None:
    assert tm.signature_of(by_dict).params == tm.ParamSchema([], values=tm.DataType.double)
    assert by_dict([2.0], params={"weight": 3, "other": 1.5}) == [6.0]
    assert _issues(lambda: by_dict([2.0], params={"weight": "x"})) == [
        (("params", "weight"), "param_type")
    ]
    # MLflow's params rules: text is not a double, even text that reads as one.
    assert _issues(lambda: by_dict([2.0], params={"weight": "3"})) == [
        (("params", "weight"), "param_type")
    ]


def test_every_bad_param_of_a_model_hint_is_reported_at_once() -> None:
    issues = _issues(lambda: by_model([1.0], params={"temperature": 3, "top_k": 2.5, "x": 0}))
    assert sorted(issues) == [
        (("params",), "unknown_param"),
        (("params", "temperature"), "less_than_equal"),
        (("params", "top_k"), "param_type"),
    ]


def test_param_constraints_and_values_survive_the_mlmodel_form() -> None:
    for model in (by_typeddict, by_dict, by_model):
        sig = tm.signature_of(model)
        assert tm.ModelSignature.from_dict(json.loads(json.dumps(sig.to_dict()))) == sig


def test_mlflow_reads_the_params_of_every_hint_kind() -> None:
    signature = pytest.importorskip("mlflow.models.signature")
    for model in (by_typeddict, by_dataclass, by_dict, by_model):
        sig = tm.signature_of(model)
        theirs = signature.ModelSignature.from_dict(sig.to_dict())
        assert [p.name for p in theirs.params.params] == sig.params.names()


def test_explicit_param_constraints_are_checked() -> None:
    schema = tm.ParamSchema([tm.ParamSpec("k", "long", 3, constraints=tm.Constraints(ge=1, le=10))])

    @tm.typed(signature=tm.ModelSignature(params=schema))
    def top(model_input: list[float], params: dict[str, Any] | None = None) -> list[float]:
        assert params is not None
        return [x * params["k"] for x in model_input]

    assert top([1.0, 2.0], params={"k": 2}) == [2.0, 4.0]
    assert _issues(lambda: top([1.0], params={"k": 11})) == [(("params", "k"), "less_than_equal")]


def test_explicit_other_params_are_checked_against_values() -> None:
    schema = tm.ParamSchema([tm.ParamSpec("k", "long", 3)], values="string")

    @tm.typed(signature=tm.ModelSignature(params=schema))
    def tag(model_input: list[float], params: dict[str, Any] | None = None) -> list[str]:
        assert params is not None
        return [params.get("label", "-")] * len(model_input)

    assert tag([1.0], params={"label": "a"}) == ["a"]
    assert _issues(lambda: tag([1.0], params={"label": 5})) == [(("params", "label"), "param_type")]


def test_a_saved_dict_params_model_checks_params_after_loading(tmp_path: Any) -> None:
    tm.save_model(by_dict, tmp_path / "m")
    loaded = tm.load_model(tmp_path / "m")
    assert loaded.signature.params == tm.ParamSchema([], values=tm.DataType.double)
    assert loaded.predict([1.0], params={"weight": 2}) == [2.0]
    with pytest.raises(tm.ValidationError):
        loaded.predict([1.0], params={"weight": "heavy"})


def test_over_http_a_bad_dict_param_is_a_400_naming_it() -> None:
    from typedmodel.serve import create_app

    app = create_app(by_dict)
    assert post(app, {"inputs": [1.0], "params": {"weight": 2}}).json() == {"predictions": [2.0]}
    reply = post(app, {"inputs": [1.0], "params": {"weight": "heavy"}})
    assert reply.status == 400
    assert [issue["loc"] for issue in reply.json()["issues"]] == [["params", "weight"]]


def test_the_json_schema_of_params_has_constraints_and_other_names() -> None:
    docs = tm.render_docs(by_model, format="json-schema")
    params = (json.loads(docs) if isinstance(docs, str) else docs)["$defs"]["params"]
    assert params["properties"]["temperature"]["maximum"] == 2
    assert params["properties"]["temperature"]["description"] == "randomness"
    assert params["additionalProperties"] is False
    docs = tm.render_docs(by_dict, format="json-schema")
    params = (json.loads(docs) if isinstance(docs, str) else docs)["$defs"]["params"]
    assert params["additionalProperties"] == {"type": "number", "format": "double"}


def test_a_param_description_must_be_text() -> None:
    with pytest.raises(tm.SchemaError):
        tm.ParamSpec("k", "long", 3, description=5)  # type: ignore[arg-type]
