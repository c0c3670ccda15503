"""The schema tree (`typedmodel.schema`): construction rules, value semantics, MLflow form."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

import typedmodel
from tests.reference import mlflow_module
from tests.strategies import col_schemas
from typedmodel import (
    AnyType,
    Array,
    ColSpec,
    Constraints,
    DataType,
    LiteralType,
    Map,
    ModelSignature,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    SchemaError,
    TensorSpec,
    UnionType,
)

EXT = "x-typedmodel"
NAMESPACE = {name: value for name, value in vars(typedmodel).items() if not name.startswith("_")}


def _mlflow_reads(sig: ModelSignature) -> Any:
    """What MLflow reads from the form (the test is skipped without MLflow)."""
    mlflow_signature = mlflow_module("mlflow.models.signature")
    return mlflow_signature.ModelSignature.from_dict(sig.to_dict())


# ---------------------------------------------------------------------------------------------
# Schema rules
# ---------------------------------------------------------------------------------------------


def test_schema_rejects_empty() -> None:
    with pytest.raises(SchemaError, match="at least one"):
        Schema([])


def test_schema_rejects_named_and_unnamed_inputs_together() -> None:
    with pytest.raises(SchemaError, match="all be named or all unnamed"):
        Schema([ColSpec("double", "x"), ColSpec("double")])


@pytest.mark.parametrize(
    "specs",
    [
        [ColSpec("double", "x"), TensorSpec("float32", (-1,), "t")],
        [TensorSpec("float32", (-1,), "t"), ColSpec("double", "x")],
    ],
)
def test_schema_rejects_colspec_and_tensorspec_together(specs: list[Any]) -> None:
    with pytest.raises(SchemaError, match="mix ColSpec and TensorSpec"):
        Schema(specs)


def test_schema_rejects_several_unnamed_tensors() -> None:
    with pytest.raises(SchemaError, match="several TensorSpecs need names"):
        Schema([TensorSpec("float32", (-1,)), TensorSpec("int64", (-1,))])


def test_schema_accepts_one_unnamed_tensor_and_several_named() -> None:
    assert len(Schema([TensorSpec("float32", (-1, 3))])) == 1
    named = Schema([TensorSpec("float32", (-1,), "a"), TensorSpec("int64", (-1,), "b")])
    assert named.input_names() == ["a", "b"]


def test_schema_rejects_an_unnamed_optional_column() -> None:
    with pytest.raises(SchemaError, match="unnamed column can't be optional"):
        Schema([ColSpec("double", required=False)])


@pytest.mark.parametrize(
    "specs",
    [
        [ColSpec("double", "x"), ColSpec("string", "y"), ColSpec("long", "x")],
        [TensorSpec("float32", (-1,), "x"), TensorSpec("int64", (-1,), "x")],
    ],
)
def test_schema_rejects_duplicate_names(specs: list[Any]) -> None:
    with pytest.raises(SchemaError, match=r"unique; repeated: \['x'\]"):
        Schema(specs)


@pytest.mark.parametrize("bad", ["double", DataType.double, Array("double"), {"type": "double"}])
def test_schema_holds_only_specs(bad: Any) -> None:
    with pytest.raises(SchemaError, match="ColSpec or TensorSpec"):
        Schema([bad])


def test_colspec_type_must_be_a_type() -> None:
    with pytest.raises(SchemaError, match="unknown ColSpec type 'decimal'"):
        ColSpec("decimal", "x")
    with pytest.raises(SchemaError, match="ColSpec type must be"):
        ColSpec(3.5, "x")  # type: ignore[arg-type]  # the error is the point


# ---------------------------------------------------------------------------------------------
# Object, Property, Map, Array
# ---------------------------------------------------------------------------------------------


def test_object_keeps_properties_sorted_by_name() -> None:
    obj = Object([Property("b", "long"), Property("c", "string"), Property("a", "double")])
    assert [p.name for p in obj.properties] == ["a", "b", "c"]
    assert isinstance(obj.properties, tuple)
    assert obj == Object([Property("a", "double"), Property("b", "long"), Property("c", "string")])
    col = Schema([ColSpec(obj, "o")]).to_dict()[0]
    assert list(col["properties"]) == ["a", "b", "c"]


def test_object_rejects_duplicate_property_names() -> None:
    with pytest.raises(SchemaError, match=r"unique; repeated: \['a'\]"):
        Object([Property("a", "long"), Property("b", "long"), Property("a", "string")])


def test_object_rejects_no_properties() -> None:
    with pytest.raises(SchemaError, match="at least one Property"):
        Object([])


def test_object_takes_only_properties() -> None:
    with pytest.raises(SchemaError, match="Property"):
        Object([ColSpec("long", "a")])  # type: ignore[list-item]  # the error is the point


@pytest.mark.parametrize("name", ["", None, 3])
def test_property_needs_a_name(name: Any) -> None:
    with pytest.raises(SchemaError, match="non-empty string name"):
        Property(name, "long")


def test_map_has_string_keys_and_a_value_type_only() -> None:
    m = Map("double")
    assert [f.name for f in dataclasses.fields(Map)] == ["value_type", "value_constraints"]
    assert m.value_type is DataType.double
    assert Schema([ColSpec(m, "m")]).to_dict()[0] == {
        "type": "map",
        "values": {"type": "double"},
        "name": "m",
        "required": True,
    }
    with pytest.raises(TypeError):
        Map("string", "double")  # type: ignore[call-arg]  # a key type is not a parameter


@pytest.mark.parametrize("make", [Map, Array])
def test_nested_nodes_reject_unknown_types(make: Any) -> None:
    with pytest.raises(SchemaError, match=r"unknown .* 'decimal'"):
        make("decimal")
    with pytest.raises(SchemaError, match="must be a DataType"):
        make(float)


def test_array_and_map_accept_names_and_nodes() -> None:
    assert Array("long").dtype is DataType.long
    assert Array(Map(Array("string"))).dtype == Map(Array(DataType.string))
    assert Map(AnyType()).value_type == AnyType()


# ---------------------------------------------------------------------------------------------
# TensorSpec
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (np.dtype("float32"), np.dtype("float32")),
        (np.float32, np.dtype("float32")),
        ("float32", np.dtype("float32")),
        (DataType.float, np.dtype("float32")),
        (DataType.double, np.dtype("float64")),
        (DataType.integer, np.dtype("int32")),
        (DataType.long, np.dtype("int64")),
        (np.int64, np.dtype("int64")),
        ("uint8", np.dtype("uint8")),
        ("str", np.dtype(str)),
        (np.bytes_, np.dtype(bytes)),
    ],
)
def test_tensorspec_type_forms(given: Any, expected: np.dtype[Any]) -> None:
    spec = TensorSpec(given, (-1,))
    assert isinstance(spec.type, np.dtype)
    assert spec.type == expected


def test_tensorspec_rejects_non_numeric_datatype() -> None:
    with pytest.raises(SchemaError, match="numeric DataType"):
        TensorSpec(DataType.string, (-1,))


def test_tensorspec_rejects_what_is_not_a_dtype() -> None:
    with pytest.raises(SchemaError, match="not a numpy dtype"):
        TensorSpec("not-a-dtype", (-1,))


@pytest.mark.parametrize("shape", [(-1, 28, 28), [-1, 28, 28]])
def test_tensorspec_shape_is_stored_as_a_tuple(shape: Any) -> None:
    spec = TensorSpec("float32", shape)
    assert spec.shape == (-1, 28, 28)
    assert type(spec.shape) is tuple
    assert spec == TensorSpec("float32", (-1, 28, 28))


def test_tensorspec_minus_one_is_any_size() -> None:
    spec = TensorSpec("int64", [-1, -1, 0, 5], "t")
    assert spec.shape == (-1, -1, 0, 5)
    assert Schema([spec]).to_dict() == [
        {"name": "t", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1, -1, 0, 5]}}
    ]


@pytest.mark.parametrize("dtype", ["<U5", "U5", "S3", np.dtype("<U10")])
def test_tensorspec_rejects_sized_strings(dtype: Any) -> None:
    with pytest.raises(SchemaError, match="has a size"):
        TensorSpec(dtype, (-1,))


@pytest.mark.parametrize("shape", [(-2,), (-1, -5), (3, -2)])
def test_tensorspec_rejects_dims_below_minus_one(shape: tuple[int, ...]) -> None:
    with pytest.raises(SchemaError, match=r"size >= 0 or -1"):
        TensorSpec("float32", shape)


@pytest.mark.parametrize("shape", [(1.5,), ("3",), (True,), 3, "(-1,)", None])
def test_tensorspec_rejects_shapes_that_are_not_int_sequences(shape: Any) -> None:
    with pytest.raises(SchemaError, match="shape"):
        TensorSpec("float32", shape)


# ---------------------------------------------------------------------------------------------
# ParamSpec and ParamSchema
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [DataType.long, "long"])
def test_paramspec_dtype_is_a_datatype_or_its_name(dtype: Any) -> None:
    assert ParamSpec("k", dtype, 3).dtype is DataType.long


def test_paramspec_dtype_may_be_an_object() -> None:
    obj = Object([Property("a", "long")])
    assert ParamSpec("cfg", obj, {"a": 1}).dtype == obj


@pytest.mark.parametrize(
    ("dtype", "match"),
    [
        ("decimal", "unknown type of param 'k'"),
        (Array("long"), "must be a DataType or its name"),
        (Map("long"), "must be a DataType or its name"),
    ],
)
def test_paramspec_rejects_other_dtypes(dtype: Any, match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        ParamSpec("k", dtype, None)


@pytest.mark.parametrize("dtype", [DataType.binary, "binary"])
def test_paramspec_rejects_binary(dtype: Any) -> None:
    with pytest.raises(SchemaError, match="binary"):
        ParamSpec("k", dtype, b"x")


@pytest.mark.parametrize("shape", [None, (-1,), [-1]])
def test_paramspec_shape_none_or_minus_one(shape: Any) -> None:
    default = 1 if shape is None else [1, 2]
    spec = ParamSpec("k", "long", default, shape)
    assert spec.shape == (None if shape is None else (-1,))
    assert spec.default == default


@pytest.mark.parametrize("shape", [(2,), (-1, -1), [3], (), "(-1,)"])
def test_paramspec_rejects_other_shapes(shape: Any) -> None:
    with pytest.raises(SchemaError, match="shape must be None"):
        ParamSpec("k", "long", [1], shape)


@pytest.mark.parametrize(
    ("dtype", "default"),
    [
        (DataType.long, 1.5),
        (DataType.long, True),
        (DataType.long, "5"),
        (DataType.long, 2**63),
        (DataType.integer, 2**31),
        (DataType.double, "1.0"),
        (DataType.double, True),
        (DataType.boolean, 1),
        (DataType.string, 5),
        (DataType.long, [1, 2]),
    ],
)
def test_paramspec_default_is_checked(dtype: DataType, default: Any) -> None:
    with pytest.raises(SchemaError, match=f"param 'k'.*(expects|out of range for) {dtype.value}"):
        ParamSpec("k", dtype, default)


def test_paramspec_long_default_error_names_the_type_not_the_value() -> None:
    with pytest.raises(SchemaError, match=r"param 'k' expects long, got float$"):
        ParamSpec("k", DataType.long, 1.5)


def test_paramspec_int_default_for_double_becomes_float() -> None:
    spec = ParamSpec("t", DataType.double, 1)
    assert spec.default == 1.0
    assert type(spec.default) is float
    assert json.loads(ParamSchema([spec]).to_json())[0]["default"] == 1.0
    assert ParamSchema([spec]).to_json() == (
        '[{"name": "t", "default": 1.0, "shape": null, "type": "double"}]'
    )


def test_paramspec_numpy_scalars_become_python() -> None:
    assert type(ParamSpec("k", "long", np.int64(3)).default) is int
    assert type(ParamSpec("k", "double", np.float32(0.5)).default) is float


@pytest.mark.parametrize(
    "default",
    [dt.datetime(2024, 1, 1), "2024-01-01T00:00:00", "2024-01-01", dt.date(2024, 1, 1)],
)
def test_paramspec_datetime_default_written_in_iso_form(default: Any) -> None:
    spec = ParamSpec("d", DataType.datetime, default)
    assert spec.default == dt.datetime(2024, 1, 1)
    assert ParamSchema([spec]).to_dict() == [
        {"name": "d", "default": "2024-01-01T00:00:00", "shape": None, "type": "datetime"}
    ]


def test_paramspec_datetime_list_default_written_in_iso_form() -> None:
    spec = ParamSpec("d", "datetime", [dt.datetime(2024, 1, 1, 12, 30), "2024-02-03"], [-1])
    assert spec.to_dict()["default"] == ["2024-01-01T12:30:00", "2024-02-03T00:00:00"]


def test_paramspec_rejects_a_bad_datetime() -> None:
    with pytest.raises(SchemaError, match="expects a datetime"):
        ParamSpec("d", DataType.datetime, "yesterday")


def test_paramspec_list_default_checked_element_wise() -> None:
    assert ParamSpec("k", "double", [1, 2.5], (-1,)).default == [1.0, 2.5]
    assert ParamSpec("s", "string", [], (-1,)).default == []
    with pytest.raises(SchemaError, match=r"param 'k'\[1\] expects long"):
        ParamSpec("k", "long", [1, "x", 3], (-1,))
    with pytest.raises(SchemaError, match=r"param 'k'\[0\] expects long"):
        ParamSpec("k", "long", [True], (-1,))


@pytest.mark.parametrize("default", [5, "abc", {"a": 1}])
def test_paramspec_list_shape_needs_a_list(default: Any) -> None:
    with pytest.raises(SchemaError, match=r"shape \(-1,\): give a list"):
        ParamSpec("k", "long", default, (-1,))


def test_paramschema_rejects_duplicate_names() -> None:
    with pytest.raises(SchemaError, match=r"unique; repeated: \['k'\]"):
        ParamSchema(
            [ParamSpec("k", "long", 1), ParamSpec("j", "long", 1), ParamSpec("k", "string", "")]
        )


def test_paramschema_holds_only_paramspecs() -> None:
    with pytest.raises(SchemaError, match="ParamSpec"):
        ParamSchema([ColSpec("long", "k")])  # type: ignore[list-item]  # the error is the point


CONFIG = Object([Property("a", "long"), Property("b", "string", required=False)])


def test_object_param_default_accepted() -> None:
    spec = ParamSpec("cfg", CONFIG, {"a": 1})
    assert spec.default == {"a": 1}
    assert spec.to_dict() == {
        "name": "cfg",
        "default": {"a": 1},
        "shape": None,
        "type": "object",
        "properties": {
            "a": {"type": "long", "required": True},
            "b": {"type": "string", "required": False},
        },
    }


def test_object_param_default_rejects_unknown_field() -> None:
    with pytest.raises(SchemaError, match=r"1 unknown field\(s\); allowed: \['a', 'b'\]"):
        ParamSpec("cfg", CONFIG, {"a": 1, "z": 2})


def test_object_param_default_rejects_missing_required_field() -> None:
    with pytest.raises(SchemaError, match="a is required"):
        ParamSpec("cfg", CONFIG, {"b": "x"})


def test_object_param_default_checks_field_types() -> None:
    with pytest.raises(SchemaError, match="expects long"):
        ParamSpec("cfg", CONFIG, {"a": "one"})
    with pytest.raises(SchemaError, match="expects an object"):
        ParamSpec("cfg", CONFIG, [1])


def test_object_param_with_datetime_field_serialises() -> None:
    obj = Object([Property("when", "datetime")])
    spec = ParamSpec("cfg", obj, {"when": "2024-01-01T00:00:00"})
    params = ParamSchema([spec])
    assert json.loads(params.to_json())[0]["default"] == {"when": "2024-01-01T00:00:00"}
    assert ParamSchema.from_json(params.to_json()) == params


# ---------------------------------------------------------------------------------------------
# DataType
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("member", list(DataType))
def test_datatype_from_its_name(member: DataType) -> None:
    assert DataType(member.value) is member
    assert DataType(member.name) is member


def test_datatype_double_by_name() -> None:
    assert DataType("double") is DataType.double
    assert [t.value for t in DataType] == [
        "boolean",
        "integer",
        "long",
        "float",
        "double",
        "string",
        "binary",
        "datetime",
    ]


@pytest.mark.parametrize(
    ("member", "numpy", "pandas", "python"),
    [
        (DataType.boolean, np.dtype(bool), np.dtype(bool), bool),
        (DataType.integer, np.dtype("int32"), np.dtype("int32"), int),
        (DataType.long, np.dtype("int64"), np.dtype("int64"), int),
        (DataType.float, np.dtype("float32"), np.dtype("float32"), float),
        (DataType.double, np.dtype("float64"), np.dtype("float64"), float),
        (DataType.string, np.dtype(str), np.dtype(object), str),
        (DataType.binary, np.dtype(bytes), np.dtype(object), bytes),
        (DataType.datetime, np.dtype("datetime64[ns]"), np.dtype("datetime64[ns]"), dt.datetime),
    ],
)
def test_datatype_mappings(member: DataType, numpy: Any, pandas: Any, python: type) -> None:
    assert member.to_numpy() == numpy
    assert member.to_pandas() == pandas
    assert member.to_python() is python


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (np.int8, DataType.integer),
        (np.int16, DataType.integer),
        (np.int32, DataType.integer),
        (np.int64, DataType.long),
        (np.uint8, DataType.integer),
        (np.float16, DataType.float),
        (np.float32, DataType.float),
        (np.float64, DataType.double),
        (np.bool_, DataType.boolean),
        (bool, DataType.boolean),
        (str, DataType.string),
        ("<U7", DataType.string),
        (bytes, DataType.binary),
        ("S3", DataType.binary),
        ("datetime64[ns]", DataType.datetime),
        ("datetime64[s]", DataType.datetime),
        (np.dtype("float64"), DataType.double),
    ],
)
def test_datatype_from_numpy(dtype: Any, expected: DataType) -> None:
    assert DataType.from_numpy(dtype) is expected


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, "complex128", np.uint64, object])
def test_datatype_from_numpy_rejects_complex(dtype: Any) -> None:
    with pytest.raises(SchemaError, match="has no DataType"):
        DataType.from_numpy(dtype)


# ---------------------------------------------------------------------------------------------
# Schema methods
# ---------------------------------------------------------------------------------------------


def test_named_column_schema_methods() -> None:
    schema = Schema(
        [
            ColSpec("double", "x"),
            ColSpec(Array("string"), "tags", required=False),
            ColSpec("long", "n"),
        ]
    )
    assert schema.input_names() == ["x", "tags", "n"]
    assert schema.input_types() == [DataType.double, Array(DataType.string), DataType.long]
    assert schema.required_input_names() == ["x", "n"]
    assert schema.is_tensor_spec() is False
    assert schema.has_input_names() is True


def test_unnamed_column_schema_methods() -> None:
    schema = Schema([ColSpec("string")])
    assert schema.input_names() == [0]
    assert schema.required_input_names() == [0]
    assert schema.has_input_names() is False
    assert schema.is_tensor_spec() is False


def test_tensor_schema_methods() -> None:
    schema = Schema([TensorSpec("float32", (-1, 3), "a"), TensorSpec(np.int64, (-1,), "b")])
    assert schema.is_tensor_spec() is True
    assert schema.has_input_names() is True
    assert schema.input_names() == ["a", "b"]
    assert schema.required_input_names() == ["a", "b"]
    assert schema.input_types() == [np.dtype("float32"), np.dtype("int64")]
    unnamed = Schema([TensorSpec("float64", (-1,))])
    assert unnamed.has_input_names() is False
    assert unnamed.input_names() == [0]


# ---------------------------------------------------------------------------------------------
# Value semantics: frozen, equality, hashing, repr
# ---------------------------------------------------------------------------------------------

FROZEN_CASES = [
    (ColSpec("double", "x"), "name"),
    (ColSpec("double", "x"), "required"),
    (Property("a", "long"), "dtype"),
    (Array("long"), "dtype"),
    (Map("long"), "value_type"),
    (Object([Property("a", "long")]), "properties"),
    (UnionType(["long", "string"]), "types"),
    (LiteralType(["a"]), "values"),
    (Constraints(ge=0), "ge"),
    (Schema([ColSpec("double", "x")]), "inputs"),
    (TensorSpec("float32", (-1,)), "shape"),
    (ParamSpec("k", "long", 1), "default"),
    (ParamSchema([ParamSpec("k", "long", 1)]), "params"),
]


@pytest.mark.parametrize(("node", "attribute"), FROZEN_CASES, ids=lambda v: type(v).__name__)
def test_nodes_are_frozen(node: Any, attribute: str) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(node, attribute, None)


EQUAL_PAIRS = [
    (ColSpec("double", "x"), ColSpec(DataType.double, "x", True)),
    (
        ColSpec("long", "age", description="years", constraints=Constraints(ge=0)),
        ColSpec(DataType.long, "age", description="years", constraints=Constraints(ge=0)),
    ),
    (Array("double"), Array(DataType.double)),
    (Map(Array("long")), Map(Array(DataType.long))),
    (
        Object([Property("b", "long"), Property("a", "string", required=False)]),
        Object([Property("a", DataType.string, False), Property("b", DataType.long)]),
    ),
    (Property("a", "long", default=3), Property("a", DataType.long, True, default=3)),
    (AnyType(), AnyType()),
    (UnionType(["long", "string"]), UnionType([DataType.long, DataType.string])),
    (UnionType(["long", UnionType(["string", "double"])]), UnionType(["long", "string", "double"])),
    (LiteralType(["a", "b"]), LiteralType(["a", "b", "a"])),
    (Schema([ColSpec("double", "x")]), Schema([ColSpec("double", "x")])),
    (TensorSpec(np.float32, [-1, 2], "t"), TensorSpec("float32", (-1, 2), "t")),
    (ParamSpec("k", "double", 1), ParamSpec("k", DataType.double, 1.0)),
    (ParamSchema([ParamSpec("k", "long", 1)]), ParamSchema([ParamSpec("k", "long", 1)])),
]


@pytest.mark.parametrize(("left", "right"), EQUAL_PAIRS, ids=lambda v: type(v).__name__)
def test_equal_by_value_and_hash_alike(left: Any, right: Any) -> None:
    assert left is not right
    assert left == right
    assert hash(left) == hash(right)
    assert len({left, right}) == 1


UNEQUAL_PAIRS = [
    (ColSpec("double", "x"), ColSpec("double", "y")),
    (ColSpec("double", "x"), ColSpec("double", "x", required=False)),
    (ColSpec("double", "x"), ColSpec("long", "x")),
    (ColSpec("double", "x"), ColSpec("double", "x", description="d")),
    (ColSpec("double", "x", default=1), ColSpec("double", "x")),
    (ColSpec("double", "x"), ColSpec("double", "x", constraints=Constraints(gt=0))),
    (Property("a", "long"), Property("a", "long", required=False)),
    (Array("long"), Array("double")),
    (Array("long"), Map("long")),
    (Object([Property("a", "long")]), Object([Property("a", "long"), Property("b", "long")])),
    (UnionType(["long", "string"]), UnionType(["string", "long", "double"])),
    (LiteralType(["a"]), LiteralType(["b"])),
    (TensorSpec("float32", (-1,)), TensorSpec("float64", (-1,))),
    (TensorSpec("float32", (-1,)), TensorSpec("float32", (-1, 1))),
    (ParamSpec("k", "long", 1), ParamSpec("k", "long", 2)),
]


@pytest.mark.parametrize(("left", "right"), UNEQUAL_PAIRS, ids=lambda v: type(v).__name__)
def test_unequal_when_values_differ(left: Any, right: Any) -> None:
    assert left != right


@pytest.mark.parametrize(
    ("left", "right"),
    [(LiteralType([1]), LiteralType([True])), (LiteralType([1]), LiteralType([1.0]))],
    ids=["int-vs-bool", "int-vs-float"],
)
def test_literal_values_compare_with_their_type(left: LiteralType, right: LiteralType) -> None:
    # Literal[1] and Literal[True] are different types (typing says so too); they serialise to
    # different MLflow types, so they must not be equal nor collapse in a set.
    left_form = ModelSignature(inputs=Schema([ColSpec(left, "c")])).to_dict()
    right_form = ModelSignature(inputs=Schema([ColSpec(right, "c")])).to_dict()
    assert left_form != right_form
    assert left != right
    assert len({left, right}) == 2


REPR_CASES = [
    ColSpec("double", "x"),
    ColSpec("double"),
    ColSpec(Array(Map("long")), "x", required=False),
    ColSpec(
        "long",
        "age",
        description="Age in 'whole' years",
        default=0,
        constraints=Constraints(ge=0, le=130),
    ),
    ColSpec(UnionType(["long", LiteralType(["a", "b"])]), "u"),
    Array("double"),
    Array(Object([Property("a", "string")])),
    Map("string"),
    Map(AnyType()),
    Object([Property("b", "long"), Property("a", Array("string"), required=False)]),
    Property("a", "long"),
    Property("a", Map("double"), False, description="d", default={"k": 1.5}),
    Property("p", "string", constraints=Constraints(pattern="^[a-z]+$", max_length=3)),
    Schema([ColSpec("double", "x"), ColSpec(Object([Property("z", "boolean")]), "y")]),
    Schema([ColSpec("string")]),
    Schema([TensorSpec("float32", (-1, 28, 28), "img")]),
    TensorSpec("int64", (-1,)),
    UnionType(["long", "string"]),
    LiteralType(["a", 1, True, 2.5]),
    Constraints(gt=0.5, multiple_of=2),
    ParamSpec("k", "long", 3),
    ParamSchema([ParamSpec("k", "double", 1), ParamSpec("s", "string", ["a"], (-1,))]),
]


@pytest.mark.parametrize("node", REPR_CASES, ids=lambda v: type(v).__name__)
def test_repr_reads_like_the_constructor_and_evals_back(node: Any) -> None:
    text = repr(node)
    assert text.startswith(f"{type(node).__name__}(")
    assert eval(text, dict(NAMESPACE)) == node


@pytest.mark.parametrize(
    ("node", "text"),
    [
        (ColSpec("double", "x"), "ColSpec(DataType.double, name='x')"),
        (Array("double"), "Array(DataType.double)"),
        (Map("double"), "Map(DataType.double)"),
        (Property("a", "long", required=False), "Property('a', DataType.long, required=False)"),
        (
            Object([Property("b", "long"), Property("a", "string")]),
            "Object([Property('a', DataType.string), Property('b', DataType.long)])",
        ),
        (Schema([ColSpec("double", "x")]), "Schema([ColSpec(DataType.double, name='x')])"),
        (TensorSpec("float32", (-1, 28, 28)), "TensorSpec('float32', (-1, 28, 28))"),
        (DataType.long, "DataType.long"),
        (AnyType(), "AnyType()"),
    ],
)
def test_repr_text(node: Any, text: str) -> None:
    assert repr(node) == text


@settings(max_examples=100, deadline=None)
@given(col_schemas())
def test_random_column_schema_repr_evals_back(schema: Schema) -> None:
    assert eval(repr(schema), dict(NAMESPACE)) == schema


# ---------------------------------------------------------------------------------------------
# Extension nodes and column metadata in MLflow form
# ---------------------------------------------------------------------------------------------


def test_union_type_rules() -> None:
    assert UnionType(["long", "string"]).types == (DataType.long, DataType.string)
    assert UnionType(["long", UnionType(["string", "long"])]).types == (
        DataType.long,
        DataType.string,
    )
    with pytest.raises(SchemaError, match="at least two distinct types"):
        UnionType(["long", DataType.long])
    with pytest.raises(SchemaError, match="union member"):
        UnionType(["long", "decimal"])


def test_literal_type_rules() -> None:
    assert LiteralType(["a", "b", "a"]).values == ("a", "b")
    assert LiteralType([1, True]).values == (1, True)
    with pytest.raises(SchemaError, match="make a None choice optional"):
        LiteralType(["a", None])
    with pytest.raises(SchemaError, match="at least one value"):
        LiteralType([])
    with pytest.raises(SchemaError, match="str, int, float or bool"):
        LiteralType([b"x"])


def test_union_column_is_any_for_mlflow() -> None:
    sig = ModelSignature(inputs=Schema([ColSpec(UnionType(["long", "string"]), "u")]))
    data = sig.to_dict()
    (col,) = json.loads(data["inputs"])
    assert col["type"] == "any"
    assert col["name"] == "u"
    assert col["required"] is True
    assert EXT in col
    assert ModelSignature.from_dict(data) == sig
    read = _mlflow_reads(sig)
    assert read.inputs.to_dict() == [{"type": "any", "name": "u", "required": True}]


LITERAL_BASES = [
    (["a", "b"], "string"),
    ([1, 2, 3], "long"),
    ([True], "boolean"),
    ([True, False], "boolean"),
    ([1.5, 2.5], "double"),
    ([1, 2.5], "double"),
    (["a", 1], "any"),
    ([True, 1], "any"),
    (["x", 2.5, False], "any"),
]


@pytest.mark.parametrize(("values", "mlflow_type"), LITERAL_BASES)
def test_literal_top_level_column_has_nearest_mlflow_type(
    values: list[Any], mlflow_type: str
) -> None:
    sig = ModelSignature(inputs=Schema([ColSpec(LiteralType(values), "c")]))
    data = sig.to_dict()
    (col,) = json.loads(data["inputs"])
    assert col["type"] == mlflow_type
    assert col["name"] == "c"
    assert EXT in json.dumps(data)
    assert ModelSignature.from_dict(data) == sig
    assert _mlflow_reads(sig).inputs.to_dict() == [
        {"type": mlflow_type, "name": "c", "required": True}
    ]


@pytest.mark.parametrize(("values", "mlflow_type"), LITERAL_BASES)
def test_literal_nested_has_nearest_mlflow_type(values: list[Any], mlflow_type: str) -> None:
    tree = Object([Property("p", LiteralType(values)), Property("q", Array(LiteralType(values)))])
    sig = ModelSignature(inputs=Schema([ColSpec(tree, "c")]))
    (col,) = json.loads(sig.to_dict()["inputs"])
    assert col["properties"]["p"]["type"] == mlflow_type
    assert EXT in col["properties"]["p"]
    assert col["properties"]["q"]["items"]["type"] == mlflow_type
    assert EXT in col["properties"]["q"]["items"]
    assert ModelSignature.from_dict(sig.to_dict()) == sig
    assert _mlflow_reads(sig).inputs.to_dict() == [
        {
            "type": "object",
            "properties": {
                "p": {"type": mlflow_type, "required": True},
                "q": {"type": "array", "items": {"type": mlflow_type}, "required": True},
            },
            "name": "c",
            "required": True,
        }
    ]


def test_literal_base() -> None:
    assert LiteralType(["a"]).base is DataType.string
    assert LiteralType([1]).base is DataType.long
    assert LiteralType([1, 2.0]).base is DataType.double
    assert LiteralType([False]).base is DataType.boolean
    assert LiteralType(["a", 1]).base == AnyType()


META = {
    "description": "Age in whole years",
    "default": 18,
    "constraints": Constraints(ge=0, le=130, multiple_of=1),
}


@pytest.mark.parametrize(
    "meta",
    [
        {"description": META["description"]},
        {"default": META["default"]},
        {"default": None},
        {"constraints": META["constraints"]},
        {"constraints": Constraints(min_length=1, max_length=5, pattern="^[a-z]+$")},
        META,
    ],
    ids=["description", "default", "default-none", "constraints", "string-constraints", "all"],
)
def test_colspec_metadata_round_trips_beside_mlflow_form(meta: dict[str, Any]) -> None:
    sig = ModelSignature(inputs=Schema([ColSpec("long", "age", **meta)]))
    data = sig.to_dict()
    # MLflow's ColSpec(**d) rejects unknown keys: the column itself stays plain MLflow.
    assert data["inputs"] == '[{"type": "long", "name": "age", "required": true}]'
    assert EXT in data
    back = ModelSignature.from_dict(data)
    assert back == sig
    assert back.inputs is not None
    (col,) = back.inputs.inputs
    assert isinstance(col, ColSpec)
    assert col.description == meta.get("description")
    assert col.default == meta.get("default", typedmodel.MISSING)
    assert col.constraints == meta.get("constraints", Constraints())
    assert _mlflow_reads(sig).to_dict() == {
        "inputs": data["inputs"],
        "outputs": None,
        "params": None,
    }


@pytest.mark.parametrize(
    "column",
    [
        ColSpec("datetime", "when", default=dt.datetime(2024, 1, 1)),
        ColSpec(Object([Property("when", "datetime", default=dt.datetime(2024, 1, 1))]), "o"),
    ],
    ids=["column", "property"],
)
def test_datetime_default_serialises_in_iso_form_and_round_trips(column: ColSpec) -> None:
    # A pydantic field `when: datetime = datetime(2024, 1, 1)` gives such a default.
    sig = ModelSignature(inputs=Schema([column]))
    data = sig.to_dict()
    assert "2024-01-01T00:00:00" in json.dumps(data)
    assert ModelSignature.from_dict(data) == sig


def test_unnamed_colspec_metadata_round_trips() -> None:
    sig = ModelSignature(outputs=Schema([ColSpec("double", description="the score")]))
    data = sig.to_dict()
    assert data["outputs"] == '[{"type": "double", "required": true}]'
    assert ModelSignature.from_dict(data) == sig


def test_property_metadata_is_inline_and_round_trips() -> None:
    prop = Property("age", "long", description="years", default=3, constraints=Constraints(ge=0))
    sig = ModelSignature(inputs=Schema([ColSpec(Object([prop, Property("name", "string")]), "p")]))
    (col,) = json.loads(sig.to_dict()["inputs"])
    age = col["properties"]["age"]
    assert age["type"] == "long"
    assert age["required"] is True
    assert EXT in age
    assert EXT not in col["properties"]["name"]
    assert col["properties"]["name"] == {"type": "string", "required": True}
    assert ModelSignature.from_dict(sig.to_dict()) == sig
    assert _mlflow_reads(sig).inputs.to_dict() == [
        {
            "type": "object",
            "properties": {
                "age": {"type": "long", "required": True},
                "name": {"type": "string", "required": True},
            },
            "name": "p",
            "required": True,
        }
    ]


def test_nested_column_metadata_is_inline() -> None:
    sig = ModelSignature(inputs=Schema([ColSpec(Array("double"), "xs", description="values")]))
    (col,) = json.loads(sig.to_dict()["inputs"])
    assert col["type"] == "array"
    assert EXT in col
    assert ModelSignature.from_dict(sig.to_dict()) == sig
    assert _mlflow_reads(sig).inputs.to_dict() == [
        {"type": "array", "items": {"type": "double"}, "name": "xs", "required": True}
    ]


def test_union_of_nested_types_round_trips() -> None:
    union = UnionType([Array("long"), Map("string"), Object([Property("a", LiteralType([1, 2]))])])
    sig = ModelSignature(
        inputs=Schema([ColSpec(union, "u", required=False, description="one of three")])
    )
    assert ModelSignature.from_dict(sig.to_dict()) == sig
    assert ModelSignature.from_json(sig.to_json()) == sig
    assert _mlflow_reads(sig).inputs.to_dict() == [{"type": "any", "name": "u", "required": False}]


def test_schema_json_round_trip_without_extensions() -> None:
    schema = Schema(
        [
            ColSpec("double", "a"),
            ColSpec(
                Object([Property("z", Array("string")), Property("y", Map("long"), False)]), "b"
            ),
            ColSpec(AnyType(), "c", required=False),
        ]
    )
    assert Schema.from_json(schema.to_json()) == schema
    assert Schema.from_dict(schema.to_dict()) == schema


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("not json", "not a JSON schema"),
        ('{"type": "double"}', "list of dicts"),
        ('[{"name": "x"}]', "missing \\['type'\\]"),
        ('[{"type": "array", "name": "x"}]', "missing \\['items'\\]"),
        ('[{"type": "decimal", "name": "x"}]', "unknown type 'decimal'"),
    ],
)
def test_schema_from_json_rejects_bad_forms(text: str, match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        Schema.from_json(text)


def test_nullable_follows_required_unless_said_and_round_trips() -> None:
    from typedmodel import ModelSignature

    assert ColSpec("long", "a").nullable is False
    assert ColSpec("long", "a", required=False).nullable is True
    kept = ColSpec("long", "a", required=False, default=5, nullable=False)
    assert (
        repr(kept) == "ColSpec(DataType.long, name='a', required=False, default=5, nullable=False)"
    )
    prop = Property("p", "string", required=False, nullable=False)
    sig = ModelSignature(inputs=Schema([kept, ColSpec(Object([prop]), "o")]))
    assert ModelSignature.from_dict(sig.to_dict()) == sig
    # MLflow's form says nothing of it unless it differs from what `required` implies.
    assert "nullable" not in Schema([ColSpec("long", "b", required=False)]).to_json()
    with pytest.raises(SchemaError, match="'nullable' must be"):
        ColSpec("long", "a", nullable="no")  # type: ignore[arg-type]
