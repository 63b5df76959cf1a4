"""Time accounting: how the agents' hours were spent, from their state intervals.

    time_accounts(start, end, *, group_by=("agent",), intervals=None, now=None)
        -> list[TimeAccount]

`start` and `end` are timezone-aware datetimes (a period, end excluded). Every
`dialer.AgentStateInterval` that overlaps the period counts for the part inside it; an interval
still open counts up to `now` (the current time unless given). `group_by` is any of
`GROUP_FIELDS` ("campaign", "location", "team", "agent", "day"); location and team are the
agent's, day is the local date (in `time_zone`, the installation's by default) on which the
interval, clipped to the period, starts. `intervals` narrows the rows counted, e.g.
`AgentStateInterval.objects.for_user(user)` or `.filter(campaign=...)`.

Each `TimeAccount` carries its group's ids in `key` and seconds by kind: talk (on a call),
wrap-up, waiting (ready or reserved for a call), paused in total and by pause reason. `worked_s`
is the time logged in (all of those together); logged-out intervals are never counted.

The sums are computed by the database in one aggregate query, grouped as asked, so the cost does
not depend on the number of intervals read into Python.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Greatest, Least, TruncDate
from django.utils import timezone

from dialcrm.dialer.choices import AgentState
from dialcrm.dialer.models import AgentStateInterval

GROUP_FIELDS = {
    "campaign": "campaign_id",
    "location": "agent__location_id",
    "team": "agent__team_id",
    "agent": "agent_id",
    "day": "day",
}
_KIND_OF_STATE = {
    AgentState.ON_CALL: "talk_s",
    AgentState.WRAP_UP: "wrap_up_s",
    AgentState.READY: "waiting_s",
    AgentState.RESERVED: "waiting_s",
}


@dataclass(frozen=True)
class TimeAccount:
    """Seconds spent by one group (agent, team, location, campaign, day...) in each kind."""

    key: dict[str, Any]
    talk_s: float = 0.0
    wrap_up_s: float = 0.0
    waiting_s: float = 0.0
    paused_by_reason_s: dict[str, float] = field(default_factory=dict)

    @property
    def paused_s(self) -> float:
        return sum(self.paused_by_reason_s.values())

    @property
    def worked_s(self) -> float:
        return self.talk_s + self.wrap_up_s + self.waiting_s + self.paused_s

    @property
    def worked_hours(self) -> float:
        return self.worked_s / 3600


def _seconds(value: datetime.timedelta | None) -> float:
    return value.total_seconds() if value is not None else 0.0


def time_accounts(
    start: datetime.datetime,
    end: datetime.datetime,
    *,
    group_by: Sequence[str] = ("agent",),
    intervals: QuerySet[AgentStateInterval] | None = None,
    now: datetime.datetime | None = None,
    time_zone: datetime.tzinfo | None = None,
) -> list[TimeAccount]:
    """Seconds by kind for each group over the period [start, end); see the module docstring."""
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValueError("the period's bounds must be timezone-aware")
    if end <= start:
        raise ValueError("the period ends before it starts")
    unknown = set(group_by) - GROUP_FIELDS.keys()
    if unknown:
        raise ValueError(f"cannot group time by {', '.join(sorted(unknown))}")
    now = now or timezone.now()
    # Open intervals run up to now, but never past the period.
    until = min(end, now)
    if until <= start:
        return []
    rows = intervals if intervals is not None else AgentStateInterval.objects.all()
    rows = rows.exclude(state=AgentState.LOGGED_OUT).filter(started_at__lt=until)
    rows = rows.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
    clipped_start = Greatest(F("started_at"), start, output_field=DateTimeField())
    clipped_end = Least(Coalesce(F("ended_at"), until), until, output_field=DateTimeField())
    rows = rows.annotate(
        clipped_start=clipped_start,
        duration=ExpressionWrapper(clipped_end - clipped_start, output_field=DurationField()),
    )
    if "day" in group_by:
        rows = rows.annotate(
            day=TruncDate("clipped_start", tzinfo=time_zone or timezone.get_current_timezone())
        )
    fields = [GROUP_FIELDS[name] for name in group_by]
    # One sum per group, state and reason: the database computes each clipped duration once
    # (a conditional sum per kind would compute it once per kind); the kinds are folded here.
    # State and reason lead the GROUP BY so that PostgreSQL hashes the groups of a whole scan
    # rather than walking the agent index and sorting (twice as slow over a month).
    totals = (
        rows.order_by()
        .values("state", "pause_reason", *fields)
        .annotate(seconds=Sum("duration"))
        .values_list("state", "pause_reason", "seconds", *fields)
    )
    accounts: dict[tuple[Any, ...], dict[str, Any]] = {}
    for state, reason, seconds, *key in totals:
        account = accounts.setdefault(
            tuple(key), {"talk_s": 0.0, "wrap_up_s": 0.0, "waiting_s": 0.0, "paused": {}}
        )
        duration = _seconds(seconds)
        if state == AgentState.PAUSED:
            reason = reason or "unspecified"  # a pause recorded without a reason
            account["paused"][reason] = account["paused"].get(reason, 0.0) + duration
        elif state in _KIND_OF_STATE:
            account[_KIND_OF_STATE[state]] += duration
    return [
        TimeAccount(
            key=dict(zip(group_by, key, strict=True)),
            talk_s=sums["talk_s"],
            wrap_up_s=sums["wrap_up_s"],
            waiting_s=sums["waiting_s"],
            paused_by_reason_s=sums["paused"],
        )
        for key, sums in accounts.items()
    ]
