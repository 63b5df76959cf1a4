"""Actions of the agent's desk: starting and ending work, drafts, closing a call with its status,
work sheet answers and sale, and a team leader's pause or log-out of an agent.

Every action checks who may do it and what it is about (an agent only ever reaches their own
calls), writes in one transaction, and tells the dialer engine on commit, through the same
`dialer.commands` group the desks' WebSockets use.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from asgiref.sync import async_to_sync
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from dialcrm.campaigns.choices import CampaignState, DialMode, StatusCategory
from dialcrm.campaigns.models import Campaign, Status, WorkSheetVersion
from dialcrm.campaigns.statuses import selectable_statuses
from dialcrm.campaigns.worksheets import (
    DEFAULT_PHONE_COUNTRY,
    clean_answer,
    fields_of,
    validate_answers,
)
from dialcrm.catalog.models import Product
from dialcrm.core import audit
from dialcrm.core.choices import AuditAction, Role
from dialcrm.core.policy import VIEW, may
from dialcrm.desk import cards
from dialcrm.desk.choices import AgentPauseReason, SaleState, SupervisorActionKind
from dialcrm.desk.models import (
    DESK_ROLES,
    MAX_WRAP_UP_S,
    DeskDraft,
    DeskSession,
    Disposition,
    Sale,
    SaleLine,
    SupervisorAction,
)
from dialcrm.dialer.choices import AgentState, AttemptOutcome, PauseReason
from dialcrm.dialer.models import AgentStateInterval, CallAttempt
from dialcrm.dialer.realtime import send_command
from dialcrm.org.models import Staff
from dialcrm.telephony.sip import softphone_endpoint
from dialcrm.webhooks import services as webhooks

MAX_NOTE_LENGTH = 2000
MAX_DRAFT_BYTES = 100_000
MAX_QUANTITY = 10_000
MAX_CALLBACK_DAYS = 90
# A retried closing older than this whose call the engine has not closed is sent to it again.
RESEND_AFTER_S = 10.0
ENDPOINT_PATTERN = re.compile(r"[A-Za-z0-9_./:@+-]{1,100}")
IDEMPOTENCY_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
# Statuses after which the whole work sheet must be filled as the back office defined it; after
# the others (no answer, not interested...) the answers given are checked, none is required.
FULL_SHEET_CATEGORIES = frozenset({StatusCategory.SALE, StatusCategory.POSITIVE_CONTACT})


AUDIT_WORDS = {SupervisorActionKind.PAUSE: "Paused", SupervisorActionKind.LOGOUT: "Logged out"}


class Conflict(Exception):
    """A request that contradicts what is recorded already (a second status for a call)."""


# --- talking to the engine ------------------------------------------------------------------


def send_to_engine(command: dict[str, Any]) -> None:
    """Send a command to the dialer engines (from synchronous code)."""
    async_to_sync(send_command)(command)


def _send_on_commit(command: dict[str, Any]) -> None:
    transaction.on_commit(lambda: send_to_engine(command))


# --- starting and ending work ---------------------------------------------------------------


def workable_campaigns(agent: Staff) -> QuerySet[Campaign]:
    """The running campaigns the agent is assigned to, in person or through their team; a team
    leader's, those assigned to them or to a team they lead (the engine checks the same)."""
    from dialcrm.dialer.store import assigned_campaigns

    return (
        Campaign.objects.for_user(agent)
        .filter(state=CampaignState.RUNNING, pk__in=assigned_campaigns(agent.pk))
        .select_related("client")
        .order_by("name")
    )


def work_modes(campaign: Campaign) -> list[str]:
    """The work modes the campaign allows: the engine dials each campaign in its own mode."""
    return [campaign.dial_mode]


def default_endpoint(agent: Staff) -> str:
    return softphone_endpoint(agent.pk)


def open_session(agent: Staff) -> DeskSession | None:
    return (
        DeskSession.objects.filter(agent=agent, ended_at__isnull=True)
        .select_related("campaign")
        .first()
    )


