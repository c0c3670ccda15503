"""requirements.txt, python_env.yaml and conda.yaml: what a saved model needs to load."""

from __future__ import annotations

import collections
import datetime
import decimal
import fractions
import importlib
import importlib.metadata
import io
import os
import pickle
import platform
import sys
from pathlib import Path
from typing import Any

import cloudpickle
import pytest
import yaml

import typedmodel as tm
from tests.reference import mlflow_module
from typedmodel import _requirements as req
from typedmodel._requirements import RequirementsError

datastructures = pytest.importorskip("starlette.datastructures")


class WithURL:
    """A model holding an object of an installed third-party package (starlette)."""

    def __init__(self) -> None:
        self.base = datastructures.URL("https://example.com/api")

    def predict(self, model_input: list[str]) -> list[str]:
        return [f"{self.base}/{item}" for item in model_input]


class WithStdlib:
    def __init__(self) -> None:
        self.values = [
            datetime.date(2024, 1, 2),
            decimal.Decimal("1.5"),
            fractions.Fraction(1, 3),
            collections.OrderedDict(a=1),
        ]

    def predict(self, model_input: list[int]) -> list[int]:
        return model_input


def _lines(directory: Path) -> list[str]:
    return (directory / "requirements.txt").read_text(encoding="utf-8").splitlines()


def _version(distribution: str) -> str:
    return importlib.metadata.version(distribution)


def _claiming(monkeypatch: pytest.MonkeyPatch, claims: dict[str, list[str]]) -> None:
    """Make the module -> distributions map also say `claims`."""
    real = dict(importlib.metadata.packages_distributions())
    monkeypatch.setattr(req, "_distributions_by_module", lambda key: {**real, **claims})


CORE = ("cloudpickle", "numpy", "pandas", "pydantic", "typedmodel")


# ---------------------------------------------------------------------------------------------
# Inferred from the pickle
# ---------------------------------------------------------------------------------------------


def test_a_third_party_object_is_pinned(tmp_path: Path) -> None:
    tm.save_model(WithURL(), tmp_path / "m")
    assert f"starlette=={_version('starlette')}" in _lines(tmp_path / "m")


def test_the_core_pins_are_kept_sorted_and_unique(tmp_path: Path) -> None:
    tm.save_model(WithURL(), tmp_path / "m")
    lines = _lines(tmp_path / "m")
    assert f"typedmodel=={tm.__version__}" in lines
    assert {line.split("==")[0] for line in lines} == {*CORE, "starlette"}
    assert lines == sorted(set(lines))


def test_a_model_with_nothing_else_needs_only_the_core(tmp_path: Path) -> None:
    tm.save_model(WithStdlib(), tmp_path / "m")
    assert [line.split("==")[0] for line in _lines(tmp_path / "m")] == list(CORE)


def test_the_standard_library_is_never_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modules = req.pickled_modules(io.BytesIO(cloudpickle.dumps(WithStdlib().values)))
    assert {"datetime", "decimal", "fractions", "collections"} <= modules
    _claiming(monkeypatch, {"datetime": ["DateTime"], "decimal": ["decimal-backport"]})
    tm.save_model(WithStdlib(), tmp_path / "m")
    names = {line.split("==")[0] for line in _lines(tmp_path / "m")}
    assert names.isdisjoint({"datetime", "decimal-backport"})


def _own_module(directory: Path, name: str, source: str) -> Any:
    (directory / f"{name}.py").write_text(source, encoding="utf-8")
    return importlib.import_module(name)


