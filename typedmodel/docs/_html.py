"""The page as one self-contained HTML document (inline CSS, no external assets)."""

from __future__ import annotations

import html
import re

from typedmodel.docs._markdown import _merged
from typedmodel.docs._page import _Doc, _Heading, _Page, _Para, _Table
from typedmodel.docs._subject import _Subject
from typedmodel.docs._text import _Cell, _Code, _Link

_CSS = """
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a;
  --line: #d0d7de; --code: #f3f4f6; --link: #0b5cad; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1;
  --line: #3d444d; --code: #1f2630; --link: #58a6ff; } }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
main { max-width: 64rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
h1 { font-size: 2rem; margin: 0 0 1rem; }
h2 { font-size: 1.4rem; margin: 2.25rem 0 .75rem; padding-bottom: .3rem;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; }
p { margin: .5rem 0 .75rem; }
.doc p { white-space: pre-line; color: var(--muted); }
a { color: var(--link); }
code, pre { font-size: .875em;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
code { background: var(--code); padding: .1em .35em; border-radius: 4px; }
pre { background: var(--code); padding: .9rem 1rem; border-radius: 6px; overflow-x: auto; }
pre code { padding: 0; background: none; }
.table { overflow-x: auto; margin: .5rem 0 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--line); padding: .4rem .6rem; text-align: left;
  vertical-align: top; }
th { background: var(--code); font-weight: 600; }
td code { white-space: nowrap; }
@media print {
  :root { --fg: #000; --bg: #fff; --muted: #333; --line: #999; --code: #f2f2f2; --link: #000; }
  main { max-width: none; padding: 0; }
  pre { white-space: pre-wrap; word-break: break-all; }
  td code { white-space: normal; }
  h2, h3 { break-after: avoid; }
  tr, pre { break-inside: avoid; }
}
""".strip()


def _html_inline(parts: _Cell) -> str:
    out: list[str] = []
    code: list[str] = []  # a run of code and links reads as one code element: list[object]
    for part in [*_merged(parts), ""]:
        if isinstance(part, _Code):
            code.append(html.escape(part.text))
        elif isinstance(part, _Link):
            code.append(f'<a href="#{html.escape(part.anchor)}">{html.escape(part.text)}</a>')
        else:
            if code:
                out.append(f"<code>{''.join(code)}</code>")
                code = []
            out.append(html.escape(part))
    return "".join(out)


def _html(subject: _Subject) -> str:
    body = []
    for block in _Page(subject).build():
        if isinstance(block, _Heading):
            anchor = html.escape(block.anchor)
            text = _html_inline(block.text)
            body.append(f'<h{block.level} id="{anchor}">{text}</h{block.level}>')
        elif isinstance(block, _Para):
            body.append(f"<p>{_html_inline(block.parts)}</p>")
        elif isinstance(block, _Doc):
            paras = [p.strip() for p in re.split(r"\n\s*\n", block.text) if p.strip()]
            body.append(
                '<div class="doc">' + "".join(f"<p>{html.escape(p)}</p>" for p in paras) + "</div>"
            )
        elif isinstance(block, _Table):
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block.headers)
            rows = "".join(
                "<tr>" + "".join(f"<td>{_html_inline(c)}</td>" for c in row) + "</tr>"
                for row in block.rows
            )
            body.append(
                f'<div class="table"><table><thead><tr>{head}</tr></thead>'
                f"<tbody>{rows}</tbody></table></div>"
            )
        else:
            lang = html.escape(block.lang)
            body.append(
                f'<pre><code class="language-{lang}">{html.escape(block.text)}</code></pre>'
            )
    title = html.escape(f"{subject.title}: model docs")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="typedmodel">\n'
        f"<title>{title}</title>\n<style>\n{_CSS}\n</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n</body>\n</html>\n"
    )
