"""The lead's card: everything the desk shows when a call is put through (or a lead previewed):
the lead's fields and numbers, the history of every earlier attempt with its status, the
callbacks and sales, the campaign's script, statuses, products and work sheet.

Plain JSON-ready dictionaries, built in a few queries; the WebSocket consumer sends them as they
are and the browser paints them.
"""

from __future__ import annotations

import datetime
import logging
import pickle
import threading
import time
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from dialcrm.campaigns.models import Campaign, Lead, Phone, WorkSheetVersion
from dialcrm.campaigns.statuses import selectable_statuses
from dialcrm.campaigns.worksheets import render_groups
from dialcrm.desk.choices import SaleState
from dialcrm.desk.models import DeskDraft, Disposition, Sale, SaleLine
from dialcrm.dialer.choices import AttemptOutcome
from dialcrm.dialer.models import CallAttempt, Callback

logger = logging.getLogger(__name__)
HISTORY_LIMIT = 50
CAMPAIGN_PART_TTL_S = 10.0
DEFAULT_TIME_ZONE = "Europe/Bucharest"


def lead_zone(
    lead: Lead, phone: Phone | None = None, phones: list[Phone] | None = None
) -> zoneinfo.ZoneInfo:
    """The lead's time zone: the called number's, else the first number's, else Bucharest's."""
    names = [phone.time_zone if phone else ""]
    names += [item.time_zone for item in (phones if phones is not None else lead.phones.all())]
    for name in names:
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)


