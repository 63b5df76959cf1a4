"""The back office's flow in the browser (seed fig. 5, information part): a product with its
prices, and a status with its meaning for dialing. (Work sheets have their own test.)"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from dialcrm.campaigns.models import Status
from dialcrm.catalog.models import Product
from dialcrm.core.choices import Role

from .support import path_is


def test_the_back_office_adds_a_product_with_prices_and_a_status(
    page: Page, org: Any, sign_in: Callable[..., None], screenshot: Callable[..., Any]
) -> None:
    sign_in(page, org[Role.BACK_OFFICE].username)
    expect(page).to_have_url(path_is("/"))

    page.goto("/catalog/products/add/")
    page.locator("#id_company").select_option(label="Alpha Calls")
    page.locator("#id_code").fill("EL-HOME")
    page.locator("#id_name").fill("Household electricity")
    page.locator("#id_unit").fill("contract")
    page.get_by_test_id("save").click()
    expect(page).to_have_url(path_is("/catalog/products/"))
    page.get_by_role("link", name="Household electricity").click()
    page.locator("#id_price").fill("450")
    page.locator("#id_production_cost").fill("120")
    page.locator("#id_currency").select_option("RON")
    page.locator("#id_valid_from").fill("2026-01-01")
    page.locator("#id_valid_until").fill("2026-06-30")
    page.get_by_test_id("add-price").click()
    expect(page.locator("main")).to_contain_text("450.00 RON")
    # An overlapping period is refused on the field, and nothing is added.
    page.locator("#id_price").fill("500")
    page.locator("#id_valid_from").fill("2026-03-01")
    page.locator("#id_valid_until").fill("")
    page.get_by_test_id("add-price").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("overlaps the price valid from")
    screenshot("product-prices")
    product = Product.objects.get(code="EL-HOME")
    assert list(product.prices.values_list("price", "valid_until")) == [
        (450, datetime.date(2026, 6, 30))
    ]

    page.goto("/campaigns/statuses/add/")  # the company is the person's own
    page.locator("#id_code").fill("appt")
    page.locator("#id_label").fill("Appointment set")
    page.locator("#id_category").select_option("positive_contact")
    page.locator("#id_is_final").check()
    page.get_by_test_id("save").click()
    expect(page).to_have_url(path_is("/campaigns/statuses/"))
    expect(page.locator("main table")).to_contain_text("Appointment set")
    status = Status.objects.get(company=org.company, code="APPT")
    assert (status.category, status.is_final, status.retry_after_minutes) == (
        "positive_contact",
        True,
        None,
    )
