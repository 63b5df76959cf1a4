"""The hourly roll-up of call attempts (`AttemptHour`): kept in step when the dialer closes an
attempt, and rebuilt from the attempts themselves for a time range.

Both paths count an attempt the same way, so a rebuild gives what the live path gave: an attempt
counts once it is finished (any outcome but "in progress" and "cancelled": a cancelled dial never
rang), in the hour it was dialled.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection, transaction

from dialcrm.dialer.choices import AttemptOutcome

UTC = datetime.UTC

_COUNTERS = (
    "attempts",
    "contacts",
    "connected",
    "abandoned",
    "machines",
    "busy",
    "no_answer",
    "failed",
    "talk_s",
    "wait_s",
)


def hour_of(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _increments(attempt: Any) -> dict[str, float]:
    connected = attempt.connected_at is not None
    talk_s = 0.0
    if connected and attempt.ended_at is not None:
        talk_s = max(0.0, (attempt.ended_at - attempt.connected_at).total_seconds())
    return {
        "attempts": 1,
        "contacts": int(attempt.outcome == AttemptOutcome.CONTACT),
        "connected": int(connected),
        "abandoned": int(bool(attempt.is_abandoned)),
        "machines": int(attempt.outcome == AttemptOutcome.MACHINE),
        "busy": int(attempt.outcome == AttemptOutcome.BUSY),
        "no_answer": int(attempt.outcome == AttemptOutcome.NO_ANSWER),
        "failed": int(attempt.outcome == AttemptOutcome.FAILED),
        "talk_s": talk_s,
        "wait_s": float(attempt.wait_s or 0.0) if connected else 0.0,
    }


def count_finished_attempt(attempt: Any, call_list_id: int) -> None:
    """Add a just-finished attempt to its hour's row, in the caller's transaction (the dialer's,
    which closes the attempt): the roll-up never disagrees with the attempts it sums."""
    if attempt.outcome in (AttemptOutcome.IN_PROGRESS, AttemptOutcome.CANCELLED):
        return
    values = _increments(attempt)
    columns = ", ".join(_COUNTERS)
    placeholders = ", ".join(["%s"] * len(_COUNTERS))
    updates = ", ".join(
        f"{name} = reports_attempthour.{name} + EXCLUDED.{name}" for name in _COUNTERS
    )
    sql = (
        f"INSERT INTO reports_attempthour (hour, campaign_id, call_list_id, agent_id, {columns}) "
        f"VALUES (%s, %s, %s, %s, {placeholders}) "
        f"ON CONFLICT (hour, campaign_id, call_list_id, agent_id) DO UPDATE SET {updates}"
    )
    if connection.vendor != "postgresql":
        # SQLite (the demo) has no NULLS NOT DISTINCT: a NULL agent never conflicts there, so
        # the row is looked up first.
        _count_without_upsert(attempt, call_list_id, values)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                hour_of(attempt.dialed_at),
                attempt.campaign_id,
                call_list_id,
                attempt.agent_id,
                *(values[name] for name in _COUNTERS),
            ],
        )


def _count_without_upsert(attempt: Any, call_list_id: int, values: dict[str, float]) -> None:
    from django.db.models import F

    from dialcrm.reports.models import AttemptHour

    key = {
        "hour": hour_of(attempt.dialed_at),
        "campaign_id": attempt.campaign_id,
        "call_list_id": call_list_id,
        "agent_id": attempt.agent_id,
    }
    with transaction.atomic():
        updated = AttemptHour.objects.filter(**key).update(
            **{name: F(name) + values[name] for name in _COUNTERS}
        )
        if not updated:
            AttemptHour.objects.create(**key, **values)


_REBUILD_SQL = """
INSERT INTO reports_attempthour (hour, campaign_id, call_list_id, agent_id, {columns})
SELECT date_trunc('hour', a.dialed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       a.campaign_id, l.call_list_id, a.agent_id,
       count(*),
       count(*) FILTER (WHERE a.outcome = 'contact'),
       count(*) FILTER (WHERE a.connected_at IS NOT NULL),
       count(*) FILTER (WHERE a.is_abandoned),
       count(*) FILTER (WHERE a.outcome = 'machine'),
       count(*) FILTER (WHERE a.outcome = 'busy'),
       count(*) FILTER (WHERE a.outcome = 'no_answer'),
       count(*) FILTER (WHERE a.outcome = 'failed'),
       coalesce(sum(greatest(0, extract(epoch FROM a.ended_at - a.connected_at)))
                FILTER (WHERE a.connected_at IS NOT NULL AND a.ended_at IS NOT NULL), 0),
       coalesce(sum(a.wait_s) FILTER (WHERE a.connected_at IS NOT NULL), 0)
FROM dialer_callattempt a JOIN campaigns_lead l ON l.id = a.lead_id
WHERE a.dialed_at >= %s AND a.dialed_at < %s AND a.outcome NOT IN ('in_progress', 'cancelled')
GROUP BY 1, 2, 3, 4
"""


def rebuild(start: datetime.datetime, end: datetime.datetime) -> int:
    """Recount the hours from `start` to `end` (whole UTC hours) from the attempts, in one
    transaction; how many hour rows it wrote. PostgreSQL only (the demo's embedded database keeps
    its roll-up by the live path alone)."""
    start, end = hour_of(start), hour_of(end - datetime.timedelta(microseconds=1))
    end += datetime.timedelta(hours=1)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM reports_attempthour WHERE hour >= %s AND hour < %s", [start, end]
        )
        cursor.execute(_REBUILD_SQL.format(columns=", ".join(_COUNTERS)), [start, end])
        return int(cursor.rowcount)
