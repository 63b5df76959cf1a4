"""The desk's softphone in a real browser: the agent chooses it at the start of work; the panel
loads JsSIP, asks for the microphone, fetches TURN credentials and tests the relay against a real
coturn, fetches the agent's SIP account and registers over a WebSocket with a loopback SIP
registrar; and it says clearly what is wrong when the microphone is blocked or missing, the
relay or the phone server cannot be reached, or the registration is refused."""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.fixtures import Settings
from websockets.asyncio.server import ServerConnection, serve

from dialcrm.desk.models import DeskSession
from dialcrm.telephony.asterisk import AriConfig, AsteriskGateway
from dialcrm.telephony.sip import sip_password
from tests.desk.conftest import DeskCampaign, make_desk_campaign
from tests.telephony.test_turn import SECRET as TURN_SECRET
from tests.telephony.test_turn import Turn, coturn, free_port  # noqa: F401 (coturn: a fixture)

from .conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS
from .support import DESKTOP, VIEWPORTS, Viewport, path_is

pytestmark = pytest.mark.e2e
SIP_SECRET = "softphone-test-secret"
# Chromium's stand-in microphone, granted without a prompt.
FAKE_MICROPHONE = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
# The panel gives the relay 5 s to answer; registration and the rest come well before.
SLOW_S = 10_000


@dataclass
class Registrar:
    """A SIP registrar on a loopback WebSocket (subprotocol "sip", RFC 7118) that accepts or
    refuses every REGISTER, and records what it was sent."""

    accepts: bool = True
    port: int = 0
    requests: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def handle(self, connection: ServerConnection) -> None:
        async for message in connection:
            request = message if isinstance(message, str) else message.decode()
            self.requests.append(request)
            if request.startswith("REGISTER "):
                await connection.send(self.answer(request))

    def answer(self, request: str) -> str:
        head = request.split("\r\n\r\n", 1)[0].split("\r\n")
        headers = [line for line in head[1:] if ":" in line]

        def copied(name: str) -> list[str]:
            return [line for line in headers if line.split(":", 1)[0].strip().lower() == name]

        status = "200 OK" if self.accepts else "403 Forbidden"
        lines = [f"SIP/2.0 {status}", *copied("via"), *copied("from")]
        lines += [f"{line};tag=registrar" for line in copied("to")]
        lines += [*copied("call-id"), *copied("cseq")]
        if self.accepts:
            lines += [f"{line};expires=600" for line in copied("contact")]
        return "\r\n".join([*lines, "Content-Length: 0", "", ""])


@pytest.fixture
def registrar() -> Iterator[Registrar]:
    registrar = Registrar()
    ready = threading.Event()
    stop: list[Callable[[], None]] = []

    async def main() -> None:
        done = asyncio.Event()
        async with serve(registrar.handle, "127.0.0.1", 0, subprotocols=["sip"]) as server:
            registrar.port = next(iter(server.sockets)).getsockname()[1]
            loop = asyncio.get_running_loop()
            stop.append(lambda: loop.call_soon_threadsafe(done.set))
            ready.set()
            await done.wait()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(5)
    yield registrar
    stop[0]()
    thread.join(5)


@pytest.fixture
def desk(org: Any, transactional_db: None) -> DeskCampaign:
    return make_desk_campaign(org, leads=1)


@pytest.fixture
def phone_settings(settings: Settings, registrar: Registrar) -> Settings:
    settings.TELEPHONY = "asterisk"
    settings.SIP_SECRET = SIP_SECRET
    settings.SIP_WSS_URL = registrar.url
    settings.SIP_DOMAIN = "pbx.dialcrm.test"
    settings.TURN_SECRET = TURN_SECRET
    settings.TURN_URLS = [f"turn:127.0.0.1:{free_port()}?transport=udp"]  # nobody there
    return settings


@pytest.fixture(scope="module")
def browser_with_microphone(browser: Browser) -> Iterator[Browser]:
    """A second chromium whose microphone is a fake device, allowed without asking."""
    with_microphone = browser.browser_type.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS + FAKE_MICROPHONE
    )
    yield with_microphone
    with_microphone.close()


@pytest.fixture
def open_desk(
    live_server: Any, sign_in: Callable[..., None], viewport: Viewport
) -> Iterator[Callable[..., Page]]:
    """Signs the agent in, in a fresh context of the given browser, and opens their desk."""
    contexts: list[BrowserContext] = []

    def open_desk(on: Browser, desk: DeskCampaign, permissions: list[str] | None = None) -> Page:
        context = on.new_context(
            base_url=live_server.url,
            viewport={"width": viewport.width, "height": viewport.height},
            locale="en-US",
            permissions=permissions or [],
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, desk.agent.username)
        expect(page).to_have_url(path_is("/"))
        page.goto("/desk/")
        return page

    yield open_desk
    for context in contexts:
        context.close()


