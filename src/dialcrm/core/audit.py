"""The automatic action log.

Who is acting travels in a context variable set by the web middleware, the API's token
authentication and the CLI. `AuditedModel.save()` and `.delete()` record an entry, with the
before and after of every changed field, in the same transaction as the change itself; writes
made by the system (no actor in the context) are not recorded here.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import decimal
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from dialcrm.core.choices import AuditAction


@dataclass(frozen=True)
class Actor:
    """The person (and the API token, if any) behind the current request or command."""

    staff_id: int | None
    token_id: int | None = None
    address: str | None = None


_current_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar(
    "dialcrm_audit_actor", default=None
)


def current_actor() -> Actor | None:
    return _current_actor.get()


@contextlib.contextmanager
def acting_as(actor: Actor | None) -> Iterator[None]:
    token = _current_actor.set(actor)
    try:
        yield
    finally:
        _current_actor.reset(token)


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value for the log."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return str(value)


HIDDEN = "[hidden]"


def _field_values(instance: models.Model) -> dict[str, Any]:
    """Field values as the log shows them; secrets are reduced to a fingerprint."""
    values = {}
    for field in instance._meta.concrete_fields:
        if field.name in getattr(instance, "audit_exclude", ()):
            continue
        value = _plain(getattr(instance, field.attname))
        if field.name in getattr(instance, "audit_secret", ()):
            value = (
                f"{HIDDEN}{hashlib.sha256(str(value).encode()).hexdigest()[:12]}" if value else None
            )
        values[field.attname] = value
    return values


def _shown(value: Any) -> Any:
    return HIDDEN if isinstance(value, str) and value.startswith(HIDDEN) else value


def record(
    action: str,
    *,
    instance: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    actor: Actor | None = None,
    company_id: int | None = None,
    summary: str = "",
) -> None:
    """Write one audit entry (used directly for sign-ins, refusals and custom actions)."""
    from dialcrm.core.models import AuditEntry

    actor = actor or current_actor()
    object_type = object_id = object_repr = ""
    if instance is not None:
        object_type = instance._meta.label_lower
        object_id = str(instance.pk)
        object_repr = str(instance)[:200]
        if company_id is None:
            company_id = _company_of(instance)
    AuditEntry.objects.create(
        action=action,
        staff_id=actor.staff_id if actor else None,
        token_id=actor.token_id if actor else None,
        address=actor.address if actor else None,
        company_id=company_id,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        changes=changes or {},
        summary=summary[:300],
    )


def _company_of(instance: models.Model) -> int | None:
    """The company an entry belongs to: the model's `audit_company_id` if it says, else its
    own `company` (most models have one)."""
    if hasattr(instance, "audit_company_id"):
        return instance.audit_company_id
    return getattr(instance, "company_id", None)


class AuditedModel(models.Model):
    """A model whose every change by a person is recorded in the audit log."""

    audit_exclude: tuple[str, ...] = ()  # noise not worth logging
    audit_secret: tuple[str, ...] = ()  # logged as changed, never shown

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if current_actor() is None:
            super().save(*args, **kwargs)
            return
        before = getattr(self, "_audit_loaded", None)
        with transaction.atomic():
            super().save(*args, **kwargs)
            after = _field_values(self)
            if before is None:
                created = {k: [None, _shown(v)] for k, v in after.items()}
                record(AuditAction.CREATE, instance=self, changes=created)
            else:
                changed = {
                    k: [_shown(before.get(k)), _shown(v)]
                    for k, v in after.items()
                    if before.get(k) != v
                }
                if changed:
                    record(AuditAction.UPDATE, instance=self, changes=changed)
        self._audit_loaded = after

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if current_actor() is None:
            return super().delete(*args, **kwargs)
        with transaction.atomic():
            record(
                AuditAction.DELETE,
                instance=self,
                changes={k: [_shown(v), None] for k, v in _field_values(self).items()},
            )
            return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)
        instance._audit_loaded = _field_values(instance)
        return instance
