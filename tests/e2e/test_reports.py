"""A location manager reads a report in the browser: opens it from the menu, filters it, sees
its chart and table, and downloads an export, at the three screen sizes."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from dialcrm.core.choices import Role
from tests.reports.conftest import make_call_day

from .support import VIEWPORTS, Viewport, path_is

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=str)
def test_a_manager_filters_a_report_sees_the_chart_and_downloads_it(
    page: Page,
    org: Any,
    viewport: Viewport,
    sign_in: Callable[..., None],
    screenshot: Callable[..., Any],
) -> None:
    day = make_call_day(org)
    sign_in(page, org[Role.LOCATION_MANAGER].username)
    expect(page).to_have_url(path_is("/"))
    if viewport.has_navbar_toggler:
        page.get_by_role("button", name="Menu").click()
        # The menu slides open: its sections take clicks once it has (a click during the
        # slide can land on a section that then closes, on a busy machine).
        expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    page.get_by_role("button", name="Reports", exact=True).click()  # the menu's section
    page.locator("#main-nav").get_by_role("link", name="Reports", exact=True).click()
    expect(page).to_have_url(path_is("/reports/"))
    page.get_by_test_id("report-campaign-summary").click()
    expect(page).to_have_url(path_is("/reports/campaign-summary/"))

    page.locator("#id_period").select_option("custom")
    page.locator("#id_start").fill("2026-03-02")
    page.locator("#id_end").fill("2026-03-02")
    page.locator("#id_campaign").select_option(label=day.north.name)
    page.get_by_test_id("apply").click()

    table = page.get_by_test_id("report-table")
    expect(table).to_contain_text("Live test")
    expect(table).not_to_contain_text("South offer")  # another location
    expect(table.locator("tbody tr").first).to_contain_text("25.00%")  # the abandon rate
    chart = page.get_by_test_id("chart")
    expect(chart).to_have_attribute("data-ready", "true")
    assert chart.bounding_box()["width"] > 200
    screenshot("report-campaign-summary")

    with page.expect_download() as download_info:
        page.get_by_test_id("export-xlsx").click()
    download = download_info.value
    assert download.suggested_filename == "campaign-summary_20260302-20260302.xlsx"
    sheet = load_workbook(io.BytesIO(download.path().read_bytes())).active
    assert [sheet["A4"].value, sheet["B4"].value] == ["Live test", 6]