def start(page: Page) -> Page:
    """Starts work with the form's defaults: the softphone."""
    page.get_by_test_id("start").click()
    expect(page).to_have_url(path_is("/desk/"))
    return page


def panel(page: Page, part: str) -> Any:
    return page.get_by_test_id(f"softphone-{part}")


def save(page: Page, viewport: Viewport, name: str) -> None:
    folder = SCREENSHOTS / f"{viewport.width}x{viewport.height}"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=str)
def test_the_softphone_chosen_at_the_start_registers_with_the_agents_account(
    browser_with_microphone: Browser,
    open_desk: Callable[..., Page],
    desk: DeskCampaign,
    phone_settings: Settings,
    registrar: Registrar,
    coturn: Turn,  # noqa: F811 (the fixture imported above)
    viewport: Viewport,
) -> None:
    phone_settings.TURN_URLS = [f"turn:127.0.0.1:{coturn.port}?transport=udp"]
    page = open_desk(browser_with_microphone, desk)
    expect(page.get_by_label("The softphone in this browser (headset)")).to_be_checked()
    page.get_by_test_id("start").click()

    expect(page).to_have_url(path_is("/desk/"))
    expect(panel(page, "microphone")).to_have_text("Microphone ready")
    expect(panel(page, "registration")).to_have_text("Registered: calls come to this browser")
    expect(panel(page, "turn")).to_have_text("Audio relay reachable", timeout=SLOW_S)
    expect(panel(page, "audio")).to_have_text("No line yet: the dialer calls you when you start")
    save(page, viewport, "desk-softphone-registered")

    session = DeskSession.objects.get(agent=desk.agent, ended_at__isnull=True)
    assert session.endpoint == f"PJSIP/agent-{desk.agent.pk}"
    assert page.evaluate("() => typeof window.JsSIP.UA") == "function"
    register = registrar.requests[0]
    assert register.startswith("REGISTER sip:pbx.dialcrm.test SIP/2.0\r\n")
    assert f"<sip:agent-{desk.agent.pk}@pbx.dialcrm.test>" in register
    assert sip_password(f"agent-{desk.agent.pk}", SIP_SECRET) not in "".join(registrar.requests)


def test_a_refused_registration_and_an_unreachable_relay_are_explained(
    browser_with_microphone: Browser,
    open_desk: Callable[..., Page],
    desk: DeskCampaign,
    phone_settings: Settings,
    registrar: Registrar,
) -> None:
    registrar.accepts = False
    page = start(open_desk(browser_with_microphone, desk))

    expect(panel(page, "registration")).to_have_text(
        "The phone server refused the registration (403 Forbidden): ask your administrator to "
        "check your phone account."
    )
    expect(panel(page, "turn")).to_have_text(
        "The audio relay (TURN) cannot be reached: calls may have no sound behind the office "
        "firewall. Tell your administrator.",
        timeout=SLOW_S,
    )
    expect(panel(page, "registration")).to_have_class(re.compile("text-danger"))
    save(page, DESKTOP, "desk-softphone-refused")


def test_an_unreachable_phone_server_is_explained(
    browser_with_microphone: Browser,
    open_desk: Callable[..., Page],
    desk: DeskCampaign,
    phone_settings: Settings,
) -> None:
    phone_settings.SIP_WSS_URL = f"ws://127.0.0.1:{free_port()}/ws"
    page = start(open_desk(browser_with_microphone, desk))

    expect(panel(page, "registration")).to_have_text(
        f"Cannot reach the phone server at {phone_settings.SIP_WSS_URL}: trying again…"
    )


@pytest.fixture(scope="module")
def browser_asking(browser: Browser) -> Iterator[Browser]:
    """A chromium with a (fake) microphone that asks before letting a page use it."""
    asking = browser.browser_type.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS + FAKE_MICROPHONE[:1]
    )
    yield asking
    asking.close()


def test_a_blocked_microphone_is_explained(
    browser_asking: Browser,
    open_desk: Callable[..., Page],
    desk: DeskCampaign,
    phone_settings: Settings,
) -> None:
    page = open_desk(browser_asking, desk)
    # The agent once answered "Block" to the browser's question for this site.
    origin = re.match(r"https?://[^/]+", page.url)
    assert origin is not None
    page.context.new_cdp_session(page).send(
        "Browser.setPermission",
        {"permission": {"name": "microphone"}, "setting": "denied", "origin": origin[0]},
    )
    start(page)

    expect(panel(page, "microphone")).to_have_text(
        "The microphone is blocked: allow it for this site in the browser (the icon in the "
        "address bar), then reload the page."
    )
    expect(panel(page, "registration")).to_have_text("Registered: calls come to this browser")
    save(page, DESKTOP, "desk-softphone-microphone-blocked")


