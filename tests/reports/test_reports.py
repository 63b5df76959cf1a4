"""Each report against the hand-counted day of conftest.py, in each reader's scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from dialcrm.core.choices import Role
from dialcrm.reports.services import run_report
from tests.reports.conftest import DAY, DAY_QUERY

pytestmark = pytest.mark.django_db


def rows_of(user: Any, slug: str, **filters: Any) -> list[dict[str, Any]]:
    return run_report(user, slug, {**DAY_QUERY, **filters}).rows


def test_campaign_summary_for_a_manager_counts_both_campaigns(org, call_day):
    result = run_report(org[Role.MANAGER], "campaign-summary", DAY_QUERY)
    assert result.filters.start == DAY and result.filters.time_zone == "Europe/Bucharest"
    assert result.rows == [
        {
            "campaign": "Live test",
            "attempts": 6,
            "contacts": 3,
            "contact_rate": 0.5,
            "live_answers": 4,  # 3 put through, 1 abandoned
            "abandoned": 1,
            "abandon_rate": 0.25,
            "talk_hours": 0.17,  # 600 s
            "sales": 2,
            "accepted": 1,
            "conversion": 0.6667,
        },
        {
            "campaign": "South offer",
            "attempts": 2,
            "contacts": 1,
            "contact_rate": 0.5,
            "live_answers": 1,
            "abandoned": 0,
            "abandon_rate": 0.0,
            "talk_hours": 0.02,
            "sales": 1,
            "accepted": 0,
            "conversion": 1.0,
        },
    ]
    assert result.totals["campaign"] == "Total"
    assert result.totals["attempts"] == 8 and result.totals["sales"] == 3
    # Shares of the total come from its sums: 4 of 8, 1 of 5, 3 of 4.
    assert result.totals["contact_rate"] == 0.5
    assert result.totals["abandon_rate"] == 0.2
    assert result.totals["conversion"] == 0.75


def test_a_location_manager_sees_only_their_location(org, call_day):
    rows = rows_of(org[Role.LOCATION_MANAGER], "campaign-summary")
    assert [row["campaign"] for row in rows] == ["Live test"]
    rows = rows_of(org["south_manager"], "agent-performance")
    assert [row["agent"] for row in rows] == ["South.Agent"]


def test_a_location_manager_cannot_filter_by_another_location(org, call_day):
    with pytest.raises(ValidationError) as refused:
        rows_of(org[Role.LOCATION_MANAGER], "campaign-summary", location=org.south.pk)
    assert "location" in refused.value.message_dict


def test_filters_by_campaign_and_list(org, call_day):
    manager = org[Role.MANAGER]
    assert [
        r["campaign"] for r in rows_of(manager, "campaign-summary", campaign=call_day.south.pk)
    ] == ["South offer"]
    rows = rows_of(manager, "campaign-summary", call_list=call_day.north_list.pk)
    assert [(r["campaign"], r["attempts"]) for r in rows] == [("Live test", 6)]


def test_agent_performance_for_a_team_leader_is_their_team(org, call_day):
    rows = rows_of(org[Role.TEAM_LEADER], "agent-performance")
    assert rows == [
        {
            "agent": "North.Agent",
            "team": "North 1",
            "calls": 2,
            "contacts": 2,
            "talk_hours": 0.12,  # 420 s
            "average_talk_s": 210.0,
            "average_wait_s": 1.5,
            "sales": 1,
            "accepted": 1,
            "conversion": 0.5,
        },
        {
            "agent": "North.Teammate",
            "team": "North 1",
            "calls": 1,
            "contacts": 1,
            "talk_hours": 0.05,
            "average_talk_s": 180.0,
            "average_wait_s": 0.5,
            "sales": 1,
            "accepted": 0,
            "conversion": 1.0,
        },
    ]


def test_an_agent_sees_only_their_own_figures(org, call_day):
    rows = rows_of(org[Role.AGENT], "agent-performance")
    assert [row["agent"] for row in rows] == ["North.Agent"]
    statuses = rows_of(org[Role.AGENT], "statuses")
    assert [(row["status"], row["calls"]) for row in statuses] == [
        ("NI · NI", 1),
        ("SALE · SALE", 1),
    ]


@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.TEAM_LEADER, Role.HUMAN_RESOURCES, Role.BACK_OFFICE, Role.QUALITY]
)
def test_campaign_wide_reports_are_for_those_who_run_campaigns(org, call_day, role):
    with pytest.raises(PermissionDenied):
        run_report(org[role], "campaign-summary", DAY_QUERY)


def test_an_unknown_report_is_not_found(org):
    with pytest.raises(Http404):
        run_report(org[Role.MANAGER], "nothing-like-it", DAY_QUERY)


def test_list_penetration(org, call_day):
    rows = rows_of(org[Role.MANAGER], "list-penetration")
    assert rows == [
        {
            "call_list": "Prospects",
            "leads": 6,
            "attempted": 6,
            "attempted_share": 1.0,
            "contacted": 3,
            "contacted_share": 0.5,
            "final": 4,
            "final_share": 0.6667,
        },
        {
            "call_list": "South prospects",
            "leads": 2,
            "attempted": 1,
            "attempted_share": 0.5,
            "contacted": 1,
            "contacted_share": 0.5,
            "final": 1,
            "final_share": 0.5,
        },
    ]
    north_only = rows_of(org[Role.LOCATION_MANAGER], "list-penetration")
    assert [row["call_list"] for row in north_only] == ["Prospects"]


def test_statuses_breakdown(org, call_day):
    rows = rows_of(org[Role.MANAGER], "statuses")
    assert rows == [
        {"status": "SALE · SALE", "category": "sale", "calls": 3, "share": 0.75},
        {"status": "NI · NI", "category": "not_interested", "calls": 1, "share": 0.25},
    ]


def test_hourly_contact_rates_are_by_local_hour(org, call_day):
    rows = rows_of(org[Role.MANAGER], "hourly-contact-rates")
    assert rows == [
        {
            "hour": "09:00",
            "attempts": 5,
            "contacts": 3,
            "contact_rate": 0.6,
            "machines": 0,
            "no_answer": 0,
            "busy": 1,
        },
        {
            "hour": "10:00",
            "attempts": 1,
            "contacts": 0,
            "contact_rate": 0.0,
            "machines": 0,
            "no_answer": 1,
            "busy": 0,
        },
        {
            "hour": "11:00",
            "attempts": 2,
            "contacts": 1,
            "contact_rate": 0.5,
            "machines": 1,
            "no_answer": 0,
            "busy": 0,
        },
    ]


def test_abandon_compliance_against_the_cap(org, call_day):
    rows = rows_of(org[Role.MANAGER], "abandon-compliance")
    north = rows[0]
    assert north["campaign"] == "Live test"
    assert north["cap"] == 0.03
    assert (north["live_answers"], north["abandoned"], north["period_rate"]) == (4, 1, 0.25)
    assert north["day_rate"] == 0.25 and north["month_rate"] == 0.25  # the day ends the period
    assert north["within_cap"] == "no"
    south = rows[1]
    assert (south["period_rate"], south["within_cap"]) == (0.0, "yes")


def test_quality_outcomes(org, call_day):
    rows = rows_of(org[Role.QUALITY], "quality-outcomes")
    by_agent = {row["agent"]: row for row in rows}
    assert by_agent["North.Agent"]["accepted"] == 1
    assert by_agent["North.Agent"]["acceptance_rate"] == 1.0
    assert by_agent["North.Teammate"]["pending"] == 1
    assert by_agent["North.Teammate"]["acceptance_rate"] is None  # nothing reviewed yet
    assert by_agent["South.Agent"]["rejected"] == 1
    assert by_agent["South.Agent"]["acceptance_rate"] == 0.0


def test_a_period_outside_the_day_is_empty(org, call_day):
    rows = run_report(
        org[Role.MANAGER],
        "campaign-summary",
        {"period": "custom", "start": "2026-03-03", "end": "2026-03-04"},
    ).rows
    assert rows == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"period": "custom", "start": "2026-03-05", "end": "2026-03-01"}, "end"),
        ({"period": "custom", "start": "2026-03-05"}, "end"),
        ({"period": "custom", "start": "2025-01-01", "end": "2026-03-01"}, "end"),
        ({"period": "fortnight"}, "period"),
        ({"period": "today", "campaign": "abc"}, "campaign"),
    ],
)
def test_invalid_filters_say_which_field(org, query, field):
    with pytest.raises(ValidationError) as refused:
        run_report(org[Role.MANAGER], "campaign-summary", query)
    assert field in refused.value.message_dict
