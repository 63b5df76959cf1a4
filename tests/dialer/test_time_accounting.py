"""Time accounting from state intervals: clipping to the period, open intervals, kinds, groups."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from dialcrm.dialer.models import AgentStateInterval
from dialcrm.dialer.time_accounting import time_accounts
from tests.dialer.engine.conftest import make_running_campaign

UTC = datetime.UTC
START = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
END = datetime.datetime(2026, 3, 2, 16, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: int = 2) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def interval(
    agent: Any, campaign: Any, state: str, start: datetime.datetime, end: Any, reason: str = ""
) -> None:
    AgentStateInterval.objects.create(
        agent=agent,
        campaign=campaign,
        state=state,
        pause_reason=reason,
        started_at=start,
        ended_at=end,
    )


@pytest.fixture
def worked(org: Any) -> Any:
    """North agent: ready from 07:30 (30 min before the period), on a call, wrap-up, lunch,
    and on a call still open. South agent: paused for a break across the period's end."""
    campaign = make_running_campaign(org, leads=0).campaign
    agent, south = org["agent"], org["south_agent"]
    interval(agent, campaign, "logged_out", at(0), at(7, 30))
    interval(agent, campaign, "ready", at(7, 30), at(8, 15))  # 15 min inside
    interval(agent, campaign, "on_call", at(8, 15), at(8, 45))
    interval(agent, campaign, "wrap_up", at(8, 45), at(8, 50))
    interval(agent, campaign, "paused", at(12), at(12, 30), reason="lunch")
    interval(agent, campaign, "on_call", at(15, 50), None)  # open: counts to now or the end
    interval(south, campaign, "paused", at(15, 30), at(16, 30), reason="break")  # 30 min inside
    interval(south, campaign, "ready", at(16, 30), at(17))  # outside
    return campaign


def test_hours_per_agent_are_clipped_to_the_period(org: Any, worked: Any) -> None:
    accounts = {
        account.key["agent"]: account
        for account in time_accounts(START, END, now=at(18), group_by=("agent",))
    }

    north = accounts[org["agent"].pk]
    assert north.waiting_s == 15 * 60
    assert north.talk_s == 30 * 60 + 10 * 60  # the open call counts to the period's end
    assert north.wrap_up_s == 5 * 60
    assert north.paused_by_reason_s == {"lunch": 30 * 60}
    assert north.worked_s == 90 * 60
    south = accounts[org["south_agent"].pk]
    assert south.paused_by_reason_s == {"break": 30 * 60}
    assert south.worked_s == 30 * 60
    assert south.talk_s == south.waiting_s == 0


def test_an_open_interval_counts_up_to_now(org: Any, worked: Any) -> None:
    (north,) = time_accounts(
        START,
        END,
        now=at(15, 55),
        intervals=AgentStateInterval.objects.filter(agent=org["agent"]),
    )

    assert north.talk_s == 30 * 60 + 5 * 60


def test_groups_by_location_team_and_campaign(org: Any, worked: Any) -> None:
    by_location = {
        account.key["location"]: account.worked_s
        for account in time_accounts(START, END, now=at(18), group_by=("location",))
    }
    by_team_and_campaign = time_accounts(START, END, now=at(18), group_by=("team", "campaign"))

    assert by_location == {org.north.pk: 90 * 60, org.south.pk: 30 * 60}
    assert {
        (account.key["team"], account.key["campaign"]): account.worked_s
        for account in by_team_and_campaign
    } == {(org.north_team.pk, worked.pk): 90 * 60, (org.south_team.pk, worked.pk): 30 * 60}


def test_groups_by_local_day(org: Any, worked: Any) -> None:
    accounts = time_accounts(
        at(0),
        at(0, day=4),
        now=at(18, day=5),
        group_by=("agent", "day"),
        intervals=AgentStateInterval.objects.filter(agent=org["south_agent"]),
        time_zone=datetime.UTC,
    )

    assert [(account.key["day"], account.worked_s) for account in accounts] == [
        (datetime.date(2026, 3, 2), 90 * 60)
    ]


def test_a_period_in_the_future_counts_nothing(org: Any, worked: Any) -> None:
    assert time_accounts(START, END, now=at(7)) == []


@pytest.mark.parametrize(
    ("start", "end", "group_by", "message"),
    [
        (END, START, ("agent",), "ends before it starts"),
        (START.replace(tzinfo=None), END, ("agent",), "timezone-aware"),
        (START, END, ("weather",), "cannot group time by weather"),
    ],
)
def test_refuses_bad_arguments(db: Any, start: Any, end: Any, group_by: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        time_accounts(start, end, group_by=group_by)


def test_reserved_counts_as_waiting_and_a_pause_without_reason_as_paused(org: Any) -> None:
    teammate = org["teammate"]
    interval(teammate, None, "reserved", at(9), at(9, 2))
    interval(teammate, None, "paused", at(9, 2), at(9, 12))

    (account,) = time_accounts(START, END, now=at(18))

    assert account.key == {"agent": teammate.pk}
    assert account.waiting_s == 2 * 60
    assert account.paused_by_reason_s == {"unspecified": 10 * 60}