def _when(moment: datetime.datetime | None, zone: zoneinfo.ZoneInfo | None = None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(zone) if zone else timezone.localtime(moment)
    return date_format(local, "SHORT_DATETIME_FORMAT")


def _lead_fields(lead: Lead) -> list[dict[str, str]]:
    fields = [
        (_("First name"), lead.first_name),
        (_("Last name"), lead.last_name),
        (_("Email"), lead.email),
        (_("City"), lead.city),
        (_("Region"), lead.region),
        (_("Reference"), lead.external_id),
    ]
    shown = [{"label": str(label), "value": value} for label, value in fields if value]
    names = list(lead.call_list.custom_fields or [])
    names += [name for name in lead.custom if name not in names]
    shown += [
        {"label": str(name), "value": str(lead.custom[name])}
        for name in names
        if lead.custom.get(name) not in (None, "")
    ]
    return shown


def _person(first_name: str | None, last_name: str | None, username: str | None) -> str:
    """A staff member's name as `Staff.__str__` writes it, from plain values."""
    full = f"{first_name or ''} {last_name or ''}".strip()
    return full or username or ""


def _history_rows(lead_id: int) -> list[tuple[Any, ...]]:
    """The lead's attempts, newest first, with their status and the agent's note: one query of
    plain values (this runs for every call put through)."""
    notes = Disposition.objects.filter(attempt_id=OuterRef("pk")).values("note")[:1]
    return list(
        CallAttempt.objects.filter(lead_id=lead_id)
        .exclude(outcome=AttemptOutcome.CANCELLED)
        .order_by("-dialed_at")
        .annotate(agent_note=Subquery(notes))
        .values_list(
            "call_id",
            "dialed_at",
            "number",
            "campaign__name",
            "outcome",
            "status__code",
            "status__label",
            "agent__first_name",
            "agent__last_name",
            "agent__username",
            "agent_note",
        )[:HISTORY_LIMIT]
    )


def _history(
    rows: list[tuple[Any, ...]], current_call_id: str, zone: zoneinfo.ZoneInfo
) -> list[dict[str, Any]]:
    """The earlier attempts, without the current call."""
    outcomes = dict(AttemptOutcome.choices)
    history = []
    for row in rows:
        call_id, dialed_at, number, campaign, outcome, code, label, first, last, user, note = row
        if str(call_id) == current_call_id:
            continue
        history.append(
            {
                "at": _when(dialed_at),
                "lead_time": _when(dialed_at, zone),
                "number": number,
                "campaign": campaign,
                "outcome": str(outcomes.get(outcome, outcome)),
                "status": code or "",
                "status_label": label or "",
                "agent": _person(first, last, user),
                "note": note or "",
            }
        )
    return history


def _callback_rows(lead_id: int) -> list[tuple[Any, ...]]:
    # Plain values: Django builds the SQL of every query anew, and whole rows of the callback
    # and its agent cost more to build and read than the few columns shown.
    return list(
        Callback.objects.filter(lead_id=lead_id)
        .order_by("-due_at")
        .values_list(
            "due_at", "agent__first_name", "agent__last_name", "agent__username", "note", "done_at"
        )[:20]
    )


def _callbacks(rows: list[tuple[Any, ...]], zone: zoneinfo.ZoneInfo) -> list[dict[str, Any]]:
    return [
        {
            "due": _when(due_at, zone),
            "agent": _person(first, last, user),
            "note": note,
            "is_done": done_at is not None,
        }
        for due_at, first, last, user, note, done_at in rows
    ]


def _sale_rows(lead_id: int) -> tuple[list[tuple[Any, ...]], dict[int, list[dict[str, Any]]]]:
    """The lead's sales and each one's lines."""
    rows = list(
        Sale.objects.filter(lead_id=lead_id)
        .order_by("-created_at")
        .values_list(
            "pk", "created_at", "state", "agent__first_name", "agent__last_name", "agent__username"
        )[:20]
    )
    lines: dict[int, list[dict[str, Any]]] = {pk: [] for pk, *_rest in rows}
    if rows:  # the lines in a second query, only for a lead with sales
        for sale_id, product, quantity in (
            SaleLine.objects.filter(sale_id__in=list(lines))
            .order_by("pk")
            .values_list("sale_id", "product__name", "quantity")
        ):
            lines[sale_id].append({"product": product, "quantity": quantity})
    return rows, lines


def _sales(
    rows: list[tuple[Any, ...]], lines: dict[int, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    states = dict(SaleState.choices)
    return [
        {
            "at": _when(created_at),
            "agent": _person(first, last, user),
            "state": str(states.get(state, state)),
            "lines": lines[pk],
        }
        for pk, created_at, state, first, last, user in rows
    ]


def sheet_version(campaign: Campaign) -> WorkSheetVersion | None:
    sheet = campaign.work_sheet
    if sheet is None:
        return None
    return sheet.versions.order_by("-number").first()


def render_sheet(definition: dict[str, Any] | None, answers: dict[str, Any] | None) -> str:
    if definition is None:
        return ""
    groups = render_groups(definition, answers or {})
    return render_to_string("desk/_sheet.html", {"groups": groups})


@dataclass(frozen=True)
class CampaignPart:
    """What every card of a campaign shares: kept a few seconds, so a burst of calls reads the
    campaign, its statuses, products and work sheet once."""

    fields: dict[str, Any]
    sheet_version: int | None
    sheet_definition: dict[str, Any] | None
    blank_sheet_html: str


_campaign_parts: dict[tuple[int, str], tuple[float, CampaignPart]] = {}
_campaign_parts_lock = threading.Lock()


def campaign_part(campaign_id: int) -> CampaignPart:
    """The campaign's part of the cards, in the active language."""
    key = (campaign_id, get_language() or "")
    now = time.monotonic()
    with _campaign_parts_lock:
        cached = _campaign_parts.get(key)
    if cached is not None and now - cached[0] < CAMPAIGN_PART_TTL_S:
        return cached[1]
    campaign = Campaign.objects.select_related("client__company", "work_sheet").get(pk=campaign_id)
    version = sheet_version(campaign)
    definition = version.definition if version is not None else None
    products = campaign.products.filter(is_active=True).order_by("name")
    part = CampaignPart(
        fields={
            "campaign_id": campaign.pk,
            "campaign": campaign.name,
            "mode": campaign.dial_mode,
            "script": campaign.script,
            "calling_hours": [
                campaign.calling_hours_start.strftime("%H:%M"),
                campaign.calling_hours_end.strftime("%H:%M"),
            ],
            "statuses": [
                {"code": status.code, "label": status.label, "category": status.category}
                for status in selectable_statuses(campaign.client.company, campaign)
            ],
            "products": [
                {"id": product.pk, "code": product.code, "name": product.name, "unit": product.unit}
                for product in products
            ],
        },
        sheet_version=version.number if version is not None else None,
        sheet_definition=definition,
        blank_sheet_html=render_sheet(definition, None),
    )
    with _campaign_parts_lock:
        _campaign_parts[key] = (now, part)
    return part


def forget_campaign_parts() -> None:
    with _campaign_parts_lock:
        _campaign_parts.clear()


@dataclass(frozen=True)
class LeadRecords:
    """What the database holds about a lead for its card, read once whatever the language."""

    lead: Lead
    phones: list[Phone]
    attempts: list[tuple[Any, ...]]
    callbacks: list[tuple[Any, ...]]
    sales: list[tuple[Any, ...]]
    sale_lines: dict[int, list[dict[str, Any]]]


def read_lead(lead_id: int) -> LeadRecords:
    lead = Lead.objects.select_related("call_list").get(pk=lead_id)
    sales, sale_lines = _sale_rows(lead_id)
    return LeadRecords(
        lead=lead,
        phones=list(lead.phones.all()),
        attempts=_history_rows(lead_id),
        callbacks=_callback_rows(lead_id),
        sales=sales,
        sale_lines=sale_lines,
    )


def lead_card(
    lead_id: int,
    campaign_id: int,
    *,
    call_id: str = "",
    number: str = "",
    draft: dict[str, Any] | None = None,
    agent: Any = None,
    records: LeadRecords | None = None,
) -> dict[str, Any]:
    """The card of a lead for a call (or a preview) in a campaign, in the active language, for an
    agent (whose name, like the lead's, fills the script's {agent} and {lead}), from the lead's
    records read now or, given, read before (when the call was dialed)."""
    if records is None or records.lead.pk != lead_id:
        records = read_lead(lead_id)
    card = _render_card(records, campaign_id, call_id=call_id, number=number, draft=draft)
    return _for_agent(card, agent) if agent is not None else card


def _render_card(
    records: LeadRecords,
    campaign_id: int,
    *,
    call_id: str = "",
    number: str = "",
    draft: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A lead's card from its records, in the active language."""
    part = campaign_part(campaign_id)
    lead, phones = records.lead, records.phones
    called = next((phone for phone in phones if phone.number == number), None)
    zone = lead_zone(lead, called, phones)
    draft = draft or {}
    answers = draft.get("answers")
    now_local = timezone.now().astimezone(zone)
    return {
        **part.fields,
        "call_id": call_id,
        "lead_id": lead.pk,
        "number": number,
        "lead": {
            "name": str(lead),
            "fields": _lead_fields(lead),
            "state": lead.get_state_display(),
            "attempts": lead.attempts,
        },
        "phones": [
            {
                "number": phone.number,
                "kind": phone.get_kind_display(),
                "is_dialable": phone.is_dialable,
                "attempts": phone.attempts,
                "is_called": phone.number == number,
            }
            for phone in phones
        ],
        "time_zone": str(zone),
        "local_time": now_local.strftime("%H:%M"),
        "utc_offset_minutes": int((now_local.utcoffset() or datetime.timedelta()).total_seconds())
        // 60,
        "history": _history(records.attempts, call_id, zone),
        "callbacks": _callbacks(records.callbacks, zone),
        "sales": _sales(records.sales, records.sale_lines),
        "sheet": {
            "version": part.sheet_version,
            "html": render_sheet(part.sheet_definition, answers)
            if answers
            else part.blank_sheet_html,
        },
        "draft": draft,
        "script": part.fields["script"].replace("{lead}", lead.first_name or str(lead)),
    }


def _for_agent(card: dict[str, Any], agent: Any) -> dict[str, Any]:
    card["script"] = card["script"].replace("{agent}", agent.first_name or str(agent))
    return card


# --- records read when the call is dialed ---------------------------------------------------------
# The lead of a call is known when the engine dials it, seconds before anyone answers; the agent
# (and so the card's language) only at the answer. The lead's records are read at dial time and
# kept in the cache, so the call put through is only rendered for its agent and sent.

PREPARED_TTL_S = 120


def _prepared_key(call_id: str) -> str:
    return f"desk:lead-records:{call_id}"


def prepare_card(lead_id: int, call_id: str) -> None:
    """Read the records of the lead of a call just dialed, for whoever takes the call."""
    cache.set(_prepared_key(call_id), read_lead(lead_id), timeout=PREPARED_TTL_S)


def prepared_records(call_id: str) -> LeadRecords | None:
    """The lead's records read when the call was dialed; None if there are none (yet)."""
    if not call_id:
        return None
    try:
        records = cache.get(_prepared_key(call_id))
    except (pickle.UnpicklingError, AttributeError, ImportError, TypeError):
        # kept by an earlier version of the code: read them anew
        logger.warning("desk: unreadable records prepared for call %s", call_id, exc_info=True)
        return None
    return records if isinstance(records, LeadRecords) else None


def call_card(attempt: CallAttempt) -> dict[str, Any]:
    """The card of a call of the agent's, with what they have drafted for it so far."""
    draft = DeskDraft.objects.filter(attempt=attempt).values_list("data", flat=True).first()
    card = lead_card(
        attempt.lead_id,
        attempt.campaign_id,
        call_id=str(attempt.call_id),
        number=attempt.number,
        draft=draft,
        agent=attempt.agent,
    )
    started = attempt.connected_at or attempt.dialed_at
    card["elapsed_s"] = max(0.0, (timezone.now() - started).total_seconds()) if started else 0.0
    card["is_ended"] = attempt.ended_at is not None
    return card
