"""The location manager's flow in the browser (seed fig. 7): a client, a call list filled from a
file, a campaign with its list and team, and starting it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from dialcrm.campaigns.models import Campaign, Lead, WorkSheet, WorkSheetVersion
from dialcrm.campaigns.statuses import seed_default_statuses
from dialcrm.core.choices import Role
from dialcrm.core.worker import run_pending_jobs

from .support import path_is

PROSPECTS = """first_name,last_name,phone
Ana,Popescu,0721 000 001
Mihai,Ionescu,0721 000 002
Elena,Radu,0721 000 003
Ioana,Stan,07x1
Ana,Popescu,0721 000 001
"""


def _back_office(org: Any) -> None:
    """What the back office set up before (its own flow has its own tests)."""
    seed_default_statuses(org.company)
    sheet = WorkSheet.objects.create(company=org.company, name="Energy offer")
    WorkSheetVersion.objects.create(sheet=sheet, number=1, definition={"groups": []})


def test_a_location_manager_sets_up_and_starts_a_campaign(
    page: Page,
    org: Any,
    sign_in: Callable[..., None],
    screenshot: Callable[..., Any],
    tmp_path: Path,
) -> None:
    _back_office(org)
    sign_in(page, org[Role.LOCATION_MANAGER].username)
    expect(page).to_have_url(path_is("/"))

    # 1. A client.
    page.goto("/campaigns/clients/add/")
    page.locator("#id_company").select_option(label="Alpha Calls")
    page.locator("#id_name").fill("Energia Verde SA")
    page.get_by_test_id("save").click()
    expect(page).to_have_url(path_is("/campaigns/clients/"))
    expect(page.locator("main table")).to_contain_text("Energia Verde SA")

    # 2. A call list, filled from a file.
    page.goto("/campaigns/lists/add/")
    page.locator("#id_client").select_option(label="Energia Verde SA")
    page.locator("#id_name").fill("Bucharest households")
    page.get_by_test_id("save").click()
    page.get_by_role("link", name="Bucharest households").click()
    page.get_by_test_id("import-leads").click()
    prospects = tmp_path / "prospects.csv"
    prospects.write_text(PROSPECTS, encoding="utf-8")
    page.locator("input[type=file]").set_input_files(str(prospects))
    page.get_by_test_id("upload").click()
    expect(page.get_by_test_id("preview")).to_contain_text("Popescu")
    screenshot("import-mapping")
    page.get_by_test_id("start-import").click()
    expect(page.get_by_test_id("import-state")).to_have_text("Queued")
    assert run_pending_jobs() == 1  # the worker's turn (a process of its own in production)
    page.reload()
    expect(page.get_by_test_id("imported")).to_have_text("3")
    expect(page.get_by_test_id("duplicates")).to_have_text("1")
    expect(page.get_by_test_id("invalid")).to_have_text("1")
    screenshot("import-report")
    assert sorted(Lead.objects.values_list("last_name", flat=True)) == [
        "Ionescu",
        "Popescu",
        "Radu",
    ]

    # 3. A campaign, its list and its team.
    page.goto("/campaigns/add/")
    screenshot("campaign-form")
    page.locator("#id_client").select_option(label="Energia Verde SA")
    page.locator("#id_location").select_option(label="North")
    page.locator("#id_name").fill("Winter offer")
    page.locator("#id_work_sheet").select_option(label="Energy offer")
    for label in ("SALE · Sale", "NI · Not interested", "CB · Callback", "NA · No answer"):
        page.locator("#id_statuses").get_by_label(label).check()
    page.locator("#id_teams").get_by_label("North 1").check()
    page.locator("#id_caller_id").fill("+40215550000")
    page.get_by_test_id("save").click()
    campaign = Campaign.objects.get(name="Winter offer")
    expect(page).to_have_url(path_is(f"/campaigns/{campaign.pk}/"))
    expect(page.get_by_test_id("missing")).to_contain_text("Add at least one active call list.")
    page.get_by_label("Bucharest households").fill("1")
    page.get_by_test_id("save-lists").click()
    expect(page.get_by_test_id("ready")).to_be_visible()

    # 4. Start.
    page.get_by_test_id("action-start").click()
    expect(page.get_by_test_id("campaign-state")).to_have_text("Running")
    screenshot("campaign-running")
    campaign.refresh_from_db()
    assert campaign.state == "running"
    assert list(campaign.list_links.values_list("call_list__name", "priority")) == [
        ("Bucharest households", 1)
    ]
