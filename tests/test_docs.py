"""render_docs: Markdown, HTML, JSON Schema and OpenAPI from the schema tree.

Snapshots live in ``tests/snapshots/docs/``; after a deliberate change to the output, rewrite
them with ``TYPEDMODEL_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_docs.py`` and review the
diff.
"""

from __future__ import annotations

import asyncio
import enum
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pydantic
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator

import typedmodel as tm
from tests.strategies import signatures
from typedmodel.docs import _examples, _jsonschema, _text, render_docs
from typedmodel.schema import NODE_KINDS
from typedmodel.schema import visitor as _visitor
from typedmodel.serve.mlflow_protocol import REQUEST_KEYS, parse_request
from typedmodel.validate import SchemaEnforcer

SNAPSHOTS = Path(__file__).parent / "snapshots" / "docs"
UPDATE = os.environ.get("TYPEDMODEL_UPDATE_SNAPSHOTS") == "1"
EXTENSIONS = {
    "markdown": "md",
    "html": "html",
    "json-schema": "schema.json",
    "openapi": "openapi.json",
}
FORMATS = tuple(EXTENSIONS)

# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


class Segment(enum.Enum):
    retail = "retail"
    business = "business"


class Address(pydantic.BaseModel):
    city: str = pydantic.Field(min_length=1, description="City | town")
    postcode: str = pydantic.Field(pattern=r"^\d{5}$", description="Five digits")


class Applicant(pydantic.BaseModel):
    name: str = pydantic.Field(min_length=1, max_length=40)
    age: int = pydantic.Field(ge=0, le=130, description="Age in whole years")
    income: float = pydantic.Field(gt=0, description="Yearly income, in <EUR>")
    kind: Literal["new", "returning"] = "new"
    segment: Segment = Segment.retail
    address: Address
    note: str | None = None
    tags: list[str] = pydantic.Field(default_factory=list, max_length=5)


class Score(pydantic.BaseModel):
    score: float
    band: Literal["low", "high"]


class ScoreParams(pydantic.BaseModel):
    threshold: float = 0.5
    top_k: int = 3
    stops: list[str] = []


class Scorer(tm.PythonModel):
    """Scores credit applicants.

    A higher score is a better applicant.
    """

    def predict(
        self, context: Any, model_input: list[Applicant], params: ScoreParams | None = None
    ) -> list[Score]:
        threshold = params.threshold if params is not None else 0.5
        out = []
        for a in model_input:
            score = a.age * 0.01 + a.income * 1e-6
            out.append(Score(score=score, band="high" if score > threshold else "low"))
        return out


@tm.typed
class WeightedSum:
    def predict(self, model_input: list[dict[str, float]]) -> list[float]:
        """Sum each row's features."""
        return [sum(row.values()) for row in model_input]


@tm.typed
def lengths(model_input: list[str]) -> list[int]:
    """Count the characters of each string."""
    return [len(s) for s in model_input]


class Undocumented(tm.PythonModel):
    def predict(self, context: Any, model_input: list[str]) -> list[str]:
        return model_input


COLUMNS = tm.ModelSignature(
    inputs=tm.Schema(
        [
            tm.ColSpec(
                "long", "age", description="Age | in years", constraints=tm.Constraints(ge=0)
            ),
            tm.ColSpec(
                tm.Array(
                    tm.Object(
                        [
                            tm.Property("x", "double", description="Across"),
                            tm.Property("y", "double"),
                            tm.Property("meta", tm.Map("string"), required=False),
                        ]
                    )
                ),
                "points",
                description="<b>Points</b> of the path",
                constraints=tm.Constraints(min_length=1),
            ),
            tm.ColSpec(tm.Map(tm.Array("long")), "counts", required=False),
            tm.ColSpec(tm.UnionType(["long", "string"]), "id"),
            tm.ColSpec(tm.LiteralType(["a", "b"]), "grade", required=False, default="a"),
            tm.ColSpec(tm.AnyType(), "extra", required=False),
            tm.ColSpec("datetime", "when", required=False),
        ]
    ),
    outputs=tm.Schema([tm.ColSpec("double", "score"), tm.ColSpec("string", "label")]),
    params=tm.ParamSchema(
        [
            tm.ParamSpec(
                "temperature",
                "double",
                0.7,
                constraints=tm.Constraints(ge=0, le=2),
                description="Sampling | temperature",
            ),
            tm.ParamSpec("stop", "string", [], shape=(-1,)),
            tm.ParamSpec("options", tm.Object([tm.Property("beam", "long")]), {"beam": 2}),
        ]
    ),
)

TENSORS = tm.ModelSignature(
    inputs=tm.Schema(
        [
            tm.TensorSpec(np.float32, (-1, 64, 64, 3), "image"),
            tm.TensorSpec(np.int64, (-1, 2), "box"),
        ]
    ),
    outputs=tm.Schema([tm.TensorSpec(np.float32, (-1, 10))]),
    params=tm.ParamSchema([tm.ParamSpec("top_k", "long", 1)]),
)

SMALL_TENSOR = tm.ModelSignature(inputs=tm.Schema([tm.TensorSpec("float64", (-1, 3))]))

ROW = {
    "name": "Ada",
    "age": 36,
    "income": 52000.0,
    "address": {"city": "Paris", "postcode": "75001"},
}


@pytest.fixture
def saved_scorer(tmp_path: Path) -> Path:
    path = tmp_path / "scorer"
    tm.save_model(Scorer(), path, input_example=([ROW], {"threshold": 0.4}))
    return path


CASES: dict[str, Any] = {
    "scorer": Scorer,
    "weighted_sum": WeightedSum,
    "lengths": lengths,
    "columns": COLUMNS,
    "tensors": TENSORS,
}


def _target(case: str, request: pytest.FixtureRequest) -> Any:
    if case == "saved_scorer":
        return request.getfixturevalue("saved_scorer")
    return CASES[case]


ALL_CASES = [*CASES, "saved_scorer"]


def _schema(obj: Any) -> dict[str, Any]:
    return json.loads(render_docs(obj, format="json-schema"))  # type: ignore[no-any-return]


def _openapi(obj: Any) -> dict[str, Any]:
    return json.loads(render_docs(obj, format="openapi"))  # type: ignore[no-any-return]


def _sub_validator(document: dict[str, Any], name: str) -> Draft202012Validator:
    """A validator for one of the document's $defs, resolving its references."""
    return Draft202012Validator({**document, "$ref": f"#/$defs/{name}"})


# ---------------------------------------------------------------------------------------------
# Snapshots: one per model and format
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", ALL_CASES)
def test_snapshot(case: str, fmt: str, request: pytest.FixtureRequest) -> None:
    text = render_docs(_target(case, request), format=fmt)
    file = SNAPSHOTS / f"{case}.{EXTENSIONS[fmt]}"
    if UPDATE:
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
    assert file.is_file(), f"no snapshot {file}: run with TYPEDMODEL_UPDATE_SNAPSHOTS=1"
    assert text == file.read_text(encoding="utf-8"), (
        f"{case} {fmt} differs from {file}; if the change is meant, rerun with "
        "TYPEDMODEL_UPDATE_SNAPSHOTS=1 and review the diff"
    )


