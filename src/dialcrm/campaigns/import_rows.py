"""Turning the rows of an import file into leads: pure Python, no Django, so that chunks of rows
can be prepared in helper processes while the importing process writes to the database.

A `RowPlan` says which column feeds which lead field, phone number or custom field; a
`PreparedRow` is one row's lead values, normalised phones and problems. Problems carry codes,
not sentences: the importing process words them in the person's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    phones: list[tuple[Normalised, str, int, int]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    is_valid: bool = True


@cache
def _normaliser(country: str, only_default_country: bool) -> PhoneNormaliser:
    return PhoneNormaliser(country, only_default_country)


def prepare_rows(plan: RowPlan, rows: list[tuple[int, list[str]]]) -> list[PreparedRow]:
    """Prepare a chunk of (row number, cells)."""
    normaliser = _normaliser(plan.default_country, plan.only_default_country)
    width = len(plan.headers)
    prepared = []
    for number, cells in rows:
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        problems: list[Problem] = []
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            problems.append(Problem(-1, str(len(cells)), EXTRA_CELLS))
        values = []
        for name, index in zip(LEAD_FIELDS, plan.fields, strict=True):
            value = cells[index].strip() if index >= 0 else ""
            if len(value) > FIELD_MAX_LENGTH[name]:
                problems.append(Problem(index, value[:50], TOO_LONG))
            values.append(value)
        custom = {}
        for name, index in plan.custom:
            value = cells[index].strip()
            if len(value) > CUSTOM_MAX_LENGTH:
                problems.append(Problem(index, value[:50], TOO_LONG))
            if value:
                custom[name] = value
        row = PreparedRow(number, tuple(values), custom, problems=problems)
        seen: set[str] = set()
        any_value = False
        for column in plan.phones:
            raw = cells[column.index].strip()
            if not raw:
                continue
            any_value = True
            result = normaliser.normalise(raw)
            if isinstance(result, Normalised):
                if result.e164 not in seen:  # the same number twice in a row counts once
                    seen.add(result.e164)
                    row.phones.append((result, column.kind, column.priority, column.index))
            else:
                code = FOREIGN_NUMBER if result == FOREIGN else INVALID_NUMBER
                problems.append(Problem(column.index, raw[:50], code))
        if not any_value:
            problems.append(Problem(-1, "", NO_PHONE))
        row.is_valid = bool(row.phones) and not any(
            problem.code in (TOO_LONG, EXTRA_CELLS) for problem in problems
        )
        prepared.append(row)
    return prepared
