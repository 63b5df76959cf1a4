"""Profitability against the hand-computed books of conftest.py, to the cent."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from dialcrm.core.choices import Role
from dialcrm.finance.services import (
    CurrencyMismatch,
    Filters,
    Money,
    Period,
    plan_progress,
    profitability,
)
from tests.finance.conftest import BUCHAREST, NOW, PERIOD, Books, at, work

D = Decimal


def figures(row: Any) -> dict[str, Any]:
    data = row.as_dict()
    return {
        "worked": data["hours"]["worked"],
        "labour_cost": data["labour_cost"],
        "sales": data["sales"],
        "units": data["units"],
        "revenue": data["revenue"],
        "production_cost": data["production_cost"],
        "profit": data["profit"],
        "cost_per_sale": data["cost_per_sale"],
    }


def test_per_agent_figures_match_the_books(org: Any, books: Books) -> None:
    result = profitability(org[Role.MANAGER], PERIOD, "agent", now=NOW)

    rows = {row.key: row for row in result.rows}
    assert figures(rows[books.north.pk]) == {
        "worked": D("4.42"),  # 265 min
        "labour_cost": D("147.50"),
        "sales": 2,
        "units": 4,
        "revenue": D("570.00"),
        "production_cost": D("270.00"),
        "profit": D("152.50"),
        "cost_per_sale": D("73.75"),
    }
    assert figures(rows[books.south.pk]) == {
        "worked": D("0.28"),  # 17 min
        "labour_cost": D("5.67"),
        "sales": 1,
        "units": 1,
        "revenue": D("250.00"),
        "production_cost": D("150.00"),
        "profit": D("94.33"),
        "cost_per_sale": D("5.67"),
    }
    assert figures(result.total) == {
        "worked": D("4.70"),
        "labour_cost": D("153.17"),
        "sales": 3,
        "units": 5,
        "revenue": D("820.00"),
        "production_cost": D("420.00"),
        "profit": D("246.83"),
        "cost_per_sale": D("51.06"),
    }
    assert result.warnings == []


def test_hours_are_split_by_kind(org: Any, books: Books) -> None:
    result = profitability(org[Role.MANAGER], PERIOD, "agent", now=NOW)

    north = next(row for row in result.rows if row.key == books.north.pk).as_dict()["hours"]
    assert north == {
        "talk": D("1.83"),  # 20 + 90 min
        "wrap_up": D("0.08"),  # 5 min
        "waiting": D("2.00"),  # the two ready hours inside the period
        "paused": D("0.50"),
        "paused_by_reason": {"lunch": D("0.50")},
        "worked": D("4.42"),
    }
    assert next(row for row in result.rows if row.key == books.north.pk).pauses() == [
        ("Lunch", D("0.50"))
    ]


def test_groups_by_campaign_and_location(org: Any, books: Books) -> None:
    manager = org[Role.MANAGER]

    by_campaign = profitability(manager, PERIOD, "campaign", now=NOW)
    by_location = profitability(manager, PERIOD, "location", now=NOW)

    assert [(row.label, row.profit.amount) for row in by_campaign.rows] == [
        ("Live test", D("246.83"))
    ]
    assert [(row.label, row.profit.amount) for row in by_location.rows] == [
        ("North", D("152.50")),
        ("South", D("94.33")),
    ]


def test_a_single_day_uses_that_days_cost_and_price(org: Any, books: Books) -> None:
    third = Period(datetime.date(2026, 3, 3), datetime.date(2026, 3, 3), BUCHAREST)

    result = profitability(
        org[Role.MANAGER], third, "agent", Filters(agent=books.north.pk), now=NOW
    )

    (north,) = result.rows
    assert figures(north)["labour_cost"] == D("90.00")  # 150 min at 36.00
    assert figures(north)["revenue"] == D("370.00")  # Plus at 120.00 and Solar


def test_figures_in_another_currency_name_what_has_no_cost_or_price(org: Any, books: Books) -> None:
    result = profitability(org[Role.MANAGER], PERIOD, "agent", currency="EUR", now=NOW)

    north = next(row for row in result.rows if row.key == books.north.pk)
    assert north.labour_cost == Money(D("30.92"), "EUR")  # 265 min at 7.00 EUR
    assert north.revenue == Money(D("0.00"), "EUR")
    assert result.warnings == [
        "No hourly cost in EUR for Agent (Trainee) on 2026-03-02 – 2026-03-03: 0.28 hours are "
        "not in the cost. Add the cost under Finance > Hourly costs.",
        "No EUR price for Energy Plus on 2026-03-02 – 2026-03-03: 3 units are not in the "
        "revenue. Add the price on the product's page.",
        "No EUR price for Solar panel on 2026-03-02 – 2026-03-03: 2 units are not in the "
        "revenue. Add the price on the product's page.",
    ]


def test_money_refuses_to_add_currencies() -> None:
    with pytest.raises(CurrencyMismatch):
        Money(D("1.00"), "RON") + Money(D("1.00"), "EUR")


def test_plan_progress_and_forecast(org: Any, books: Books) -> None:
    progress = plan_progress(books.plan, now=NOW)

    # 3.5 of the plan's 10 days have gone. The plan runs to the 11th, so the ready interval
    # to 01:00 on the 4th counts whole (2 h): 325 + 17 min = 5.70 h, at that pace 16.3 h.
    assert progress.elapsed_share == D("0.3500")
    assert progress.hours_used == D("5.70")
    assert progress.forecast_hours == D("16.3")
    assert [(t.product, t.target_units, t.units, t.forecast_units) for t in progress.targets] == [
        ("Energy Plus", 20, 4, D("11.4")),
        ("Solar panel", 10, 2, D("5.7")),
    ]


def test_profitability_carries_the_plans_of_the_period(org: Any, books: Books) -> None:
    result = profitability(org[Role.MANAGER], PERIOD, "campaign", now=NOW)

    assert [progress.plan for progress in result.plans] == [books.plan]


def test_a_location_manager_sees_only_their_location(org: Any, books: Books) -> None:
    north = profitability(org[Role.LOCATION_MANAGER], PERIOD, "agent", now=NOW)
    south = profitability(org["south_manager"], PERIOD, "agent", now=NOW)

    assert [row.key for row in north.rows] == [books.north.pk]
    assert north.total.profit.amount == D("152.50")
    assert [progress.plan for progress in north.plans] == [books.plan]
    assert [row.key for row in south.rows] == [books.south.pk]
    assert south.plans == []  # the campaign is run at North


def test_a_location_manager_cannot_filter_another_location(org: Any, books: Books) -> None:
    with pytest.raises(Http404):
        profitability(org[Role.LOCATION_MANAGER], PERIOD, "agent", Filters(location=org.south.pk))


def test_another_company_sees_none_of_it(org: Any, books: Books) -> None:
    result = profitability(org["other_admin"], PERIOD, "agent", now=NOW)

    assert result.rows == []
    assert result.plans == []


@pytest.mark.parametrize("role", [Role.AGENT, Role.TEAM_LEADER, Role.QUALITY, Role.BACK_OFFICE])
def test_money_is_not_for_agents_and_team_leaders(org: Any, books: Books, role: str) -> None:
    with pytest.raises(PermissionDenied):
        profitability(org[role], PERIOD, "agent", now=NOW)


def test_refuses_a_bad_grouping_currency_and_a_backwards_period(org: Any) -> None:
    with pytest.raises(ValidationError):
        profitability(org[Role.MANAGER], PERIOD, "weather")
    with pytest.raises(ValidationError, match="Choose a currency among RON, EUR, USD, GBP"):
        profitability(org[Role.MANAGER], PERIOD, currency="XYZ")
    with pytest.raises(ValidationError):
        Period(datetime.date(2026, 3, 3), datetime.date(2026, 3, 2), BUCHAREST)


def test_an_interval_across_the_midnight_of_a_cost_change_is_split(org: Any, books: Books) -> None:
    teammate = org["teammate"]  # a senior agent: 30.00 on the 2nd, 36.00 from the 3rd
    work(teammate, books.campaign, "on_call", at(2, 23, 30), at(3, 0, 30))

    result = profitability(org[Role.MANAGER], PERIOD, "agent", Filters(agent=teammate.pk), now=NOW)

    (row,) = result.rows
    assert row.labour_cost == Money(D("33.00"), "RON")  # 30 min at 30.00 + 30 min at 36.00