def test_snapshots_have_no_strays() -> None:
    expected = {f"{case}.{ext}" for case in ALL_CASES for ext in EXTENSIONS.values()}
    assert {p.name for p in SNAPSHOTS.iterdir()} == expected


def test_output_is_the_same_in_another_process() -> None:
    code = (
        "from tests.test_docs import Scorer, COLUMNS; from typedmodel.docs import render_docs; "
        "print(''.join(render_docs(o, format=f) for o in (Scorer, COLUMNS) "
        "for f in ('markdown', 'html', 'json-schema', 'openapi')))"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            cwd=Path(__file__).parent.parent,
        )
        outputs.add(done.stdout)
    here = "".join(render_docs(o, format=f) for o in (Scorer, COLUMNS) for f in FORMATS)
    assert outputs == {here + "\n"}


# ---------------------------------------------------------------------------------------------
# The public function: objects and formats
# ---------------------------------------------------------------------------------------------


def test_unknown_format_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown docs format 'pdf'") as info:
        render_docs(Scorer, format="pdf")
    for name in FORMATS:
        assert name in str(info.value)


def test_format_is_checked_before_the_object() -> None:
    with pytest.raises(ValueError, match="markdown, html, json-schema, openapi"):
        render_docs(object(), format="yaml")


def test_an_object_without_signature_is_a_schema_error() -> None:
    class Plain:
        def predict(self, model_input):  # type: ignore[no-untyped-def]
            return model_input

    with pytest.raises(tm.SchemaError, match="no signature"):
        render_docs(Plain)


def test_class_instance_and_function_titles_and_docstrings() -> None:
    md = render_docs(Scorer())
    assert md.startswith("# Scorer\n\nScores credit applicants.\n\nA higher score is a better")
    assert render_docs(lengths).startswith("# lengths\n\nCount the characters of each string.\n")
    # Without a class docstring, predict's; never PythonModel's own docstring.
    assert render_docs(WeightedSum).startswith("# WeightedSum\n\nSum each row's features.\n")
    undocumented = render_docs(Undocumented)
    assert undocumented.startswith("# Undocumented\n\n## Inputs\n")
    assert "Base class" not in undocumented


def test_docstring_examples_run() -> None:
    import doctest

    import typedmodel.docs

    result = doctest.testmod(typedmodel.docs)
    assert result.attempted >= 4
    assert result.failed == 0


def test_signature_title() -> None:
    assert render_docs(COLUMNS).startswith("# Model\n\n## Inputs\n")


def test_instance_and_class_give_the_same_docs() -> None:
    for fmt in FORMATS:
        assert render_docs(Scorer(), format=fmt) == render_docs(Scorer, format=fmt)


# ---------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------


