"""A model's contract as documentation: Markdown, HTML, JSON Schema and OpenAPI.

Everything is generated from the schema tree (`ModelSignature`), so a signature written by hand
documents itself exactly as one read from hints does. Three visitors walk the type nodes (a
readable type, a JSON Schema, an example value); each has one method per kind of `NODE_KINDS`,
checked when the class is defined, so a new kind of node can't be skipped silently.

Markdown and HTML are rendered from one small page model (headings, paragraphs, tables and
code blocks), so both say the same thing. Output is deterministic: the same model gives the
same text, byte for byte.
"""

from __future__ import annotations

import base64
import html
import importlib
import inspect
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar
from urllib.parse import quote

from pydantic_core import to_jsonable_python

from typedmodel.errors import SchemaError
from typedmodel.schema import (
    MISSING,
    NODE_KINDS,
    AnyType,
    Array,
    ColSpec,
    Constraints,
    DataType,
    DType,
    LiteralType,
    Map,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    TensorSpec,
    UnionType,
)
from typedmodel.signature import ModelSignature
from typedmodel.store import SERVING_EXAMPLE, LoadedModel, ModelFileError, read_mlmodel
from typedmodel.validate import REQUEST_KEYS

__all__ = ["FORMATS", "render_docs"]

FORMATS = ("markdown", "html", "json-schema", "openapi")
"""The formats `render_docs` writes."""

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SERVER_URL = "http://127.0.0.1:5000"
CURL = f"curl -X POST {SERVER_URL}/invocations -H 'Content-Type: application/json' -d @request.json"

_MAX_TENSOR_VALUES = 100  # a generated tensor larger than this is shown as a placeholder
_MAX_EXAMPLE_CHARS = 6000  # a saved example longer than this is not shown inline


def render_docs(obj: Any, /, *, format: str = "markdown") -> str:
    """Document a model's contract: its inputs, outputs, params and an example request.

    Args:
        obj: a typed class, instance or function; a `ModelSignature`; a `LoadedModel`; or the
            path of a model directory (only its ``MLmodel`` and example JSON files are read:
            nothing is unpickled, so this is safe on a directory you don't trust).
        format: ``"markdown"``; ``"html"`` (one self-contained page: inline CSS, no scripts,
            fonts or other external assets); ``"json-schema"`` (JSON Schema 2020-12: the root
            validates a request body, ``$defs`` holds ``row``, one input row, ``request``, the
            four MLflow request forms, ``params`` and ``response``); ``"openapi"`` (OpenAPI 3.1
            for the server: ``POST /invocations`` and the ``GET`` endpoints).

    Returns:
        The document as text (JSON formats as a JSON string, keys sorted), ending in a newline.

    Raises:
        ValueError: for an unknown `format`, naming the valid ones.
        SchemaError: when `obj` has no signature to document.
        ModelFileError: for a path that is not a readable model directory.

    Examples:
        >>> import typedmodel as tm
        >>> @tm.typed
        ... def lengths(model_input: list[str]) -> list[int]:
        ...     '''Count the characters of each string.'''
        ...     return [len(s) for s in model_input]
        >>> print(render_docs(lengths).splitlines()[0])
        # lengths
        >>> import json
        >>> schema = json.loads(render_docs(lengths, format="json-schema"))
        >>> schema["$defs"]["row"]["type"], schema["$ref"]
        ('string', '#/$defs/request')
    """
    renderer = _RENDERERS.get(format) if isinstance(format, str) else None
    if renderer is None:
        raise ValueError(f"unknown docs format {format!r}; use one of {', '.join(FORMATS)}")
    return renderer(_subject(obj))


# ---------------------------------------------------------------------------------------------
# What is documented: title, docstring, signature and an example request
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Subject:
    title: str
    doc: str | None
    signature: ModelSignature | None
    saved_example: Any = None  # the saved serving_input_example.json, when there is one
    saved_example_name: str = SERVING_EXAMPLE


def _subject(obj: Any) -> _Subject:
    if isinstance(obj, (str, os.PathLike)):
        directory = Path(obj)
        meta = read_mlmodel(directory)
        name, example = _saved_example(directory, meta)
        return _Subject(
            directory.resolve().name, None, _signature_from(meta, directory), example, name
        )
    if isinstance(obj, ModelSignature):
        return _Subject("Model", None, obj)
    if isinstance(obj, LoadedModel):
        name, example = _saved_example(obj.path, read_mlmodel(obj.path))
        title = _title_of(obj.model)
        return _Subject(title, _doc_of(obj.model), obj.signature, example, name)
    from typedmodel.model import signature_of

    return _Subject(_title_of(obj), _doc_of(obj), signature_of(obj))


def _signature_from(meta: dict[str, Any], directory: Path) -> ModelSignature | None:
    raw = meta.get("signature")
    if raw is None:
        return None
    try:
        return ModelSignature.from_dict(raw)
    except SchemaError as exc:
        raise ModelFileError(f"{directory} has a bad signature in its MLmodel: {exc}") from None


