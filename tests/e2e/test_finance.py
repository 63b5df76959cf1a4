"""The manager's finance flow in the browser (seed fig. 6), at each screen width: an hourly
cost (an overlapping one refused), a price with its production cost, a financial plan set
before its period (one for a begun period refused) with a target, and the profitability
screen with its figures and charts."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from dialcrm.catalog.models import ProductPrice
from dialcrm.core.choices import Role
from dialcrm.finance.models import FinancialPlan, HourlyCost
from tests.finance.conftest import make_books

from .support import VIEWPORTS, Viewport, path_is

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=str)
def test_the_manager_sets_costs_prices_and_a_plan_then_follows_profitability(
    page: Page,
    org: Any,
    viewport: Viewport,
    sign_in: Callable[..., None],
    screenshot: Callable[..., Any],
) -> None:
    books = make_books(org)
    sign_in(page, org[Role.MANAGER].username)
    expect(page).to_have_url(path_is("/"))

    # Hourly costs: a team leader's hour; a second senior cost over the open one is refused.
    page.goto("/finance/hourly-costs/add/")
    page.locator("#id_company").select_option(label="Alpha Calls")
    page.locator("#id_role").select_option("team_leader")
    page.locator("#id_amount").fill("45")
    page.locator("#id_valid_from").fill("2026-01-01")
    page.get_by_test_id("save").click()
    expect(page).to_have_url(path_is("/finance/hourly-costs/"))
    expect(page.locator("main table")).to_contain_text("45.00")
    page.get_by_test_id("add").click()
    page.locator("#id_company").select_option(label="Alpha Calls")
    page.locator("#id_role").select_option("agent")
    page.locator("#id_level").select_option("senior")
    page.locator("#id_amount").fill("50")
    page.locator("#id_valid_from").fill("2026-06-01")
    page.get_by_test_id("save").click()
    expect(page.locator(".invalid-feedback")).to_contain_text(
        "overlaps the cost valid from 2026-03-03"
    )
    screenshot("finance-hourly-cost-refused")
    assert HourlyCost.objects.filter(role="team_leader", amount=Decimal("45")).count() == 1
    assert not HourlyCost.objects.filter(amount=Decimal("50")).exists()

    # A price with its production cost, on the product's page.
    page.goto("/catalog/products/")
    page.get_by_role("link", name="Solar panel").click()
    page.locator("#id_price").fill("55")
    page.locator("#id_production_cost").fill("30")
    page.locator("#id_currency").select_option("EUR")
    page.locator("#id_valid_from").fill("2026-01-01")
    page.get_by_test_id("add-price").click()
    expect(page.locator("main")).to_contain_text("30.00 EUR")
    assert ProductPrice.objects.get(product=books.solar, currency="EUR").production_cost == 30

    # A plan: not for a period already begun; then for one after today, with a target.
    today = timezone.localdate()
    page.goto("/finance/plans/add/")
    page.locator("#id_campaign").select_option(label="Live test")
    page.locator("#id_starts_on").fill(today.isoformat())
    page.locator("#id_ends_on").fill((today + datetime.timedelta(days=30)).isoformat())
    page.locator("#id_target_hours").fill("320")
    page.get_by_test_id("save").click()
    expect(page.locator(".invalid-feedback")).to_contain_text(
        "A plan is set before its period starts"
    )
    page.locator("#id_starts_on").fill((today + datetime.timedelta(days=7)).isoformat())
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("add-target")).to_be_visible()
    page.locator("#id_product").select_option(label="Energy Plus (PLUS)")
    page.locator("#id_units").fill("50")
    page.get_by_test_id("add-target").click()
    expect(page.get_by_test_id("plan-targets")).to_contain_text("Energy Plus")
    screenshot("finance-plan")
    plan = FinancialPlan.objects.exclude(pk=books.plan.pk).get()
    assert [(target.product_id, target.units) for target in plan.targets.all()] == [
        (books.plus.pk, 50)
    ]

    # Profitability over the books' two days, by agent.
    page.goto("/finance/profitability/")
    page.locator("#id_since").fill("2026-03-02")
    page.locator("#id_until").fill("2026-03-03")
    page.locator("#id_group_by").select_option("agent")
    page.get_by_test_id("show").click()
    expect(page.get_by_test_id("total-profit")).to_have_text("246.83 RON")
    table = page.get_by_test_id("profitability-table")
    expect(table).to_contain_text("152.50")
    expect(table).to_contain_text("94.33")
    expect(page.get_by_test_id("plan-progress")).to_contain_text("Energy Plus")
    for chart in ("chart-hours", "chart-money"):
        drawn = page.evaluate(f"() => !!Chart.getChart(document.getElementById('{chart}'))")
        assert drawn, chart
    # Nothing spills sideways out of the page at this width.
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport.width
    screenshot("finance-profitability")