def _cells(line: str) -> list[str]:
    """A Markdown table row's cells (a pipe escaped as \\| stays inside its cell)."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def _tables(md: str) -> list[list[list[str]]]:
    tables, current = [], []
    for line in [*md.splitlines(), ""]:
        if line.startswith("|"):
            current.append(_cells(line))
        elif current:
            tables.append(current)
            current = []
    return tables


def _type_cell(md: str, name: str) -> str:
    for table in _tables(md):
        for row in table[2:]:
            if row[0] == f"`{name}`":
                return row[1]
    raise AssertionError(f"no row for {name!r}")


def _assert_tables_well_formed(md: str) -> None:
    for table in _tables(md):
        header, rule, *rows = table
        assert all(c == "---" for c in rule)
        assert len(rule) == len(header)
        for row in rows:
            assert len(row) == len(header), row


def _assert_links_resolve(page: str, link: str, target: str) -> None:
    links = set(re.findall(link, page))
    anchors = re.findall(target, page)
    assert len(anchors) == len(set(anchors)), "duplicate anchors"
    assert links <= set(anchors), links - set(anchors)


@pytest.mark.parametrize(
    ("dtype", "text"),
    [
        ("double", "`double`"),
        (tm.Array("double"), "`list[double]`"),
        (tm.Array("float"), "`list[float]`"),
        (tm.Map("double"), "`map<str, double>`"),
        (tm.Map(tm.Array("long")), "`map<str, list[long]>`"),
        (tm.LiteralType(["a", "b"]), '`"a"` \\| `"b"`'),
        (tm.LiteralType([1, True]), "`1` \\| `true`"),
        (tm.UnionType(["long", "string"]), "`long` \\| `string`"),
        (tm.Array(tm.UnionType(["long", "string"])), "`list[long` \\| `string]`"),
        (tm.AnyType(), "`any`"),
        (tm.Object([tm.Property("a", "long")]), "[`object`](#inputs-c)"),
        (tm.Array(tm.Object([tm.Property("a", "long")])), "`list[`[`object`](#inputs-c)`]`"),
    ],
)
def test_readable_types(dtype: Any, text: str) -> None:
    md = render_docs(tm.ModelSignature(inputs=tm.Schema([tm.ColSpec(dtype, "c")])))
    assert _type_cell(md, "c") == text


def test_tensor_types() -> None:
    md = render_docs(TENSORS)
    assert _type_cell(md, "image") == "`tensor float32 [-1, 64, 64, 3]`"
    assert _type_cell(md, "box") == "`tensor int64 [-1, 2]`"
    assert "| (unnamed) | `tensor float32 [-1, 10]` |" in md


def test_markdown_fields_required_defaults_constraints_descriptions() -> None:
    md = render_docs(Scorer)
    rows = {row[0]: row for table in _tables(md) for row in table[2:]}
    assert rows["`age`"] == [
        "`age`",
        "`long`",
        "yes",
        "",
        "`>= 0`, `<= 130`",
        "Age in whole years",
    ]
    assert rows["`income`"][4:] == ["`> 0`", "Yearly income, in &lt;EUR>"]
    assert rows["`name`"][4] == "`min length 1`, `max length 40`"
    assert rows["`kind`"][1:4] == ['`"new"` \\| `"returning"`', "no", '`"new"`']
    assert rows["`segment`"][1:4] == ['`"retail"` \\| `"business"`', "no", '`"retail"`']
    assert rows["`note`"][1:3] == ["`string`", "no"]
    assert rows["`tags`"][1:5] == ["`list[string]`", "no", "`[]`", "`max length 5`"]
    assert rows["`postcode`"][4:] == ["`pattern ^\\d{5}$`", "Five digits"]
    assert rows["`city`"][5] == "City \\| town"
    # the params table
    assert rows["`threshold`"] == ["`threshold`", "`double`", "`0.5`", "", ""]
    assert rows["`stops`"] == ["`stops`", "`list[string]`", "`[]`", "", ""]


def test_nested_objects_get_linked_sub_tables() -> None:
    md = render_docs(Scorer)
    assert "| `address` | [`object`](#inputs-address) | yes |" in md
    assert '### <a id="inputs-address"></a>Fields of `address`' in md
    # outputs and params have their own tables and anchors
    assert "## Outputs" in md
    assert "| `band` |" in md
    columns = render_docs(COLUMNS)
    assert "| `points` | `list[`[`object`](#inputs-points)`]` |" in columns
    assert '### <a id="params-options"></a>Fields of `options`' in columns
    for text in (md, columns):
        _assert_links_resolve(text, r"\]\(#([^)]+)\)", r'<a id="([^"]+)"></a>')


def test_sub_table_anchors_are_unique() -> None:
    inner = tm.Object([tm.Property("v", "long")])
    sig = tm.ModelSignature(
        inputs=tm.Schema(
            [
                tm.ColSpec(tm.Object([tm.Property("b", inner)]), "a"),
                tm.ColSpec(inner, "a.b"),
                tm.ColSpec(tm.UnionType([inner, tm.Object([tm.Property("w", "long")])]), "u"),
            ]
        ),
        outputs=tm.Schema([tm.ColSpec(inner, "a")]),
    )
    md = render_docs(sig)
    anchors = re.findall(r'<a id="([^"]+)"></a>', md)
    assert anchors == [
        "inputs-a",
        "inputs-a-b",
        "inputs-u",
        "inputs-u-2",
        "inputs-a-b-2",
        "outputs-a",
    ]
    _assert_links_resolve(md, r"\]\(#([^)]+)\)", r'<a id="([^"]+)"></a>')


def test_markdown_tables_survive_awkward_names() -> None:
    sig = tm.ModelSignature(
        inputs=tm.Schema(
            [
                tm.ColSpec("string", "a|b", description="line one\nline | two"),
                tm.ColSpec("string", "tick`s", description="<script>x</script>"),
                tm.ColSpec(tm.LiteralType(["x|y", "`"]), "lit"),
            ]
        )
    )
    md = render_docs(sig)
    _assert_tables_well_formed(md)
    assert "| `a\\|b` | `string` | yes |  |  | line one line \\| two |" in md
    assert "| ``tick`s`` |" in md
    assert "&lt;script>x&lt;/script>" in md
    assert "<script>" not in md


def test_markdown_example_request_and_curl() -> None:
    md = render_docs(Scorer)
    body = json.loads(md.split("## Example request")[1].split("```json\n")[1].split("```")[0])
    assert set(body) == {"inputs", "params"}
    assert body["params"] == {"threshold": 0.5, "top_k": 3, "stops": []}
    assert (
        "curl -X POST http://127.0.0.1:5000/invocations "
        "-H 'Content-Type: application/json' -d @request.json"
    ) in md
    assert "Start the server with `typedmodel serve TARGET`" in md
    assert "Generated from the schema." in md
    assert '"predictions"' in md
    assert "`400`" in md


def test_generated_examples_are_accepted_by_the_model() -> None:
    body = json.loads(render_docs(Scorer, format="openapi"))["paths"]["/invocations"]["post"]
    example = body["requestBody"]["content"]["application/json"]["example"]
    data, params = parse_request(example, records=True)
    scores = Scorer().predict(data, params=params)
    assert len(scores) == 1
    # hints without constraints, and explicit column schemas
    assert WeightedSum().predict(_generated(WeightedSum)["inputs"]) == [1.0]
    assert lengths(_generated(lengths)["inputs"]) == [6]
    frame = SchemaEnforcer(COLUMNS.inputs).validate(_generated(COLUMNS)["inputs"])
    assert list(frame.columns) == ["age", "points", "counts", "id", "grade", "extra", "when"]
    tensors = SchemaEnforcer(SMALL_TENSOR.inputs).validate(_generated(SMALL_TENSOR)["inputs"])
    assert tensors.shape == (1, 3)


def _generated(obj: Any) -> dict[str, Any]:
    return _schema(obj)["$defs"]["request"]["examples"][0]  # type: ignore[no-any-return]


def test_examples_respect_constraints() -> None:
    c = tm.Constraints
    cases = [
        ("long", c(ge=5), 5),
        ("long", c(gt=5), 6),
        ("long", c(lt=0), -1),
        ("long", c(le=-3), -3),
        ("long", c(ge=10, multiple_of=4), 12),
        ("double", c(gt=0, lt=0.5), 0.25),
        ("double", c(ge=2.5), 2.5),
        ("double", c(le=-1.0), -1.0),
        ("string", c(min_length=10), "stringstri"),
        ("string", c(max_length=3), "str"),
        ("string", c(pattern=r"^[A-Z]{2}-\d+$"), "AA-0"),
        ("string", c(pattern=r"^(?:cat|dog)s?$"), "cat"),
        ("string", c(pattern=r"(?=lookahead)"), "string"),  # beyond the generator: no crash
        (tm.Array("long"), c(min_length=2), [1, 1]),
        (tm.Map("long"), c(min_length=2), {"key": 1, "key2": 1}),
    ]
    for dtype, constraints, expected in cases:
        sig = tm.ModelSignature(inputs=tm.Schema([tm.ColSpec(dtype, "v", constraints=constraints)]))
        example = _generated(sig)
        assert example["inputs"] == [{"v": expected}], (dtype, constraints)
        schema = _schema(sig)
        if constraints.pattern != "(?=lookahead)":
            assert not list(Draft202012Validator(schema).iter_errors(example))


def test_large_tensors_are_shown_as_placeholders() -> None:
    md = render_docs(TENSORS)
    assert '"image": "<float32 array of shape [1, 64, 64, 3]>"' in md
    assert "`image` is a placeholder: a float32 array of shape [1, 64, 64, 3] (12288 values)" in md
    assert '"box": [[1, 1]]' in md
    # a placeholder is no example: the machine-readable formats leave it out
    assert "examples" not in _schema(TENSORS)["$defs"]["request"]
    content = _openapi(TENSORS)["paths"]["/invocations"]["post"]["requestBody"]["content"]
    assert "example" not in content["application/json"]


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------


class _Structure(HTMLParser):
    VOID = frozenset({"meta", "link", "br", "img", "hr", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")


def _parse(page: str) -> _Structure:
    parser = _Structure()
    parser.feed(page)
    parser.close()
    return parser


@pytest.mark.parametrize("case", ALL_CASES)
def test_html_is_self_contained(case: str, request: pytest.FixtureRequest) -> None:
    page = render_docs(_target(case, request), format="html")
    assert page.startswith("<!DOCTYPE html>\n")
    parsed = _parse(page)
    assert parsed.errors == []
    assert parsed.stack == []
    tags = {tag for tag, _ in parsed.tags}
    assert "script" not in tags
    assert "link" not in tags
    assert "img" not in tags
    assert "iframe" not in tags
    assert "object" not in tags
    for _tag, attrs in parsed.tags:
        assert "src" not in attrs
        href = attrs.get("href")
        assert href is None or href.startswith("#"), href
    style = page.split("<style>")[1].split("</style>")[0]
    assert "url(" not in style
    assert "@import" not in style
    assert "@font-face" not in style
    assert not re.search(r"<link[^>]+href=\"?https?://", page)
    assert not re.search(r"<script[^>]+src=", page)
    # the only URL on the page is the server's, as text in the curl line
    assert set(re.findall(r"https?://[^\s<'\"]+", page)) <= {"http://127.0.0.1:5000/invocations"}
    _assert_links_resolve(page, r'href="#([^"]+)"', r'id="([^"]+)"')


def test_html_has_the_same_content_and_prints() -> None:
    page = render_docs(Scorer, format="html")
    assert "<title>Scorer: model docs</title>" in page
    assert '<h1 id="top">Scorer</h1>' in page
    assert '<h3 id="inputs-address">Fields of <code>address</code></h3>' in page
    assert '<td><code><a href="#inputs-address">object</a></code></td>' in page
    assert "<p>Saved with" not in page
    assert "<td><code>list[string]</code></td>" in page
    assert "<td><code>&quot;new&quot;</code> | <code>&quot;returning&quot;</code></td>" in page
    assert "<p>Generated from the schema.</p>" in page
    columns = render_docs(COLUMNS, format="html")
    assert '<td><code>list[<a href="#inputs-points">object</a>]</code></td>' in columns
    tensors = render_docs(TENSORS, format="html")
    assert "<code>image</code> is a placeholder" in tensors
    assert "`" not in tensors
    assert "Age in whole years" in page
    assert "Yearly income, in &lt;EUR&gt;" in page
    assert "@media print" in page
    assert "curl -X POST http://127.0.0.1:5000/invocations" in page
    assert '<div class="doc"><p>Scores credit applicants.</p>' in page


def test_html_escapes_everything() -> None:
    sig = tm.ModelSignature(
        inputs=tm.Schema(
            [
                tm.ColSpec(
                    "string",
                    '<img src="http://x/y.png">',
                    description="<script src='http://evil'></script> & more",
                    default="</td>",
                )
            ]
        )
    )
    page = render_docs(sig, format="html")
    parsed = _parse(page)
    assert parsed.errors == []
    assert parsed.stack == []
    assert {tag for tag, _ in parsed.tags}.isdisjoint({"img", "script"})
    assert "&lt;script src=&#x27;http://evil&#x27;&gt;&lt;/script&gt; &amp; more" in page


# ---------------------------------------------------------------------------------------------
# JSON Schema
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ALL_CASES)
def test_json_schema_is_2020_12_and_valid(case: str, request: pytest.FixtureRequest) -> None:
    schema = _schema(_target(case, request))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert {"row", "request", "params", "response"} <= set(schema["$defs"])
    assert schema["$ref"] == "#/$defs/request"
    forms = [ref["$ref"] for ref in schema["$defs"]["request"]["oneOf"]]
    assert forms == [f"#/$defs/request_{f}" for f in REQUEST_KEYS]


def test_json_schema_validates_the_saved_serving_example(saved_scorer: Path) -> None:
    serving = json.loads((saved_scorer / "serving_input_example.json").read_text())
    assert serving == {"inputs": [ROW], "params": {"threshold": 0.4}}
    schema = _schema(saved_scorer)
    validator = Draft202012Validator(schema)
    assert list(validator.iter_errors(serving)) == []
    assert schema["$defs"]["request"]["examples"] == [serving]


def test_json_schema_validates_a_saved_dataframe_example(tmp_path: Path) -> None:
    frame = pd.DataFrame({"age": [30, 41], "income": [1.0, 2.0], "city": ["a", None]})
    sig = tm.ModelSignature(
        inputs=tm.Schema(
            [
                tm.ColSpec("long", "age"),
                tm.ColSpec("double", "income"),
                tm.ColSpec("string", "city", required=False),
            ]
        )
    )

    @tm.typed(signature=sig)
    def model(model_input: pd.DataFrame) -> list[float]:
        return [0.0] * len(model_input)

    tm.save_model(model, tmp_path / "m", input_example=frame)
    serving = json.loads((tmp_path / "m" / "serving_input_example.json").read_text())
    assert "dataframe_split" in serving
    schema = _schema(tmp_path / "m")
    assert list(Draft202012Validator(schema).iter_errors(serving)) == []
    records = {"dataframe_records": [{"age": 1, "income": 2.0, "city": None}]}
    assert list(Draft202012Validator(schema).iter_errors(records)) == []
    bad = {"dataframe_records": [{"age": "old", "income": 2.0}]}
    assert list(Draft202012Validator(schema).iter_errors(bad))


def test_json_schema_rejects_bad_rows() -> None:
    schema = _schema(Scorer)
    row = _sub_validator(schema, "row")
    request = Draft202012Validator(schema)
    good = {**ROW, "kind": "returning", "segment": "business", "note": None, "tags": ["x"]}
    assert list(row.iter_errors(good)) == []
    assert list(request.iter_errors({"inputs": [good]})) == []
    assert list(request.iter_errors({"dataframe_records": [good]})) == []
    assert list(request.iter_errors({"instances": [good]})) == []
    columns = {k: [v] for k, v in good.items()}
    assert list(request.iter_errors({"inputs": columns})) == []
    bad_rows = [
        {**good, "age": -1},
        {**good, "age": 1.5},
        {**good, "income": 0},
        {**good, "name": ""},
        {**good, "kind": "old"},
        {**good, "segment": "other"},
        {**good, "tags": ["a"] * 6},
        {**good, "address": {"city": "Paris", "postcode": "7500"}},
        {k: v for k, v in good.items() if k != "name"},
        "not a row",
    ]
    for bad in bad_rows:
        assert list(row.iter_errors(bad)), bad
        assert list(request.iter_errors({"inputs": [bad]})), bad
    assert list(request.iter_errors({"inputs": {**columns, "age": [-1]}}))
    assert list(request.iter_errors({"inputs": [good], "params": {"treshold": 1}}))
    assert list(request.iter_errors({"inputs": [good], "dataframe_records": [good]}))
    assert list(request.iter_errors({"inputs": good}))  # one row, not a batch
    assert list(request.iter_errors({"rows": [good]}))


def test_json_schema_inputs_shapes_of_named_columns() -> None:
    flat = tm.ModelSignature(
        inputs=tm.Schema([tm.ColSpec("long", "a"), tm.ColSpec("string", "b", required=False)])
    )
    validator = Draft202012Validator(_schema(flat))
    assert list(validator.iter_errors({"inputs": [{"a": 1, "b": "x"}]})) == []
    assert list(validator.iter_errors({"inputs": {"a": [1, 2], "b": ["x", None]}})) == []
    assert list(validator.iter_errors({"inputs": {"a": 1}})) == []  # one row on its own
    assert list(validator.iter_errors({"inputs": {"a": ["x"]}}))
    assert list(validator.iter_errors({"inputs": {"b": "x"}}))
    # with a list-valued column, a dict of lists is ambiguous: only a row is read from a dict
    row = _generated(COLUMNS)["inputs"][0]
    nested = Draft202012Validator(_schema(COLUMNS))
    assert list(nested.iter_errors({"inputs": row})) == []
    assert list(nested.iter_errors({"inputs": {k: [v] for k, v in row.items()}}))


def test_json_schema_keywords_from_constraints_and_descriptions() -> None:
    c = tm.Constraints(gt=0, ge=1, lt=10, le=9, multiple_of=0.5)
    sig = tm.ModelSignature(
        inputs=tm.Schema(
            [
                tm.ColSpec("double", "n", description="A number", constraints=c),
                tm.ColSpec(
                    "string",
                    "s",
                    required=False,
                    default="ab",
                    constraints=tm.Constraints(min_length=1, max_length=3, pattern="^a"),
                ),
                tm.ColSpec(tm.Array("long"), "a", constraints=tm.Constraints(min_length=2)),
                tm.ColSpec(tm.Map("long"), "m", constraints=tm.Constraints(max_length=4)),
                tm.ColSpec("boolean", "b", constraints=tm.Constraints(max_length=1)),
                tm.ColSpec(tm.LiteralType(["x", "y"]), "l"),
                tm.ColSpec("binary", "raw"),
                tm.ColSpec("datetime", "t"),
            ]
        )
    )
    props = _schema(sig)["$defs"]["row"]["properties"]
    assert props["n"] == {
        "type": "number",
        "format": "double",
        "description": "A number",
        "exclusiveMinimum": 0,
        "minimum": 1,
        "exclusiveMaximum": 10,
        "maximum": 9,
        "multipleOf": 0.5,
    }
    assert props["s"] == {
        "anyOf": [
            {"type": "string", "minLength": 1, "maxLength": 3, "pattern": "^a"},
            {"type": "null"},
        ],
        "default": "ab",
    }
    assert props["a"] == {
        "type": "array",
        "items": {"type": "integer", "format": "int64", "minimum": -(2**63), "maximum": 2**63 - 1},
        "minItems": 2,
    }
    assert props["m"]["maxProperties"] == 4
    assert props["b"] == {"type": "boolean", "x-typedmodel-constraints": {"max_length": 1}}
    assert props["l"] == {"enum": ["x", "y"]}
    assert props["raw"] == {"type": "string", "contentEncoding": "base64"}
    assert props["t"] == {"type": "string", "format": "date-time"}


def test_json_schema_tensors() -> None:
    schema = _schema(TENSORS)
    inputs = schema["$defs"]["request_inputs"]["properties"]["inputs"]
    box = inputs["properties"]["box"]
    assert box == {
        "type": "array",
        "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
        "x-typedmodel-dtype": "int64",
        "x-typedmodel-shape": [-1, 2],
    }
    assert inputs["properties"]["image"]["x-typedmodel-shape"] == [-1, 64, 64, 3]
    assert inputs["properties"]["image"]["x-typedmodel-dtype"] == "float32"
    assert inputs["required"] == ["box", "image"]
    validator = Draft202012Validator(schema)
    image = np.zeros((2, 64, 64, 3)).tolist()
    assert list(validator.iter_errors({"inputs": {"image": image, "box": [[1, 2], [3, 4]]}})) == []
    assert list(validator.iter_errors({"inputs": {"image": image, "box": [[1, 2, 3]]}}))
    assert list(validator.iter_errors({"inputs": {"image": image, "box": [[1.5, 2]]}}))
    assert list(validator.iter_errors({"inputs": {"box": [[1, 2]]}}))
    instance = {"image": image[0], "box": [1, 2]}
    assert list(validator.iter_errors({"instances": [instance]})) == []
    assert list(validator.iter_errors({"instances": [{**instance, "box": [1]}]}))
    # one unnamed tensor: the inputs value is the array itself
    small = _schema(SMALL_TENSOR)
    assert list(Draft202012Validator(small).iter_errors({"inputs": [[1, 2, 3]]})) == []
    assert list(Draft202012Validator(small).iter_errors({"inputs": [[1, 2]]}))
    pixels = tm.ModelSignature(inputs=tm.Schema([tm.TensorSpec("uint8", (2,))]))
    pixel_schema = Draft202012Validator(_schema(pixels))
    assert list(pixel_schema.iter_errors({"inputs": [0, 255]})) == []
    assert list(pixel_schema.iter_errors({"inputs": [-1, 0]}))
    assert list(pixel_schema.iter_errors({"inputs": [0, 1, 2]}))
    predictions = schema["$defs"]["response"]["properties"]["predictions"]
    assert predictions["x-typedmodel-shape"] == [-1, 10]


def test_json_schema_of_typing_hints() -> None:
    weighted = _schema(WeightedSum)
    assert weighted["$defs"]["row"] == {
        "description": "One input row: one item of the request's batch.",
        "type": "object",
        "additionalProperties": {"type": "number", "format": "double"},
    }
    validator = Draft202012Validator(weighted)
    assert list(validator.iter_errors({"inputs": [{"a": 1.0, "b": 2}]})) == []
    assert list(validator.iter_errors({"inputs": [{"a": "x"}]}))
    strings = Draft202012Validator(_schema(lengths))
    assert list(strings.iter_errors({"inputs": ["a", "bc"]})) == []
    assert list(strings.iter_errors({"inputs": ["a", 1]}))
    assert list(strings.iter_errors({"instances": ["a"]})) == []


def test_json_schema_params() -> None:
    schema = _schema(COLUMNS)
    params = schema["$defs"]["params"]
    assert params["additionalProperties"] is False
    assert params["properties"]["temperature"] == {
        "type": "number",
        "format": "double",
        "default": 0.7,
        "minimum": 0,
        "maximum": 2,
        "description": "Sampling | temperature",
    }
    assert params["properties"]["stop"] == {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
    }
    assert params["properties"]["options"]["required"] == ["beam"]
    validator = _sub_validator(schema, "params")
    assert list(validator.iter_errors({"temperature": 1, "stop": ["x"]})) == []
    assert list(validator.iter_errors({"temperature": "hot"}))
    assert list(validator.iter_errors({"temperature": 3}))
    assert list(validator.iter_errors({"unknown": 1}))


# ---------------------------------------------------------------------------------------------
# OpenAPI
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ALL_CASES)
def test_openapi_document(case: str, request: pytest.FixtureRequest) -> None:
    doc = _openapi(_target(case, request))
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["version"] == tm.__version__
    assert {"/invocations", "/ping", "/health", "/version", "/signature"} <= set(doc["paths"])
    for path in ("/ping", "/health", "/version", "/signature"):
        assert set(doc["paths"][path]) == {"get"}
        assert "200" in doc["paths"][path]["get"]["responses"]
    post = doc["paths"]["/invocations"]["post"]
    schemas = doc["components"]["schemas"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/request"
    forms = [schemas[r["$ref"].rsplit("/", 1)[1]] for r in schemas["request"]["oneOf"]]
    assert [next(iter(f["required"])) for f in forms] == list(REQUEST_KEYS)
    for form in forms:
        assert form["properties"]["params"] == {"$ref": "#/components/schemas/params"}
        assert form["additionalProperties"] is False
    ok = post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert schemas[ok.rsplit("/", 1)[1]]["required"] == ["predictions"]
    assert schemas["error"]["required"] == ["error_code", "message"]
    assert schemas["invalid_input"]["required"] == ["issues"]
    assert schemas["issue"]["required"] == ["loc", "msg", "row", "type"]
    assert post["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/invalid_input"
    }
    # every component is a valid 2020-12 schema, references resolved within the document
    for name in schemas:
        Draft202012Validator.check_schema(schemas[name])
    all_refs = re.findall(r'"\$ref": "#/components/schemas/([^"/]+)', json.dumps(doc))
    assert set(all_refs) <= set(schemas)


def _component_validator(doc: dict[str, Any], name: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"components": doc["components"], "$ref": f"#/components/schemas/{name}"}
    )


def test_openapi_request_example_is_the_saved_one_and_validates(saved_scorer: Path) -> None:
    doc = _openapi(saved_scorer)
    assert doc["info"]["title"] == "Scorer"
    content = doc["paths"]["/invocations"]["post"]["requestBody"]["content"]["application/json"]
    assert content["example"] == {"inputs": [ROW], "params": {"threshold": 0.4}}
    validator = _component_validator(doc, "request")
    assert list(validator.iter_errors(content["example"])) == []
    assert list(validator.iter_errors({"inputs": [{**ROW, "age": -2}]}))
    response = doc["paths"]["/invocations"]["post"]["responses"]["200"]["content"]
    example = response["application/json"]["example"]
    assert example == json.loads((saved_scorer / "serving_output_example.json").read_text())
    assert list(_component_validator(doc, "response").iter_errors(example)) == []
    error = {
        "error_code": "INVALID_INPUT",
        "message": "1 validation error in model_input",
        "issues": [{"row": 0, "loc": ["age"], "type": "greater_than_equal", "msg": "bad"}],
    }
    invalid_input = _component_validator(doc, "invalid_input")
    assert list(invalid_input.iter_errors(error)) == []
    assert list(invalid_input.iter_errors({"error_code": "INVALID_INPUT", "message": "x"}))
    assert list(invalid_input.iter_errors({**error, "issues": [{"row": 0}]}))
    assert list(_component_validator(doc, "error").iter_errors({"message": "x"}))


def test_openapi_error_schema_fits_a_real_validation_error() -> None:
    try:
        Scorer().predict([{**ROW, "age": -1}])
    except tm.ValidationError as exc:
        body = {"error_code": "INVALID_INPUT", "message": str(exc), "issues": exc.errors()}
    doc = _openapi(Scorer)
    assert list(_component_validator(doc, "invalid_input").iter_errors(body)) == []


# ---------------------------------------------------------------------------------------------
# Model directories and loaded models
# ---------------------------------------------------------------------------------------------


def test_a_directory_is_read_without_unpickling(saved_scorer: Path) -> None:
    (saved_scorer / "model.pkl").write_bytes(b"not a pickle: loading this would fail")
    md = render_docs(saved_scorer)
    assert md.startswith("# Scorer\n\nScores credit applicants.\n\nA higher score is a better")
    assert "Saved with the model (`serving_input_example.json`)." in md
    assert '"threshold": 0.4' in md
    assert render_docs(str(saved_scorer), format="json-schema") == render_docs(
        saved_scorer, format="json-schema"
    )


def test_a_loaded_model_is_documented_like_its_class(saved_scorer: Path) -> None:
    loaded = tm.load_model(saved_scorer)
    md = render_docs(loaded)
    assert md.startswith("# Scorer\n\nScores credit applicants.")
    assert "Saved with the model (`serving_input_example.json`)." in md
    # the same tables as the class itself
    assert md.split("## Example request")[0] == render_docs(Scorer).split("## Example request")[0]


def test_a_directory_without_a_model_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(tm.ModelFileError, match="no MLmodel"):
        render_docs(tmp_path)


def test_a_too_long_saved_example_is_replaced(tmp_path: Path) -> None:
    tm.save_model(lengths, tmp_path / "m", input_example=["x" * 50] * 200)
    md = render_docs(tmp_path / "m")
    assert "is too long to show" in md
    assert "generated from the schema" in md
    assert '"string"' in md


def test_an_untyped_saved_model_without_signature(tmp_path: Path) -> None:
    class Echo:
        def predict(self, model_input):  # type: ignore[no-untyped-def]
            return model_input

    tm.save_model(Echo(), tmp_path / "m")
    md = render_docs(tmp_path / "m")
    assert "This model has no signature" in md
    schema = _schema(tmp_path / "m")
    Draft202012Validator.check_schema(schema)
    assert list(Draft202012Validator(schema).iter_errors({"inputs": [1, "a"]})) == []
    page = render_docs(tmp_path / "m", format="html")
    assert _parse(page).errors == []


# ---------------------------------------------------------------------------------------------
# The visitor: every node kind has a method
# ---------------------------------------------------------------------------------------------


def test_visitors_cover_every_node_kind() -> None:
    from typedmodel.schema import form, params
    from typedmodel.validate import tree_hints

    visitors = (
        _text._TypeText,
        _examples._Example,
        _jsonschema._JsonSchema,
        form._Form,
        params._ParamValue,
        tree_hints._Hints,
    )
    for visitor in visitors:
        assert set(visitor._methods) == set(NODE_KINDS)


def test_a_visitor_missing_a_kind_fails_when_defined() -> None:
    with pytest.raises(TypeError, match=r"visit_literal_type"):

        class Partial(_visitor.NodeVisitor[None, str]):
            def visit_data_type(self, node: Any, context: None) -> str:
                return ""

            def visit_array(self, node: Any, context: None) -> str:
                return ""

            def visit_object(self, node: Any, context: None) -> str:
                return ""

            def visit_map(self, node: Any, context: None) -> str:
                return ""

            def visit_any_type(self, node: Any, context: None) -> str:
                return ""

            def visit_union_type(self, node: Any, context: None) -> str:
                return ""


def test_a_visitor_refuses_a_non_node() -> None:
    with pytest.raises(tm.SchemaError, match="not a schema type node"):
        _jsonschema._JsonSchema().visit("double", tm.Constraints())  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Any signature
# ---------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(signatures())
def test_any_signature_renders_in_every_format(sig: tm.ModelSignature) -> None:
    md = render_docs(sig)
    _assert_tables_well_formed(md)
    _assert_links_resolve(md, r"\]\(#([^)]+)\)", r'<a id="([^"]+)"></a>')
    page = render_docs(sig, format="html")
    parsed = _parse(page)
    assert parsed.errors == []
    assert parsed.stack == []
    assert {tag for tag, _ in parsed.tags} <= {
        "html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "p",
        "div", "table", "thead", "tbody", "tr", "th", "td", "code", "a", "pre",
    }  # fmt: skip
    json.loads(render_docs(sig, format="json-schema"))
    json.loads(render_docs(sig, format="openapi"))
    assert render_docs(sig) == md


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(signatures(extensions=False))
def test_any_signature_has_a_valid_schema_that_fits_its_example(sig: tm.ModelSignature) -> None:
    schema = _schema(sig)
    Draft202012Validator.check_schema(schema)
    for component in _openapi(sig)["components"]["schemas"].values():
        Draft202012Validator.check_schema(component)
    example = schema["$defs"]["request"].get("examples")
    if sig.inputs is None or example is None:
        # no inputs, or a tensor too large to write out (then the docs show a placeholder)
        assert sig.inputs is None or "is a placeholder" in render_docs(sig)
        return
    assert list(Draft202012Validator(schema).iter_errors(example[0])) == []


# ---------------------------------------------------------------------------------------------
# The served page, the recorded answer, the saved name and description, params' constraints
# ---------------------------------------------------------------------------------------------


def _served_docs(app: Any, host: str, root_path: str = "") -> str:
    """``GET /docs`` through the ASGI app, as a client reaching `host` (behind `root_path`)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": root_path + "/docs",
        "raw_path": (root_path + "/docs").encode(),
        "query_string": b"",
        "root_path": root_path,
        "headers": [(b"host", host.encode())],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 200, sent
    return b"".join(m.get("body", b"") for m in sent[1:]).decode()


