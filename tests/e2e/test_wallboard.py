"""The wallboard in a real browser, against the ASGI application under uvicorn with the dialer
engine in process on the simulated phone system (tests/desk/server.py): a team leader opens the
wallboard while the campaign runs, an agent of the team logs in and goes ready (through the
engines' commands group, as a desk does), and the leader sees the agent's state, the call and
the contact, then the sale, arrive. At phone, tablet and desktop widths, with screenshots."""

from __future__ import annotations

import asyncio
import datetime
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from dialcrm.core.choices import Role
from dialcrm.dialer.models import CallAttempt
from dialcrm.dialer.realtime import send_command
from tests.desk.conftest import DeskCampaign, make_desk_campaign

from .support import VIEWPORTS, Viewport, path_is
from .test_desk import _server, no_sideways_scrolling, save_screenshot, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk(org: Any, transactional_db: None) -> DeskCampaign:
    return make_desk_campaign(org, leads=3)


@pytest.fixture
def leader_page(
    browser: Browser, desk: DeskCampaign, tmp_path: Path, viewport: Viewport
) -> Iterator[Page]:
    with _server(tmp_path) as url:
        context = browser.new_context(
            base_url=url,
            viewport={"width": viewport.width, "height": viewport.height},
            locale="en-US",
        )
        context.set_default_timeout(15_000)
        yield context.new_page()
        context.close()


def _send(command: dict[str, Any]) -> None:
    """Send the engines a command as a desk does (Playwright holds this thread's event loop)."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, send_command(command)).result(timeout=10)


def _call_of(agent: Any) -> str:
    attempt = CallAttempt.objects.filter(agent=agent, outcome="in_progress").first()
    return str(attempt.call_id) if attempt else ""


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=str)
def test_a_team_leader_watches_the_campaign_live(
    leader_page: Page,
    desk: DeskCampaign,
    org: Any,
    viewport: Viewport,
    sign_in: Callable[..., None],
) -> None:
    page, campaign, agent = leader_page, desk.campaign, desk.agent
    sign_in(page, org[Role.TEAM_LEADER].username)
    expect(page).to_have_url(path_is("/"))
    page.goto("/wallboard/")
    expect(page).to_have_url(path_is(f"/wallboard/{campaign.pk}/"))
    expect(page.get_by_test_id("connection")).to_have_text("Live")
    # The engine runs the campaign: its figures arrive, nobody is logged in yet.
    expect(page.get_by_test_id("dialable-leads")).to_have_text("3")
    expect(page.get_by_test_id("agent-count")).to_have_text("0")
    expect(page.get_by_test_id("abandon-cap")).to_have_text("3.00 %")
    save_screenshot(page, viewport, "wallboard-quiet")

    command = {"agent_id": agent.pk, "campaign_id": campaign.pk, "endpoint": "PJSIP/north"}
    _send({"kind": "login", **command})
    row = page.get_by_test_id(f"agent-{agent.pk}")
    expect(row.get_by_test_id("state")).to_have_text(re.compile("^Paused"))
    _send({"kind": "ready", "agent_id": agent.pk})
    # The simulated customer answers: the agent is on the call, a contact is counted.
    expect(row.get_by_test_id("state")).to_have_text("On a call")
    expect(page.get_by_test_id("connected")).to_have_text("1")
    expect(page.get_by_test_id("contacts-today")).to_have_text("1")
    expect(page.get_by_test_id("agent-count")).to_have_text("1")
    assert page.get_by_test_id("dial-level").inner_text() != "0"
    assert no_sideways_scrolling(page)
    save_screenshot(page, viewport, "wallboard-call")

    # The agent closes the call with a sale: it counts in this hour at once.
    wait_for(lambda: bool(_call_of(agent)))
    call_id = _call_of(agent)
    _send(
        {
            "kind": "disposition",
            "agent_id": agent.pk,
            "call_id": call_id,
            "status_code": "SALE",
            "go_ready": False,
        }
    )
    expect(page.get_by_test_id("sales-hour")).to_have_text("1")
    expect(row.get_by_test_id("state")).to_have_text(re.compile("^Paused"))
    expect(page.get_by_test_id("connected")).to_have_text("0")
    save_screenshot(page, viewport, "wallboard-sale")

    # Full screen for a wall: the menus go, the figures stay.
    page.get_by_test_id("full-screen").click()
    expect(page.locator("body")).to_have_class(re.compile("wallboard-full"))
    expect(page.locator("nav.navbar")).to_be_hidden()
    save_screenshot(page, viewport, "wallboard-full-screen")


@pytest.fixture
def over_the_cap(desk: DeskCampaign) -> DeskCampaign:
    """50 live answers today, 2 of them abandoned (4 %, over the 3 % cap), stored before the
    engine starts (it reads a campaign's abandon history when it takes the campaign)."""
    now = timezone.now()
    CallAttempt.objects.bulk_create(
        CallAttempt(
            campaign=desk.campaign,
            lead=desk.leads[0],
            number="+40720000000",
            mode="predictive",
            dialed_at=now - datetime.timedelta(minutes=30),
            answered_at=now - datetime.timedelta(minutes=30),
            connected_at=None if index < 2 else now,
            is_abandoned=index < 2,
            outcome="abandoned" if index < 2 else "contact",
        )
        for index in range(50)
    )
    return desk


@pytest.mark.parametrize("viewport", VIEWPORTS[-1:], ids=str)
def test_the_wallboard_says_when_the_abandon_guard_holds_dialing(
    over_the_cap: DeskCampaign,
    leader_page: Page,
    org: Any,
    viewport: Viewport,
    sign_in: Callable[..., None],
) -> None:
    page = leader_page
    sign_in(page, org[Role.TEAM_LEADER].username)
    page.goto(f"/wallboard/{over_the_cap.campaign.pk}/")
    expect(page.get_by_test_id("connection")).to_have_text("Live")

    expect(page.get_by_test_id("abandon-guard")).to_be_visible()
    expect(page.get_by_test_id("abandon-guard")).to_contain_text("4.00 %")
    expect(page.get_by_test_id("abandon-guard")).to_contain_text("one call per ready agent")
    save_screenshot(page, viewport, "wallboard-abandon-guard")