def _saved_example(directory: Path, meta: dict[str, Any]) -> tuple[str, Any]:
    info = meta.get("saved_input_example_info")
    name = SERVING_EXAMPLE
    if isinstance(info, dict) and isinstance(info.get("serving_input_path"), str):
        name = info["serving_input_path"]
    file = directory / name
    if not file.is_file():
        return name, None
    try:
        return name, json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{file} is not valid JSON: {exc}") from None


def _target(obj: Any) -> Any:
    """The class or function that names and documents `obj` (an instance's class)."""
    if isinstance(obj, type) or inspect.isfunction(obj) or inspect.ismethod(obj):
        return obj
    return type(obj)


def _title_of(obj: Any) -> str:
    return str(getattr(_target(obj), "__name__", "Model"))


def _doc_of(obj: Any) -> str | None:
    target = _target(obj)
    if isinstance(target, type):
        # The class's own docstring (not one inherited from PythonModel), else predict's.
        doc = target.__dict__.get("__doc__") or getattr(
            target.__dict__.get("predict"), "__doc__", None
        )
    else:
        doc = getattr(target, "__doc__", None)
    if not isinstance(doc, str) or not doc.strip():
        return None
    return inspect.cleandoc(doc)


# ---------------------------------------------------------------------------------------------
# The visitor over node kinds
# ---------------------------------------------------------------------------------------------

C = TypeVar("C")
R = TypeVar("R")


def _method_name(kind: type) -> str:
    return "visit_" + re.sub(r"(?<!^)(?=[A-Z])", "_", kind.__name__).lower()