def test_base_url_is_where_the_example_posts() -> None:
    md = render_docs(Scorer, base_url="https://models.example.com/scorer/")
    assert "curl -X POST https://models.example.com/scorer/invocations -H " in md
    assert "Save the body as `request.json` and post it to this server:" in md
    assert "Start the server" not in md
    assert "typedmodel serve" not in md
    assert "127.0.0.1" not in md
    odd = render_docs(Scorer, base_url="http://h/a b'c")
    assert "curl -X POST 'http://h/a b'\"'\"'c/invocations' -H " in odd  # quoted for the shell


def test_the_served_page_posts_to_the_server_it_is_served_by() -> None:
    from typedmodel.serve import create_app

    app = create_app(Scorer)
    page = _served_docs(app, "models.test:8123")
    assert "curl -X POST http://models.test:8123/invocations -H " in page
    assert "127.0.0.1:5000" not in page
    assert "Start the server" not in page
    assert "typedmodel serve" not in page
    assert "post it to this server" in page
    behind = _served_docs(app, "proxy.test", root_path="/models/scorer")
    assert "curl -X POST http://proxy.test/models/scorer/invocations -H " in behind
    assert "models.test" not in behind
    hostile = _served_docs(app, 'x"><script>alert(1)</script>')
    assert "<script>" not in hostile
    assert _parse(hostile).errors == []
    assert "curl -X POST http://models.test:8123/invocations" in _served_docs(
        app, "models.test:8123"
    )


