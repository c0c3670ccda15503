"""The exceptions (`typedmodel.errors`): families, ValidationError's message and accessors."""

from __future__ import annotations

import json
import pickle

import pytest

import typedmodel
from typedmodel import Issue, SchemaError, TypedModelError, ValidationError

AGE = Issue(3, ("age",), "greater_than_equal", "Input should be greater than or equal to 0", -4)


def _issues(count: int) -> list[Issue]:
    return [
        Issue(i, ("age",), "int_parsing", "Input should be a valid integer", f"bad{i}")
        for i in range(count)
    ]


# ---------------------------------------------------------------------------------------------
# Families
# ---------------------------------------------------------------------------------------------


def test_schema_error_family() -> None:
    err = SchemaError("bad hint")
    assert isinstance(err, TypeError)
    assert isinstance(err, TypedModelError)
    assert issubclass(SchemaError, TypeError)
    assert issubclass(SchemaError, TypedModelError)
    assert not issubclass(SchemaError, ValueError)


def test_validation_error_family() -> None:
    err = ValidationError([AGE])
    assert isinstance(err, ValueError)
    assert isinstance(err, TypedModelError)
    assert not isinstance(err, TypeError)
    with pytest.raises(ValueError, match="1 validation error"):
        raise err


def test_typedmodel_error_is_an_exception_exported_from_the_package() -> None:
    assert issubclass(TypedModelError, Exception)
    assert typedmodel.TypedModelError is TypedModelError
    assert typedmodel.SchemaError is SchemaError
    assert typedmodel.ValidationError is ValidationError


def test_schema_errors_from_the_tree_are_caught_as_type_errors() -> None:
    with pytest.raises(TypeError, match="at least one"):
        typedmodel.Schema([])


# ---------------------------------------------------------------------------------------------
# The message
# ---------------------------------------------------------------------------------------------


def test_message_for_one_issue() -> None:
    assert str(ValidationError([AGE])) == (
        "1 validation error in model_input\n"
        "  row 3 -> age: Input should be greater than or equal to 0 [input=-4]"
    )


def test_message_begins_with_the_count_and_title() -> None:
    err = ValidationError(_issues(3), title="params")
    lines = str(err).splitlines()
    assert lines[0] == "3 validation errors in params"
    assert lines[1:] == [
        f"  row {i} -> age: Input should be a valid integer [input='bad{i}']" for i in range(3)
    ]


def test_message_lists_the_first_ten_then_how_many_more() -> None:
    err = ValidationError(_issues(13))
    lines = str(err).splitlines()
    assert lines[0] == "13 validation errors in model_input"
    assert len(lines) == 12
    assert lines[1].strip() == "row 0 -> age: Input should be a valid integer [input='bad0']"
    assert lines[10].strip() == "row 9 -> age: Input should be a valid integer [input='bad9']"
    assert lines[11].strip() == "... and 3 more"
    assert "row 10" not in str(err)


def test_message_with_exactly_ten_issues_has_no_more_line() -> None:
    lines = str(ValidationError(_issues(10))).splitlines()
    assert len(lines) == 11
    assert "more" not in lines[-1]


@pytest.mark.parametrize(
    ("issue", "line"),
    [
        (Issue(2, ("a", 0, "b"), "missing", "Field required"), "row 2 -> a.0.b: Field required"),
        (Issue(None, ("k",), "extra", "Unknown param"), "k: Unknown param"),
        (Issue(5, (), "list_type", "Input should be a list"), "row 5: Input should be a list"),
        (Issue(None, (), "batch", "Wrap it in a list"), "Wrap it in a list"),
    ],
)
def test_message_line_forms(issue: Issue, line: str) -> None:
    assert str(ValidationError([issue])).splitlines()[1].strip() == line


def test_hide_input_leaves_inputs_out() -> None:
    secret = Issue(0, ("ssn",), "string_pattern_mismatch", "String should match", "123-45-6789")
    err = ValidationError([secret, AGE], hide_input=True)
    text = str(err)
    assert "123-45-6789" not in text
    assert "[input=" not in text
    assert "row 0 -> ssn: String should match" in text
    assert all("input" not in e for e in err.errors())
    assert "123-45-6789" not in err.json()
    assert err.errors(include_input=True)[0]["input"] == "123-45-6789"


def test_long_inputs_are_shortened_in_the_message() -> None:
    big = "x" * 1000
    err = ValidationError([Issue(0, ("text",), "too_long", "Too long", big)])
    assert big not in str(err)
    assert "[input='xxx" in str(err)
    assert len(str(err)) < 200
    assert err.errors()[0]["input"] == big


def test_a_long_key_is_shortened_in_the_message_and_kept_in_loc() -> None:
    # an extra or repeated column's name is the caller's input, of any length
    big = "k" * 10_000
    err = ValidationError([Issue(0, (big,), "extra_forbidden", "Extra inputs are not permitted")])
    assert len(str(err)) < 200
    assert "row 0 -> kkkk" in str(err)
    assert err.errors()[0]["loc"] == [big]


# ---------------------------------------------------------------------------------------------
# Accessors
# ---------------------------------------------------------------------------------------------


def test_issues_and_error_count() -> None:
    issues = _issues(4)
    err = ValidationError(issues)
    assert err.issues == tuple(issues)
    assert err.error_count() == 4
    assert ValidationError([]).error_count() == 0


def test_errors_are_dicts() -> None:
    err = ValidationError([AGE, Issue(None, ("k",), "extra", "Unknown param")])
    assert err.errors() == [
        {
            "row": 3,
            "loc": ["age"],
            "type": "greater_than_equal",
            "msg": "Input should be greater than or equal to 0",
            "input": -4,
        },
        {"row": None, "loc": ["k"], "type": "extra", "msg": "Unknown param"},
    ]
    assert "input" not in err.errors(include_input=False)[0]


def test_json_is_a_valid_array() -> None:
    odd = Issue(1, ("blob", 2), "bytes_type", "Input should be bytes", object())
    err = ValidationError([AGE, odd])
    data = json.loads(err.json())
    assert isinstance(data, list)
    assert len(data) == 2
    assert data[0] == err.errors()[0]
    assert data[1]["loc"] == ["blob", 2]
    assert isinstance(data[1]["input"], str)  # what JSON can't hold is written as its repr
    assert json.loads(err.json(indent=2)) == data
    assert all("input" not in d for d in json.loads(err.json(include_input=False)))


# ---------------------------------------------------------------------------------------------
# Pickling
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hide_input", [False, True])
def test_validation_error_pickles(hide_input: bool) -> None:
    err = ValidationError([*_issues(12), AGE], title="model_output", hide_input=hide_input)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is ValidationError
    assert str(back) == str(err)
    assert back.issues == err.issues
    assert [i.input for i in back.issues] == [i.input for i in err.issues]
    assert back.errors() == err.errors()
    assert back.title == "model_output"
    assert back.hide_input is hide_input
    assert back.error_count() == 13


def test_schema_error_pickles() -> None:
    back = pickle.loads(pickle.dumps(SchemaError("bad hint")))
    assert type(back) is SchemaError
    assert str(back) == "bad hint"
