"""JSON Schema 2020-12, from the tree alone."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from typedmodel.docs._bodies import _shown_example
from typedmodel.docs._examples import _finite
from typedmodel.docs._subject import _Subject
from typedmodel.docs._util import JSON_SCHEMA_DIALECT, _plain
from typedmodel.schema import (
    MISSING,
    AnyType,
    Array,
    ColSpec,
    Constraints,
    DataType,
    LiteralType,
    Map,
    Object,
    Property,
    Schema,
    TensorSpec,
    UnionType,
)
from typedmodel.schema.rules import applicable, rule
from typedmodel.schema.visitor import NodeVisitor
from typedmodel.serve.mlflow_protocol import REQUEST_KEYS
from typedmodel.signature import ModelSignature

_NO_CONSTRAINTS = Constraints()
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


class _JsonSchema(NodeVisitor[Constraints, dict[str, Any]]):
    """A JSON Schema 2020-12 for the node, with the holder's constraints as keywords."""

    def visit_data_type(self, node: DataType, c: Constraints) -> dict[str, Any]:
        # The JSON of one value and its range come from the rule table; the constraints that
        # apply to the type (`applicable`) become keywords. A length on bytes is not the length
        # of their base64 text, so it stays an x-typedmodel note.
        r = rule(node)
        out = dict(r.json)
        if r.is_float and r.dtype is DataType.float:
            out.update(minimum=r.low, maximum=r.high)  # a 32-bit float never overflows
        names = applicable(node)
        applies = frozenset(
            ({"numeric"} if "ge" in names else set())
            | ({"text", "pattern"} if "pattern" in names else set())
        )
        keywords = _constraint_keywords(c, applies)
        for bound, tighter in (("minimum", max), ("maximum", min)):
            if bound in keywords and bound in out:
                keywords[bound] = tighter(keywords[bound], out[bound])
        return {**out, **keywords}

    def visit_array(self, node: Array, c: Constraints) -> dict[str, Any]:
        items = self.visit(node.dtype, node.item_constraints or _NO_CONSTRAINTS)
        return {"type": "array", "items": items, **_constraint_keywords(c, frozenset({"items"}))}

    def visit_map(self, node: Map, c: Constraints) -> dict[str, Any]:
        values = self.visit(node.value_type, node.value_constraints or _NO_CONSTRAINTS)
        keywords = _constraint_keywords(c, frozenset({"props"}))
        return {"type": "object", "additionalProperties": values, **keywords}

    def visit_object(self, node: Object, c: Constraints) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "object",
            "properties": {p.name: self.holder(p) for p in node.properties},
            **_constraint_keywords(c, frozenset({"props"})),
        }
        required = sorted(p.name for p in node.properties if p.required)
        if required:
            out["required"] = required
        if node.closed:  # the validator refuses other keys
            out["additionalProperties"] = False
        return out

    def visit_any_type(self, node: AnyType, c: Constraints) -> dict[str, Any]:
        return _constraint_keywords(c, _ALL)

    def visit_union_type(self, node: UnionType, c: Constraints) -> dict[str, Any]:
        return {"anyOf": [self.visit(t, c) for t in node.types]}

    def visit_literal_type(self, node: LiteralType, c: Constraints) -> dict[str, Any]:
        return {"enum": list(node.values), **_constraint_keywords(c, _ALL)}

    def holder(self, holder: ColSpec | Property) -> dict[str, Any]:
        """A column's or property's schema: a nullable one may also be null."""
        dtype = holder.dtype if isinstance(holder, Property) else holder.type
        out = self.visit(dtype, holder.constraints)
        if holder.nullable:
            out = {"anyOf": [out, {"type": "null"}]}
        if holder.description is not None:
            out["description"] = holder.description
        if holder.default is not MISSING:
            out["default"] = _plain(holder.default)
        return out

    def column(self, spec: ColSpec) -> dict[str, Any]:
        return self.holder(spec)


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
            node = Array(spec.dtype) if spec.shape is not None else spec.dtype
            value = {**self.js.visit(node, spec.constraints), "default": _plain(spec.default)}
            if spec.description:
                value["description"] = spec.description
            props[spec.name] = value
        others = self.js.visit(params.values, Constraints()) if params.values is not None else False
        return {
            "type": "object",
            "description": "Params, by name; a param left out takes its default.",
            "properties": props,
            "additionalProperties": others,
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
