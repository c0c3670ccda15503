"""`PythonModel`, `typed` and `signature_of` (`typedmodel.model`): wrapping, calling, outputs."""

from __future__ import annotations

import asyncio
import copy
import inspect
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import typedmodel as tm
from tests.strategies import json_values
from typedmodel import (
    Array,
    ColSpec,
    DataType,
    ModelSignature,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    SchemaError,
    ValidationError,
)


class Applicant(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(ge=0, description="Age in whole years")
    income: float
    note: str | None = None


class Score(pydantic.BaseModel):
    score: float


class Opts(pydantic.BaseModel):
    k: int = 3


def _score(a: Applicant) -> float:
    return a.age * 0.1 + a.income * 0.05


APPLICANT_SCHEMA = Schema(
    [
        ColSpec(
            Object(
                [
                    Property(
                        "age",
                        DataType.long,
                        description="Age in whole years",
                        constraints=tm.Constraints(ge=0),
                    ),
                    Property("income", DataType.double),
                    Property("name", DataType.string),
                    Property("note", DataType.string, required=False),
                ]
            )
        )
    ]
)
SCORE_SCHEMA = Schema([ColSpec(Object([Property("score", DataType.double)], closed=False))])


def _same_inputs(sig: ModelSignature) -> None:
    """The Applicant input tree (defaults of None aside, which are not part of the contract)."""
    [spec] = sig.inputs.inputs
    [expected] = APPLICANT_SCHEMA.inputs
    got = {p.name: (p.dtype, p.required, p.constraints) for p in spec.type.properties}
    want = {p.name: (p.dtype, p.required, p.constraints) for p in expected.type.properties}
    assert got == want


# ---------------------------------------------------------------------------------------------
# Wrapping
# ---------------------------------------------------------------------------------------------


def test_python_model_subclass_is_wrapped_automatically() -> None:
    class Scorer(tm.PythonModel):
        def predict(self, context, model_input: list[Applicant]) -> list[Score]:
            return [Score(score=_score(a)) for a in model_input]

    out = Scorer().predict([{"name": "Alice", "age": "30", "income": 100}])
    assert out == [Score(score=8.0)]
    _same_inputs(tm.signature_of(Scorer))
    assert tm.signature_of(Scorer).outputs == SCORE_SCHEMA
    with pytest.raises(ValidationError):
        Scorer().predict([{"name": "Bob", "age": "old", "income": 1}])
    Scorer().load_context(None)  # the base class provides it


def test_typed_on_a_plain_class() -> None:
    @tm.typed
    class Doubler:
        def predict(self, model_input: list[float]) -> list[float]:
            return [2 * x for x in model_input]

    assert Doubler().predict([1, "2.5"]) == [2.0, 5.0]
    assert tm.signature_of(Doubler).inputs == Schema([ColSpec(DataType.double)])
    with pytest.raises(ValidationError):
        Doubler().predict(["x"])


def test_typed_on_a_bare_function() -> None:
    @tm.typed
    def lengths(model_input: list[str]) -> list[int]:
        return [len(s) for s in model_input]

    assert lengths(["ab", "c"]) == [2, 1]
    assert tm.signature_of(lengths) == ModelSignature(
        inputs=Schema([ColSpec(DataType.string)]), outputs=Schema([ColSpec(DataType.long)])
    )
    with pytest.raises(ValidationError):
        lengths([1])


def test_typed_with_options() -> None:
    @tm.typed(strict=True, validate_output=False)
    def ints(model_input: list[int]) -> list[int]:
        return [str(x) for x in model_input]  # wrong on purpose: output not checked

    assert ints([1, 2]) == ["1", "2"]
    with pytest.raises(ValidationError):
        ints(["1"])


def test_signature_of_classes_instances_and_functions() -> None:
    class Scorer(tm.PythonModel):
        def predict(self, model_input: list[Applicant]) -> list[Score]:
            return [Score(score=0.0) for _ in model_input]

    @tm.typed
    class Plain:
        def predict(self, model_input: list[Applicant]) -> list[Score]:
            return [Score(score=0.0) for _ in model_input]

    @tm.typed
    def func(model_input: list[Applicant]) -> list[Score]:
        return [Score(score=0.0) for _ in model_input]

    expected = tm.signature_of(Scorer)
    _same_inputs(expected)
    for obj in (Scorer(), Plain, Plain(), func):
        assert tm.signature_of(obj) == expected


def test_signature_of_something_without_hints_is_a_schema_error() -> None:
    def nothing(model_input):  # type: ignore[no-untyped-def]
        return model_input

    with pytest.raises(SchemaError):
        tm.signature_of(tm.typed(nothing))


def test_typed_options_on_a_python_model_subclass_apply_without_double_wrapping() -> None:
    @tm.typed(strict=True, validate_output=False)
    class Configured(tm.PythonModel):
        def predict(self, model_input: list[int]) -> list[Score]:
            return [{"score": "not a number"} for _ in model_input]

    original = Configured.__dict__["predict"].__wrapped__
    assert not hasattr(original, "__wrapped__")
    assert original.__name__ == "predict"
    assert original.__qualname__.endswith("Configured.predict")
    assert Configured().predict([1]) == [{"score": "not a number"}]  # validate_output=False
    with pytest.raises(ValidationError):
        Configured().predict(["1"])  # strict


def test_typed_signature_on_a_python_model_subclass() -> None:
    params = ParamSchema([ParamSpec("k", "long", 2)])

    @tm.typed(signature=ModelSignature(params=params))
    class WithParams(tm.PythonModel):
        def predict(self, model_input: list[int], params: dict | None = None) -> list[int]:  # type: ignore[type-arg]
            assert params is not None
            return [x * params["k"] for x in model_input]

    assert WithParams().predict([1, 2]) == [2, 4]
    assert WithParams().predict([1], params={"k": 5}) == [5]
    assert tm.signature_of(WithParams).params == params
    assert tm.signature_of(WithParams).inputs == Schema([ColSpec(DataType.long)])


def test_a_subclass_of_a_typed_class_rereads_its_own_hints() -> None:
    class Base(tm.PythonModel):
        def predict(self, model_input: list[int]) -> list[int]:
            return [x + 1 for x in model_input]

    class Child(Base):
        def predict(self, model_input: list[str]) -> list[str]:
            return [s.upper() for s in model_input]

    assert Base().predict(["1"]) == [2]
    assert Child().predict(["a"]) == ["A"]
    with pytest.raises(ValidationError):
        Child().predict([1])
    assert tm.signature_of(Child).inputs == Schema([ColSpec(DataType.string)])
    assert tm.signature_of(Base).inputs == Schema([ColSpec(DataType.long)])

    @tm.typed
    class PlainBase:
        def predict(self, model_input: list[int]) -> list[int]:
            return model_input

    class PlainChild(PlainBase):
        def predict(self, model_input: list[str]) -> list[str]:
            return model_input

    assert tm.signature_of(PlainChild).inputs == Schema([ColSpec(DataType.string)])
    with pytest.raises(ValidationError):
        PlainChild().predict([1])


def test_a_subclass_without_its_own_predict_inherits_the_typed_one() -> None:
    class Base(tm.PythonModel):
        def predict(self, model_input: list[int]) -> list[int]:
            return [x + 1 for x in model_input]

    class Child(Base):
        pass

    assert Child().predict(["1"]) == [2]


def test_async_predict() -> None:
    class Async(tm.PythonModel):
        async def predict(self, context, model_input: list[int]) -> list[Score]:
            await asyncio.sleep(0)
            return [{"score": x} for x in model_input]

    assert inspect.iscoroutinefunction(Async.predict)
    assert asyncio.run(Async().predict(["2"])) == [Score(score=2.0)]
    assert asyncio.run(Async().predict(None, [1])) == [Score(score=1.0)]
    with pytest.raises(ValidationError):
        asyncio.run(Async().predict(["x"]))

    @tm.typed
    async def afunc(model_input: list[float]) -> list[float]:
        return [x / 2 for x in model_input]

    assert inspect.iscoroutinefunction(afunc)
    assert asyncio.run(afunc([1])) == [0.5]


def test_validators_are_compiled_once_not_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    class Scorer(tm.PythonModel):
        def predict(self, model_input: list[Applicant], params: Opts | None = None) -> list[Score]:
            return [Score(score=a.age) for a in model_input]

    def no_adapters(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a TypeAdapter was built while predicting")

    monkeypatch.setattr(pydantic, "TypeAdapter", no_adapters)
    monkeypatch.setattr(pydantic, "create_model", no_adapters)
    rows = [{"name": "a", "age": 1, "income": 2.0}]
    assert Scorer().predict(rows, params={"k": 1}) == [Score(score=1.0)]
    assert Scorer().predict(pd.DataFrame(rows)) == [Score(score=1.0)]


# ---------------------------------------------------------------------------------------------
# Calling forms
# ---------------------------------------------------------------------------------------------


class WithContext(tm.PythonModel):
    def predict(self, context, model_input: list[int], params: Opts | None = None) -> list[Any]:
        assert params is not None
        return [[context, x * params.k] for x in model_input]


class WithoutContext(tm.PythonModel):
    def predict(self, model_input: list[int], params: Opts | None = None) -> list[int]:
        assert params is not None
        return [x * params.k for x in model_input]


def test_calling_forms_with_context_declared() -> None:
    m = WithContext()
    assert m.predict([1]) == [[None, 3]]
    assert m.predict(None, [1]) == [[None, 3]]
    assert m.predict("ctx", [1]) == [["ctx", 3]]
    assert m.predict([1], params={"k": 2}) == [[None, 2]]
    assert m.predict("ctx", [1], params={"k": 2}) == [["ctx", 2]]
    assert m.predict(context="ctx", model_input=[1], params={"k": 4}) == [["ctx", 4]]
    assert m.predict(model_input=["2"]) == [[None, 6]]


def test_two_positionals_that_read_two_ways_are_a_type_error() -> None:
    m = WithContext()
    with pytest.raises(TypeError, match=r"pass params=\.\.\. by keyword"):
        m.predict([1], {"k": 2})  # (context, input) or (input, params)?
    assert m.predict(None, [1], {"k": 2}) == [[None, 2]]


def test_calling_forms_without_context() -> None:
    m = WithoutContext()
    assert m.predict([1]) == [3]
    assert m.predict([1], params={"k": 2}) == [2]
    assert m.predict([1], {"k": 5}) == [5]
    assert m.predict(model_input=[1], params={"k": 2}) == [2]


def test_a_custom_input_name_is_accepted_by_keyword() -> None:
    @tm.typed
    def predict(rows: list[int]) -> list[int]:
        return rows

    assert predict(rows=["1"]) == [1]
    assert predict(["2"]) == [2]


def test_wrapper_keeps_name_doc_wrapped_and_signature() -> None:
    class Documented(tm.PythonModel):
        def predict(self, context, model_input: list[int]) -> list[int]:
            """Add one to each value."""
            return [x + 1 for x in model_input]

    def plain(model_input: list[int], params: dict | None = None) -> list[int]:  # type: ignore[type-arg]
        """Identity."""
        return model_input

    wrapped_fn = tm.typed(plain)
    assert wrapped_fn.__name__ == "plain"
    assert wrapped_fn.__doc__ == "Identity."
    assert wrapped_fn.__wrapped__ is plain
    assert inspect.signature(wrapped_fn) == inspect.signature(plain)

    method = Documented.predict
    assert method.__name__ == "predict"
    assert method.__doc__ == "Add one to each value."
    original = method.__wrapped__
    assert inspect.signature(method) == inspect.signature(original)
    assert list(inspect.signature(method).parameters) == ["self", "context", "model_input"]


# ---------------------------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------------------------


def test_output_is_validated_against_the_return_hint() -> None:
    class DictScorer(tm.PythonModel):
        def predict(self, model_input: list[Applicant]) -> list[Score]:
            return [{"score": a.age} for a in model_input]

    out = DictScorer().predict([{"name": "a", "age": 3, "income": 1.0}])
    assert out == [Score(score=3.0)]
    assert isinstance(out[0], Score)


def test_a_bad_output_says_it_is_the_model_output() -> None:
    class Broken(tm.PythonModel):
        def predict(self, model_input: list[int]) -> list[Score]:
            return [{"score": "high"} for _ in model_input]

    with pytest.raises(ValidationError) as info:
        Broken().predict([1, 2])
    message = str(info.value)
    assert "output" in message.splitlines()[0]
    assert "model_input" not in message.splitlines()[0]
    assert info.value.error_count() == 2


def test_validate_output_false_turns_output_checks_off() -> None:
    @tm.typed(validate_output=False)
    class Broken:
        def predict(self, model_input: list[int]) -> list[Score]:
            return [{"score": "high"} for _ in model_input]

    assert Broken().predict([1]) == [{"score": "high"}]


def test_an_array_of_outputs_is_validated_and_returned_as_values() -> None:
    @tm.typed
    def predict(model_input: list[float]) -> list[float]:
        return np.asarray(model_input) * 2

    assert predict([1, 2]) == [2.0, 4.0]


# ---------------------------------------------------------------------------------------------
# Explicit signatures merge with the hints
# ---------------------------------------------------------------------------------------------


def test_explicit_params_merge_with_hinted_inputs_and_outputs() -> None:
    params = ParamSchema([ParamSpec("k", "long", 3), ParamSpec("t", "double", 0.5)])

    @tm.typed(signature=ModelSignature(params=params))
    def predict(model_input: list[Applicant], params: dict | None = None) -> list[Score]:  # type: ignore[type-arg]
        assert params is not None
        return [Score(score=params["k"]) for _ in model_input]

    sig = tm.signature_of(predict)
    _same_inputs(sig)
    assert sig.outputs == SCORE_SCHEMA
    assert sig.params == params
    assert predict([{"name": "a", "age": 1, "income": 1}]) == [Score(score=3.0)]
    with pytest.raises(ValidationError):
        predict([{"name": "a", "age": 1, "income": 1}], params={"k": 1.5})


def test_explicit_outputs_win_and_hinted_inputs_stay() -> None:
    outputs = Schema([ColSpec(DataType.double, "score")])

    @tm.typed(signature=ModelSignature(outputs=outputs))
    def predict(model_input: list[int]) -> list[float]:
        return [float(x) for x in model_input]

    sig = tm.signature_of(predict)
    assert sig.inputs == Schema([ColSpec(DataType.long)])
    assert sig.outputs == outputs
    assert sig.params is None


def test_an_explicit_param_schema_is_never_dropped_by_a_params_model() -> None:
    explicit = ParamSchema([ParamSpec("k", "long", 10)])

    @tm.typed(signature=ModelSignature(params=explicit))
    class M(tm.PythonModel):
        def predict(self, model_input: list[int], params: Opts | None = None) -> list[int]:
            assert isinstance(params, Opts)
            return [x * params.k for x in model_input]

    assert tm.signature_of(M).params == explicit
    assert M().predict([1]) == [10]  # the explicit default
    assert M().predict([1], params={"k": 2}) == [2]
    with pytest.raises(ValidationError):
        M().predict([1], params={"k": True})


def test_explicit_inputs_with_a_dataframe_hint_keep_their_params() -> None:
    sig = ModelSignature(
        inputs=Schema([ColSpec("double", "x")]),
        params=ParamSchema([ParamSpec("scale", "double", 2.0)]),
    )

    @tm.typed(signature=sig)
    class M:
        def predict(self, model_input: pd.DataFrame, params: dict | None = None) -> list[float]:  # type: ignore[type-arg]
            assert params is not None
            return (model_input["x"] * params["scale"]).tolist()

    assert tm.signature_of(M()) == ModelSignature(
        inputs=sig.inputs, outputs=Schema([ColSpec(DataType.double)]), params=sig.params
    )
    assert M().predict(pd.DataFrame({"x": [1, 2]})) == [2.0, 4.0]
    assert M().predict(pd.DataFrame({"x": [1.0]}), params={"scale": 3}) == [3.0]


def test_signature_must_be_a_model_signature() -> None:
    with pytest.raises(SchemaError):

        @tm.typed(signature={"inputs": []})  # type: ignore[arg-type]
        def predict(model_input: list[int]) -> list[int]:
            return model_input


# ---------------------------------------------------------------------------------------------
# DESIGN.md §1, as written
# ---------------------------------------------------------------------------------------------


def test_design_section_1_core_runs() -> None:
    class Scorer(tm.PythonModel):  # subclassing wraps predict automatically
        def predict(self, context, model_input: list[Applicant]) -> list[Score]:
            return [Score(score=a.age * 0.1 + a.income * 0.05) for a in model_input]

    sig = tm.signature_of(Scorer)
    assert isinstance(sig, ModelSignature)
    _same_inputs(sig)
    out = Scorer().predict([{"name": "Alice", "age": 30, "income": 50000}])
    assert out == [Score(score=30 * 0.1 + 50000 * 0.05)]
    dataframe = pd.DataFrame(
        {"name": ["Alice", "Bob"], "age": [30, 41], "income": [50000.0, 1.0], "note": [None, "x"]}
    )
    before = dataframe.copy(deep=True)
    assert Scorer().predict(dataframe) == [
        Score(score=30 * 0.1 + 50000 * 0.05),
        Score(score=41 * 0.1 + 1 * 0.05),
    ]
    pd.testing.assert_frame_equal(dataframe, before)
    with pytest.raises(tm.ValidationError) as info:
        Scorer().predict([{"name": "Bob", "age": "old", "income": 1}])
    [issue] = info.value.issues
    assert (issue.row, issue.loc) == (0, ("age",))


def test_design_section_1_snippet_runs_as_written(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code = """
import pydantic
import typedmodel as tm

class Applicant(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(ge=0, description="Age in whole years")
    income: float
    note: str | None = None

class Score(pydantic.BaseModel):
    score: float

class Scorer(tm.PythonModel):               # subclassing wraps predict automatically
    def predict(self, context, model_input: list[Applicant]) -> list[Score]:
        return [Score(score=a.age * 0.1 + a.income * 0.05) for a in model_input]

tm.signature_of(Scorer)                     # ModelSignature read from the hints
Scorer().predict([{"name": "Alice", "age": 30, "income": 50000}])   # dicts in, Score objects out
Scorer().predict(dataframe)                  # a pandas DataFrame works too
try:
    Scorer().predict([{"name": "Bob", "age": "old", "income": 1}])  # raises: row 0, age
except tm.ValidationError as exc:
    raised = exc
info = tm.save_model(Scorer(), "scorer/", input_example=[{"name": "A", "age": 1, "income": 2.0}])
model = tm.load_model("scorer/"); loaded_out = model.predict(rows); loaded_sig = model.signature
docs = tm.render_docs(Scorer, format="markdown")
print(docs)
"""
    rows = [{"name": "Alice", "age": 30, "income": 50000}]
    namespace: dict[str, Any] = {
        "__name__": "design_snippet",
        "dataframe": pd.DataFrame({"name": ["A"], "age": [1], "income": [2.0]}),
        "rows": rows,
    }
    exec(compile(code, "DESIGN.md#1", "exec"), namespace)
    assert [(i.row, i.loc) for i in namespace["raised"].issues] == [(0, ("age",))]
    [first] = namespace["loaded_out"]
    value = first["score"] if isinstance(first, dict) else first.score
    assert value == pytest.approx(30 * 0.1 + 50000 * 0.05)
    assert namespace["loaded_sig"] == tm.signature_of(namespace["Scorer"])
    assert "Age in whole years" in namespace["docs"]


# ---------------------------------------------------------------------------------------------
# Hypothesis
# ---------------------------------------------------------------------------------------------


class Nested(pydantic.BaseModel):
    tags: list[str] = []
    weights: dict[str, float] = {}


class Row(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(ge=0)
    income: float | None = None
    nested: Nested | None = None
    grid: list[list[float]] = []


@tm.typed
def _rows_model(model_input: list[Row]) -> list[float]:
    return [float(r.age) for r in model_input]


@tm.typed
def _maps_model(model_input: list[dict[str, float]]) -> list[float]:
    return [sum(d.values()) for d in model_input]


@tm.typed
def _grid_model(model_input: list[list[float]]) -> list[float]:
    return [sum(r) for r in model_input]


@tm.typed
def _strings_model(model_input: list[str]) -> list[int]:
    return [len(s) for s in model_input]


TYPED_MODELS = [_rows_model, _maps_model, _grid_model, _strings_model]

_any_json = json_values(max_leaves=6) | st.floats()  # floats: NaN and infinities too
_row_like = st.dictionaries(
    st.sampled_from(["name", "age", "income", "nested", "grid", "tags", "weights", "x"]),
    _any_json,
    max_size=6,
)
_batches = st.one_of(
    st.lists(_row_like, max_size=5),
    st.lists(_any_json, max_size=5),
    st.lists(st.lists(_any_json, max_size=3), max_size=4),
    _any_json,
    _row_like,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=_batches, which=st.sampled_from(range(len(TYPED_MODELS))))
def test_arbitrary_json_batches_succeed_or_raise_validation_error(batch: Any, which: int) -> None:
    before = copy.deepcopy(batch)
    model = TYPED_MODELS[which]
    error: ValidationError | None = None
    try:
        out = model(batch)
    except ValidationError as exc:
        error = exc
    if error is None:
        assert isinstance(out, list)
    else:
        assert error.error_count() >= 1
        assert str(error)
    # NaN != NaN, so compare the reprs for "not mutated".
    assert repr(batch) == repr(before)


_COLUMN_KINDS: dict[str, st.SearchStrategy[Any]] = {
    "long": st.integers(-(2**63), 2**63 - 1),
    "double": st.floats(allow_nan=False, allow_infinity=False),
    "string": st.text(max_size=5),
    "boolean": st.booleans(),
    "array": st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=3),
}
_PY_TYPES: dict[str, Any] = {"long": int, "double": float, "string": str, "boolean": bool}


@st.composite
def _records(draw: st.DrawFn) -> list[dict[str, Any]]:
    names = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=1, unique=True))
    kinds = {n: draw(st.sampled_from(sorted(_COLUMN_KINDS))) for n in names}
    n_rows = draw(st.integers(1, 5))
    rows = []
    for _ in range(n_rows):
        row = {}
        for name in names:
            if draw(st.integers(0, 4)) == 0:
                continue  # left out of this row: the column is then not required
            row[name] = draw(_COLUMN_KINDS[kinds[name]])
        rows.append(row)
    return rows


def _hint_of(dtype: Any) -> Any:
    if isinstance(dtype, DataType):
        return _PY_TYPES[dtype.value]
    assert isinstance(dtype, Array), dtype
    return list[_hint_of(dtype.dtype)]  # type: ignore[misc]


@settings(max_examples=100, deadline=None)
@given(rows=_records())
def test_inferred_schema_then_validating_the_same_data_passes(rows: list[dict[str, Any]]) -> None:
    if not any(rows):
        rows = [{"a": 1}, *rows]
    schema = tm.infer_schema(rows)
    fields: dict[str, Any] = {}
    for spec in schema.inputs:
        hint = _hint_of(spec.type)
        fields[str(spec.name)] = (hint, ...) if spec.required else (hint | None, None)
    model = pydantic.create_model("Inferred", **fields)

    def predict(model_input):  # type: ignore[no-untyped-def]
        return [r.model_dump(exclude_unset=True) for r in model_input]

    predict.__annotations__ = {"model_input": list[model]}
    typed_predict = tm.typed(predict)
    out = typed_predict(rows)
    assert out == rows
