"""Every path reads the same contract: generated row models and batches (valid, and just outside
the contract) get the same verdict, the same issues and the same values from ``list[Row]``,
``Frame[Row]``, an explicit ColSpec schema, the server and the rendered JSON Schema.

The number of examples comes from the Hypothesis profile (``tests/conftest.py``): a few hundred
by default, more with ``--hypothesis-profile=ci``.
"""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pydantic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import typedmodel as tm
from tests.asgi import post
from tests.strategies import FieldPlan, models_and_batches
from typedmodel._json import dumps
from typedmodel.validate import BatchValidator, FrameValidator, SchemaEnforcer

SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _json(value: Any) -> Any:
    """`value` as JSON carries it, or None where it can't (NaN and the infinities have no JSON:
    the NaN token reads as missing, by MLflow's rule)."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        return None


def _plain(value: Any) -> Any:
    """A cell as plain Python: numpy scalars as Python values, every kind of missing as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _outcome(validator: Any, batch: Any) -> tuple[str, Any]:
    """("ok", rows as dicts) or ("issues", [(row, loc, type, msg)])."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tm.TypedModelWarning)
        try:
            out = validator.validate(batch)
        except tm.ValidationError as exc:
            return "issues", [(i.row, i.loc, i.type, i.msg) for i in exc.issues]
    if isinstance(out, pd.DataFrame):
        records = out.astype(object).to_dict("records")
        return "ok", [{k: _plain(v) for k, v in r.items()} for r in records]
    # A float column's NaN is also its missing value: rows are compared the same way.
    return "ok", [{k: _plain(v) for k, v in r.model_dump().items()} for r in out]


def _typed_pair(a: Any, b: Any) -> Any:
    """Values compared with their types (an int is not a float here)."""
    if isinstance(a, list):
        return [_typed_pair(x, None) for x in a]
    if isinstance(a, dict):
        return {k: (type(v).__name__, v) for k, v in a.items()}
    return a


@SLOW
@given(models_and_batches())
def test_list_and_frame_agree_on_rows(case: tuple[Any, Any]) -> None:
    model, rows = case
    row_wise = _outcome(BatchValidator(model), rows)
    columnar = _outcome(FrameValidator(model), rows)
    assert columnar[0] == row_wise[0], (columnar, row_wise)
    if row_wise[0] == "ok":
        assert _typed_pair(columnar[1], None) == _typed_pair(row_wise[1], None)
    else:
        assert columnar[1] == row_wise[1]


@SLOW
@given(models_and_batches())
def test_list_and_frame_agree_on_a_dataframe(case: tuple[Any, Any]) -> None:
    model, rows = case
    if not all(isinstance(r, dict) for r in rows):
        return  # rows that aren't objects make no table (pandas 2 raises on them)
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(index=range(0))
    row_wise = _outcome(BatchValidator(model), frame)
    columnar = _outcome(FrameValidator(model), frame)
    assert columnar == row_wise


class _Double(pydantic.BaseModel):
    x: float


_TEXT_PATHS = {
    "list": BatchValidator(_Double),
    "frame": FrameValidator(_Double),
    "explicit": SchemaEnforcer(tm.Schema([tm.ColSpec("double", "x")])),
}

# Numbers as JSON writes them, and literals beyond a double (``1e400``) or near its limits.
_NUMBER_TEXTS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from([2**53 + 1, -(2**53) - 1, 2**53, 2**64, 10**308, 10**309]).map(str),
    st.floats(allow_nan=False).map(json.dumps),
    st.builds("{}e{}".format, st.integers(-99, 99), st.integers(-330, 330)),
    st.builds("{}.{}e{}".format, st.integers(0, 9), st.integers(0, 10**20), st.integers(300, 310)),
)


@SLOW
@given(_NUMBER_TEXTS, st.sampled_from(["{}", " {} ", "{}\n"]), st.sampled_from(sorted(_TEXT_PATHS)))
def test_a_number_as_text_is_read_as_the_number_it_writes(
    text: str, layout: str, path: str
) -> None:
    """A float field given a number's text (a CSV cell, a JSON string) agrees with the same
    field given that number as a JSON literal: the same value, or the same issue."""
    from typedmodel.serve.wire import BadRequest, read_json

    validator = _TEXT_PATHS[path]
    verdict, found = _outcome(validator, [{"x": layout.format(text)}])
    got = (verdict, [i[2] for i in found] if verdict == "issues" else found)
    try:
        literal = read_json(text.encode())  # "Infinity" is JSON's infinity
    except BadRequest:  # the body's fault (a literal beyond every type): refused either way
        assert verdict == "issues", (text, got)
        return
    verdict, found = _outcome(validator, [{"x": literal}])
    expected = (verdict, [i[2] for i in found] if verdict == "issues" else found)
    assert got == expected, (text, got, expected)


_INT_DTYPES = {
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
    "int32": (-(2**31), 2**31 - 1),
}


@st.composite
def _int_arrays(draw: st.DrawFn) -> np.ndarray:
    name = draw(st.sampled_from(sorted(_INT_DTYPES)))
    low, high = _INT_DTYPES[name]
    # near the powers of two where floats stop holding every integer, and the dtype's ends
    edges = [e for k in (24, 53, 63, 64) for e in (2**k - 1, 2**k, 2**k + 1, -(2**k))]
    near = st.sampled_from([e for e in (*edges, low, high) if low <= e <= high])
    values = draw(st.lists(st.integers(low, high) | near, min_size=1, max_size=8))
    return np.array(values, dtype=name)


@SLOW
@given(_int_arrays(), st.sampled_from([tm.DataType.double, tm.DataType.float]))
def test_the_array_rule_for_ints_in_floats_is_the_value_rule(
    array: np.ndarray, dtype: tm.DataType
) -> None:
    """Which integers a float type holds: the vectorised rule (columns and tensors) says it of
    every value as `number` says it of each."""
    from typedmodel.schema.rules import LossyNumber, number, rule
    from typedmodel.validate._numbers import ints_held

    def held(value: int) -> bool:
        try:
            number(dtype, value)
        except LossyNumber:
            return False
        return True

    got = ints_held(array, np.dtype(rule(dtype).numpy)).tolist()
    assert got == [held(int(v)) for v in array.tolist()], array


_CSV_TOKENS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats().map(repr),
    st.sampled_from(["", "inf", "nan", "NA", "1e400", '"1,5"', '"', " 7 ", "1_0", "True", "+-5"]),
    st.sampled_from(["18446744073709551616", "-99999999999999999999", "\u0661\u0662"]),
    st.text(max_size=4),
)


@SLOW
@given(
    st.lists(st.lists(_CSV_TOKENS, min_size=1, max_size=4), min_size=1, max_size=4),
    st.sampled_from(["x", "x,i", "x,x.1", "i,x,x"]),
)
def test_any_csv_body_is_answered_or_refused(rows: list[list[str]], header: str) -> None:
    """Malformed CSV, ragged rows, numbers of every size: a 200 or a 400, never a 500."""
    from tests.asgi import call
    from typedmodel.serve import create_app

    def columnar(model_input: tm.Frame[_Numbers]) -> list[float]:
        return [float(x) for x in model_input["x"]]

    body = (header + "\n" + "".join(",".join(r) + "\n" for r in rows)).encode()
    app = create_app(tm.typed(columnar))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tm.TypedModelWarning)  # columns dropped
        reply = call(app, "POST", "/invocations", body, {"content-type": "text/csv"})
    assert reply.status in (200, 400), (body, reply)


class _Numbers(pydantic.BaseModel):
    x: float
    i: int


_CELLS = st.one_of(
    st.none(),
    st.integers(-(2**64), 2**64),
    st.sampled_from([2**53, 2**53 + 1, -(2**53) - 1, 2**63 - 1, 2**63, 0, 7]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.5, 2.0, 1e300, -2.5]),
)


def _cell(value: Any) -> str:
    return "" if value is None else json.dumps(value)


@SLOW
@given(st.lists(st.tuples(_CELLS, _CELLS), min_size=1, max_size=4), st.booleans())
def test_a_csv_body_agrees_with_the_same_table_in_json(
    rows: list[tuple[Any, Any]], row_wise: bool
) -> None:
    """CSV carries numbers as text, and pandas types each column: the server's answer to a CSV
    table is its answer to the same table sent as JSON."""
    from tests.asgi import call
    from typedmodel.serve import create_app

    if row_wise:

        def predict(model_input: list[_Numbers]) -> list[dict[str, Any]]:
            return [r.model_dump() for r in model_input]

    else:

        def predict(model_input: tm.Frame[_Numbers]) -> list[dict[str, Any]]:  # type: ignore[misc]
            return model_input.astype(object).to_dict("records")

    app = create_app(tm.typed(predict))
    csv = "x,i\n" + "".join(f"{_cell(x)},{_cell(i)}\n" for x, i in rows)
    table = {"dataframe_split": {"columns": ["x", "i"], "data": [list(r) for r in rows]}}
    as_csv = call(app, "POST", "/invocations", csv.encode(), {"content-type": "text/csv"})
    as_json = post(app, table)
    assert as_csv.status == as_json.status, (csv, as_csv, as_json)
    if as_json.status == 200:
        assert as_csv.json() == as_json.json()
    else:
        # An empty cell is CSV's only way to leave a value out: missing, where JSON's null is a
        # value of the wrong type. Both are refused, at the same place.
        def cell(issue: dict[str, Any]) -> Any:
            return rows[issue["row"]][["x", "i"].index(issue["loc"][0])]

        def found(reply: Any) -> list[tuple[Any, ...]]:
            return [
                (i["row"], i["loc"], "missing" if cell(i) is None else i["type"])
                for i in reply.json()["issues"]
            ]

        assert found(as_csv) == found(as_json), csv


class _Mixed(pydantic.BaseModel):
    i: int
    x: float
    s: str
    b: bool = False
    tags: list[int] = []


_MIXED_KEYS = ["i", "x", "s", "b", "tags"]
_ANY_CELL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.sampled_from([2**53 + 1, 2**63, 0, 1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=3),
    st.sampled_from(["1", "1.5", "true"]),
    st.lists(st.integers(-3, 3), max_size=2),
)


def _answer(app: Any, body: Any) -> tuple[int, Any]:
    reply = post(app, body)
    if reply.status == 200:
        return 200, reply.json()["predictions"]
    assert reply.status == 400, reply
    return 400, [(i["row"], i["loc"], i["type"]) for i in reply.json()["issues"]]


@SLOW
@given(
    st.lists(st.fixed_dictionaries(dict.fromkeys(_MIXED_KEYS, _ANY_CELL)), min_size=1, max_size=3)
)
def test_every_form_of_a_table_gets_the_same_answer(table: list[dict[str, Any]]) -> None:
    """One table sent as ``dataframe_split``, ``dataframe_records``, ``inputs`` of columns and
    ``inputs`` of rows: the same answer, from a ``list[Row]`` and a ``Frame[Row]`` model
    alike. (A row dict's null is a value; a table's null is a missing cell: the rows form is
    compared only without nulls.)"""
    from typedmodel.serve import create_app

    def row_wise(model_input: list[_Mixed]) -> list[int]:
        return [r.i for r in model_input]

    def columnar(model_input: tm.Frame[_Mixed]) -> list[int]:
        return [int(i) for i in model_input["i"]]

    forms = {
        "split": {
            "dataframe_split": {
                "columns": _MIXED_KEYS,
                "data": [[r[k] for k in _MIXED_KEYS] for r in table],
            }
        },
        "records": {"dataframe_records": table},
        "columns": {"inputs": {k: [r[k] for r in table] for k in _MIXED_KEYS}},
    }
    if all(v is not None for r in table for v in r.values()):
        forms["rows"] = {"inputs": table}
    answers = {
        (kind, form): _answer(app, body)
        for kind, app in (
            ("list", create_app(tm.typed(row_wise))),
            ("frame", create_app(tm.typed(columnar))),
        )
        for form, body in forms.items()
    }
    first = next(iter(answers.values()))
    assert all(a == first for a in answers.values()), (table, answers)


@SLOW
@given(models_and_batches())
def test_accepted_values_are_the_inputs_values(case: tuple[Any, Any]) -> None:
    model, rows = case
    verdict, out = _outcome(BatchValidator(model), rows)
    if verdict != "ok":
        return
    kinds = {plan.name: plan.kind for plan in model.__plans__}
    for given_row, validated in zip(rows, out, strict=True):
        for key, value in given_row.items():
            lax = kinds.get(key) == "bool" and not isinstance(value, bool)  # "yes", 1: lax
            numeric = kinds.get(key) in ("int", "float") and isinstance(value, str)
            if numeric and key in validated:  # a number's text: that number, exactly
                literal = value.strip()
                written = int(literal) if literal.lstrip("+-").isdigit() else float(literal)
                assert validated[key] == written, (key, value, validated[key])
            elif isinstance(value, float) and math.isnan(value):
                assert validated.get(key, None) is None  # NaN, compared as missing (_outcome)
            elif key in validated and not lax:
                assert validated[key] == value, (key, value, validated[key])
                if isinstance(value, int) and isinstance(validated[key], float):
                    assert int(validated[key]) == value  # exactly, not rounded


@SLOW
@given(models_and_batches(closed=False))
def test_an_explicit_schema_agrees_with_frame(case: tuple[Any, Any]) -> None:
    model, rows = case

    @tm.typed
    def predict(model_input: tm.Frame[model]) -> int:  # type: ignore[valid-type]
        return len(model_input)

    schema = tm.signature_of(predict).inputs
    explicit = SchemaEnforcer(schema)
    # Rows that aren't objects make no table (pandas 2 raises on them). Frame[Row] names each
    # such row as list[Row] does; the explicit schema has no model to name, and refuses the
    # batch as a whole.
    objects = all(isinstance(r, dict) for r in rows)
    tables = [pd.DataFrame(rows) if rows else pd.DataFrame(index=range(0))] if objects else []
    for batch in (rows, *tables):
        columnar = _outcome(FrameValidator(model), batch)
        enforced = _outcome(explicit, batch)
        assert enforced[0] == columnar[0], (enforced, columnar)
        if columnar[0] == "issues" and objects:
            assert [i[:3] for i in enforced[1]] == [i[:3] for i in columnar[1]]


@SLOW
@given(models_and_batches())
def test_the_server_agrees_with_predict(case: tuple[Any, Any]) -> None:
    from typedmodel.serve import create_app

    model, rows = case

    @tm.typed
    def predict(model_input: list[model]) -> list[dict[str, Any]]:  # type: ignore[valid-type]
        return [r.model_dump() for r in model_input]

    if _json(rows) != rows:
        return  # a value JSON can't carry: checked in process only
    verdict, expected = _outcome(BatchValidator(model), rows)
    reply = post(create_app(predict), {"inputs": rows})
    if verdict == "ok":
        assert reply.status == 200, reply
        # (written by the server's one encoder: an infinity, from the text "inf", is null)
        assert reply.json() == {"predictions": json.loads(dumps(expected))}
    else:
        assert reply.status == 400, reply
        got = [(i["row"], tuple(i["loc"]), i["type"], i["msg"]) for i in reply.json()["issues"]]
        assert got == expected


def _lax(plans: list[FieldPlan], row: dict[str, Any]) -> bool:
    """Whether a row leans on what JSON Schema can't say: pydantic's lax bools (``1``,
    ``"yes"``) and numbers as text, and integers a double can't hold exactly."""
    if not isinstance(row, dict):
        return False
    for plan in plans:
        value = row.get(plan.name)
        if plan.kind == "bool" and not isinstance(value, bool) and value is not None:
            return True
        if plan.kind == "float" and isinstance(value, int) and abs(value) > 2**53:
            return True
        if plan.kind in ("int", "float") and isinstance(value, str):  # "1.5": lax
            return True
    return False


