"""An agent's answers are cleaned against the version of the sheet they fill: every kind, the
required flag, and each field's own validation; errors are keyed by the field."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from dialcrm.campaigns.models import WorkSheetVersion
from dialcrm.campaigns.worksheets import (
    answers_from_form,
    render_groups,
    validate_answers,
    validate_definition,
)


def version_with(*fields: dict, number: int = 1) -> WorkSheetVersion:
    definition = validate_definition({"groups": [{"title": "Call", "fields": list(fields)}]})
    return WorkSheetVersion(number=number, definition=definition)


def cleaned(field: dict, value: object, **options: object) -> object:
    return validate_answers(version_with(field), {field["key"]: value}, **options)[field["key"]]


def refused(field: dict, value: object) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        validate_answers(version_with(field), {field["key"]: value})
    return caught.value.message_dict[field["key"]]


TEXT = {"key": "name", "label": "Name", "kind": "text"}
LONG_TEXT = {"key": "notes", "label": "Notes", "kind": "long_text"}
NUMBER = {"key": "kwh", "label": "Consumption", "kind": "number", "min": 10, "max": 1000}
DATE = {"key": "start", "label": "Start", "kind": "date"}
CHOICE = {"key": "plan", "label": "Plan", "kind": "choice", "choices": ["Basic", "Plus"]}
MULTI = {"key": "extras", "label": "Extras", "kind": "multi_choice", "choices": ["A", "B", "C"]}
YES_NO = {"key": "agrees", "label": "Agrees", "kind": "yes_no"}
PHONE = {"key": "phone", "label": "Phone", "kind": "phone"}
EMAIL = {"key": "email", "label": "Email", "kind": "email"}
ALL_KINDS = [TEXT, LONG_TEXT, NUMBER, DATE, CHOICE, MULTI, YES_NO, PHONE, EMAIL]


def test_every_field_comes_back_and_unanswered_ones_are_empty():
    version = version_with(*ALL_KINDS)

    assert validate_answers(version, {}) == {
        "name": None,
        "notes": None,
        "kwh": None,
        "start": None,
        "plan": None,
        "extras": [],
        "agrees": None,
        "phone": None,
        "email": None,
    }


@pytest.mark.parametrize("field", ALL_KINDS, ids=[field["kind"] for field in ALL_KINDS])
@pytest.mark.parametrize("blank", [None, "", "   ", []], ids=["none", "empty", "spaces", "list"])
def test_required_fields_of_every_kind_must_be_answered(field, blank):
    assert refused({**field, "required": True}, blank) == ["This field is required."]


def test_a_required_field_left_out_is_named():
    version = version_with({**TEXT, "required": True}, EMAIL)

    with pytest.raises(ValidationError) as caught:
        validate_answers(version, {"email": "ana@example.com"})

    assert caught.value.message_dict == {"name": ["This field is required."]}


def test_all_errors_are_reported_together():
    version = version_with({**TEXT, "required": True}, NUMBER, EMAIL)

    with pytest.raises(ValidationError) as caught:
        validate_answers(version, {"kwh": "5", "email": "nope"})

    assert caught.value.message_dict == {
        "name": ["This field is required."],
        "kwh": ["At least 10."],
        "email": ["Give a valid email address, e.g. name@example.com."],
    }


def test_keys_that_are_not_fields_of_the_version_are_refused():
    version = version_with(TEXT, number=3)

    with pytest.raises(ValidationError) as caught:
        validate_answers(version, {"name": "Ana", "budget": 10})

    assert caught.value.message_dict == {"budget": ["Not a field of this work sheet (version 3)."]}


@pytest.mark.parametrize("answers", [None, ["name"], "name=Ana"])
def test_answers_must_be_an_object(answers):
    with pytest.raises(ValidationError) as caught:
        validate_answers(version_with(TEXT), answers)

    assert caught.value.messages == ["The answers must be an object of field keys and values."]


# --- text ------------------------------------------------------------------------------------


def test_text_is_trimmed():
    assert cleaned(TEXT, "  Ana Pop  ") == "Ana Pop"


def test_text_longer_than_its_limit_is_refused():
    assert refused({**TEXT, "max_length": 5}, "Ana Popescu") == [
        "At most 5 characters (this has 11)."
    ]


def test_text_without_a_limit_stops_at_a_thousand_characters():
    assert cleaned(TEXT, "x" * 1000) == "x" * 1000
    assert refused(TEXT, "x" * 1001) == ["At most 1000 characters (this has 1001)."]


@pytest.mark.parametrize(
    ("value", "accepted"), [("012345", True), ("01234", False), ("a12345", False)]
)
def test_text_must_match_its_pattern_whole(value, accepted):
    field = {**TEXT, "pattern": r"\d{6}"}
    if accepted:
        assert cleaned(field, value) == value
    else:
        assert refused(field, value) == ["Not in the expected format."]


def test_text_must_be_text():
    assert refused(TEXT, 42) == ["Give text."]


def test_long_text_keeps_lines_and_allows_ten_thousand_characters():
    assert cleaned(LONG_TEXT, "line one\r\nline two\n") == "line one\nline two"
    assert cleaned(LONG_TEXT, "x" * 10_000) == "x" * 10_000
    assert refused(LONG_TEXT, "x" * 10_001) == ["At most 10000 characters (this has 10001)."]


def test_nul_characters_are_removed_from_text():
    assert cleaned(TEXT, "A\x00na") == "Ana"


# --- number ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (10, 10),
        (1000, 1000),
        ("250", 250),
        (" 12.5 ", 12.5),
        ("12,5", 12.5),
        ("1 000", 1000),
        (99.0, 99),
        ("1e2", 100),
    ],
)
def test_numbers_in_range_are_accepted(value, number):
    result = cleaned(NUMBER, value)
    assert result == number
    assert type(result) is type(number)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (9, "At least 10."),
        ("9.99", "At least 10."),
        (1000.5, "At most 1000."),
        ("many", "Give a number, e.g. 12 or 12.5."),
        ("NaN", "Give a number, e.g. 12 or 12.5."),
        ("Infinity", "Give a number, e.g. 12 or 12.5."),
        (True, "Give a number, e.g. 12 or 12.5."),
        ([12], "Give a number, e.g. 12 or 12.5."),
        ("1" * 65, "Give a number, e.g. 12 or 12.5."),
    ],
)
def test_numbers_out_of_range_or_not_numbers_are_refused(value, message):
    assert refused(NUMBER, value) == [message]


def test_a_number_without_limits_takes_negative_and_decimal_values():
    assert cleaned({"key": "n", "label": "N", "kind": "number"}, "-3.25") == -3.25


# --- date ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2026-03-31", "2026-03-31"),
        (" 2024-02-29 ", "2024-02-29"),
        (datetime.date(2026, 1, 2), "2026-01-02"),
        (datetime.datetime(2026, 1, 2, 10, 30), "2026-01-02"),
    ],
)
def test_dates_are_kept_as_iso_text(value, iso):
    assert cleaned(DATE, value) == iso


@pytest.mark.parametrize(
    "value", ["31.03.2026", "2026-02-30", "2025-02-29", "20260331", "tomorrow", 20260331]
)
def test_dates_in_another_format_or_impossible_are_refused(value):
    assert refused(DATE, value) == ["Give a date as YYYY-MM-DD, e.g. 2026-03-31."]


# --- choices ---------------------------------------------------------------------------------


def test_a_choice_must_be_one_of_the_options():
    assert cleaned(CHOICE, "Plus") == "Plus"
    assert refused(CHOICE, "Premium") == ['"Premium" is not one of the options.']
    assert refused(CHOICE, "plus") == ['"plus" is not one of the options.']
    assert refused(CHOICE, ["Plus"]) == ["\"['Plus']\" is not one of the options."]


def test_multiple_choices_come_back_once_each_in_the_sheet_order():
    assert cleaned(MULTI, ["C", "A", "C"]) == ["A", "C"]
    assert cleaned(MULTI, "B") == ["B"]
    assert cleaned(MULTI, ["A", ""]) == ["A"]


def test_multiple_choices_outside_the_options_are_refused():
    assert refused(MULTI, ["A", "Z"]) == ['"Z" is not one of the options.']
    assert refused(MULTI, {"A": True}) == ["Choose from the options."]


def test_a_required_multiple_choice_needs_one_real_option():
    assert refused({**MULTI, "required": True}, ["", " "]) == ["This field is required."]


# --- yes / no --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "answer"),
    [(True, True), (False, False), ("yes", True), ("No", False), ("on", True), ("0", False)],
)
def test_yes_no_answers(value, answer):
    assert cleaned(YES_NO, value) is answer


def test_no_is_an_answer_to_a_required_yes_no_question():
    assert cleaned({**YES_NO, "required": True}, False) is False


@pytest.mark.parametrize("value", ["maybe", 2, ["yes"]])
def test_yes_no_refuses_anything_else(value):
    assert refused(YES_NO, value) == ["Answer yes or no."]


# --- phone -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "e164"),
    [
        ("0722 123 456", "+40722123456"),
        ("0722-123-456", "+40722123456"),
        ("+40 21 312 3456", "+40213123456"),
        ("0040722123456", "+40722123456"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phones_become_e164_with_romania_as_the_default_country(value, e164):
    assert cleaned(PHONE, value) == e164


def test_the_default_country_can_be_another():
    assert cleaned(PHONE, "020 7946 0958", country="GB") == "+442079460958"


@pytest.mark.parametrize("value", ["07x1", "0722", "12345678901234567890", "+40 722", 722123456])
def test_invalid_phones_are_refused_with_what_was_typed(value):
    assert refused(PHONE, value) == [f'"{value}" is not a valid phone number.']


# --- email -----------------------------------------------------------------------------------


def test_emails_are_trimmed():
    assert cleaned(EMAIL, " ana.pop@example.ro ") == "ana.pop@example.ro"


@pytest.mark.parametrize(
    "value", ["ana", "ana@", "ana@example", "a b@example.com", 5, "a" * 250 + "@x.ro"]
)
def test_invalid_emails_are_refused(value):
    assert refused(EMAIL, value) == ["Give a valid email address, e.g. name@example.com."]


# --- forms -----------------------------------------------------------------------------------


def test_answers_posted_by_a_rendered_form():
    version = version_with(TEXT, MULTI, YES_NO)
    data = QueryDict(mutable=True)
    data.setlist("ws_extras", ["A", "C"])
    data["ws_name"] = "Ana"
    data["ws_agrees"] = "no"
    data["csrfmiddlewaretoken"] = "ignored"

    answers = answers_from_form(version, data)

    assert answers == {"name": "Ana", "extras": ["A", "C"], "agrees": "no"}
    assert validate_answers(version, answers) == {
        "name": "Ana",
        "extras": ["A", "C"],
        "agrees": False,
    }


def test_rendered_groups_carry_values_and_errors():
    version = version_with(TEXT, MULTI, YES_NO)

    [group] = render_groups(
        version.definition,
        answers={"name": "Ana", "extras": ["B"], "agrees": False},
        errors={"name": ["Too short.", "Really."]},
    )

    assert group.title == "Call"
    name, extras, agrees = group.fields
    assert (name.name, name.input_type, name.value, name.error) == (
        "ws_name",
        "text",
        "Ana",
        "Too short. Really.",
    )
    assert extras.chosen == ["B"]
    assert agrees.yes_no == "no"
