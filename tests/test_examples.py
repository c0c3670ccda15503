"""Every example in examples/ and every Python block of the README runs."""

from __future__ import annotations

import json
import os
import re
import runpy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reference import mlflow_module

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_JSON_BLOCK = re.compile(r"^```json\n(.*?)^```", re.S | re.M)
_USES_MLFLOW = re.compile(r"^\s*(import|from) mlflow\b", re.M)


# A page about an engine runs in that engine's test step (see the markers in pyproject.toml).
_ENGINE_PAGES = {"spark.md": pytest.mark.spark, "ray.md": pytest.mark.ray}


def _blocks() -> list[tuple[str, str]]:
    out = []
    for path in DOC_FILES:
        for i, match in enumerate(_BLOCK.finditer(path.read_text(encoding="utf-8"))):
            out.append((f"{path.relative_to(ROOT)}#{i}", match.group(1)))
    return out


def _marked_blocks() -> list[Any]:
    return [
        pytest.param(
            where,
            code,
            id=where,
            marks=[m] if (m := _ENGINE_PAGES.get(Path(where.partition("#")[0]).name)) else [],
        )
        for where, code in _blocks()
    ]


def test_there_are_examples() -> None:
    assert EXAMPLES, "examples/ is empty"
    assert _blocks(), "the README has no python block"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(path), run_name="__main__")


@pytest.mark.parametrize(("where", "code"), _marked_blocks())
def test_doc_block_runs(
    where: str, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if _USES_MLFLOW.search(code):
        mlflow_module("mlflow")  # a page about MLflow needs it installed (the compat extra)
    monkeypatch.chdir(tmp_path)
    # Our own docs, run as a reader's script would: without this file's __future__ imports.
    exec(compile(code, where, "exec", dont_inherit=True), {"__name__": "__doc_example__"})


def test_quickstart_runs_as_a_script() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert '"inputs"' in result.stdout


@pytest.fixture(autouse=True)
def _restore_global_state() -> Iterator[None]:
    """Doc blocks may set up MLflow as a reader would (a tracking URI, an environment
    variable): undo that after each test, so no other test runs against it."""
    environ = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(environ)
    mlflow = sys.modules.get("mlflow")
    if mlflow is not None:
        mlflow.set_tracking_uri(None)


def _json_blocks() -> list[tuple[str, str]]:
    out = []
    for path in DOC_FILES:
        for i, match in enumerate(_JSON_BLOCK.finditer(path.read_text(encoding="utf-8"))):
            out.append((f"{path.relative_to(ROOT)}#json{i}", match.group(1)))
    return out


def test_there_are_json_blocks() -> None:
    assert _json_blocks(), "the docs have no json block"


@pytest.mark.parametrize(("where", "text"), _json_blocks(), ids=[w for w, _ in _json_blocks()])
def test_doc_json_block_parses(where: str, text: str) -> None:
    json.loads(text)


def test_docs_site_builds_strictly(tmp_path: Path) -> None:
    """mkdocs.yml, docs/ and its build hook: the site builds with no warning (strict mode).

    The hook renders a real model's docs with typedmodel while the site is built, so this also
    checks that generated page against the current code.
    """
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    page = (tmp_path / "generated.html").read_text(encoding="utf-8")
    assert "Age in whole years" in page  # the field description, rendered by render_docs
    assert (tmp_path / "generated" / "scorer.html").is_file()
