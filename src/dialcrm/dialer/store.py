"""The engine's database work: claiming leads for the hopper, recording attempts and their
outcomes with the lead's and number's new state in one transaction, agent state intervals, and
recovery after a restart.

Plain synchronous Django ORM: the engine runs these in its one database thread. Times cross this
boundary as epoch seconds (the engine's clock) and are stored as aware datetimes.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from dialcrm.campaigns import dnc
from dialcrm.campaigns.choices import (
    CampaignState,
    LeadState,
    ObjectiveKind,
    StatusCategory,
    StopReason,
)
from dialcrm.campaigns.models import Campaign, Lead, Phone, Status
from dialcrm.dialer.choices import AttemptOutcome
from dialcrm.dialer.core.compliance import (
    ComplianceRules,
    DialHistory,
    local_time,
    next_attempt_at,
    refusal_reason,
)
from dialcrm.dialer.core.outcomes import CallOutcome
from dialcrm.dialer.models import AgentStateInterval, CallAttempt, Callback
from dialcrm.dialer.writer import runs_together
from dialcrm.reports import rollups
from dialcrm.webhooks import services as webhooks

UTC = datetime.UTC


def at(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=UTC)


def seconds(moment: datetime.datetime) -> float:
    return moment.timestamp()


@dataclass(frozen=True)
class CampaignSettings:
    """What the engine needs of a campaign, read once per (re)load."""

    campaign_id: int
    company_id: int
    name: str
    state: str
    dial_mode: str
    abandon_cap: float
    connect_window_s: float
    ring_timeout_s: float
    caller_id: str
    machine_handling: str
    safe_harbour_message: str
    machine_message: str
    record_calls: bool
    rules: ComplianceRules
    calling_days: frozenset[int]
    redial_only_when_all_busy: bool
    dnc_list_ids: tuple[int, ...]
    list_priorities: dict[int, int]
    objective_target: int
    max_wrap_up_s: float = 120.0
    assigned_agents: int = 0  # the people who may work on it (`assigned_agent_count`)
    # The campaign's own clock (its location's time zone): the hours its abandon rate is
    # counted in, and the hour of day its pacing learns by.
    time_zone: str = "UTC"


OUTCOME_DELAYS = {
    StatusCategory.NO_ANSWER: CallOutcome.NO_ANSWER,
    StatusCategory.BUSY: CallOutcome.BUSY,
    StatusCategory.ANSWERING_MACHINE: CallOutcome.MACHINE,
    StatusCategory.ABANDONED: CallOutcome.ABANDONED,
    StatusCategory.FAILED: CallOutcome.FAILED,
}


def load_campaign(campaign_id: int) -> CampaignSettings:
    campaign = Campaign.objects.select_related("client", "location").get(pk=campaign_id)
    statuses = {status.category: status for status in campaign.statuses.all()}
    delays: dict[CallOutcome, float] = {}
    for category, outcome in OUTCOME_DELAYS.items():
        status = statuses.get(category)
        minutes = campaign.redial_delays.get(status.code) if status else None
        if minutes is None and status is not None:
            minutes = status.retry_after_minutes
        delays[outcome] = (
            float(
                minutes
                if minutes is not None
                else {
                    CallOutcome.NO_ANSWER: 60,
                    CallOutcome.BUSY: 15,
                    CallOutcome.MACHINE: 120,
                    CallOutcome.ABANDONED: 60,
                    CallOutcome.FAILED: 30,
                }[outcome]
            )
            * 60
        )
    block = campaign.no_redial_after_abandon_hours
    rules = ComplianceRules(
        calling_start=campaign.calling_hours_start,
        calling_end=campaign.calling_hours_end,
        max_attempts_per_number=campaign.max_attempts_per_number,
        max_attempts_per_lead=campaign.max_attempts_per_lead,
        redial_delay_s=delays,
        abandoned_redial_block_s=block * 3600.0 if block else None,
    )
    return CampaignSettings(
        campaign_id=campaign.pk,
        company_id=campaign.client.company_id,
        name=campaign.name,
        state=campaign.state,
        dial_mode=campaign.dial_mode,
        abandon_cap=float(campaign.max_abandon_rate) / 100,
        connect_window_s=float(campaign.connect_window_s),
        ring_timeout_s=float(campaign.ring_timeout_s),
        caller_id=campaign.caller_id,
        machine_handling=campaign.machine_handling,
        safe_harbour_message=campaign.safe_harbour_message,
        machine_message=campaign.machine_message,
        record_calls=campaign.record_calls,
        rules=rules,
        calling_days=frozenset(campaign.calling_days),
        redial_only_when_all_busy=campaign.redial_only_when_all_busy,
        dnc_list_ids=tuple(campaign.dnc_lists.values_list("pk", flat=True)),
        list_priorities=dict(
            campaign.list_links.filter(is_active=True, call_list__is_active=True).values_list(
                "call_list_id", "priority"
            )
        ),
        objective_target=campaign.objective_target,
        max_wrap_up_s=float(campaign.max_wrap_up_s),
        assigned_agents=assigned_agent_count(campaign.pk),
        time_zone=campaign.location.time_zone or "UTC",
    )


def campaign_states(campaign_ids: list[int]) -> dict[int, str]:
    return dict(Campaign.objects.filter(pk__in=campaign_ids).values_list("pk", "state"))


def running_campaign_ids() -> list[int]:
    return list(Campaign.objects.filter(state=CampaignState.RUNNING).values_list("pk", flat=True))


# --- ownership ---------------------------------------------------------------------------------

_LOCK_NAMESPACE = 0x44434D  # "DCM": keeps our advisory locks apart from other users'


def try_own(campaign_id: int) -> bool:
    """Take the campaign for this engine (a session-level PostgreSQL advisory lock, released
    when the engine's connection ends, so a dead engine's campaigns are free at once). The
    embedded SQLite database runs one engine, which owns everything."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, campaign_id])
        return bool(cursor.fetchone()[0])