@SLOW
@given(models_and_batches())
def test_the_json_schema_agrees_with_the_validator(case: tuple[Any, Any]) -> None:
    from jsonschema import Draft202012Validator

    from typedmodel.docs import render_docs

    model, rows = case

    @tm.typed
    def predict(model_input: list[model]) -> int:  # type: ignore[valid-type]
        return len(model_input)

    document = json.loads(render_docs(predict, format="json-schema"))
    row_schema = Draft202012Validator({**document, "$ref": "#/$defs/row"})
    plans: list[FieldPlan] = model.__plans__
    for row in rows:
        if _lax(plans, row):
            continue
        try:
            BatchValidator(model).validate([row])
            accepted = True
        except tm.ValidationError:
            accepted = False
        assert row_schema.is_valid(row) is accepted, (row, document["$defs"]["row"])


def test_the_generators_reach_both_verdicts() -> None:
    """The agreement tests above are only as good as their inputs: both verdicts occur."""
    seen: set[str] = set()

    @settings(max_examples=100, deadline=None, database=None)
    @given(models_and_batches())
    def collect(case: tuple[Any, Any]) -> None:
        model, rows = case
        if rows:
            seen.add(_outcome(BatchValidator(model), rows)[0])

    collect()
    assert seen == {"ok", "issues"}


