"""The page: one model of headings, paragraphs, tables and code blocks for Markdown and HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass

from typedmodel.docs._bodies import _Bodies, _saved_answer, _Shown, _shown_example
from typedmodel.docs._subject import _Subject
from typedmodel.docs._text import _Cell, _Code, _constraint_text, _Inline, _tensor_text, _TypeText
from typedmodel.docs._util import SERVER_URL, _curl, _json, _plain, _pretty
from typedmodel.schema import (
    MISSING,
    ColSpec,
    DType,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    TensorSpec,
)


@dataclass(frozen=True)
class _Heading:
    level: int
    text: _Cell
    anchor: str


@dataclass(frozen=True)
class _Para:
    parts: _Cell


@dataclass(frozen=True)
class _Doc:
    text: str  # a docstring: Markdown as written; paragraphs in HTML
    markdown: bool = True  # False: text read from a directory, escaped in Markdown too


@dataclass(frozen=True)
class _Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[_Cell, ...], ...]


@dataclass(frozen=True)
class _CodeBlock:
    lang: str
    text: str


_Block = _Heading | _Para | _Doc | _Table | _CodeBlock
_HOLDER_HEADERS = ("Type", "Required", "Default", "Constraints", "Description")


class _Page:
    """Builds the blocks of the page for a subject."""

    def __init__(self, subject: _Subject) -> None:
        self.subject = subject
        self.blocks: list[_Block] = []
        self.anchors: set[str] = {"top", "inputs", "outputs", "params", "example-request"}
        self.pending: list[tuple[str, Object, str]] = []  # (path, object, anchor)

    def build(self) -> list[_Block]:
        subject = self.subject
        self.blocks.append(_Heading(1, (subject.title,), "top"))
        if subject.doc:
            self.blocks.append(_Doc(subject.doc, markdown=subject.doc_is_markdown))
        sig = subject.signature
        if sig is None:
            self.blocks.append(
                _Para(("This model has no signature: nothing describes its input.",))
            )
        else:
            self.schema_section("Inputs", "inputs", sig.inputs, "row")
            self.schema_section("Outputs", "outputs", sig.outputs, "item")
            if sig.params is not None:
                self.params_section(sig.params)
        self.example_section()
        return self.blocks

    # -- tables ---------------------------------------------------------------------------

    def _typer(self, section: str) -> _TypeText:
        def on_object(obj: Object, path: str) -> str:
            anchor = self._anchor(f"{section}-{path}")
            self.pending.append((path, obj, anchor))
            return anchor

        return _TypeText(on_object)

    def _anchor(self, text: str) -> str:
        base = re.sub(r"[^0-9A-Za-z_]+", "-", text).strip("-").lower() or "object"
        anchor, n = base, 1
        while anchor in self.anchors:
            n += 1
            anchor = f"{base}-{n}"
        self.anchors.add(anchor)
        return anchor

    def _holder_row(
        self,
        typer: _TypeText,
        name: _Inline,
        path: str,
        dtype: DType,
        holder: ColSpec | Property,
    ) -> tuple[_Cell, ...]:
        default: _Cell = () if holder.default is MISSING else (_Code(_json(holder.default)),)
        return (
            (name,),
            tuple(typer.visit(dtype, path)),
            ("yes" if holder.required else "no",),
            default,
            tuple(_constraint_text(holder.constraints)),
            (holder.description,) if holder.description else (),
        )

    def _object_table(self, typer: _TypeText, obj: Object, path: str) -> _Table:
        rows = tuple(
            self._holder_row(typer, _Code(p.name), _join_path(path, p.name), p.dtype, p)
            for p in obj.properties
        )
        return _Table(("Field", *_HOLDER_HEADERS), rows)

    def _flush(self, typer: _TypeText) -> None:
        while self.pending:
            path, obj, anchor = self.pending.pop(0)
            self.blocks.append(_Heading(3, ("Fields of ", _Code(path)), anchor))
            self.blocks.append(self._object_table(typer, obj, path))

    # -- sections -------------------------------------------------------------------------

    def schema_section(self, title: str, section: str, schema: Schema | None, noun: str) -> None:
        self.blocks.append(_Heading(2, (title,), section))
        if schema is None:
            self.blocks.append(_Para((f"No {section[:-1]} schema is declared.",)))
            return
        typer = self._typer(section)
        if schema.is_tensor_spec():
            tensors: list[TensorSpec] = list(schema.inputs)  # type: ignore[arg-type]
            lead = "Named tensors" if schema.has_input_names() else "One tensor"
            self.blocks.append(_Para((f"{lead}; ", _Code("-1"), " in a shape means any size.")))
            rows: tuple[tuple[_Cell, ...], ...] = tuple(
                ((_Code(t.name) if t.name else "(unnamed)",), (_Code(_tensor_text(t)),))
                for t in tensors
            )
            self.blocks.append(_Table(("Tensor", "Type"), rows))
            return
        cols: list[ColSpec] = list(schema.inputs)  # type: ignore[arg-type]
        only = cols[0]
        if len(cols) == 1 and only.name is None and isinstance(only.type, Object):
            lead = f"A batch (a list); each {noun} is an object with these fields."
            self.blocks.append(_Para((lead,)))
            if only.description:
                self.blocks.append(_Para((only.description,)))
            self.blocks.append(self._object_table(typer, only.type, ""))
        else:
            if only.name is not None:
                lead = f"A batch of {noun}s with these columns (a DataFrame, or a list of records)."
            elif len(cols) == 1:
                lead = f"A batch (a list); each {noun} is one value of this type."
            else:
                lead = f"A batch of {noun}s, each a list of {len(cols)} values in this order."
            self.blocks.append(_Para((lead,)))
            rows = tuple(
                self._holder_row(typer, *_column_label(c, i, len(cols)), c.type, c)
                for i, c in enumerate(cols)
            )
            self.blocks.append(_Table(("Column", *_HOLDER_HEADERS), rows))
        self._flush(typer)

    def params_section(self, params: ParamSchema) -> None:
        self.blocks.append(_Heading(2, ("Params",), "params"))
        self.blocks.append(
            _Para(
                (
                    "Passed as ",
                    _Code('"params"'),
                    " in the request body; a param left out takes its default.",
                )
            )
        )
        typer = self._typer("params")
        rows = tuple(
            (
                (_Code(p.name),),
                tuple(_param_type(typer, p)),
                (_Code(_json(p.default)),),
                tuple(_constraint_text(p.constraints)),
                (p.description,) if p.description else (),
            )
            for p in params.params
        )
        self.blocks.append(_Table(("Param", "Type", "Default", "Constraints", "Description"), rows))
        self._flush(typer)

    def example_section(self) -> None:
        shown = _shown_example(self.subject)
        if shown.body is None:
            return
        self.blocks.append(_Heading(2, ("Example request",), "example-request"))
        note = list(shown.note)
        for placeholder in shown.placeholders:
            note.extend(placeholder)
        self.blocks.append(_Para(tuple(note)))
        self.blocks.append(_CodeBlock("json", _pretty(_plain(shown.body))))
        base_url = self.subject.base_url
        if base_url is None:
            how: _Cell = (
                "Start the server with ",
                _Code("typedmodel serve TARGET"),
                ", save the body as ",
                _Code("request.json"),
                " and post it:",
            )
        else:
            how = ("Save the body as ", _Code("request.json"), " and post it to this server:")
        self.blocks.append(_Para(how))
        self.blocks.append(_CodeBlock("bash", _curl(base_url or SERVER_URL)))
        self.answer(shown)
        self.blocks.append(
            _Para(
                (
                    "Invalid input is answered ",
                    _Code("400"),
                    " with ",
                    _Code("error_code"),
                    ", ",
                    _Code("message"),
                    " and ",
                    _Code("issues"),
                    ": one per bad row and field, each with ",
                    _Code("row"),
                    ", ",
                    _Code("loc"),
                    ", ",
                    _Code("type"),
                    " and ",
                    _Code("msg"),
                    ".",
                )
            )
        )

    def answer(self, shown: _Shown) -> None:
        answer: tuple[_Inline, ...] = ("A valid request is answered ", _Code("200"), " with ")
        recorded = _saved_answer(self.subject, shown)
        if recorded is not None:
            file = _Code(self.subject.saved_answer_name)
            lead = "the predictions; this is the model's answer to the example, recorded when "
            self.blocks.append(_Para((*answer, lead, "it was saved (", file, "):")))
            self.blocks.append(_CodeBlock("json", _pretty(_plain(recorded))))
            return
        response = _Bodies(self.subject.signature).response()
        if response is None:
            self.blocks.append(_Para((*answer, _Code('{"predictions": ...}'), ".")))
            return
        lead = "the predictions, one per row; this one is made from the schema and only "
        self.blocks.append(_Para((*answer, lead, "shows their shape:")))
        self.blocks.append(_CodeBlock("json", _pretty(_plain(response))))


def _join_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _column_label(col: ColSpec, index: int, count: int) -> tuple[_Inline, str]:
    if col.name is not None:
        return _Code(str(col.name)), str(col.name)
    if count == 1:
        return "(unnamed)", "row"
    return f"(column {index})", f"column {index}"


def _param_type(typer: _TypeText, spec: ParamSpec) -> list[_Inline]:
    inner = typer.visit(spec.dtype, spec.name if spec.shape is None else f"{spec.name}[]")
    return inner if spec.shape is None else [_Code("list["), *inner, _Code("]")]
