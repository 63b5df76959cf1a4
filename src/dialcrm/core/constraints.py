"""Case-insensitive unique names, reported on the name field."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models.functions import Lower

DUPLICATE = "duplicate:"  # the violation code names the field: "duplicate:name"


def unique_name(
    *scope: str, name: str, message: Any, field: str = "name"
) -> models.UniqueConstraint:
    """A unique constraint on LOWER(<field>) within the scope fields (e.g. per company)."""
    return models.UniqueConstraint(
        *scope,
        Lower(field),
        name=name,
        violation_error_message=message,
        violation_error_code=DUPLICATE + field,
    )


def on_name_field(error: ValidationError) -> ValidationError:
    """Django reports expression constraints for the whole record; a person needs the message
    next to the field they typed."""
    if not hasattr(error, "error_dict") or NON_FIELD_ERRORS not in error.error_dict:
        return error
    errors = {field: list(items) for field, items in error.error_dict.items()}
    for item in errors.pop(NON_FIELD_ERRORS):
        code = item.code or ""
        target = code.removeprefix(DUPLICATE) if code.startswith(DUPLICATE) else NON_FIELD_ERRORS
        errors.setdefault(target, []).append(item)
    return ValidationError({field: items for field, items in errors.items() if items})
