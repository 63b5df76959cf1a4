"""A location manager builds a team and hires an agent through the forms; the agent signs in with
the temporary password and must change it; the audit log shows who created what. Forms refuse
what breaks the organisation's rules, say why on the page, and save nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dialcrm.core.choices import AgentLevel, Role
from dialcrm.org.models import Staff, Team

from .support import path_is

pytestmark = pytest.mark.e2e

TEMPORARY_PASSWORD = "temporary-pass-42"
OWN_PASSWORD = "my-own-secret-77"


def as_exempt_administrator(org: Any) -> Staff:
    """The fixture administrator, exempt from two-factor sign-in (tested in test_sign_in)."""
    administrator = org[Role.ADMINISTRATOR]
    administrator.is_two_factor_exempt = True
    administrator.save()
    return administrator


def test_a_location_manager_adds_a_team_and_an_agent_who_then_signs_in(
    new_page: Callable[[], Page], org: Any, sign_in: Callable[..., None]
) -> None:
    administrator = as_exempt_administrator(org)
    manager = org[Role.LOCATION_MANAGER]
    page = new_page()
    sign_in(page, manager.username)
    expect(page).to_have_url(path_is("/"))

    # The team.
    page.goto("/org/teams/")
    page.get_by_test_id("add").click()
    expect(page).to_have_url(path_is("/org/teams/add/"))
    expect(page.locator("#id_location option")).to_have_text(["---------", "North"])
    expect(page.locator("#id_leader option", has_text="South.")).to_have_count(0)
    page.locator("#id_location").select_option(label="North")
    page.locator("#id_name").fill("North 2")
    page.locator("#id_leader").select_option(label="North.Leader")
    page.get_by_test_id("save").click()

    expect(page).to_have_url(path_is("/org/teams/"))
    expect(page.get_by_role("alert")).to_contain_text("Saved North 2.")
    expect(page.locator("tbody tr td:first-child")).to_have_text(["North 1", "North 2"])
    team = Team.objects.get(name="North 2")
    assert (team.location, team.leader, team.is_active) == (org.north, org[Role.TEAM_LEADER], True)

    # The agent.
    page.goto("/org/staff/")
    page.get_by_test_id("add").click()
    expect(page).to_have_url(path_is("/org/staff/add/"))
    expect(page.locator("#id_role option")).to_have_text(["Team leader", "Agent"])
    page.locator("#id_username").fill("new.agent")
    page.locator("#id_first_name").fill("Nadia")
    page.locator("#id_last_name").fill("Pop")
    page.locator("#id_company").select_option(label="Alpha Calls")
    page.locator("#id_location").select_option(label="North")
    page.locator("#id_team").select_option(label="North 2")
    page.locator("#id_role").select_option(label="Agent")
    page.locator("#id_level").select_option(label="Trainee")
    page.locator("#id_password").fill(TEMPORARY_PASSWORD)
    page.get_by_test_id("save").click()

    expect(page).to_have_url(path_is("/org/staff/"))
    expect(page.get_by_role("alert")).to_contain_text("Saved Nadia Pop.")
    agent = Staff.objects.get(username="new.agent")
    assert (
        agent.company,
        agent.location,
        agent.team,
        agent.role,
        agent.level,
        agent.must_change_password,
        agent.check_password(TEMPORARY_PASSWORD),
    ) == (org.company, org.north, team, Role.AGENT, AgentLevel.TRAINEE, True, True)

    # The agent's first sign-in: their own password first, then the product.
    page = new_page()
    sign_in(page, "new.agent", TEMPORARY_PASSWORD)
    expect(page).to_have_url(path_is("/account/password/"))
    expect(page.locator(".alert-info")).to_have_text(
        "You were given a temporary password: choose your own to continue."
    )
    page.goto("/org/teams/")
    expect(page).to_have_url(path_is("/account/password/"))
    page.locator("#id_old_password").fill(TEMPORARY_PASSWORD)
    page.locator("#id_new_password").fill(OWN_PASSWORD)
    page.locator("#id_new_password_again").fill(OWN_PASSWORD)
    page.get_by_role("button", name="Change password").click()

    expect(page).to_have_url(path_is("/"))
    expect(page.get_by_role("alert")).to_contain_text("Your password is changed.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Nadia")
    agent.refresh_from_db()
    assert (agent.must_change_password, agent.check_password(OWN_PASSWORD)) == (False, True)

    # The administrator finds both creations in the audit log.
    page = new_page()
    sign_in(page, administrator.username)
    expect(page).to_have_url(path_is("/"))
    page.goto("/admin/audit/")
    page.get_by_placeholder("Who, what, id").fill(manager.username)
    page.get_by_label("Action").select_option(label="Created")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(re.compile(r"/admin/audit/\?q=north.manager&action=create&"))
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    for row, (object_line, created_field) in zip(
        rows.all(),
        [
            (f"org.staff #{agent.pk} Nadia Pop", "username: ∅ → new.agent"),
            (f"org.team #{team.pk} North 2", "name: ∅ → North 2"),
        ],
        strict=True,
    ):
        cells = row.locator("td")
        expect(cells.nth(1)).to_have_text("North.Manager")
        expect(cells.nth(2)).to_have_text("127.0.0.1")
        expect(cells.nth(3)).to_have_text("Created")
        expect(cells.nth(4)).to_have_text(object_line, use_inner_text=True)
        expect(cells.nth(5)).to_contain_text(created_field)
    expect(rows.first.locator("td").nth(5)).to_contain_text("password: ∅ → [hidden]")


def test_a_duplicate_team_name_is_refused_and_nothing_is_saved(
    page: Page, org: Any, sign_in: Callable[..., None]
) -> None:
    sign_in(page, org[Role.LOCATION_MANAGER].username)
    expect(page).to_have_url(path_is("/"))
    page.goto("/org/teams/add/")
    page.locator("#id_location").select_option(label="North")
    page.locator("#id_name").fill("north 1")

    with page.expect_response(re.compile(r"/org/teams/add/$")) as response:
        page.get_by_test_id("save").click()

    assert response.value.status == 422
    expect(page).to_have_url(path_is("/org/teams/add/"))
    expect(page.locator("main")).to_contain_text("This location has a team with this name already.")
    expect(page.locator("#id_name")).to_have_value("north 1")
    assert list(Team.objects.filter(location=org.north).values_list("name", flat=True)) == [
        "North 1"
    ]


def test_a_duplicate_team_name_is_shown_on_the_name_field(
    page: Page, org: Any, sign_in: Callable[..., None]
) -> None:
    sign_in(page, org[Role.LOCATION_MANAGER].username)
    expect(page).to_have_url(path_is("/"))
    page.goto("/org/teams/add/")
    page.locator("#id_location").select_option(label="North")
    page.locator("#id_name").fill("north 1")
    page.get_by_test_id("save").click()
    expect(page.locator("main")).to_contain_text("This location has a team with this name already.")

    field_errors = page.locator(".invalid-feedback")
    assert field_errors.all_inner_texts() == ["This location has a team with this name already."]
    assert field_errors.first.get_attribute("data-field") == "name"
    assert Team.objects.filter(location=org.north).count() == 1


def test_a_team_leader_from_another_location_is_refused_on_the_field(
    page: Page, org: Any, sign_in: Callable[..., None], screenshot: Callable[..., Any]
) -> None:
    administrator = as_exempt_administrator(org)
    sign_in(page, administrator.username)
    expect(page).to_have_url(path_is("/"))
    page.goto("/org/teams/add/")
    page.locator("#id_location").select_option(label="North")
    page.locator("#id_name").fill("North 3")
    page.locator("#id_leader").select_option(label="South.Leader")

    with page.expect_response(re.compile(r"/org/teams/add/$")) as response:
        page.get_by_test_id("save").click()

    assert response.value.status == 422
    expect(page.locator(".invalid-feedback")).to_have_text(
        ["South.Leader works at another location; choose a leader from North."]
    )
    expect(page.locator(".invalid-feedback")).to_have_attribute("data-field", "leader")
    expect(page.locator("#id_name")).to_have_value("North 3")
    screenshot("team-leader-from-another-location")
    assert not Team.objects.filter(name="North 3").exists()
