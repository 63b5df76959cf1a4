"""What a reviewer sees of a sale, in one structure for the review screen and the API: what the
agent captured (status, note, work sheet answers, products), the call and its recording, the
lead's history (earlier calls with their statuses and notes, callbacks, sales), the review's
steps and corrections, and the call's score."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from dialcrm.campaigns.worksheets import fields_of
from dialcrm.desk import cards
from dialcrm.desk.models import Sale
from dialcrm.quality import services
from dialcrm.quality.models import CallScore

# Asterisk names recordings itself (campaign-3-<call id>); anything else is not served.
RECORDING_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,250}")
RECORDING_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg"}


def recording_file(sale: Sale) -> Path | None:
    """The file of the sale's call recording, if the call was recorded and the file is there.
    A name without an extension is looked up with each format Asterisk may write."""
    name = sale.disposition.attempt.recording
    if not name or not RECORDING_NAME.fullmatch(name) or ".." in name:
        return None
    folder = Path(settings.RECORDINGS_DIR)
    suffixes = [""] if Path(name).suffix in RECORDING_TYPES else list(RECORDING_TYPES)
    for suffix in suffixes:
        candidate = folder / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _moment(value: Any) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _when(value: Any) -> str:
    return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else ""


def shown(value: Any) -> str:
    """An answer or a quantity as a person reads it."""
    if value is True:
        return str(_("Yes"))
    if value is False:
        return str(_("No"))
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def captured(sale: Sale) -> list[dict[str, Any]]:
    """The work sheet's answers with their labels, in the sheet's order."""
    disposition = sale.disposition
    answers = disposition.answers or {}
    version = disposition.sheet_version
    if version is None:
        return [
            {"key": key, "label": key, "value": value, "shown": shown(value)}
            for key, value in answers.items()
        ]
    return [
        {
            "key": spec.key,
            "label": spec.label,
            "value": answers.get(spec.key),
            "shown": shown(answers.get(spec.key)),
        }
        for spec in fields_of(version.definition)
    ]


def review_card(sale: Sale, user: Any) -> dict[str, Any]:
    """Everything about the sale for its review, as plain values."""
    disposition = sale.disposition
    attempt = disposition.attempt
    lead_card = cards.lead_card(
        sale.lead_id, sale.campaign_id, call_id=str(attempt.call_id), number=attempt.number
    )
    history = services.review_history(sale)
    score = CallScore.objects.filter(sale=sale).first()
    has_recording = recording_file(sale) is not None
    return {
        "id": sale.pk,
        "state": sale.state,
        "state_label": str(sale.get_state_display()),
        "created_at": _moment(sale.created_at),
        "created_text": _when(sale.created_at),
        "campaign": {"id": sale.campaign_id, "name": sale.campaign.name},
        "location": str(sale.campaign.location),
        "agent": {"id": sale.agent_id, "name": str(sale.agent)},
        "lead": {
            "id": sale.lead_id,
            "name": lead_card["lead"]["name"],
            "fields": lead_card["lead"]["fields"],
            "phones": lead_card["phones"],
            "time_zone": lead_card["time_zone"],
        },
        "call": {
            "call_id": str(attempt.call_id),
            "number": attempt.number,
            "dialed_at": _moment(attempt.dialed_at),
            "connected_at": _moment(attempt.connected_at),
            "ended_at": _moment(attempt.ended_at),
            "recording_url": reverse("quality:recording", args=[sale.pk])
            if has_recording
            else None,
        },
        "status": {"code": disposition.status.code, "label": disposition.status.label},
        "note": disposition.note,
        "answers": captured(sale),
        "lines": [
            {
                "product_id": line.product_id,
                "product": line.product.name,
                "code": line.product.code,
                "quantity": line.quantity,
            }
            for line in sale.lines.select_related("product").order_by("product__name")
        ],
        "history": lead_card["history"],
        "callbacks": lead_card["callbacks"],
        "sales": lead_card["sales"],
        "steps": [
            {
                "kind": step.kind,
                "label": str(step.get_kind_display()),
                "outcome": step.outcome,
                "outcome_label": str(step.get_outcome_display()) if step.outcome else "",
                "note": step.note,
                "by": str(step.actor),
                "at": _moment(step.created_at),
                "at_text": _when(step.created_at),
            }
            for step in history["steps"]
        ],
        "corrections": [
            {
                "field": correction.field,
                "label": correction.label,
                "old_value": correction.old_value,
                "new_value": correction.new_value,
                "old_shown": shown(correction.old_value),
                "new_shown": shown(correction.new_value),
                "by": str(correction.actor),
                "at": _moment(correction.created_at),
                "at_text": _when(correction.created_at),
            }
            for correction in history["corrections"]
        ],
        "score": {
            "total": float(score.total),
            "points": score.points,
            "comment": score.comment,
            "by": str(score.reviewer),
            "at": _moment(score.scored_at),
            "at_text": _when(score.scored_at),
        }
        if score is not None
        else None,
        "may_review": services.can_review(user, sale),
        "is_open": sale.state in services.REVIEWABLE,
    }
