"""The source distribution stands alone: it ships what the tests read, and they pass from it."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READERS = ["tests/test_signature.py", "tests/test_infer.py", "tests/test_hints.py"]
SELECTED = "reference or mlflows_form"  # the tests that read tests/data


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "sdist", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (archive,) = out.glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="data")
    (unpacked,) = (p for p in out.iterdir() if p.is_dir())
    return unpacked


def test_the_sdist_ships_every_file_the_tests_have(sdist: Path) -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "tests"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "tests/data/mlflow_signature_forms.json" in tracked
    missing = [name for name in tracked if not (sdist / name).is_file()]
    assert not missing


def test_the_tests_that_read_recorded_facts_pass_from_the_sdist(sdist: Path) -> None:
    # Run from the unpacked sdist alone: its own typedmodel, its own tests/data, nothing beside.
    env = {**os.environ, "PYTHONPATH": str(sdist)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", SELECTED, *READERS],
        cwd=sdist,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout
    assert (
        str(sdist)
        in subprocess.run(
            [sys.executable, "-c", "import typedmodel; print(typedmodel.__file__)"],
            cwd=sdist,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
