"""How a `typedmodel.compatibility.Report` is written: text, JSON, Markdown, JUnit XML and GitHub
workflow annotations."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:
    from typedmodel.compatibility import Report

FORMATS = ("text", "json", "markdown", "junit", "github")

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "typedmodel diff report",
    "type": "object",
    "required": ["mode", "breaking", "counts", "ignored", "changes"],
    "additionalProperties": False,
    "properties": {
        "mode": {"enum": ["backward", "forward", "full"]},
        "breaking": {"type": "boolean", "description": "Whether a change is an error."},
        "counts": {
            "type": "object",
            "required": ["info", "warning", "error"],
            "additionalProperties": False,
            "properties": {
                k: {"type": "integer", "minimum": 0} for k in ("info", "warning", "error")
            },
        },
        "ignored": {"type": "integer", "minimum": 0, "description": "Changes a config ignored."},
        "changes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "level", "path", "message", "effect"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^(input|output|param)-[a-z-]+$"},
                    "level": {"enum": ["info", "warning", "error"]},
                    "path": {"type": "string"},
                    "message": {"type": "string"},
                    "effect": {"enum": ["widened", "narrowed", "changed", "lossy", "neutral"]},
                    "counterexample": {
                        "description": "For an error: a batch of one row (or one call's "
                        "params) one version accepts and the other refuses; null when none."
                    },
                    "why": {
                        "type": ["string", "null"],
                        "description": "For an error without a counterexample: why.",
                    },
                },
            },
        },
    },
}
"""The JSON Schema of ``Report.render("json")``."""

_TITLES = {"error": "Breaking", "warning": "May break", "info": "Safe"}


def render(report: Report, format: str) -> str:
    if format not in FORMATS:
        raise ValueError(f"unknown diff format {format!r}; use one of {', '.join(FORMATS)}")
    return _WRITERS[format](report)


def _text(report: Report) -> str:
    if not report.changes:
        return f"No changes ({report.mode} mode)."
    lines = [f"{len(report.changes)} change(s), {report.mode} mode:"]
    for level in ("error", "warning", "info"):
        found = [c for c in report.changes if c.level == level]
        if found:
            lines.append(f"\n{_TITLES[level]} ({level}):")
            for c in found:
                lines.append(f"  {c.id} at {c.path}: {c.message}")
                if c.level == "error":
                    lines.append(f"    {_example(c)}")
    if report.ignored:
        lines.append(f"\n{report.ignored} change(s) ignored by the config.")
    return "\n".join(lines)


def _example(change: Any) -> str:
    if change.counterexample is not None:
        text = json.dumps(change.counterexample)
        return f"e.g. {text if len(text) <= 300 else text[:297] + '...'}"
    return f"no counterexample: {change.why}"


def _json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2)


def _markdown(report: Report) -> str:
    counts = report.to_dict()["counts"]
    head = "Breaking changes found" if report.breaking else "No breaking changes"
    lines = [
        f"### Signature diff: {head.lower()} ({report.mode} mode)",
        "",
        f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info.",
    ]
    if report.changes:
        lines += ["", "| level | check | path | change |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {c.level} | `{c.id}` | `{c.path}` | {_cell(c.message)}"
            + (f"; {_cell(_example(c))}" if c.level == "error" else "")
            + " |"
            for c in report.changes
        ]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _junit(report: Report) -> str:
    failures = len(report.at_least("error"))
    cases = []
    for c in report.changes:
        name = quoteattr(f"{c.id} at {c.path}")
        body = ""
        if c.level == "error":
            detail = escape(_example(c))
            body = (
                f"<failure message={quoteattr(c.message)} type={quoteattr(c.id)}>{detail}</failure>"
            )
        elif c.level == "warning":
            body = f"<system-out>{escape('warning: ' + c.message)}</system-out>"
        cases.append(
            f'    <testcase classname="typedmodel.compatibility" name={name}>{body}</testcase>'
        )
    if not cases:
        cases.append('    <testcase classname="typedmodel.compatibility" name="no changes"/>')
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<testsuites name="typedmodel diff" tests="{max(1, len(report.changes))}" '
            f'failures="{failures}">',
            f'  <testsuite name="signature ({report.mode})" '
            f'tests="{max(1, len(report.changes))}" failures="{failures}">',
            *cases,
            "  </testsuite>",
            "</testsuites>",
        ]
    )


def _github(report: Report) -> str:
    kinds = {"error": "error", "warning": "warning", "info": "notice"}
    lines = [
        f"::{kinds[c.level]} title={_escape_property(c.id)}::"
        + _escape_data(f"{c.path}: {c.message}")
        for c in report.changes
    ]
    return "\n".join(lines) if lines else "::notice title=typedmodel diff::No changes"


def _escape_data(text: str) -> str:  # as GitHub's toolkit escapes a command's message
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_WRITERS = {"text": _text, "json": _json, "markdown": _markdown, "junit": _junit, "github": _github}
