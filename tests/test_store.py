"""save_model / load_model: layout, signature sources, examples on disk, errors."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import pytest
import yaml

import typedmodel as tm
from typedmodel import store


class Applicant(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(ge=0)
    income: float
    note: str | None = None


class Score(pydantic.BaseModel):
    score: float


class Scorer(tm.PythonModel):
    def predict(self, context: Any, model_input: list[Applicant]) -> list[Score]:
        return [Score(score=a.age * 0.1 + a.income * 0.05) for a in model_input]


class Doubler(tm.PythonModel):
    """Untyped: the signature must come from an example."""

    def __init__(self) -> None:
        self.loaded = 0

    def load_context(self, context: Any) -> None:
        self.loaded += 1

    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        factor = (params or {}).get("factor", 2)
        return model_input[["x"]] * factor


ROW = {"name": "A", "age": 1, "income": 2.0}


def test_layout_and_mlmodel(tmp_path: Path) -> None:
    info = tm.save_model(Scorer(), tmp_path / "m", input_example=[ROW], metadata={"team": "risk"})
    names = sorted(os.listdir(tmp_path / "m"))
    assert names == [
        "MLmodel",
        "conda.yaml",
        "input_example.json",
        "model.pkl",
        "python_env.yaml",
        "requirements.txt",
        "serving_input_example.json",
        "serving_output_example.json",
    ]
    meta = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())
    assert meta["signature"] == tm.signature_of(Scorer).to_dict()
    assert meta["is_signature_from_type_hint"] is True
    assert meta["flavors"]["python_function"]["loader_module"] == "typedmodel.mlflow"
    assert meta["flavors"]["typedmodel"]["typedmodel_version"] == tm.__version__
    assert meta["flavors"]["python_function"]["python_version"].count(".") == 2
    assert meta["saved_input_example_info"]["serving_input_path"] == "serving_input_example.json"
    assert meta["metadata"] == {"team": "risk"}
    assert "utc_time_created" in meta
    assert f"typedmodel=={tm.__version__}" in (tmp_path / "m" / "requirements.txt").read_text()
    assert info.path == tmp_path / "m"
    assert info.signature == tm.signature_of(Scorer)
    assert info.is_signature_from_type_hint


def test_round_trip_of_a_typed_model(tmp_path: Path) -> None:
    tm.save_model(Scorer(), tmp_path / "m", input_example=[ROW])
    loaded = tm.load_model(tmp_path / "m")
    assert loaded.is_typed
    assert loaded.predict([ROW]) == [Score(score=0.2)]
    assert loaded.signature == tm.signature_of(Scorer)
    assert loaded.input_example == [ROW]
    assert tm.signature_of(loaded) == tm.signature_of(Scorer)
    with pytest.raises(tm.ValidationError, match=r"row 0 -> age"):
        loaded.predict([{**ROW, "age": -1}])


def test_typed_example_that_does_not_fit_is_an_error_naming_row_and_field(tmp_path: Path) -> None:
    with pytest.raises(tm.ValidationError, match=r"input_example.*\n.*row 1 -> age"):
        tm.save_model(Scorer(), tmp_path / "m", input_example=[ROW, {**ROW, "age": "x"}])
    assert not (tmp_path / "m").exists()


def test_signature_inferred_from_a_dataframe_example_for_an_untyped_model(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, np.nan], "s": ["a", "b", None]})
    model = Doubler()
    info = tm.save_model(model, tmp_path / "m", input_example=(frame, {"factor": 3}))
    # load_context ran on a copy that predicted on the example, never on the object saved:
    # what it loads doesn't end up in the pickle
    assert model.loaded == 0
    assert not info.is_signature_from_type_hint
    assert info.signature == tm.ModelSignature(
        inputs=tm.Schema([tm.ColSpec("double", "x", False), tm.ColSpec("string", "s", False)]),
        outputs=tm.Schema([tm.ColSpec("double", "x", False)]),
        params=tm.ParamSchema([tm.ParamSpec("factor", "long", 3)]),
    )
    serving = json.loads((tmp_path / "m" / "serving_input_example.json").read_text())
    assert serving == {
        "dataframe_split": {"columns": ["x", "s"], "data": [[1.0, "a"], [2.0, "b"], [None, None]]},
        "params": {"factor": 3},
    }
    loaded = tm.load_model(tmp_path / "m")
    assert loaded.model.loaded == 1  # once, after loading
    assert not loaded.is_typed
    pd.testing.assert_frame_equal(loaded.input_example, frame)
    # The saved signature is enforced: int -> double is a safe cast, a string is not; the
    # example's params became the defaults.
    out = loaded.predict(pd.DataFrame({"x": [1, 2], "s": ["q", "r"]}))
    assert out["x"].tolist() == [3.0, 6.0]
    assert out["x"].dtype == np.float64
    with pytest.raises(tm.ValidationError, match="x"):
        loaded.predict(pd.DataFrame({"x": ["a"], "s": ["q"]}))
    with pytest.raises(tm.ValidationError, match=r"params.*\n.*factor"):
        loaded.predict(pd.DataFrame({"x": [1.0], "s": ["q"]}), params={"factor": 1.5})
    assert loaded.predict(pd.DataFrame({"x": [1.0], "s": ["q"]}), params={"factor": 5})[
        "x"
    ].tolist() == [5.0]


def test_explicit_signature_wins(tmp_path: Path) -> None:
    sig = tm.ModelSignature(inputs=tm.Schema([tm.ColSpec("double", "x")]))
    info = tm.save_model(Doubler(), tmp_path / "m", signature=sig)
    assert info.signature == sig
    assert tm.signature_of(tmp_path / "m") == sig
    assert not (tmp_path / "m" / "input_example.json").exists()


def test_serving_example_json_is_strict_json(tmp_path: Path) -> None:
    import datetime as dt

    @tm.typed
    class Echo:
        def predict(self, model_input: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return model_input

    example = [
        {
            "b": b"\x00\xff",
            "t": dt.datetime(2024, 1, 2, 3, 4, 5),
            "n": float("nan"),
            "i": np.int64(3),
        }
    ]
    tm.save_model(Echo(), tmp_path / "m", input_example=example)
    text = (tmp_path / "m" / "serving_input_example.json").read_text()
    body = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert body == {"inputs": [{"b": "AP8=", "t": "2024-01-02T03:04:05", "n": None, "i": 3}]}


def test_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    tm.save_model(Scorer(), tmp_path / "m")
    with pytest.raises(tm.ModelFileError, match="overwrite=True"):
        tm.save_model(Scorer(), tmp_path / "m")
    tm.save_model(Doubler(), tmp_path / "m", overwrite=True, signature=tm.signature_of(Scorer))
    assert not tm.load_model(tmp_path / "m").is_typed
    (tmp_path / "empty").mkdir()
    tm.save_model(Scorer(), tmp_path / "empty")  # an empty directory is fine


def test_a_crash_mid_save_leaves_nothing_at_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_requirements", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        tm.save_model(Scorer(), tmp_path / "m")
    assert os.listdir(tmp_path) == []


def test_signature_of_a_path_never_unpickles(tmp_path: Path) -> None:
    tm.save_model(Scorer(), tmp_path / "m")
    (tmp_path / "m" / "model.pkl").write_bytes(b"not a pickle at all")
    assert tm.signature_of(tmp_path / "m") == tm.signature_of(Scorer)
    assert tm.signature_of(str(tmp_path / "m")) == tm.signature_of(Scorer)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "MLmodel").unlink(), "no MLmodel file"),
        (lambda d: (d / "MLmodel").write_text("a: [unclosed"), "not valid YAML"),
        (lambda d: (d / "MLmodel").write_text("- just a list"), "corrupt"),
        (lambda d: (d / "model.pkl").unlink(), "model file is missing"),
        (
            lambda d: (d / "MLmodel").write_text(
                (d / "MLmodel").read_text().replace("format_version: 1", "format_version: 99")
            ),
            "upgrade typedmodel",
        ),
        (
            lambda d: (d / "MLmodel").write_text(
                (d / "MLmodel").read_text().replace("typedmodel:", "other:")
            ),
            "not saved by typedmodel",
        ),
    ],
    ids=["no-mlmodel", "bad-yaml", "not-a-mapping", "no-pickle", "newer-format", "no-flavor"],
)
def test_clear_errors_for_broken_directories(tmp_path: Path, damage: Any, message: str) -> None:
    tm.save_model(Scorer(), tmp_path / "m")
    damage(tmp_path / "m")
    with pytest.raises(tm.ModelFileError, match=message):
        tm.load_model(tmp_path / "m")


def test_a_bare_function_round_trips(tmp_path: Path) -> None:
    @tm.typed
    def lengths(model_input: list[str]) -> list[int]:
        return [len(s) for s in model_input]

    tm.save_model(lengths, tmp_path / "m", input_example=["ab"])
    assert tm.load_model(tmp_path / "m").predict(["abc", "d"]) == [3, 1]


def test_caller_dataframe_is_not_mutated(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": np.array([1, 2], dtype="int32"), "s": ["a", "b"]})
    before = frame.copy(deep=True)
    tm.save_model(Doubler(), tmp_path / "m", input_example=frame)
    tm.load_model(tmp_path / "m").predict(frame)
    pd.testing.assert_frame_equal(frame, before)


# -- every example model survives save -> load -> predict --------------------------------------

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _example(name: str) -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an import would (pydantic resolves hints through it)
    spec.loader.exec_module(module)
    return module


def _example_cases() -> list[tuple[str, str, Any]]:
    frame = pd.DataFrame({"age": np.array([40, 20], dtype="int32"), "income": [9e4, 1e4]})
    return [
        ("quickstart", "Risk", [{"age": 30, "income": 5e4, "city": "Lyon"}]),
        ("scoring", "Scorer", [{"name": "A", "age": 30, "income": 5e4}]),
        ("chat", "EchoChat", [{"role": "user", "content": "hi", "metadata": {"user": "Al"}}]),
        ("typing_hints", "WeightedSum", [{"height": 1.0, "width": 2.0}]),
        ("explicit_signatures", "TableModel", frame),
        ("explicit_signatures", "tensor_model", {"pixels": np.eye(3)}),
    ]


@pytest.mark.parametrize(
    ("module", "attribute", "data"), _example_cases(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_example_model_round_trips(
    tmp_path: Path, module: str, attribute: str, data: Any
) -> None:
    obj = getattr(_example(module), attribute)
    model = obj() if isinstance(obj, type) else obj
    expected = model(data) if inspect.isfunction(model) else model.predict(data)
    tm.save_model(model, tmp_path / "m", input_example=data)
    loaded = tm.load_model(tmp_path / "m")
    assert loaded.signature == tm.signature_of(model)
    got = loaded.predict(data)
    if isinstance(expected, np.ndarray):
        np.testing.assert_array_equal(got, expected)
    else:
        assert got == expected


def test_params_for_a_model_that_takes_none_are_refused_not_dropped(tmp_path: Path) -> None:
    class NoParams(tm.PythonModel):
        def predict(self, context, model_input):  # type: ignore[no-untyped-def]
            return model_input

    tm.save_model(NoParams(), tmp_path / "m", input_example=pd.DataFrame({"x": [1.0]}))
    loaded = tm.load_model(tmp_path / "m")
    with pytest.raises(tm.ValidationError, match="takes no params"):
        loaded.predict(pd.DataFrame({"x": [1.0]}), params={"k": 1})


# ---------------------------------------------------------------------------------------------
# Odd targets, leftovers, and load_context on every path
# ---------------------------------------------------------------------------------------------


def test_saving_over_the_working_directory_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for where in (".", "..", str(work)):
        with pytest.raises(tm.ModelFileError, match="working directory"):
            tm.save_model(Doubler(), where, overwrite=True)
    assert list(work.iterdir()) == []


def test_overwrite_replaces_only_a_model_directory(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(tm.ModelFileError, match="not a model directory"):
        tm.save_model(Doubler(), notes, overwrite=True)
    assert (notes / "keep.txt").read_text(encoding="utf-8") == "mine"
    tm.save_model(Doubler(), tmp_path / "m")
    tm.save_model(Doubler(), tmp_path / "m", overwrite=True)  # a model directory: replaced
    with pytest.raises(tm.ModelFileError, match="is a file"):
        tm.save_model(Doubler(), notes / "keep.txt", overwrite=True)


def test_a_killed_save_leaves_nothing_the_next_save_keeps(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    leftover = tmp_path / ".m.staging-abc123"
    leftover.mkdir()
    (leftover / "model.pkl").write_bytes(b"x" * 1000)
    (leftover / ".typedmodel-save").write_text(dead.stdout.strip(), encoding="utf-8")
    other = tmp_path / ".m.staging-live"
    other.mkdir()
    (other / ".typedmodel-save").write_text(str(os.getppid()), encoding="utf-8")  # alive
    tm.save_model(Doubler(), tmp_path / "m")
    assert not leftover.exists()
    assert other.exists()  # a save still running is left alone
    assert sorted(p.name for p in tmp_path.iterdir()) == [".m.staging-live", "m"]


def test_the_command_line_calls_load_context_on_the_instance_it_makes(tmp_path: Path) -> None:
    (tmp_path / "ctxmod.py").write_text(
        "import typedmodel as tm\n"
        "class M(tm.PythonModel):\n"
        "    ready = False\n"
        "    def load_context(self, context):\n"
        "        self.ready = True\n"
        "    def predict(self, context, model_input: list[int]) -> list[bool]:\n"
        "        return [self.ready for _ in model_input]\n",
        encoding="utf-8",
    )
    (tmp_path / "body.json").write_text('{"inputs": [1]}', encoding="utf-8")
    from typedmodel.cli import _resolve

    sys.path.insert(0, str(tmp_path))
    try:
        assert _resolve("ctxmod:M").predict([1]) == [True]
    finally:
        sys.path.remove(str(tmp_path))


MYMOD = (
    "import typedmodel as tm\n"
    "import helper_lib\n"
    "class Mine(tm.PythonModel):\n"
    "    def predict(self, context, model_input: list[int]) -> list[int]:\n"
    "        return [helper_lib.twice(x) for x in model_input]\n"
)


def _load_elsewhere(model_dir: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys, typedmodel as tm\n"
        "try:\n"
        f"    print(tm.load_model({str(model_dir)!r}).predict([2]))\n"
        "except tm.ModelFileError as exc:\n"
        "    print('ModelFileError:', exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


def test_the_models_own_code_travels_with_it(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "mymod.py").write_text(MYMOD, encoding="utf-8")
    (src / "helper_lib.py").write_text("def twice(x):\n    return 2 * x\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import sys; sys.path.insert(0, {src!r})\n"
        "import typedmodel as tm, mymod\n"
        "tm.save_model(mymod.Mine(), {out!r}{extra})\n"
    )
    for name, extra in (
        ("plain", ""),
        ("with_code", f", code_paths=[{str(src / 'helper_lib.py')!r}]"),
    ):
        out = str(tmp_path / name)
        run = script.format(src=str(src), out=out, extra=extra)
        subprocess.run([sys.executable, "-c", run], check=True, cwd=tmp_path, timeout=120)
    # mymod is pickled by value; helper_lib, which it imports, is not there without code_paths
    plain = _load_elsewhere(tmp_path / "plain", elsewhere)
    assert "ModelFileError" in plain.stdout, plain
    assert "'helper_lib'" in plain.stdout
    assert "code_paths" in plain.stdout
    assert _load_elsewhere(tmp_path / "with_code", elsewhere).stdout.strip() == "[4]"
    assert (tmp_path / "with_code" / "code" / "helper_lib.py").is_file()
