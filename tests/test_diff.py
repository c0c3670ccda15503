"""`tm.diff` (typedmodel.compatibility): every rule in both directions, modes, config, formats
and the command."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pydantic
import pytest

import typedmodel as tm
from typedmodel.compatibility import Report, diff

C = tm.ColSpec


def _as(role: str, specs: list[Any]) -> tm.ModelSignature:
    schema = tm.Schema(specs)
    return tm.ModelSignature(**{"inputs" if role == "input" else "outputs": schema})


def _one(old: list[Any], new: list[Any], role: str, mode: str = "backward") -> tuple[str, str]:
    report = diff(_as(role, old), _as(role, new), mode=mode)
    assert len(report.changes) == 1, report.changes
    change = report.changes[0]
    return change.id.removeprefix(f"{role}-"), change.level


def _obj(*props: tm.Property, closed: bool = True) -> tm.Object:
    return tm.Object(list(props), closed=closed)


P = tm.Property
# (old columns, new columns, check id without its role, level for inputs, level for outputs)
RULES = [
    ([C("integer", "a")], [C("long", "a")], "type-widened", "info", "error"),
    ([C("long", "a")], [C("integer", "a")], "type-narrowed", "error", "info"),
    ([C("long", "a")], [C("double", "a")], "type-widened", "warning", "error"),
    ([C("float", "a")], [C("double", "a")], "type-widened", "info", "error"),
    ([C("string", "a")], [C("long", "a")], "type-changed", "error", "error"),
    ([C("double", "a")], [C("long", "a")], "type-changed", "error", "error"),
    ([C("long", "a")], [C("long", "a"), C("long", "b")], "required-added", "error", "info"),
    (
        [C("long", "a")],
        [C("long", "a"), C("long", "b", required=False)],
        "column-added",
        "info",
        "info",
    ),
    ([C("long", "a"), C("long", "b")], [C("long", "a")], "column-removed", "warning", "error"),
    (
        [C("long", "a"), C("long", "b", required=False)],
        [C("long", "a")],
        "column-removed",
        "warning",
        "info",
    ),
    ([C("long", "a")], [C("long", "a", required=False)], "required-changed", "info", "error"),
    ([C("long", "a", required=False)], [C("long", "a")], "required-changed", "error", "info"),
    ([C("long", "a")], [C("long", "a", nullable=True)], "nullable-changed", "info", "error"),
    (
        [C("long", "a", constraints=tm.Constraints(ge=0))],
        [C("long", "a", constraints=tm.Constraints(ge=1))],
        "constraint-tightened",
        "error",
        "info",
    ),
    (
        [C("long", "a", constraints=tm.Constraints(le=10))],
        [C("long", "a", constraints=tm.Constraints(le=20))],
        "constraint-loosened",
        "info",
        "error",
    ),
    (
        [C("long", "a", constraints=tm.Constraints(multiple_of=3))],
        [C("long", "a", constraints=tm.Constraints(multiple_of=6))],
        "constraint-tightened",
        "error",
        "info",
    ),
    (
        [C("string", "a", constraints=tm.Constraints(pattern="^a"))],
        [C("string", "a", constraints=tm.Constraints(pattern="^b"))],
        "constraint-changed",
        "error",
        "error",
    ),
    (
        [C("string", "a", constraints=tm.Constraints(max_length=5))],
        [C("string", "a")],
        "constraint-loosened",
        "info",
        "error",
    ),
    (
        [C(tm.LiteralType(["x", "y"]), "a")],
        [C(tm.LiteralType(["x", "y", "z"]), "a")],
        "enum-added",
        "info",
        "error",
    ),
    (
        [C(tm.LiteralType(["x", "y"]), "a")],
        [C(tm.LiteralType(["x"]), "a")],
        "enum-removed",
        "error",
        "info",
    ),
    (
        [C(tm.UnionType(["long", "string", "boolean"]), "a")],
        [C(tm.UnionType(["long", "string"]), "a")],
        "union-removed",
        "error",
        "info",
    ),
    (
        [C("long", "a", default=1)],
        [C("long", "a", default=2)],
        "default-changed",
        "warning",
        "warning",
    ),
    (
        [C(tm.Array("integer"), "a")],
        [C(tm.Array("long"), "a")],
        "type-widened",
        "info",
        "error",
    ),
    (
        [C(_obj(P("x", "long"), P("y", "long", required=False)), "a")],
        [C(_obj(P("x", "long")), "a")],
        "property-removed",
        "error",
        "info",
    ),
    (
        [C(_obj(P("x", "long"), closed=False), "a")],
        [C(_obj(P("x", "long"), closed=True), "a")],
        "closed-changed",
        "error",
        "info",
    ),
    (
        [tm.TensorSpec("float32", (-1, 3), "t")],
        [tm.TensorSpec("float64", (-1, 3), "t")],
        "tensor-dtype-changed",
        "info",
        "error",
    ),
    (
        [tm.TensorSpec("float32", (-1, -1), "t")],
        [tm.TensorSpec("float32", (-1, 3), "t")],
        "tensor-shape-changed",
        "error",
        "info",
    ),
    ([C("long", "a")], [tm.TensorSpec("int64", (-1,), "a")], "schema-changed", "error", "error"),
]


@pytest.mark.parametrize(
    ("old", "new", "check", "as_input", "as_output"), RULES, ids=[r[2] for r in RULES]
)
def test_each_rule_in_both_directions(
    old: list[Any], new: list[Any], check: str, as_input: str, as_output: str
) -> None:
    assert _one(old, new, "input") == (check, as_input)
    assert _one(old, new, "output") == (check, as_output)


# Rules whose reading doesn't depend on the role: forward mode judges an input as backward
# mode judges an output.
SYMMETRIC = [r for r in RULES if r[2].split("-")[0] not in ("column", "required", "property")]


@pytest.mark.parametrize(
    ("old", "new", "check", "as_input", "as_output"), SYMMETRIC, ids=[r[2] for r in SYMMETRIC]
)
def test_forward_mode_judges_inputs_as_backward_judges_outputs(
    old: list[Any], new: list[Any], check: str, as_input: str, as_output: str
) -> None:
    assert _one(old, new, "input", mode="forward") == (check, as_output)
    assert _one(old, new, "output", mode="forward") == (check, as_input)


def test_full_mode_refuses_any_change_of_what_is_admitted() -> None:
    assert _one([C("integer", "a")], [C("long", "a")], "input", "full")[1] == "error"
    assert _one([C("long", "a")], [C("integer", "a")], "output", "full")[1] == "error"
    # A changed default admits the same values: a warning, in every mode.
    default = ([C("long", "a", default=1)], [C("long", "a", default=2)])
    assert _one(*default, "input", "full")[1] == "warning"


def test_paths_name_the_nested_place() -> None:
    class Applicant(pydantic.BaseModel):
        age: int
        tags: list[str] = []

    class Applicant2(pydantic.BaseModel):
        age: int = pydantic.Field(ge=18)
        tags: list[int] = []

    @tm.typed
    def v1(model_input: list[Applicant]) -> list[float]:
        return [0.0] * len(model_input)

    @tm.typed
    def v2(model_input: list[Applicant2]) -> list[float]:
        return [0.0] * len(model_input)

    found = {(c.id, c.path) for c in diff(v1, v2).changes}
    assert found == {
        ("input-constraint-tightened", "inputs.age"),
        ("input-type-changed", "inputs.tags[]"),
    }


def test_params_are_judged_as_inputs() -> None:
    def sig(*specs: tm.ParamSpec, values: Any = None) -> tm.ModelSignature:
        return tm.ModelSignature(params=tm.ParamSchema(list(specs), values=values))

    k3, k5 = tm.ParamSpec("k", "long", 3), tm.ParamSpec("k", "long", 5)
    t = tm.ParamSpec("t", "double", 1.0)
    cases = [
        (sig(k3), sig(k3, t), "param-param-added", "info"),
        (sig(k3, t), sig(k3), "param-param-removed", "error"),
        (sig(k3), sig(k5), "param-default-changed", "warning"),
        (sig(k3), sig(tm.ParamSpec("k", "integer", 3)), "param-type-narrowed", "error"),
        (sig(k3), sig(k3, values="double"), "param-values-added", "info"),
        (sig(k3, values="double"), sig(k3), "param-values-removed", "error"),
    ]
    for old, new, check, level in cases:
        assert [(c.id, c.level) for c in diff(old, new).changes] == [(check, level)]


def test_no_change_is_no_change_and_not_breaking() -> None:
    sig = _as("input", [C("long", "a"), C(tm.Array("string"), "b")])
    report = diff(sig, sig)
    assert report.changes == ()
    assert not report.breaking


def test_config_overrides_levels_and_ignores_by_id_and_path() -> None:
    old, new = _as("input", [C("long", "a"), C("long", "b")]), _as("input", [C("integer", "a")])
    plain = {(c.id, c.level) for c in diff(old, new).changes}
    assert plain == {("input-type-narrowed", "error"), ("input-column-removed", "warning")}
    config = {
        "levels": {"input-column-removed": "error"},
        "ignore": [{"id": "input-type-*", "path": "inputs.a"}],
    }
    report = diff(old, new, config=config)
    assert [(c.id, c.level) for c in report.changes] == [("input-column-removed", "error")]
    assert report.ignored == 1
    with pytest.raises(tm.SchemaError):
        diff(old, new, config={"level": {}})
    with pytest.raises(tm.SchemaError):
        diff(old, new, config={"levels": {"x": "fatal"}})


def _breaking_report() -> Report:
    old = _as("input", [C("long", "a"), C("string", "b", required=False)])
    new = _as("input", [C("integer", "a"), C("string", "b")])
    return diff(old, new)


def test_the_json_format_keeps_to_its_own_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from typedmodel._diff_formats import REPORT_SCHEMA

    data = json.loads(_breaking_report().render("json"))
    jsonschema.validate(data, REPORT_SCHEMA)
    assert data["breaking"] is True
    assert data["counts"] == {"info": 0, "warning": 0, "error": 2}


def test_junit_github_and_markdown_formats() -> None:
    report = _breaking_report()
    suites = ET.fromstring(report.render("junit"))
    assert suites.get("failures") == "2"
    assert len(suites.findall(".//failure")) == 2
    lines = report.render("github").splitlines()
    assert all(line.startswith("::error title=input-") for line in lines)
    assert len(lines) == 2
    markdown = report.render("markdown")
    assert "| error | `input-type-narrowed` | `inputs.a` |" in markdown
    with pytest.raises(ValueError, match="format"):
        report.render("yaml")


def test_saved_directories_and_mlflow_form_give_the_same_report(tmp_path: Path) -> None:
    class V1(tm.PythonModel):
        def predict(self, context: Any, model_input: list[int]) -> list[float]:
            return [float(x) for x in model_input]

    class V2(tm.PythonModel):
        def predict(self, context: Any, model_input: list[float]) -> list[int]:
            return [int(x) for x in model_input]

    tm.save_model(V1(), tmp_path / "v1")
    tm.save_model(V2(), tmp_path / "v2")
    in_memory = diff(tm.signature_of(V1), tm.signature_of(V2))
    saved = diff(str(tmp_path / "v1"), str(tmp_path / "v2"))
    assert saved == in_memory
    round_trip = [tm.ModelSignature.from_dict(tm.signature_of(m).to_dict()) for m in (V1, V2)]
    assert diff(*round_trip) == in_memory
    assert {c.id for c in in_memory.changes} == {"input-type-widened", "output-type-changed"}


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "typedmodel", "diff", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_the_command_exits_by_level_and_reads_every_kind_of_version(tmp_path: Path) -> None:
    v1 = tm.ModelSignature(inputs=tm.Schema([C("long", "a"), C("long", "b", required=False)]))
    v2 = tm.ModelSignature(inputs=tm.Schema([C("long", "a")]))
    v3 = tm.ModelSignature(inputs=tm.Schema([C("integer", "a")]))
    for name, sig in (("v1", v1), ("v2", v2), ("v3", v3)):
        (tmp_path / f"{name}.json").write_text(sig.to_json())
    ok = _cli("v1.json", "v2.json", cwd=tmp_path)  # a removed column: a warning
    assert ok.returncode == 0, ok.stderr
    assert "input-column-removed" in ok.stdout
    strict = _cli("v1.json", "v2.json", "--fail-on", "warning", cwd=tmp_path)
    assert strict.returncode == 1
    broken = _cli("v2.json", "v3.json", "--format", "json", cwd=tmp_path)
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["changes"][0]["id"] == "input-type-narrowed"
    history = _cli("--transitive", "v1.json", "v2.json", "v3.json", cwd=tmp_path)
    assert history.returncode == 1
    assert history.stdout.count("== ") == 2
    (tmp_path / "pyproject.toml").write_text(
        '[tool.typedmodel.diff]\nignore = [{id = "input-type-narrowed"}]\n'
    )
    assert _cli("v2.json", "v3.json", cwd=tmp_path).returncode == 0
    usage = _cli("v1.json", cwd=tmp_path)
    assert usage.returncode == 2
    assert "OLD and NEW" in usage.stderr


def test_the_command_reads_a_directory_without_unpickling_it(tmp_path: Path) -> None:
    @tm.typed
    def model(model_input: list[int]) -> list[int]:
        return model_input

    tm.save_model(model, tmp_path / "m")
    (tmp_path / "m" / "model.pkl").write_bytes(b"not a pickle")
    (tmp_path / "sig.json").write_text(
        tm.ModelSignature(
            inputs=tm.Schema([C("integer")]), outputs=tm.Schema([C("long")])
        ).to_json()
    )
    for old in ("m", "m/MLmodel"):  # the directory, or its MLmodel file
        result = _cli(old, "sig.json", cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert "input-type-narrowed" in result.stdout


def test_a_tensor_dtype_change_follows_numpy_safe_casts() -> None:
    old = [tm.TensorSpec(np.dtype("int32"), (-1,), "t")]
    assert _one(old, [tm.TensorSpec("int64", (-1,), "t")], "input")[1] == "info"
    assert _one(old, [tm.TensorSpec("int16", (-1,), "t")], "input")[1] == "error"


def _admits(part: Any, value: Any) -> bool:
    import warnings

    from typedmodel.validate import SchemaEnforcer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tm.TypedModelWarning)
        try:
            SchemaEnforcer(part).validate(value)
        except tm.ValidationError:
            return False
    return True


# Changes whose counterexample the strategies can't draw: a row of a column that became a
# tensor (a batch is rows or arrays, never both).
UNDRAWN = {"input-schema-changed", "output-schema-changed"}

ERRORS = [
    (old, new, role)
    for old, new, check, as_input, as_output in RULES
    for role, level in (("input", as_input), ("output", as_output))
    if level == "error"
]


@pytest.mark.parametrize(("old", "new", "role"), ERRORS)
def test_every_error_has_a_counterexample_one_side_accepts_and_the_other_refuses(
    old: list[Any], new: list[Any], role: str
) -> None:
    report = diff(_as(role, old), _as(role, new))
    (change,) = report.changes
    assert change.level == "error"
    if change.counterexample is None:  # only where no value can be drawn: it says why
        assert change.why
        assert change.id in UNDRAWN, change
        return
    old_part, new_part = tm.Schema(old), tm.Schema(new)
    by_old, by_new = (
        _admits(old_part, change.counterexample),
        _admits(new_part, change.counterexample),
    )
    assert by_old != by_new, change  # one side accepts it, the other refuses it
    # An input breaks old callers when the new one refuses; an output when it produces more.
    assert by_old if role == "input" else by_new


def test_param_counterexamples_are_checked_too() -> None:
    from typedmodel.validate import ParamsValidator

    old = tm.ParamSchema([tm.ParamSpec("k", "long", 3), tm.ParamSpec("t", "double", 1.0)])
    new = tm.ParamSchema([tm.ParamSpec("k", "integer", 3)])
    report = diff(tm.ModelSignature(params=old), tm.ModelSignature(params=new))
    assert {c.id for c in report.changes} == {"param-type-narrowed", "param-param-removed"}
    for change in report.changes:
        ParamsValidator(old, None).validate(change.counterexample)  # the old one takes it
        with pytest.raises(tm.ValidationError):
            ParamsValidator(new, None).validate(change.counterexample)


def test_without_counterexamples_an_error_says_so() -> None:
    report = diff(
        _as("input", [C("long", "a")]), _as("input", [C("integer", "a")]), counterexamples=False
    )
    assert report.changes[0].counterexample is None
    assert report.changes[0].why == "counterexamples were not asked for"
    assert "no counterexample" in report.render()


def test_mlflow_run_uris_are_versions_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mlflow = pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # a local store, no server
    monkeypatch.chdir(tmp_path)
    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri((tmp_path / "store").as_uri())

    @tm.typed
    def v1(model_input: list[int]) -> list[int]:
        return model_input

    tm.save_model(v1, tmp_path / "v1")
    try:
        with mlflow.start_run() as run:
            mlflow.log_artifacts(str(tmp_path / "v1"), "model")
    finally:
        mlflow.set_tracking_uri(before)
    mlflow.set_tracking_uri((tmp_path / "store").as_uri())
    uri = f"runs:/{run.info.run_id}/model"
    narrower = tm.ModelSignature(inputs=tm.Schema([C("integer")]), outputs=tm.Schema([C("long")]))
    try:
        assert [c.id for c in diff(uri, narrower).changes] == ["input-type-narrowed"]
        assert diff(uri, tm.signature_of(v1)).changes == ()
    finally:
        mlflow.set_tracking_uri(before)
