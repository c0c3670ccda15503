"""The typedmodel command, run as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import typedmodel as tm

MODULE = textwrap.dedent(
    """
    import pydantic
    import typedmodel as tm

    class Row(pydantic.BaseModel):
        x: float
        name: str

    class Model(tm.PythonModel):
        def predict(
            self, context, model_input: list[Row], params: dict | None = None
        ) -> list[float]:
            return [r.x for r in model_input]
    """
)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "typedmodel", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "mymodel.py").write_text(MODULE)
    return tmp_path


def test_signature_of_module_attribute(project: Path) -> None:
    result = run("signature", "mymodel:Model", cwd=project)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert json.loads(printed["inputs"])[0]["type"] == "object"
    assert tm.ModelSignature.from_dict(printed).outputs == tm.Schema([tm.ColSpec("double")])


def test_signature_of_a_directory_reads_only_mlmodel(project: Path) -> None:
    sig = tm.ModelSignature(inputs=tm.Schema([tm.ColSpec("double", "x")]))

    @tm.typed(signature=sig)
    def model(model_input):  # type: ignore[no-untyped-def]
        return model_input

    tm.save_model(model, project / "saved")
    (project / "saved" / "model.pkl").write_bytes(b"garbage: never unpickled")
    result = run("signature", str(project / "saved"), cwd=project)
    assert result.returncode == 0, result.stderr
    assert tm.ModelSignature.from_dict(json.loads(result.stdout)) == sig


@pytest.mark.parametrize(
    "body",
    [
        {"inputs": [{"x": 1, "name": "a"}]},
        {"dataframe_split": {"columns": ["x", "name"], "data": [[1.0, "a"]]}},
        {"dataframe_records": [{"x": 1.0, "name": "a"}]},
        {"instances": [{"x": 1.0, "name": "a"}], "params": {"k": 1}},
    ],
    ids=["inputs", "dataframe_split", "dataframe_records", "instances"],
)
def test_validate_accepts_every_request_form(project: Path, body: dict[str, object]) -> None:
    (project / "body.json").write_text(json.dumps(body))
    result = run("validate", "mymodel:Model", "body.json", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "valid"


def test_validate_prints_issues_and_exits_non_zero(project: Path) -> None:
    body = {"dataframe_split": {"columns": ["x", "name"], "data": [[1.0, "a"], ["bad", "b"]]}}
    (project / "body.json").write_text(json.dumps(body))
    result = run("validate", "mymodel:Model", "body.json", cwd=project)
    assert result.returncode == 1
    assert "1 validation error" in result.stdout
    assert "row 1 -> x" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    as_json = run("validate", "mymodel:Model", "body.json", "--json", cwd=project)
    assert json.loads(as_json.stdout)[0]["loc"] == ["x"]


def test_validate_a_saved_directory(project: Path) -> None:
    sys.path.insert(0, str(project))
    try:
        import mymodel  # type: ignore[import-not-found]

        tm.save_model(mymodel.Model(), project / "saved", input_example=[{"x": 1.0, "name": "a"}])
    finally:
        sys.path.remove(str(project))
        sys.modules.pop("mymodel", None)
    (project / "body.json").write_text(json.dumps({"inputs": [{"x": "nope", "name": "a"}]}))
    result = run("validate", str(project / "saved"), "body.json", cwd=project)
    assert result.returncode == 1
    assert "row 0 -> x" in result.stdout


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"inputs": [], "instances": []}, "exactly one of"),
        ({}, "exactly one of"),
        ({"rows": []}, "unknown key"),
        ({"dataframe_split": {"columns": ["x"], "data": [[1, 2]]}}, "one value per column"),
    ],
)
def test_validate_reports_malformed_bodies(project: Path, body: object, message: str) -> None:
    (project / "body.json").write_text(json.dumps(body))
    result = run("validate", "mymodel:Model", "body.json", cwd=project)
    assert result.returncode == 1
    assert message in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("signature", "nowhere"), "neither a model directory"),
        (("signature", "missing_module:X"), "can't import"),
        (("signature", "mymodel:Nope"), "has no attribute"),
        (("validate", "mymodel:Model", "absent.json"), "can't read"),
    ],
)
def test_errors_are_one_line_without_traceback(
    project: Path, args: tuple[str, ...], message: str
) -> None:
    result = run(*args, cwd=project)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["markdown", "html", "json-schema", "openapi"])
def test_docs_in_every_format(project: Path, fmt: str) -> None:
    from typedmodel.docs import FORMATS, render_docs

    assert fmt in FORMATS
    result = run("docs", "mymodel:Model", "--format", fmt, "-o", "out.txt", cwd=project)
    assert result.returncode == 0, result.stderr
    written = (project / "out.txt").read_text()
    sys.path.insert(0, str(project))
    try:
        import mymodel

        assert written == render_docs(mymodel.Model(), format=fmt)
    finally:
        sys.path.remove(str(project))
        sys.modules.pop("mymodel", None)


def test_docs_of_a_directory_never_unpickle(project: Path) -> None:
    sig = tm.ModelSignature(inputs=tm.Schema([tm.ColSpec("double", "x")]))

    @tm.typed(signature=sig)
    def model(model_input):  # type: ignore[no-untyped-def]
        return model_input

    tm.save_model(model, project / "saved")
    (project / "saved" / "model.pkl").write_bytes(b"garbage: never unpickled")
    result = run("docs", str(project / "saved"), cwd=project)
    assert result.returncode == 0, result.stderr
    assert "| `x` | `double` | yes |" in result.stdout
