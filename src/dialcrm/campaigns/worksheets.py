"""Work sheets: the forms agents fill during a call, built in the browser by the back office.

A sheet's fields live in immutable versions (`WorkSheetVersion.definition`). Saving a changed
definition makes version N+1 and leaves version N as it was, so answers given on it stay readable.

The public face, used by the screens, the API and the agent's desk:
- `validate_definition(definition)`: the one check of a definition's shape (the builder's JS is
  never trusted); returns the definition in its canonical form.
- `save_work_sheet(actor, sheet, values, definition)`: saves the sheet and, when the definition
  changed, its next version.
- `validate_answers(version, answers)`: cleans an agent's answers against a version.
- `answers_from_form(version, data)` and `render_groups(version, answers, errors)`: the bridge
  between a version and an HTML form (inputs named `FIELD_PREFIX + key`).
"""

from __future__ import annotations

import copy
import datetime
import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from dialcrm.campaigns.choices import CampaignState, FieldKind
from dialcrm.campaigns.models import Campaign, WorkSheet, WorkSheetVersion
from dialcrm.core import audit
from dialcrm.core.choices import AuditAction
from dialcrm.core.constraints import on_name_field
from dialcrm.core.policy import ADD, CHANGE, can, may
from dialcrm.core.services import deactivate_object, save_object

# Limits that keep a sheet usable on a desk and a definition cheap to store and check.
MAX_GROUPS = 50
MAX_FIELDS = 200
MAX_CHOICES = 100
MAX_DEFINITION_CHARS = 300_000
MAX_KEY_LENGTH = 50
MAX_TITLE_LENGTH = 200
MAX_LABEL_LENGTH = 200
MAX_HELP_LENGTH = 500
MAX_CHOICE_LENGTH = 200
MAX_PATTERN_LENGTH = 200
# The most characters an answer of each text kind may have (and the default limit).
TEXT_LIMITS = {FieldKind.TEXT: 1_000, FieldKind.LONG_TEXT: 10_000}
MAX_NUMBER = 10**15
MAX_EMAIL_LENGTH = 254
# Longest raw input looked at for numbers and phones: anything longer is not one.
MAX_SHORT_INPUT = 64

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
# One repeated thing, itself repeated, like (a+)+, (\d*)* or ([a-z]+)+: the classic pattern
# whose matching time explodes on a near miss. Answers are checked in the web process, so such
# patterns are refused rather than run.
_QUANTIFIER = r"(?:[+*]|\{\d*,\d*\})\??"
NESTED_REPETITION = re.compile(
    rf"\((?:\?:)?(?:\\.|\[(?:\\.|[^\]])*\]|[^()\\|]){_QUANTIFIER}\){_QUANTIFIER}"
)
# Names of the inputs of a rendered sheet, so they never clash with other inputs of a page.
FIELD_PREFIX = "ws_"
DEFAULT_PHONE_COUNTRY = "RO"

COMMON_SETTINGS = ("key", "label", "kind", "required", "help")
KIND_SETTINGS: dict[str, tuple[str, ...]] = {
    FieldKind.TEXT: ("max_length", "pattern"),
    FieldKind.LONG_TEXT: ("max_length",),
    FieldKind.NUMBER: ("min", "max"),
    FieldKind.CHOICE: ("choices",),
    FieldKind.MULTI_CHOICE: ("choices",),
}
ALL_SETTINGS = frozenset(COMMON_SETTINGS) | {"max_length", "pattern", "min", "max", "choices"}
YES = frozenset({"yes", "true", "1", "on", "da"})
NO = frozenset({"no", "false", "0", "off", "nu"})


# --- the shape of a definition ------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One field of a work sheet version, as the definition describes it."""

    key: str
    label: str
    kind: str
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()
    min: int | float | None = None
    max: int | float | None = None
    max_length: int | None = None
    pattern: str = ""

    @classmethod
    def from_definition(cls, item: Mapping[str, Any]) -> FieldSpec:
        return cls(
            key=item["key"],
            label=item["label"],
            kind=item["kind"],
            required=item.get("required", False),
            help=item.get("help", ""),
            choices=tuple(item.get("choices") or ()),
            min=item.get("min"),
            max=item.get("max"),
            max_length=item.get("max_length"),
            pattern=item.get("pattern") or "",
        )

    @property
    def text_limit(self) -> int:
        """The most characters an answer may have (text kinds)."""
        return self.max_length or TEXT_LIMITS.get(self.kind, TEXT_LIMITS[FieldKind.TEXT])