def start_work(
    agent: Staff,
    campaign_id: Any,
    *,
    mode: str = "",
    endpoint: str,
    auto_ready: bool = True,
    wrap_up_s: int = 30,
) -> DeskSession:
    """Start (or move) the agent's work on a campaign and log them in to the engine, paused
    until they say they are ready. No `mode`: the campaign's own."""
    if agent.role not in DESK_ROLES:
        raise PermissionDenied(_("Only agents work on the desk."))
    campaign = workable_campaigns(agent).filter(pk=_whole_number(campaign_id)).first()
    errors: dict[str, list[str]] = {}
    if campaign is None:
        errors["campaign"] = [_("Choose one of your running campaigns.")]
    elif mode and mode not in work_modes(campaign):
        errors["mode"] = [
            _("This campaign works in %(modes)s mode.")
            % {"modes": ", ".join(str(DialMode(item).label) for item in work_modes(campaign))}
        ]
    if not isinstance(endpoint, str) or not ENDPOINT_PATTERN.fullmatch(endpoint.strip()):
        errors["endpoint"] = [_("Give the phone to ring, e.g. PJSIP/agent-42.")]
    limit = campaign.max_wrap_up_s if campaign is not None else MAX_WRAP_UP_S
    if not isinstance(wrap_up_s, int) or not 0 <= wrap_up_s <= limit:
        errors["wrap_up_s"] = [
            _("Give 0 to %(limit)d seconds: this campaign allows %(limit)d at most.")
            % {"limit": limit},
        ]
    if errors:
        raise ValidationError(errors)
    assert campaign is not None
    mode = mode or work_modes(campaign)[0]
    if current_call(agent) is not None:
        raise Conflict(_("Finish your call and set its status before changing campaign."))
    now = timezone.now()
    with transaction.atomic():
        DeskSession.objects.filter(agent=agent, ended_at__isnull=True).update(ended_at=now)
        session = DeskSession.objects.create(
            agent=agent,
            campaign=campaign,
            mode=mode,
            endpoint=endpoint.strip(),
            auto_ready=bool(auto_ready),
            wrap_up_s=wrap_up_s,
            started_at=now,
        )
        _send_on_commit(login_command(session))
    return session


def login_command(session: DeskSession) -> dict[str, Any]:
    return {
        "kind": "login",
        "agent_id": session.agent_id,
        "campaign_id": session.campaign_id,
        "endpoint": session.endpoint,
        "auto_ready": session.auto_ready,
        "wrap_up_s": session.wrap_up_s,
    }


def end_work(agent: Staff) -> None:
    """The agent stops working: logged out by the engine (after the call in progress, if any)."""
    with transaction.atomic():
        DeskSession.objects.filter(agent=agent, ended_at__isnull=True).update(
            ended_at=timezone.now()
        )
        _send_on_commit({"kind": "logout", "agent_id": agent.pk})


def close_session(agent_id: int) -> None:
    """The engine logged the agent out: their work session ends."""
    DeskSession.objects.filter(agent_id=agent_id, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )


# --- the current state and call ---------------------------------------------------------------


def agent_state(agent_id: int) -> dict[str, Any]:
    """The agent's state as the engine last recorded it."""
    interval = (
        AgentStateInterval.objects.filter(agent_id=agent_id, ended_at__isnull=True)
        .order_by("-started_at")
        .first()
    )
    if interval is None:
        return {"state": AgentState.LOGGED_OUT, "reason": "", "elapsed_s": 0.0}
    return {
        "state": interval.state,
        "reason": interval.pause_reason,
        "campaign_id": interval.campaign_id,
        "elapsed_s": max(0.0, (timezone.now() - interval.started_at).total_seconds()),
    }


