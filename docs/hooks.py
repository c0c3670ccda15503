"""Build-time generation for the docs site (registered under ``hooks:`` in mkdocs.yml).

``generated.md`` shows what typedmodel writes for a real model. While the site is built, the
hook imports the model of ``examples/scoring.py``, renders its docs with
``typedmodel.render_docs`` and puts the Markdown, and the model's source, in place of the page's
placeholders. The same contract is written beside the page in the three other formats (a
standalone HTML page, a JSON Schema and an OpenAPI document). Nothing on that page is pasted,
so nothing on it can drift from the code.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "scoring.py"
MODEL = "Scorer"
PAGE = "generated.md"
DOCS_PLACEHOLDER = "<!-- generated-docs -->"
SOURCE_PLACEHOLDER = "<!-- generated-model-source -->"
EXTRA_FORMATS = {
    "generated/scorer.html": "html",
    "generated/scorer.schema.json": "json-schema",
    "generated/scorer.openapi.json": "openapi",
}

_FENCE = re.compile(r"^(`{3,}|~{3,})")


def _example_model() -> Any:
    """The model class of examples/scoring.py, imported fresh for each build."""
    name = "_typedmodel_docs_example"
    spec = importlib.util.spec_from_file_location(name, EXAMPLE)
    if spec is None or spec.loader is None:
        raise PluginError(f"can't import {EXAMPLE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # pydantic resolves the models' hints through sys.modules
    spec.loader.exec_module(module)
    return getattr(module, MODEL)


def _render(fmt: str) -> str:
    import typedmodel

    return typedmodel.render_docs(_example_model(), format=fmt)


def _model_source() -> str:
    """The classes of examples/scoring.py (its imports and demo left out), as a code block."""
    text = EXAMPLE.read_text(encoding="utf-8")
    lines = text.splitlines()
    classes = []
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            classes.append("\n".join(lines[first - 1 : node.end_lineno]))
    return "```python\n" + "\n\n\n".join(classes) + "\n```\n"


def _demoted(markdown: str) -> str:
    """Every heading one level down (outside code blocks): the page keeps its own title."""
    out = []
    fence: str | None = None
    for line in markdown.splitlines():
        match = _FENCE.match(line)
        if match:
            if fence is None:
                fence = match.group(1)
            elif line.strip() == fence:
                fence = None
        elif fence is None and line.startswith("#"):
            line = "#" + line
        out.append(line)
    return "\n".join(out) + "\n"


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for path, fmt in EXTRA_FORMATS.items():
        files.append(File.generated(config, path, content=_render(fmt)))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri != PAGE:
        return markdown
    for placeholder in (DOCS_PLACEHOLDER, SOURCE_PLACEHOLDER):
        if placeholder not in markdown:
            raise PluginError(f"{PAGE} has lost its placeholder {placeholder}")
    markdown = markdown.replace(SOURCE_PLACEHOLDER, _model_source())
    return markdown.replace(DOCS_PLACEHOLDER, _demoted(_render("markdown")))
