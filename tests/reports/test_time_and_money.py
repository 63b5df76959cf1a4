"""Time accounting and profitability against plan, on the finance tests' hand-made books
(tests/finance/conftest.py: 2 and 3 March 2026 in Bucharest)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from dialcrm.core.choices import Role
from dialcrm.reports.services import run_report
from tests.finance.conftest import make_books

pytestmark = pytest.mark.django_db
PERIOD = {"period": "custom", "start": "2026-03-02", "end": "2026-03-03"}


def test_time_accounting_splits_each_agents_hours(org):
    make_books(org)
    rows = run_report(org[Role.MANAGER], "time-accounting", PERIOD).rows
    assert rows == [
        {
            "agent": "North.Agent",
            "team": "North 1",
            "worked_hours": 4.42,  # 265 min
            "talk_hours": 1.83,  # 20 + 90 min
            "wrap_up_hours": 0.08,
            "waiting_hours": 2.0,
            "paused_hours": 0.5,
            "occupancy": 0.434,  # 115 of 265 min
        },
        {
            "agent": "South.Agent",
            "team": "South 1",
            "worked_hours": 0.28,
            "talk_hours": 0.12,
            "wrap_up_hours": 0.17,
            "waiting_hours": 0.0,
            "paused_hours": 0.0,
            "occupancy": 1.0,
        },
    ]
    own = run_report(org[Role.AGENT], "time-accounting", PERIOD).rows
    assert [row["agent"] for row in own] == ["North.Agent"]


def test_profitability_against_plan(org):
    make_books(org)
    (row,) = run_report(org[Role.MANAGER], "profitability", PERIOD).rows
    assert row == {
        "campaign": "Live test",
        "worked_hours": 4.7,  # 282 min
        "labour_cost": 153.17,
        "sales": 3,
        "units": 5,
        "revenue": 820.0,
        "profit": 246.83,
        "cost_per_sale": 51.06,
        "plan_hours": 10.0,
        # The plan's period (2 to 11 March) is over: 5.70 h worked, 6 of 30 units accepted.
        "plan_hours_used": 0.57,
        "plan_units": 30,
        "plan_units_done": 0.2,
    }


@pytest.mark.parametrize("role", [Role.AGENT, Role.TEAM_LEADER, Role.QUALITY])
def test_profit_is_never_shown_to_agents_or_team_leaders(org, role):
    with pytest.raises(PermissionDenied):
        run_report(org[role], "profitability", PERIOD)
