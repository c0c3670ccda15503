"""infer_schema / infer_signature: every kind of data, the reference forms, and the rules."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pydantic
import pytest

import typedmodel as tm
from tests.reference import mlflow_forms
from typedmodel import (
    AnyType,
    Array,
    ColSpec,
    DataType,
    Map,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    SchemaError,
    TensorSpec,
    infer_schema,
    infer_signature,
)

FORMS = {c["case"]: c["mlflow_output"] for c in mlflow_forms()}

REFERENCE_CASES = {
    "infer_signature(DataFrame({'feature_A':[1.5,2.5],'category_B':['x','y'],'optional_C':[1,2]}),"
    " np.array([0.1,0.2]))": lambda: infer_signature(
        pd.DataFrame({"feature_A": [1.5, 2.5], "category_B": ["x", "y"], "optional_C": [1, 2]}),
        np.array([0.1, 0.2]),
    ),
    "infer_signature(DataFrame({'a':[1.0,None],'b':['x','y']}))": lambda: infer_signature(
        pd.DataFrame({"a": [1.0, None], "b": ["x", "y"]})
    ),
    "infer_signature(['hi'], ['there'], params={'temperature': 0.5, 'stop': ['a','b']})": lambda: (
        infer_signature(["hi"], ["there"], params={"temperature": 0.5, "stop": ["a", "b"]})
    ),
    "infer_signature({'a': 1, 'b': 'x', 'c': [1.0, 2.0]})": lambda: infer_signature(
        {"a": 1, "b": "x", "c": [1.0, 2.0]}
    ),
    "infer_signature([{'a': 1, 'b': {'z': 1}}, {'a': 2}])": lambda: infer_signature(
        [{"a": 1, "b": {"z": 1}}, {"a": 2}]
    ),
    "infer_signature({'x': np.zeros((2,3), float32), 'y': np.zeros(2, int64)})": lambda: (
        infer_signature({"x": np.zeros((2, 3), np.float32), "y": np.zeros(2, np.int64)})
    ),
    "infer_signature(pd.Series([1.0,2.0], name='s'))": lambda: infer_signature(
        pd.Series([1.0, 2.0], name="s")
    ),
    "infer_signature(np.zeros((5,3), float32))": lambda: infer_signature(
        np.zeros((5, 3), np.float32)
    ),
}


@pytest.mark.parametrize("case", sorted(REFERENCE_CASES))
def test_reference_forms_match_mlflow_exactly(case: str) -> None:
    assert case in FORMS, f"reference case {case!r} not found"
    got = REFERENCE_CASES[case]().to_dict()
    assert got == FORMS[case]
    for part in ("inputs", "outputs", "params"):
        assert got[part] == FORMS[case][part]  # the JSON strings, character for character


def test_every_infer_reference_case_is_covered() -> None:
    infer_cases = {c for c in FORMS if c.startswith("infer_signature(")}
    assert infer_cases == set(REFERENCE_CASES)


# -- DataFrames -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pd.Series([True, False]), DataType.boolean),
        (pd.Series([1, 2], dtype="int8"), DataType.integer),
        (pd.Series([1, 2], dtype="int16"), DataType.integer),
        (pd.Series([1, 2], dtype="int32"), DataType.integer),
        (pd.Series([1, 2], dtype="int64"), DataType.long),
        (pd.Series([1, 2], dtype="uint8"), DataType.integer),
        (pd.Series([1, 2], dtype="uint32"), DataType.long),
        (pd.Series([1.0, 2.0], dtype="float32"), DataType.float),
        (pd.Series([1.0, 2.0]), DataType.double),
        (pd.Series(["a", "b"], dtype=object), DataType.string),
        (pd.Series(["a", "b"], dtype="string"), DataType.string),
        (pd.Series(["a", "b"], dtype="str"), DataType.string),
        (pd.Series([b"a", b"b"]), DataType.binary),
        (pd.Series([1, 2], dtype="Int64"), DataType.long),
        (pd.Series([1, 2], dtype="Int32"), DataType.integer),
        (pd.Series([1.5, 2.5], dtype="Float64"), DataType.double),
        (pd.Series([True, False], dtype="boolean"), DataType.boolean),
        (pd.Series(pd.Categorical(["x", "y", "x"])), DataType.string),
        (pd.Series(pd.Categorical([1, 2, 1])), DataType.long),
        (pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01"])), DataType.datetime),
        (pd.Series(pd.to_datetime(["2024-01-01"]).astype("datetime64[s]")), DataType.datetime),
        (pd.Series(pd.to_datetime(["2024-01-01"]).astype("datetime64[ms]")), DataType.datetime),
        (pd.Series(pd.to_datetime(["2024-01-01"]).tz_localize("UTC")), DataType.datetime),
        (pd.Series([dt.date(2024, 1, 1)]), DataType.datetime),
        (pd.Series([1, 2], dtype=object), DataType.long),
        (pd.Series([1, 2.5], dtype=object), DataType.double),
        (pd.Series([[1, 2], [3]]), Array(DataType.long)),
        (pd.Series([[1, 2], [2.5]]), Array(DataType.double)),
        (pd.Series([[], ["a"]]), Array(DataType.string)),
        (
            pd.Series([{"a": 1}, {"a": 2, "b": "x"}]),
            Object([Property("a", "long"), Property("b", "string", False)]),
        ),
        (pd.Series([np.array([1.0, 2.0]), np.array([3.0])]), Array(DataType.double)),
    ],
    ids=repr,
)
def test_column_types(values: pd.Series, expected: object) -> None:
    schema = infer_schema(pd.DataFrame({"c": values}))
    assert schema == Schema([ColSpec(expected, "c")])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pd.Series([1.0, np.nan]), DataType.double),
        (pd.Series([1, None], dtype="Int64"), DataType.long),
        (pd.Series([1.5, None], dtype="Float64"), DataType.double),
        (pd.Series([True, None], dtype="boolean"), DataType.boolean),
        (pd.Series(["a", None], dtype="string"), DataType.string),
        (pd.Series(["a", None], dtype="str"), DataType.string),
        (pd.Series(["a", None], dtype=object), DataType.string),
        (pd.Series(pd.Categorical(["x", None])), DataType.string),
        (pd.Series(pd.to_datetime(["2024-01-01", None])), DataType.datetime),
        (pd.Series([[1], None]), Array(DataType.long)),
        (pd.Series([None, None], dtype=object), AnyType()),
    ],
    ids=repr,
)
def test_a_column_with_a_missing_value_is_not_required(values: pd.Series, expected: object) -> None:
    schema = infer_schema(pd.DataFrame({"c": values}))
    assert schema == Schema([ColSpec(expected, "c", required=False)])  # type: ignore[arg-type]


def test_dataframe_columns_keep_their_order_and_integer_names() -> None:
    frame = pd.DataFrame({"b": [1], "a": ["x"], 3: [1.5], 2.5: [1]})
    assert infer_schema(frame).input_names() == ["b", "a", 3, "2.5"]  # as MLflow names them


def test_dataframe_is_not_mutated() -> None:
    frame = pd.DataFrame({"a": [1.0, None], "b": [[1], [2]]})
    before = frame.copy(deep=True)
    infer_schema(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_mixed_object_column_is_an_error_that_suggests_any() -> None:
    with pytest.raises(SchemaError, match=r"mixes values of type long and string.*AnyType"):
        infer_schema(pd.DataFrame({"c": [1, "a"]}))


def test_timedelta_column_is_an_error() -> None:
    with pytest.raises(SchemaError, match="timedelta"):
        infer_schema(pd.DataFrame({"c": pd.to_timedelta([1, 2], unit="s")}))


def test_empty_dataframe_is_an_error() -> None:
    with pytest.raises(SchemaError, match="no columns"):
        infer_schema(pd.DataFrame())


def test_unnamed_series_is_an_unnamed_column() -> None:
    assert infer_schema(pd.Series([1, 2])) == Schema([ColSpec("long")])


def test_large_frame_infers_without_walking_rows() -> None:
    # The object column of strings goes through pandas' C inference: a value of another type
    # deep inside is still found (the check is not a sample of the first rows).
    n = 100_000
    frame = pd.DataFrame(
        {f"x{i}": np.arange(n, dtype="float64") for i in range(8)}
        | {"s": pd.Series(["a"] * n, dtype=object), "b": np.ones(n, dtype=bool)}
    )
    schema = infer_schema(frame)
    assert schema.input_types() == [DataType.double] * 8 + [DataType.string, DataType.boolean]
    frame.loc[n - 1, "s"] = 5
    with pytest.raises(SchemaError, match="mixes"):
        infer_schema(frame)


# -- arrays -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.zeros((5, 3), np.float32), TensorSpec("float32", (-1, 3))),
        (np.zeros(4, np.int64), TensorSpec("int64", (-1,))),
        (np.zeros((2, 28, 28, 1), np.uint8), TensorSpec("uint8", (-1, 28, 28, 1))),
        (np.array(["ab", "c"]), TensorSpec("str", (-1,))),
        (np.array([b"ab", b"c"]), TensorSpec("bytes", (-1,))),
        (np.array(3.0), TensorSpec("float64", ())),
    ],
    ids=repr,
)
def test_arrays_are_tensors(array: np.ndarray, expected: TensorSpec) -> None:
    assert infer_schema(array) == Schema([expected])


def test_object_array_is_an_object_tensor() -> None:
    schema = infer_schema(np.array([1, "a"], dtype=object))
    assert schema == Schema([TensorSpec(np.dtype(object), (-1,))])  # as MLflow infers it


def test_dict_of_arrays_is_named_tensors() -> None:
    schema = infer_schema({"img": np.zeros((2, 4, 4), np.float32), "mask": np.zeros(2, bool)})
    assert schema == Schema(
        [TensorSpec("float32", (-1, 4, 4), "img"), TensorSpec("bool", (-1,), "mask")]
    )


# -- dicts, records, lists, scalars ---------------------------------------------------------


def test_dict_of_values_is_one_row_of_named_columns() -> None:
    schema = infer_schema({"a": 1, "b": None, "c": {"k": [1.5]}, "d": np.array([1, 2])})
    assert schema == Schema(
        [
            ColSpec("long", "a"),
            ColSpec(AnyType(), "b", required=False),
            ColSpec(Object([Property("k", Array("double"))]), "c"),
            ColSpec(Array("long"), "d"),
        ]
    )


def test_records_merge_keys_across_rows() -> None:
    rows = [{"a": 1, "b": [1]}, {"a": 2.5, "c": "x"}, {"a": None, "b": [], "c": "y"}]
    assert infer_schema(rows) == Schema(
        [
            ColSpec("double", "a", required=False),
            ColSpec(Array("long"), "b", required=False),
            ColSpec("string", "c", required=False),
        ]
    )


def test_records_with_nested_objects_merge_fields() -> None:
    rows = [{"m": {"x": 1}}, {"m": {"y": "a"}}, {"m": {}}]
    assert infer_schema(rows) == Schema(
        [
            ColSpec(
                Object([Property("x", "long", required=False), Property("y", "string", False)]),
                "m",
            )
        ]
    )


def test_dict_with_non_string_keys_inside_is_an_error() -> None:
    with pytest.raises(SchemaError, match="keys must be strings"):
        infer_schema([{"a": {1: "x"}}])


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (["a", "b"], ColSpec("string")),
        ([1, 2], ColSpec("long")),
        ([1, 2.5], ColSpec("double")),
        ([True, False], ColSpec("boolean")),
        ([b"x"], ColSpec("binary")),
        ([dt.datetime(2024, 1, 1), dt.date(2024, 1, 2)], ColSpec("datetime")),
        ([[1.0, 2.0], [3.0]], ColSpec(Array("double"))),
        ([[[1]], [[2, 3]]], ColSpec(Array(Array("long")))),
        ([np.float32(1.0)], ColSpec("float")),
        ([np.int32(1), np.int64(2)], ColSpec("long")),
        ((1, 2), ColSpec("long")),
        ([None, 1], ColSpec("long")),
        ([{}, {}, {"a": 1}], ColSpec("long", "a", required=False)),
        ("text", ColSpec("string")),
        (3, ColSpec("long")),
        (2.5, ColSpec("double")),
        (np.float64(2.5), ColSpec("double")),
        (pd.Timestamp("2024-01-01"), ColSpec("datetime")),
    ],
    ids=repr,
)
def test_lists_and_scalars(data: object, expected: ColSpec) -> None:
    assert infer_schema(data) == Schema([expected])


def test_dict_of_lists_keeps_lists_as_arrays() -> None:
    assert infer_schema({"c": [1.0, 2.0]}) == Schema([ColSpec(Array("double"), "c")])


@pytest.mark.parametrize("data", [[1, "a"], [[1], ["a"]], [{"a": 1}, {"a": "x"}], [[1], 2]])
def test_mixed_lists_are_errors_suggesting_any(data: object) -> None:
    with pytest.raises(SchemaError, match=r"Array\(AnyType\(\)\)"):
        infer_schema(data)


@pytest.mark.parametrize("data", [[], {}, [{}, {}]])
def test_empty_data_is_an_error(data: object) -> None:
    with pytest.raises(SchemaError, match="can't infer"):
        infer_schema(data)


def test_pydantic_models_and_dataclasses_are_read_as_dicts() -> None:
    class Score(pydantic.BaseModel):
        score: float
        label: str | None = None

    @dataclass
    class Point:
        x: int
        y: list[float]

    assert infer_schema([Score(score=1.0), Score(score=2.0, label="a")]) == Schema(
        [ColSpec("double", "score"), ColSpec("string", "label", required=False)]
    )
    assert infer_schema([Point(1, [2.0])]) == Schema(
        [ColSpec("long", "x"), ColSpec(Array("double"), "y")]
    )


def test_unsupported_value_is_an_error_naming_it() -> None:
    with pytest.raises(SchemaError, match="complex"):
        infer_schema([1j])


def test_map_value_is_not_inferred_from_an_empty_dict_alone() -> None:
    assert infer_schema([{"a": {}}]) == Schema([ColSpec(Map(AnyType()), "a")])


# -- params and signatures ----------------------------------------------------------------------


def test_params_inference() -> None:
    when = dt.datetime(2024, 5, 1, 12, 30)
    sig = infer_signature(
        params={
            "k": 3,
            "t": 0.5,
            "flag": True,
            "name": "x",
            "when": when,
            "stops": ["a", "b"],
            "weights": np.array([1.0, 2.0]),
            "n": np.int64(4),
        }
    )
    assert sig.params == ParamSchema(
        [
            ParamSpec("k", "long", 3),
            ParamSpec("t", "double", 0.5),
            ParamSpec("flag", "boolean", True),
            ParamSpec("name", "string", "x"),
            ParamSpec("when", "datetime", when),
            ParamSpec("stops", "string", ["a", "b"], shape=(-1,)),
            ParamSpec("weights", "double", [1.0, 2.0], shape=(-1,)),
            ParamSpec("n", "long", 4),
        ]
    )
    assert json.loads(sig.to_dict()["params"] or "")[4]["default"] == "2024-05-01T12:30:00"
    assert sig.inputs is None
    assert sig.outputs is None


def test_params_empty_list_is_an_error_with_the_fix() -> None:
    with pytest.raises(SchemaError, match=r"ParamSpec\('stops', DataType.string, \[\], shape"):
        infer_signature(params={"stops": []})


def test_params_nested_list_is_an_error() -> None:
    with pytest.raises(SchemaError, match="1-D list"):
        infer_signature(params={"m": [[1, 2]]})


def test_infer_signature_needs_something() -> None:
    with pytest.raises(SchemaError, match="needs model_input"):
        infer_signature()


def test_infer_then_round_trip() -> None:
    frame = pd.DataFrame(
        {"a": [1, 2], "b": ["x", None], "c": [[1.0], [2.0, 3.0]], "d": [{"k": 1}, {"k": 2}]}
    )
    sig = tm.infer_signature(frame, [{"score": 1.0}])
    assert tm.ModelSignature.from_dict(sig.to_dict()) == sig
