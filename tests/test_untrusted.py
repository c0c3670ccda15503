"""A model directory you don't trust: reading its signature or docs reads nothing outside it,
costs little, never unpickles, and fails only with a short `ModelFileError`."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import typedmodel as tm
from typedmodel.docs import render_docs


class Echo:
    def predict(self, context: Any, model_input: Any) -> Any:
        return model_input


SIGNATURE = tm.ModelSignature(inputs=tm.Schema([tm.ColSpec("long", "a")]))


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "m"
    tm.save_model(Echo(), path, signature=SIGNATURE, input_example={"a": [1]})
    (tmp_path / "outside-secret.json").write_text('{"secret": "TOP-SECRET"}', encoding="utf-8")
    return path


def _edit(path: Path, change: Any) -> None:
    file = path / "MLmodel"
    meta = yaml.safe_load(file.read_text(encoding="utf-8"))
    change(meta)
    file.write_text(yaml.safe_dump(meta), encoding="utf-8")


def _refused(run: Any) -> str:
    with pytest.raises(tm.ModelFileError) as info:
        run()
    message = str(info.value)
    assert len(message) < 2000
    assert "TOP-SECRET" not in message
    return message


@pytest.mark.parametrize("where", ["../outside-secret.json", "absolute"])
def test_example_paths_that_leave_the_directory_are_refused(saved: Path, where: str) -> None:
    target = str(saved.parent / "outside-secret.json") if where == "absolute" else where

    def point(meta: dict[str, Any]) -> None:
        meta["saved_input_example_info"]["serving_input_path"] = target
        meta["saved_input_example_info"]["artifact_path"] = target

    _edit(saved, point)
    assert "outside" in _refused(lambda: render_docs(saved))
    _refused(lambda: tm.load_model(saved))


def test_a_symlink_out_of_the_directory_is_refused(saved: Path) -> None:
    example = saved / "serving_input_example.json"
    example.unlink()
    os.symlink(saved.parent / "outside-secret.json", example)
    _refused(lambda: render_docs(saved, format="markdown"))


def test_the_model_file_is_read_from_inside_only(saved: Path) -> None:
    def point(meta: dict[str, Any]) -> None:
        meta["flavors"]["typedmodel"]["model"] = "../elsewhere.pkl"

    _edit(saved, point)
    _refused(lambda: tm.load_model(saved))


def test_yaml_aliases_are_refused_at_once(saved: Path) -> None:
    lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 9):
        prev, name = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    lines.append("signature:\n  inputs: *i")
    (saved / "MLmodel").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "aliases" in _refused(lambda: tm.signature_of(saved))


def test_a_large_mlmodel_is_refused(saved: Path) -> None:
    (saved / "MLmodel").write_text("x: " + "y" * (2**20 + 10) + "\n", encoding="utf-8")
    assert "limit" in _refused(lambda: tm.signature_of(saved))


@pytest.mark.parametrize(
    "content",
    [
        "a: " + "[" * 5000 + "]" * 5000 + "\n",
        "signature:\n  inputs: '"
        + '{"type": "array", "items": ' * 10_000
        + '"long"'
        + "}" * 10_000
        + "'\n",
        'signature:\n  inputs: \'[{"type": "long", "x-typedmodel": [1]}]\'\n',
        'signature:\n  inputs: \'[{"type": "long", "x-typedmodel": {"enum": 5}}]\'\n',
        "signature: 7\n",
        "- a list\n",
    ],
    ids=["deep-yaml", "deep-signature", "ext-list", "enum-int", "signature-int", "top-list"],
)
def test_malformed_content_is_a_model_file_error(saved: Path, content: str) -> None:
    (saved / "MLmodel").write_text(content, encoding="utf-8")
    _refused(lambda: tm.signature_of(saved))
    _refused(lambda: render_docs(saved))


def test_a_deep_serving_example_is_refused(saved: Path) -> None:
    depth = 100_000
    (saved / "serving_input_example.json").write_text("[" * depth + "]" * depth, encoding="utf-8")
    _refused(lambda: render_docs(saved))


class _Bomb:
    def __reduce__(self) -> Any:
        return (Path.touch, (Path(os.environ["TYPEDMODEL_BOMB"]),))


def test_reading_a_directory_never_unpickles(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = saved.parent / "unpickled"
    monkeypatch.setenv("TYPEDMODEL_BOMB", str(marker))
    (saved / "model.pkl").write_bytes(pickle.dumps(_Bomb()))
    assert tm.signature_of(saved) == SIGNATURE
    render_docs(saved, format="html")
    assert not marker.exists()
    pickle.loads((saved / "model.pkl").read_bytes())  # the bomb is live: it does go off
    assert marker.exists()


def test_the_command_line_says_one_line_and_exits_2(saved: Path) -> None:
    (saved / "MLmodel").write_text("a: &a [1]\nb: *a\n", encoding="utf-8")
    for command in ("signature", "docs"):
        result = subprocess.run(
            [sys.executable, "-m", "typedmodel", command, str(saved)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 2, result
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert json.dumps  # the answer is an error, not a document
        assert result.stdout == ""