@pytest.fixture
def own_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory of the user's own modules, on sys.path for the test."""
    code = tmp_path / "code"
    code.mkdir()
    monkeypatch.syspath_prepend(str(code))
    for name in ("tm_req_helper", "tm_req_model"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return code


def test_a_package_imported_by_own_code_is_pinned(own_code: Path, tmp_path: Path) -> None:
    pytest.importorskip("jsonschema")
    own = _own_module(
        own_code,
        "tm_req_model",
        "import jsonschema\n\n"
        "class Model:\n"
        "    def predict(self, model_input):\n"
        "        jsonschema.validate(model_input, {})\n"
        "        return model_input\n",
    )
    tm.save_model(own.Model(), tmp_path / "m")
    lines = _lines(tmp_path / "m")
    assert f"jsonschema=={_version('jsonschema')}" in lines
    assert not any("tm-req" in line or "tm_req" in line for line in lines)


def test_own_code_is_never_a_requirement(
    own_code: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    helper = _own_module(own_code, "tm_req_helper", "class Helper:\n    pass\n")
    own = _own_module(
        own_code,
        "tm_req_model",
        "class Model:\n"
        "    def __init__(self, helper):\n"
        "        self.helper = helper\n"
        "    def predict(self, model_input):\n"
        "        return model_input\n",
    )
    model = own.Model(helper.Helper())  # the helper's module is pickled by reference
    assert "tm_req_helper" in req.pickled_modules(io.BytesIO(cloudpickle.dumps(model)))
    _claiming(monkeypatch, {"tm_req_helper": ["tm-req-helper"], "tm_req_model": ["tm-req"]})
    tm.save_model(model, tmp_path / "m", code_paths=[own_code / "tm_req_helper.py"])
    assert not any(line.startswith("tm-req") for line in _lines(tmp_path / "m"))


def test_a_version_that_cant_be_read_is_unpinned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _claiming(monkeypatch, {"starlette": ["no-such-distribution"]})
    tm.save_model(WithURL(), tmp_path / "m")
    assert "no-such-distribution" in _lines(tmp_path / "m")


def test_a_namespace_package_pins_only_its_owner(tmp_path: Path) -> None:
    pytest.importorskip("google.protobuf.timestamp_pb2")
    owners = importlib.metadata.packages_distributions().get("google", [])
    if len(owners) < 2:
        pytest.skip("needs two distributions sharing the google namespace")
    pinned = req.pinned(["google.protobuf.timestamp_pb2"])
    assert pinned == [f"protobuf=={_version('protobuf')}"]


def test_a_local_version_label_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(req.importlib.metadata, "version", lambda name: "2.1.0+cpu")
    assert req.pin("torch") == "torch==2.1.0"


# ---------------------------------------------------------------------------------------------
# Reading the pickle's opcodes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_every_protocol_names_the_same_globals(protocol: int) -> None:
    value = [datastructures.URL("https://a"), datastructures.Headers({"a": "b"}), 1]
    found = req.pickled_globals(io.BytesIO(pickle.dumps(value, protocol=protocol)))
    ours = {pair for pair in found if pair[0].startswith("starlette")}
    assert ours == {("starlette.datastructures", "URL"), ("starlette.datastructures", "Headers")}


def test_a_memoized_module_name_is_read_back() -> None:
    # The second class's module is a BINGET of the first's: only the memo tells its name.
    data = pickle.dumps([decimal.Decimal(1), decimal.Context()], protocol=5)
    found = req.pickled_globals(io.BytesIO(data))
    assert {module for module, _ in found} == {"decimal"}
    assert {"Decimal", "Context"} <= {name for _, name in found}


def test_a_module_object_pickled_by_cloudpickle_is_found() -> None:
    data = cloudpickle.dumps([decimal, fractions])  # subimport("decimal"), ...
    assert {"decimal", "fractions"} <= req.pickled_modules(io.BytesIO(data))


def test_strings_in_the_data_are_not_modules() -> None:
    data = cloudpickle.dumps(["starlette", "URL", {"subimport": "jsonschema"}])
    assert req.pickled_modules(io.BytesIO(data)) == set()


# ---------------------------------------------------------------------------------------------
# pip_requirements and extra_pip_requirements
# ---------------------------------------------------------------------------------------------


def test_pip_requirements_replace_the_inferred_list(tmp_path: Path) -> None:
    tm.save_model(WithURL(), tmp_path / "m", pip_requirements=["starlette>=1", "anyio"])
    assert _lines(tmp_path / "m") == [f"typedmodel=={tm.__version__}", "starlette>=1", "anyio"]


def test_pip_requirements_naming_typedmodel_are_kept_as_given(tmp_path: Path) -> None:
    given = ["Typedmodel[serve]>=0.1", "starlette"]
    tm.save_model(WithURL(), tmp_path / "m", pip_requirements=given)
    assert _lines(tmp_path / "m") == given


def test_extra_pip_requirements_are_added(tmp_path: Path) -> None:
    tm.save_model(WithURL(), tmp_path / "inferred")
    inferred = _lines(tmp_path / "inferred")
    tm.save_model(WithURL(), tmp_path / "m", extra_pip_requirements=["anyio>=4", "starlette<9"])
    assert _lines(tmp_path / "m") == [*inferred, "anyio>=4", "starlette<9"]


def test_pip_requirements_and_extra_pip_requirements_together_are_refused(
    tmp_path: Path,
) -> None:
    with pytest.raises(RequirementsError, match="not both") as caught:
        tm.save_model(
            WithURL(), tmp_path / "m", pip_requirements=["a"], extra_pip_requirements=["b"]
        )
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, tm.SchemaError)
    assert os.listdir(tmp_path) == []


BAD = [
    "numpy>=",
    "not a requirement",
    "-e .",
    "-c constraints.txt",
    "numpy==1 extra",
    "https://example.com/pkg-1.0-py3-none-any.whl",
    "pkg[extra",
    "pkg;",
    "==1.0",
]
GOOD = [
    "scikit-learn==1.5.2",
    "requests[socks,security]>=2,<3",
    "pkg @ https://example.com/pkg-1.0-py3-none-any.whl",
    "numpy; python_version >= '3.10'",
    "a.b_c-d~=1.0",
    "torch==2.1.0+cpu",
    "name (>=1.0, <2)",
    "x===1.0-weird",
    "y==1.*",
]


@pytest.mark.parametrize("line", BAD)
@pytest.mark.parametrize("argument", ["pip_requirements", "extra_pip_requirements"])
def test_a_bad_requirement_string_is_named(tmp_path: Path, line: str, argument: str) -> None:
    with pytest.raises(RequirementsError) as caught:
        tm.save_model(WithURL(), tmp_path / "m", **{argument: ["anyio", line]})
    assert repr(line) in str(caught.value)
    assert str(caught.value).startswith(argument)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("line", GOOD)
def test_a_good_requirement_string_is_kept(tmp_path: Path, line: str) -> None:
    tm.save_model(WithURL(), tmp_path / "m", extra_pip_requirements=[line])
    assert _lines(tmp_path / "m")[-1] == line


def test_the_light_check_agrees_with_packaging() -> None:
    requirements = pytest.importorskip("packaging.requirements")
    for line in GOOD:
        requirements.Requirement(line)
    for line in BAD:
        if not line.startswith("-"):
            with pytest.raises(requirements.InvalidRequirement):
                requirements.Requirement(line)


def test_a_long_bad_entry_is_shortened_in_the_message(tmp_path: Path) -> None:
    with pytest.raises(RequirementsError) as caught:
        tm.save_model(WithURL(), tmp_path / "m", pip_requirements=["bad " * 1000])
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize("given", [["a", 1], b"a\nb", 3])
def test_a_value_that_is_not_strings_or_a_path_is_refused(tmp_path: Path, given: Any) -> None:
    with pytest.raises(RequirementsError, match="list of requirement strings"):
        tm.save_model(WithURL(), tmp_path / "m", pip_requirements=given)


@pytest.mark.parametrize("as_text", [True, False])
def test_a_requirements_file_is_read_as_pip_reads_it(tmp_path: Path, as_text: bool) -> None:
    (tmp_path / "more.txt").write_text("anyio>=4\n", encoding="utf-8")
    file = tmp_path / "reqs.txt"
    file.write_text(
        "# the model's environment\n"
        "\n"
        "starlette>=1  # the URL class\n"
        "jsonschema\\\n"
        ">=4\n"
        "--extra-index-url https://example.com/simple\n"
        "-r more.txt\n"
        "starlette>=1\n",
        encoding="utf-8",
    )
    tm.save_model(WithURL(), tmp_path / "m", pip_requirements=str(file) if as_text else file)
    assert _lines(tmp_path / "m") == [
        f"typedmodel=={tm.__version__}",
        "starlette>=1",
        "jsonschema>=4",
        "--extra-index-url https://example.com/simple",
        "anyio>=4",
    ]


def test_a_bad_line_of_a_file_names_the_file_and_the_line(tmp_path: Path) -> None:
    file = tmp_path / "reqs.txt"
    file.write_text("anyio\nnumpy>=\n", encoding="utf-8")
    with pytest.raises(RequirementsError, match=r"reqs\.txt\).*'numpy>='"):
        tm.save_model(WithURL(), tmp_path / "m", extra_pip_requirements=file)


def test_a_missing_requirements_file_is_a_model_file_error(tmp_path: Path) -> None:
    with pytest.raises(tm.ModelFileError, match="goes in a list"):
        tm.save_model(WithURL(), tmp_path / "m", pip_requirements="starlette")


def test_a_file_including_itself_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "reqs.txt"
    file.write_text("-r reqs.txt\n", encoding="utf-8")
    with pytest.raises(RequirementsError, match="includes itself"):
        tm.save_model(WithURL(), tmp_path / "m", pip_requirements=file)


# ---------------------------------------------------------------------------------------------
# python_env.yaml, conda.yaml and MLmodel
# ---------------------------------------------------------------------------------------------


def _pin(name: str) -> str:
    try:
        return f"{name}=={_version(name)}"
    except importlib.metadata.PackageNotFoundError:
        return name


def test_python_env_yaml_is_written_as_mlflow_writes_it(tmp_path: Path) -> None:
    tm.save_model(WithURL(), tmp_path / "m")
    text = (tmp_path / "m" / "python_env.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(text) == {
        "python": platform.python_version(),
        "build_dependencies": [_pin("pip"), _pin("setuptools"), _pin("wheel")],
        "dependencies": ["-r requirements.txt"],
    }
    assert text.startswith("python: ")


def test_conda_yaml_holds_the_same_requirements(tmp_path: Path) -> None:
    tm.save_model(WithURL(), tmp_path / "m", extra_pip_requirements=["anyio"])
    conda = yaml.safe_load((tmp_path / "m" / "conda.yaml").read_text(encoding="utf-8"))
    python, pip, pip_section = conda["dependencies"]
    assert python == f"python={platform.python_version()}"
    assert pip == _pin("pip").replace("==", "<=")
    assert pip_section == {"pip": _lines(tmp_path / "m")}
    assert conda["channels"] == ["conda-forge"]


def test_mlmodel_names_the_environment_files(tmp_path: Path) -> None:
    tm.save_model(WithURL(), tmp_path / "m")
    meta = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text(encoding="utf-8"))
    assert meta["flavors"]["python_function"]["env"] == {
        "conda": "conda.yaml",
        "virtualenv": "python_env.yaml",
    }


def test_mlflow_reads_the_environment(tmp_path: Path) -> None:
    pyfunc = mlflow_module("mlflow.pyfunc")
    virtualenv = mlflow_module("mlflow.utils.virtualenv")
    tm.save_model(WithURL(), tmp_path / "m")
    env = virtualenv._get_python_env(tmp_path / "m")  # what --env-manager virtualenv builds
    assert env.python == platform.python_version()
    assert env.dependencies == ["-r requirements.txt"]
    requirements = Path(pyfunc.get_model_dependencies(str(tmp_path / "m")))
    assert requirements == tmp_path / "m" / "requirements.txt"
    assert f"starlette=={_version('starlette')}" in requirements.read_text().splitlines()
    conda = Path(pyfunc.get_model_dependencies(str(tmp_path / "m"), format="conda"))
    assert conda == tmp_path / "m" / "conda.yaml"
    assert pyfunc.load_model(str(tmp_path / "m")).predict(["a"]) == ["https://example.com/api/a"]
