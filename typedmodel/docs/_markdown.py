"""The page as Markdown."""

from __future__ import annotations

import re

from typedmodel.docs._page import _Doc, _Heading, _Page, _Para, _Table
from typedmodel.docs._subject import _Subject
from typedmodel.docs._text import _Cell, _Code, _Inline, _Link


def _md_code(text: str, *, in_table: bool) -> str:
    text = " ".join(text.splitlines())
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ")):
        text = f" {text} "
    if in_table:
        text = text.replace("|", "\\|")
    return f"{fence}{text}{fence}"


def _md_text(text: str, *, in_table: bool) -> str:
    text = re.sub(r"\s+", " ", text) if in_table else text
    text = text.replace("<", "&lt;")
    return text.replace("|", "\\|") if in_table else text


def _md_plain(text: str) -> str:
    """Text shown as it is: no HTML, links, images, code or emphasis (for untrusted text)."""
    return re.sub(r"([\\`*_\[\]<>!])", r"\\\1", text)


def _merged(parts: _Cell) -> list[_Inline]:
    """Adjacent code runs as one span: `list[double]`, not `list[` `double` `]`."""
    out: list[_Inline] = []
    for part in parts:
        if isinstance(part, _Code) and out and isinstance(out[-1], _Code):
            out[-1] = _Code(out[-1].text + part.text)
        else:
            out.append(part)
    return out


def _md_inline(parts: _Cell, *, in_table: bool = False) -> str:
    out = []
    for part in _merged(parts):
        if isinstance(part, _Code):
            out.append(_md_code(part.text, in_table=in_table))
        elif isinstance(part, _Link):
            out.append(f"[{_md_code(part.text, in_table=in_table)}](#{part.anchor})")
        else:
            out.append(_md_text(part, in_table=in_table))
    return "".join(out)


def _markdown(subject: _Subject) -> str:
    chunks = []
    for block in _Page(subject).build():
        if isinstance(block, _Heading):
            anchor = f'<a id="{block.anchor}"></a>' if block.level > 2 else ""
            chunks.append(f"{'#' * block.level} {anchor}{_md_inline(block.text)}")
        elif isinstance(block, _Para):
            chunks.append(_md_inline(block.parts))
        elif isinstance(block, _Doc):
            chunks.append(block.text if block.markdown else _md_plain(block.text))
        elif isinstance(block, _Table):
            lines = [
                "| " + " | ".join(block.headers) + " |",
                "|" + "|".join(" --- " for _ in block.headers) + "|",
            ]
            lines += [
                "| " + " | ".join(_md_inline(c, in_table=True) for c in row) + " |"
                for row in block.rows
            ]
            chunks.append("\n".join(lines))
        else:
            fence = "```" + "`" * max(
                (len(m) - 2 for m in re.findall(r"`{3,}", block.text)), default=0
            )
            chunks.append(f"{fence}{block.lang}\n{block.text}\n{fence}")
    return "\n\n".join(chunks) + "\n"
