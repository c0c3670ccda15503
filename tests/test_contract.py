"""The contract means the same on every path: each case here was once lossy, raised something
other than a `ValidationError`, or differed between two paths."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import functools
import io
import json
import warnings
from typing import Annotated, Any

import numpy as np
import pandas as pd
import pydantic
import pytest

import typedmodel as tm
from tests.asgi import call, post
from tests.reference import mlflow_module
from typedmodel.validate import BatchValidator, FrameValidator, SchemaEnforcer


class IntRow(pydantic.BaseModel):
    i: int


class FloatRow(pydantic.BaseModel):
    x: float


def _issues(run: Any) -> list[tuple[Any, ...]]:
    with pytest.raises(tm.ValidationError) as info:
        run()
    return [(i.row, i.loc, i.type) for i in info.value.issues]


def _refused(run: Any) -> tm.ValidationError:
    with pytest.raises(tm.ValidationError) as info:
        run()
    return info.value


# ---------------------------------------------------------------------------------------------
# Never lossy
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "batch",
    [
        pd.DataFrame({"i": [1e19]}),
        pd.DataFrame({"i": np.array([2**64 - 1], dtype=np.uint64)}),
        [{"i": 2**63}],
        [{"i": 2**70}],
        [{"i": -(2**63) - 1}],
    ],
    ids=["float-1e19", "uint64-max", "records-2**63", "records-2**70", "below-long"],
)
def test_an_int_field_holds_only_longs_on_both_paths(batch: Any) -> None:
    frame_path = _issues(lambda: FrameValidator(IntRow).validate(batch))
    list_path = _issues(lambda: BatchValidator(IntRow).validate(batch))
    assert [(row, loc) for row, loc, _ in frame_path] == [(0, ("i",))]
    assert frame_path == list_path


def test_the_long_range_edges_are_accepted_on_both_paths() -> None:
    rows = [{"i": 2**63 - 1}, {"i": -(2**63)}]
    assert [r.i for r in BatchValidator(IntRow).validate(rows)] == [2**63 - 1, -(2**63)]
    assert FrameValidator(IntRow).validate(rows)["i"].tolist() == [2**63 - 1, -(2**63)]


def test_a_long_colspec_refuses_a_float_beyond_int64() -> None:
    schema = tm.Schema([tm.ColSpec("long", "a")])
    issues = _issues(lambda: SchemaEnforcer(schema).validate(pd.DataFrame({"a": [2.0**63]})))
    assert issues == [(0, ("a",), "less_than_equal")]
    ok = SchemaEnforcer(schema).validate(pd.DataFrame({"a": [2.0**62]}))
    assert ok["a"].tolist() == [2**62]


@pytest.mark.parametrize(
    ("dtype", "values"),
    [(np.int32, [2**31]), (np.int32, [2**40]), (np.float32, [1e39]), (np.int64, [True])],
)
def test_json_lists_into_tensors_are_held_exactly(dtype: Any, values: list[Any]) -> None:
    enforcer = SchemaEnforcer(tm.Schema([tm.TensorSpec(dtype, (-1,))]))
    _refused(lambda: enforcer.validate(values))


def test_json_lists_into_tensors_that_fit_are_cast() -> None:
    out = SchemaEnforcer(tm.Schema([tm.TensorSpec(np.int32, (-1,))])).validate([2**31 - 1, -1])
    assert out.dtype == np.int32
    assert out.tolist() == [2**31 - 1, -1]
    f32 = SchemaEnforcer(tm.Schema([tm.TensorSpec(np.float32, (-1,))])).validate([0.5, 3e38])
    assert f32.dtype == np.float32


BIG = 2**53 + 1  # the first integer a double can't hold


@pytest.mark.parametrize(
    ("hint", "batch"),
    [
        (list[float], [BIG]),
        (list[dict[str, float]], [{"k": BIG}]),
        (list[FloatRow], [{"x": BIG}]),
        (list[float], [decimal.Decimal("0.1000000000000000000001")]),
        (list[float], [np.complex128(1 + 2j)]),
        (list[float], [1 + 2j]),
        (list[float], [True]),
        (list[int], [np.bool_(True)]),
    ],
    ids=["float", "map", "field", "decimal", "np-complex", "complex", "bool-float", "bool-int"],
)
def test_row_wise_numbers_are_held_exactly(hint: Any, batch: list[Any]) -> None:
    @tm.typed
    def predict(model_input: hint) -> int:  # type: ignore[valid-type]
        return len(model_input)

    _refused(lambda: predict(batch))


def test_frame_float_field_from_int64_is_held_exactly() -> None:
    frame = pd.DataFrame({"x": np.array([BIG, 2**53], dtype=np.int64)})
    assert _issues(lambda: FrameValidator(FloatRow).validate(frame)) == [
        (0, ("x",), "number_inexact")
    ]
    assert _issues(lambda: BatchValidator(FloatRow).validate(frame)) == [
        (0, ("x",), "number_inexact")
    ]
    ok = FrameValidator(FloatRow).validate(pd.DataFrame({"x": [2**53, 3]}))
    assert ok["x"].tolist() == [2.0**53, 3.0]


def test_numbers_exactly_held_still_pass() -> None:
    @tm.typed
    def predict(model_input: list[float]) -> list[float]:
        return model_input

    assert predict([2**53, np.float32(0.5), decimal.Decimal("0.5"), "1.5"]) == [
        2.0**53,
        0.5,
        0.5,
        1.5,
    ]


class Scores(tm.PythonModel):
    def predict(self, context: Any, model_input: tm.Frame[IntRow]) -> list[int]:
        return model_input["i"].tolist()


LONG_SCHEMA = tm.ModelSignature(inputs=tm.Schema([tm.ColSpec("long", "a")]))


class Untyped:
    """A model without hints, handing back one column (its schema is given when saved)."""

    def __init__(self, column: str = "a") -> None:
        self.column = column

    def predict(self, context: Any, model_input: Any) -> Any:
        return model_input[self.column].tolist()


def test_over_http_a_wrapped_number_is_a_400_not_a_200(tmp_path: Any) -> None:
    from typedmodel.serve import create_app

    frame_app = create_app(Scores())
    body = {"dataframe_split": {"columns": ["i"], "data": [[1e19]]}}
    assert post(frame_app, body).status == 400
    assert post(frame_app, {"dataframe_records": [{"i": 2**63 - 1}]}).json() == {
        "predictions": [2**63 - 1]
    }
    tm.save_model(Untyped(), tmp_path / "m", signature=LONG_SCHEMA)
    colspec_app = create_app(tmp_path / "m")
    reply = post(colspec_app, {"dataframe_split": {"columns": ["a"], "data": [[2.0**63]]}})
    assert reply.status == 400
    assert post(colspec_app, {"inputs": {"a": [3]}}).json() == {"predictions": [3]}


# ---------------------------------------------------------------------------------------------
# Only typed errors
# ---------------------------------------------------------------------------------------------

A_LONG = tm.Schema([tm.ColSpec("long", "a")])


@pytest.mark.parametrize(
    "batch",
    [
        [{"a": 2**64}],
        pd.DataFrame({"a": pd.Series([pd.NaT, 1], dtype=object)}),
        ([1], None),
        np.array(5),
        np.zeros((2, 2, 2)),
        {"a": np.array("x")},
        {"a": [[1, 2], [3]]},
        "text",
        None,
        42,
    ],
    ids=[
        "2**64",
        "nat-object",
        "tuple",
        "0-d",
        "3-d",
        "0-d-column",
        "ragged",
        "str",
        "none",
        "int",
    ],
)
def test_explicit_columns_give_only_validation_errors(batch: Any) -> None:
    _refused(lambda: SchemaEnforcer(A_LONG).validate(batch))


def test_an_extra_2d_input_is_dropped_with_the_usual_warning() -> None:
    schema = tm.Schema([tm.ColSpec("long", "a")])
    with pytest.warns(tm.TypedModelWarning, match="'i'"):
        out = SchemaEnforcer(schema).validate({"a": [1, 2, 3], "i": np.zeros((3, 3))})
    assert out["a"].tolist() == [1, 2, 3]
    assert list(out.columns) == ["a"]


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Many(pydantic.BaseModel):
    i: int
    tags: list[str] = []
    color: Color = Color.RED
    when: dt.datetime | None = None


def test_frame_odd_inputs_give_results_or_validation_errors() -> None:
    duplicate = pd.DataFrame([[1, 2]], columns=["i", "i"])
    assert _issues(lambda: FrameValidator(Many).validate(duplicate)) == [
        (None, ("i",), "duplicate_column")
    ]
    gap = pd.DataFrame({"i": [1, 2], "tags": [["a"], None]})
    out = FrameValidator(Many).validate(gap)
    assert out["tags"].tolist() == [["a"], []]
    categorical = pd.DataFrame({"i": [1, 2], "color": pd.Categorical(["blue", None])})
    out = FrameValidator(Many).validate(categorical)
    assert out["color"].tolist() == ["blue", "red"]
    _refused(lambda: FrameValidator(Many).validate({"i": [1], "when": [b"xy"]}))
    _refused(lambda: FrameValidator(Many).validate([{"i": 1, "when": b"xy"}]))


@pytest.mark.parametrize("columns", [["i", "i"], [1, "1"]], ids=["same-name", "int-and-str"])
def test_repeated_column_names_are_an_issue_on_every_path(
    columns: list[Any], tmp_path: Any
) -> None:
    frame = pd.DataFrame([[1, 2]], columns=columns)
    named = tm.Schema([tm.ColSpec("long", "i"), tm.ColSpec("long", "1", required=False)])
    for run in (
        lambda: BatchValidator(IntRow).validate(frame),
        lambda: FrameValidator(IntRow).validate(frame),
        lambda: SchemaEnforcer(named).validate(frame),
    ):
        assert {t for _, _, t in _issues(run)} == {"duplicate_column"}
    from typedmodel.serve import create_app

    body = {"dataframe_split": {"columns": columns, "data": [[1, 2]]}}
    # (in CSV pandas renames the second "i" to "i.1", which would be dropped as an extra)
    csv = (",".join(map(str, columns)) + "\n1,2\n").encode()
    for app in (create_app(Scores()), _list_app()):
        for reply in (
            post(app, body),
            call(app, "POST", "/invocations", csv, {"content-type": "text/csv"}),
        ):
            assert reply.status == 400
            assert {i["type"] for i in reply.json()["issues"]} == {"duplicate_column"}


def _list_app() -> Any:
    from typedmodel.serve import create_app

    @tm.typed
    def rows(model_input: list[IntRow]) -> list[int]:
        return [r.i for r in model_input]

    return create_app(rows)


def test_a_csv_body_with_a_huge_integer_is_a_400_about_the_number() -> None:
    from typedmodel.serve import create_app

    body = b"i\n" + b"9" * 400 + b"\n"
    reply = call(create_app(Scores()), "POST", "/invocations", body, {"content-type": "text/csv"})
    assert reply.status == 400
    assert [i["type"] for i in reply.json()["issues"]] == ["number_range"]
    fine = call(
        create_app(Scores()), "POST", "/invocations", b"i\n7\n", {"content-type": "text/csv"}
    )
    assert fine.json() == {"predictions": [7]}


class FloatScores(tm.PythonModel):
    def predict(self, context: Any, model_input: tm.Frame[FloatRow]) -> list[float]:
        return model_input["x"].tolist()


FLOAT_SCHEMA = tm.ModelSignature(inputs=tm.Schema([tm.ColSpec("double", "x")]))


@pytest.mark.parametrize(
    ("csv", "issue"),
    [
        # pandas reads the column as float64, and the integer rounds to 2**53 there
        (b"x\n1.5\n9007199254740993\n", (1, ["x"], "number_inexact")),
        (b"x\n1.5\n-9007199254740993\n", (1, ["x"], "number_inexact")),
        (b"x\n0.5\n1e400\n", (None, [], "number_range")),  # as the JSON literal is
    ],
    ids=["beyond-2**53", "below-minus-2**53", "overflow"],
)
def test_a_csv_float_column_is_read_exactly(tmp_path: Any, csv: bytes, issue: Any) -> None:
    from typedmodel.serve import create_app

    def row_wise(model_input: list[FloatRow]) -> list[float]:
        return [r.x for r in model_input]

    tm.save_model(Untyped("x"), tmp_path / "m", signature=FLOAT_SCHEMA)
    for app in (
        create_app(tm.typed(row_wise)),
        create_app(FloatScores()),
        create_app(tmp_path / "m"),
    ):
        reply = call(app, "POST", "/invocations", csv, {"content-type": "text/csv"})
        assert reply.status == 400, reply
        assert [(i["row"], i["loc"], i["type"]) for i in reply.json()["issues"]] == [issue]
        fine = b"x\n1.5\n9007199254740992\ninf\n-1e300\n"
        got = call(app, "POST", "/invocations", fine, {"content-type": "text/csv"}).json()
        assert got == {"predictions": [1.5, 2.0**53, None, -1e300]}  # (infinity: null in JSON)


class FloatAndInt(pydantic.BaseModel):
    x: float
    i: int


class Both(tm.PythonModel):
    def predict(self, context: Any, model_input: tm.Frame[FloatAndInt]) -> list[int]:
        return model_input["i"].tolist()


@pytest.mark.parametrize(
    "form",
    [
        lambda rows: {"dataframe_split": {"columns": ["x", "i"], "data": rows}},
        lambda rows: {"dataframe_records": [{"x": x, "i": i} for x, i in rows]},
    ],
    ids=["split", "records"],
)
def test_a_json_table_keeps_its_integers_exact(form: Any) -> None:
    # pandas makes a column of ints beside floats (or None) float64, rounding 2**53 + 1.
    from typedmodel.serve import create_app

    app = create_app(Both())
    reply = post(app, form([[BIG, 0], [0.5, 1]]))
    assert [(i["row"], i["loc"], i["type"]) for i in reply.json()["issues"]] == [
        (0, ["x"], "number_inexact")
    ]
    assert post(app, form([[0.5, BIG], [0.5, 1.0]])).json() == {"predictions": [BIG, 1]}
    assert post(app, form([[0.5, BIG], [0.5, None]])).status == 400  # (i is required)
    assert post(app, form([[2**53, 2], [0.5, 1.0]])).json() == {"predictions": [2, 1]}


class WithDefault(pydantic.BaseModel):
    i: int
    k: int = 5


@pytest.mark.parametrize(
    "form",
    [
        lambda rows: {"dataframe_split": {"columns": ["i", "k"], "data": rows}},
        lambda rows: {"dataframe_records": [{"i": i, "k": k} for i, k in rows]},
        lambda rows: {"inputs": {"i": [r[0] for r in rows], "k": [r[1] for r in rows]}},
    ],
    ids=["split", "records", "columns"],
)
def test_a_null_cell_of_a_table_is_missing_for_both_kinds_of_model(form: Any) -> None:
    from typedmodel.serve import create_app

    def row_wise(model_input: list[WithDefault]) -> list[int]:
        return [r.k for r in model_input]

    def columnar(model_input: tm.Frame[WithDefault]) -> list[int]:
        return model_input["k"].tolist()

    for predict in (row_wise, columnar):
        app = create_app(tm.typed(predict))
        assert post(app, form([[1, None], [2, 7]])).json() == {"predictions": [5, 7]}
        reply = post(app, form([[None, 1]]))
        assert [(i["row"], i["loc"], i["type"]) for i in reply.json()["issues"]] == [
            (0, ["i"], "missing")
        ]


class BoolRow(pydantic.BaseModel):
    b: bool


def test_a_bool_field_names_an_unsigned_column_as_list_row_does() -> None:
    # pydantic calls an int beyond 64 bits another type (bool_type), a small one unreadable
    frame = pd.DataFrame({"b": np.array([2**63, 1, 3], dtype=np.uint64)})
    expected = [(0, ("b",), "bool_type"), (2, ("b",), "bool_parsing")]
    assert _issues(lambda: FrameValidator(BoolRow).validate(frame)) == expected
    assert _issues(lambda: BatchValidator(BoolRow).validate(frame)) == expected


def test_a_float_field_takes_the_exact_doubles_beyond_the_long_range() -> None:
    # 2**63 and 2**64 - 2**11 are doubles; a uint64 column holds them (and -2**63 an int64 one)
    unsigned = pd.DataFrame({"x": np.array([2**63, 2**64 - 2**11], dtype=np.uint64)})
    signed = pd.DataFrame({"x": np.array([-(2**63)], dtype=np.int64)})
    explicit = SchemaEnforcer(tm.Schema([tm.ColSpec("double", "x")]))
    for frame in (unsigned, signed):
        expected = [float(v) for v in frame["x"].tolist()]
        assert FrameValidator(FloatRow).validate(frame)["x"].tolist() == expected
        assert explicit.validate(frame)["x"].tolist() == expected
    beyond = pd.DataFrame({"x": np.array([2**63 + 1], dtype=np.uint64)})
    assert _issues(lambda: FrameValidator(FloatRow).validate(beyond)) == [
        (0, ("x",), "number_inexact")
    ]


def test_a_csv_float_is_the_float_json_reads() -> None:
    # pandas 2's default float parser reads this a step off
    from typedmodel.serve import create_app

    text = "9.801176974488253e+274"
    app = create_app(FloatScores())
    reply = call(app, "POST", "/invocations", f"x\n{text}\n".encode(), {"content-type": "text/csv"})
    assert reply.json() == post(app, {"inputs": [{"x": float(text)}]}).json()
    assert reply.json() == {"predictions": [float(text)]}


class Texts(pydantic.BaseModel):
    s: str | None = None
    i: int | None = None


def test_a_csv_column_of_text_stays_text() -> None:
    # Only a column of numbers as pandas writes them is read as numbers (pandas leaves one
    # with an integer past 64 bits as text); Python's float() reads more, such as "1_000".
    from typedmodel.serve import create_app

    @tm.typed
    def echo(model_input: list[Texts]) -> list[str | None]:
        return [r.s for r in model_input]

    app = create_app(echo)
    for cells in (["1_000"], ["\u0661\u0662"], ["+-5", "18446744073709551616"]):
        body = ("s\n" + "\n".join(cells) + "\n").encode()
        reply = call(app, "POST", "/invocations", body, {"content-type": "text/csv"})
        assert reply.json() == {"predictions": cells}
    huge = call(
        app, "POST", "/invocations", b"i\n18446744073709551616\n\n", {"content-type": "text/csv"}
    )
    assert [(i["row"], i["type"]) for i in huge.json()["issues"]] == [(0, "less_than_equal")]


_TEXT_CELLS = ["02139", "1.50", "", "NA", "1e400", "9" * 30, " x ", "true"]


def test_a_csv_column_declared_a_string_is_read_as_text() -> None:
    # pandas types a column by its cells: "02139" became the number 2139, which a str field
    # refused. MLflow's server reads CSV with the schema's dtypes, strings as text.
    from typedmodel.serve import create_app

    @tm.typed
    def echo(model_input: list[Texts]) -> list[str | None]:
        return [r.s for r in model_input]

    app = create_app(echo)
    # columns pandas alone reads as ints, as floats, as bools, and as text
    for cells in (["02139", "007"], ["1.50", "2", ""], ["true", "False"], _TEXT_CELLS):
        body = ("s,i\n" + "".join(f"{c},{n}\n" for n, c in enumerate(cells))).encode()
        reply = call(app, "POST", "/invocations", body, {"content-type": "text/csv"})
        # an empty cell and pandas' missing-value words are missing, as in every other column
        expected = [None if c in ("", "NA") else c for c in cells]
        assert reply.json() == {"predictions": expected}, cells
    # after a column of text that is not a string field, too
    after = call(app, "POST", "/invocations", b"i,s\nx,02139\n", {"content-type": "text/csv"})
    assert [(i["loc"], i["type"]) for i in after.json()["issues"]] == [(["i"], "int_parsing")]
    # the other columns are still read as numbers
    huge = call(app, "POST", "/invocations", b"s,i\n02139,1e400\n", {"content-type": "text/csv"})
    assert [i["type"] for i in huge.json()["issues"]] == ["number_range"]


@pytest.mark.parametrize(
    "body",
    [b"s,n\n\r,7\n", b"s,n\r\r,7\r", b's,n\n"a\rb",1\r\r,7\n'],
    ids=["after-lf", "cr-only", "after-quoted-cr"],
)
def test_a_blank_line_ended_by_a_carriage_return_shifts_no_field(body: bytes) -> None:
    # pandas' C parser dropped the first field of the line after it: s=7 and no n, a 200
    from typedmodel.serve.wire import read_csv

    frame = read_csv(body, {"s"})
    assert frame["n"].iloc[-1] == 7
    assert pd.isna(frame["s"].iloc[-1])
    if b'"' in body:
        assert frame["s"].iloc[0] == "a\rb"  # a CR inside quotes is text


def test_a_csv_string_column_is_read_as_mlflow_reads_it() -> None:
    serving = mlflow_module("mlflow.pyfunc.scoring_server")
    from mlflow.types import ColSpec, Schema

    from typedmodel.serve.wire import read_csv

    body = "s,i\n" + "".join(f"{c},{n}\n" for n, c in enumerate(_TEXT_CELLS))
    theirs = serving.parse_csv_input(io.StringIO(body), Schema([ColSpec("string", "s")]))
    ours = read_csv(body.encode(), {"s"})

    def cells(frame: pd.DataFrame) -> list[Any]:
        return [None if pd.isna(v) else v for v in frame["s"]]

    assert cells(ours) == cells(theirs)
    assert [type(v) for v in cells(ours)] == [type(v) for v in cells(theirs)]


@pytest.mark.parametrize("body", [b"x\n0,1.5\n", b"x\n0,1,2.5\n"], ids=["one-more", "two-more"])
def test_a_csv_row_with_more_fields_than_its_header_is_a_400(body: bytes) -> None:
    # pandas would make the extra fields an index, and the columns would shift
    from typedmodel.serve import create_app

    reply = call(
        create_app(FloatScores()), "POST", "/invocations", body, {"content-type": "text/csv"}
    )
    assert reply.status == 400
    assert [i["type"] for i in reply.json()["issues"]] == ["csv_invalid"]


@pytest.mark.parametrize(
    ("text", "issue"),
    [
        ("9007199254740993", "number_inexact"),
        ("9_007_199_254_740_993", "number_inexact"),
        (" -9007199254740993 ", "number_inexact"),
        ("1" * 500, "number_inexact"),
        ("1e400", "number_range"),
        ("-1e309", "number_range"),
    ],
)
def test_a_number_written_as_text_is_held_exactly_on_every_path(text: str, issue: str) -> None:
    enforcer = SchemaEnforcer(FLOAT_SCHEMA.inputs)
    paths = [
        lambda rows: BatchValidator(FloatRow).validate(rows),
        lambda rows: FrameValidator(FloatRow).validate(rows),
        lambda rows: FrameValidator(FloatRow).validate(pd.DataFrame(rows, dtype="str")),
        lambda rows: enforcer.validate(pd.DataFrame(rows)),
    ]
    rows = [{"x": "0.5"}, {"x": text}]
    for run in paths:
        assert _issues(functools.partial(run, rows)) == [(1, ("x",), issue)]
    for fine in ("9007199254740992", "inf", "-Infinity", " 2.5 ", "1e300"):
        for run in paths:
            out = run([{"x": fine}])
            value = out[0].x if isinstance(out, list) else out["x"].iloc[0]
            assert value == float(fine)


def test_a_32_bit_float_holds_text_to_its_own_range() -> None:
    enforcer = SchemaEnforcer(tm.Schema([tm.ColSpec("float", "y")]))
    frame = pd.DataFrame({"y": ["0.5", "1e39", "16777217", "3e38"]})
    assert _issues(lambda: enforcer.validate(frame)) == [
        (1, ("y",), "number_range"),
        (2, ("y",), "number_inexact"),
    ]


class Node(pydantic.BaseModel):
    child: Node | None = None


Node.model_rebuild()


def test_deep_nesting_is_a_too_deep_issue() -> None:
    deep: dict[str, Any] = {}
    for _ in range(1000):
        deep = {"child": deep}
    issues = _issues(lambda: BatchValidator(Node).validate([deep]))
    assert {t for _, _, t in issues} == {"too_deep"}
    nested: Any = [1.0]
    for _ in range(100_000):
        nested = [nested]
    exc = _refused(lambda: BatchValidator(list[list[float]]).validate([nested]))
    assert [(i.row, i.loc, i.type) for i in exc.issues] == [(0, (0, 0), "float_type")]
    assert len(str(exc)) < 1000  # the deep input is shown short
    assert json.loads(exc.json())[0]["type"] == "float_type"


def test_deep_nesting_over_http_is_a_400() -> None:
    from typedmodel.serve import create_app

    @tm.typed
    def depth(model_input: list[Node]) -> list[int]:
        return [1 for _ in model_input]

    body = b'{"inputs": [' + b'{"child": ' * 1000 + b"{}" + b"}" * 1000 + b"]}"
    reply = call(create_app(depth), "POST", "/invocations", body)
    assert reply.status == 400


# ---------------------------------------------------------------------------------------------
# list[Row] and Frame[Row] agree
# ---------------------------------------------------------------------------------------------


class Event(pydantic.BaseModel):
    i: int
    when: dt.datetime | None  # required, but may be None
    color: Color = Color.RED
    x: float = 0.0


@pytest.mark.parametrize(
    "batch",
    [
        [{"i": 1, "when": None}, {"i": 2}],
        [{"i": None, "when": None}],
        [{"i": 1, "when": None, "color": None}],
        [{"i": 1, "when": None, "x": pd.NaT}],
        pd.DataFrame(index=range(3)),
        pd.DataFrame({"i": [1, None], "when": [None, None]}),
        pd.DataFrame({"i": [1], "when": [pd.NaT], "x": [np.nan]}),
        [{"i": "3", "when": "2024-01-01T00:00:00", "color": "blue", "x": "2.5"}],
    ],
    ids=[
        "left-out-key",
        "none-int",
        "enum-none",
        "nat-float",
        "no-columns",
        "frame-gap-int",
        "frame-gaps",
        "lax-strings",
    ],
)
def test_list_and_frame_paths_agree(batch: Any) -> None:
    def run(validator: Any) -> Any:
        try:
            out = validator.validate(batch)
        except tm.ValidationError as exc:
            return [(i.row, i.loc, i.type, i.msg) for i in exc.issues]
        if isinstance(out, pd.DataFrame):
            records = out.astype(object).where(out.notna(), None).to_dict("records")
            return [Event(**r).model_dump() for r in records]
        return [r.model_dump() for r in out]

    assert run(FrameValidator(Event)) == run(BatchValidator(Event))


def test_no_columns_are_three_rows_on_both_paths() -> None:
    issues = _issues(lambda: BatchValidator(Event).validate(pd.DataFrame(index=range(3))))
    assert issues == [(r, (f,), "missing") for r in range(3) for f in ("i", "when")]


# ---------------------------------------------------------------------------------------------
# The JSON Schema says what the validator accepts
# ---------------------------------------------------------------------------------------------


def _input_schema(model: Any) -> dict[str, Any]:
    from typedmodel.docs import render_docs

    return json.loads(render_docs(model, format="json-schema"))


def test_item_constraints_reach_the_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")

    @tm.typed
    def counts(model_input: list[list[Annotated[int, pydantic.Field(ge=0)]]]) -> int:
        return len(model_input)

    node = tm.signature_of(counts).inputs.inputs[0].type
    assert node == tm.Array("long", item_constraints=tm.Constraints(ge=0))
    schema = _input_schema(counts)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"inputs": [[0, 1]]})
    assert not validator.is_valid({"inputs": [[-1]]})
    _refused(lambda: counts([[-1]]))


class Closed(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    a: int


class Open(pydantic.BaseModel):
    a: int


def test_closed_and_open_objects_in_the_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    for model, closed in ((Closed, True), (Open, False)):

        @tm.typed
        def predict(model_input: list[model]) -> int:  # type: ignore[valid-type]
            return len(model_input)

        assert tm.signature_of(predict).inputs.inputs[0].type.closed is closed
        validator = jsonschema.Draft202012Validator(_input_schema(predict))
        extra = {"inputs": [{"a": 1, "b": 2}]}
        assert validator.is_valid(extra) is not closed
        try:
            predict([{"a": 1, "b": 2}])
            accepted = True
        except tm.ValidationError:
            accepted = False
        assert accepted is not closed


def test_the_json_schema_int_range_is_the_rule_tables() -> None:
    from typedmodel.schema.rules import rule

    @tm.typed
    def ids(model_input: list[IntRow]) -> int:
        return len(model_input)

    text = json.dumps(_input_schema(ids))
    assert str(rule(tm.DataType.long).high) in text


# ---------------------------------------------------------------------------------------------
# MLflow compatibility
# ---------------------------------------------------------------------------------------------


def test_an_object_tensor_form_is_read_and_enforced() -> None:
    form = [{"type": "tensor", "tensor-spec": {"dtype": "object", "shape": [-1]}}]
    schema = tm.Schema.from_dict(form)
    assert schema.to_dict() == form
    assert schema.inputs[0].type == np.dtype(object)
    out = SchemaEnforcer(schema).validate(np.array(["a", 1], dtype=object))
    assert out.dtype == object
    assert tm.infer_schema(np.array(["a", "b"], dtype=object)) == schema


def test_integer_column_names_are_kept() -> None:
    frame = pd.DataFrame({0: [1, 2], 1: ["a", "b"]})
    schema = tm.infer_schema(frame)
    assert schema.input_names() == [0, 1]
    form = schema.to_dict()
    assert [c["name"] for c in form] == [0, 1]
    assert tm.Schema.from_dict(form) == schema
    out = SchemaEnforcer(schema).validate(frame)
    assert list(out.columns) == [0, 1]


def test_a_three_argument_predict_takes_the_context_first() -> None:
    class Ctx(tm.PythonModel):
        def predict(self, ctx, model_input: list[int], params: dict | None = None):  # type: ignore[no-untyped-def]
            return [ctx, model_input]

    hints = tm.model.compiled_of(Ctx).hints  # type: ignore[attr-defined]
    assert hints.has_context
    assert hints.input_name == "model_input"
    assert Ctx().predict("c", [1]) == ["c", [1]]


@pytest.mark.parametrize(
    ("hint", "says"),
    [(list[dict[int]], "dict"), (list[str, int], "one element type")],  # type: ignore[misc]
    ids=["dict-one-arg", "list-two-args"],
)
def test_malformed_hints_are_schema_errors(hint: Any, says: str) -> None:
    def predict(model_input):  # type: ignore[no-untyped-def]
        return model_input

    predict.__annotations__ = {"model_input": hint}
    with pytest.raises(tm.SchemaError, match=says):
        tm.typed(predict)


def test_a_batch_element_may_be_none_as_a_nullable_column() -> None:
    @tm.typed
    def halve(model_input: list[float | None]) -> list[float | None]:
        return [None if x is None else x / 2 for x in model_input]

    signature = tm.signature_of(halve)
    assert signature.inputs == tm.Schema([tm.ColSpec("double", nullable=True)])
    assert signature.outputs == tm.Schema([tm.ColSpec("double", nullable=True)])
    assert halve([1, None]) == [0.5, None]
    assert tm.ModelSignature.from_dict(signature.to_dict()) == signature


def test_explicit_objects_stay_plain_dicts_without_added_keys() -> None:
    obj = tm.Object([tm.Property("k1", "string"), tm.Property("k2", "string", required=False)])
    out = SchemaEnforcer(tm.Schema([tm.ColSpec(obj, "obj")])).validate(
        pd.DataFrame({"obj": [{"k1": "x"}]})
    )
    assert out["obj"].tolist() == [{"k1": "x"}]
    assert type(out["obj"][0]) is dict
    unnamed = SchemaEnforcer(tm.Schema([tm.ColSpec(obj)])).validate([{"k1": "x"}])
    assert unnamed == [{"k1": "x"}]


def test_an_unnamed_colspec_keeps_the_frames_column_name() -> None:
    out = SchemaEnforcer(tm.Schema([tm.ColSpec("long")])).validate(pd.DataFrame({"a": [1, 2]}))
    assert list(out.columns) == ["a"]
    assert out["a"].tolist() == [1, 2]


def test_explicit_columns_cast_as_mlflow_does() -> None:
    def enforce(spec: tm.ColSpec, values: Any) -> Any:
        return SchemaEnforcer(tm.Schema([spec])).validate(pd.DataFrame({spec.name: values}))

    flags = enforce(tm.ColSpec("boolean", "b"), pd.Series([True, False], dtype=object))
    assert flags["b"].dtype == bool
    raw = enforce(tm.ColSpec("binary", "b"), [base64.b64encode(b"hi").decode()])
    assert raw["b"].tolist() == [b"hi"]
    _refused(lambda: enforce(tm.ColSpec("binary", "b"), ["not base64!"]))
    exact = enforce(tm.ColSpec("double", "d"), pd.Series([decimal.Decimal("1.5")], dtype=object))
    assert exact["d"].dtype == np.float64
    assert exact["d"].tolist() == [1.5]
    # a decimal goes in when its double reads back as the same decimal (0.1 does, as JSON's
    # 0.1 does); one with more digits than a double holds is refused
    tenth = enforce(tm.ColSpec("double", "d"), pd.Series([decimal.Decimal("0.1")], dtype=object))
    assert tenth["d"].tolist() == [0.1]
    _refused(
        lambda: enforce(
            tm.ColSpec("double", "d"),
            pd.Series([decimal.Decimal("0.1000000000000000000001")], dtype=object),
        )
    )


@pytest.mark.parametrize("n", [3, 6000], ids=["small", "large"])
def test_explicit_columns_cast_together_keep_their_own_values(n: int) -> None:
    # a large frame's casts are written into one block per dtype, the other columns kept as
    # they are: every column must still be its own, in its place, with its own values
    rng = np.random.default_rng(0)
    given = {
        "a": rng.random(n).astype("float32"),
        "s": pd.Series([f"s{i}" for i in range(n)], dtype=object),
        "b": np.arange(n, dtype="int32"),
        "c": rng.random(n).astype("float32"),
        "t": pd.Series([f"t{i}" for i in range(n)], dtype="string"),
        "d": -np.arange(n, dtype="int32"),
        "when": pd.date_range("2020-01-01", periods=n, freq="s"),
        "f": rng.random(n) > 0.5,
        "e": rng.random(n).astype("float32"),
    }
    types = {"a": "double", "s": "string", "b": "long", "c": "double", "t": "string"}
    types.update({"d": "long", "when": "datetime", "f": "boolean", "e": "double"})
    schema = tm.Schema([tm.ColSpec(t, name) for name, t in types.items()])
    out = SchemaEnforcer(schema).validate(pd.DataFrame(given))
    assert list(out.columns) == list(types)
    wanted = {"double": np.float64, "long": np.int64}
    for name, values in given.items():
        expected = pd.Series(values, name=name)
        if types[name] in wanted:
            expected = expected.astype(wanted[types[name]])
        pd.testing.assert_series_equal(out[name], expected, check_index_type=False)
    out.loc[0, "a"] = -1.0  # one column changed: the others of its block stay as they were
    assert out["c"].iloc[0] == float(given["c"][0])
    assert out["e"].iloc[0] == float(given["e"][0])


def test_a_datetime_column_is_handed_over_as_datetime64() -> None:
    # as MLflow hands a datetime column over, so that predict's `.dt` works on every path
    enforcer = SchemaEnforcer(tm.Schema([tm.ColSpec("datetime", "when", required=False)]))

    def given(*values: Any) -> pd.Series:
        column = pd.Series(list(values), dtype=object)
        return enforcer.validate(pd.DataFrame({"when": column}))["when"]

    naive = given("2020-01-01T10:00:00", None)
    assert naive.dtype == "datetime64[us]"
    assert naive.dt.hour.tolist()[:1] == [10]
    assert naive.isna().tolist() == [False, True]
    aware = given("2020-01-01T10:00:00+01:00", "2020-01-01T10:00:00Z")
    assert str(aware.dtype) == "datetime64[us, UTC]"
    assert aware.dt.hour.tolist() == [9, 10]  # the same instants
    assert given("2020-01-01T10:00:00+01:00", "2020-01-01T10:00:00").dtype == object
    far = given("9999-12-31T23:59:59.999999")  # beyond what nanoseconds reach
    assert far.tolist() == [dt.datetime(9999, 12, 31, 23, 59, 59, 999999)]
    fine = pd.Timestamp("2020-01-01 00:00:00.000000001")
    assert given(fine, None).tolist()[:1] == [fine]  # its nanosecond kept
    own = pd.date_range("2020-01-01", periods=2, freq="s", unit="ns")
    kept = enforcer.validate(pd.DataFrame({"when": own}))["when"]
    assert kept.dtype == "datetime64[ns]"
    assert kept.tolist() == list(own)

    class Event(pydantic.BaseModel):
        when: dt.datetime

    @tm.typed
    def hours(batch: tm.Frame[Event]) -> list[int]:
        return batch["when"].dt.hour.tolist()

    assert hours([{"when": "2020-01-01T10:00:00"}, {"when": dt.datetime(2020, 1, 1, 11)}]) == [
        10,
        11,
    ]
    from typedmodel.serve import create_app

    reply = post(create_app(hours), {"dataframe_records": [{"when": "2020-01-01T12:00:00"}]})
    assert reply.status == 200
    assert reply.json()["predictions"] == [12]


def test_a_nan_token_is_missing_and_infinity_only_fits_floats() -> None:
    from typedmodel.serve import create_app

    class Reading(pydantic.BaseModel):
        n: int
        x: float | None = None

    @tm.typed
    def read(model_input: list[Reading]) -> list[float | None]:
        return [r.x for r in model_input]

    app = create_app(read)
    ok = call(app, "POST", "/invocations", b'{"inputs": [{"n": 1, "x": NaN}]}')
    assert ok.json() == {"predictions": [None]}
    inf = call(app, "POST", "/invocations", b'{"inputs": [{"n": 1, "x": Infinity}]}')
    assert inf.status == 200
    bad = call(app, "POST", "/invocations", b'{"inputs": [{"n": Infinity}]}')
    assert bad.status == 400
    assert bad.json()["issues"][0]["loc"] == ["n"]
    missing = call(app, "POST", "/invocations", b'{"inputs": [{"n": NaN}]}')
    assert missing.status == 400


def test_inference_follows_mlflow() -> None:
    schema = tm.infer_schema({"a": [None]})
    assert not schema.inputs[0].required
    cells = tm.infer_schema(
        pd.DataFrame({"i": np.array([1], dtype=np.int32), "f": np.array([0.5], dtype=np.float32)})
    )
    assert [c.type for c in cells.inputs] == [tm.DataType.integer, tm.DataType.float]
    signature = tm.infer_signature({"a": [1]}, params={"i": np.int32(3), "f": np.float32(0.5)})
    assert [p.dtype for p in signature.params.params] == [tm.DataType.integer, tm.DataType.float]
    with pytest.raises(tm.SchemaError):
        tm.infer_schema({1.7: "a", "b": "c"})


class Echo:
    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return model_input


@pytest.mark.parametrize(
    ("example", "kind"),
    [
        (pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), "dataframe"),
        (pd.DataFrame([[1, 2]]), "dataframe"),
        (np.array([[1, 2], [3, 4]]), "ndarray"),
        ({"x": np.array([1, 2]), "y": np.array([0.5])}, "ndarray"),
        ([{"a": 1, "b": "x"}], "json_object"),
        ({"a": 1, "b": "x"}, "json_object"),
        ("hello", "json_object"),
        (({"a": 1}, {"temperature": 0.5}), "json_object"),
    ],
    ids=[
        "frame",
        "frame-default-columns",
        "ndarray",
        "dict-of-ndarrays",
        "records",
        "dict",
        "str",
        "with-params",
    ],
)
def test_saved_example_info_is_mlflows(tmp_path: Any, example: Any, kind: str) -> None:
    tm.save_model(Echo(), tmp_path / "m", input_example=example)
    import yaml

    meta = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    info = meta["saved_input_example_info"]
    assert info["type"] == kind
    assert ("params" in info) is isinstance(example, tuple)
    loaded = tm.load_model(tmp_path / "m").input_example
    data = example[0] if isinstance(example, tuple) else example
    _assert_same(loaded, data)
    from tests.reference import has_mlflow

    if has_mlflow():
        from mlflow.models import Model

        _assert_same(Model.load(str(tmp_path / "m")).load_input_example(str(tmp_path / "m")), data)


def _assert_same(got: Any, want: Any) -> None:
    if isinstance(want, pd.DataFrame):
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
    elif isinstance(want, np.ndarray):
        np.testing.assert_array_equal(got, want)
    elif isinstance(want, dict) and all(isinstance(v, np.ndarray) for v in want.values()):
        assert set(got) == set(want)
        for k in want:
            np.testing.assert_array_equal(got[k], want[k])
    else:
        assert got == want


def test_warnings_are_not_raised_for_valid_explicit_frames() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SchemaEnforcer(A_LONG).validate(pd.DataFrame({"a": [1]}))


def test_every_bad_param_and_row_in_one_answer() -> None:
    from typedmodel.serve import create_app

    params = tm.ParamSchema(
        [
            tm.ParamSpec("scale", "double", 1.0),
            tm.ParamSpec("top_k", "long", 1),
            tm.ParamSpec("temperature", "double", 0.5),
        ]
    )

    @tm.typed(signature=tm.ModelSignature(params=params))
    def predict(model_input: list[IntRow], params: dict | None = None) -> int:  # type: ignore[type-arg]
        return len(model_input)

    body = {"inputs": [{"i": "x"}], "params": {"scale": "big", "top_k": 2.5, "nope": 1}}
    exc = _refused(lambda: predict(body["inputs"], params=body["params"]))
    locs = [i.loc for i in exc.issues]
    assert locs == [("params",), ("params", "scale"), ("params", "top_k"), ("i",)]
    reply = post(create_app(predict), body)
    assert [tuple(i["loc"]) for i in reply.json()["issues"]] == locs
    assert b"nope" not in reply.body  # the unknown name is input: hidden by default


def test_an_infinite_output_is_null_unless_its_hint_refuses_it() -> None:
    # JSON has no infinity: answers write it as null, as they write NaN (the differences
    # page); an output hint that refuses infinities makes it a 500 rather than a null.
    from typedmodel.serve import create_app

    @tm.typed
    def loose(model_input: list[float]) -> list[float]:
        return [x * float("inf") for x in model_input]

    @tm.typed
    def finite(
        model_input: list[float],
    ) -> list[Annotated[float, pydantic.Field(allow_inf_nan=False)]]:
        return [x * float("inf") for x in model_input]

    assert post(create_app(loose), {"inputs": [1.0]}).json() == {"predictions": [None]}
    reply = post(create_app(finite), {"inputs": [1.0]})
    assert reply.status == 500
    assert "does not fit its signature" in reply.json()["message"]


def test_a_request_over_the_time_limit_is_a_503() -> None:
    import time

    from typedmodel.serve import create_app

    @tm.typed
    def slow(model_input: list[float]) -> list[float]:
        time.sleep(float(model_input[0]))
        return model_input

    app = create_app(slow, timeout=0.2)
    reply = post(app, {"inputs": [1.0]})
    assert reply.status == 503
    assert reply.json()["error_code"] == "TIMEOUT"
    assert post(app, {"inputs": [0.0]}).json() == {"predictions": [0.0]}
    with pytest.raises(ValueError, match="timeout"):
        create_app(slow, timeout=0)


class Out(pydantic.BaseModel):
    score: float


def test_outputs_as_users_write_them() -> None:
    @tm.typed
    def as_frame(model_input: list[IntRow]) -> list[Out]:
        return pd.DataFrame({"score": [float(r.i) for r in model_input]})

    @tm.typed
    def as_columns(model_input: list[IntRow]) -> list[Out]:
        return {"score": [float(r.i) for r in model_input]}

    @tm.typed
    def as_series(model_input: list[IntRow]) -> list[float]:
        return pd.Series([float(r.i) for r in model_input])

    rows = [{"i": 1}, {"i": 2}]
    assert as_frame(rows) == as_columns(rows) == [Out(score=1.0), Out(score=2.0)]
    assert as_series(rows) == [1.0, 2.0]


def test_a_different_number_of_output_rows_is_an_output_issue() -> None:
    @tm.typed
    def drops(model_input: list[IntRow]) -> list[float]:
        return [1.0]

    exc = _refused(lambda: drops([{"i": 1}, {"i": 2}]))
    assert [i.type for i in exc.issues] == ["output_rows"]
    assert "2" in str(exc)


def test_an_error_answer_lists_at_most_max_issues_and_checking_stops_there() -> None:
    from typedmodel.serve import create_app

    @tm.typed
    def predict(model_input: list[IntRow]) -> int:
        return len(model_input)

    bad = [{"i": "x"}] * 500
    reply = post(create_app(predict), {"inputs": bad})
    body = reply.json()
    assert reply.status == 400
    assert [issue["row"] for issue in body["issues"]] == list(range(100))  # the first ones
    assert body["stopped"] is True  # checking stopped at the limit: there are more
    assert "issue_count" not in body
    assert body["message"].startswith("at least 100 validation errors")
    small = post(create_app(predict, max_issues=3), {"inputs": bad[:2]}).json()
    assert len(small["issues"]) == 2
    assert "issue_count" not in small
    assert "stopped" not in small
    # In process there is no limit: every issue, as before.
    assert len(_refused(lambda: predict(bad)).issues) == 500


def test_checking_stops_at_the_issue_limit_on_the_columnar_path() -> None:
    from typedmodel.serve import create_app

    @tm.typed
    def predict(model_input: tm.Frame[IntRow]) -> int:
        return len(model_input)

    body = post(create_app(predict, max_issues=5), {"inputs": {"i": ["x"] * 1000}}).json()
    assert [issue["row"] for issue in body["issues"]] == [0, 1, 2, 3, 4]
    assert body["stopped"] is True


def test_a_float16_tensor_refuses_values_beyond_its_range() -> None:
    enforcer = SchemaEnforcer(tm.Schema([tm.TensorSpec("float16", (-1,))]))
    assert enforcer.validate([65504.0, 65519.0]).tolist() == [65504.0, 65504.0]
    for values in ([65520.0], np.array([-1e6])):
        exc = _refused(lambda v=values: enforcer.validate(v))
        assert [i.type for i in exc.issues] == ["number_range"]


def test_bytes_written_as_json_read_back_as_the_same_bytes() -> None:
    from typedmodel._json import jsonable

    @tm.typed
    def echo(model_input: list[bytes]) -> list[bytes]:
        return model_input

    raw = [b"\xfb\xff", bytes(range(256))]
    written = jsonable(echo(raw))
    assert written[0] == "+/8="  # the standard alphabet, as MLflow writes it
    assert echo(written) == raw