def test_a_save_records_the_models_answer_to_its_example(saved_scorer: Path) -> None:
    from tests.asgi import post
    from typedmodel._json import jsonable
    from typedmodel.serve import create_app

    meta = yaml.safe_load((saved_scorer / "MLmodel").read_text())
    info = meta["saved_input_example_info"]
    assert info["serving_output_path"] == "serving_output_example.json"
    recorded = json.loads((saved_scorer / "serving_output_example.json").read_text())
    expected = Scorer().predict([ROW], params={"threshold": 0.4})
    assert recorded == {"predictions": jsonable(expected)}
    assert recorded["predictions"][0]["band"] == "high"  # the saved params were used
    # exactly what the server answers to the saved request
    request = json.loads((saved_scorer / "serving_input_example.json").read_text())
    reply = post(create_app(saved_scorer), request)
    assert reply.status == 200
    assert reply.json() == recorded
    for md in (render_docs(saved_scorer), render_docs(tm.load_model(saved_scorer))):
        answer = md.split("```json\n")[2].split("```")[0]
        assert json.loads(answer) == recorded
        assert "recorded when it was saved (`serving_output_example.json`):" in md
        assert "only shows their shape" not in md
    page = _served_docs(create_app(saved_scorer), "models.test:8123")
    assert "recorded when it was saved" in page
    assert "&quot;band&quot;: &quot;high&quot;" in page