@dataclass(frozen=True)
class GroupSpec:
    title: str
    fields: tuple[FieldSpec, ...]


def groups_of(definition: Mapping[str, Any]) -> list[GroupSpec]:
    """The groups of a (validated) definition, in order."""
    return [
        GroupSpec(
            title=group["title"],
            fields=tuple(FieldSpec.from_definition(item) for item in group["fields"]),
        )
        for group in definition.get("groups", ())
    ]


def fields_of(definition: Mapping[str, Any]) -> list[FieldSpec]:
    """All fields of a (validated) definition, in order."""
    return [spec for group in groups_of(definition) for spec in group.fields]


def key_from_label(label: str) -> str:
    """A field key made from its label: "Număr de telefon" -> "numar_de_telefon"."""
    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")
    if not key or not key[0].isalpha():
        key = f"field_{key}".rstrip("_")
    return key[:MAX_KEY_LENGTH].rstrip("_")


def _unique_key(key: str, taken: set[str]) -> str:
    if key not in taken:
        return key
    number = 2
    while True:
        suffix = f"_{number}"
        candidate = f"{key[: MAX_KEY_LENGTH - len(suffix)]}{suffix}"
        if candidate not in taken:
            return candidate
        number += 1


# --- checking a definition ------------------------------------------------------------------


def _quoted(text: str) -> str:
    """A person's text inside a message, never longer than a message should be."""
    return text if len(text) <= 40 else f"{text[:39]}…"


