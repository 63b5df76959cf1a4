"""The agent's own figures of the day (calls, talk time, pauses, sales) against their team's
average, computed by the database from the dialer's records."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, Greatest, Now
from django.utils import timezone

from dialcrm.core.choices import Role
from dialcrm.desk.models import Sale
from dialcrm.dialer.choices import AgentState
from dialcrm.dialer.models import AgentStateInterval, CallAttempt
from dialcrm.org.models import Staff

ZERO = datetime.timedelta()


def _seconds(value: datetime.timedelta | None) -> float:
    return round(max(ZERO, value or ZERO).total_seconds(), 1)


def _figures(agent_ids: list[int], since: datetime.datetime) -> dict[str, float]:
    """Totals of a group of agents since a moment."""
    calls = CallAttempt.objects.filter(agent_id__in=agent_ids, connected_at__gte=since)
    talk = calls.aggregate(
        total=Sum(
            ExpressionWrapper(
                Coalesce(F("ended_at"), Now()) - F("connected_at"), output_field=DurationField()
            )
        )
    )["total"]
    paused = AgentStateInterval.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=since),
        agent_id__in=agent_ids,
        state=AgentState.PAUSED,
    ).aggregate(
        total=Sum(
            ExpressionWrapper(
                Coalesce(F("ended_at"), Now()) - Greatest(F("started_at"), since),
                output_field=DurationField(),
            )
        )
    )["total"]
    return {
        "calls": calls.count(),
        "talk_s": _seconds(talk),
        "pause_s": _seconds(paused),
        "sales": Sale.objects.filter(agent_id__in=agent_ids, created_at__gte=since).count(),
    }


def figures_today(agent: Staff) -> dict[str, Any]:
    """The agent's figures since midnight (the installation's time) and the average of the
    agents of their team who worked today."""
    since = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    mine = _figures([agent.pk], since)
    team: dict[str, Any] = {"agents": 0, "calls": 0, "talk_s": 0, "pause_s": 0, "sales": 0}
    if agent.team_id:
        members = list(
            Staff.objects.filter(team_id=agent.team_id, role=Role.AGENT).values_list(
                "pk", flat=True
            )
        )
        working = list(
            AgentStateInterval.objects.filter(agent_id__in=members)
            .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=since))
            .values_list("agent_id", flat=True)
            .distinct()
        )
        if working:
            totals = _figures(working, since)
            team = {
                "agents": len(working),
                **{key: round(value / len(working), 1) for key, value in totals.items()},
            }
    return {"mine": mine, "team": team, "since": since.isoformat()}
