"""The MLflow bridge: MLflow loads our directories and predicts through typedmodel."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pydantic
import pytest

import typedmodel as tm
from tests.reference import mlflow_module

mlflow = mlflow_module("mlflow")
mlflow_module("mlflow.pyfunc")


class Applicant(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(ge=0)
    income: float


class Scorer(tm.PythonModel):
    def predict(self, context: Any, model_input: list[Applicant]) -> list[float]:
        return [a.age * 0.1 + a.income * 0.05 for a in model_input]


ROW = {"name": "A", "age": 1, "income": 2.0}


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    tm.save_model(Scorer(), tmp_path / "m", input_example=[ROW])
    return tmp_path / "m"


def test_mlflow_loads_and_predicts_through_typedmodel(saved: Path) -> None:
    model = mlflow.pyfunc.load_model(str(saved))
    assert model.predict([ROW]) == pytest.approx([0.2])
    assert model.predict(pd.DataFrame([ROW, {**ROW, "age": 2}])) == pytest.approx([0.2, 0.3])
    with pytest.raises(tm.ValidationError, match=r"row 0 -> age"):
        model.predict([{**ROW, "age": -1}])


def _without_extensions(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_extensions(v) for k, v in value.items() if k != "x-typedmodel"}
    if isinstance(value, list):
        return [_without_extensions(v) for v in value]
    return value


def test_mlflow_parses_our_signature(saved: Path) -> None:
    mlflow_sig = mlflow.models.Model.load(str(saved)).signature
    assert mlflow_sig is not None
    ours = tm.signature_of(Scorer).to_dict()
    assert "x-typedmodel" in (ours["inputs"] or "")  # the ge=0 constraint travels with it
    # MLflow reads everything but the extension, which it ignores.
    assert json.loads(mlflow_sig.to_dict()["inputs"]) == _without_extensions(
        json.loads(ours["inputs"] or "")
    )


def test_loader_module_imports_no_mlflow() -> None:
    code = "import sys, typedmodel.mlflow; print('mlflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_log_model_to_a_local_file_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typedmodel.mlflow import log_model

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # a local file store, as the issue asks
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    try:
        with mlflow.start_run():
            uri = log_model(Scorer(), "scorer", input_example=[ROW])
        model = mlflow.pyfunc.load_model(uri)
        assert model.predict([ROW]) == pytest.approx([0.2])
        logged = model.metadata.signature.to_dict()
        ours = tm.signature_of(Scorer).to_dict()
        assert json.loads(logged["inputs"]) == _without_extensions(json.loads(ours["inputs"] or ""))
        assert logged["outputs"] == ours["outputs"]
        with pytest.raises(tm.ValidationError, match="age"):
            model.predict([{**ROW, "age": "old"}])
    finally:
        mlflow.set_tracking_uri(None)


class AsyncScorer(tm.PythonModel):
    async def predict(self, context: Any, model_input: list[Applicant]) -> list[float]:
        return [float(a.age) for a in model_input]


def test_an_async_model_through_mlflow_returns_values_not_a_coroutine(tmp_path: Path) -> None:
    import asyncio

    tm.save_model(AsyncScorer(), tmp_path / "m")
    pyfunc = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    rows = [{"name": "a", "age": 3, "income": 1.0}]
    assert pyfunc.predict(rows) == [3.0]

    async def from_a_running_loop() -> Any:
        return pyfunc.predict(rows)  # a loop runs here: the model's runs in a thread

    assert asyncio.run(from_a_running_loop()) == [3.0]