def _plain_text(value: str) -> str:
    # PostgreSQL cannot store NUL characters in JSON or text columns.
    return value.replace("\x00", "").strip()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _DefinitionCheck:
    """Walks a definition once, collecting every problem with where it is."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}" if where else message)

    def text(self, where: str, value: Any, *, what: str, limit: int) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.error(where, _("the %(what)s must be text.") % {"what": what})
            return ""
        value = _plain_text(value)
        if len(value) > limit:
            self.error(
                where,
                _("the %(what)s is too long (%(length)d characters; at most %(limit)d).")
                % {"what": what, "length": len(value), "limit": limit},
            )
            value = value[:limit]
        return value

    def group(self, index: int, group: Any, keys: _Keys) -> dict[str, Any] | None:
        where = _("Group %(number)d") % {"number": index + 1}
        if not isinstance(group, dict):
            self.error(where, _("a group must be an object with a title and fields."))
            return None
        known_errors = len(self.errors)
        title = self.text(where, group.get("title"), what=_("title"), limit=MAX_TITLE_LENGTH)
        if title:
            where = _('Group %(number)d "%(title)s"') % {
                "number": index + 1,
                "title": _quoted(title),
            }
        elif len(self.errors) == known_errors:
            self.error(where, _("give the group a title."))
        for name in sorted(set(group) - {"title", "fields"}, key=str):
            self.error(where, _('unknown setting "%(name)s".') % {"name": _quoted(str(name))})
        items = group.get("fields")
        if not isinstance(items, list):
            self.error(where, _("the fields must be a list."))
            return None
        if not items:
            self.error(where, _("add at least one field, or remove the group."))
        fields = [self.field(where, number, item, keys) for number, item in enumerate(items)]
        return {"title": title, "fields": [item for item in fields if item is not None]}

    def field(self, group_where: str, index: int, item: Any, keys: _Keys) -> dict[str, Any] | None:
        where = _("%(group)s, field %(number)d") % {"group": group_where, "number": index + 1}
        if not isinstance(item, dict):
            self.error(where, _("a field must be an object with a label and a kind."))
            return None
        known_errors = len(self.errors)
        label = self.text(where, item.get("label"), what=_("label"), limit=MAX_LABEL_LENGTH)
        if label:
            where = _('%(group)s, field %(number)d "%(label)s"') % {
                "group": group_where,
                "number": index + 1,
                "label": _quoted(label),
            }
        elif len(self.errors) == known_errors:
            self.error(where, _("give the field a label."))
        for name in sorted(set(item) - ALL_SETTINGS, key=str):
            self.error(where, _('unknown setting "%(name)s".') % {"name": _quoted(str(name))})
        kind = item.get("kind")
        if kind not in FieldKind.values:
            self.error(
                where,
                _('the kind "%(kind)s" is unknown; use one of: %(kinds)s.')
                % {"kind": _quoted(str(kind)), "kinds": ", ".join(FieldKind.values)},
            )
            kind = None
        required = item.get("required", False)
        if not isinstance(required, bool):
            self.error(where, _('"required" must be true or false.'))
            required = False
        cleaned: dict[str, Any] = {
            "key": keys.claim(self, where, item.get("key"), label),
            "label": label,
            "kind": kind,
            "required": required,
            "help": self.text(where, item.get("help"), what=_("help text"), limit=MAX_HELP_LENGTH),
        }
        if kind is None:
            return None
        # Settings of other kinds (left over when the kind changed) are dropped, not refused.
        for name in KIND_SETTINGS.get(kind, ()):
            cleaned[name] = getattr(self, f"setting_{name}")(where, kind, item.get(name))
        if kind == FieldKind.NUMBER:
            low, high = cleaned["min"], cleaned["max"]
            if low is not None and high is not None and low > high:
                self.error(
                    where,
                    _("the minimum (%(min)s) is above the maximum (%(max)s).")
                    % {"min": low, "max": high},
                )
        return cleaned

    def setting_max_length(self, where: str, kind: str, value: Any) -> int | None:
        if value is None or value == "":
            return None
        limit = TEXT_LIMITS[kind]
        if not (isinstance(value, int) and not isinstance(value, bool)) or not 1 <= value <= limit:
            self.error(
                where,
                _("the maximum length must be a whole number from 1 to %(limit)d.")
                % {"limit": limit},
            )
            return None
        return value

    def setting_pattern(self, where: str, kind: str, value: Any) -> str:
        pattern = self.text(where, value, what=_("pattern"), limit=MAX_PATTERN_LENGTH)
        if pattern:
            try:
                re.compile(pattern)
            except re.error as problem:
                self.error(
                    where,
                    _("the pattern is not a valid regular expression (%(problem)s).")
                    % {"problem": problem},
                )
            else:
                if NESTED_REPETITION.search(pattern):
                    self.error(
                        where,
                        _(
                            "the pattern repeats a repetition, like (a+)+, which can take "
                            "forever to check; simplify it."
                        ),
                    )
        return pattern

    def _bound(self, where: str, value: Any, what: str) -> int | float | None:
        if value is None or value == "":
            return None
        if not _is_number(value) or not math.isfinite(value) or abs(value) > MAX_NUMBER:
            self.error(
                where,
                _("the %(what)s must be a number between -%(limit)s and %(limit)s.")
                % {"what": what, "limit": f"{MAX_NUMBER:,}".replace(",", " ")},
            )
            return None
        return value

    def setting_min(self, where: str, kind: str, value: Any) -> int | float | None:
        return self._bound(where, value, _("minimum"))

    def setting_max(self, where: str, kind: str, value: Any) -> int | float | None:
        return self._bound(where, value, _("maximum"))

    def setting_choices(self, where: str, kind: str, value: Any) -> list[str]:
        if value is None:
            value = []
        if not isinstance(value, list):
            self.error(where, _("the choices must be a list of texts."))
            return []
        if not value:
            self.error(where, _("give the choices to pick from."))
            return []
        if len(value) > MAX_CHOICES:
            self.error(
                where,
                _("too many choices (%(count)d; at most %(limit)d).")
                % {"count": len(value), "limit": MAX_CHOICES},
            )
            return []
        choices: list[str] = []
        for choice in value:
            text = self.text(where, choice, what=_("choice"), limit=MAX_CHOICE_LENGTH)
            if not text:
                if isinstance(choice, str):
                    self.error(where, _("a choice is empty."))
                continue
            if text in choices:
                self.error(where, _('the choice "%(choice)s" is listed twice.') % {"choice": text})
                continue
            choices.append(text)
        return choices


class _Keys:
    """Field keys: given ones are checked, missing ones are made from the label; all unique."""

    def __init__(self, given: set[str]) -> None:
        self.given = given
        self.used: set[str] = set()

    def claim(self, check: _DefinitionCheck, where: str, key: Any, label: str) -> str:
        if key is None or key == "":
            key = _unique_key(key_from_label(label or "field"), self.used | self.given)
        elif not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
            check.error(
                where,
                _(
                    'the key "%(key)s" is not valid: use small letters, digits and _, starting '
                    "with a letter."
                )
                % {"key": _quoted(str(key))},
            )
            return ""
        elif len(key) > MAX_KEY_LENGTH:
            check.error(
                where,
                _("the key is too long (at most %(limit)d characters).")
                % {"limit": MAX_KEY_LENGTH},
            )
            return ""
        elif key in self.used:
            check.error(
                where,
                _('the key "%(key)s" is used by another field; keys must be unique in the sheet.')
                % {"key": key},
            )
            return key
        self.used.add(key)
        return key


def _given_keys(groups: list[Any]) -> set[str]:
    return {
        item["key"]
        for group in groups
        if isinstance(group, dict) and isinstance(group.get("fields"), list)
        for item in group["fields"]
        if isinstance(item, dict) and isinstance(item.get("key"), str) and item["key"]
    }


def parse_definition_json(text: str) -> Any:
    """A definition posted as JSON text (by the builder's hidden field)."""
    if len(text) > MAX_DEFINITION_CHARS:
        raise ValidationError(
            _("The work sheet is too large (%(size)d characters; at most %(limit)d).")
            % {"size": len(text), "limit": MAX_DEFINITION_CHARS}
        )
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ValidationError(
            _("The work sheet's fields could not be read (not valid JSON).")
        ) from None


def validate_definition(definition: Any) -> dict[str, Any]:
    """Check a definition completely and return it in canonical form.

    Raises a ValidationError listing every problem, each naming its group and field. The
    canonical form has every common setting on every field, the settings of its kind, and
    nothing else; a missing key is made from the label.
    """
    if not isinstance(definition, dict):
        raise ValidationError(_("A work sheet must be an object with a list of groups."))
    try:
        size = len(json.dumps(definition, allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        raise ValidationError(
            _("The work sheet contains values that are not plain text, numbers or lists.")
        ) from None
    if size > MAX_DEFINITION_CHARS:
        raise ValidationError(
            _("The work sheet is too large (%(size)d characters; at most %(limit)d).")
            % {"size": size, "limit": MAX_DEFINITION_CHARS}
        )
    unknown = sorted(set(definition) - {"groups"}, key=str)
    if unknown:
        raise ValidationError(
            _('Unknown setting "%(name)s": a work sheet has only "groups".')
            % {"name": _quoted(str(unknown[0]))}
        )
    groups = definition.get("groups")
    if not isinstance(groups, list):
        raise ValidationError(_("The groups must be a list."))
    if not groups:
        raise ValidationError(_("Add at least one group with a field."))
    if len(groups) > MAX_GROUPS:
        raise ValidationError(
            _("Too many groups (%(count)d; at most %(limit)d).")
            % {"count": len(groups), "limit": MAX_GROUPS}
        )
    field_count = sum(
        len(group["fields"])
        for group in groups
        if isinstance(group, dict) and isinstance(group.get("fields"), list)
    )
    if field_count > MAX_FIELDS:
        raise ValidationError(
            _("Too many fields (%(count)d; at most %(limit)d).")
            % {"count": field_count, "limit": MAX_FIELDS}
        )
    check = _DefinitionCheck()
    keys = _Keys(_given_keys(groups))
    cleaned = [check.group(index, group, keys) for index, group in enumerate(groups)]
    if check.errors:
        raise ValidationError(check.errors)
    return {"groups": cleaned}


# --- answers --------------------------------------------------------------------------------


class _Invalid(Exception):
    """An answer that cannot be accepted, with the reason shown next to the field."""


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _clean_text(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid(_("Give text."))
    text = value.replace("\x00", "").replace("\r\n", "\n").strip()
    if len(text) > spec.text_limit:
        raise _Invalid(
            _("At most %(limit)d characters (this has %(length)d).")
            % {"limit": spec.text_limit, "length": len(text)}
        )
    if spec.pattern and not re.fullmatch(spec.pattern, text):
        raise _Invalid(_("Not in the expected format."))
    return text


def _clean_number(spec: FieldSpec, value: Any) -> int | float:
    if isinstance(value, bool):
        raise _Invalid(_("Give a number, e.g. 12 or 12.5."))
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        if len(text) > MAX_SHORT_INPUT:
            raise _Invalid(_("Give a number, e.g. 12 or 12.5."))
        value = text
    try:
        number = Decimal(value) if isinstance(value, str | int) else Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise _Invalid(_("Give a number, e.g. 12 or 12.5.")) from None
    if not number.is_finite() or abs(number) > MAX_NUMBER:
        raise _Invalid(_("Give a number, e.g. 12 or 12.5."))
    if spec.min is not None and number < Decimal(str(spec.min)):
        raise _Invalid(_("At least %(min)s.") % {"min": spec.min})
    if spec.max is not None and number > Decimal(str(spec.max)):
        raise _Invalid(_("At most %(max)s.") % {"max": spec.max})
    return int(number) if number == number.to_integral_value() else float(number)


def _clean_date(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str) and DATE_PATTERN.fullmatch(value.strip()):
        try:
            return datetime.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise _Invalid(_("Give a date as YYYY-MM-DD, e.g. 2026-03-31."))


def _clean_choice(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str) or value.strip() not in spec.choices:
        raise _Invalid(_('"%(value)s" is not one of the options.') % {"value": _quoted(str(value))})
    return value.strip()


def _clean_choices(spec: FieldSpec, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise _Invalid(_("Choose from the options."))
    chosen = set()
    for item in value:
        if _is_blank(item):
            continue
        chosen.add(_clean_choice(spec, item))
    return [choice for choice in spec.choices if choice in chosen]


def _clean_yes_no(spec: FieldSpec, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in YES:
        return True
    if isinstance(value, str) and value.strip().lower() in NO:
        return False
    raise _Invalid(_("Answer yes or no."))


def _clean_phone(spec: FieldSpec, value: Any, country: str) -> str:
    message = _('"%(value)s" is not a valid phone number.') % {"value": _quoted(str(value))}
    if not isinstance(value, str) or len(value) > MAX_SHORT_INPUT:
        raise _Invalid(message)
    try:
        number = phonenumbers.parse(value, country)
    except phonenumbers.NumberParseException:
        raise _Invalid(message) from None
    if not phonenumbers.is_valid_number(number):
        raise _Invalid(message)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _clean_email(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str) or len(value.strip()) > MAX_EMAIL_LENGTH:
        raise _Invalid(_("Give a valid email address, e.g. name@example.com."))
    address = value.strip()
    try:
        validate_email(address)
    except ValidationError:
        raise _Invalid(_("Give a valid email address, e.g. name@example.com.")) from None
    return address


_CLEANERS = {
    FieldKind.TEXT: _clean_text,
    FieldKind.LONG_TEXT: _clean_text,
    FieldKind.NUMBER: _clean_number,
    FieldKind.DATE: _clean_date,
    FieldKind.CHOICE: _clean_choice,
    FieldKind.MULTI_CHOICE: _clean_choices,
    FieldKind.YES_NO: _clean_yes_no,
    FieldKind.EMAIL: _clean_email,
}


def clean_answer(spec: FieldSpec, value: Any, *, country: str = DEFAULT_PHONE_COUNTRY) -> Any:
    """One answer, cleaned; raises ValidationError with the reason."""
    if _is_blank(value):
        if spec.required:
            raise ValidationError(_("This field is required."))
        return [] if spec.kind == FieldKind.MULTI_CHOICE else None
    try:
        if spec.kind == FieldKind.PHONE:
            cleaned = _clean_phone(spec, value, country)
        else:
            cleaned = _CLEANERS[spec.kind](spec, value)
    except _Invalid as problem:
        raise ValidationError(str(problem)) from None
    if spec.required and cleaned == []:
        raise ValidationError(_("This field is required."))
    return cleaned


def validate_answers(
    version: WorkSheetVersion,
    answers: Mapping[str, Any],
    *,
    country: str = DEFAULT_PHONE_COUNTRY,
) -> dict[str, Any]:
    """An agent's answers on a version, cleaned: every field's key with its value (None, or []
    for multiple choice, when not answered).

    Raises ValidationError({field_key: message}) naming every field in error, including keys
    that are not fields of this version. Phone numbers become E.164, written without an
    international prefix they are read as numbers of `country`.
    """
    if not isinstance(answers, Mapping):
        raise ValidationError(_("The answers must be an object of field keys and values."))
    specs = fields_of(version.definition)
    known = {spec.key for spec in specs}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for spec in specs:
        try:
            cleaned[spec.key] = clean_answer(spec, answers.get(spec.key), country=country)
        except ValidationError as error:
            errors[spec.key] = error.messages
    for key in answers:
        if key not in known:
            errors[str(key)[:MAX_KEY_LENGTH]] = [
                _("Not a field of this work sheet (version %(number)d).")
                % {"number": version.number}
            ]
    if errors:
        raise ValidationError(errors)
    return cleaned


def answers_from_form(version: WorkSheetVersion, data: Any) -> dict[str, Any]:
    """The answers posted by a form rendered from `render_groups` (a QueryDict)."""
    answers: dict[str, Any] = {}
    for spec in fields_of(version.definition):
        name = FIELD_PREFIX + spec.key
        if spec.kind == FieldKind.MULTI_CHOICE:
            answers[spec.key] = data.getlist(name)
        else:
            answers[spec.key] = data.get(name)
    return answers


# --- rendering --------------------------------------------------------------------------------

_INPUT_TYPES = {
    FieldKind.TEXT: "text",
    FieldKind.NUMBER: "number",
    FieldKind.DATE: "date",
    FieldKind.PHONE: "tel",
    FieldKind.EMAIL: "email",
}


@dataclass(frozen=True)
class RenderedField:
    """A field ready for the `campaigns/_worksheet_fields.html` template."""

    spec: FieldSpec
    value: Any = None
    error: str = ""

    @property
    def name(self) -> str:
        return FIELD_PREFIX + self.spec.key

    @property
    def input_type(self) -> str:
        return _INPUT_TYPES.get(self.spec.kind, "")

    @property
    def chosen(self) -> list[str]:
        if isinstance(self.value, list | tuple):
            return [str(item) for item in self.value]
        return [] if self.value in (None, "") else [str(self.value)]

    @property
    def yes_no(self) -> str:
        """Which radio button of a yes/no field is checked: "yes", "no" or none ("")."""
        if self.value is True or (isinstance(self.value, str) and self.value.lower() in YES):
            return "yes"
        if self.value is False or (isinstance(self.value, str) and self.value.lower() in NO):
            return "no"
        return ""


@dataclass(frozen=True)
class RenderedGroup:
    title: str
    fields: list[RenderedField] = field(default_factory=list)


def render_groups(
    definition: Mapping[str, Any],
    answers: Mapping[str, Any] | None = None,
    errors: Mapping[str, Any] | None = None,
) -> list[RenderedGroup]:
    """A version's groups with values and errors, for the template."""
    answers = answers or {}
    errors = errors or {}
    rendered = []
    for group in groups_of(definition):
        fields = []
        for spec in group.fields:
            error = errors.get(spec.key, "")
            if isinstance(error, list | tuple):
                error = " ".join(str(item) for item in error)
            fields.append(RenderedField(spec, answers.get(spec.key), str(error)))
        rendered.append(RenderedGroup(group.title, fields))
    return rendered


# --- saving ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedWorkSheet:
    """What saving a work sheet gave: the sheet, its current version, and whether it is new."""

    sheet: WorkSheet
    version: WorkSheetVersion | None
    is_new_version: bool


def _check_may_save(actor: Any, sheet: WorkSheet) -> None:
    if sheet.pk is None and not may(actor, ADD, WorkSheet):
        raise PermissionDenied(_("You may not add a work sheet."))
    if sheet.pk is not None and not can(actor, CHANGE, sheet):
        raise PermissionDenied(_("You may not change this work sheet."))


def add_version(
    sheet: WorkSheet, definition: dict[str, Any], created_by: Any = None
) -> tuple[WorkSheetVersion | None, bool]:
    """Make the sheet's next version from a validated definition, unless it is the current one.

    The sheet's row is locked while numbering, so two saves at once make versions N+1 and N+2.
    """
    with transaction.atomic():
        WorkSheet.objects.select_for_update().filter(pk=sheet.pk).first()
        current = sheet.versions.order_by("-number").first()
        if current is not None and current.definition == definition:
            return current, False
        version = WorkSheetVersion.objects.create(
            sheet=sheet,
            number=current.number + 1 if current else 1,
            definition=definition,
            created_by=created_by,
        )
        # Like AuditedModel: what a person does is logged, the system's own writes are not.
        if audit.current_actor() is not None:
            _record_version(sheet, version)
    return version, True


def _record_version(sheet: WorkSheet, version: WorkSheetVersion) -> None:
    audit.record(
        AuditAction.CREATE,
        instance=version,
        company_id=sheet.company_id,
        changes={
            "number": [None, version.number],
            "fields": [None, [spec.key for spec in fields_of(version.definition)]],
        },
        summary=f"work sheet {sheet.name} version {version.number}",
    )


def save_work_sheet(
    actor: Any, sheet: WorkSheet, values: dict[str, Any], definition: Any = None
) -> SavedWorkSheet:
    """Add or change a work sheet; a changed definition makes the next version.

    `definition` None keeps the current fields (a new sheet needs one). Versions are never
    changed, so answers given on an earlier version keep their meaning.
    """
    _check_may_save(actor, sheet)
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] | None = None
    if definition is None:
        if sheet.pk is None:
            errors["definition"] = [_("Add at least one group with a field.")]
    else:
        try:
            cleaned = validate_definition(definition)
        except ValidationError as error:
            errors["definition"] = error.messages
    if sheet.pk is not None and "company" in values and values["company"] != sheet.company:
        errors["company"] = [_("A work sheet stays with its company.")]
    if errors:
        # Report the sheet's own problems (a taken name) at the same time.
        raise ValidationError({**_model_errors(sheet, values), **errors})
    with transaction.atomic():
        sheet = save_object(actor, sheet, values)
        if cleaned is None:
            return SavedWorkSheet(sheet, sheet.current_version, False)
        version, is_new = add_version(sheet, cleaned, created_by=actor)
    return SavedWorkSheet(sheet, version, is_new)


def _model_errors(sheet: WorkSheet, values: dict[str, Any]) -> dict[str, list[str]]:
    probe = copy.copy(sheet)
    for name, value in values.items():
        setattr(probe, name, value)
    try:
        probe.full_clean()
    except ValidationError as error:
        return on_name_field(error).message_dict
    return {}


def deactivate_work_sheet(actor: Any, sheet: WorkSheet) -> WorkSheet:
    """Deactivate a sheet no running campaign uses; its versions and answers stay."""
    running = _running_campaigns(sheet)
    if running:
        raise ValidationError(
            _("Running campaigns use this work sheet: %(names)s. Pause or stop them first.")
            % {"names": ", ".join(running)}
        )
    return deactivate_object(actor, sheet)


def _running_campaigns(sheet: WorkSheet) -> list[str]:
    return list(
        Campaign.objects.filter(work_sheet=sheet, state=CampaignState.RUNNING).values_list(
            "name", flat=True
        )
    )


def version_of(sheet: WorkSheet, number: int) -> WorkSheetVersion | None:
    return sheet.versions.filter(number=number).first()