class _NodeVisitor(Generic[C, R]):
    """Calls ``visit_<kind>(node, context)`` for each kind of type node.

    The method table is built from `NODE_KINDS` when a subclass is defined: a subclass missing
    a method for any kind fails right there (at import), never silently later.
    """

    _methods: ClassVar[dict[type, Callable[..., Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        missing = [_method_name(k) for k in NODE_KINDS if not hasattr(cls, _method_name(k))]
        if missing:
            raise TypeError(
                f"{cls.__name__} has no method for node kinds {missing}: a visitor handles "
                "every kind in typedmodel.schema.NODE_KINDS"
            )
        cls._methods = {kind: getattr(cls, _method_name(kind)) for kind in NODE_KINDS}

    def visit(self, node: DType, context: C) -> R:
        method = self._methods.get(type(node))
        if method is None:
            raise SchemaError(f"not a schema type node: {node!r}")
        result: R = method(self, node, context)
        return result


# ---------------------------------------------------------------------------------------------
# Readable types (Markdown and HTML)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Code:
    text: str


@dataclass(frozen=True)
class _Link:
    text: str  # shown as code
    anchor: str


_Inline = str | _Code | _Link  # a str is plain text
_Cell = tuple[_Inline, ...]


class _TypeText(_NodeVisitor[str, list[_Inline]]):
    """A readable type: ``list[double]``, ``map<str, long>``, ``"a" | "b"``, a link to an
    object's own table. The context is the path of the value, which names that table."""

    def __init__(self, on_object: Callable[[Object, str], str]) -> None:
        self.on_object = on_object  # registers an object's sub-table; returns its anchor

    def visit_data_type(self, node: DataType, path: str) -> list[_Inline]:
        return [_Code(node.value)]

    def visit_array(self, node: Array, path: str) -> list[_Inline]:
        return [_Code("list["), *self.visit(node.dtype, f"{path}[]"), _Code("]")]

    def visit_map(self, node: Map, path: str) -> list[_Inline]:
        return [_Code("map<str, "), *self.visit(node.value_type, f"{path}{{}}"), _Code(">")]

    def visit_object(self, node: Object, path: str) -> list[_Inline]:
        return [_Link("object", self.on_object(node, path))]

    def visit_any_type(self, node: AnyType, path: str) -> list[_Inline]:
        return [_Code("any")]

    def visit_union_type(self, node: UnionType, path: str) -> list[_Inline]:
        return _joined([self.visit(t, path) for t in node.types])

    def visit_literal_type(self, node: LiteralType, path: str) -> list[_Inline]:
        return _joined([[_Code(_json(v))] for v in node.values])


def _joined(parts: list[list[_Inline]]) -> list[_Inline]:
    out: list[_Inline] = []
    for i, part in enumerate(parts):
        if i:
            out.append(" | ")
        out.extend(part)
    return out


def _tensor_text(spec: TensorSpec) -> str:
    return f"tensor {spec.type.name} [{', '.join(map(str, spec.shape))}]"


def _constraint_text(c: Constraints) -> list[_Inline]:
    words = {
        "gt": ">",
        "ge": ">=",
        "lt": "<",
        "le": "<=",
        "multiple_of": "multiple of",
        "min_length": "min length",
        "max_length": "max length",
        "pattern": "pattern",
    }
    out: list[_Inline] = []
    for key, value in c.to_dict().items():
        if out:
            out.append(", ")
        shown = value if key == "pattern" else _json(value)
        out.append(_Code(f"{words[key]} {shown}"))
    return out


# ---------------------------------------------------------------------------------------------
# Example values
# ---------------------------------------------------------------------------------------------

_EXAMPLE_SCALARS: dict[DataType, Any] = {
    DataType.boolean: True,
    DataType.integer: 1,
    DataType.long: 1,
    DataType.float: 1.0,
    DataType.double: 1.0,
    DataType.string: "string",
    DataType.binary: base64.b64encode(b"bytes").decode("ascii"),
    DataType.datetime: "2024-01-01T00:00:00",
}


class _Example(_NodeVisitor[Constraints, Any]):
    """A deterministic example value that fits the node and its constraints (best effort)."""

    def visit_data_type(self, node: DataType, c: Constraints) -> Any:
        if node in (DataType.integer, DataType.long):
            return _number(c, integer=True)
        if node in (DataType.float, DataType.double):
            return _number(c, integer=False)
        if node is DataType.string:
            return _text(c)
        return _EXAMPLE_SCALARS[node]

    def visit_array(self, node: Array, c: Constraints) -> Any:
        return [self.visit(node.dtype, Constraints())] * _count(c)

    def visit_map(self, node: Map, c: Constraints) -> Any:
        value = self.visit(node.value_type, Constraints())
        return {("key" if i == 0 else f"key{i + 1}"): value for i in range(_count(c))}

    def visit_object(self, node: Object, c: Constraints) -> Any:
        return {
            p.name: _holder_example(self, p.dtype, p.default, p.constraints)
            for p in node.properties
        }

    def visit_any_type(self, node: AnyType, c: Constraints) -> Any:
        return "value"

    def visit_union_type(self, node: UnionType, c: Constraints) -> Any:
        return self.visit(node.types[0], c)

    def visit_literal_type(self, node: LiteralType, c: Constraints) -> Any:
        return node.values[0]


def _holder_example(ex: _Example, dtype: DType, default: Any, c: Constraints) -> Any:
    if default is not MISSING and default is not None:
        return _plain(default)
    return ex.visit(dtype, c)


def _count(c: Constraints) -> int:
    """How many items an example list or map has: one, or as many as the lengths ask."""
    n = max(1, c.min_length or 0)
    return min(n, c.max_length) if c.max_length is not None and c.max_length >= 0 else n


def _number(c: Constraints, *, integer: bool) -> Any:
    """1 (or 1.0), moved inside the bounds and onto the step when the constraints ask."""
    lows = [
        (float(v), ex) for v, ex in ((c.ge, False), (c.gt, True)) if v is not None and _finite(v)
    ]
    highs = [
        (float(v), ex) for v, ex in ((c.le, False), (c.lt, True)) if v is not None and _finite(v)
    ]
    low = max(lows) if lows else None  # (bound, exclusive); the tighter bound wins
    high = min(highs, key=lambda b: (b[0], not b[1])) if highs else None
    x = 1.0
    if low is not None and (x < low[0] or (low[1] and x <= low[0])):
        if integer:
            x = math.floor(low[0]) + 1 if low[1] else math.ceil(low[0])
        else:
            x = low[0] + 1 if low[1] else low[0]
    if high is not None and (x > high[0] or (high[1] and x >= high[0])):
        if integer:
            x = math.ceil(high[0]) - 1 if high[1] else math.floor(high[0])
        elif low is not None:
            x = (low[0] + high[0]) / 2
        else:
            x = high[0] - 1 if high[1] else high[0]
    step = c.multiple_of
    if step is not None and _finite(step) and step > 0:
        x = math.ceil(x / step) * step
        if high is not None and x > high[0]:
            x = math.floor(high[0] / step) * step
    return int(x) if integer else float(x)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _text(c: Constraints) -> str:
    text = "string"
    if c.pattern is not None:
        return _pattern_example(c.pattern) or text
    if c.min_length is not None and len(text) < c.min_length:
        text = (text * (c.min_length // len(text) + 1))[: c.min_length]
    if c.max_length is not None and c.max_length >= 0:
        text = text[: c.max_length]
    return text


def _pattern_example(pattern: str) -> str | None:
    """A string that matches `pattern`, for simple patterns (None when none is found)."""
    try:
        compiled = re.compile(pattern)
        candidate = _from_regex(_regex_parser().parse(pattern))
    except Exception:  # any pattern the small generator can't follow: no example, no error
        return None
    return candidate if compiled.search(candidate) else None


def _regex_parser() -> Any:
    # Python's own regex parser; private, so it is only used to find an example (and checked).
    try:
        return importlib.import_module("re._parser")
    except ImportError:  # pragma: no cover  # Python 3.10 names it sre_parse
        return importlib.import_module("sre_parse")


class _NoExample(Exception):
    pass


def _from_regex(items: Any) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("b" if arg == ord("a") else "a")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_class_char(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            out.append(_from_regex(sub) * low)
        elif name == "SUBPATTERN":
            out.append(_from_regex(arg[-1]))
        elif name == "ATOMIC_GROUP":
            out.append(_from_regex(arg))
        elif name == "BRANCH":
            out.append(_from_regex(arg[1][0]))
        elif name != "AT":  # anchors add nothing; anything else is beyond this generator
            raise _NoExample(name)
    return "".join(out)


_CATEGORY_CHARS = {
    "CATEGORY_DIGIT": "0",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": "-",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
}


def _class_char(items: Any) -> str:
    op, arg = items[0]
    name = str(op)
    if name == "LITERAL":
        return chr(arg)
    if name == "RANGE":
        return chr(arg[0])
    if name == "CATEGORY":
        return _CATEGORY_CHARS.get(str(arg), "a")
    return "a"  # a negated class: usually fine, and the result is checked anyway


# ---------------------------------------------------------------------------------------------
# JSON Schema
# ---------------------------------------------------------------------------------------------

_JSON_SCALARS: dict[DataType, dict[str, Any]] = {
    DataType.boolean: {"type": "boolean"},
    DataType.integer: {"type": "integer", "format": "int32"},
    DataType.long: {"type": "integer", "format": "int64"},
    DataType.float: {"type": "number", "format": "float"},
    DataType.double: {"type": "number", "format": "double"},
    DataType.string: {"type": "string"},
    DataType.binary: {"type": "string", "contentEncoding": "base64"},
    DataType.datetime: {"type": "string", "format": "date-time"},
}
_NUMERIC_KEYWORDS = {
    "gt": "exclusiveMinimum",
    "ge": "minimum",
    "lt": "exclusiveMaximum",
    "le": "maximum",
    "multiple_of": "multipleOf",
}
_LENGTH_KEYWORDS = {
    "text": ("minLength", "maxLength"),
    "items": ("minItems", "maxItems"),
    "props": ("minProperties", "maxProperties"),
}
_ALL = frozenset({"numeric", "text", "items", "props", "pattern"})


def _constraint_keywords(c: Constraints, applies: frozenset[str]) -> dict[str, Any]:
    """`c` as JSON Schema keywords for a value of the kinds in `applies`; the rest (a length on
    bytes, a bound on a boolean) is kept under ``x-typedmodel-constraints`` rather than lost."""
    out: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for key, value in c.to_dict().items():
        if key in _NUMERIC_KEYWORDS and "numeric" in applies and _finite(value):
            if key != "multiple_of" or value > 0:
                out[_NUMERIC_KEYWORDS[key]] = value
                continue
        elif key in ("min_length", "max_length") and value >= 0:
            kinds = [k for k in ("text", "items", "props") if k in applies]
            for kind in kinds:
                out[_LENGTH_KEYWORDS[kind][key == "max_length"]] = value
            if kinds:
                continue
        elif key == "pattern" and "pattern" in applies:
            out["pattern"] = value
            continue
        rest[key] = value
    if rest:
        out["x-typedmodel-constraints"] = rest
    return out


class _JsonSchema(_NodeVisitor[Constraints, dict[str, Any]]):
    """A JSON Schema 2020-12 for the node, with the holder's constraints as keywords."""

    def visit_data_type(self, node: DataType, c: Constraints) -> dict[str, Any]:
        applies: frozenset[str] = (
            frozenset()
        )  # booleans, datetimes and bytes take none of the keywords
        if node.is_numeric:
            applies = frozenset({"numeric"})
        elif node is DataType.string:
            applies = frozenset({"text", "pattern"})
        return {**_JSON_SCALARS[node], **_constraint_keywords(c, applies)}

    def visit_array(self, node: Array, c: Constraints) -> dict[str, Any]:
        items = self.visit(node.dtype, Constraints())
        return {"type": "array", "items": items, **_constraint_keywords(c, frozenset({"items"}))}

    def visit_map(self, node: Map, c: Constraints) -> dict[str, Any]:
        values = self.visit(node.value_type, Constraints())
        keywords = _constraint_keywords(c, frozenset({"props"}))
        return {"type": "object", "additionalProperties": values, **keywords}

    def visit_object(self, node: Object, c: Constraints) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "object",
            "properties": {
                p.name: self.holder(p.dtype, p.required, p.description, p.default, p.constraints)
                for p in node.properties
            },
            **_constraint_keywords(c, frozenset({"props"})),
        }
        required = sorted(p.name for p in node.properties if p.required)
        if required:
            out["required"] = required
        return out

    def visit_any_type(self, node: AnyType, c: Constraints) -> dict[str, Any]:
        return _constraint_keywords(c, _ALL)

    def visit_union_type(self, node: UnionType, c: Constraints) -> dict[str, Any]:
        return {"anyOf": [self.visit(t, c) for t in node.types]}

    def visit_literal_type(self, node: LiteralType, c: Constraints) -> dict[str, Any]:
        return {"enum": list(node.values), **_constraint_keywords(c, _ALL)}

    def holder(
        self,
        dtype: DType,
        required: bool,
        description: str | None,
        default: Any,
        constraints: Constraints,
    ) -> dict[str, Any]:
        """A column's or property's schema: an optional one may also be null."""
        out = self.visit(dtype, constraints)
        if not required:
            out = {"anyOf": [out, {"type": "null"}]}
        if description is not None:
            out["description"] = description
        if default is not MISSING:
            out["default"] = _plain(default)
        return out

    def column(self, spec: ColSpec) -> dict[str, Any]:
        return self.holder(
            spec.type, spec.required, spec.description, spec.default, spec.constraints
        )


_TENSOR_ITEMS: dict[str, dict[str, Any]] = {
    "b": {"type": "boolean"},
    "i": {"type": "integer"},
    "u": {"type": "integer", "minimum": 0},
    "f": {"type": "number"},
    "U": {"type": "string"},
    "S": {"type": "string", "contentEncoding": "base64"},
    "M": {"type": "string", "format": "date-time"},
}


def _tensor_schema(spec: TensorSpec, dims: tuple[int, ...]) -> dict[str, Any]:
    """Nested arrays of `dims` (the whole shape, or a row's), marked with dtype and shape."""
    out: dict[str, Any] = dict(_TENSOR_ITEMS.get(spec.type.kind, {}))
    for dim in reversed(dims):
        out = {"type": "array", "items": out}
        if dim != -1:
            out.update(minItems=dim, maxItems=dim)
    out["x-typedmodel-dtype"] = spec.type.name
    out["x-typedmodel-shape"] = list(spec.shape)
    return out


_SPLIT: dict[str, Any] = {
    "type": "object",
    "description": "A DataFrame in pandas' split form: column names and rows of values.",
    "properties": {
        "columns": {"type": "array", "items": {"type": ["string", "integer"]}},
        "data": {"type": "array", "items": {"type": "array"}},
        "index": {"type": "array"},
    },
    "required": ["data"],
}


class _Schemas:
    """The JSON Schemas of a signature; references are written as `ref` + name."""

    def __init__(self, signature: ModelSignature | None, ref: str) -> None:
        self.signature = signature
        self.ref = ref
        self.js = _JsonSchema()

    def _ref(self, name: str) -> dict[str, Any]:
        return {"$ref": self.ref + name}

    def defs(self, example: Any) -> dict[str, dict[str, Any]]:
        """``row``, ``params``, ``request`` and its four forms, ``output_row``, ``response``."""
        sig = self.signature
        inputs = sig.inputs if sig is not None else None
        outputs = sig.outputs if sig is not None else None
        out: dict[str, dict[str, Any]] = {
            "row": {
                "description": "One input row: one item of the request's batch.",
                **self.row(inputs),
            },
            "params": self.params(),
            "request": {
                "description": "A request body for POST /invocations: one of MLflow's four "
                "forms, each with optional params.",
                "oneOf": [self._ref(f"request_{form}") for form in REQUEST_KEYS],
            },
            "response": {
                "description": "The body of a 200 answer.",
                "type": "object",
                "properties": {"predictions": self.predictions(outputs)},
                "required": ["predictions"],
            },
        }
        if example is not None:
            out["request"]["examples"] = [example]
        forms = self.forms(inputs)
        for form in REQUEST_KEYS:
            out[f"request_{form}"] = {
                "type": "object",
                "properties": {form: forms[form], "params": self._ref("params")},
                "required": [form],
                "additionalProperties": False,
            }
        if outputs is not None:
            out["output_row"] = {"description": "One item of the predictions.", **self.row(outputs)}
        return out

    def row(self, schema: Schema | None) -> dict[str, Any]:
        if schema is None:
            return {}
        if schema.is_tensor_spec():
            tensors: list[TensorSpec] = list(schema.inputs)  # type: ignore[arg-type]
            slices = {str(t.name): _tensor_schema(t, t.shape[1:]) for t in tensors}
            if not schema.has_input_names():
                return slices[str(None)]
            return {"type": "object", "properties": slices, "required": sorted(slices)}
        cols: list[ColSpec] = list(schema.inputs)  # type: ignore[arg-type]
        if len(cols) == 1 and cols[0].name is None:
            return self.js.column(cols[0])
        if cols[0].name is None:
            items = [self.js.column(c) for c in cols]
            return {
                "type": "array",
                "prefixItems": items,
                "minItems": len(cols),
                "maxItems": len(cols),
            }
        out: dict[str, Any] = {
            "type": "object",
            "properties": {str(c.name): self.js.column(c) for c in cols},
        }
        required = sorted(str(c.name) for c in cols if c.required)
        if required:
            out["required"] = required
        return out

    def params(self) -> dict[str, Any]:
        params = self.signature.params if self.signature is not None else None
        if params is None:
            return {"type": "object", "description": "Params, by name (none are declared)."}
        props = {}
        for spec in params.params:
            value = self.js.visit(spec.dtype, Constraints())
            if spec.shape is not None:
                value = {"type": "array", "items": value}
            props[spec.name] = {**value, "default": _plain(spec.default)}
        return {
            "type": "object",
            "description": "Params, by name; a param left out takes its default.",
            "properties": props,
            "additionalProperties": False,
        }

    def forms(self, schema: Schema | None) -> dict[str, dict[str, Any]]:
        """The value under each request key, for this input schema."""
        rows = {"type": "array", "items": self._ref("row")}
        records: dict[str, Any] = {
            "type": "array",
            "description": "A DataFrame as a list of records (column -> value).",
            "items": {"type": "object"},
        }
        out: dict[str, dict[str, Any]] = {
            "inputs": rows,
            "instances": rows,
            "dataframe_split": _SPLIT,
            "dataframe_records": records,
        }
        if schema is None:
            out.update(inputs={}, instances={"type": "array"})
        elif schema.is_tensor_spec():
            tensors: list[TensorSpec] = list(schema.inputs)  # type: ignore[arg-type]
            whole = {str(t.name): _tensor_schema(t, t.shape) for t in tensors}
            if not schema.has_input_names():
                out["inputs"] = whole[str(None)]
            else:
                named = {"type": "object", "properties": whole, "required": sorted(whole)}
                # one named tensor may also be sent as the bare array
                out["inputs"] = named if len(whole) > 1 else {"anyOf": [named, *whole.values()]}
        else:
            records_of = self._records(schema.inputs)  # type: ignore[arg-type]
            if records_of is not None:
                out["inputs"] = {"anyOf": [rows, *records_of]}
                out["dataframe_records"] = {**records, "items": self._ref("row")}
        return out

    def _records(self, cols: list[ColSpec]) -> list[dict[str, Any]] | None:
        """For rows that are records (named columns, or one object column), the other shapes
        ``inputs`` takes besides a list of rows: a dict of columns (unless a column holds
        lists, which would make it ambiguous), and for named columns one row on its own. None
        for rows of one value or of unnamed columns."""
        if cols[0].name is not None:
            names = [str(c.name) for c in cols]
            required = sorted(str(c.name) for c in cols if c.required)
            lone_row = [self._ref("row")]
        elif len(cols) == 1 and isinstance(cols[0].type, Object):
            props = cols[0].type.properties
            names = [p.name for p in props]
            required = sorted(p.name for p in props if p.required)
            lone_row = []  # one object where a batch is expected is an error
        else:
            return None
        columns: dict[str, Any] = {
            "type": "object",
            "description": "A dict of columns: name -> list of values, all of one length.",
            "properties": {
                name: {"type": "array", "items": self._ref(f"row/properties/{_pointer(name)}")}
                for name in names
            },
        }
        if required:
            columns["required"] = required
        if cols[0].name is not None and any(isinstance(c.type, Array) for c in cols):
            return lone_row
        return [columns, *lone_row]

    def predictions(self, schema: Schema | None) -> dict[str, Any]:
        if schema is None:
            return {"description": "The model's output (no output schema is declared)."}
        if schema.is_tensor_spec():
            tensors: list[TensorSpec] = list(schema.inputs)  # type: ignore[arg-type]
            if not schema.has_input_names():
                return _tensor_schema(tensors[0], tensors[0].shape)
            return {
                "type": "object",
                "properties": {str(t.name): _tensor_schema(t, t.shape) for t in tensors},
            }
        return {"type": "array", "items": self._ref("output_row")}


def _pointer(name: str) -> str:
    """`name` as one step of a JSON Pointer inside a URI fragment."""
    return quote(name.replace("~", "~0").replace("/", "~1"), safe="")


def _json_schema_doc(subject: _Subject) -> dict[str, Any]:
    example = _shown_example(subject).usable
    out: dict[str, Any] = {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": f"{subject.title} request",
        "description": "A request body for the model server's POST /invocations. $defs.row is "
        "one input row; $defs.response is the body of a 200 answer.",
        "$ref": "#/$defs/request",
        "$defs": _Schemas(subject.signature, "#/$defs/").defs(example),
    }
    if subject.doc:
        out["description"] = f"{subject.doc}\n\n{out['description']}"
    return out


# ---------------------------------------------------------------------------------------------
# Example request and response bodies
# ---------------------------------------------------------------------------------------------


@dataclass
class _Shown:
    body: Any  # None when there is nothing to show
    note: _Cell
    placeholders: list[_Cell] = field(default_factory=list)

    @property
    def usable(self) -> Any:
        """The body, when it is a real one (no placeholders stand in for values)."""
        return None if self.placeholders else self.body


def _shown_example(subject: _Subject) -> _Shown:
    """The request body the docs show: the saved example, else one made from the schema."""
    saved = subject.saved_example
    generated = _Bodies(subject.signature)
    body = generated.request()
    file = _Code(subject.saved_example_name)
    if saved is not None:
        size = len(_dump(saved))
        if size <= _MAX_EXAMPLE_CHARS:
            return _Shown(saved, ("Saved with the model (", file, ")."))
        note = (
            "The example saved with the model (",
            file,
            f") is too long to show ({size} characters); this one is generated from the schema.",
        )
        return _Shown(body, note, generated.placeholders)
    if body is None:
        return _Shown(None, ())
    return _Shown(body, ("Generated from the schema.",), generated.placeholders)


class _Bodies:
    """Example request and response bodies made from a signature."""

    def __init__(self, signature: ModelSignature | None) -> None:
        self.signature = signature
        self.ex = _Example()
        self.placeholders: list[_Cell] = []

    def request(self) -> dict[str, Any] | None:
        sig = self.signature
        if sig is None or sig.inputs is None:
            return None
        body: dict[str, Any] = {"inputs": self.batch(sig.inputs)}
        if sig.params is not None:
            body["params"] = {p.name: _plain(p.default) for p in sig.params.params}
        return body

    def response(self) -> dict[str, Any] | None:
        sig = self.signature
        if sig is None or sig.outputs is None:
            return None
        return {"predictions": self.batch(sig.outputs)}

    def batch(self, schema: Schema) -> Any:
        if schema.is_tensor_spec():
            tensors: list[TensorSpec] = list(schema.inputs)  # type: ignore[arg-type]
            if not schema.has_input_names():
                return self.tensor(tensors[0])
            return {str(t.name): self.tensor(t) for t in tensors}
        cols: list[ColSpec] = list(schema.inputs)  # type: ignore[arg-type]
        values = [_holder_example(self.ex, c.type, c.default, c.constraints) for c in cols]
        if cols[0].name is not None:
            return [{str(c.name): v for c, v in zip(cols, values, strict=True)}]
        return [values[0]] if len(cols) == 1 else [values]

    def tensor(self, spec: TensorSpec) -> Any:
        dims = [1 if d == -1 else d for d in spec.shape]
        count = math.prod(dims)
        if count > _MAX_TENSOR_VALUES:
            where: _Inline = _Code(spec.name) if spec.name is not None else "The tensor"
            self.placeholders.append(
                (
                    " ",
                    where,
                    f" is a placeholder: a {spec.type.name} array of shape {dims} "
                    f"({count} values) is too long to show.",
                )
            )
            return f"<{spec.type.name} array of shape {dims}>"
        value: Any = _TENSOR_VALUES.get(spec.type.kind, 0)
        for dim in reversed(dims):
            value = [value] * dim
        return value


_TENSOR_VALUES = {
    "b": True,
    "i": 1,
    "u": 1,
    "f": 1.0,
    "U": "string",
    "S": _EXAMPLE_SCALARS[DataType.binary],
    "M": _EXAMPLE_SCALARS[DataType.datetime],
}


# ---------------------------------------------------------------------------------------------
# The page: one model for Markdown and HTML
# ---------------------------------------------------------------------------------------------


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
            self.blocks.append(_Doc(subject.doc))
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
            ((_Code(p.name),), tuple(_param_type(typer, p)), (_Code(_json(p.default)),))
            for p in params.params
        )
        self.blocks.append(_Table(("Param", "Type", "Default"), rows))
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
        self.blocks.append(
            _Para(
                (
                    "Start the server with ",
                    _Code("typedmodel serve TARGET"),
                    ", save the body as ",
                    _Code("request.json"),
                    " and post it:",
                )
            )
        )
        self.blocks.append(_CodeBlock("bash", CURL))
        response = _Bodies(self.subject.signature).response()
        answer: tuple[_Inline, ...] = ("A valid request is answered ", _Code("200"), " with ")
        if response is None:
            self.blocks.append(_Para((*answer, _Code('{"predictions": ...}'), ".")))
        else:
            self.blocks.append(_Para((*answer, "the predictions, one per row:")))
            self.blocks.append(_CodeBlock("json", _pretty(_plain(response))))
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


def _join_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _column_label(col: ColSpec, index: int, count: int) -> tuple[_Inline, str]:
    if col.name is not None:
        return _Code(col.name), col.name
    if count == 1:
        return "(unnamed)", "row"
    return f"(column {index})", f"column {index}"


def _param_type(typer: _TypeText, spec: ParamSpec) -> list[_Inline]:
    inner = typer.visit(spec.dtype, spec.name if spec.shape is None else f"{spec.name}[]")
    return inner if spec.shape is None else [_Code("list["), *inner, _Code("]")]


# ---------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------


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
            chunks.append(block.text)
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


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# OpenAPI
# ---------------------------------------------------------------------------------------------

_COMPONENTS = "#/components/schemas/"
_FIXED_SCHEMAS: dict[str, dict[str, Any]] = {
    "issue": {
        "type": "object",
        "description": "One problem with one value of the batch.",
        "properties": {
            "row": {"type": ["integer", "null"], "description": "The row's index, or null."},
            "loc": {
                "type": "array",
                "items": {"type": ["string", "integer"]},
                "description": "The path to the value inside the row.",
            },
            "type": {"type": "string", "description": "A short machine-readable code."},
            "msg": {"type": "string", "description": "A sentence for people."},
            "input": {"description": "The offending value (left out when inputs are hidden)."},
        },
        "required": ["loc", "msg", "row", "type"],
    },
    "error": {
        "type": "object",
        "description": "An error answer.",
        "properties": {
            "error_code": {"type": "string", "examples": ["INVALID_INPUT", "MODEL_ERROR"]},
            "message": {"type": "string"},
            "issues": {"type": "array", "items": {"$ref": _COMPONENTS + "issue"}},
        },
        "required": ["error_code", "message"],
    },
    "invalid_input": {
        "description": "The body of a 400 answer: every issue of the request at once.",
        "allOf": [{"$ref": _COMPONENTS + "error"}],
        "required": ["issues"],
    },
    "signature": {
        "type": "object",
        "description": "The signature in MLflow's MLmodel form: each part a JSON string or null.",
        "properties": {
            name: {"type": ["string", "null"]} for name in ("inputs", "outputs", "params")
        },
    },
    "status": {"type": "object", "properties": {"status": {"const": "ok"}}},
    "version": {"type": "object", "properties": {"typedmodel": {"type": "string"}}},
}


def _answer(
    description: str, schema: str | None = None, example: Any = None, media: str = ""
) -> dict[str, Any]:
    """An OpenAPI response: `schema` names a component (``html`` is a plain string)."""
    out: dict[str, Any] = {"description": description}
    if schema is not None:
        ref = {"type": "string"} if schema == "html" else {"$ref": _COMPONENTS + schema}
        content: dict[str, Any] = {"schema": ref}
        if example is not None:
            content["example"] = example
        out["content"] = {media or "application/json": content}
    return out


def _get(operation: str, summary: str, answer: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"operationId": operation, "summary": summary, "responses": {"200": answer}}}


def _openapi_doc(subject: _Subject) -> dict[str, Any]:
    from typedmodel import __version__

    example = _shown_example(subject).usable
    schemas = {**_Schemas(subject.signature, _COMPONENTS).defs(example), **_FIXED_SCHEMAS}
    bodies = _Bodies(subject.signature)
    predictions = bodies.response()
    request = {"required": True, "content": _answer("", "request", example)["content"]}
    invocations = {
        "operationId": "invocations",
        "summary": "Predict on a batch",
        "description": "The body holds the batch in one of MLflow's four forms "
        "(`inputs`, `dataframe_split`, `dataframe_records`, `instances`), with optional "
        "`params`. Every bad row and field is reported at once.",
        "requestBody": request,
        "responses": {
            "200": _answer(
                "The predictions, one per row.",
                "response",
                None if bodies.placeholders else predictions,
            ),
            "400": _answer("The request or its data does not fit the signature.", "invalid_input"),
            "413": _answer("The body is over the server's limit.", "error"),
            "415": _answer("The body is not JSON.", "error"),
            "500": _answer("The model failed (the details are in the server's log).", "error"),
        },
    }
    up = _answer("The server is up.", "status", {"status": "ok"})
    info: dict[str, Any] = {"title": subject.title, "version": __version__}
    if subject.doc:
        info["description"] = subject.doc
    return {
        "openapi": "3.1.0",
        "info": info,
        "paths": {
            "/invocations": {"post": invocations},
            "/ping": _get("ping", "Is the server up?", up),
            "/health": _get("health", "Is the server up?", up),
            "/version": _get("version", "The version", _answer("typedmodel's version.", "version")),
            "/signature": _get(
                "signature",
                "The signature",
                _answer("The signature, in MLflow's form.", "signature"),
            ),
            "/openapi.json": _get("openapi", "This document", _answer("OpenAPI 3.1, as JSON.")),
            "/docs": _get(
                "docs", "The docs", _answer("The docs as one HTML page.", "html", media="text/html")
            ),
        },
        "components": {"schemas": schemas},
    }


# ---------------------------------------------------------------------------------------------
# Shared helpers and the format table
# ---------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value as JSON holds it (datetimes in ISO form, bytes as base64, NaN as null)."""
    return to_jsonable_python(value, bytes_mode="base64", inf_nan_mode="null", fallback=repr)


def _json(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True)


def _dump(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, indent=2, sort_keys=True)


def _pretty(value: Any, indent: int = 0, prefix: int = 0) -> str:
    """JSON for people: indented, but a list or object that fits on its line stays on it."""
    flat = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (list, dict)) or not value or indent + prefix + len(flat) <= 80:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, list):
        lines = [pad + _pretty(v, indent + 2) for v in value]
        return "[\n" + ",\n".join(lines) + "\n" + " " * indent + "]"
    lines = []
    for key, v in value.items():
        name = json.dumps(key, ensure_ascii=False) + ": "
        lines.append(pad + name + _pretty(v, indent + 2, len(name)))
    return "{\n" + ",\n".join(lines) + "\n" + " " * indent + "}"


_RENDERERS: dict[str, Callable[[_Subject], str]] = {
    "markdown": _markdown,
    "html": _html,
    "json-schema": lambda s: _dump(_json_schema_doc(s)) + "\n",
    "openapi": lambda s: _dump(_openapi_doc(s)) + "\n",
}