def current_call(agent: Staff | int) -> CallAttempt | None:
    """The call put through to the agent that has no status yet (talking or wrapping up)."""
    agent_id = agent if isinstance(agent, int) else agent.pk
    return (
        CallAttempt.objects.filter(
            agent_id=agent_id,
            connected_at__isnull=False,
            status__isnull=True,
            outcome=AttemptOutcome.IN_PROGRESS,
            disposition__isnull=True,
        )
        .order_by("-connected_at")
        .first()
    )


def transfer_targets(agent: Staff) -> list[dict[str, Any]]:
    """Whom the agent may transfer a call to: the other people working on the same campaign
    who are ready now (agents and team leaders), by name with their role (the engine checks
    again when the transfer arrives)."""
    session = open_session(agent)
    if session is None:
        return []
    ready = (
        AgentStateInterval.objects.filter(
            campaign_id=session.campaign_id, state=AgentState.READY, ended_at__isnull=True
        )
        .exclude(agent_id=agent.pk)
        .values_list("agent_id", flat=True)
    )
    people = Staff.objects.filter(
        pk__in=ready,
        is_active=True,
        desk_sessions__ended_at__isnull=True,
        desk_sessions__campaign_id=session.campaign_id,
    ).order_by("first_name", "last_name", "username")
    return [
        {"id": person.pk, "name": str(person), "role": person.role, "role_label": _role(person)}
        for person in people
    ]


def _role(person: Staff) -> str:
    return str(Role(person.role).label).lower() if person.role in Role.values else ""


def access_call(agent: Any, call_id: Any, *related: str) -> CallAttempt:
    """One of the agent's own calls; "not found" for anyone else's, as for a missing one.
    `related`: more relations read with it (select_related)."""
    try:
        key = str(call_id)
        attempts = CallAttempt.objects.filter(call_id=key, agent_id=agent.pk)
        attempt = attempts.select_related("campaign__client", "lead", "agent", *related).first()
    except (ValueError, ValidationError):
        attempt = None
    if attempt is None or not agent.is_active:
        raise Http404(_("No such call of yours."))
    return attempt


def desk_snapshot(agent: Staff) -> dict[str, Any]:
    """What a (re)connecting desk needs: the work session, the state and the current call with
    its draft."""
    session = open_session(agent)
    attempt = current_call(agent)
    return {
        "type": "desk.snapshot",
        "session": session_summary(session),
        "state": agent_state(agent.pk),
        "call": cards.call_card(attempt) if attempt is not None else None,
    }


def session_summary(session: DeskSession | None) -> dict[str, Any] | None:
    if session is None:
        return None
    return {
        "campaign_id": session.campaign_id,
        "campaign": session.campaign.name,
        "mode": session.mode,
        "endpoint": session.endpoint,
        "auto_ready": session.auto_ready,
        "wrap_up_s": session.wrap_up_s,
        "max_wrap_up_s": session.campaign.max_wrap_up_s,
    }


# --- drafts ------------------------------------------------------------------------------------


def save_draft(agent: Staff, call_id: Any, data: Mapping[str, Any]) -> DeskDraft:
    """Keep what the agent has typed for their call so far, as typed (checked on submission)."""
    attempt = access_call(agent, call_id)
    if not isinstance(data, Mapping):
        raise ValidationError(_("A draft is an object."))
    if len(json.dumps(data)) > MAX_DRAFT_BYTES:
        raise ValidationError(_("The draft is too large to keep."))
    if hasattr(attempt, "disposition") or attempt.status_id is not None:
        raise Conflict(_("This call has its status already."))
    draft, _created = DeskDraft.objects.update_or_create(
        attempt=attempt, defaults={"agent": agent, "data": dict(data)}
    )
    return draft


# --- closing a call ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductLine:
    """A product of a sale and how many."""

    product_id: int
    quantity: int


@dataclass(frozen=True)
class Recorded:
    """The closing of a call as recorded; `is_replay` when it was recorded by an earlier
    submission with the same key."""

    disposition: Disposition
    is_replay: bool