def release(campaign_id: int) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, campaign_id])


_ENGINE_NAMESPACE = _LOCK_NAMESPACE + 1


def register_engine(engine_key: int) -> None:
    """Say this engine is alive (a lock held as long as its connection), so that engines can
    count each other and split the campaigns."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_ENGINE_NAMESPACE, engine_key])


def ownership() -> tuple[set[int] | None, int]:
    """The campaigns this engine's connection holds (None: the database has no locks, one
    engine owns all), and how many engines are alive."""
    if connection.vendor != "postgresql":
        return None, 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT classid::int, objid::int, pid = pg_backend_pid() FROM pg_locks"
            " WHERE locktype = 'advisory' AND granted AND classid IN (%s, %s)",
            [_LOCK_NAMESPACE, _ENGINE_NAMESPACE],
        )
        rows = cursor.fetchall()
    mine = {objid for classid, objid, is_mine in rows if classid == _LOCK_NAMESPACE and is_mine}
    engines = sum(1 for classid, _objid, _mine in rows if classid == _ENGINE_NAMESPACE)
    return mine, max(1, engines)


# --- the hopper ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HopperLead:
    """A lead claimed for dialing, with the number to dial and what is known about it."""

    lead_id: int
    phone_id: int
    number: str
    time_zone: str
    list_id: int
    region: str
    attempts: int
    last_outcome: str
    is_callback: bool
    due_at_s: float


_OUTCOMES = {outcome.value: outcome for outcome in CallOutcome}


@dataclass(slots=True)
class _LeadRow:
    pk: int
    state: str
    attempts: int
    next_call_at: datetime.datetime | None
    region: str
    call_list_id: int
    dialable_phones: list[_PhoneRow]


@dataclass(slots=True)
class _PhoneRow:
    pk: int
    number: str
    time_zone: str
    attempts: int
    last_called_at: datetime.datetime | None
    last_outcome: str


def _moment(value: Any) -> datetime.datetime | None:
    """An aware datetime from a plain SQL row (SQLite gives naive UTC ones)."""
    if value is None:
        return None
    moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime.datetime)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _history(lead: _LeadRow, phone: _PhoneRow) -> DialHistory:
    last_outcome = _OUTCOMES.get(phone.last_outcome)
    ended_s = seconds(phone.last_called_at) if phone.last_called_at else None
    return DialHistory(
        attempts_on_number=phone.attempts,
        attempts_on_lead=lead.attempts,
        # Callbacks and agents' statuses set the lead's own next call time; the automatic
        # redial delays apply to the dialer's own outcomes only.
        last_outcome=last_outcome if lead.state != LeadState.CALLBACK else None,
        last_ended_at_s=ended_s,
        last_abandoned_at_s=ended_s if last_outcome is CallOutcome.ABANDONED else None,
    )


def _best_phone(
    lead: _LeadRow, settings: CampaignSettings, now_s: float, blocked: set[str]
) -> _PhoneRow | None:
    """The first of the lead's numbers (by priority) that may be dialled now."""
    for phone in lead.dialable_phones:
        zone = phone.time_zone or "UTC"
        if local_time(now_s, zone).weekday() not in settings.calling_days:
            continue
        if (
            refusal_reason(
                phone.number, zone, _history(lead, phone), now_s, settings.rules, blocked
            )
            is None
        ):
            return phone
    return None


