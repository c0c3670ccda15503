"""Frame[Row]: the columnar path gives the row-wise path's issues, vectorised."""

from __future__ import annotations

import enum
import json
from typing import Any, Literal, Optional

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pydantic
import pytest
from hypothesis import example, given, settings

import typedmodel as tm
from typedmodel.validate import BatchValidator, FrameValidator


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Row(pydantic.BaseModel):
    count: int = pydantic.Field(ge=0, le=1000)
    ratio: float = pydantic.Field(gt=0.0, lt=1.0)
    score: Optional[float] = None  # noqa: UP045
    flag: bool
    name: str = pydantic.Field(min_length=2, max_length=8, pattern="^[a-z]")
    kind: Literal["a", "b", "c"] = "a"
    color: Color
    step: int = pydantic.Field(default=2, multiple_of=2)
    tags: list[str] = []


def issues(exc: tm.ValidationError) -> list[tuple[Any, ...]]:
    return sorted((i.row, i.loc, i.type, i.msg) for i in exc.issues)


def both(frame: pd.DataFrame) -> tuple[Any, Any]:
    """(columnar result or issues, row-wise result or issues) for the same frame."""
    out = []
    for validator in (FrameValidator(Row), BatchValidator(Row)):
        try:
            out.append(validator.validate(frame))
        except tm.ValidationError as exc:
            out.append(issues(exc))
    return out[0], out[1]


GOOD = pd.DataFrame(
    {
        "count": [1, 2, 3],
        "ratio": [0.5, 0.25, 0.125],
        "score": [1.0, np.nan, 3.0],
        "flag": [True, False, True],
        "name": ["ann", "bob", "cy"],
        "kind": ["a", "b", "c"],
        "color": ["red", "blue", "red"],
        "step": [2, 4, 6],
        "tags": [["x"], [], ["y", "z"]],
    }
)


def test_predict_receives_a_validated_dataframe() -> None:
    seen: list[pd.DataFrame] = []

    @tm.typed
    def predict(model_input: tm.Frame[Row]) -> list[float]:
        seen.append(model_input)
        return model_input["ratio"].tolist()

    assert predict(GOOD) == [0.5, 0.25, 0.125]
    got = seen[0]
    assert list(got.columns) == list(Row.model_fields)
    assert got["count"].dtype == np.int64
    assert got["ratio"].dtype == np.float64
    assert got["flag"].dtype == bool
    assert got["score"].isna().tolist() == [False, True, False]
    assert got["tags"].tolist() == [["x"], [], ["y", "z"]]


def test_signature_is_the_named_column_schema_in_field_order() -> None:
    @tm.typed
    def predict(model_input: tm.Frame[Row]) -> list[float]:
        return [0.0] * len(model_input)

    schema = tm.signature_of(predict).inputs
    assert schema is not None
    assert schema.input_names() == list(Row.model_fields)
    assert schema.required_input_names() == ["count", "ratio", "flag", "name", "color"]
    assert schema.inputs[0] == tm.ColSpec(
        "long", "count", constraints=tm.Constraints(ge=0, le=1000)
    )
    assert schema.inputs[6] == tm.ColSpec(tm.LiteralType(["red", "blue"]), "color")
    # A plain frame of the same columns infers the same MLflow types.
    plain = tm.infer_schema(GOOD[["count", "ratio", "flag", "name"]])
    ours = json.loads(schema.to_json())
    assert [(c["name"], c["type"]) for c in ours if c["name"] in plain.input_names()] == [
        (c["name"], c["type"]) for c in json.loads(plain.to_json())
    ]


def test_same_issues_as_the_row_wise_path() -> None:
    bad = GOOD.assign(
        count=[1.5, -1, 2000],
        ratio=[0.0, 1.0, 0.5],
        flag=[True, False, True],
        name=["A", "a" * 9, "ok"],
        kind=["a", "z", "b"],
        color=["red", "green", "blue"],
        step=[3, 4, 5],
    )
    columnar, row_wise = both(bad)
    assert isinstance(columnar, list)
    assert columnar == row_wise
    assert len(columnar) == 11  # one per bad field of each row


def test_rows_that_are_not_dicts_are_named_row_by_row() -> None:
    rows = GOOD.to_dict("records")
    batch = [rows[0], ["not", "a", "row"], 7]
    with pytest.raises(tm.ValidationError) as columnar:
        FrameValidator(Row).validate(batch)
    with pytest.raises(tm.ValidationError) as row_wise:
        BatchValidator(Row).validate(batch)
    assert issues(columnar.value) == issues(row_wise.value)
    assert [i.row for i in columnar.value.issues] == [1, 2]


def test_a_list_of_model_instances_is_read_by_its_fields() -> None:
    rows = [Row.model_validate(r) for r in GOOD.to_dict("records")]
    out = FrameValidator(Row).validate([rows[0], GOOD.to_dict("records")[1], rows[2]])
    assert out["name"].tolist() == ["ann", "bob", "cy"]
    assert out["count"].dtype == np.int64


def test_an_extra_column_is_named_as_list_row_names_it() -> None:
    class Closed(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="forbid")
        a: int

    frame = pd.DataFrame({"a": [1], 0: ["x"]})
    records = [{"a": 1, 0: "x"}]
    for batch in (frame, records):
        found = []
        for validator in (FrameValidator(Closed), BatchValidator(Closed)):
            with pytest.raises(tm.ValidationError) as info:
                validator.validate(batch)
            found.append(issues(info.value))
        assert found[0] == found[1]
    # a frame's column label by its name; a row's key as given
    assert found[0][0][1] == (0,)


