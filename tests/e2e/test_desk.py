"""The agent's desk in a real browser, against the ASGI application under uvicorn with the dialer
engine in process (tests/desk/server.py): an agent starts work, goes ready, gets a simulated call
with the customer's history, fills the work sheet, reloads mid-call and finds the call and the
draft again, records a sale (submitted twice at once: recorded once) that lands in the quality
queue; a team leader follows the team live and pauses the agent. At phone, tablet and desktop
widths, with screenshots."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import Browser, Page, expect

from dialcrm.core.choices import Role
from dialcrm.desk.models import DeskDraft, Disposition, Sale, SupervisorAction
from tests.desk.conftest import EARLIER_NOTE, DeskCampaign, make_desk_campaign

from .conftest import SCREENSHOTS
from .support import DESKTOP, PHONE, VIEWPORTS, Viewport, path_is

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SERVER_START_S = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    database = connection.settings_dict
    user = database.get("USER") or "postgres"
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{database['NAME']}"


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the desk server stopped:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/sign-in/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"the desk server did not start:\n{log.read_text()[-3000:]}")


@pytest.fixture
def desk(org: Any, transactional_db: None) -> DeskCampaign:
    return make_desk_campaign(org, leads=3)


@contextlib.contextmanager
def _server(tmp_path: Path) -> Iterator[str]:
    """uvicorn with the product's ASGI application (WebSockets) and an engine, on the test
    database; stopped before the database is emptied."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DIALCRM_ENV="test",
        DATABASE_URL=_database_url(),
        REDIS_URL=settings.REDIS_URL,
        PYTHONPATH=str(ROOT),
    )
    log = tmp_path / "desk-server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "tests.desk.server:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--lifespan",
                "on",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        connection.close()
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


@pytest.fixture
def desk_server(desk: DeskCampaign, tmp_path: Path) -> Iterator[str]:
    with _server(tmp_path) as url:
        yield url