def submit_disposition(
    agent: Staff,
    call_id: Any,
    *,
    status_code: str,
    answers: Mapping[str, Any],
    idempotency_key: str,
    products: Iterable[ProductLine] = (),
    note: str = "",
    callback_at: datetime.datetime | None = None,
    callback_agent_id: int | None = None,
    go_ready: bool = True,
    pause_reason: str = "",
    sheet_version: int | None = None,
) -> Recorded:
    """Close one of the agent's calls: the status, the work sheet's answers (checked as the back
    office defined them) and, for a sale, its products, which go to quality review.

    Idempotent: the same `idempotency_key` again returns what was recorded; another status for
    a call that has one is refused with `Conflict`. A naive `callback_at` is the lead's local
    time. The engine is told on commit (it hangs the call up if it is still going).
    """
    if not isinstance(idempotency_key, str) or not IDEMPOTENCY_KEY_PATTERN.fullmatch(
        idempotency_key
    ):
        raise ValidationError(
            {"idempotency_key": [_("Send a key of 8 to 64 letters, digits, - or _.")]}
        )
    # With what the checks read: the company's statuses, the work sheet, the called number.
    attempt = access_call(
        agent, call_id, "campaign__client__company", "campaign__work_sheet", "phone"
    )
    with transaction.atomic():
        # The row lock makes two submissions at once wait for each other; the call's status and
        # outcome are read under it.
        locked = (
            CallAttempt.objects.select_for_update()
            .filter(pk=attempt.pk)
            .values_list("status_id", "outcome")
            .first()
        )
        if locked is not None:
            attempt.status_id, attempt.outcome = locked
        existing = Disposition.objects.filter(attempt=attempt).select_related("status").first()
        if existing is not None:
            if existing.idempotency_key == idempotency_key:
                age = timezone.now() - existing.created_at
                if attempt.status_id is None and age.total_seconds() > RESEND_AFTER_S:
                    # Long after, and the engine has not closed the call: it may never have heard
                    # of it (a lost command). A quick double submission is not sent twice.
                    _send_on_commit(_disposition_command(existing))
                return Recorded(existing, is_replay=True)
            raise Conflict(
                _("This call has its status already (%(status)s).") % {"status": existing.status}
            )
        if Disposition.objects.filter(agent=agent, idempotency_key=idempotency_key).exists():
            raise ValidationError(
                {"idempotency_key": [_("This key was used for another call; send a new one.")]}
            )
        if attempt.status_id is not None or attempt.outcome != AttemptOutcome.IN_PROGRESS:
            raise Conflict(_("This call is closed already."))
        closing = _check_closing(
            attempt,
            status_code=status_code,
            answers=answers,
            products=products,
            note=note,
            callback_at=callback_at,
            callback_agent_id=callback_agent_id,
            go_ready=go_ready,
            pause_reason=pause_reason,
            sheet_version=sheet_version,
        )
        try:
            with transaction.atomic():
                disposition = _record(agent, attempt, closing, idempotency_key)
        except IntegrityError:
            raise Conflict(_("This call has its status already.")) from None
        _send_on_commit(_disposition_command(disposition, go_ready, closing.pause_reason))
    return Recorded(disposition, is_replay=False)


@dataclass(frozen=True)
class _Closing:
    status: Status
    version: WorkSheetVersion | None
    answers: dict[str, Any]
    lines: list[tuple[Product, int]]
    note: str
    callback_at: datetime.datetime | None
    callback_agent_id: int | None
    pause_reason: str