def test_missing_values_mean_missing() -> None:
    frame = GOOD.assign(count=[1.0, np.nan, 3.0], score=[None, None, None])
    columnar, row_wise = both(frame)
    assert columnar == row_wise == [(1, ("count",), "missing", "Field required")]


def test_missing_column_with_and_without_default() -> None:
    out = FrameValidator(Row).validate(GOOD.drop(columns=["kind", "step", "tags", "score"]))
    assert out["kind"].tolist() == ["a", "a", "a"]
    assert out["step"].tolist() == [2, 2, 2]
    assert out["score"].isna().all()
    assert out["tags"].tolist() == [[], [], []]
    out["tags"].iloc[0].append("mutated")
    assert out["tags"].iloc[1] == []  # each row has its own default list
    columnar, row_wise = both(GOOD.drop(columns=["name"]))
    assert columnar == row_wise == [(i, ("name",), "missing", "Field required") for i in range(3)]


def test_dtype_mismatches_match_pydantic() -> None:
    frame = GOOD.assign(name=[1, 2, 3], flag=[0, 1, 2], count=[True, False, True])
    columnar, row_wise = both(frame)
    assert columnar == row_wise
    # a bool is never a number: True in an int field is int_type, on both paths
    assert {t for _, _, t, _ in columnar} == {"string_type", "bool_parsing", "int_type"}


def test_object_columns_go_through_pydantic_column_by_column() -> None:
    frame = GOOD.assign(count=pd.Series(["1", "x", 3], dtype=object))
    columnar, row_wise = both(frame)
    assert (
        columnar
        == row_wise
        == [
            (
                1,
                ("count",),
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
            )
        ]
    )


def test_caller_frame_is_not_mutated_and_extra_columns_warn() -> None:
    frame = GOOD.assign(extra=[1, 2, 3])
    before = frame.copy(deep=True)
    with pytest.warns(tm.TypedModelWarning, match="extra"):
        out = FrameValidator(Row).validate(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert "extra" not in out.columns


def test_model_validators_run_row_wise() -> None:
    class Checked(pydantic.BaseModel):
        low: int
        high: int

        @pydantic.model_validator(mode="after")
        def ordered(self) -> Checked:
            if self.low > self.high:
                raise ValueError("low must not exceed high")
            return self

    frame = pd.DataFrame({"low": [1, 5], "high": [2, 3]})
    with pytest.raises(tm.ValidationError, match=r"row 1: Value error, low must not exceed high"):
        FrameValidator(Checked).validate(frame)
    ok = FrameValidator(Checked).validate(frame.iloc[:1])
    assert ok.to_dict("records") == [{"low": 1, "high": 2}]


def test_lists_and_dicts_of_columns_are_accepted() -> None:
    rows = GOOD.drop(columns=["tags"]).to_dict("records")
    assert len(FrameValidator(Row).validate(rows)) == 3
    assert len(FrameValidator(Row).validate({k: list(v) for k, v in GOOD.items()})) == 3
    with pytest.raises(tm.ValidationError, match="Expected a batch"):
        FrameValidator(Row).validate("not a batch")


def test_hide_input() -> None:
    with pytest.raises(tm.ValidationError) as info:
        FrameValidator(Row, hide_input=True).validate(GOOD.assign(count=[-5, 1, 2]))
    assert "-5" not in str(info.value)
    assert "input" not in info.value.errors()[0]


def test_frame_of_a_non_model_is_a_schema_error() -> None:
    with pytest.raises(tm.SchemaError, match="pydantic model"):
        tm.Frame[int]


# -- generated data: both paths agree ---------------------------------------------------------

_NAN = st.just(float("nan"))
_RATIOS = st.one_of(st.floats(-0.5, 1.5), _NAN)
_NAMES = st.text(alphabet="aZ1", max_size=10)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 12))

    def column(values: st.SearchStrategy[Any], dtype: Any = None) -> pd.Series:
        return pd.Series(draw(st.lists(values, min_size=n, max_size=n)), dtype=dtype)

    counts = draw(
        st.sampled_from(
            [
                (st.integers(-5, 1005), "int64"),
                (st.one_of(st.floats(-5, 1005), _NAN), "float64"),
                (st.booleans(), bool),
            ]
        )
    )
    flags = draw(st.sampled_from([(st.booleans(), bool), (st.integers(-1, 2), "int64")]))
    return pd.DataFrame(
        {
            "count": column(*counts),
            "ratio": column(_RATIOS, "float64"),
            "flag": column(*flags),
            "name": column(_NAMES, "str"),
            "kind": column(st.sampled_from(["a", "b", "c", "d"])),
            "color": column(st.sampled_from(["red", "blue", "pink"])),
            "step": column(st.integers(0, 9), "int64"),
        }
    )


@settings(max_examples=150, deadline=None)
@given(frames())
@example(GOOD)  # a valid frame: the branch where both paths accept
def test_columnar_and_row_wise_paths_agree_on_generated_frames(frame: pd.DataFrame) -> None:
    columnar, row_wise = both(frame)
    if isinstance(columnar, pd.DataFrame):  # accepted: row-wise too, with the same rows
        assert all(isinstance(r, Row) for r in row_wise), row_wise
        assert len(columnar) == len(row_wise)
        assert columnar["count"].tolist() == [r.count for r in row_wise]
    else:
        assert columnar == row_wise
