"""Finance screens and API: validation with clear messages, plan timing, and who sees what."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from dialcrm.core.choices import Role
from dialcrm.core.models import AuditEntry
from dialcrm.finance.models import FinancialPlan, HourlyCost, PlanTarget
from tests.conftest import signed_in
from tests.finance.conftest import Books

PERIOD_QUERY = "since=2026-03-02&until=2026-03-03"


def future(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def cost_form(org: Any, **values: Any) -> dict[str, Any]:
    return {
        "company": org.company.pk,
        "role": "agent",
        "level": "trainee",
        "amount": "22.50",
        "currency": "RON",
        "valid_from": "2027-01-01",
        "valid_until": "",
        **values,
    }


# --- hourly costs ----------------------------------------------------------------------------


def test_a_manager_adds_an_hourly_cost(org: Any) -> None:
    client = signed_in(org[Role.MANAGER])

    response = client.post("/finance/hourly-costs/add/", cost_form(org))

    assert response.status_code == 302
    cost = HourlyCost.objects.get()
    assert (cost.role, cost.level, cost.amount) == ("agent", "trainee", Decimal("22.50"))
    assert AuditEntry.objects.filter(object_type="finance.hourlycost", action="create").exists()


def test_an_overlapping_hourly_cost_is_refused(org: Any, books: Books) -> None:
    client = signed_in(org[Role.MANAGER])

    response = client.post(
        "/finance/hourly-costs/add/",
        cost_form(org, level="senior", valid_from="2026-06-01", amount="40.00"),
    )

    assert response.status_code == 422
    assert "overlaps the cost valid from 2026-03-03; end that one first" in response.text
    assert HourlyCost.objects.filter(amount=Decimal("40.00")).count() == 0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"level": ""}, "Say whether this cost is for senior or trainee agents."),
        ({"role": "manager"}, "Only agents have a level"),
        ({"valid_until": "2026-12-01"}, "The end is before the start."),
        ({"amount": "-1"}, "greater than or equal to 0"),
    ],
)
def test_hourly_cost_errors_are_clear(org: Any, values: dict[str, Any], message: str) -> None:
    response = signed_in(org[Role.MANAGER]).post(
        "/finance/hourly-costs/add/", cost_form(org, **values)
    )

    assert response.status_code == 422
    assert message in response.text
    assert not HourlyCost.objects.exists()


def test_a_location_manager_reads_hourly_costs_but_cannot_add_them(org: Any, books: Books) -> None:
    client = signed_in(org[Role.LOCATION_MANAGER])

    assert client.get("/finance/hourly-costs/").status_code == 200
    assert client.post("/finance/hourly-costs/add/", cost_form(org)).status_code == 403
    assert HourlyCost.objects.count() == 4


@pytest.mark.parametrize("role", [Role.AGENT, Role.TEAM_LEADER, Role.BACK_OFFICE])
def test_hourly_costs_are_hidden_from_other_roles(org: Any, books: Books, role: str) -> None:
    client = signed_in(org[role])

    assert client.get("/finance/hourly-costs/").status_code == 403
    cost = HourlyCost.objects.first()
    assert client.get(f"/finance/hourly-costs/{cost.pk}/").status_code == 404


def test_another_companys_cost_is_not_found(org: Any, books: Books) -> None:
    cost = HourlyCost.objects.first()

    response = signed_in(org["other_admin"]).get(f"/finance/hourly-costs/{cost.pk}/")

    assert response.status_code == 404


# --- plans -----------------------------------------------------------------------------------


def plan_form(books: Books, **values: Any) -> dict[str, Any]:
    return {
        "campaign": books.campaign.pk,
        "starts_on": future(10),
        "ends_on": future(40),
        "target_hours": "320",
        "note": "",
        **values,
    }


def test_a_plan_is_set_before_its_period_with_targets(org: Any, books: Books) -> None:
    client = signed_in(org[Role.MANAGER])

    response = client.post("/finance/plans/add/", plan_form(books))
    plan = FinancialPlan.objects.exclude(pk=books.plan.pk).get()
    added = client.post(
        f"/finance/plans/{plan.pk}/targets/", {"product": books.solar.pk, "units": "40"}
    )

    assert response.status_code == 302
    assert added.status_code == 302
    assert [(target.product, target.units) for target in plan.targets.all()] == [(books.solar, 40)]
    page = client.get(f"/finance/plans/{plan.pk}/").text
    assert "Energy Plus (PLUS)" in page and "Solar panel (SOLAR)" not in page  # offered once


def test_a_plan_for_a_period_already_begun_is_refused(org: Any, books: Books) -> None:
    today = timezone.localdate().isoformat()

    response = signed_in(org[Role.MANAGER]).post(
        "/finance/plans/add/", plan_form(books, starts_on=today)
    )

    assert response.status_code == 422
    assert "A plan is set before its period starts: choose a start after today" in response.text
    assert FinancialPlan.objects.count() == 1


def test_a_begun_plan_cannot_be_changed_deleted_or_retargeted(org: Any, books: Books) -> None:
    client = signed_in(org[Role.MANAGER])
    plan = books.plan

    changed = client.post(
        f"/finance/plans/{plan.pk}/", plan_form(books, starts_on="2026-03-02", target_hours="99")
    )
    deleted = client.post(f"/finance/plans/{plan.pk}/delete/", follow=True)
    target = PlanTarget.objects.filter(plan=plan).first()
    removed = client.post(f"/finance/plans/{plan.pk}/targets/{target.pk}/remove/", follow=True)

    assert changed.status_code == 422
    assert "This plan&#x27;s period began on 2026-03-02: a plan is fixed once its period" in (
        changed.text
    )
    assert "a begun plan stays as it was set" in deleted.text
    assert "its targets are fixed once it starts" in removed.text
    plan.refresh_from_db()
    assert plan.target_hours == Decimal("10.0")
    assert plan.targets.count() == 2


def test_overlapping_plans_and_foreign_products_are_refused(org: Any, books: Books) -> None:
    client = signed_in(org[Role.MANAGER])
    client.post("/finance/plans/add/", plan_form(books))
    plan = FinancialPlan.objects.exclude(pk=books.plan.pk).get()
    books.campaign.products.remove(books.plus)

    overlapping = client.post(
        "/finance/plans/add/", plan_form(books, starts_on=future(20), ends_on=future(50))
    )
    foreign = client.post(
        f"/finance/plans/{plan.pk}/targets/", {"product": books.plus.pk, "units": "5"}
    )

    assert overlapping.status_code == 422
    assert "overlaps the plan from" in overlapping.text
    assert foreign.status_code == 422
    assert not plan.targets.exists()


def test_a_location_manager_sees_plans_of_their_location_only(org: Any, books: Books) -> None:
    north = signed_in(org[Role.LOCATION_MANAGER])
    south = signed_in(org["south_manager"])

    assert north.get(f"/finance/plans/{books.plan.pk}/").status_code == 200
    assert north.post("/finance/plans/add/", plan_form(books)).status_code == 403
    assert south.get(f"/finance/plans/{books.plan.pk}/").status_code == 404


def test_the_plan_page_shows_its_progress(org: Any, books: Books) -> None:
    response = signed_in(org[Role.MANAGER]).get(f"/finance/plans/{books.plan.pk}/")

    assert response.status_code == 200
    # The period is over: the pace forecast is what was done.
    assert "Hours worked 5.70 of 10.0 planned; at this pace 5.7 by the end" in response.text
    # A begun plan is shown as it stands, its fields closed.
    assert re.search(r'<input[^>]*name="target_hours"[^>]*disabled', response.text)


# --- profitability screen ----------------------------------------------------------------------


def test_the_manager_sees_profitability(org: Any, books: Books) -> None:
    response = signed_in(org[Role.MANAGER]).get(
        f"/finance/profitability/?{PERIOD_QUERY}&group_by=agent&currency=RON"
    )

    assert response.status_code == 200
    assert "246.83 RON" in response.text
    assert "152.50" in response.text and "94.33" in response.text
    assert 'id="profitability-data"' in response.text


def test_a_location_manager_sees_their_location_only(org: Any, books: Books) -> None:
    client = signed_in(org[Role.LOCATION_MANAGER])

    mine = client.get(f"/finance/profitability/?{PERIOD_QUERY}&group_by=agent&currency=RON")
    other = client.get(
        f"/finance/profitability/?{PERIOD_QUERY}&group_by=agent&currency=RON"
        f"&location={org.south.pk}"
    )

    assert mine.status_code == 200
    assert "152.50 RON" in mine.text and "94.33" not in mine.text
    # Another location is not among the choices: the filter is refused, nothing shown.
    assert other.status_code == 422
    assert "152.50" not in other.text


@pytest.mark.parametrize("role", [Role.AGENT, Role.TEAM_LEADER, Role.QUALITY])
def test_profitability_is_refused_to_other_roles(org: Any, books: Books, role: str) -> None:
    response = signed_in(org[role]).get(f"/finance/profitability/?{PERIOD_QUERY}")

    assert response.status_code == 403
    assert "246.83" not in response.text


def test_a_backwards_period_is_explained(org: Any) -> None:
    response = signed_in(org[Role.MANAGER]).get(
        "/finance/profitability/?since=2026-03-05&until=2026-03-01&group_by=campaign&currency=RON"
    )

    assert response.status_code == 422
    assert "The period ends before it starts." in response.text


def test_the_menu_shows_finance_to_managers_only(org: Any) -> None:
    assert "/finance/profitability/" in signed_in(org[Role.MANAGER]).get("/").text
    assert "/finance/profitability/" not in signed_in(org[Role.TEAM_LEADER]).get("/").text


# --- API -------------------------------------------------------------------------------------


def test_api_profitability_matches_the_books(org: Any, books: Books) -> None:
    response = signed_in(org[Role.MANAGER]).get(
        f"/api/finance/profitability?{PERIOD_QUERY}&group_by=location"
    )

    assert response.status_code == 200
    data = response.json()
    assert [(row["label"], row["profit"]) for row in data["rows"]] == [
        ("North", "152.50"),
        ("South", "94.33"),
    ]
    assert data["total"]["labour_cost"] == "153.17"
    assert data["total"]["cost_per_sale"] == "51.06"
    assert data["plans"][0]["targets"][0] == {
        "product_id": books.plus.pk,
        "product": "Energy Plus",
        "target_units": 20,
        "units": 4,
        "forecast_units": "4.0",
    }


def test_api_profitability_access(org: Any, books: Books) -> None:
    assert signed_in(org[Role.AGENT]).get("/api/finance/profitability").status_code == 403
    location_filter = f"/api/finance/profitability?{PERIOD_QUERY}&location_id={org.south.pk}"
    assert signed_in(org[Role.LOCATION_MANAGER]).get(location_filter).status_code == 404
    assert signed_in(org[Role.MANAGER]).get(location_filter).status_code == 200
    bad = signed_in(org[Role.MANAGER]).get("/api/finance/profitability?group_by=weather")
    assert bad.status_code == 422


def test_api_hourly_costs(org: Any, books: Books) -> None:
    client = signed_in(org[Role.MANAGER])
    payload = {
        "company_id": org.company.pk,
        "role": "team_leader",
        "amount": "45.00",
        "valid_from": "2026-01-01",
    }

    created = client.post("/api/finance/hourly-costs", payload, content_type="application/json")
    again = client.post("/api/finance/hourly-costs", payload, content_type="application/json")

    assert created.status_code == 201
    assert created.json()["level"] == ""
    assert again.status_code == 422
    assert again.json()["detail"][0]["field"] == "valid_from"
    assert signed_in(org[Role.AGENT]).get("/api/finance/hourly-costs").status_code == 403


def test_api_plans(org: Any, books: Books) -> None:
    client = signed_in(org[Role.MANAGER])
    payload = {
        "campaign_id": books.campaign.pk,
        "starts_on": future(10),
        "ends_on": future(40),
        "target_hours": "200",
    }

    created = client.post("/api/finance/plans", payload, content_type="application/json")
    plan_id = created.json()["id"]
    target = client.post(
        f"/api/finance/plans/{plan_id}/targets",
        {"product_id": books.plus.pk, "units": 30},
        content_type="application/json",
    )
    begun = client.put(
        f"/api/finance/plans/{books.plan.pk}",
        {**payload, "starts_on": "2026-03-02", "ends_on": "2026-03-11"},
        content_type="application/json",
    )
    progress = client.get(f"/api/finance/plans/{books.plan.pk}/progress")
    removed = client.delete(f"/api/finance/plans/{plan_id}")

    assert created.status_code == 201
    assert target.status_code == 201
    assert begun.status_code == 422
    assert "a plan is fixed once its period starts" in begun.json()["detail"][0]["message"]
    assert progress.json()["hours_used"] == "5.70"
    assert removed.status_code == 204
    assert not FinancialPlan.objects.filter(pk=plan_id).exists()
    assert (
        signed_in(org["south_manager"]).get(f"/api/finance/plans/{books.plan.pk}").status_code
        == 404
    )


def test_quick_periods_keep_the_grouping_and_currency(org: Any) -> None:
    client = signed_in(org[Role.MANAGER])
    today = timezone.localdate()

    response = client.get("/finance/profitability/?group_by=team&currency=EUR")

    month = f"since={today.replace(day=1)}&amp;until={today}&amp;group_by=team&amp;currency=EUR"
    assert f'href="?{month}"' in response.text
    assert client.get(f"/finance/profitability/?{month.replace('&amp;', '&')}").status_code == 200