def test_a_pydantic_model_is_the_reference_of_the_row_validator() -> None:
    class Row(pydantic.BaseModel):
        a: int

    assert _outcome(BatchValidator(Row), [{"a": 1}]) == ("ok", [{"a": 1}])


# ---------------------------------------------------------------------------------------------
# The fast column check gives what the full checks give
# ---------------------------------------------------------------------------------------------

_ARRAY_DTYPES = [
    "int8",
    "int32",
    "int64",
    "uint8",
    "uint64",
    "float16",
    "float32",
    "float64",
    "bool",
]


@st.composite
def columns_and_arrays(draw: st.DrawFn) -> tuple[Any, Any]:
    from typedmodel.validate.explicit import _plan

    dtype = draw(st.sampled_from(["long", "integer", "double", "float", "boolean", "string"]))
    bounds: dict[str, Any] = {}
    if dtype in ("long", "integer", "double", "float") and draw(st.booleans()):
        name = draw(st.sampled_from(["ge", "gt", "le", "lt"]))
        bounds[name] = draw(st.integers(-3, 3)) if dtype in ("long", "integer") else 0.5
    required = draw(st.booleans())
    spec = tm.ColSpec(
        dtype,
        "c",
        required=required,
        nullable=draw(st.booleans()),
        default=draw(st.sampled_from([tm.MISSING, None])) if not required else tm.MISSING,
        constraints=tm.Constraints(**bounds),
    )
    n = draw(st.integers(0, 5))
    if dtype == "string" or draw(st.integers(0, 6)) == 0:
        cells = draw(st.lists(st.one_of(st.text(max_size=2), st.none()), min_size=n, max_size=n))
        values: Any = np.array(cells, dtype=object)
        if draw(st.booleans()):
            values = pd.array(cells, dtype="str" if pd.__version__ >= "3" else "string")
        return _plan(spec, 0), values
    kind = draw(st.sampled_from(_ARRAY_DTYPES))
    info = np.iinfo(kind) if kind[0] in "iu" else None
    if info is not None:
        small = st.integers(max(-3, int(info.min)), 3)
        ints = st.one_of(st.integers(int(info.min), int(info.max)), small)
        values = np.array(draw(st.lists(ints, min_size=n, max_size=n)), dtype=kind)
    elif kind == "bool":
        values = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    else:
        floats = st.one_of(
            st.floats(width=int(kind[5:]), allow_nan=True, allow_infinity=True),
            st.sampled_from([0.0, 0.5, 3.0, 2.0**63, 1e39, -1e39]),
        )
        with np.errstate(over="ignore"):
            values = np.array(draw(st.lists(floats, min_size=n, max_size=n)), dtype=kind)
    return _plan(spec, 0), values