@pytest.fixture
def open_page(
    browser: Browser, desk_server: str, viewport: Viewport
) -> Iterator[Callable[[], Page]]:
    contexts = []

    def new_page() -> Page:
        context = browser.new_context(
            base_url=desk_server,
            viewport={"width": viewport.width, "height": viewport.height},
            locale="en-US",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


def save_screenshot(page: Page, viewport: Viewport, name: str) -> None:
    folder = SCREENSHOTS / f"{viewport.width}x{viewport.height}"
    folder.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => window.scrollTo(0, 0)")  # the state bar sticks to the top
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def wait_for(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the condition never came true")
        time.sleep(0.1)


def _drafted(call_id: str) -> dict[str, Any]:
    data = DeskDraft.objects.filter(attempt__call_id=call_id).values_list("data", flat=True)
    return (data.first() or {}).get("answers", {})


def no_sideways_scrolling(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def start_work(
    page: Page, sign_in: Callable[..., None], desk: DeskCampaign, user: Any = None
) -> None:
    sign_in(page, (user or desk.agent).username)
    expect(page).to_have_url(path_is("/"))
    page.goto("/desk/")
    expect(page.get_by_test_id("start-form")).to_be_visible()
    page.locator("#id_endpoint").fill("PJSIP/agent-e2e")
    page.get_by_test_id("start").click()
    expect(page).to_have_url(path_is("/desk/"))
    expect(page.get_by_test_id("agent-state")).to_have_text(re.compile("^Paused"))
    expect(page.get_by_test_id("connection")).to_have_text("Connected")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=str)
def test_an_agent_takes_a_call_fills_the_sheet_and_records_a_sale(
    open_page: Callable[[], Page],
    desk: DeskCampaign,
    org: Any,
    viewport: Viewport,
    sign_in: Callable[..., None],
) -> None:
    page = open_page()
    start_work(page, sign_in, desk)
    save_screenshot(page, viewport, "desk-waiting")

    # Ready: the simulated customer answers and the call is on screen with the history.
    page.get_by_test_id("ready").click()
    expect(page.get_by_test_id("call-panel")).to_be_visible()
    expect(page.get_by_test_id("agent-state")).to_have_text("On a call")
    expect(page.get_by_test_id("lead-name")).to_have_text(re.compile(r"^Lead\d$"))
    expect(page.get_by_test_id("history-item").first).to_contain_text(EARLIER_NOTE)
    expect(page.get_by_test_id("history-item").first).to_contain_text("CB · CB")
    expect(page.get_by_test_id("callbacks")).to_contain_text("call after 5 pm")
    call_id = page.evaluate("window.dialcrmDesk.card.call_id")
    number = page.get_by_test_id("call-number").inner_text()

    # The work sheet, saved as a draft while typing.
    sheet = page.get_by_test_id("sheet")
    sheet.get_by_label("Full name *").fill("Ana Popescu")
    sheet.get_by_label("Plan *").select_option("Plus")
    sheet.get_by_label("kWh a month").fill("240")
    wait_for(lambda: _drafted(call_id).get("kwh") == "240")
    expect(page.get_by_test_id("draft-state")).to_have_text("Draft saved")
    assert no_sideways_scrolling(page)
    save_screenshot(page, viewport, "desk-call")

    # Hold and back; nobody else is ready, so the transfer list says so and the call stays.
    page.get_by_test_id("hold").click()
    expect(page.get_by_test_id("call-phase")).to_have_text("On hold: the customer hears music")
    expect(page.get_by_test_id("hold")).to_contain_text("Resume")
    save_screenshot(page, viewport, "desk-on-hold")
    if viewport.width >= 992:
        page.keyboard.press("o")  # the desktop's key for hold / resume
    else:
        page.get_by_test_id("hold").click()
    expect(page.get_by_test_id("call-phase")).to_have_text("On the call")
    page.get_by_test_id("transfer").click()
    expect(page.get_by_test_id("no-transfer-target")).to_be_visible()
    page.keyboard.press("Escape")

    # A reload mid-call: the same call, the draft as typed.
    page.reload()
    expect(page.get_by_test_id("call-number")).to_have_text(number)
    expect(sheet.get_by_label("Full name *")).to_have_value("Ana Popescu")
    expect(sheet.get_by_label("Plan *")).to_have_value("Plus")
    expect(sheet.get_by_label("kWh a month")).to_have_value("240")
    expect(page.get_by_test_id("agent-state")).to_have_text("On a call")

    # A sale: the status, the products; not ready after it.
    page.get_by_test_id("status-SALE").click()
    page.get_by_test_id("add-product").click()
    page.get_by_test_id("product-0").select_option(label="Solar panel (SOLAR)")
    page.get_by_test_id("quantity-0").fill("2")
    page.get_by_test_id("go-ready").uncheck()
    page.get_by_test_id("pause-after").select_option("lunch")
    save_screenshot(page, viewport, "desk-sale")
    # Submitted three times at once (as a double click past the button's guard and a retry).
    page.evaluate(
        """() => {
            const desk = window.dialcrmDesk;
            return Promise.all([desk.submit(), desk.submit(), desk.submitStatus()]);
        }"""
    )
    expect(page.get_by_test_id("notice")).to_contain_text("Status recorded")
    expect(page.get_by_test_id("call-panel")).to_be_hidden()
    expect(page.get_by_test_id("agent-state")).to_have_text("Paused · Lunch")
    expect(page.get_by_test_id("my-sales")).to_have_text("1")
    save_screenshot(page, viewport, "desk-after-sale")

    assert Disposition.objects.filter(attempt__call_id=call_id).count() == 1
    sale = Sale.objects.get(disposition__attempt__call_id=call_id)
    assert sale.state == "pending"
    assert [(line.product.code, line.quantity) for line in sale.lines.all()] == [("SOLAR", 2)]
    assert sale.disposition.answers["full_name"] == "Ana Popescu"
    assert sale.disposition.attempt.status.code == "SALE"  # the engine closed the call

    # Quality finds it in the review queue.
    quality = open_page()
    sign_in(quality, org[Role.QUALITY].username)
    expect(quality).to_have_url(path_is("/"))
    quality.goto("/desk/sales/?state=pending")
    row = quality.locator("tbody tr").filter(has_text="Solar panel")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("2 × Solar panel")
    expect(row).to_contain_text("Pending quality review")
    expect(row).to_contain_text("North.Agent")
    save_screenshot(quality, viewport, "quality-queue")


def test_a_team_leader_follows_the_team_and_pauses_an_agent(
    open_page: Callable[[], Page], desk: DeskCampaign, org: Any, sign_in: Callable[..., None]
) -> None:
    agent = open_page()
    start_work(agent, sign_in, desk)
    leader = open_page()
    sign_in(leader, org[Role.TEAM_LEADER].username)
    expect(leader).to_have_url(path_is("/"))
    leader.goto("/desk/team/")
    row = leader.get_by_test_id(f"agent-{desk.agent.pk}")
    expect(row.get_by_test_id("state")).to_have_text(re.compile("^Paused"))

    agent.get_by_test_id("ready").click()
    expect(row.get_by_test_id("state")).to_have_text("On a call")
    expect(row.get_by_test_id("call")).to_contain_text(re.compile(r"Lead\d"))
    save_screenshot(leader, DESKTOP, "team-view")
    row.get_by_test_id("pause").click()
    expect(leader.get_by_test_id("notice")).to_contain_text("will be paused")

    # The call goes on; the pause comes after its status.
    expect(agent.get_by_test_id("agent-state")).to_have_text("On a call")
    agent.get_by_test_id("status-NI").click()
    agent.get_by_test_id("submit-status").click()
    expect(agent.get_by_test_id("agent-state")).to_have_text("Paused · Paused by the team leader")
    expect(row.get_by_test_id("state")).to_have_text("Paused · Paused by the team leader")
    action = SupervisorAction.objects.get()
    assert (action.supervisor, action.agent, action.kind) == (
        org[Role.TEAM_LEADER],
        desk.agent,
        "pause",
    )


@pytest.fixture
def preview_desk(org: Any, transactional_db: None) -> DeskCampaign:
    return make_desk_campaign(org, leads=3, dial_mode="preview")


def test_in_preview_mode_the_agent_sees_the_lead_then_dials_or_skips(
    browser: Browser, preview_desk: DeskCampaign, tmp_path: Path, sign_in: Callable[..., None]
) -> None:
    with _server(tmp_path) as url:
        context = browser.new_context(
            base_url=url, viewport={"width": DESKTOP.width, "height": DESKTOP.height}
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        start_work(page, sign_in, preview_desk)
        page.get_by_test_id("ready").click()
        expect(page.get_by_test_id("agent-state")).to_have_text("Ready")

        page.keyboard.press("n")  # the shortcut for the next lead
        expect(page.get_by_test_id("call-phase")).to_have_text("Next lead: not dialed yet")
        expect(page.get_by_test_id("history-item").first).to_contain_text(EARLIER_NOTE)
        first_lead = page.get_by_test_id("lead-name").inner_text()
        page.get_by_test_id("skip-reason").select_option("not_now")
        page.get_by_test_id("skip").click()
        expect(page.get_by_test_id("call-panel")).to_be_hidden()
        expect(page.get_by_test_id("agent-state")).to_have_text("Ready")

        page.get_by_test_id("preview-next").click()
        expect(page.get_by_test_id("call-phase")).to_have_text("Next lead: not dialed yet")
        save_screenshot(page, DESKTOP, "desk-preview")
        page.get_by_test_id("dial-previewed").click()
        expect(page.get_by_test_id("call-phase")).to_have_text("On the call")
        expect(page.get_by_test_id("agent-state")).to_have_text("On a call")
        page.get_by_test_id("status-NI").click()
        page.get_by_test_id("submit-status").click()
        expect(page.get_by_test_id("notice")).to_contain_text("Status recorded")
        context.close()

    assert first_lead.startswith("Lead")
    assert Disposition.objects.filter(agent=preview_desk.agent, status__code="NI").count() == 1


@pytest.fixture
def one_lead_desk(org: Any, transactional_db: None) -> DeskCampaign:
    return make_desk_campaign(org, leads=1)  # the colleague gets no call of their own


def test_an_agent_consults_a_colleague_cancels_then_consults_again_and_transfers(
    browser: Browser,
    one_lead_desk: DeskCampaign,
    org: Any,
    tmp_path: Path,
    sign_in: Callable[..., None],
) -> None:
    desk, teammate = one_lead_desk, one_lead_desk.teammate
    with _server(tmp_path) as url:
        contexts, pages = [], []
        for _ in range(3):
            context = browser.new_context(
                base_url=url,
                viewport={"width": DESKTOP.width, "height": DESKTOP.height},
                locale="en-US",
            )
            context.set_default_timeout(10_000)
            contexts.append(context)
            pages.append(context.new_page())
        first, second, leader = pages
        start_work(first, sign_in, desk)
        start_work(second, sign_in, desk, teammate)
        sign_in(leader, org[Role.TEAM_LEADER].username)
        expect(leader).to_have_url(path_is("/"))
        leader.goto("/desk/team/")
        expect(leader.get_by_test_id(f"agent-{teammate.pk}")).to_be_visible()
        first.get_by_test_id("ready").click()
        expect(first.get_by_test_id("call-phase")).to_have_text("On the call")
        lead = first.get_by_test_id("lead-name").inner_text()
        second.get_by_test_id("ready").click()
        expect(second.get_by_test_id("agent-state")).to_have_text("Ready")

        # Consult (key C opens the list): the customer holds, the colleague sees who and why.
        first.keyboard.press("c")
        first.get_by_test_id(f"consult-with-{teammate.pk}").click()
        expect(first.get_by_test_id("call-phase")).to_have_text(
            f"Talking to {teammate}: the customer is on hold."
        )
        expect(first.get_by_test_id("hold")).to_be_hidden()
        consulted = second.get_by_test_id("consulted-text")
        expect(consulted).to_contain_text(f"{desk.agent} is consulting you about {lead}")
        expect(second.get_by_test_id("agent-state")).to_have_text("On a call")
        # The team leader sees who consults and who is consulted.
        for person, words in ((desk.agent, "Consulting a colleague"), (teammate, "Consulted by")):
            row = leader.get_by_test_id(f"agent-{person.pk}")
            expect(row.get_by_test_id("consult")).to_contain_text(words)
        for viewport in VIEWPORTS:  # the buttons fit every width
            first.set_viewport_size({"width": viewport.width, "height": viewport.height})
            expect(first.get_by_test_id("consult-cancel")).to_be_visible()
            assert no_sideways_scrolling(first)
            save_screenshot(first, viewport, "desk-consulting")
        second.set_viewport_size({"width": PHONE.width, "height": PHONE.height})
        expect(second.get_by_test_id("consult-end")).to_be_visible()
        assert no_sideways_scrolling(second)
        save_screenshot(second, PHONE, "desk-consulted")

        # Cancel: the colleague is ready again, the customer back with the agent.
        first.get_by_test_id("consult-cancel").click()
        expect(first.get_by_test_id("call-phase")).to_have_text("On the call")
        expect(first.get_by_test_id("hold")).to_be_visible()
        expect(second.get_by_test_id("consulted-panel")).to_be_hidden()
        expect(second.get_by_test_id("agent-state")).to_have_text("Ready")
        expect(
            leader.get_by_test_id(f"agent-{teammate.pk}").get_by_test_id("consult")
        ).to_be_hidden()

        # Again, then complete the transfer with its key: the colleague has the call and card.
        first.get_by_test_id("consult").click()
        first.get_by_test_id(f"consult-with-{teammate.pk}").click()
        expect(consulted).to_be_visible()
        first.keyboard.press("t")
        expect(first.get_by_test_id("call-panel")).to_be_hidden()
        expect(first.get_by_test_id("notice")).to_contain_text(f"The call went to {teammate}")
        expect(second.get_by_test_id("lead-name")).to_have_text(lead)
        expect(second.get_by_test_id("notice")).to_contain_text(
            f"{desk.agent} transferred this call to you."
        )
        expect(second.get_by_test_id("agent-state")).to_have_text("On a call")
        for context in contexts:
            context.close()
