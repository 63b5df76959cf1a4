"""An administrator allows networks for locations through the form: a malformed network is
refused with a message that says how to write one; good ones are saved, and then a location's
staff get in only from their location's networks."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dialcrm.core.choices import Role
from dialcrm.core.models import NetworkRule

from .support import path_is

pytestmark = pytest.mark.e2e


def test_an_administrator_allows_a_network_for_a_location(
    page: Page,
    new_page: Callable[[], Page],
    org: Any,
    sign_in: Callable[..., None],
    screenshot: Callable[..., Any],
) -> None:
    administrator = org[Role.ADMINISTRATOR]
    administrator.is_two_factor_exempt = True
    administrator.save()
    sign_in(page, administrator.username)
    expect(page).to_have_url(path_is("/"))
    page.goto("/admin/networks/")
    page.get_by_test_id("add").click()
    expect(page).to_have_url(path_is("/admin/networks/add/"))
    expect(page.locator("#id_location option")).to_have_text(["---------", "North", "South"])

    page.locator("#id_network").fill("10.0.0.300/24")
    page.locator("#id_description").fill("North floor")
    page.locator("#id_location").select_option(label="North")
    with page.expect_response(re.compile(r"/admin/networks/add/$")) as response:
        page.get_by_test_id("save").click()

    assert response.value.status == 422
    expect(page.locator(".invalid-feedback")).to_have_text(
        [
            "'10.0.0.300/24' is not a network: write an address or a CIDR block such as "
            "192.168.10.0/24 or 2001:db8::/32."
        ]
    )
    expect(page.locator(".invalid-feedback")).to_have_attribute("data-field", "network")
    screenshot("network-invalid")
    assert not NetworkRule.objects.exists()

    page.locator("#id_network").fill("127.0.0.1/32")
    page.get_by_test_id("save").click()

    expect(page).to_have_url(path_is("/admin/networks/"))
    expect(page.get_by_role("alert")).to_contain_text("Saved 127.0.0.1/32.")
    expect(page.locator("tbody tr td")).to_have_text(["127.0.0.1/32", "North", "North floor", "✓"])
    rule = NetworkRule.objects.get()
    assert (rule.network, rule.location, rule.company, rule.is_active) == (
        "127.0.0.1/32",
        org.north,
        org.company,
        True,
    )

    # A second rule, for South, written with host bits: it is kept as the network.
    page.get_by_test_id("add").click()
    page.locator("#id_network").fill("10.9.1.2/16")
    page.locator("#id_location").select_option(label="South")
    page.get_by_test_id("save").click()
    expect(page.get_by_role("alert")).to_contain_text("Saved 10.9.0.0/16.")
    expect(page.locator("tbody tr td:first-child")).to_have_text(["127.0.0.1/32", "10.9.0.0/16"])

    # The browser connects from 127.0.0.1: North's staff get in, South's are kept out.
    page = new_page()
    sign_in(page, org[Role.AGENT].username)
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_test_id("user-menu")).to_have_text("North.Agent · Agent")
    page = new_page()
    sign_in(page, org["south_agent"].username)
    expect(page).to_have_url(path_is("/sign-in/"))
    expect(page.get_by_test_id("form-errors")).to_have_text(
        "You may sign in only from your location's networks (this address: 127.0.0.1)."
    )
