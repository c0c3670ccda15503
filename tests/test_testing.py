"""typedmodel.testing: every drawn value keeps to the contract, every broken one is refused
where its tag says, and `check` finds what a model gets wrong."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

import typedmodel as tm
from tests.strategies import TENSOR_DTYPES, names, param_schemas
from typedmodel.model import compiled_of
from typedmodel.schema import NODE_KINDS
from typedmodel.serve.mlflow_protocol import parse_request
from typedmodel.serve.wire import read_json
from typedmodel.testing import Invalid, strategies
from typedmodel.testing.check import _issues_at
from typedmodel.testing.strategies import _formats, _shape
from typedmodel.validate import ParamsValidator, SchemaEnforcer, tree_to_hint

ROOT = Path(__file__).resolve().parents[1]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ONCE = settings(database=None, derandomize=True)  # for `find`: the same draws, whatever ran before

# -- random trees, with constraints that can be met ----------------------------------------------

_PATTERNS = ("[a-z]+", "^[0-9]{2,4}$", "ab*c", "x|yz")


@st.composite
def limits(draw: st.DrawFn, node: Any) -> tm.Constraints:
    """Constraints that some value of `node` meets."""
    if node in (tm.DataType.integer, tm.DataType.long):
        low = draw(st.integers(-1000, 1000))
        high = low + draw(st.integers(20, 10_000))
        lo = draw(st.sampled_from(["ge", "gt", None]))
        hi = draw(st.sampled_from(["le", "lt", None]))
        m = draw(st.none() | st.integers(1, 7))
        kw = {k: v for k, v in ((lo, low), (hi, high)) if k is not None}
        return tm.Constraints(**kw, multiple_of=m)
    if node in (tm.DataType.float, tm.DataType.double):
        low = draw(st.floats(-1e6, 1e6, width=32))
        high = low + draw(st.floats(10.0, 1e6, width=32))
        lo = draw(st.sampled_from(["ge", "gt", None]))
        hi = draw(st.sampled_from(["le", "lt", None]))
        m = draw(st.none() | st.sampled_from([0.5, 0.25, 2.0, 3]))
        kw = {k: v for k, v in ((lo, low), (hi, high)) if k is not None}
        return tm.Constraints(**kw, multiple_of=m)
    if node is tm.DataType.string:
        if draw(st.booleans()):
            return tm.Constraints(pattern=draw(st.sampled_from(_PATTERNS)))
        low = draw(st.integers(0, 4))
        return tm.Constraints(min_length=low, max_length=low + draw(st.integers(0, 6)))
    if node is tm.DataType.binary or isinstance(node, (tm.Array, tm.Map)):
        low = draw(st.integers(0, 3))
        return tm.Constraints(min_length=low, max_length=low + draw(st.integers(0, 4)))
    return tm.Constraints()


def _literal(values: list[Any]) -> tm.LiteralType:
    return tm.LiteralType(values)


_LEAVES = st.one_of(
    st.sampled_from(list(tm.DataType)),
    st.just(tm.AnyType()),
    st.lists(st.text(max_size=4) | st.integers(-5, 5), min_size=1, max_size=3).map(_literal),
)


@st.composite
def _props(draw: st.DrawFn, children: st.SearchStrategy[Any]) -> tm.Object:
    names = draw(st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=4, unique=True))
    props = []
    for name in names:
        node = draw(children)
        required = draw(st.booleans())
        nullable = draw(st.sampled_from([None, not required]))
        props.append(
            tm.Property(name, node, required, constraints=draw(limits(node)), nullable=nullable)
        )
    return tm.Object(props, closed=draw(st.booleans()))


def _union(members: list[Any]) -> Any:
    try:
        return tm.UnionType(members)
    except tm.SchemaError:
        return members[0]


@st.composite
def _with_items(draw: st.DrawFn, children: st.SearchStrategy[Any], kind: type) -> Any:
    inner = draw(children)
    c = draw(limits(inner))
    return (
        tm.Array(inner, item_constraints=c)
        if kind is tm.Array
        else tm.Map(inner, value_constraints=c)
    )


def trees() -> st.SearchStrategy[Any]:
    """A type node of any kind, nested, with constraints that can be met."""
    return st.recursive(
        _LEAVES,
        lambda kids: st.one_of(
            _with_items(kids, tm.Array),
            _with_items(kids, tm.Map),
            _props(kids),
            st.lists(kids, min_size=2, max_size=3).map(_union),
        ),
        max_leaves=5,
    )


@st.composite
def column_schemas(draw: st.DrawFn) -> tm.Schema:
    """Named columns, or the one unnamed column of a ``list[X]`` model."""
    if draw(st.booleans()):
        node = draw(trees())
        return tm.Schema([tm.ColSpec(node, constraints=draw(limits(node)))])
    names = draw(st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=4, unique=True))
    cols = []
    for name in names:
        node = draw(trees())
        cols.append(tm.ColSpec(node, name, draw(st.booleans()), constraints=draw(limits(node))))
    return tm.Schema(cols)


def _refused_at(enforce: Any, bad: Invalid, *, rows: bool) -> None:
    with pytest.raises(tm.ValidationError) as info:
        enforce(bad.value)
    assert _issues_at(info.value, bad, rows), (bad.tag, bad.detail, bad.loc, info.value.issues)


# -- valid values are valid, broken ones are refused where their tag says --------------------------


@FAST
@given(st.data())
def test_every_drawn_batch_validates(data: st.DataObject) -> None:
    schema = data.draw(column_schemas())
    enforcer = SchemaEnforcer(schema)
    batch = data.draw(strategies.batches(schema))
    enforcer.validate(batch)
    if len(schema.inputs) == 1 and schema.inputs[0].name is None:
        spec = schema.inputs[0]
        hint = tree_to_hint(spec.type, spec.constraints)
        adapter = pydantic.TypeAdapter(typing.Optional[hint] if spec.nullable else hint)  # noqa: UP045
        for row in batch:
            adapter.validate_python(row)


def _frame_reader(schema: tm.Schema) -> Any:
    """What validates a frame of `schema`: the explicit enforcer for columns, and for the one
    unnamed object column the typed ``list[Row]`` path, which reads a frame's columns as fields
    (the enforcer reads its column 0 as the objects, as MLflow does)."""
    spec = schema.inputs[0]
    if schema.has_input_names() or not isinstance(spec.type, tm.Object):
        return SchemaEnforcer(schema).validate
    row = tree_to_hint(spec.type, spec.constraints)

    @tm.typed
    def predict(model_input: list[row]) -> int:  # type: ignore[valid-type]
        return len(model_input)

    return predict


@FAST
@given(st.data())
def test_every_drawn_frame_validates(data: st.DataObject) -> None:
    schema = data.draw(column_schemas())
    frame = data.draw(strategies.frames(schema))
    assert isinstance(frame, pd.DataFrame)
    _frame_reader(schema)(frame)


@FAST
@given(st.data())
def test_every_broken_frame_is_refused_at_its_place(data: st.DataObject) -> None:
    schema = data.draw(column_schemas())
    try:
        bad = data.draw(strategies.frames(schema, valid=False))
    except tm.SchemaError:  # an AnyType column: nothing is invalid
        return
    assert isinstance(bad.value, pd.DataFrame)
    assert bad.tag in tm.testing.TAGS
    _refused_at(_frame_reader(schema), bad, rows=True)


def test_a_broken_frame_removes_a_column_and_adds_one_to_every_row() -> None:
    class Closed(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="forbid")
        a: int
        b: int | None

    @tm.typed
    def predict(model_input: list[Closed]) -> int:
        return len(model_input)

    broken = strategies.frames(predict, valid=False)
    missing = find(broken, lambda bad: bad.tag == "missing" and bad.loc[1] == "b", settings=ONCE)
    extra = find(broken, lambda bad: bad.tag == "extra", settings=ONCE)
    for bad in (missing, extra):
        _refused_at(predict, bad, rows=True)
    # a nullable column removed from one row would only be a null cell: the column goes
    assert missing.loc[0] == 0
    assert missing.loc[1] not in missing.value.columns
    assert extra.loc[1] in extra.value.columns
    assert extra.value[extra.loc[1]].notna().all()


def test_a_frame_keeps_integers_a_float_column_would_round() -> None:
    class Row(pydantic.BaseModel):
        n: int | None

    @tm.typed
    def predict(model_input: list[Row]) -> int:
        return len(model_input)

    from typedmodel.testing.strategies import _frame

    frame = _frame([{"n": 2**63 - 1}, {"n": None}], ["n"])
    assert frame["n"].tolist()[0] == 2**63 - 1  # pandas alone makes it the float 2**63
    assert predict(frame) == 2
    mixed = _frame([{"n": 0.5}, {"n": 2**53 + 1}], ["n"])
    assert mixed["n"].tolist()[1] == 2**53 + 1


def test_rows_of_an_open_object_carry_keys_it_does_not_declare() -> None:
    class Open(pydantic.BaseModel):
        a: int

    @tm.typed
    def predict(model_input: list[Open]) -> int:
        return len(model_input)

    @FAST
    @given(strategies.rows(predict))
    def taken(row: dict[str, Any]) -> None:
        assert predict([row]) == 1  # taken, and the other keys dropped

    taken()
    row = find(strategies.rows(predict), lambda r: len(r) > 1, settings=ONCE)
    assert "a" in row
    assert predict([row]) == 1


@FAST
@given(st.data())
def test_every_broken_batch_is_refused_at_its_place(data: st.DataObject) -> None:
    schema = data.draw(column_schemas())
    try:
        breaks = strategies.batches(schema, valid=False)
        bad = data.draw(breaks)
    except tm.SchemaError:  # an AnyType column: nothing is invalid
        return
    assert bad.tag in tm.testing.TAGS
    _refused_at(SchemaEnforcer(schema).validate, bad, rows=True)


@FAST
@given(st.data())
def test_request_bodies_validate_as_the_server_reads_them(data: st.DataObject) -> None:
    schema = data.draw(column_schemas())
    enforcer = SchemaEnforcer(schema)
    row_wise = enforcer._values is not None
    body = data.draw(strategies.requests(schema))
    batch, _ = parse_request(read_json(json.dumps(body).encode()), records=row_wise)
    enforcer.validate(batch)


_ANY_REQUIRED = tm.Schema(
    [
        tm.ColSpec(
            tm.Object([tm.Property("a", tm.AnyType()), tm.Property("b", "boolean", required=False)])
        )
    ]
)


@pytest.mark.parametrize("form", [None, "dataframe_split", "dataframe_records"])
def test_a_table_body_never_gives_a_required_field_none(form: Any) -> None:
    # A table's null is a missing cell: a batch giving a required field None goes as rows.
    enforcer = SchemaEnforcer(_ANY_REQUIRED)

    @FAST
    @given(strategies.requests(_ANY_REQUIRED, form))
    def check(body: dict[str, Any]) -> None:
        batch, _ = parse_request(read_json(json.dumps(body).encode()), records=True)
        enforcer.validate(batch)

    check()


def _inexpressible(bad: Invalid, schema: tm.Schema) -> bool:
    """A broken value that JSON Schema can't tell from a valid one: the decoded length of
    base64 bytes, a datetime's string (``format`` is an annotation), an integer a float would
    round."""
    if bad.detail == "not a datetime" or bad.detail.startswith("not held by"):
        return True
    lengths = bad.detail.startswith(("min_length", "max_length"))
    return lengths and '"binary"' in json.dumps(schema.to_dict())


@pytest.mark.filterwarnings("ignore::typedmodel.TypedModelWarning")  # extra columns dropped
@FAST
@given(st.data())
def test_the_server_and_the_json_schema_agree_on_drawn_bodies(data: st.DataObject) -> None:
    """For random trees, the rendered JSON Schema accepts a drawn body exactly when the server
    answers it 200 (``dataframe_split`` is left out: JSON Schema can't tie a column's values
    to its name by position)."""
    from jsonschema import Draft202012Validator

    from tests.asgi import call
    from typedmodel.docs import render_docs
    from typedmodel.serve import create_app

    schema = data.draw(column_schemas())
    spec = schema.inputs[0]
    if not schema.has_input_names() and isinstance(spec.type, tm.Object):
        predict = _frame_reader(schema)
    else:

        @tm.typed(signature=tm.ModelSignature(inputs=schema))
        def predict(model_input: Any) -> int:
            return 0

    sig = tm.signature_of(predict)
    forms = [f for f in _formats(_shape(schema)) if f != "dataframe_split"]
    fmt = data.draw(st.sampled_from(forms))
    bad: Invalid | None = None
    if data.draw(st.booleans()):
        body = data.draw(strategies.requests(sig, fmt))
    else:
        try:
            bad = data.draw(strategies.requests(sig, fmt, valid=False))
        except tm.SchemaError:  # an AnyType column: nothing is invalid
            return
        body = bad.value
    try:
        text = json.dumps(body, allow_nan=False)
    except ValueError:  # NaN and the infinities have no JSON
        return
    reply = call(create_app(predict), "POST", "/invocations", text.encode())
    assert reply.status in (200, 400), reply
    schema_says = Draft202012Validator(json.loads(render_docs(sig, format="json-schema")))
    accepted = schema_says.is_valid(json.loads(text))
    if bad is not None and accepted and _inexpressible(bad, schema):
        assert reply.status == 400
        return
    assert accepted == (reply.status == 200), (bad, body, reply)


@FAST
@given(st.data())
def test_params_validate_and_broken_params_are_refused(data: st.DataObject) -> None:
    schema = data.draw(param_schemas())
    validator = ParamsValidator(schema, None)
    validator.validate(data.draw(strategies.params(schema)))
    bad = data.draw(strategies.params(schema, valid=False))
    assert bad.loc[0] == "params"
    _refused_at(validator.validate, bad, rows=False)


@FAST
@given(st.data())
def test_arrays_validate_and_broken_arrays_are_refused(data: st.DataObject) -> None:
    schema = data.draw(tensor_schemas())
    enforcer = SchemaEnforcer(schema)
    enforcer.validate(data.draw(strategies.arrays(schema, max_size=3)))
    bad = data.draw(strategies.arrays(schema, max_size=3, valid=False))
    assert bad.tag in ("shape", "dtype", "range")
    _refused_at(enforcer.validate, bad, rows=False)


@st.composite
def tensor_schemas(draw: st.DrawFn) -> tm.Schema:
    """One tensor or several named ones, with small fixed dimensions."""
    count = draw(st.integers(1, 3))
    tensor_names = draw(st.lists(names(), min_size=count, max_size=count, unique=True))
    if count == 1 and draw(st.booleans()):
        tensor_names = [None]
    specs = []
    for name in tensor_names:
        shape = draw(st.lists(st.just(-1) | st.integers(0, 3), min_size=1, max_size=3))
        specs.append(tm.TensorSpec(draw(st.sampled_from(TENSOR_DTYPES)), shape, name))
    return tm.Schema(specs)


_SAMPLES: dict[type, Any] = {
    tm.DataType: tm.DataType.long,
    tm.Array: tm.Array("string"),
    tm.Object: tm.Object([tm.Property("a", "long")]),
    tm.Map: tm.Map("double"),
    tm.AnyType: tm.AnyType(),
    tm.UnionType: tm.UnionType(["long", "string"]),
    tm.LiteralType: tm.LiteralType(["a", "b"]),
}


def test_every_node_kind_has_strategies() -> None:
    missing = [k.__name__ for k in NODE_KINDS if k not in _SAMPLES]
    assert not missing, f"no strategy test for node kinds {missing}"

    for kind, node in _SAMPLES.items():
        adapter = pydantic.TypeAdapter(tree_to_hint(node))

        @settings(max_examples=20, deadline=None)
        @given(strategies.values(node))
        def valid(value: Any) -> None:
            adapter.validate_python(value)  # noqa: B023  # run before the loop moves on

        valid()
        if kind is tm.AnyType:
            continue
        schema = tm.Schema([tm.ColSpec(node)])
        enforcer = SchemaEnforcer(schema)

        @settings(max_examples=20, deadline=None)
        @given(strategies.rows(schema, valid=False))
        def refused(bad: Invalid) -> None:
            in_batch = bad._replace(value=[bad.value], loc=(0, *bad.loc))
            _refused_at(enforcer.validate, in_batch, rows=True)  # noqa: B023

        refused()


def test_boundaries_come_first() -> None:
    seen: set[Any] = set()
    schema = tm.Schema([tm.ColSpec("integer", "n", constraints=tm.Constraints(ge=0, le=9))])

    @settings(max_examples=100, deadline=None, database=None)
    @given(strategies.rows(schema))
    def collect(row: dict[str, Any]) -> None:
        seen.add(row["n"])

    collect()
    assert {0, 9} <= seen
    floats: set[str] = set()

    @settings(max_examples=200, deadline=None, database=None)
    @given(strategies.values(tm.DataType.double))
    def collect_floats(x: float) -> None:
        floats.add(repr(x))

    collect_floats()
    assert {"-0.0", "nan", "inf", "-inf", "1.7976931348623157e+308"} <= floats


def test_multiple_of_is_exact_within_bounds() -> None:
    node = tm.DataType.double
    c = tm.Constraints(gt=0.05, lt=1e6, multiple_of=0.1)

    @settings(max_examples=100, deadline=None)
    @given(strategies.values(node, c))
    def exact(x: float) -> None:
        assert 0.05 < x < 1e6
        assert np.remainder(x, 0.1) == 0

    exact()


# -- the example models, with health checks on ---------------------------------------------------


def _example_models() -> list[Any]:
    found = []
    for path in sorted((ROOT / "examples").glob("*.py")):
        ns = runpy.run_path(str(path), run_name="example")
        for value in ns.values():
            if compiled_of(value) is None or getattr(value, "__module__", None) != "example":
                continue
            sig = tm.signature_of(value)
            if sig.inputs is not None:
                found.append(pytest.param(sig, id=f"{path.stem}.{value.__name__}"))
    return found


@pytest.mark.parametrize("signature", _example_models())
def test_example_models_draw_without_health_check_failures(signature: tm.ModelSignature) -> None:
    enforcer = SchemaEnforcer(signature.inputs)

    @settings(max_examples=30, deadline=None)  # health checks on
    @given(strategies.batches(signature), strategies.params(signature))
    def draws(batch: Any, params: dict[str, Any]) -> None:
        enforcer.validate(batch)
        if signature.params is not None:
            ParamsValidator(signature.params, None).validate(params)

    draws()


# -- check and the command line ------------------------------------------------------------------


class Applicant(pydantic.BaseModel):
    age: int = pydantic.Field(ge=0, le=150)
    city: str = pydantic.Field(max_length=20)
    plan: typing.Literal["basic", "pro"] = "basic"


@tm.typed
def good(model_input: list[Applicant]) -> list[float]:
    return [a.age / 150 for a in model_input]


@tm.typed
def crashes_on_old(model_input: list[Applicant]) -> list[float]:
    if any(a.age > 120 for a in model_input):
        raise RuntimeError("too old")
    return [0.0 for _ in model_input]


@tm.typed
def wrong_count(model_input: list[Applicant]) -> list[float]:
    return [0.0] * (len(model_input) + 1)


def test_check_passes_a_good_model() -> None:
    report = tm.testing.check(good, examples=30)
    assert report.ok, str(report)
    assert "ok" in str(report)


def test_check_reports_the_shrunk_counterexample() -> None:
    report = tm.testing.check(crashes_on_old, examples=200)
    assert not report.ok
    (failure,) = report.failures
    assert failure.kind == "valid"
    assert "RuntimeError" in failure.message
    batch, _ = failure.example
    assert batch == [{"age": 150, "city": ""}]  # shrunk: one row, the edge that fails


def test_check_reports_an_output_that_breaks_the_contract() -> None:
    report = tm.testing.check(wrong_count, examples=20)
    assert [f.kind for f in report.failures] == ["valid"]
    assert "return contract" in report.failures[0].message


def test_check_is_repeatable() -> None:
    one = tm.testing.check(crashes_on_old, examples=50, seed=3)
    two = tm.testing.check(crashes_on_old, examples=50, seed=3)
    assert str(one) == str(two)


def test_check_catches_a_model_that_accepts_invalid_batches() -> None:
    from typedmodel.model import Typed, typed_model
    from typedmodel.testing.check import Report, _check_model

    compiled = typed_model(good).compiled
    report = Report("loose", 20, 0)
    _check_model(report, Typed(_NoCheck(compiled), None), compiled.signature)  # type: ignore[arg-type]
    assert [f.kind for f in report.failures] == ["invalid"]
    assert "accepted" in report.failures[0].message


class _NoCheck:
    """A compiled predict that validates nothing (a model that forgot its contract)."""

    def __init__(self, compiled: Any) -> None:
        self._compiled = compiled

    def run_sync(self, target: Any, data: Any, params: Any = None) -> Any:
        return [0.0 for _ in data]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._compiled, name)


def test_given_batches_writes_a_property_test() -> None:
    sizes: list[int] = []

    @settings(max_examples=20, deadline=None)
    @tm.testing.given_batches(good, max_size=3)
    def test_scores(batch: list[dict[str, Any]]) -> None:
        sizes.append(len(batch))
        assert len(good(batch)) == len(batch)

    test_scores()
    assert sizes
    assert max(sizes) <= 3


def test_importing_without_hypothesis_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "try:\n    import typedmodel.testing\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert 'pip install "typedmodel[testing]"' in out
