"""Turning the rows of an import file into leads: pure Python, no Django (tested and measured
alone). Chunks of rows are prepared in a reading thread while the database writes earlier ones.

A `RowPlan` says which column feeds which lead field, phone number or custom field; a
`PreparedRow` is one row's lead values, normalised phones and problems. Problems carry codes,
not sentences: the importing process words them in the person's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from dialcrm.campaigns.phones import FOREIGN, Normalised, PhoneNormaliser

LEAD_FIELDS = ("external_id", "first_name", "last_name", "email", "city", "region")
FIELD_MAX_LENGTH = {
    "external_id": 100,
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "city": 100,
    "region": 100,
}
CUSTOM_MAX_LENGTH = 1000

# Problem codes.
NO_PHONE = "no_phone"  # no phone column has a value
INVALID_NUMBER = "invalid_number"
FOREIGN_NUMBER = "foreign_number"  # valid, but only numbers of the default country are wanted
TOO_LONG = "too_long"
EXTRA_CELLS = "extra_cells"  # more values than columns: a delimiter inside an unquoted value?


@dataclass(frozen=True)
class PhoneColumn:
    """A column of phone numbers, with the kind and priority its numbers get."""

    index: int
    kind: str
    priority: int


@dataclass(frozen=True)
class RowPlan:
    """Which column feeds what, by column index; and how numbers are normalised."""

    headers: tuple[str, ...]
    fields: tuple[int, ...]  # the column of each of LEAD_FIELDS, -1 when not imported
    phones: tuple[PhoneColumn, ...]
    custom: tuple[tuple[str, int], ...]  # (custom field name, column)
    default_country: str
    only_default_country: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in one cell (or the row, when column is -1)."""

    column: int
    value: str
    code: str


@dataclass(slots=True)
class PreparedRow:
    """One row, ready to be checked for duplicates and do-not-call numbers and written.

    `phones` are (number, kind, priority, column) in the order of the plan's phone columns;
    a row is invalid when it has no valid number or a value that cannot be stored.
    """

    number: int
    values: tuple[str, ...]  # in LEAD_FIELDS order
    custom: dict[str, str]
    phones: list[tuple[Normalised, str, int, int]]
    problems: list[Problem]
    is_valid: bool


@cache
def _normaliser(country: str, only_default_country: bool) -> PhoneNormaliser:
    return PhoneNormaliser(country, only_default_country)


def prepare_rows(plan: RowPlan, rows: list[tuple[int, list[str]]]) -> list[PreparedRow]:
    """Prepare a chunk of (row number, cells). Millions of rows go through here: it is written
    for speed (checks of lengths only when a value is long, no work for empty cells)."""
    normalise = _normaliser(plan.default_country, plan.only_default_country).normalise
    width = len(plan.headers)
    field_columns = plan.fields
    custom_columns = plan.custom
    phone_columns = [(column.index, column.kind, column.priority) for column in plan.phones]
    shortest_limit = min(FIELD_MAX_LENGTH.values())
    padding = [""] * width
    prepared = []
    append = prepared.append
    for number, cells in rows:
        problems: list[Problem] = []
        count = len(cells)
        if count < width:
            cells = cells + padding[count:]
        elif count > width and any(cell.strip() for cell in cells[width:]):
            problems.append(Problem(-1, str(count), EXTRA_CELLS))
        values = tuple([cells[index].strip() if index >= 0 else "" for index in field_columns])
        if max(map(len, values)) > shortest_limit:
            _check_lengths(values, field_columns, problems)
        custom = {name: value for name, index in custom_columns if (value := cells[index].strip())}
        if custom and max(map(len, custom.values())) > CUSTOM_MAX_LENGTH:
            _check_custom_lengths(custom, custom_columns, problems)
        phones: list[tuple[Normalised, str, int, int]] = []
        any_value = False
        for index, kind, priority in phone_columns:
            raw = cells[index].strip()
            if not raw:
                continue
            any_value = True
            result = normalise(raw)
            if type(result) is Normalised:
                # The same number twice in a row counts once.
                if not phones or all(phone[0].e164 != result.e164 for phone in phones):
                    phones.append((result, kind, priority, index))
            else:
                code = FOREIGN_NUMBER if result == FOREIGN else INVALID_NUMBER
                problems.append(Problem(index, raw[:50], code))
        if not any_value:
            problems.append(Problem(-1, "", NO_PHONE))
        is_valid = bool(phones) and (
            not problems or not any(problem.code in (TOO_LONG, EXTRA_CELLS) for problem in problems)
        )
        append(PreparedRow(number, values, custom, phones, problems, is_valid))
    return prepared


def _check_lengths(
    values: tuple[str, ...], field_columns: tuple[int, ...], problems: list[Problem]
) -> None:
    for name, index, value in zip(LEAD_FIELDS, field_columns, values, strict=True):
        if len(value) > FIELD_MAX_LENGTH[name]:
            problems.append(Problem(index, value[:50], TOO_LONG))


def _check_custom_lengths(
    custom: dict[str, str], custom_columns: tuple[tuple[str, int], ...], problems: list[Problem]
) -> None:
    for name, index in custom_columns:
        value = custom.get(name, "")
        if len(value) > CUSTOM_MAX_LENGTH:
            problems.append(Problem(index, value[:50], TOO_LONG))