class _LoggedEcho:
    """Echoes its input; each predict call appends a line to a log file."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def predict(self, model_input):  # type: ignore[no-untyped-def]
        with open(self.log, "a", encoding="utf-8") as fh:
            fh.write("predict\n")
        return [2 * x for x in model_input]


def test_an_untyped_model_records_the_answer_of_its_one_predict(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    tm.save_model(_LoggedEcho(log), tmp_path / "m", input_example=[1.5, 2.0])
    assert log.read_text() == "predict\n"  # the predict that inferred the signature, once
    recorded = json.loads((tmp_path / "m" / "serving_output_example.json").read_text())
    assert recorded == {"predictions": [3.0, 4.0]}
    assert "recorded when it was saved" in render_docs(tmp_path / "m")


@tm.typed
def _failing(model_input: list[str]) -> list[str]:
    raise RuntimeError("no model here")


@tm.typed
def _misfit(model_input: list[str]) -> list[int]:
    return ["not an int" for _ in model_input]  # type: ignore[misc]


@pytest.mark.parametrize("model", [_failing, _misfit])
def test_no_answer_is_recorded_when_predict_fails_and_the_save_goes_on(
    model: Any, tmp_path: Path
) -> None:
    tm.save_model(model, tmp_path / "m", input_example=["a"])
    assert (tmp_path / "m" / "serving_input_example.json").is_file()
    assert not (tmp_path / "m" / "serving_output_example.json").exists()
    meta = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    assert "serving_output_path" not in meta["saved_input_example_info"]
    md = render_docs(tmp_path / "m")
    assert "this one is made from the schema and only shows their shape:" in md
    assert "recorded when it was saved" not in md


def test_no_answer_is_recorded_without_an_example(tmp_path: Path) -> None:
    tm.save_model(lengths, tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").glob("serving_*")) == []
    assert "only shows their shape" in render_docs(tmp_path / "m")


def test_the_recorded_answer_is_shown_only_with_its_example(tmp_path: Path) -> None:
    tm.save_model(lengths, tmp_path / "long_input", input_example=["x" * 50] * 200)
    assert (tmp_path / "long_input" / "serving_output_example.json").is_file()
    md = render_docs(tmp_path / "long_input")
    assert "is too long to show" in md  # the request shown is generated: not the recorded one
    assert "only shows their shape" in md
    assert "[50, 50" not in md

    @tm.typed
    def widen(model_input: list[str]) -> list[str]:
        return [s * 7000 for s in model_input]

    tm.save_model(widen, tmp_path / "long_output", input_example=["ab"])
    md = render_docs(tmp_path / "long_output")
    assert "Saved with the model" in md
    assert "only shows their shape" in md
    assert "ab" * 7000 not in md


def _edit_mlmodel(directory: Path, edit: Any) -> None:
    file = directory / "MLmodel"
    meta = yaml.safe_load(file.read_text())
    edit(meta)
    file.write_text(yaml.safe_dump(meta))


def test_a_recorded_answer_is_read_with_the_directory_guards(
    saved_scorer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typedmodel._mlmodel

    (saved_scorer.parent / "outside.json").write_text('{"predictions": ["stolen"]}')

    def leave(meta: dict[str, Any]) -> None:
        meta["saved_input_example_info"]["serving_output_path"] = "../outside.json"

    _edit_mlmodel(saved_scorer, leave)
    with pytest.raises(tm.ModelFileError, match="outside the model directory"):
        render_docs(saved_scorer)

    def back(meta: dict[str, Any]) -> None:
        meta["saved_input_example_info"]["serving_output_path"] = "serving_output_example.json"

    _edit_mlmodel(saved_scorer, back)
    monkeypatch.setattr(typedmodel._mlmodel, "MAX_EXAMPLE_BYTES", 10)
    with pytest.raises(tm.ModelFileError, match="over the limit of 10 bytes"):
        render_docs(saved_scorer)
    monkeypatch.undo()
    (saved_scorer / "serving_output_example.json").write_text("{not json")
    with pytest.raises(tm.ModelFileError, match="not valid JSON"):
        render_docs(saved_scorer)
    (saved_scorer / "serving_output_example.json").unlink()
    assert "only shows their shape" in render_docs(saved_scorer)


def test_a_saved_model_keeps_its_name_and_description(saved_scorer: Path, tmp_path: Path) -> None:
    flavor = yaml.safe_load((saved_scorer / "MLmodel").read_text())["flavors"]["typedmodel"]
    assert flavor["name"] == "Scorer"
    assert (
        flavor["description"]
        == "Scores credit applicants.\n\nA higher score is a better applicant."
    )
    tm.save_model(lengths, tmp_path / "fn")
    md = render_docs(tmp_path / "fn")
    assert md.startswith("# lengths\n\nCount the characters of each string.\n\n## Inputs\n")
    tm.save_model(Undocumented(), tmp_path / "bare")
    flavor = yaml.safe_load((tmp_path / "bare" / "MLmodel").read_text())["flavors"]["typedmodel"]
    assert flavor["name"] == "Undocumented"
    assert "description" not in flavor
    assert render_docs(tmp_path / "bare").startswith("# Undocumented\n\n## Inputs\n")
    assert tm.load_model(tmp_path / "bare").metadata == {}  # not mixed into the user's metadata


def test_a_long_docstring_is_cut_when_saved(tmp_path: Path) -> None:
    from typedmodel.docs._subject import MAX_DESCRIPTION_CHARS

    @tm.typed
    def wordy(model_input: list[str]) -> list[str]:
        return model_input

    wordy.__doc__ = "word " * 5000
    tm.save_model(wordy, tmp_path / "m")
    flavor = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"]["typedmodel"]
    assert MAX_DESCRIPTION_CHARS - 10 < len(flavor["description"]) <= MAX_DESCRIPTION_CHARS
    assert flavor["description"].startswith("word word ")
    assert flavor["description"].endswith("...")


def test_a_saved_name_and_description_are_untrusted_text(saved_scorer: Path) -> None:
    from typedmodel.docs._subject import MAX_DESCRIPTION_CHARS

    evil = "<script>alert(1)</script> ![pixel](http://evil.test/p.png) [x](javascript:go) "

    def tamper(meta: dict[str, Any]) -> None:
        meta["flavors"]["typedmodel"]["name"] = "<b>Evil</b>"
        meta["flavors"]["typedmodel"]["description"] = evil + "y" * 50_000

    _edit_mlmodel(saved_scorer, tamper)
    page = render_docs(saved_scorer, format="html")
    parsed = _parse(page)
    assert parsed.errors == []
    assert {tag for tag, _ in parsed.tags}.isdisjoint({"script", "img", "b"})
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<title>&lt;b&gt;Evil&lt;/b&gt;: model docs</title>" in page
    assert "y" * (MAX_DESCRIPTION_CHARS - len(evil) - 3) in page
    assert "y" * MAX_DESCRIPTION_CHARS not in page
    md = render_docs(saved_scorer)
    assert md.startswith("# &lt;b>Evil&lt;/b>\n\n\\<script\\>alert(1)\\</script\\> \\!\\[pixel\\]")
    assert "![pixel](" not in md
    assert "[x](javascript" not in md
    assert "y" * MAX_DESCRIPTION_CHARS not in md

    def strange(meta: dict[str, Any]) -> None:
        meta["flavors"]["typedmodel"]["name"] = ["not", "text"]
        meta["flavors"]["typedmodel"]["description"] = {"not": "text"}

    _edit_mlmodel(saved_scorer, strange)
    assert render_docs(saved_scorer).startswith("# scorer\n\n## Inputs\n")  # the directory's name


def test_params_have_constraints_and_descriptions() -> None:
    sig = tm.ModelSignature(
        inputs=tm.Schema([tm.ColSpec("string")]),
        params=tm.ParamSchema(
            [
                tm.ParamSpec(
                    "threshold",
                    "double",
                    0.5,
                    constraints=tm.Constraints(gt=0, le=1),
                    description="Cut-off | <score>",
                ),
                tm.ParamSpec("stops", "string", [], shape=(-1,)),
            ]
        ),
    )
    md = render_docs(sig)
    assert "| Param | Type | Default | Constraints | Description |" in md
    assert "| `threshold` | `double` | `0.5` | `> 0`, `<= 1` | Cut-off \\| &lt;score> |" in md
    assert "| `stops` | `list[string]` | `[]` |  |  |" in md
    page = render_docs(sig, format="html")
    assert (
        "<td><code>threshold</code></td><td><code>double</code></td><td><code>0.5</code></td>"
        "<td><code>&gt; 0</code>, <code>&lt;= 1</code></td><td>Cut-off | &lt;score&gt;</td>"
    ) in page

    class Knobs(pydantic.BaseModel):
        top_k: int = pydantic.Field(3, gt=0, description="How many to keep")

    @tm.typed
    def ranked(model_input: list[str], params: Knobs) -> list[str]:
        return model_input[: params.top_k]

    assert "| `top_k` | `long` | `3` | `> 0` | How many to keep |" in render_docs(ranked)