@SLOW
@given(columns_and_arrays())
def test_the_fast_column_agrees_with_the_full_checks(case: tuple[Any, Any]) -> None:
    from typedmodel.validate.columns import TableValidator, _cast_together, _fast_column

    plan, values = case
    fast = _fast_column(plan, values)
    if fast is None:
        return  # the full checks decide
    arrays = [fast, fast]  # a cast to do, done as it is done for a block of two columns
    _cast_together(arrays, len(values))
    assert arrays[0] is fast or arrays[0].base is arrays[1].base is not None
    fast = arrays[0]
    full, issues = TableValidator([plan])._column(plan, values, False, None)
    assert issues == []
    assert fast.dtype == full.dtype
    assert pd.Series(fast).equals(pd.Series(full))


class _Text(str):
    pass


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text")


_CELLS = st.one_of(
    st.text(max_size=3),
    st.text(max_size=3).map(np.str_),
    st.text(max_size=3).map(_Text),
    st.sampled_from([None, math.nan, pd.NA, pd.NaT, b"x", 1, 1.5, True, [1], {"k": 1}]),
    st.builds(_Unprintable),
)


@SLOW
@given(st.lists(_CELLS, max_size=12), st.integers(1, 5), st.booleans())
def test_an_all_strings_column_is_what_infer_dtype_calls_strings(
    cells: list[Any], chunk: int, writeable: bool
) -> None:
    from typedmodel.validate import columns

    values = np.empty(len(cells), dtype=object)
    values[:] = cells
    before = list(values)
    values.flags.writeable = writeable
    expected = pd.api.types.infer_dtype(values, skipna=False) == "string"
    saved = columns._STR_CHUNK
    columns._STR_CHUNK = chunk  # a chunk's boundary anywhere in the column
    try:
        found = columns._objects_all_str(values)
    finally:
        columns._STR_CHUNK = saved
    assert found == expected
    assert all(a is b for a, b in zip(values, before, strict=True))  # the column is untouched


