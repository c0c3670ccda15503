"""Batch adapters, coercion, issues, params and explicit schemas (`typedmodel.validate`)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import pytest

import typedmodel as tm
from typedmodel import (
    ColSpec,
    ModelSignature,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
    TypedModelWarning,
    ValidationError,
)
from typedmodel.validate import BatchValidator, SchemaEnforcer


class Person(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(ge=0)
    income: float | None = None
    joined: dt.datetime | None = None


class Tagged(pydantic.BaseModel):
    label: str
    values: list[list[float]]


class Opts(pydantic.BaseModel):
    k: int = 3
    temperature: float = 0.5


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["Ann", "Bob", "Cid"],
            "age": [30, 41, 25],
            "income": [1.5, 2.5, 3.5],
        }
    )


@tm.typed
def people(model_input: list[Person]) -> list[str]:
    return [p.name for p in model_input]


def _issues(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[Any, ...]]:
    return [(i.row, i.loc, i.type) for i in exc.value.issues]


# ---------------------------------------------------------------------------------------------
# Adapters for list[X]
# ---------------------------------------------------------------------------------------------


def test_list_and_tuple_batches() -> None:
    validator = BatchValidator(Person)
    rows = [{"name": "Ann", "age": 30}, {"name": "Bob", "age": 41, "income": 2.0}]
    expected = [Person(name="Ann", age=30), Person(name="Bob", age=41, income=2.0)]
    assert validator.validate(rows) == expected
    assert validator.validate(tuple(rows)) == expected
    assert BatchValidator(float).validate((1, 2.5)) == [1.0, 2.5]


def test_dataframe_rows_for_a_model_element_equal_list_of_dicts() -> None:
    validator = BatchValidator(Person)
    frame = _frame()
    from_frame = validator.validate(frame)
    from_records = validator.validate(frame.to_dict("records"))
    assert from_frame == from_records
    assert from_frame == [
        Person(name="Ann", age=30, income=1.5),
        Person(name="Bob", age=41, income=2.5),
        Person(name="Cid", age=25, income=3.5),
    ]
    assert all(type(p.age) is int and type(p.income) is float for p in from_frame)


def test_dataframe_rows_for_a_dict_element() -> None:
    validator = BatchValidator(dict[str, float])
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
    assert validator.validate(frame) == [{"a": 1.0, "b": 0.5}, {"a": 2.0, "b": 1.5}]


def test_dataframe_one_column_for_a_scalar_element() -> None:
    assert BatchValidator(int).validate(pd.DataFrame({"x": [1, 2, 3]})) == [1, 2, 3]
    assert BatchValidator(str).validate(pd.DataFrame({"s": ["a", "b"]})) == ["a", "b"]


def test_dataframe_several_columns_for_a_scalar_element_is_an_error() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    with pytest.raises(ValidationError) as info:
        BatchValidator(int).validate(frame)
    message = str(info.value)
    assert "'a'" in message
    assert "'b'" in message
    assert info.value.issues[0].row is None


def test_dataframe_several_columns_through_a_typed_function_is_an_error() -> None:
    @tm.typed
    def double(model_input: list[float]) -> list[float]:
        return [2 * x for x in model_input]

    with pytest.raises(ValidationError):
        double(pd.DataFrame({"a": [1.0], "b": [2.0]}))
    assert double(pd.DataFrame({"a": [1.0, 2.0]})) == [2.0, 4.0]


def test_series_batch() -> None:
    out = BatchValidator(float).validate(pd.Series([1, 2, 3], name="x"))
    assert out == [1.0, 2.0, 3.0]
    assert all(type(v) is float for v in out)
    assert BatchValidator(str).validate(pd.Series(["a", "b"])) == ["a", "b"]


def test_one_dimensional_array_batch() -> None:
    out = BatchValidator(int).validate(np.array([1, 2, 3], dtype=np.int32))
    assert out == [1, 2, 3]
    assert all(type(v) is int for v in out)
    floats = BatchValidator(float).validate(np.array([0.5, 1.5], dtype=np.float32))
    assert floats == [0.5, 1.5]
    assert all(type(v) is float for v in floats)


def test_two_dimensional_array_for_list_of_lists() -> None:
    arr = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    out = BatchValidator(list[float]).validate(arr)
    assert out == [[1.0, 2.0], [3.0, 4.0]]
    assert all(type(v) is float for row in out for v in row)


def test_two_dimensional_array_for_a_scalar_element_is_an_error() -> None:
    with pytest.raises(ValidationError, match=r"\(2, 2\)"):
        BatchValidator(float).validate(np.zeros((2, 2)))


def test_dict_of_equal_length_columns_for_a_model_element() -> None:
    columns = {"name": ["Ann", "Bob"], "age": [30, 41]}
    assert BatchValidator(Person).validate(columns) == [
        Person(name="Ann", age=30),
        Person(name="Bob", age=41),
    ]
    assert BatchValidator(Person).validate({"name": np.array(["A"]), "age": np.array([1])}) == [
        Person(name="A", age=1)
    ]


@pytest.mark.parametrize(
    ("element", "row"),
    [
        (Person, {"name": "Ann", "age": 30}),
        (Person, Person(name="Ann", age=30)),
        (dict[str, float], {"a": 1.0}),
        (Person, {"name": ["Ann", "Bob"], "age": [30]}),  # unequal columns: one (bad) row
    ],
    ids=["dict", "model", "dict-element", "unequal-columns"],
)
def test_a_lone_row_is_an_error_saying_wrap_it_in_a_list(element: Any, row: Any) -> None:
    with pytest.raises(ValidationError, match="wrap it in a list"):
        BatchValidator(element).validate(row)


def test_a_lone_dict_through_a_typed_model() -> None:
    with pytest.raises(ValidationError, match="wrap it in a list"):
        people({"name": "Ann", "age": 30})


@pytest.mark.parametrize("data", ["abc", 3, None, 2.5], ids=repr)
def test_a_non_batch_is_a_validation_error(data: Any) -> None:
    with pytest.raises(ValidationError):
        BatchValidator(Person).validate(data)


# ---------------------------------------------------------------------------------------------
# Missing values from DataFrames
# ---------------------------------------------------------------------------------------------


def test_missing_cells_are_none_where_optional() -> None:
    class Row(pydantic.BaseModel):
        name: str | None = None
        count: int | None = None
        score: float | None = None
        when: dt.datetime | None = None

    frame = pd.DataFrame(
        {
            "name": pd.Series(["a", None, pd.NA], dtype=object),
            "count": pd.array([1, pd.NA, 3], dtype="Int64"),
            "score": [0.5, np.nan, 1.5],
            "when": [pd.Timestamp("2024-01-01"), pd.NaT, pd.NaT],
        }
    )
    out = BatchValidator(Row).validate(frame)
    assert [(r.name, r.count, r.score) for r in out] == [
        ("a", 1, 0.5),
        (None, None, None),
        (None, 3, 1.5),
    ]
    assert out[0].when == dt.datetime(2024, 1, 1)
    assert out[1].when is None
    assert out[2].when is None
    assert type(out[2].count) is int


def test_missing_cells_are_field_required_where_required() -> None:
    class Row(pydantic.BaseModel):
        name: str
        score: float
        when: dt.datetime
        count: int

    frame = pd.DataFrame(
        {
            "name": pd.Series(["a", None, "c"], dtype=object),
            "score": [0.5, 1.0, np.nan],
            "when": [pd.Timestamp("2024-01-01"), pd.NaT, pd.Timestamp("2024-01-03")],
            "count": pd.array([1, 2, pd.NA], dtype="Int64"),
        }
    )
    with pytest.raises(ValidationError) as info:
        BatchValidator(Row).validate(frame)
    found = {(i.row, i.loc, i.type, i.msg) for i in info.value.issues}
    assert found == {
        (1, ("name",), "missing", "Field required"),
        (1, ("when",), "missing", "Field required"),
        (2, ("score",), "missing", "Field required"),
        (2, ("count",), "missing", "Field required"),
    }


def test_nan_for_a_field_with_a_default_takes_the_default() -> None:
    class Row(pydantic.BaseModel):
        x: float = 7.0

    out = BatchValidator(Row).validate(pd.DataFrame({"x": [1.0, np.nan]}))
    assert [r.x for r in out] == [1.0, 7.0]


# ---------------------------------------------------------------------------------------------
# Coercion
# ---------------------------------------------------------------------------------------------


def test_numpy_scalars_act_as_python_numbers() -> None:
    class Row(pydantic.BaseModel):
        flag: bool
        ratio: float
        count: int

    rows = [
        {"flag": np.bool_(True), "ratio": np.float32(0.5), "count": np.int64(3)},
        {"flag": np.bool_(False), "ratio": np.float64(1.5), "count": np.int8(4)},
    ]
    out = BatchValidator(Row).validate(rows)
    assert [(r.flag, r.ratio, r.count) for r in out] == [(True, 0.5, 3), (False, 1.5, 4)]
    assert all(type(r.count) is int and isinstance(r.ratio, float) for r in out)
    assert BatchValidator(int).validate([np.int32(1), np.uint8(2)]) == [1, 2]


def test_numpy_scalars_act_as_python_numbers_in_strict_mode_too() -> None:
    class Row(pydantic.BaseModel):
        flag: bool
        ratio: float
        count: int

    rows = [{"flag": np.bool_(True), "ratio": np.float64(0.5), "count": np.int64(3)}]
    out = BatchValidator(Row, strict=True).validate(rows)
    assert [(r.flag, r.ratio, r.count) for r in out] == [(True, 0.5, 3)]


def test_a_fractional_float_is_not_an_int() -> None:
    with pytest.raises(ValidationError) as info:
        BatchValidator(Person).validate([{"name": "a", "age": 1.5}])
    [issue] = info.value.issues
    assert (issue.row, issue.loc, issue.input) == (0, ("age",), 1.5)
    with pytest.raises(ValidationError) as info:
        BatchValidator(Person).validate(pd.DataFrame({"name": ["a", "b"], "age": [1.0, 1.5]}))
    assert _issues(info) == [(1, ("age",), "int_from_float")]


def test_a_value_beyond_int64_is_not_a_long() -> None:
    # An `int` hint is a `long` column in the signature; 2**63 does not fit one.
    with pytest.raises(ValidationError) as info:
        BatchValidator(int).validate([1, 2**63])
    assert [i.row for i in info.value.issues] == [1]


def test_lax_by_default() -> None:
    class Row(pydantic.BaseModel):
        n: int
        x: float

    [row] = BatchValidator(Row).validate([{"n": "3", "x": 1}])
    assert row.n == 3
    assert type(row.x) is float
    assert row.x == 1.0
    assert BatchValidator(int).validate(["3", 2.0]) == [3, 2]
    out = BatchValidator(float).validate([1])
    assert out == [1.0]
    assert type(out[0]) is float


def test_strict_refuses_a_string_number() -> None:
    with pytest.raises(ValidationError) as info:
        BatchValidator(int, strict=True).validate([1, "3"])
    assert [(i.row, i.input) for i in info.value.issues] == [(1, "3")]

    @tm.typed(strict=True)
    def strict_people(model_input: list[Person]) -> list[str]:
        return [p.name for p in model_input]

    with pytest.raises(ValidationError):
        strict_people([{"name": "a", "age": "3"}])
    assert strict_people([{"name": "a", "age": 3}]) == ["a"]
    assert people([{"name": "a", "age": "3"}]) == ["a"]


def test_field_constraints_and_user_validators_run() -> None:
    class Row(pydantic.BaseModel):
        name: str = pydantic.Field(min_length=2)
        age: int = pydantic.Field(ge=0, le=130)

        @pydantic.field_validator("name")
        @classmethod
        def _upper(cls, value: str) -> str:
            if value == "bad":
                raise ValueError("no bad names")
            return value.upper()

        @pydantic.model_validator(mode="after")
        def _check(self) -> Row:
            if self.name == "OLD" and self.age < 60:
                raise ValueError("OLD must be 60 or more")
            return self

    validator = BatchValidator(Row)
    assert validator.validate([{"name": "ann", "age": 3}]) == [Row(name="ANN", age=3)]
    with pytest.raises(ValidationError) as info:
        validator.validate(
            [
                {"name": "x", "age": 3},
                {"name": "bad", "age": 131},
                {"name": "old", "age": 20},
            ]
        )
    found = {(i.row, i.loc, i.type) for i in info.value.issues}
    assert found == {
        (0, ("name",), "string_too_short"),
        (1, ("name",), "value_error"),
        (1, ("age",), "less_than_equal"),
        (2, (), "value_error"),
    }
    assert any("no bad names" in i.msg for i in info.value.issues)


def test_aliases_are_the_wire_names() -> None:
    class Row(pydantic.BaseModel):
        first_name: str = pydantic.Field(alias="firstName")

    assert BatchValidator(Row).validate(pd.DataFrame({"firstName": ["a"]}))[0].first_name == "a"


# ---------------------------------------------------------------------------------------------
# The caller's objects are never mutated
# ---------------------------------------------------------------------------------------------


def test_callers_list_and_dicts_are_not_mutated() -> None:
    rows = [
        {"label": "a", "values": [[1, "2"], [3.0]]},
        {"label": "b", "values": []},
    ]
    before = copy.deepcopy(rows)
    out = BatchValidator(Tagged).validate(rows)
    assert rows == before
    assert out[0].values == [[1.0, 2.0], [3.0]]
    people_rows = [{"name": "a", "age": "3", "income": None}]
    people_before = copy.deepcopy(people_rows)
    assert people(people_rows) == ["a"]
    assert people_rows == people_before
    assert type(people_rows[0]["age"]) is str


def test_callers_dataframe_is_not_mutated() -> None:
    frame = pd.DataFrame(
        {
            "name": ["a", "b"],
            "age": [1.0, 2.0],
            "income": [np.nan, 2.5],
            "joined": [pd.NaT, pd.Timestamp("2024-01-01")],
        }
    )
    before = frame.copy(deep=True)
    dtypes = frame.dtypes.copy()
    BatchValidator(Person).validate(frame)
    pd.testing.assert_frame_equal(frame, before)
    pd.testing.assert_series_equal(frame.dtypes, dtypes)


def test_callers_array_is_not_mutated() -> None:
    arr = np.array([[1.0, 2.0]], dtype=np.float32)
    before = arr.copy()
    BatchValidator(list[float]).validate(arr)
    np.testing.assert_array_equal(arr, before)
    assert arr.dtype == np.float32


# ---------------------------------------------------------------------------------------------
# Issues and messages
# ---------------------------------------------------------------------------------------------


def test_every_issue_of_the_batch_in_one_error() -> None:
    rows = [
        {"name": "ok", "age": 1},
        {"name": "b", "age": -4},
        {"age": "old"},
        {"name": "ok", "age": 2},
    ]
    with pytest.raises(ValidationError) as info:
        people(rows)
    err = info.value
    assert err.error_count() == 3
    by_key = {(i.row, i.loc): i for i in err.issues}
    assert set(by_key) == {(1, ("age",)), (2, ("name",)), (2, ("age",))}
    ge = by_key[(1, ("age",))]
    assert ge.type == "greater_than_equal"
    assert ge.msg == "Input should be greater than or equal to 0"
    assert ge.input == -4
    assert by_key[(2, ("name",))].type == "missing"
    assert by_key[(2, ("age",))].input == "old"
    assert {"row", "loc", "type", "msg", "input"} <= set(err.errors()[0])
    assert isinstance(err, ValueError)


def test_loc_includes_list_indices_for_nested_lists() -> None:
    with pytest.raises(ValidationError) as info:
        BatchValidator(Tagged).validate(
            [{"label": "a", "values": [[1.0]]}, {"label": "b", "values": [[1.0], [2.0, "x"]]}]
        )
    [issue] = info.value.issues
    assert issue.row == 1
    assert issue.loc == ("values", 1, 1)
    assert issue.input == "x"
    assert "row 1 -> values.1.1:" in str(info.value)


def test_message_starts_with_the_count_then_row_lines() -> None:
    rows = [{"name": "n", "age": 1}] * 3 + [{"name": "n", "age": -4}, {"name": "m", "age": "x"}]
    with pytest.raises(ValidationError) as info:
        people(rows)
    lines = str(info.value).splitlines()
    assert lines[0].startswith("2 validation errors")
    assert lines[1].strip() == "row 3 -> age: Input should be greater than or equal to 0 [input=-4]"
    assert lines[2].strip().startswith("row 4 -> age: Input should be a valid integer")


def test_hide_input_leaves_inputs_out() -> None:
    @tm.typed(hide_input=True)
    def private(model_input: list[Person]) -> list[str]:
        return [p.name for p in model_input]

    with pytest.raises(ValidationError) as info:
        private([{"name": "x", "age": "secret-age-value"}])
    err = info.value
    assert "secret-age-value" not in str(err)
    assert "secret-age-value" not in err.json()
    assert all("input" not in e for e in err.errors())
    assert "row 0 -> age" in str(err)

    with pytest.raises(ValidationError) as info:
        BatchValidator(Person, hide_input=True).validate([{"name": "x", "age": "hidden-value"}])
    assert "hidden-value" not in str(info.value)
    assert "hidden-value" not in repr(info.value.issues)


def test_a_large_batch_with_many_bad_rows_gives_a_short_message() -> None:
    rows = [{"name": f"p{i}", "age": "bad" if i % 10 == 0 else i} for i in range(10_000)]
    with pytest.raises(ValidationError) as info:
        people(rows)
    err = info.value
    assert err.error_count() == 1000
    assert len(str(err)) < 2000
    assert str(err).startswith("1000 validation errors")
    assert [i.row for i in err.issues[:3]] == [0, 10, 20]


# ---------------------------------------------------------------------------------------------
# Params
# ---------------------------------------------------------------------------------------------

PARAMS = ParamSchema(
    [
        ParamSpec("k", "long", 3),
        ParamSpec("temperature", "double", 0.5),
        ParamSpec("stop", "string", [], shape=(-1,)),
    ]
)


@tm.typed(signature=ModelSignature(params=PARAMS))
def with_params(model_input: list[str], params: dict[str, Any] | None = None) -> list[str]:
    assert params is not None
    return [f"{s}:{params['k']}:{params['temperature']}:{params['stop']}" for s in model_input]


def test_explicit_params_defaults_are_filled() -> None:
    assert with_params(["a"]) == ["a:3:0.5:[]"]
    assert with_params(["a"], params={"k": 5}) == ["a:5:0.5:[]"]
    assert with_params(["a"], params={"stop": ["x"]}) == ["a:3:0.5:['x']"]


def test_explicit_params_unknown_name_lists_allowed_names() -> None:
    with pytest.raises(ValidationError) as info:
        with_params(["a"], params={"kk": 1})
    message = str(info.value)
    assert "kk" in message
    for name in ("k", "temperature", "stop"):
        assert repr(name) in message


@pytest.mark.parametrize("value", [1.5, True, "5"], ids=repr)
def test_explicit_params_refuse_lossy_values_for_a_long(value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        with_params(["a"], params={"k": value})
    assert [i.loc for i in info.value.issues] == [("params", "k")]


def test_explicit_params_accept_an_int_for_a_double() -> None:
    assert with_params(["a"], params={"temperature": 1}) == ["a:3:1.0:[]"]


def test_params_model_gives_predict_an_instance() -> None:
    seen: list[Any] = []

    class M(tm.PythonModel):
        def predict(self, model_input: list[str], params: Opts | None = None) -> list[str]:
            seen.append(params)
            return model_input

    M().predict(["a"])
    M().predict(["a"], params={"k": 7})
    assert seen == [Opts(), Opts(k=7)]
    assert all(isinstance(p, Opts) for p in seen)
    with pytest.raises(ValidationError):
        M().predict(["a"], params={"k": "many"})
    with pytest.raises(ValidationError, match="temperature"):
        M().predict(["a"], params={"nope": 1})


# ---------------------------------------------------------------------------------------------
# Explicit ColSpec schemas (no hints)
# ---------------------------------------------------------------------------------------------

COLUMNS = Schema(
    [
        ColSpec("long", "a"),
        ColSpec("double", "b"),
        ColSpec("string", "c"),
        ColSpec("double", "d", required=False),
    ]
)


def test_required_columns_must_be_present() -> None:
    with pytest.raises(ValidationError) as info:
        SchemaEnforcer(COLUMNS).validate(pd.DataFrame({"a": [1], "d": [1.0]}))
    assert sorted(i.loc for i in info.value.issues) == [("b",), ("c",)]
    assert "b" in str(info.value)
    out = SchemaEnforcer(COLUMNS).validate(pd.DataFrame({"a": [1], "b": [1.0], "c": ["x"]}))
    assert list(out.columns) == ["a", "b", "c"]


def test_narrow_numbers_widen_safely() -> None:
    frame = pd.DataFrame(
        {
            "a": np.array([1, 2], dtype=np.int32),
            "b": np.array([0.5, 1.5], dtype=np.float32),
            "c": ["x", "y"],
        }
    )
    out = SchemaEnforcer(COLUMNS).validate(frame)
    assert out["a"].dtype == np.int64
    assert out["b"].dtype == np.float64
    assert out["a"].tolist() == [1, 2]
    assert out["b"].tolist() == [0.5, 1.5]


def test_integers_become_doubles_only_when_exact() -> None:
    ok = SchemaEnforcer(COLUMNS).validate(pd.DataFrame({"a": [1], "b": [2**53], "c": ["x"]}))
    assert ok["b"].dtype == np.float64
    assert ok["b"].tolist() == [float(2**53)]
    with pytest.raises(ValidationError) as info:
        SchemaEnforcer(COLUMNS).validate(
            pd.DataFrame({"a": [1, 2], "b": [1, 2**53 + 1], "c": ["x", "y"]})
        )
    assert [(i.row, i.loc) for i in info.value.issues] == [(1, ("b",))]


def test_integral_floats_without_nan_become_longs() -> None:
    out = SchemaEnforcer(COLUMNS).validate(
        pd.DataFrame({"a": [1.0, 2.0], "b": [1.0] * 2, "c": ["x"] * 2})
    )
    assert out["a"].dtype == np.int64
    assert out["a"].tolist() == [1, 2]


def test_nan_in_a_required_long_column_is_an_issue() -> None:
    with pytest.raises(ValidationError) as info:
        SchemaEnforcer(COLUMNS).validate(
            pd.DataFrame({"a": [1.0, np.nan], "b": [1.0, 1.0], "c": ["x", "y"]})
        )
    assert [(i.row, i.loc) for i in info.value.issues] == [(1, ("a",))]


def test_a_fractional_float_for_a_long_names_the_row_and_column() -> None:
    with pytest.raises(ValidationError) as info:
        SchemaEnforcer(COLUMNS).validate(
            pd.DataFrame({"a": [1.0, 1.5, 3.0], "b": [1.0] * 3, "c": ["x"] * 3})
        )
    [issue] = info.value.issues
    assert (issue.row, issue.loc, issue.input) == (1, ("a",), 1.5)
    assert "row 1 -> a:" in str(info.value)


def test_strings_stay_strings_and_numbers_are_not_strings() -> None:
    out = SchemaEnforcer(COLUMNS).validate(pd.DataFrame({"a": [1], "b": [1.0], "c": ["007"]}))
    assert out["c"].tolist() == ["007"]
    with pytest.raises(ValidationError) as info:
        SchemaEnforcer(COLUMNS).validate(pd.DataFrame({"a": [1], "b": [1.0], "c": [7]}))
    assert [i.loc for i in info.value.issues] == [("c",)]
    # a numeric string is read as its number, as on every other path (pydantic's lax mode)
    out = SchemaEnforcer(COLUMNS).validate(pd.DataFrame({"a": ["1"], "b": [1.0], "c": ["x"]}))
    assert out["a"].tolist() == [1]
    with pytest.raises(ValidationError) as info:
        SchemaEnforcer(COLUMNS).validate(pd.DataFrame({"a": ["x"], "b": [1.0], "c": ["x"]}))
    assert [i.loc for i in info.value.issues] == [("a",)]


def test_extra_columns_are_dropped_with_a_warning_naming_them() -> None:
    frame = pd.DataFrame({"a": [1], "b": [1.0], "c": ["x"], "zz": [0], "yy": ["?"]})
    with pytest.warns(TypedModelWarning, match="zz") as record:
        out = SchemaEnforcer(COLUMNS).validate(frame)
    assert "yy" in str(record[0].message)
    assert list(out.columns) == ["a", "b", "c"]


def test_the_warning_for_extra_columns_stays_short() -> None:
    # A CSV header or a JSON key is the caller's input: a huge label isn't written out whole.
    labels = ["x" * 10_000, *(f"extra{i}" for i in range(50))]
    frame = pd.DataFrame({"a": [1], "b": [1.0], "c": ["x"], **{k: [0] for k in labels}})
    with pytest.warns(TypedModelWarning, match="were dropped") as record:
        SchemaEnforcer(COLUMNS).validate(frame)
    tensors = SchemaEnforcer(Schema([TensorSpec(np.float64, (-1,), "t")]))
    with pytest.warns(TypedModelWarning, match="were dropped") as more:
        tensors.validate({"t": np.ones(2), **{k: np.ones(2) for k in labels}})
    for message in (str(record[0].message), str(more[0].message)):
        assert "extra0" in message
        assert len(message) < 300


def test_columns_follow_the_schema_order_and_the_callers_frame_is_untouched() -> None:
    frame = pd.DataFrame(
        {
            "c": ["x", "y"],
            "d": np.array([1.0, np.nan], dtype=np.float32),
            "b": np.array([1, 2], dtype=np.int32),
            "a": [1.0, 2.0],
        }
    )
    before = frame.copy(deep=True)
    out = SchemaEnforcer(COLUMNS).validate(frame)
    assert list(out.columns) == ["a", "b", "c", "d"]
    assert out["a"].tolist() == [1, 2]
    pd.testing.assert_frame_equal(frame, before)
    assert list(frame.columns) == ["c", "d", "b", "a"]


@pytest.mark.parametrize("hint", ["frame", "array", "none"])
def test_typed_with_an_explicit_column_signature(hint: str) -> None:
    seen: list[pd.DataFrame] = []

    def predict(model_input, params=None):  # type: ignore[no-untyped-def]
        seen.append(model_input)
        return [0.0] * len(model_input)

    if hint == "frame":
        predict.__annotations__ = {"model_input": pd.DataFrame}
    elif hint == "array":
        predict.__annotations__ = {"model_input": np.ndarray}
    wrapped = tm.typed(signature=ModelSignature(inputs=COLUMNS))(predict)
    frame = pd.DataFrame({"b": np.array([1, 2], dtype=np.int32), "a": [1.0, 2.0], "c": ["x", "y"]})
    before = frame.copy(deep=True)
    assert wrapped(frame) == [0.0, 0.0]
    got = seen[-1]
    assert list(got.columns) == ["a", "b", "c"]
    assert got["a"].dtype == np.int64
    assert got["b"].dtype == np.float64
    pd.testing.assert_frame_equal(frame, before)
    with pytest.raises(ValidationError, match="row 1 -> a"):
        wrapped(pd.DataFrame({"a": [1.0, 2.5], "b": [1.0, 1.0], "c": ["x", "y"]}))
    with pytest.warns(TypedModelWarning, match="extra"):
        wrapped(pd.DataFrame({"a": [1], "b": [1.0], "c": ["x"], "extra": [1]}))


# ---------------------------------------------------------------------------------------------
# Explicit TensorSpec schemas
# ---------------------------------------------------------------------------------------------


def test_tensor_safe_dtype_casts_only() -> None:
    f64 = SchemaEnforcer(Schema([TensorSpec(np.float64, (-1, 3))]))
    out = f64.validate(np.ones((2, 3), dtype=np.float32))
    assert out.dtype == np.float64
    f32 = SchemaEnforcer(Schema([TensorSpec(np.float32, (-1,))]))
    with pytest.raises(ValidationError, match="outside the range of float32"):
        f32.validate(np.full(3, 1e39, dtype=np.float64))  # a float32 would be inf
    # a narrower float rounds (JSON's 0.1 can only reach a float32 so) but never overflows
    assert f32.validate(np.full(3, 0.1, dtype=np.float64)).dtype == np.float32
    i32 = SchemaEnforcer(Schema([TensorSpec(np.int32, (-1,))]))
    assert i32.validate(np.ones(3, dtype=np.int16)).dtype == np.int32
    with pytest.raises(ValidationError, match="outside the range of int32"):
        i32.validate(np.full(3, 2**40, dtype=np.int64))
    assert i32.validate(np.ones(3, dtype=np.int64)).dtype == np.int32


def test_tensor_shape_with_minus_one_is_checked() -> None:
    enforcer = SchemaEnforcer(Schema([TensorSpec(np.float64, (-1, 3))]))
    assert enforcer.validate(np.zeros((5, 3))).shape == (5, 3)
    assert enforcer.validate(np.zeros((0, 3))).shape == (0, 3)
    for shape in [(2, 4), (3,), (1, 3, 1)]:
        with pytest.raises(ValidationError, match="shape"):
            enforcer.validate(np.zeros(shape))


def test_dict_of_named_tensors_and_a_missing_tensor_is_named() -> None:
    enforcer = SchemaEnforcer(
        Schema([TensorSpec(np.float32, (-1, 2), "x"), TensorSpec(np.int64, (-1,), "y")])
    )
    out = enforcer.validate({"x": np.zeros((3, 2), np.float32), "y": np.arange(3, dtype=np.int32)})
    assert set(out) == {"x", "y"}
    assert out["y"].dtype == np.int64
    with pytest.raises(ValidationError) as info:
        enforcer.validate({"x": np.zeros((3, 2), np.float32)})
    assert [i.loc for i in info.value.issues] == [("y",)]
    assert "y" in str(info.value)
    with pytest.raises(ValidationError) as info:
        enforcer.validate({"x": np.full((3, 2), 1e39), "y": np.zeros((2, 2), np.int64)})
    assert sorted(i.loc for i in info.value.issues) == [("x",), ("y",)]


def test_typed_array_predict_with_a_tensor_signature() -> None:
    sig = ModelSignature(inputs=Schema([TensorSpec(np.float32, (-1, 2))]))

    @tm.typed(signature=sig)
    def predict(model_input: np.ndarray) -> Any:
        return model_input.dtype

    assert predict(np.zeros((4, 2), np.float16)) == np.float32
    with pytest.raises(ValidationError):
        predict(np.full((4, 2), 1e39))  # float64 values a float32 can't hold
    with pytest.raises(ValidationError):
        predict(np.zeros((4, 3), np.float32))


def test_params_hidden_inputs_are_not_quoted_in_messages() -> None:
    from typedmodel.validate import ParamsValidator

    schema = tm.ParamSchema([tm.ParamSpec("k", "long", 1)])
    with pytest.raises(tm.ValidationError) as info:
        ParamsValidator(schema, None, hide_input=True).validate({"k": "secret-value"})
    assert "secret-value" not in str(info.value)
    assert "secret-value" not in info.value.json()
    assert info.value.issues[0].msg == "param 'k' expects long, got str"


def test_params_model_instance_passes_through() -> None:
    from typedmodel.validate import ParamsValidator

    class P(pydantic.BaseModel):
        k: int = 1

    instance = P(k=5)
    assert ParamsValidator(None, P).validate(instance) is instance


def test_named_tensors_from_mlflow_instances_form() -> None:
    schema = tm.Schema([tm.TensorSpec("float32", (-1, 2), "x"), tm.TensorSpec("int64", (-1,), "k")])
    out = SchemaEnforcer(schema).validate([{"x": [1, 2], "k": 1}, {"x": [3, 4], "k": 2}])
    assert out["x"].dtype == np.float32
    assert out["x"].tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert out["k"].tolist() == [1, 2]


@pytest.mark.parametrize("dtype", [object, "str", "string"])
def test_gaps_in_string_columns_of_every_dtype_mean_missing(dtype: Any) -> None:
    class Named(pydantic.BaseModel):
        name: str
        note: str | None = None

    frame = pd.DataFrame(
        {"name": pd.Series(["a", None], dtype=dtype), "note": pd.Series([None, "x"], dtype=dtype)}
    )
    with pytest.raises(tm.ValidationError) as info:
        BatchValidator(Named).validate(frame)
    assert [(i.row, i.loc, i.type) for i in info.value.issues] == [(1, ("name",), "missing")]
    ok = BatchValidator(Named).validate(frame.iloc[:1])
    assert ok == [Named(name="a", note=None)]


@pytest.mark.parametrize("dtype", ["str", "string", object])
def test_explicit_string_column_gaps_are_missing_in_every_dtype(dtype: Any) -> None:
    schema = tm.Schema([tm.ColSpec("string", "s")])
    with pytest.raises(tm.ValidationError) as info:
        SchemaEnforcer(schema).validate(pd.DataFrame({"s": pd.Series(["a", None], dtype=dtype)}))
    assert [(i.row, i.loc, i.type) for i in info.value.issues] == [(1, ("s",), "missing")]


def test_explicit_mixed_object_column_flags_only_the_wrong_values() -> None:
    schema = tm.Schema([tm.ColSpec("double", "d"), tm.ColSpec("integer", "i")])
    frame = pd.DataFrame({"d": pd.Series([1, "x", 2.5], dtype=object), "i": [1.5, 2.0, 3.0]})
    with pytest.raises(tm.ValidationError) as info:
        SchemaEnforcer(schema).validate(frame)
    assert [(i.row, i.loc) for i in info.value.issues] == [(0, ("i",)), (1, ("d",))]
    messages = [i.msg for i in info.value.issues]
    assert messages == [
        "Input should be a valid integer, got a number with a fractional part",
        "Input should be a valid number, unable to parse string as a number",
    ]