def _check_closing(
    attempt: CallAttempt,
    *,
    status_code: str,
    answers: Mapping[str, Any],
    products: Iterable[ProductLine],
    note: str,
    callback_at: datetime.datetime | None,
    callback_agent_id: int | None,
    go_ready: bool,
    pause_reason: str,
    sheet_version: int | None,
) -> _Closing:
    """Every check of a closing at once, so the agent sees all the problems together."""
    campaign = attempt.campaign
    errors: dict[str, list[str]] = {}
    statuses = {
        status.code.upper(): status
        for status in selectable_statuses(campaign.client.company, campaign)
    }
    status = statuses.get(status_code.upper()) if isinstance(status_code, str) else None
    if status is None:
        errors["status"] = [_("Choose one of the campaign's statuses.")]
    version = cards.sheet_version(campaign)  # checked against the current one, never cached
    if sheet_version is not None and (version is None or version.number != sheet_version):
        if version is not None and version.sheet.versions.filter(number=sheet_version).exists():
            version = version.sheet.versions.get(number=sheet_version)
        else:
            errors["sheet_version"] = [_("This work sheet version is not the campaign's.")]
    cleaned_answers = _check_answers(attempt, version, answers, status, errors)
    lines = _check_products(campaign, status, products, errors)
    if not isinstance(note, str) or len(note) > MAX_NOTE_LENGTH:
        errors["note"] = [_("At most %(limit)d characters.") % {"limit": MAX_NOTE_LENGTH}]
    due = _check_callback(attempt, status, callback_at, callback_agent_id, errors)
    reason = ""
    if not go_ready:
        reason = pause_reason or AgentPauseReason.OTHER
        if reason not in AgentPauseReason.values:
            errors["pause_reason"] = [_("Choose a pause reason.")]
    if errors:
        raise ValidationError(errors)
    assert status is not None
    return _Closing(
        status=status,
        version=version,
        answers=cleaned_answers,
        lines=lines,
        note=note.replace("\x00", "").strip(),
        callback_at=due,
        callback_agent_id=callback_agent_id if due is not None else None,
        pause_reason=reason,
    )


def _phone_country(attempt: CallAttempt) -> str:
    phone = attempt.phone
    return (phone.country if phone is not None and phone.country else "") or DEFAULT_PHONE_COUNTRY


def _check_answers(
    attempt: CallAttempt,
    version: WorkSheetVersion | None,
    answers: Mapping[str, Any],
    status: Status | None,
    errors: dict[str, list[str]],
) -> dict[str, Any]:
    if version is None:
        return {}
    if not isinstance(answers, Mapping):
        errors["answers"] = [_("The answers must be an object of field keys and values.")]
        return {}
    country = _phone_country(attempt)
    if status is not None and status.category in FULL_SHEET_CATEGORIES:
        try:
            return validate_answers(version, answers, country=country)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors[f"answers.{key}"] = messages
            return {}
    # Not a conversation that fills the sheet: what was given must be right, nothing is required.
    cleaned: dict[str, Any] = {}
    specs = {spec.key: spec for spec in fields_of(version.definition)}
    for key, value in answers.items():
        spec = specs.get(key)
        if spec is None:
            errors[f"answers.{str(key)[:50]}"] = [_("Not a field of this work sheet.")]
            continue
        try:
            cleaned[key] = clean_answer(replace(spec, required=False), value, country=country)
        except ValidationError as error:
            errors[f"answers.{key}"] = error.messages
    return cleaned


def _check_products(
    campaign: Campaign,
    status: Status | None,
    products: Iterable[ProductLine],
    errors: dict[str, list[str]],
) -> list[tuple[Product, int]]:
    given = list(products)
    is_sale = status is not None and status.category == StatusCategory.SALE
    if not is_sale:
        if given:
            errors["products"] = [_("Products are recorded with a sale status only.")]
        return []
    offered = sellable_products(campaign)
    by_id = {product.pk: product for product in offered}
    quantities: dict[int, int] = {}
    for line in given:
        product = by_id.get(line.product_id)
        if product is None:
            errors["products"] = [_("Choose products this campaign sells.")]
            return []
        if not isinstance(line.quantity, int) or not 1 <= line.quantity <= MAX_QUANTITY:
            errors["products"] = [
                _("Give a quantity from 1 to %(limit)d.") % {"limit": MAX_QUANTITY}
            ]
            return []
        quantities[product.pk] = quantities.get(product.pk, 0) + line.quantity
    if offered and not quantities:
        errors["products"] = [_("Add the products sold, with their quantities.")]
    return [(by_id[product_id], quantity) for product_id, quantity in quantities.items()]


