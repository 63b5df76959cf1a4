"""A work sheet's definition is checked completely on the server, whatever the builder sent:
every bad shape is refused with a message naming its group and field."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.exceptions import ValidationError

from dialcrm.campaigns.worksheets import (
    MAX_DEFINITION_CHARS,
    key_from_label,
    parse_definition_json,
    validate_definition,
)


def sheet(*groups: dict) -> dict:
    return {"groups": list(groups)}


def group(title: str, *fields: dict) -> dict:
    return {"title": title, "fields": list(fields)}


def text_field(label: str = "Name", **settings: object) -> dict:
    return {"label": label, "kind": "text", **settings}


def errors_of(definition: object) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        validate_definition(definition)
    return caught.value.messages


GOOD = sheet(
    group(
        "Customer",
        {"key": "name", "label": "Full name", "kind": "text", "required": True, "max_length": 80},
        {"key": "email", "label": "Email", "kind": "email"},
        {"key": "phone", "label": "Phone", "kind": "phone", "help": "Mobile preferred"},
    ),
    group(
        "Offer",
        {"key": "plan", "label": "Plan", "kind": "choice", "choices": ["Basic", "Plus"]},
        {"key": "extras", "label": "Extras", "kind": "multi_choice", "choices": ["A", "B"]},
        {"key": "kwh", "label": "Consumption", "kind": "number", "min": 0, "max": 100000},
        {"key": "start", "label": "Start date", "kind": "date"},
        {"key": "agrees", "label": "Agrees", "kind": "yes_no", "required": True},
        {"key": "notes", "label": "Notes", "kind": "long_text"},
        {"key": "code", "label": "Postal code", "kind": "text", "pattern": r"\d{6}"},
    ),
)


def test_a_good_definition_comes_back_in_canonical_form():
    cleaned = validate_definition(GOOD)

    assert [g["title"] for g in cleaned["groups"]] == ["Customer", "Offer"]
    assert cleaned["groups"][0]["fields"][0] == {
        "key": "name",
        "label": "Full name",
        "kind": "text",
        "required": True,
        "help": "",
        "max_length": 80,
        "pattern": "",
    }
    assert cleaned["groups"][1]["fields"][0] == {
        "key": "plan",
        "label": "Plan",
        "kind": "choice",
        "required": False,
        "help": "",
        "choices": ["Basic", "Plus"],
    }
    assert cleaned["groups"][1]["fields"][2] == {
        "key": "kwh",
        "label": "Consumption",
        "kind": "number",
        "required": False,
        "help": "",
        "min": 0,
        "max": 100000,
    }
    assert cleaned["groups"][1]["fields"][4] == {
        "key": "agrees",
        "label": "Agrees",
        "kind": "yes_no",
        "required": True,
        "help": "",
    }
    assert validate_definition(cleaned) == cleaned


def test_texts_are_trimmed_and_settings_of_another_kind_are_dropped():
    cleaned = validate_definition(
        sheet(
            group(
                "  Customer ",
                {"label": " Age ", "kind": "number", "choices": ["x"], "pattern": "a+", "min": 18},
            )
        )
    )

    assert cleaned == {
        "groups": [
            {
                "title": "Customer",
                "fields": [
                    {
                        "key": "age",
                        "label": "Age",
                        "kind": "number",
                        "required": False,
                        "help": "",
                        "min": 18,
                        "max": None,
                    }
                ],
            }
        ]
    }


def test_missing_keys_are_made_from_labels_and_kept_unique():
    cleaned = validate_definition(
        sheet(
            group(
                "Customer",
                text_field("Număr de telefon"),
                text_field("Număr de telefon"),
                text_field("2nd address"),
                text_field("Email", key="email"),
                text_field("Email"),
            )
        )
    )

    keys = [item["key"] for item in cleaned["groups"][0]["fields"]]
    assert keys == [
        "numar_de_telefon",
        "numar_de_telefon_2",
        "field_2nd_address",
        "email",
        "email_2",
    ]


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Full name", "full_name"),
        ("Ștefan & Țară!", "stefan_tara"),
        ("  --Price (EUR)--  ", "price_eur"),
        ("123", "field_123"),
        ("ßß", "field"),
        ("x" * 80, "x" * 50),
    ],
)
def test_key_from_label(label, key):
    assert key_from_label(label) == key


@pytest.mark.parametrize(
    "definition",
    [None, [], "groups", 42, [{"title": "A"}], True],
    ids=["null", "list", "string", "number", "list-of-groups", "bool"],
)
def test_a_definition_must_be_an_object(definition):
    assert errors_of(definition) == ["A work sheet must be an object with a list of groups."]


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({}, "The groups must be a list."),
        ({"groups": {"title": "A"}}, "The groups must be a list."),
        ({"groups": []}, "Add at least one group with a field."),
        (
            {"groups": [group("A", text_field())], "version": 2},
            'Unknown setting "version": a work sheet has only "groups".',
        ),
        (
            {"groups": [group(f"G{n}", text_field()) for n in range(51)]},
            "Too many groups (51; at most 50).",
        ),
        (
            sheet(group("A", *[text_field(f"F{n}") for n in range(201)])),
            "Too many fields (201; at most 200).",
        ),
    ],
    ids=["no-groups", "groups-not-list", "empty", "unknown-top-key", "51-groups", "201-fields"],
)
def test_bad_overall_shapes(definition, message):
    assert errors_of(definition) == [message]


def test_two_hundred_fields_over_several_groups_are_fine_but_not_one_more():
    fields = [text_field(f"F{n}") for n in range(200)]
    assert validate_definition(sheet(group("A", *fields[:120]), group("B", *fields[120:])))

    errors = errors_of(sheet(group("A", *fields[:120]), group("B", *fields[120:], text_field())))
    assert errors == ["Too many fields (201; at most 200)."]


@pytest.mark.parametrize(
    ("bad_group", "message"),
    [
        ("Customer", "Group 1: a group must be an object with a title and fields."),
        (group("Customer"), 'Group 1 "Customer": add at least one field, or remove the group.'),
        ({"title": "Customer"}, 'Group 1 "Customer": the fields must be a list.'),
        (group("", text_field()), "Group 1: give the group a title."),
        (group("   ", text_field()), "Group 1: give the group a title."),
        (group(7, text_field()), "Group 1: the title must be text."),
        (
            {"title": "Customer", "fields": [text_field()], "order": 1},
            'Group 1 "Customer": unknown setting "order".',
        ),
    ],
    ids=[
        "not-object",
        "empty",
        "no-fields-list",
        "no-title",
        "blank-title",
        "number-title",
        "extra",
    ],
)
def test_bad_groups(bad_group, message):
    assert errors_of(sheet(bad_group)) == [message]


WHERE = 'Group 1 "Customer", field 1 "Name"'


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("Name", 'Group 1 "Customer", field 1: a field must be an object with a label and a kind.'),
        ({"kind": "text"}, 'Group 1 "Customer", field 1: give the field a label.'),
        (
            text_field(kind="slider"),
            f'{WHERE}: the kind "slider" is unknown; use one of: text, long_text, number, date, '
            "choice, multi_choice, yes_no, phone, email.",
        ),
        (
            {"label": "Name"},
            f'{WHERE}: the kind "None" is unknown; use one of: text, long_text, number, date, '
            "choice, multi_choice, yes_no, phone, email.",
        ),
        (text_field(required="yes"), f'{WHERE}: "required" must be true or false.'),
        (text_field(help=["x"]), f"{WHERE}: the help text must be text."),
        (text_field(placeholder="x"), f'{WHERE}: unknown setting "placeholder".'),
        (
            text_field(key="Full Name"),
            f'{WHERE}: the key "Full Name" is not valid: use small letters, digits and _, '
            "starting with a letter.",
        ),
        (
            text_field(key="1st"),
            f'{WHERE}: the key "1st" is not valid: use small letters, digits and _, starting '
            "with a letter.",
        ),
        (
            text_field(key="a" * 51),
            f"{WHERE}: the key is too long (at most 50 characters).",
        ),
        (
            text_field(max_length=0),
            f"{WHERE}: the maximum length must be a whole number from 1 to 1000.",
        ),
        (
            text_field(max_length=1001),
            f"{WHERE}: the maximum length must be a whole number from 1 to 1000.",
        ),
        (
            text_field(max_length="80"),
            f"{WHERE}: the maximum length must be a whole number from 1 to 1000.",
        ),
        (
            text_field(pattern="([a-z]+"),
            f"{WHERE}: the pattern is not a valid regular expression (missing ), unterminated "
            "subpattern at position 0).",
        ),
        (
            text_field(pattern="x" * 201),
            f"{WHERE}: the pattern is too long (201 characters; at most 200).",
        ),
    ],
    ids=[
        "not-object",
        "no-label",
        "unknown-kind",
        "no-kind",
        "required-not-bool",
        "help-not-text",
        "unknown-setting",
        "key-with-capitals",
        "key-starts-with-digit",
        "key-too-long",
        "max-length-zero",
        "max-length-too-big",
        "max-length-text",
        "bad-regex",
        "pattern-too-long",
    ],
)
def test_bad_fields(field, message):
    assert errors_of(sheet(group("Customer", field))) == [message]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"min": 10, "max": 5}, "the minimum (10) is above the maximum (5)."),
        (
            {"min": "ten"},
            "the minimum must be a number between -1 000 000 000 000 000 and 1 000 000 000 000 000.",
        ),
        (
            {"max": True},
            "the maximum must be a number between -1 000 000 000 000 000 and 1 000 000 000 000 000.",
        ),
        (
            {"max": 10**16},
            "the maximum must be a number between -1 000 000 000 000 000 and 1 000 000 000 000 000.",
        ),
        ({"min": float("nan")}, None),
    ],
    ids=["min-above-max", "min-text", "max-bool", "max-huge", "nan"],
)
def test_bad_number_settings(settings, message):
    errors = errors_of(sheet(group("Offer", {"label": "Price", "kind": "number", **settings})))

    if message is None:  # NaN is not JSON: refused before anything else is looked at
        assert errors == [
            "The work sheet contains values that are not plain text, numbers or lists."
        ]
    else:
        assert errors == [f'Group 1 "Offer", field 1 "Price": {message}']


def test_equal_minimum_and_maximum_are_fine():
    cleaned = validate_definition(
        sheet(group("Offer", {"label": "Price", "kind": "number", "min": 5, "max": 5.0}))
    )
    assert cleaned["groups"][0]["fields"][0]["min"] == 5


@pytest.mark.parametrize("kind", ["choice", "multi_choice"])
@pytest.mark.parametrize(
    ("choices", "message"),
    [
        (None, "give the choices to pick from."),
        ([], "give the choices to pick from."),
        ("Basic, Plus", "the choices must be a list of texts."),
        (["Basic", "Basic"], 'the choice "Basic" is listed twice.'),
        (["Basic", "  "], "a choice is empty."),
        (["Basic", 3], "the choice must be text."),
        (["x"] * 0 + [f"c{n}" for n in range(101)], "too many choices (101; at most 100)."),
        (["x" * 201], "the choice is too long (201 characters; at most 200)."),
    ],
    ids=["missing", "empty", "not-list", "twice", "blank", "number", "101", "too-long"],
)
def test_choice_fields_need_a_good_list_of_choices(kind, choices, message):
    field = {"label": "Plan", "kind": kind}
    if choices is not None:
        field["choices"] = choices

    assert errors_of(sheet(group("Offer", field))) == [
        f'Group 1 "Offer", field 1 "Plan": {message}'
    ]


def test_duplicate_keys_are_refused_even_across_groups():
    errors = errors_of(
        sheet(
            group("Customer", text_field("Name", key="name")),
            group("Offer", text_field("Other name", key="name")),
        )
    )

    assert errors == [
        'Group 2 "Offer", field 1 "Other name": the key "name" is used by another field; keys '
        "must be unique in the sheet."
    ]


def test_every_problem_is_listed_at_once():
    errors = errors_of(
        sheet(
            group("Customer", text_field("Name", kind="slider"), text_field("")),
            group("", {"label": "Plan", "kind": "choice"}),
        )
    )

    assert errors == [
        'Group 1 "Customer", field 1 "Name": the kind "slider" is unknown; use one of: text, '
        "long_text, number, date, choice, multi_choice, yes_no, phone, email.",
        'Group 1 "Customer", field 2: give the field a label.',
        "Group 2: give the group a title.",
        'Group 2, field 1 "Plan": give the choices to pick from.',
    ]


def test_huge_strings_are_refused_without_echoing_them():
    huge_label = "L" * 5000
    errors = errors_of(sheet(group("T" * 300, text_field(huge_label, help="h" * 600))))

    assert errors == [
        "Group 1: the title is too long (300 characters; at most 200).",
        f'Group 1 "{"T" * 39}…", field 1: the label is too long (5000 characters; at most 200).',
        f'Group 1 "{"T" * 39}…", field 1 "{"L" * 39}…": the help text is too long (600 '
        "characters; at most 500).",
    ]
    assert all(len(message) < 200 for message in errors)


def test_a_definition_over_the_size_limit_is_refused_before_it_is_read():
    definition = sheet(
        group("Offer", {"label": "Plan", "kind": "choice", "choices": ["x" * 200] * 2000})
    )

    size = len(json.dumps(definition))
    assert errors_of(definition) == [
        f"The work sheet is too large ({size} characters; at most {MAX_DEFINITION_CHARS})."
    ]


def test_nul_characters_are_removed_because_postgresql_cannot_store_them():
    cleaned = validate_definition(sheet(group("Cust\x00omer", text_field("Na\x00me"))))

    assert cleaned["groups"][0]["title"] == "Customer"
    assert cleaned["groups"][0]["fields"][0]["label"] == "Name"


def test_validation_does_not_change_what_it_is_given():
    definition = copy.deepcopy(GOOD)
    validate_definition(definition)
    assert definition == GOOD


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{bad json", "The work sheet's fields could not be read (not valid JSON)."),
        ("[" * 200_000 + "]" * 200_000, None),
    ],
    ids=["broken", "deeply-nested"],
)
def test_posted_json_that_cannot_be_read(text, message):
    with pytest.raises(ValidationError) as caught:
        parse_definition_json(text)

    expected = message or (
        f"The work sheet is too large ({len(text)} characters; at most {MAX_DEFINITION_CHARS})."
    )
    assert caught.value.messages == [expected]


def test_posted_json_that_is_deep_but_small_is_refused_too():
    with pytest.raises(ValidationError) as caught:
        parse_definition_json("[" * 50_000 + "]" * 50_000)

    assert caught.value.messages == ["The work sheet's fields could not be read (not valid JSON)."]


@pytest.mark.parametrize(
    "pattern", [r"(a+)+$", r"(\d*)*", r"([a-z]+?)+x", r"(x{2,})+", r"(?:\s+)*", r"(.*){2,}"]
)
def test_patterns_that_can_take_forever_are_refused(pattern):
    assert errors_of(sheet(group("Customer", text_field(pattern=pattern)))) == [
        f"{WHERE}: the pattern repeats a repetition, like (a+)+, which can take forever to "
        "check; simplify it."
    ]


@pytest.mark.parametrize(
    "pattern", [r"\d{6}", r"RO\d{2}[A-Z]{4}\d{16}", r"(\+40|0)7\d{8}", r"[a-z]+(-[a-z]+)*"]
)
def test_ordinary_patterns_are_fine(pattern):
    cleaned = validate_definition(sheet(group("Customer", text_field(pattern=pattern))))

    assert cleaned["groups"][0]["fields"][0]["pattern"] == pattern
