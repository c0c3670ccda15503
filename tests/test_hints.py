"""Type hints -> schema tree (`typedmodel.hints`), read through typed models as users write them.

The file uses ``from __future__ import annotations`` on purpose: every hint below is a string that
typedmodel must evaluate, as it must in user code that does the same.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Annotated, Any, Dict, List, Literal, Optional, Union  # noqa: UP035

import pydantic
import pytest
from typing_extensions import NotRequired, TypedDict

import typedmodel as tm
from tests.reference import mlflow_forms
from typedmodel import (
    AnyType,
    Array,
    ColSpec,
    Constraints,
    DataType,
    LiteralType,
    Map,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    SchemaError,
    UnionType,
)
from typedmodel.hints import hint_to_type


def _element(hint: Any) -> Any:
    """The tree node typedmodel reads for ``predict(model_input: list[hint])``."""

    def predict(model_input):  # type: ignore[no-untyped-def]
        return model_input

    predict.__annotations__ = {"model_input": list[hint]}
    schema = tm.signature_of(tm.typed(predict)).inputs
    assert schema is not None
    assert len(schema.inputs) == 1
    spec = schema.inputs[0]
    assert isinstance(spec, ColSpec)
    assert spec.name is None
    return spec.type


# ---------------------------------------------------------------------------------------------
# Module-level models, some with forward references (names defined further down the file)
# ---------------------------------------------------------------------------------------------


class Basket(pydantic.BaseModel):
    items: list[BasketItem]  # defined below: a forward reference
    owner: Optional[BasketOwner] = None  # noqa: UP045


class BasketItem(pydantic.BaseModel):
    sku: str
    qty: int = pydantic.Field(1, ge=0, description="How many")


class BasketOwner(pydantic.BaseModel):
    name: str


class TreeNode(pydantic.BaseModel):
    value: int
    children: list[TreeNode] = []


class Applicant(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(ge=0, description="Age in whole years")
    income: float
    note: str | None = None


class Score(pydantic.BaseModel):
    score: float


class Scorer(tm.PythonModel):
    def predict(self, context, model_input: list[Applicant]) -> list[Score]:
        return [Score(score=a.age * 0.1) for a in model_input]


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass
class Point:
    x: float
    y: float = 0.0
    label: Optional[str] = None  # noqa: UP045


class Movie(TypedDict):
    title: str
    year: int
    rating: NotRequired[float]


# ---------------------------------------------------------------------------------------------
# Scalars
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        (int, DataType.long),
        (float, DataType.double),
        (bool, DataType.boolean),
        (str, DataType.string),
        (bytes, DataType.binary),
        (dt.datetime, DataType.datetime),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_scalar_hints(hint: Any, expected: DataType) -> None:
    assert _element(hint) == expected
    assert hint_to_type(hint) == expected


def test_any_is_any_type() -> None:
    assert _element(Any) == AnyType()
    assert Schema([ColSpec(AnyType())]).to_dict() == [{"type": "any", "required": True}]


# ---------------------------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        (list[float], Array(DataType.double)),
        (List[float], Array(DataType.double)),  # noqa: UP006
        (list[list[str]], Array(Array(DataType.string))),
        (dict[str, float], Map(DataType.double)),
        (Dict[str, int], Map(DataType.long)),  # noqa: UP006
        (dict[str, list[bool]], Map(Array(DataType.boolean))),
        (list[dict[str, bytes]], Array(Map(DataType.binary))),
    ],
    ids=str,
)
def test_container_hints(hint: Any, expected: Any) -> None:
    assert _element(hint) == expected


def test_list_of_dict_typing_hint_is_a_map_column() -> None:
    @tm.typed
    def predict(model_input: List[Dict[str, float]]) -> list[float]:  # noqa: UP006
        return [sum(row.values()) for row in model_input]

    assert tm.signature_of(predict).inputs == Schema([ColSpec(Map(DataType.double))])
    assert tm.signature_of(predict).outputs == Schema([ColSpec(DataType.double)])


# ---------------------------------------------------------------------------------------------
# pydantic models
# ---------------------------------------------------------------------------------------------


def test_pydantic_model_is_one_unnamed_object_column() -> None:
    sig = tm.signature_of(Scorer)
    [spec] = sig.inputs.inputs
    assert spec.name is None
    assert spec.required
    node = spec.type
    assert isinstance(node, Object)
    assert [p.name for p in node.properties] == ["age", "income", "name", "note"]
    assert node.property("age") == Property(
        "age", DataType.long, description="Age in whole years", constraints=Constraints(ge=0)
    )
    assert node.property("income") == Property("income", DataType.double)
    assert node.property("name") == Property("name", DataType.string)
    note = node.property("note")
    assert note.dtype == DataType.string
    assert not note.required
    assert sig.outputs == Schema(
        [ColSpec(Object([Property("score", DataType.double)], closed=False))]
    )


def test_nested_models_and_forward_references_at_module_level() -> None:
    node = _element(Basket)
    assert isinstance(node, Object)
    items = node.property("items")
    assert items.required
    assert isinstance(items.dtype, Array)
    item = items.dtype.dtype
    assert isinstance(item, Object)
    qty = item.property("qty")
    assert qty.dtype == DataType.long
    assert not qty.required
    assert qty.default == 1
    assert qty.description == "How many"
    assert qty.constraints == Constraints(ge=0)
    owner = node.property("owner")
    assert not owner.required
    assert owner.dtype == Object([Property("name", DataType.string)], closed=False)


def test_typed_model_over_forward_referencing_model_validates() -> None:
    class Shop(tm.PythonModel):
        def predict(self, model_input: list[Basket]) -> list[int]:
            return [sum(i.qty for i in b.items) for b in model_input]

    assert Shop().predict([{"items": [{"sku": "a", "qty": "2"}, {"sku": "b"}]}]) == [3]


def test_self_referencing_model_finishes_and_validates_fully() -> None:
    node = _element(TreeNode)
    assert isinstance(node, Object)
    assert node.property("value").dtype == DataType.long
    children = node.property("children")
    assert not children.required
    assert isinstance(children.dtype, Array)

    @tm.typed
    def depth(model_input: list[TreeNode]) -> list[int]:
        def d(n: TreeNode) -> int:
            return 1 + max((d(c) for c in n.children), default=0)

        return [d(n) for n in model_input]

    assert depth([{"value": 1, "children": [{"value": 2, "children": [{"value": "3"}]}]}]) == [3]
    with pytest.raises(tm.ValidationError) as info:
        depth([{"value": 1, "children": [{"value": 2, "children": [{"value": "x"}]}]}])
    assert info.value.issues[0].loc == ("children", 0, "children", 0, "value")


def test_optional_fields_and_defaults_are_not_required() -> None:
    class Row(pydantic.BaseModel):
        needed: int
        maybe: Optional[int] = None  # noqa: UP045
        maybe_pipe: str | None = None
        nullable_no_default: Optional[float]  # noqa: UP045
        with_default: str = "x"
        with_factory: list[int] = pydantic.Field(default_factory=list)

    node = _element(Row)
    required = {p.name: p.required for p in node.properties}
    assert required == {
        "needed": True,
        "maybe": False,
        "maybe_pipe": False,
        "nullable_no_default": True,  # no default: pydantic needs the key (None may be its value)
        "with_default": False,
        "with_factory": False,
    }
    assert node.property("maybe").dtype == DataType.long
    assert node.property("with_default").default == "x"
    assert node.property("with_factory").dtype == Array(DataType.long)


def test_field_constraints_and_descriptions_travel_in_the_tree() -> None:
    class Row(pydantic.BaseModel):
        age: int = pydantic.Field(ge=0, le=130, description="Age in years")
        ratio: Annotated[float, pydantic.Field(gt=0, lt=1)]
        code: str = pydantic.Field(min_length=2, max_length=5, pattern=r"^[A-Z]+$")
        step: int = pydantic.Field(default=10, multiple_of=5, description="Step size")

    node = _element(Row)
    assert node.property("age").constraints == Constraints(ge=0, le=130)
    assert node.property("age").description == "Age in years"
    assert node.property("ratio").constraints == Constraints(gt=0, lt=1)
    assert node.property("code").constraints == Constraints(
        min_length=2, max_length=5, pattern="^[A-Z]+$"
    )
    step = node.property("step")
    assert step.constraints == Constraints(multiple_of=5)
    assert step.description == "Step size"
    assert step.default == 10
    # They are written beside the MLflow form, so docs and round trips keep them.
    back = Schema.from_dict(Schema([ColSpec(node)]).to_dict())
    assert back.inputs[0].type.property("age").constraints == Constraints(ge=0, le=130)


def test_aliases_name_the_properties() -> None:
    class Row(pydantic.BaseModel):
        first_name: str = pydantic.Field(alias="firstName")
        last_name: str

    node = _element(Row)
    assert [p.name for p in node.properties] == ["firstName", "last_name"]


def test_literal_and_enum_fields() -> None:
    class Row(pydantic.BaseModel):
        kind: Literal["a", "b"]
        colour: Colour
        level: Level = Level.LOW

    node = _element(Row)
    assert node.property("kind").dtype == LiteralType(["a", "b"])
    assert node.property("colour").dtype == LiteralType(["red", "green"])
    assert node.property("level").dtype == LiteralType([1, 2])
    assert _element(Literal[1, 2, 3]) == LiteralType([1, 2, 3])
    assert _element(Colour) == LiteralType(["red", "green"])
    # MLflow reads the base type.
    [col] = Schema([ColSpec(LiteralType(["a", "b"]))]).to_dict()
    assert col["type"] == "string"


def test_union_is_kept_and_exported_as_any() -> None:
    class Row(pydantic.BaseModel):
        value: Union[int, str]  # noqa: UP007
        other: float | bytes

    node = _element(Row)
    assert node.property("value").dtype == UnionType([DataType.long, DataType.string])
    assert node.property("other").dtype == UnionType([DataType.double, DataType.binary])
    union = _element(Union[int, str])  # noqa: UP007
    assert union == UnionType([DataType.long, DataType.string])
    [col] = Schema([ColSpec(union)]).to_dict()
    assert col["type"] == "any"
    assert col["required"] is True


def test_any_field() -> None:
    class Row(pydantic.BaseModel):
        payload: Any
        extra: dict[str, Any]

    node = _element(Row)
    assert node.property("payload").dtype == AnyType()
    assert node.property("extra").dtype == Map(AnyType())


def test_dataclass_is_an_object() -> None:
    node = _element(Point)
    assert isinstance(node, Object)
    assert [p.name for p in node.properties] == ["label", "x", "y"]
    assert node.property("x") == Property("x", DataType.double)
    assert node.property("y") == Property(
        "y", DataType.double, required=False, default=0.0, nullable=False
    )
    assert node.property("label").dtype == DataType.string
    assert not node.property("label").required


def test_typeddict_is_an_object() -> None:
    assert _element(Movie) == Object(
        [
            Property("title", DataType.string),
            Property("year", DataType.long),
            Property("rating", DataType.double, required=False, nullable=False),
        ],
        closed=False,  # pydantic ignores (and drops) keys a TypedDict doesn't name
    )


def test_nested_list_of_models_and_map_of_models() -> None:
    class Leaf(pydantic.BaseModel):
        v: float

    class Row(pydantic.BaseModel):
        leaves: List[Leaf]  # noqa: UP006
        by_name: Dict[str, Leaf]  # noqa: UP006

    node = _element(Row)
    leaf = Object([Property("v", DataType.double)], closed=False)
    assert node.property("leaves").dtype == Array(leaf)
    assert node.property("by_name").dtype == Map(leaf)


# ---------------------------------------------------------------------------------------------
# Forward references and classes local to a function
# ---------------------------------------------------------------------------------------------


def test_class_defined_inside_a_function_resolves_local_names() -> None:
    class LocalRow(pydantic.BaseModel):
        a: int
        nxt: Optional[LocalRow] = None  # noqa: UP045

    class LocalOut(pydantic.BaseModel):
        total: int

    class LocalModel(tm.PythonModel):
        def predict(self, context, model_input: list[LocalRow]) -> list[LocalOut]:
            return [LocalOut(total=r.a + (r.nxt.a if r.nxt else 0)) for r in model_input]

    sig = tm.signature_of(LocalModel)
    node = sig.inputs.inputs[0].type
    assert isinstance(node, Object)
    assert node.property("a").dtype == DataType.long
    assert not node.property("nxt").required
    assert sig.outputs == Schema(
        [ColSpec(Object([Property("total", DataType.long)], closed=False))]
    )
    out = LocalModel().predict([{"a": "3", "nxt": {"a": 4}}])
    assert out == [LocalOut(total=7)]


def test_typed_function_with_local_hint() -> None:
    class Pair(pydantic.BaseModel):
        left: float
        right: float

    @tm.typed
    def predict(model_input: list[Pair]) -> list[float]:
        return [p.left + p.right for p in model_input]

    assert tm.signature_of(predict).inputs == Schema(
        [
            ColSpec(
                Object(
                    [Property("left", DataType.double), Property("right", DataType.double)],
                    closed=False,
                )
            )
        ]
    )
    assert predict([{"left": 1, "right": "2"}]) == [3.0]


def test_undefined_name_in_a_hint_is_a_schema_error_at_definition() -> None:
    with pytest.raises(SchemaError, match="NoSuchRow"):

        class Broken(tm.PythonModel):
            def predict(self, model_input: list[NoSuchRow]) -> list[int]:  # type: ignore[name-defined]  # noqa: F821
                return []


# ---------------------------------------------------------------------------------------------
# Bad input hints: SchemaError when the class is defined, saying what to write instead
# ---------------------------------------------------------------------------------------------


def test_bare_int_input_is_a_schema_error() -> None:
    with pytest.raises(SchemaError, match=r"list\[int\]"):

        class M(tm.PythonModel):
            def predict(self, model_input: int) -> int:
                return model_input


def test_bare_model_class_input_is_a_schema_error() -> None:
    with pytest.raises(SchemaError, match=r"list\[Applicant\]"):

        class M(tm.PythonModel):
            def predict(self, context, model_input: Applicant) -> float:
                return 0.0


def test_bare_model_class_on_a_typed_class_is_a_schema_error() -> None:
    with pytest.raises(SchemaError, match=r"list\[Applicant\]"):

        @tm.typed
        class M:
            def predict(self, model_input: Applicant) -> float:
                return 0.0


def test_bare_model_class_on_a_typed_function_is_a_schema_error() -> None:
    with pytest.raises(SchemaError, match=r"list\[Applicant\]"):

        @tm.typed
        def predict(model_input: Applicant) -> float:
            return 0.0


def test_dict_with_int_keys_is_a_schema_error() -> None:
    with pytest.raises(SchemaError, match=r"dict\[str"):

        class M(tm.PythonModel):
            def predict(self, model_input: list[dict[int, float]]) -> list[float]:
                return []


def test_dict_with_int_keys_inside_a_model_is_a_schema_error() -> None:
    class Row(pydantic.BaseModel):
        weights: dict[int, float]

    with pytest.raises(SchemaError, match=r"dict\[str"):

        class M(tm.PythonModel):
            def predict(self, model_input: list[Row]) -> list[float]:
                return []


def test_one_dict_input_is_a_schema_error() -> None:
    with pytest.raises(SchemaError, match=r"list\[dict\[str"):

        class M(tm.PythonModel):
            def predict(self, model_input: dict[str, float]) -> list[float]:
                return []


@pytest.mark.parametrize("hint", [list, List], ids=["list", "List"])  # noqa: UP006
def test_list_without_element_type_is_a_schema_error(hint: Any) -> None:
    def predict(model_input):  # type: ignore[no-untyped-def]
        return model_input

    predict.__annotations__ = {"model_input": hint}
    with pytest.raises(SchemaError, match=r"list\[X\]"):
        tm.typed(predict)


def test_bare_list_inside_a_model_is_a_schema_error() -> None:
    class Row(pydantic.BaseModel):
        tags: list  # type: ignore[type-arg]

    with pytest.raises(SchemaError, match=r"list\[float\]"):

        @tm.typed
        def predict(model_input: list[Row]) -> list[int]:
            return []


def test_schema_error_is_a_type_error() -> None:
    with pytest.raises(TypeError):

        @tm.typed
        def predict(model_input: int) -> int:
            return model_input


# ---------------------------------------------------------------------------------------------
# Batch hints without an element schema, params and returns
# ---------------------------------------------------------------------------------------------


def test_dataframe_and_ndarray_inputs_have_no_element_schema() -> None:
    import numpy as np
    import pandas as pd

    @tm.typed
    def on_frame(model_input: pd.DataFrame) -> list[float]:
        return [0.0] * len(model_input)

    @tm.typed
    def on_array(model_input: np.ndarray) -> list[float]:
        return [0.0] * len(model_input)

    assert tm.signature_of(on_frame).inputs is None
    assert tm.signature_of(on_array).inputs is None
    assert tm.signature_of(on_frame).outputs == Schema([ColSpec(DataType.double)])


def test_params_model_becomes_a_param_schema() -> None:
    class Opts(pydantic.BaseModel):
        k: int = 3
        temperature: float = 0.5
        stop: list[str] = []

    class M(tm.PythonModel):
        def predict(self, model_input: list[str], params: Opts | None = None) -> list[str]:
            return model_input

    assert tm.signature_of(M).params == ParamSchema(
        [
            ParamSpec("k", DataType.long, 3),
            ParamSpec("temperature", DataType.double, 0.5),
            ParamSpec("stop", DataType.string, [], shape=(-1,)),
        ]
    )


# ---------------------------------------------------------------------------------------------
# MLflow's own forms for type hints
# ---------------------------------------------------------------------------------------------


class Message(pydantic.BaseModel):
    role: str
    content: str
    metadata: Optional[Dict[str, str]] = None  # noqa: UP006, UP045


class Inner(pydantic.BaseModel):
    x: float


class Outer(pydantic.BaseModel):
    tags: List[str]  # noqa: UP006
    inner: Inner
    when: dt.datetime
    blob: bytes


HINT_CASES: dict[str, Any] = {
    "type hint list[Message] where Message(role: str, content: str, "
    "metadata: Optional[Dict[str,str]] = None)": list[Message],
    "type hint List[Dict[str, float]]": List[Dict[str, float]],  # noqa: UP006
    "type hint list[float]": list[float],
    "type hint list[list[float]]": list[list[float]],
    "type hint list[Outer] where Outer(tags: List[str], inner: Inner(x: float), "
    "when: datetime, blob: bytes)": list[Outer],
}


def _reference_cases() -> dict[str, Any]:
    cases = mlflow_forms()
    return {c["case"]: c["mlflow_output"] for c in cases if c["case"].startswith("type hint")}


def test_every_recorded_hint_case_is_covered() -> None:
    assert set(_reference_cases()) == set(HINT_CASES)


@pytest.mark.parametrize("case", sorted(HINT_CASES), ids=lambda c: c.split(" where ")[0])
def test_hint_schema_is_exactly_mlflows_form(case: str) -> None:
    def predict(model_input):  # type: ignore[no-untyped-def]
        return model_input

    predict.__annotations__ = {"model_input": HINT_CASES[case]}
    schema = tm.signature_of(tm.typed(predict)).inputs
    # MLflow's form, plus typedmodel's note that a pydantic model's object is open (pydantic
    # ignores keys it doesn't name); MLflow reads past the note.
    assert _without_open_notes(schema.to_dict()) == _reference_cases()[case]
    assert Schema.from_dict(_reference_cases()[case]) == _closed(schema)


def test_constraints_on_the_batch_element_go_on_the_column() -> None:
    word = Annotated[str, pydantic.Field(min_length=1, description="a word")]

    @tm.typed
    def count(model_input: list[word]) -> list[int]:  # type: ignore[valid-type]
        return [len(w) for w in model_input]

    schema = tm.signature_of(count).inputs
    assert schema == tm.Schema(
        [tm.ColSpec("string", constraints=tm.Constraints(min_length=1), description="a word")]
    )
    with pytest.raises(tm.ValidationError, match="at least 1 character"):
        count([""])


def test_a_params_model_with_a_nested_model_default() -> None:
    class Style(pydantic.BaseModel):
        bold: bool = False

    class Options(pydantic.BaseModel):
        style: Style = Style()

    @tm.typed
    def shout(model_input: list[str], params: Optional[Options] = None) -> list[str]:  # noqa: UP045
        assert params is not None
        return [s.upper() if params.style.bold else s for s in model_input]

    params = tm.signature_of(shout).params
    assert params is not None
    assert params.params[0].default == {"bold": False}
    assert shout(["a"]) == ["a"]
    assert shout(["a"], params={"style": {"bold": True}}) == ["A"]


def test_typing_typeddict_that_pydantic_refuses_is_a_schema_error() -> None:
    import sys
    import typing

    class Plain(typing.TypedDict):
        a: int

    if sys.version_info >= (3, 12):
        assert tm.signature_of(tm.typed(_predict_over(Plain))).inputs is not None
    else:
        with pytest.raises(tm.SchemaError, match=r"typing_extensions\.TypedDict"):
            tm.typed(_predict_over(Plain))


def _predict_over(element: Any) -> Any:
    def predict(model_input):  # type: ignore[no-untyped-def]
        return model_input

    predict.__annotations__ = {"model_input": list[element]}
    return predict


def _without_open_notes(form: Any) -> Any:
    if isinstance(form, list):
        return [_without_open_notes(v) for v in form]
    if isinstance(form, dict):
        out = {k: _without_open_notes(v) for k, v in form.items()}
        if out.get("x-typedmodel") == {"closed": False}:
            del out["x-typedmodel"]
        return out
    return form


def _closed(schema: Schema) -> Schema:
    return Schema.from_dict(_without_open_notes(schema.to_dict()))


def test_a_tree_read_back_from_its_hint_keeps_its_widths() -> None:
    """`tree_to_hint` marks the 32-bit types Python's int and float don't name, so the hint
    reads back as the same tree (a float stays a float, integer | long stays a union)."""
    from typedmodel.validate import tree_to_hint

    tree = Object(
        [
            Property("f", DataType.float, constraints=tm.Constraints(le=10.0)),
            Property("i", Array(DataType.integer, item_constraints=tm.Constraints(ge=0))),
            Property("u", tm.UnionType([DataType.integer, DataType.long]), required=False),
        ],
        closed=False,
    )
    assert hint_to_type(tree_to_hint(tree), where="t") == tree
    adapter = pydantic.TypeAdapter(tree_to_hint(tree))
    assert adapter.validate_python({"f": 0.5, "i": [2**31 - 1]}) == {"f": 0.5, "i": [2**31 - 1]}
    for bad in ({"f": 1e39, "i": []}, {"f": 0.5, "i": [2**31]}, {"f": 0.5, "i": [-1]}):
        with pytest.raises(pydantic.ValidationError):
            adapter.validate_python(bad)