def _in(values: list[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _lock_skipping_held() -> str:
    features = connection.features
    if features.has_select_for_update and features.has_select_for_update_skip_locked:
        return " FOR UPDATE SKIP LOCKED"
    return ""  # SQLite: one engine, one writer at a time


_LEAD_COLUMNS = "id, state, attempts, next_call_at, region, call_list_id"

# Where each list's new leads are read from: after the last new lead this process claimed.
# Claimed leads leave dead index entries behind them until the table is vacuumed; reading from
# the start each time would walk all of them (thousands, in a long shift) before the first lead
# to call. A list read to its end is read again from its start within the same claim, so leads
# given back (a pause, a shutdown) or claimed elsewhere and given back are called too.
_new_leads_after: dict[int, int] = {}


def _claimable(list_id: int, now: datetime.datetime, limit: int) -> list[_LeadRow]:
    """Up to `limit` of a list's leads to call, locked, skipping those another engine holds:
    callbacks and retries that are due, then new leads. Each query walks an index, (list,
    state, next call) or (list, state, id), and stops at its limit."""
    lock = _lock_skipping_held()
    due_at = _db_value(Lead, "next_call_at", now)
    rows = _rows(
        f"SELECT {_LEAD_COLUMNS} FROM {Lead._meta.db_table} WHERE call_list_id = %s"
        f" AND state IN (%s, %s) AND next_call_at <= %s ORDER BY state, next_call_at"
        f" LIMIT %s{lock}",
        [list_id, LeadState.CALLBACK, LeadState.RETRY, due_at, limit],
    )
    if len(rows) < limit:
        after = _new_leads_after.get(list_id, 0)
        fresh = _new_leads(list_id, f"id > {int(after)}", limit - len(rows), lock)
        if len(fresh) < limit - len(rows) and after:
            fresh += _new_leads(
                list_id, f"id <= {int(after)}", limit - len(rows) - len(fresh), lock
            )
        rows += fresh
    return [
        _LeadRow(pk, state, attempts, _moment(next_call_at), region, call_list_id, [])
        for pk, state, attempts, next_call_at, region, call_list_id in rows
    ]


def _new_leads(list_id: int, range_sql: str, limit: int, lock: str) -> list[tuple[Any, ...]]:
    return _rows(
        f"SELECT {_LEAD_COLUMNS} FROM {Lead._meta.db_table} WHERE call_list_id = %s"
        f" AND state = %s AND {range_sql} ORDER BY id LIMIT %s{lock}",
        [list_id, LeadState.NEW, limit],
    )


def _commit_without_waiting_for_disk() -> None:
    """A claim need not wait for its commit to reach the disk: a dial waits for its attempt's
    record, whose commit (waited for) comes later and makes the claim durable with it. Were the
    database to lose a claim in a crash, no call was placed for it, and the lead is new again."""
    if connection.vendor == "postgresql":
        _execute("SET LOCAL synchronous_commit TO OFF", [])


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _set_lead_state(lead_ids: list[int], state: str, *, only_from: str | None = None) -> None:
    if not lead_ids:
        return
    condition = " AND state = %s" if only_from else ""
    _execute(
        f"UPDATE {Lead._meta.db_table} SET state = %s WHERE id IN ({_in(lead_ids)}){condition}",
        [state, *lead_ids, *([only_from] if only_from else [])],
    )


def claim_leads(settings: CampaignSettings, limit: int, now_s: float) -> list[HopperLead]:
    """Claim up to `limit` due leads of the campaign's lists (callbacks first, then by list
    priority and due time), skipping rows other engines hold (SKIP LOCKED), and mark them in a
    call, so no lead is ever dialled twice. Leads that may not be called now (calling hours, DNC,
    attempts) are left as they are, or finished when they can never be called again.

    Plain SQL, few statements (the leads of each list, their numbers, the do-not-call check,
    the update): the engine claims often, in small batches, beside its other work."""
    if not settings.list_priorities or limit <= 0:
        return []
    now = at(now_s)
    wanted = limit * 2
    with transaction.atomic():
        _commit_without_waiting_for_disk()
        rows: list[_LeadRow] = []
        for list_id in sorted(settings.list_priorities, key=settings.list_priorities.__getitem__):
            rows += _claimable(list_id, now, wanted - len(rows))
            if len(rows) >= wanted:
                break
        if not rows:
            return []
        by_lead = {lead.pk: lead for lead in rows}
        lead_ids = list(by_lead)
        numbers: list[str] = []
        for pk, lead_id, number, zone, attempts, last_called_at, last_outcome in _rows(
            f"SELECT id, lead_id, number, time_zone, attempts, last_called_at, last_outcome"
            f" FROM {Phone._meta.db_table} WHERE lead_id IN ({_in(lead_ids)})"
            " AND is_dialable = %s ORDER BY priority, id",
            [*lead_ids, True],
        ):
            by_lead[lead_id].dialable_phones.append(
                _PhoneRow(pk, number, zone, attempts, _moment(last_called_at), last_outcome)
            )
            numbers.append(number)
        blocked = dnc.is_blocked(settings.company_id, numbers, settings.dnc_list_ids or None)
        claimed: list[HopperLead] = []
        finished: list[int] = []
        for lead in rows:
            if not lead.dialable_phones or lead.attempts >= settings.rules.max_attempts_per_lead:
                finished.append(lead.pk)
                continue
            if len(claimed) >= limit:
                continue
            phone = _best_phone(lead, settings, now_s, blocked)
            if phone is None:
                continue
            claimed.append(
                HopperLead(
                    lead_id=lead.pk,
                    phone_id=phone.pk,
                    number=phone.number,
                    time_zone=phone.time_zone or "UTC",
                    list_id=lead.call_list_id,
                    region=lead.region,
                    attempts=lead.attempts,
                    last_outcome=phone.last_outcome,
                    is_callback=lead.state == LeadState.CALLBACK,
                    due_at_s=seconds(lead.next_call_at) if lead.next_call_at else 0.0,
                )
            )
        _set_lead_state([lead.lead_id for lead in claimed], LeadState.IN_CALL)
        reached: dict[int, int] = {}
        for taken in claimed:
            if by_lead[taken.lead_id].state == LeadState.NEW:
                reached[taken.list_id] = max(reached.get(taken.list_id, 0), taken.lead_id)
        _new_leads_after.update(reached)
        _set_lead_state(finished, LeadState.FINAL)
    claimed.sort(
        key=lambda lead: (not lead.is_callback, settings.list_priorities.get(lead.list_id, 99))
    )
    return claimed


def release_leads(leads: list[HopperLead]) -> None:
    """Give back claimed leads that were not dialled (a pause, a stop, a shutdown)."""
    by_state: dict[str, list[int]] = {}
    for lead in leads:
        state = (
            LeadState.CALLBACK
            if lead.is_callback
            else (LeadState.RETRY if lead.attempts else LeadState.NEW)
        )
        by_state.setdefault(state, []).append(lead.lead_id)
    for state, lead_ids in by_state.items():
        _set_lead_state(lead_ids, state, only_from=LeadState.IN_CALL)


# --- attempts --------------------------------------------------------------------------------------


def create_attempts(dials: list[tuple[CampaignSettings, HopperLead, str, float]]) -> list[None]:
    """The attempts of many dials (each: campaign, lead, call id, time of the decision), in
    one statement."""
    _insert_many(
        CallAttempt,
        [
            {
                "call_id": uuid.UUID(str(call_id)),
                "campaign_id": settings.campaign_id,
                "lead_id": lead.lead_id,
                "phone_id": lead.phone_id,
                "number": lead.number,
                "mode": settings.dial_mode,
                "dialed_at": at(now_s),
            }
            for settings, lead, call_id, now_s in dials
        ],
    )
    return [None] * len(dials)


@runs_together(create_attempts)
def create_attempt(
    settings: CampaignSettings, lead: HopperLead, call_id: str, now_s: float
) -> None:
    """A dial's attempt, stored before the call is placed (the engine's dials' thread runs
    the dials queued together as one `create_attempts`)."""
    create_attempts([(settings, lead, call_id, now_s)])


# The engine's hot statements are plain SQL (portable to SQLite): for a one-row statement the
# ORM spends far longer building and compiling the query than the database spends running it.


def _execute(sql: str, params: list[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _db_value(model: Any, name: str, value: Any) -> Any:
    return model._meta.get_field(name).get_db_prep_save(value, connection)


def _row(fields: list[Any], values: dict[str, Any]) -> list[Any]:
    """A row's parameters: every column given or its field's default."""
    return [
        field.get_db_prep_save(
            values[field.attname] if field.attname in values else field.get_default(),
            connection,
        )
        for field in fields
    ]


def _insert(model: Any, **values: Any) -> int:
    """INSERT one row, every column given or its field's default; returns the new id."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(field.column for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    params = _row(fields, values)
    sql = f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:
            cursor.execute(f"{sql} RETURNING {model._meta.pk.column}", params)
            return int(cursor.fetchone()[0])
        cursor.execute(sql, params)
        return int(cursor.lastrowid)


def _insert_many(model: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows, each with the same columns given (the others take their field's
    default), in one batch of statements."""
    if not rows:
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    given = [field for field in fields if field.attname in rows[0]]
    defaults = [
        field.get_db_prep_save(field.get_default(), connection)
        for field in fields
        if field.attname not in rows[0]
    ]
    columns = ", ".join(field.column for field in given + [f for f in fields if f not in given])
    placeholders = ", ".join(["%s"] * len(fields))
    params = [
        [field.get_db_prep_save(values[field.attname], connection) for field in given] + defaults
        for values in rows
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
            return
        size = max(1, connection.ops.bulk_batch_size(fields, rows))
        for start in range(0, len(params), size):
            chunk = params[start : start + size]
            cursor.execute(
                f"INSERT INTO {model._meta.db_table} ({columns})"
                f" VALUES {', '.join([f'({placeholders})'] * len(chunk))}",
                [param for row in chunk for param in row],
            )


def _attempt_for_update(call_id: str) -> CallAttempt | None:
    """The attempt with this call id (and its lead's `call_list_id`), locked for the rest of
    the transaction with its lead."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    attempts, leads = CallAttempt._meta.db_table, Lead._meta.db_table
    rows = CallAttempt.objects.raw(
        f"SELECT {attempts}.*, {leads}.call_list_id FROM {attempts}"
        f" JOIN {leads} ON {leads}.id = {attempts}.lead_id WHERE call_id = %s{lock}",
        [_db_value(CallAttempt, "call_id", uuid.UUID(str(call_id)))],
    )
    return next(iter(rows), None)


def _update_attempt(call_id: str, condition: str = "", **values: Any) -> int:
    """UPDATE one attempt by its call id; `condition` adds SQL to the WHERE clause."""
    assignments = ", ".join(f"{CallAttempt._meta.get_field(name).column} = %s" for name in values)
    return _execute(
        f"UPDATE {CallAttempt._meta.db_table} SET {assignments} WHERE call_id = %s{condition}",
        [_db_value(CallAttempt, name, value) for name, value in values.items()]
        + [_db_value(CallAttempt, "call_id", uuid.UUID(str(call_id)))],
    )


def mark_answered(call_id: str, answered_s: float, answered_by: str) -> None:
    _update_attempt(call_id, answered_at=at(answered_s), answered_by=answered_by)


def mark_connected(
    call_id: str, agent_id: int, connected_s: float, wait_s: float, recording: str = ""
) -> None:
    """A call was put through to an agent; `recording` names its recording (quality review
    plays it) when the campaign records calls."""
    _update_attempt(
        call_id,
        agent_id=agent_id,
        connected_at=at(connected_s),
        wait_s=wait_s,
        recording=recording,
    )


def mark_transferred(call_id: str, from_agent_id: int, to_agent_id: int, at_s: float) -> None:
    """A call went from one agent to another: it is the new agent's to close."""
    CallAttempt.objects.filter(call_id=call_id).update(
        agent_id=to_agent_id, transferred_from_id=from_agent_id, transferred_at=at(at_s)
    )


def mark_ended(call_id: str, ended_s: float) -> None:
    """A connected call was hung up; the agent's status closes the attempt."""
    _update_attempt(call_id, " AND ended_at IS NULL", ended_at=at(ended_s))


def finish_attempt(
    settings: CampaignSettings,
    call_id: str,
    outcome: CallOutcome,
    ended_s: float,
    *,
    cause: str = "",
    cause_code: int | None = None,
    wait_s: float | None = None,
) -> None:
    """Close an attempt the dialer decided alone (no agent's status): busy, no answer, machine,
    failed, abandoned; the number and the lead get their next call time or are finished, in the
    same transaction: four statements, none of them a read of the lead or its numbers."""
    ended = at(ended_s)
    with transaction.atomic(savepoint=False):
        attempt = _attempt_for_update(call_id)
        if attempt is None or attempt.outcome != AttemptOutcome.IN_PROGRESS:
            return  # unknown, or closed already (a duplicate event after a reconnect)
        attempt.outcome = outcome.value
        attempt.ended_at = ended
        attempt.cause = cause
        attempt.cause_code = cause_code
        attempt.is_abandoned = outcome is CallOutcome.ABANDONED
        if wait_s is not None:
            attempt.wait_s = wait_s
        _update_attempt(
            call_id,
            outcome=attempt.outcome,
            ended_at=ended,
            cause=cause,
            cause_code=cause_code,
            is_abandoned=attempt.is_abandoned,
            wait_s=attempt.wait_s,
        )
        _schedule_next(settings, attempt, outcome, ended_s)
        rollups.count_finished_attempt(attempt, attempt.call_list_id)
        webhooks.call_ended(settings.company_id, attempt, settings.name)


def _schedule_next(
    settings: CampaignSettings, attempt: CallAttempt, outcome: CallOutcome, ended_s: float
) -> None:
    """The number's and the lead's next state, one UPDATE each: the number stops being
    dialled at its last attempt; the lead is retried when its outcome allows a redial and it
    has attempts left and a number still dialable, and is final otherwise."""
    ended = _db_value(Phone, "last_called_at", at(ended_s))
    rules = settings.rules
    _execute(
        f"UPDATE {Phone._meta.db_table} SET attempts = attempts + 1, last_called_at = %s,"
        " last_outcome = %s,"
        " is_dialable = CASE WHEN attempts + 1 >= %s THEN %s ELSE is_dialable END"
        " WHERE id = %s",
        [ended, outcome.value, rules.max_attempts_per_number, False, attempt.phone_id],
    )
    due_s = next_attempt_at(outcome, ended_s, rules)
    lead_table, phone_table = Lead._meta.db_table, Phone._meta.db_table
    if due_s is None:
        _execute(
            f"UPDATE {lead_table} SET attempts = attempts + 1, last_called_at = %s, state = %s,"
            " next_call_at = NULL WHERE id = %s",
            [ended, LeadState.FINAL, attempt.lead_id],
        )
        return
    is_final = (
        f"attempts + 1 >= %s OR NOT EXISTS (SELECT 1 FROM {phone_table} WHERE"
        f" {phone_table}.lead_id = {lead_table}.id AND {phone_table}.is_dialable = %s)"
    )
    limit = rules.max_attempts_per_lead
    _execute(
        f"UPDATE {lead_table} SET attempts = attempts + 1, last_called_at = %s,"
        f" state = CASE WHEN {is_final} THEN %s ELSE %s END,"
        f" next_call_at = CASE WHEN {is_final} THEN NULL ELSE %s END WHERE id = %s",
        [
            ended,
            limit,
            True,
            LeadState.FINAL,
            LeadState.RETRY,
            limit,
            True,
            _db_value(Lead, "next_call_at", at(due_s)),
            attempt.lead_id,
        ],
    )


def record_disposition(
    settings: CampaignSettings,
    call_id: str,
    status_code: str,
    ended_s: float,
    *,
    callback_at_s: float | None = None,
    callback_agent_id: int | None = None,
    note: str = "",
) -> None:
    """Close a connected attempt with the agent's status: the status decides what follows
    (final, retried after its delay, a callback, do-not-call)."""
    from dialcrm.campaigns.dnc import add_to_internal_dnc

    status = Status.objects.get(
        company_id=settings.company_id, code__iexact=status_code, is_active=True
    )
    with transaction.atomic(savepoint=False):
        attempt = _attempt_for_update(call_id)
        if attempt is None:
            raise CallAttempt.DoesNotExist(f"no attempt for call {call_id}")
        if attempt.status_id is not None:
            return  # recorded already: a retried submission records once
        attempt.status = status
        was_in_progress = attempt.outcome == AttemptOutcome.IN_PROGRESS
        if was_in_progress:
            attempt.outcome = (
                AttemptOutcome.MACHINE
                if status.category == StatusCategory.ANSWERING_MACHINE
                else AttemptOutcome.CONTACT
            )
        if attempt.ended_at is None:
            attempt.ended_at = at(ended_s)
        _update_attempt(
            call_id, status_id=status.pk, outcome=attempt.outcome, ended_at=attempt.ended_at
        )
        _execute(
            f"UPDATE {Phone._meta.db_table} SET attempts = attempts + 1, last_called_at = %s,"
            " last_outcome = %s WHERE id = %s",
            [_db_value(Phone, "last_called_at", at(ended_s)), status.category, attempt.phone_id],
        )
        lead = Lead.objects.select_for_update().get(pk=attempt.lead_id)
        lead.attempts += 1
        lead.last_called_at = at(ended_s)
        lead.last_status = status
        if status.category == StatusCategory.CALLBACK:
            lead.state = LeadState.CALLBACK
            lead.next_call_at = at(callback_at_s or ended_s + 3600)
            Callback.objects.create(
                campaign_id=settings.campaign_id,
                lead=lead,
                agent_id=callback_agent_id,
                due_at=lead.next_call_at,
                note=note[:500],
                created_by_id=attempt.agent_id,
            )
        elif status.category == StatusCategory.WRONG_NUMBER:
            Phone.objects.filter(pk=attempt.phone_id).update(is_dialable=False)
            has_number = Phone.objects.filter(lead=lead, is_dialable=True).exists()
            lead.state = LeadState.RETRY if has_number else LeadState.FINAL
            lead.next_call_at = at(ended_s) if has_number else None
        elif status.is_final:
            lead.state = LeadState.FINAL
            lead.next_call_at = None
            if status.category == StatusCategory.DO_NOT_CALL:
                add_to_internal_dnc(
                    settings.company_id, attempt.number, source=f"status {status.code}"
                )
        else:
            lead.state = LeadState.RETRY
            lead.next_call_at = at(ended_s + (status.retry_after_minutes or 60) * 60)
        lead.save(
            update_fields=["attempts", "last_called_at", "last_status", "state", "next_call_at"]
        )
        webhooks.call_ended(settings.company_id, attempt, settings.name, status.code)
        if was_in_progress:
            rollups.count_finished_attempt(attempt, lead.call_list_id)


def in_progress_attempts(campaign_id: int) -> list[tuple[int, str, int]]:
    """(attempt id, call id, lead id) of the campaign's attempts not closed yet."""
    return [
        (pk, str(call_id), lead_id)
        for pk, call_id, lead_id in CallAttempt.objects.filter(
            campaign_id=campaign_id, outcome=AttemptOutcome.IN_PROGRESS
        ).values_list("pk", "call_id", "lead_id")
    ]


def recover_campaign(settings: CampaignSettings, live_call_ids: set[str], now_s: float) -> int:
    """After a restart: attempts the phone system no longer holds are closed as failed (their
    leads rescheduled), and leads left claimed without a call are given back. Returns how many
    attempts were closed."""
    closed = 0
    for _attempt_id, call_id, _lead_id in in_progress_attempts(settings.campaign_id):
        if call_id not in live_call_ids:
            finish_attempt(settings, call_id, CallOutcome.FAILED, now_s, cause="engine_restart")
            closed += 1
    live_leads = CallAttempt.objects.filter(
        campaign_id=settings.campaign_id, outcome=AttemptOutcome.IN_PROGRESS
    ).values("lead_id")
    stuck = Lead.objects.filter(
        call_list_id__in=list(settings.list_priorities), state=LeadState.IN_CALL
    ).exclude(pk__in=live_leads)
    stuck.filter(attempts=0).update(state=LeadState.NEW)
    stuck.filter(attempts__gt=0).update(state=LeadState.RETRY)
    return closed


# --- agents' time ----------------------------------------------------------------------------------


def open_interval(
    agent_id: int,
    campaign_id: int | None,
    state: str,
    started_s: float,
    pause_reason: str = "",
    attempt_id: int | None = None,
) -> int:
    return _insert(
        AgentStateInterval,
        agent_id=agent_id,
        campaign_id=campaign_id,
        state=state,
        pause_reason=pause_reason,
        started_at=at(started_s),
        attempt_id=attempt_id,
    )


def close_interval(interval_id: int, ended_s: float) -> None:
    AgentStateInterval.objects.filter(pk=interval_id, ended_at__isnull=True).update(
        ended_at=at(ended_s)
    )


def close_open_intervals(agent_ids: list[int], ended_s: float) -> None:
    if not agent_ids:
        return
    placeholders = ", ".join(["%s"] * len(agent_ids))
    _execute(
        f"UPDATE {AgentStateInterval._meta.db_table} SET ended_at = %s"
        f" WHERE agent_id IN ({placeholders}) AND ended_at IS NULL",
        [_db_value(AgentStateInterval, "ended_at", at(ended_s)), *agent_ids],
    )


def agent_names(agent_ids: list[int]) -> dict[int, str]:
    from dialcrm.org.models import Staff

    return {staff.pk: str(staff) for staff in Staff.objects.filter(pk__in=agent_ids)}


def may_work(agent_id: int, campaign_id: int) -> bool:
    """The person is active and may work on the campaign (`assigned_campaigns`). Plain SQL,
    one statement: a floor's agents log in at once (0.6 ms a check; the ORM's three queries
    took 7 ms)."""
    from dialcrm.org.models import Staff

    sql = (
        f"SELECT EXISTS (SELECT 1 FROM {Staff._meta.db_table} WHERE id = %s AND is_active)"
        f" AND %s IN ({_assigned_campaigns_sql('%s')})"
    )
    return bool(_rows(sql, [agent_id, campaign_id, agent_id, agent_id, agent_id])[0][0])


def assigned_agent_count(campaign_id: int) -> int:
    """How many active people may work on the campaign (`may_work`)."""
    from dialcrm.org.models import Staff

    sql = (
        f"SELECT count(*) FROM {Staff._meta.db_table} person"
        f" WHERE person.is_active AND %s IN ({_assigned_campaigns_sql('person.id')})"
    )
    return int(_rows(sql, [campaign_id])[0][0])


def assigned_campaigns(person_id: int) -> RawSQL:
    """The ids of the campaigns a person may work on: assigned to them in person, or to a team
    they work in or lead (for `pk__in`)."""
    return RawSQL(_assigned_campaigns_sql("%s"), [person_id, person_id, person_id])


def _assigned_campaigns_sql(person: str) -> str:
    """The campaigns of the person whose id is `person` (a parameter, given three times, or a
    column of the statement around it)."""
    from dialcrm.org.models import Staff, Team

    agents, teams = Campaign.agents.through._meta.db_table, Campaign.teams.through._meta.db_table
    return (
        f"SELECT campaign_id FROM {agents} WHERE staff_id = {person}"
        f" UNION ALL SELECT assigned.campaign_id FROM {teams} assigned"
        f" JOIN {Team._meta.db_table} team ON team.id = assigned.team_id"
        f" WHERE team.leader_id = {person}"
        f" OR team.id = (SELECT team_id FROM {Staff._meta.db_table} WHERE id = {person})"
    )


def lead_card(lead_id: int) -> dict[str, Any]:
    """What the agent's desk shows when a call connects (the desk issue enriches it)."""
    lead = Lead.objects.get(pk=lead_id)
    return {
        "lead_id": lead.pk,
        "name": str(lead),
        "phones": list(lead.phones.values_list("number", flat=True)),
        "custom": lead.custom,
    }


def abandon_history(campaign_id: int, since_s: float) -> list[tuple[float, bool]]:
    """(answered at, abandoned) of the campaign's live answers since `since_s`, oldest first:
    the abandon ledger is rebuilt from them when an engine takes a campaign over."""
    rows = (
        CallAttempt.objects.filter(campaign_id=campaign_id, answered_at__gte=at(since_s))
        .filter(Q(is_abandoned=True) | Q(connected_at__isnull=False))
        .order_by("answered_at")
        .values_list("answered_at", "is_abandoned")
    )
    return [(seconds(answered_at), abandoned) for answered_at, abandoned in rows]


# --- stop conditions --------------------------------------------------------------------------


def _objective_reached(campaign_id: int, kind: str, target: int) -> bool:
    """Sales: the accepted sales (quality's count). Appointments and information: the leads
    whose call on this campaign ended with a positive-contact or sale status (an appointment
    set, a prospect informed), each lead counted once."""
    if kind == ObjectiveKind.SALES:
        # Imported here: quality reaches the engine through the desk (a cycle at import time).
        from dialcrm.quality.services import objective_progress

        done = objective_progress([campaign_id]).get(campaign_id, 0)
    else:
        done = (
            CallAttempt.objects.filter(
                campaign_id=campaign_id,
                status__category__in=(StatusCategory.POSITIVE_CONTACT, StatusCategory.SALE),
            )
            .values("lead_id")
            .distinct()
            .count()
        )
    return done >= target


def _list_exhausted(settings: CampaignSettings) -> bool:
    """No lead of the campaign's lists can ever be dialled again: every one is final, out of
    attempts, or without a number that may still be called. A lead waiting for its redial time,
    a callback or calling hours is still to call."""
    if not settings.list_priorities:
        return True
    rules = settings.rules
    callable_number = Phone.objects.filter(
        lead_id=OuterRef("pk"), is_dialable=True, attempts__lt=rules.max_attempts_per_number
    )
    return not (
        Lead.objects.filter(
            call_list_id__in=list(settings.list_priorities),
            state__in=(LeadState.NEW, LeadState.RETRY, LeadState.CALLBACK, LeadState.IN_CALL),
            attempts__lt=rules.max_attempts_per_lead,
        )
        .filter(Exists(callable_number))
        .exists()
    )


def stop_condition(settings: CampaignSettings, now_s: float) -> str | None:
    """Why the campaign must stop now (a StopReason code), or None: its end date has passed in
    its location's time zone, its objective is reached, or its lists are exhausted. The
    objective and end date are read afresh (a manager may change them while it runs). A few
    indexed queries per campaign every STOP_CHECK_S, never per dial."""
    kind, target, ends_on, zone = (
        Campaign.objects.filter(pk=settings.campaign_id)
        .values_list("objective_kind", "objective_target", "ends_on", "location__time_zone")
        .get()
    )
    today = datetime.datetime.fromtimestamp(now_s, ZoneInfo(zone or "UTC")).date()
    reason: StopReason | None = None
    if ends_on is not None and today > ends_on:
        reason = StopReason.ENDED
    elif _objective_reached(settings.campaign_id, kind, target):
        reason = StopReason.OBJECTIVE_REACHED
    elif _list_exhausted(settings):
        reason = StopReason.LIST_EXHAUSTED
    return reason.value if reason is not None else None


def cancel_attempt(call_id: str) -> None:
    """A dial the phone system refused before it rang: not an attempt on the lead; the lead is
    given back as it was."""
    with transaction.atomic(savepoint=False):
        attempt = CallAttempt.objects.select_for_update().filter(call_id=call_id).first()
        if attempt is None or attempt.outcome != AttemptOutcome.IN_PROGRESS:
            return
        attempt.outcome = AttemptOutcome.CANCELLED
        attempt.save(update_fields=["outcome"])
        lead = Lead.objects.get(pk=attempt.lead_id)
        if lead.state == LeadState.IN_CALL:
            lead.state = LeadState.RETRY if lead.attempts else LeadState.NEW
            lead.save(update_fields=["state"])


class DialRefused(Exception):
    """A number an agent asked to dial may not be dialled: a code for why and its parameters
    (the desk words them in the agent's language: `dialcrm.dialer.refusals`)."""

    def __init__(self, code: str, **params: str) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


def manual_lead(settings: CampaignSettings, raw_number: str, now_s: float) -> HopperLead:
    """The lead to record an agent's manual call against: the campaign's lead with this number,
    or a new one on the campaign's list of manual calls. The same rules hold as for the
    dialer's own calls: a valid number, not on a do-not-call list, within calling hours."""
    import phonenumbers
    from phonenumbers import timezone as number_zones

    from dialcrm.campaigns.models import CallList, CampaignList

    campaign = Campaign.objects.select_related("client").get(pk=settings.campaign_id)
    country = (
        CallList.objects.filter(pk__in=list(settings.list_priorities))
        .values_list("default_country", flat=True)
        .first()
        or "RO"
    )
    try:
        parsed = phonenumbers.parse(raw_number, country)
    except phonenumbers.NumberParseException:
        raise DialRefused("not_a_number", number=raw_number) from None
    if not phonenumbers.is_valid_number(parsed):
        raise DialRefused("invalid_number", number=raw_number, country=country)
    number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    zones = [zone for zone in number_zones.time_zones_for_number(parsed) if "/" in zone]
    zone = zones[0] if zones else "UTC"
    if dnc.is_blocked(settings.company_id, [number], settings.dnc_list_ids or None):
        raise DialRefused("do_not_call", number=number)
    local = local_time(now_s, zone)
    if local.weekday() not in settings.calling_days or not (
        settings.rules.calling_start <= local.time() < settings.rules.calling_end
    ):
        raise DialRefused("outside_calling_hours", number=number, time=f"{local:%H:%M}", zone=zone)
    with transaction.atomic():
        phone = (
            Phone.objects.select_related("lead")
            .filter(number=number, lead__call_list__campaign_links__campaign=campaign)
            .first()
        )
        if phone is None:
            manual_list, _ = CallList.objects.get_or_create(
                client=campaign.client, name=f"Manual calls · {campaign.name}"[:200]
            )
            CampaignList.objects.get_or_create(
                campaign=campaign,
                call_list=manual_list,
                defaults={"priority": 99, "is_active": False},
            )
            lead = Lead.objects.create(call_list=manual_list, state=LeadState.IN_CALL)
            phone = Phone.objects.create(
                lead=lead,
                number=number,
                country=phonenumbers.region_code_for_number(parsed) or "",
                time_zone=zone,
            )
        else:
            lead = phone.lead
            if lead.state == LeadState.IN_CALL:
                raise DialRefused("number_in_call", number=number)
            lead.state = LeadState.IN_CALL
            lead.save(update_fields=["state"])
    return HopperLead(
        lead_id=lead.pk,
        phone_id=phone.pk,
        number=number,
        time_zone=zone,
        list_id=lead.call_list_id,
        region=lead.region,
        attempts=lead.attempts,
        last_outcome=phone.last_outcome,
        is_callback=False,
        due_at_s=now_s,
    )
