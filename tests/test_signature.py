"""`ModelSignature` and the MLflow ``MLmodel`` form, checked against MLflow's recorded output."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from tests.reference import mlflow_forms, mlflow_module
from tests.strategies import param_schemas, schemas, signatures
from typedmodel import (
    AnyType,
    Array,
    ColSpec,
    DataType,
    Map,
    ModelSignature,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    SchemaError,
    TensorSpec,
)

EXT = "x-typedmodel"
CASES: list[dict[str, Any]] = mlflow_forms()
CASE_BY_NAME = {case["case"]: case["mlflow_output"] for case in CASES}

HYPOTHESIS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---------------------------------------------------------------------------------------------
# The reference forms: the same objects built with typedmodel
# ---------------------------------------------------------------------------------------------

CONSTRUCTED: dict[str, Callable[[], Any]] = {
    CASES[0]["case"]: lambda: Schema(
        [
            ColSpec(DataType.double, "feature_A"),
            ColSpec(DataType.string, "category_B"),
            ColSpec(DataType.long, "optional_C", required=False),
        ]
    ),
    CASES[1]["case"]: lambda: ModelSignature(
        inputs=Schema([TensorSpec(np.dtype("float32"), (-1, 64, 64, 3), "input_image_tensor")])
    ),
    CASES[2]["case"]: lambda: ModelSignature(
        params=ParamSchema(
            [
                ParamSpec("temperature", DataType.double, 0.7),
                ParamSpec("max_tokens", DataType.long, 100),
                ParamSpec("stop_sequences", DataType.string, [], shape=[-1]),
            ]
        )
    ),
    CASES[3]["case"]: lambda: ParamSchema(
        [ParamSpec("d", DataType.datetime, dt.datetime(2024, 1, 1))]
    ),
}

TYPE_HINT_TREES: dict[str, Callable[[], Schema]] = {
    "type hint list[Message] where Message(role: str, content: str, "
    "metadata: Optional[Dict[str,str]] = None)": lambda: Schema(
        [
            ColSpec(
                Object(
                    [
                        Property("role", DataType.string),
                        Property("content", DataType.string),
                        Property("metadata", Map(DataType.string), required=False),
                    ]
                )
            )
        ]
    ),
    "type hint List[Dict[str, float]]": lambda: Schema([ColSpec(Map(DataType.double))]),
    "type hint list[float]": lambda: Schema([ColSpec(DataType.double)]),
    "type hint list[list[float]]": lambda: Schema([ColSpec(Array(DataType.double))]),
    "type hint list[Outer] where Outer(tags: List[str], inner: Inner(x: float), when: datetime, "
    "blob: bytes)": lambda: Schema(
        [
            ColSpec(
                Object(
                    [
                        Property("tags", Array(DataType.string)),
                        Property("inner", Object([Property("x", DataType.double)])),
                        Property("when", DataType.datetime),
                        Property("blob", DataType.binary),
                    ]
                )
            )
        ]
    ),
}


def _kind(case: str) -> str:
    """Which typedmodel reader a recorded form is for."""
    if case.startswith(("ModelSignature(", "infer_signature(")):
        return "signature"
    if case.startswith(("Schema(", "type hint ")):
        return "schema"
    if case.startswith("ParamSchema("):
        return "params"
    raise AssertionError(f"reference case of unknown kind: {case!r}")


def test_reference_cases_are_all_covered() -> None:
    assert len(CASES) == 17
    assert list(CONSTRUCTED) == [case["case"] for case in CASES[:4]]
    assert set(TYPE_HINT_TREES) == {c["case"] for c in CASES if c["case"].startswith("type hint")}
    for case in CASES:
        assert _kind(case["case"]) in {"signature", "schema", "params"}


@pytest.mark.parametrize("case", list(CONSTRUCTED))
def test_constructed_forms_match_mlflow_exactly(case: str) -> None:
    expected = CASE_BY_NAME[case]
    obj = CONSTRUCTED[case]()
    got = obj.to_dict()
    assert got == expected
    if isinstance(expected, dict):  # a signature: each part is MLflow's JSON string, verbatim
        assert list(got) == ["inputs", "outputs", "params"]
        for part in ("inputs", "outputs", "params"):
            assert got[part] == expected[part]
            assert got[part] is None or isinstance(got[part], str)
    else:  # a Schema or ParamSchema: its JSON is MLflow's json.dumps of the list
        assert obj.to_json() == json.dumps(expected)


@pytest.mark.parametrize("case", list(TYPE_HINT_TREES))
def test_type_hint_trees_match_mlflow_exactly(case: str) -> None:
    expected = CASE_BY_NAME[case]
    schema = TYPE_HINT_TREES[case]()
    assert schema.to_dict() == expected
    assert schema.to_json() == json.dumps(expected)
    sig = ModelSignature(inputs=schema)
    assert sig.to_dict() == {"inputs": json.dumps(expected), "outputs": None, "params": None}


@pytest.mark.parametrize("case", [c["case"] for c in CASES])
def test_reads_every_reference_form_and_writes_it_back(case: str) -> None:
    expected = CASE_BY_NAME[case]
    kind = _kind(case)
    if kind == "signature":
        sig = ModelSignature.from_dict(expected)
        assert sig.to_dict() == expected
        for part in ("inputs", "outputs", "params"):
            assert sig.to_dict()[part] == expected[part]
        assert ModelSignature.from_json(json.dumps(expected)) == sig
    elif kind == "schema":
        schema = Schema.from_dict(expected)
        assert schema.to_dict() == expected
        assert schema.to_json() == json.dumps(expected)
        assert Schema.from_json(json.dumps(expected)) == schema
    else:
        params = ParamSchema.from_dict(expected)
        assert params.to_dict() == expected
        assert params.to_json() == json.dumps(expected)
        assert ParamSchema.from_json(json.dumps(expected)) == params


@pytest.mark.parametrize("case", list(CONSTRUCTED) + list(TYPE_HINT_TREES))
def test_reading_a_reference_form_gives_the_built_object(case: str) -> None:
    expected = CASE_BY_NAME[case]
    built = CONSTRUCTED.get(case, TYPE_HINT_TREES.get(case))
    assert built is not None
    obj = built()
    reader = {"signature": ModelSignature, "schema": Schema, "params": ParamSchema}[_kind(case)]
    assert reader.from_dict(expected) == obj


# ---------------------------------------------------------------------------------------------
# ModelSignature itself
# ---------------------------------------------------------------------------------------------


def test_signature_needs_at_least_one_part() -> None:
    with pytest.raises(SchemaError, match="at least one"):
        ModelSignature()
    with pytest.raises(SchemaError, match="at least one"):
        ModelSignature(inputs=None, outputs=None, params=None)


INPUTS = Schema([ColSpec("double", "x"), ColSpec("string", "y", required=False)])
OUTPUTS = Schema([ColSpec("double")])
PARAMS = ParamSchema([ParamSpec("k", "long", 3)])


@pytest.mark.parametrize(
    "parts",
    [
        {"inputs": INPUTS},
        {"outputs": OUTPUTS},
        {"params": PARAMS},
        {"inputs": INPUTS, "outputs": OUTPUTS, "params": PARAMS},
    ],
    ids=["inputs", "outputs", "params", "all"],
)
def test_signature_with_any_one_part(parts: dict[str, Any]) -> None:
    sig = ModelSignature(**parts)
    data = sig.to_dict()
    assert set(data) == {"inputs", "outputs", "params"}
    for name in ("inputs", "outputs", "params"):
        part = parts.get(name)
        assert data[name] == (None if part is None else part.to_json())
        assert getattr(sig, name) == part
    assert ModelSignature.from_dict(data) == sig


def test_signature_to_dict_is_mlflow_mlmodel_form() -> None:
    sig = ModelSignature(inputs=INPUTS, outputs=OUTPUTS, params=PARAMS)
    assert sig.to_dict() == {
        "inputs": '[{"type": "double", "name": "x", "required": true}, '
        '{"type": "string", "name": "y", "required": false}]',
        "outputs": '[{"type": "double", "required": true}]',
        "params": '[{"name": "k", "default": 3, "shape": null, "type": "long"}]',
    }


@pytest.mark.parametrize(
    ("parts", "match"),
    [
        ({"inputs": [ColSpec("double", "x")]}, "inputs must be a Schema"),
        ({"outputs": ColSpec("double", "x")}, "outputs must be a Schema"),
        ({"params": [ParamSpec("k", "long", 1)]}, "params must be a ParamSchema"),
        ({"inputs": PARAMS}, "inputs must be a Schema"),
    ],
)
def test_signature_parts_have_their_types(parts: dict[str, Any], match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        ModelSignature(**parts)


def test_signature_json_round_trip_and_equality_by_value() -> None:
    sig = ModelSignature(inputs=INPUTS, outputs=OUTPUTS, params=PARAMS)
    text = sig.to_json()
    assert json.loads(text) == sig.to_dict()
    again = ModelSignature.from_json(text)
    assert again == sig
    assert again is not sig
    twin = ModelSignature(
        inputs=Schema([ColSpec(DataType.double, "x"), ColSpec(DataType.string, "y", False)]),
        outputs=Schema([ColSpec(DataType.double)]),
        params=ParamSchema([ParamSpec("k", DataType.long, 3)]),
    )
    assert twin == sig
    assert hash(twin) == hash(sig)
    assert ModelSignature(inputs=INPUTS) != sig
    assert ModelSignature(inputs=INPUTS) != ModelSignature(outputs=INPUTS)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"inputs": None, "outputs": None, "params": None}, "at least one"),
        ({}, "at least one"),
        ({"inputs": '[{"type": "double"}]', "extra": "1"}, r"unknown signature keys \['extra'\]"),
        ({"inputs": "[not json"}, "not valid JSON"),
        ({"inputs": '[{"type": "decimal"}]'}, "unknown type 'decimal'"),
        ('{"inputs": null}', "a signature dict is expected"),
    ],
)
def test_signature_from_dict_rejects_bad_forms(data: Any, match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        ModelSignature.from_dict(data)


def test_signature_from_json_rejects_bad_json() -> None:
    with pytest.raises(SchemaError, match="not a JSON signature"):
        ModelSignature.from_json("{inputs")


def test_signature_reads_older_param_form_with_dtype_key() -> None:
    data = {"params": '[{"name": "k", "dtype": "long", "default": 3, "shape": null}]'}
    sig = ModelSignature.from_dict(data)
    assert sig.params == PARAMS
    assert sig.to_dict()["params"] == '[{"name": "k", "default": 3, "shape": null, "type": "long"}]'


def test_reads_what_mlflow_writes_for_nested_types() -> None:
    mlflow_signature = mlflow_module("mlflow.models.signature")
    mlflow_schema = mlflow_module("mlflow.types.schema")
    mlflow_sig = mlflow_signature.ModelSignature(
        inputs=mlflow_schema.Schema(
            [
                mlflow_schema.ColSpec(
                    mlflow_schema.Object(
                        [
                            mlflow_schema.Property("b", mlflow_schema.Array("long")),
                            mlflow_schema.Property(
                                "a", mlflow_schema.Map(mlflow_schema.AnyType()), required=False
                            ),
                        ]
                    ),
                    "obj",
                ),
                mlflow_schema.ColSpec("datetime", "when", required=False),
            ]
        ),
        outputs=mlflow_schema.Schema([mlflow_schema.TensorSpec(np.dtype("uint8"), (-1, 2), "o")]),
        params=mlflow_schema.ParamSchema(
            [
                mlflow_schema.ParamSpec("when", "datetime", dt.datetime(2024, 5, 6, 7, 8, 9)),
                mlflow_schema.ParamSpec("flags", "boolean", [True, False], (-1,)),
                mlflow_schema.ParamSpec(
                    "cfg",
                    mlflow_schema.Object([mlflow_schema.Property("n", "long")]),
                    {"n": 2},
                ),
            ]
        ),
    )
    form = mlflow_sig.to_dict()
    ours = ModelSignature.from_dict(form)
    assert ours.to_dict() == form
    assert ours == ModelSignature(
        inputs=Schema(
            [
                ColSpec(
                    Object([Property("a", Map(AnyType()), False), Property("b", Array("long"))]),
                    "obj",
                ),
                ColSpec("datetime", "when", required=False),
            ]
        ),
        outputs=Schema([TensorSpec("uint8", (-1, 2), "o")]),
        params=ParamSchema(
            [
                ParamSpec("when", "datetime", dt.datetime(2024, 5, 6, 7, 8, 9)),
                ParamSpec("flags", "boolean", [True, False], (-1,)),
                ParamSpec("cfg", Object([Property("n", "long")]), {"n": 2}),
            ]
        ),
    )


# ---------------------------------------------------------------------------------------------
# Random trees: our round trip, and MLflow reading what we write
# ---------------------------------------------------------------------------------------------


def _strip_extensions(value: Any) -> Any:
    """A JSON value with every ``x-typedmodel`` entry removed (what an MLflow-only reader sees)."""
    if isinstance(value, dict):
        return {k: _strip_extensions(v) for k, v in value.items() if k != EXT}
    if isinstance(value, list):
        return [_strip_extensions(v) for v in value]
    return value


def _mlflow_view(form: dict[str, Any]) -> dict[str, Any]:
    """Our signature dict as MLflow should write it back after reading it."""
    return {
        part: None if form[part] is None else json.dumps(_strip_extensions(json.loads(form[part])))
        for part in ("inputs", "outputs", "params")
    }


def _mlflow_round_trip(form: dict[str, Any]) -> dict[str, Any]:
    mlflow_signature = mlflow_module("mlflow.models.signature")
    return mlflow_signature.ModelSignature.from_dict(form).to_dict()


@HYPOTHESIS
@given(signatures())
def test_random_signature_round_trips(sig: ModelSignature) -> None:
    form = sig.to_dict()
    assert all(v is None or isinstance(v, str) for v in form.values())
    back = ModelSignature.from_dict(form)
    assert back == sig
    assert back.to_dict() == form
    assert ModelSignature.from_json(sig.to_json()) == sig


@HYPOTHESIS
@given(signatures())
def test_mlflow_reads_every_random_signature(sig: ModelSignature) -> None:
    form = sig.to_dict()
    # MLflow-only readers ignore the extensions and see the nearest MLflow types.
    assert _mlflow_round_trip(form) == _mlflow_view(form)


@HYPOTHESIS
@given(signatures(extensions=False))
def test_mlflow_writes_exactly_what_we_write(sig: ModelSignature) -> None:
    form = sig.to_dict()
    assert EXT not in json.dumps(form)
    assert _mlflow_round_trip(form) == form


@HYPOTHESIS
@given(schemas(extensions=False))
def test_random_schema_round_trips_through_json(schema: Schema) -> None:
    assert Schema.from_dict(schema.to_dict()) == schema
    assert Schema.from_json(schema.to_json()) == schema
    mlflow_schema = mlflow_module("mlflow.types.schema")
    assert mlflow_schema.Schema.from_json(schema.to_json()).to_json() == schema.to_json()


@HYPOTHESIS
@given(param_schemas())
def test_random_params_round_trip(params: ParamSchema) -> None:
    assert ParamSchema.from_json(params.to_json()) == params
    assert ParamSchema.from_dict(params.to_dict()) == params
    mlflow_schema = mlflow_module("mlflow.types.schema")
    mlflow_params = mlflow_schema.ParamSchema.from_json(params.to_json())
    assert json.dumps(_strip_extensions(json.loads(params.to_json()))) == mlflow_params.to_json()