def sellable_products(campaign: Campaign) -> list[Product]:
    return list(campaign.products.filter(is_active=True).order_by("name"))


def _check_callback(
    attempt: CallAttempt,
    status: Status | None,
    callback_at: datetime.datetime | None,
    callback_agent_id: int | None,
    errors: dict[str, list[str]],
) -> datetime.datetime | None:
    is_callback = status is not None and status.category == StatusCategory.CALLBACK
    if not is_callback:
        return None
    if callback_at is None:
        errors["callback_at"] = [_("Say when to call back (the lead's local time).")]
        return None
    campaign = attempt.campaign
    zone = cards.lead_zone(attempt.lead, attempt.phone)
    due = callback_at if timezone.is_aware(callback_at) else callback_at.replace(tzinfo=zone)
    # A local time skipped by a clock change does not exist: fold it onto the real one.
    due = due.astimezone(datetime.UTC)
    local = due.astimezone(zone)
    now = timezone.now()
    if due <= now + datetime.timedelta(minutes=1):
        errors["callback_at"] = [_("Choose a time in the future.")]
    elif due > now + datetime.timedelta(days=MAX_CALLBACK_DAYS):
        errors["callback_at"] = [
            _("Choose a time within %(days)d days.") % {"days": MAX_CALLBACK_DAYS}
        ]
    elif not campaign.calling_hours_start <= local.time() < campaign.calling_hours_end:
        errors["callback_at"] = [
            _("The campaign calls from %(start)s to %(end)s, the lead's time (%(zone)s).")
            % {
                "start": campaign.calling_hours_start.strftime("%H:%M"),
                "end": campaign.calling_hours_end.strftime("%H:%M"),
                "zone": zone,
            }
        ]
    elif local.weekday() not in (campaign.calling_days or []):
        errors["callback_at"] = [_("The campaign does not call on that day.")]
    if callback_agent_id is not None and not _may_work(callback_agent_id, campaign):
        errors["callback_agent"] = [_("Choose yourself or someone working on this campaign.")]
    return due if "callback_at" not in errors else None


def _may_work(agent_id: Any, campaign: Campaign) -> bool:
    from dialcrm.dialer.store import may_work

    return isinstance(agent_id, int) and may_work(agent_id, campaign.pk)


def _record(
    agent: Staff, attempt: CallAttempt, closing: _Closing, idempotency_key: str
) -> Disposition:
    disposition = Disposition.objects.create(
        attempt=attempt,
        agent=agent,
        campaign=attempt.campaign,
        lead=attempt.lead,
        status=closing.status,
        sheet_version=closing.version,
        answers=closing.answers,
        note=closing.note,
        callback_at=closing.callback_at,
        callback_agent_id=closing.callback_agent_id,
        idempotency_key=idempotency_key,
    )
    summary = f"status {closing.status.code} for call {attempt.call_id}"
    if closing.status.category == StatusCategory.SALE:
        sale = Sale(
            disposition=disposition,
            campaign=attempt.campaign,
            lead=attempt.lead,
            agent=agent,
            state=SaleState.PENDING,
        )
        sale.save()
        SaleLine.objects.bulk_create(
            SaleLine(sale=sale, product=product, quantity=quantity)
            for product, quantity in closing.lines
        )
        summary += ": " + ", ".join(
            f"{quantity} × {product.code}" for product, quantity in closing.lines
        )
        webhooks.sale_created(sale)
    DeskDraft.objects.filter(attempt=attempt).delete()
    audit.record(
        AuditAction.CREATE,
        instance=disposition,
        company_id=attempt.campaign.client.company_id,
        summary=summary,
    )
    return disposition