def test_a_missing_microphone_is_explained(
    browser: Browser,
    open_desk: Callable[..., Page],
    desk: DeskCampaign,
    phone_settings: Settings,
) -> None:
    page = start(open_desk(browser, desk, permissions=["microphone"]))  # allowed, no device

    expect(panel(page, "microphone")).to_have_text(
        "No microphone found: plug in your headset, then reload the page."
    )


def test_without_telephony_configured_the_panel_says_what_to_set(
    browser_with_microphone: Browser,
    open_desk: Callable[..., Page],
    desk: DeskCampaign,
    settings: Settings,
) -> None:
    settings.TELEPHONY = "asterisk"
    settings.SIP_SECRET = ""
    settings.TURN_SECRET = ""
    page = start(open_desk(browser_with_microphone, desk))

    expect(panel(page, "registration")).to_have_text(
        "The softphone cannot start: The softphone is not configured: set SIP_SECRET, "
        "SIP_WSS_URL and SIP_DOMAIN."
    )
    expect(panel(page, "turn")).to_have_text(
        "No audio relay: The TURN server is not configured: set TURN_URLS and TURN_SECRET."
    )


def test_with_a_desk_phone_the_desk_names_the_line_and_loads_no_softphone(
    browser: Browser,
    open_desk: Callable[..., Page],
    desk: DeskCampaign,
    phone_settings: Settings,
    registrar: Registrar,
) -> None:
    page = open_desk(browser, desk)
    page.get_by_label("My desk SIP phone").check()
    page.get_by_test_id("start").click()

    expect(page.get_by_test_id("softphone-off")).to_have_text(
        f"Your calls come to the phone line PJSIP/desk-{desk.agent.pk}."
    )
    assert page.evaluate("() => typeof window.JsSIP") == "undefined"
    assert registrar.requests == []


# --- against a real Asterisk (opt-in) ----------------------------------------------------------

REAL = {
    name: os.environ.get(name, "")
    for name in ("ASTERISK_ARI_URL", "ASTERISK_SIP_WSS_URL", "ASTERISK_TEST_PJSIP_AGENTS")
}


@pytest.mark.skipif(
    not all(REAL.values()),
    reason=(
        "no real Asterisk: set ASTERISK_ARI_URL (with ASTERISK_ARI_USER/PASSWORD), "
        "ASTERISK_SIP_WSS_URL (its WebSocket, wss://…/ws) and ASTERISK_TEST_PJSIP_AGENTS (the "
        "pjsip_agents.conf its pjsip.conf includes, which the test rewrites)"
    ),
)
def test_on_a_real_asterisk_the_softphone_registers_and_answers_the_dialers_line(
    browser: Browser,
    open_desk: Callable[..., Page],
    desk: DeskCampaign,
    settings: Settings,
) -> None:
    settings.TELEPHONY = "asterisk"
    settings.SIP_SECRET = SIP_SECRET
    settings.SIP_WSS_URL = REAL["ASTERISK_SIP_WSS_URL"]
    settings.SIP_DOMAIN = urlsplit(REAL["ASTERISK_SIP_WSS_URL"]).hostname
    ari = AriConfig.from_env()
    # The agents' endpoints as an operator installs them: the command's file, then a reload.
    call_command(
        "asterisk_endpoints",
        "--company",
        str(desk.agent.company_id),
        "--output",
        REAL["ASTERISK_TEST_PJSIP_AGENTS"],
    )
    reloaded = httpx.put(
        f"{ari.rest_url}asterisk/modules/res_pjsip.so", auth=(ari.user, ari.password), timeout=5
    )
    assert reloaded.status_code == 204, reloaded.text
    # A test Asterisk has a certificate of its own making.
    trusting = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS + FAKE_MICROPHONE + ["--ignore-certificate-errors"],
    )
    agent_id = desk.agent.pk
    try:
        page = start(open_desk(trusting, desk))
        expect(panel(page, "registration")).to_have_text("Registered: calls come to this browser")

        async def ring_the_agent() -> None:
            gateway = AsteriskGateway(replace(ari, agent_answer_timeout_s=10.0))
            await gateway.start()
            try:
                await gateway.attach_agent(agent_id, f"PJSIP/agent-{agent_id}")
                await asyncio.sleep(3)  # the line stays up in the agent's bridge
            finally:
                await gateway.detach_agent(agent_id)
                await gateway.close()

        ringing = threading.Thread(target=asyncio.run, args=(ring_the_agent(),))
        ringing.start()
        expect(panel(page, "audio")).to_have_text(
            "Connected: customers are put through to your headset", timeout=SLOW_S
        )
        ringing.join(30)
        expect(panel(page, "audio")).to_have_text(re.compile(r"^Your line ended \("))
    finally:
        trusting.close()