@SLOW
@given(models_and_batches(), st.integers(1, 4))
def test_an_issue_limit_gives_the_first_issues_of_the_full_check(
    case: tuple[Any, Any], limit: int
) -> None:
    from typedmodel.validate._common import issue_limit

    model, rows = case
    for validator in (BatchValidator(model), FrameValidator(model)):
        full = _outcome(validator, rows)
        with issue_limit(limit):
            limited = _outcome(validator, rows)
            try:
                validator.validate(rows)
                stopped = None
            except tm.ValidationError as exc:
                stopped = exc.stopped
        if full[0] == "ok":
            assert limited == full
        else:
            assert limited == ("issues", full[1][:limit]), (validator, limited, full)
            assert stopped == (len(full[1]) > limit)


class _Named(pydantic.BaseModel):
    s: str | None = None
    n: int = 0


# pandas' words for a missing cell (its default na_values), which CSV reads as missing
_NA_WORDS = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
     "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)  # fmt: skip


@SLOW
@given(st.lists(st.text(max_size=6), min_size=1, max_size=4), st.booleans())
def test_a_csv_string_column_agrees_with_the_same_strings_in_json(
    cells: list[str], row_wise: bool
) -> None:
    """A column the signature declares a string is read as its cells' text: the answer to
    a CSV table is the answer to the same strings in JSON (pandas' missing words: null)."""
    import csv
    import io

    from tests.asgi import call
    from typedmodel.serve import create_app

    if row_wise:

        def predict(model_input: list[_Named]) -> list[str | None]:
            return [r.s for r in model_input]

    else:

        def predict(model_input: tm.Frame[_Named]) -> list[str | None]:  # type: ignore[misc]
            return [None if pd.isna(v) else v for v in model_input["s"]]

    app = create_app(tm.typed(predict))
    out = io.StringIO()
    writer = csv.writer(out)  # (lines end in CRLF: a field with a CR or LF is quoted)
    writer.writerow(["s", "n"])
    writer.writerows([c, i] for i, c in enumerate(cells))
    as_csv = call(
        app, "POST", "/invocations", out.getvalue().encode(), {"content-type": "text/csv"}
    )
    rows = [{"s": None if c in _NA_WORDS else c, "n": i} for i, c in enumerate(cells)]
    as_json = post(app, {"dataframe_records": rows})
    assert (as_csv.status, as_csv.json()) == (as_json.status, as_json.json()), out.getvalue()
