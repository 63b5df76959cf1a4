"""The back office builds a work sheet in the browser: two groups, a required text field whose key
comes from its label, a choice field, a live preview of what the agent will see; saving makes
version 1, moving a field and saving again makes version 2, and version 1 stays readable. On a
phone the builder and the preview stack and nothing scrolls sideways."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dialcrm.campaigns.models import WorkSheet
from dialcrm.core.choices import Role

from .support import DESKTOP, PHONE, Viewport, path_is

pytestmark = pytest.mark.e2e


def no_sideways_scrolling(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=str)
def test_the_back_office_builds_a_sheet_with_a_live_preview(
    page: Page,
    org: Any,
    viewport: Viewport,
    sign_in: Callable[..., None],
    screenshot: Callable[..., Any],
) -> None:
    sign_in(page, org[Role.BACK_OFFICE].username)
    expect(page).to_have_url(path_is("/"))
    page.goto("/campaigns/worksheets/")
    page.get_by_test_id("add").click()
    expect(page).to_have_url(path_is("/campaigns/worksheets/add/"))
    page.locator("#id_name").fill("Energy offer")

    # The first group is there from the start; a field's key follows its label.
    groups = page.get_by_test_id("builder-group")
    expect(groups).to_have_count(1)
    groups.nth(0).get_by_test_id("group-title").fill("Customer")
    groups.nth(0).get_by_test_id("add-field").click()
    name_field = groups.nth(0).get_by_test_id("builder-field").nth(0)
    expect(name_field.get_by_test_id("field-label")).to_be_focused()
    name_field.get_by_test_id("field-label").fill("Full name")
    expect(name_field.get_by_test_id("field-key")).to_have_value("full_name")
    name_field.get_by_test_id("field-required").check()

    # A second group with a choice field; a choice without choices is flagged at once.
    page.get_by_test_id("add-group").click()
    expect(groups).to_have_count(2)
    expect(groups.nth(1).get_by_test_id("group-title")).to_be_focused()
    groups.nth(1).get_by_test_id("group-title").fill("Offer")
    groups.nth(1).get_by_test_id("add-field").click()
    plan = groups.nth(1).get_by_test_id("builder-field").nth(0)
    plan.get_by_test_id("field-label").fill("Plan")
    plan.get_by_test_id("field-kind").select_option("choice")
    expect(plan.get_by_test_id("field-problems")).to_have_text("Give the choices, one per line.")
    plan.get_by_test_id("field-choices").fill("Basic\nPlus\n\n")
    expect(plan.get_by_test_id("field-problems")).to_have_count(0)

    # The preview shows the sheet as the agent will see it.
    preview = page.get_by_test_id("preview")
    expect(preview.locator("legend")).to_have_text(["Customer", "Offer"])
    expect(preview.locator("label[for]").first).to_have_text("Full name *")
    expect(preview.locator("select option")).to_have_text(["Choose…", "Basic", "Plus"])
    preview.locator("select").select_option("Plus")
    assert no_sideways_scrolling(page)
    screenshot("worksheet-builder")

    page.get_by_test_id("save").click()
    expect(page).to_have_url(path_is("/campaigns/worksheets/"))
    expect(page.get_by_role("alert").first).to_contain_text("The fields are saved as version 1.")
    sheet = WorkSheet.objects.get(name="Energy offer")
    assert sheet.current_version.definition == {
        "groups": [
            {
                "title": "Customer",
                "fields": [
                    {
                        "key": "full_name",
                        "label": "Full name",
                        "kind": "text",
                        "required": True,
                        "help": "",
                        "max_length": None,
                        "pattern": "",
                    }
                ],
            },
            {
                "title": "Offer",
                "fields": [
                    {
                        "key": "plan",
                        "label": "Plan",
                        "kind": "choice",
                        "required": False,
                        "help": "",
                        "choices": ["Basic", "Plus"],
                    }
                ],
            },
        ]
    }

    # Moving "Plan" up takes it into the first group; saving makes version 2.
    page.get_by_role("link", name="Energy offer").click()
    expect(page).to_have_url(path_is(f"/campaigns/worksheets/{sheet.pk}/"))
    groups.nth(1).get_by_role("button", name="Move field up").click()
    expect(groups.nth(0).get_by_test_id("builder-field")).to_have_count(2)
    expect(groups.nth(1).get_by_test_id("builder-field")).to_have_count(0)
    groups.nth(1).get_by_test_id("remove-group").click()
    expect(page.get_by_test_id("preview").locator("legend")).to_have_text(["Customer"])
    page.get_by_test_id("save").click()
    expect(page).to_have_url(path_is("/campaigns/worksheets/"))
    assert list(sheet.versions.values_list("number", flat=True)) == [2, 1]
    assert [f["key"] for f in sheet.current_version.definition["groups"][0]["fields"]] == [
        "full_name",
        "plan",
    ]

    # Version 1 is still there, read-only.
    page.goto(f"/campaigns/worksheets/{sheet.pk}/")
    versions = page.get_by_test_id("versions").get_by_test_id("version")
    expect(versions).to_have_count(2)
    versions.nth(1).get_by_role("link", name="Version 1").click()
    expect(page).to_have_url(path_is(f"/campaigns/worksheets/{sheet.pk}/versions/1/"))
    expect(page.get_by_test_id("sheet").locator("legend")).to_have_text(["Customer", "Offer"])
    expect(page.locator("#ws_plan")).to_be_disabled()
    assert no_sideways_scrolling(page)
    screenshot("worksheet-version")


def test_the_server_refuses_what_the_builder_let_through(
    page: Page, org: Any, sign_in: Callable[..., None]
) -> None:
    sign_in(page, org[Role.BACK_OFFICE].username)
    page.goto("/campaigns/worksheets/add/")
    page.locator("#id_name").fill("Half done")
    page.get_by_test_id("group-title").fill("Customer")
    page.get_by_test_id("add-field").click()
    page.get_by_test_id("field-label").fill("Plan")
    page.get_by_test_id("field-kind").select_option("choice")

    page.get_by_test_id("save").click()

    expect(page.get_by_test_id("definition-errors")).to_have_text(
        'Group 1 "Customer", field 1 "Plan": give the choices to pick from.'
    )
    # What was typed is still in the builder.
    expect(page.get_by_test_id("group-title")).to_have_value("Customer")
    expect(page.get_by_test_id("builder-field")).to_have_count(1)
    posted = json.loads(page.get_by_test_id("definition").input_value())
    assert posted["groups"][0]["fields"][0]["label"] == "Plan"
    assert not WorkSheet.objects.exists()
