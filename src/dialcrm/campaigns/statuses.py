"""Call statuses (dispositions): how a call went and what follows for dialing.

Every company starts with `DEFAULT_STATUSES`, added by `seed_default_statuses` (run by the demo
seed, and lazily by the statuses screen and API the first time a company has none: the
organisation app creates companies and must not depend on campaigns).

The public face, used by the screens, the API and the agent's desk: `seed_default_statuses`,
`ensure_default_statuses`, `save_status`, `deactivate_status`, `selectable_statuses`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dialcrm.campaigns.choices import CampaignState, StatusCategory
from dialcrm.campaigns.models import Campaign, Status
from dialcrm.core import audit
from dialcrm.core.choices import AuditAction
from dialcrm.core.services import deactivate_object, save_object
from dialcrm.org.models import Company

# Longest redial delay a status may ask for: 30 days.
MAX_RETRY_MINUTES = 30 * 24 * 60


@dataclass(frozen=True)
class DefaultStatus:
    """A status every company starts with."""

    code: str
    label: Promise | str
    category: str
    is_final: bool
    retry_after_minutes: int | None = None
    is_agent_selectable: bool = True


DEFAULT_STATUSES = (
    DefaultStatus("SALE", gettext_lazy("Sale"), StatusCategory.SALE, is_final=True),
    DefaultStatus(
        "POSITIVE",
        gettext_lazy("Positive contact"),
        StatusCategory.POSITIVE_CONTACT,
        is_final=True,
    ),
    DefaultStatus(
        "NI", gettext_lazy("Not interested"), StatusCategory.NOT_INTERESTED, is_final=True
    ),
    # A callback is scheduled by the agent for a time agreed with the customer.
    DefaultStatus("CB", gettext_lazy("Callback"), StatusCategory.CALLBACK, is_final=False),
    DefaultStatus("NA", gettext_lazy("No answer"), StatusCategory.NO_ANSWER, False, 60),
    DefaultStatus("B", gettext_lazy("Busy"), StatusCategory.BUSY, False, 15),
    DefaultStatus(
        "AM", gettext_lazy("Answering machine"), StatusCategory.ANSWERING_MACHINE, False, 120
    ),
    DefaultStatus("WN", gettext_lazy("Wrong number"), StatusCategory.WRONG_NUMBER, is_final=True),
    DefaultStatus("DNC", gettext_lazy("Do not call"), StatusCategory.DO_NOT_CALL, is_final=True),
    # Set by the dialer, never by an agent. The engine also enforces the campaign's "no redial
    # after an abandoned call" window (72 h in the UK) on top of this delay.
    DefaultStatus(
        "AB",
        gettext_lazy("Abandoned by the dialer"),
        StatusCategory.ABANDONED,
        False,
        60,
        is_agent_selectable=False,
    ),
    DefaultStatus(
        "FAIL",
        gettext_lazy("Call failed"),
        StatusCategory.FAILED,
        False,
        30,
        is_agent_selectable=False,
    ),
)
ORDER_STEP = 10


def seed_default_statuses(company: Company) -> list[Status]:
    """Add the default statuses the company lacks (by code, whatever the case); returns those
    added. Running it again adds nothing and never changes a status a person has edited.

    Labels are written in the active language (the person's, on the screens).
    """
    added = []
    with transaction.atomic(), audit.acting_as(None):
        for position, default in enumerate(DEFAULT_STATUSES, start=1):
            status, created = Status.objects.get_or_create(
                company=company,
                code__iexact=default.code,
                defaults={
                    "code": default.code,
                    "label": str(default.label),
                    "category": default.category,
                    "is_final": default.is_final,
                    "retry_after_minutes": default.retry_after_minutes,
                    "is_agent_selectable": default.is_agent_selectable,
                    "order": position * ORDER_STEP,
                },
            )
            if created:
                added.append(status)
    if added and audit.current_actor() is not None:
        audit.record(
            AuditAction.CREATE,
            company_id=company.pk,
            summary="default statuses added: " + ", ".join(status.code for status in added),
        )
    return added


def ensure_default_statuses(company: Company | None) -> list[Status]:
    """Seed the defaults for a company that has no statuses at all (its first visit)."""
    if company is None or Status.objects.filter(company=company).exists():
        return []
    return seed_default_statuses(company)


def _normalised(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    if isinstance(values.get("code"), str):
        values["code"] = values["code"].strip().upper()
    if isinstance(values.get("label"), str):
        values["label"] = values["label"].strip()
    return values


def save_status(actor: Any, status: Status, values: dict[str, Any]) -> Status:
    """Add or change a status. Codes are kept in capitals; the rules of `Status.clean` apply
    (final statuses are not retried, sales and do-not-call are final, others say when to
    retry unless they are callbacks)."""
    values = _normalised(values)
    if status.pk is not None and "company" in values and values["company"] != status.company:
        raise ValidationError({"company": _("A status stays with its company.")})
    retry = values.get("retry_after_minutes", status.retry_after_minutes)
    if retry is not None and not 1 <= retry <= MAX_RETRY_MINUTES:
        raise ValidationError(
            {
                "retry_after_minutes": _("Give 1 to %(limit)d minutes (30 days).")
                % {"limit": MAX_RETRY_MINUTES}
            }
        )
    return save_object(actor, status, values)


def deactivate_status(actor: Any, status: Status) -> Status:
    """Deactivate a status that no running campaign offers; calls keep it in history."""
    running = list(
        Campaign.objects.filter(statuses=status, state=CampaignState.RUNNING).values_list(
            "name", flat=True
        )
    )
    if running:
        raise ValidationError(
            _("Running campaigns use this status: %(names)s. Pause or stop them first.")
            % {"names": ", ".join(running)}
        )
    return deactivate_object(actor, status)


def selectable_statuses(company: Company, campaign: Campaign | None = None) -> list[Status]:
    """The statuses an agent may choose on a call: the campaign's own set if it has one, else
    the company's; active and agent-selectable, in order."""
    statuses = Status.objects.filter(company=company, is_active=True, is_agent_selectable=True)
    if campaign is not None and campaign.pk is not None and campaign.statuses.exists():
        statuses = statuses.filter(campaigns=campaign)
    return list(statuses.order_by("order", "code"))