def _disposition_command(
    disposition: Disposition, go_ready: bool = True, pause_reason: str = ""
) -> dict[str, Any]:
    return {
        "kind": "disposition",
        "agent_id": disposition.agent_id,
        "call_id": str(disposition.attempt.call_id),
        "status_code": disposition.status.code,
        "callback_at_s": disposition.callback_at.timestamp() if disposition.callback_at else None,
        "callback_agent_id": disposition.callback_agent_id,
        "note": disposition.note[:500],
        "go_ready": go_ready,
        "reason": pause_reason,
    }


# --- team leaders ---------------------------------------------------------------------------------


def may_supervise(user: Any) -> bool:
    return may(user, VIEW, SupervisorAction)


def team_agents(supervisor: Any) -> QuerySet[Staff]:
    """The agents a team leader (or location manager) looks after."""
    if not may_supervise(supervisor):
        return Staff.objects.none()
    return (
        Staff.objects.for_user(supervisor)
        .filter(role=Role.AGENT, is_active=True)
        .select_related("team")
        .order_by("last_name", "first_name", "username")
    )


def supervise(supervisor: Any, agent_id: Any, kind: str) -> SupervisorAction:
    """A team leader pauses or logs out one of their agents; audited. A call in progress is
    never cut: the engine applies both after the call's status."""
    if not may_supervise(supervisor):
        raise PermissionDenied(_("Only team leaders pause or log out agents."))
    if kind not in SupervisorActionKind.values:
        raise ValidationError({"kind": [_("Pause or log out.")]})
    agent = team_agents(supervisor).filter(pk=_whole_number(agent_id)).first()
    if agent is None:
        raise Http404(_("No such agent in your team."))
    with transaction.atomic():
        action = SupervisorAction.objects.create(supervisor=supervisor, agent=agent, kind=kind)
        audit.record(
            AuditAction.UPDATE,
            instance=agent,
            company_id=agent.company_id,
            # The log is written in one language, whoever reads it.
            summary=f"{AUDIT_WORDS[kind]} by team leader {supervisor}",
        )
        if kind == SupervisorActionKind.PAUSE:
            _send_on_commit(
                {"kind": "pause", "agent_id": agent.pk, "reason": PauseReason.SUPERVISOR}
            )
        else:
            DeskSession.objects.filter(agent=agent, ended_at__isnull=True).update(
                ended_at=timezone.now()
            )
            _send_on_commit({"kind": "logout", "agent_id": agent.pk})
    return action


def team_board(supervisor: Any) -> list[dict[str, Any]]:
    """Each agent of the team: state and for how long, campaign, and the call they are on."""
    agents = list(team_agents(supervisor))
    ids = [agent.pk for agent in agents]
    intervals = {
        interval.agent_id: interval
        for interval in AgentStateInterval.objects.filter(agent_id__in=ids, ended_at__isnull=True)
        .select_related("campaign")
        .order_by("started_at")
    }
    calls = {
        attempt.agent_id: attempt
        for attempt in CallAttempt.objects.filter(
            agent_id__in=ids,
            connected_at__isnull=False,
            status__isnull=True,
            outcome=AttemptOutcome.IN_PROGRESS,
        )
        .select_related("lead")
        .order_by("connected_at")
    }
    now = timezone.now()
    board = []
    for agent in agents:
        interval = intervals.get(agent.pk)
        call = calls.get(agent.pk)
        board.append(
            {
                "agent_id": agent.pk,
                "name": str(agent),
                "team": str(agent.team) if agent.team else "",
                "state": interval.state if interval else AgentState.LOGGED_OUT,
                "reason": interval.pause_reason if interval else "",
                "campaign": interval.campaign.name if interval and interval.campaign else "",
                "elapsed_s": max(0.0, (now - interval.started_at).total_seconds())
                if interval
                else 0.0,
                "call": {
                    "number": call.number,
                    "lead": str(call.lead),
                    "elapsed_s": max(0.0, (now - call.connected_at).total_seconds()),
                }
                if call is not None and call.connected_at is not None
                else None,
            }
        )
    return board


# --- helpers ---------------------------------------------------------------------------------------


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
