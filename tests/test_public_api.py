"""The public surface: the names DESIGN.md lists import from typedmodel, from public modules."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import typedmodel

DESIGN_NAMES = {
    "DataType",
    "ColSpec",
    "TensorSpec",
    "Array",
    "Object",
    "Property",
    "Map",
    "AnyType",
    "Schema",
    "ParamSpec",
    "ParamSchema",
    "ModelSignature",
    "infer_schema",
    "infer_signature",
    "PythonModel",
    "typed",
    "Frame",
    "signature_of",
    "save_model",
    "load_model",
    "render_docs",
    "TypedModelError",
    "SchemaError",
    "ValidationError",
}


def test_every_design_name_is_exported() -> None:
    assert set(typedmodel.__all__) >= DESIGN_NAMES
    for name in typedmodel.__all__:
        assert getattr(typedmodel, name) is not None


@pytest.mark.parametrize("name", sorted(set(typedmodel.__all__) - {"__version__", "MISSING"}))
def test_no_public_name_comes_from_a_private_module(name: str) -> None:
    module = getattr(getattr(typedmodel, name), "__module__", "typedmodel")
    assert not any(part.startswith("_") for part in module.split(".")), module
    assert getattr(importlib.import_module(module), name) is getattr(typedmodel, name)


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        typedmodel.nope  # noqa: B018
    assert "PythonModel" in dir(typedmodel)


def test_import_loads_no_heavy_dependency() -> None:
    code = (
        "import sys, typedmodel; "
        "print(sorted(m for m in ('numpy', 'pandas', 'pydantic', 'starlette', 'mlflow', 'yaml') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_defining_a_typed_model_does_not_import_pandas() -> None:
    code = (
        "import sys, typedmodel as tm\n"
        "class M(tm.PythonModel):\n"
        "    def predict(self, context, model_input: list[float]) -> list[float]:\n"
        "        return model_input\n"
        "assert M().predict([1.0]) == [1.0]\n"
        "print('pandas' in sys.modules, 'numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
