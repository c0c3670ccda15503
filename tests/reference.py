"""Facts recorded from MLflow, kept in ``tests/data/`` so the suite needs nothing outside the
repository, and the optional MLflow import for the tests that compare against MLflow itself."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

DATA = Path(__file__).resolve().parent / "data"
FORMS_FILE = DATA / "mlflow_signature_forms.json"


def mlflow_forms() -> list[dict[str, Any]]:
    """The recorded cases: ``{"case": <what was called>, "mlflow_output": <what MLflow wrote>}``."""
    cases: list[dict[str, Any]] = json.loads(FORMS_FILE.read_text(encoding="utf-8"))["cases"]
    return cases


def mlflow_module(name: str) -> ModuleType:
    """An MLflow module, or the test is skipped when MLflow (the ``compat`` extra) is absent."""
    return pytest.importorskip(name, reason='needs MLflow: pip install "typedmodel[compat]"')


def has_mlflow() -> bool:
    """Whether MLflow imports here."""
    try:
        import mlflow  # noqa: F401  # only whether it imports
    except ImportError:
        return False
    return True
