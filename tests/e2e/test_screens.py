"""An administrator walks the main screens at phone, tablet and desktop sizes: each shows what it
should, only the administrator's own company, and never scrolls sideways. Screenshots of every
screen are saved under test-artifacts/screenshots/<width>x<height>/."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dialcrm.core.choices import Role

from .support import VIEWPORTS, Viewport, path_is

pytestmark = pytest.mark.e2e


def assert_no_sideways_scrolling(page: Page) -> None:
    width = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert width["scroll"] <= width["inner"] + 1, f"{page.url} scrolls sideways: {width}"


def open_from_navigation(
    page: Page, viewport: Viewport, section: str, screen: str, screenshot: Callable[..., Any]
) -> None:
    """Click through the navigation bar, behind the toggler on narrow screens."""
    toggler = page.locator(".navbar-toggler")
    navigation = page.locator("#main-nav")
    if viewport.has_navbar_toggler:
        expect(navigation.get_by_role("button", name=section)).to_be_hidden()
        toggler.click()
        expect(toggler).to_have_attribute("aria-expanded", "true")
        # Bootstrap swaps `collapsing` for `show` once the menu has finished opening.
        expect(navigation).to_have_class(re.compile(r"\bshow\b"))
    else:
        expect(toggler).to_be_hidden()
    navigation.get_by_role("button", name=section).click()
    link = navigation.get_by_role("link", name=screen, exact=True)
    expect(link).to_be_visible()
    screenshot("navigation-open")
    link.click()


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=str)
def test_an_administrator_walks_the_main_screens(
    page: Page,
    org: Any,
    viewport: Viewport,
    sign_in: Callable[..., None],
    screenshot: Callable[..., Any],
) -> None:
    administrator = org[Role.ADMINISTRATOR]
    administrator.is_two_factor_exempt = True
    administrator.save()
    agent = org[Role.AGENT]

    page.goto("/")
    expect(page).to_have_url(path_is("/sign-in/?next=/"))
    screenshot("sign-in")
    assert_no_sideways_scrolling(page)
    sign_in(page, administrator.username)
    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Administrator")
    screenshot("home")
    assert_no_sideways_scrolling(page)

    open_from_navigation(page, viewport, "Organisation", "Companies", screenshot)
    expect(page).to_have_url(path_is("/org/companies/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Companies")
    expect(page.locator("tbody tr")).to_have_text(["Alpha Calls — Europe/Bucharest"])
    screenshot("companies")
    assert_no_sideways_scrolling(page)

    lists = [
        ("/org/locations/", "locations", "Locations", ["North", "South"]),
        ("/org/teams/", "teams", "Teams", ["North 1", "South 1"]),
        ("/admin/networks/", "networks", "Allowed networks", ["Nothing found."]),
    ]
    for path, name, heading, first_cells in lists:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.locator("tbody tr td:first-child")).to_have_text(first_cells)
        screenshot(name)
        assert_no_sideways_scrolling(page)

    page.goto("/org/staff/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff")
    usernames = page.locator("tbody tr td:nth-child(2)")
    expect(usernames).to_have_count(12)
    expect(usernames.filter(has_text="north.agent")).to_have_count(1)
    expect(usernames.filter(has_text="beta.")).to_have_count(0)
    screenshot("staff")
    assert_no_sideways_scrolling(page)

    page.get_by_role("link", name=agent.first_name, exact=True).click()
    expect(page).to_have_url(path_is(f"/org/staff/{agent.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("North.Agent")
    expect(page.locator("#id_username")).to_have_value("north.agent")
    expect(page.locator("#id_role option:checked")).to_have_text("Agent")
    expect(page.locator("#id_team option:checked")).to_have_text("North 1")
    expect(page.locator("#id_password")).to_have_count(0)
    expect(page.get_by_role("link", name="Reset password")).to_be_visible()
    expect(page.get_by_test_id("deactivate")).to_be_visible()
    screenshot("staff-edit")
    assert_no_sideways_scrolling(page)

    page.goto("/admin/audit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("td")).to_have_text(
        [
            re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"),
            "Administrator",
            "127.0.0.1",
            "Signed in",
            f"org.staff #{administrator.pk} Administrator signed in",
            "",
        ],
        use_inner_text=True,
    )
    screenshot("audit-log")
    assert_no_sideways_scrolling(page)

    page.goto("/admin/tokens/")
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    expect(page.get_by_test_id("add")).to_have_text("Add API token")
    expect(page.locator("tbody tr")).to_have_text(["Nothing found."])
    screenshot("api-tokens")
    assert_no_sideways_scrolling(page)
