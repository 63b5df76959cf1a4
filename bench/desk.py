"""Benchmark: answer-to-screen latency of the agent's desk, from the phone system's "answered" to
the lead's card on the agent's screen, with many desks connected.

It sets up campaigns with agents and leads (each lead with an earlier call, so cards carry a
history) on PostgreSQL, starts the product's ASGI application under uvicorn with the dialer
engine in process on the simulated phone system (bench/desk_server.py, Redis channel layer), and
connects the desks: WebSocket clients for most, real browsers (Debian chromium) for a few. Each
desk works as an agent does: starts work, goes ready, takes each call, talks, and closes it with
a status through the desk's API. Reported: answer-to-message for the WebSocket clients,
answer-to-paint for the browsers, and the time the web process takes to build a card.

    .venv/bin/python bench/desk.py [--desks 200] [--browsers 3] [--campaigns 10]
        [--seconds 60] [--talk-seconds 20] [--speedup 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    free_port,
    latency_line,
    prepare_django,
    start_uvicorn,
    stop_server,
    wait_until_up,
)

DATABASE = "dialcrm_bench_desk"
CSRF_TOKEN = "b" * 32  # an unmasked CSRF secret: the API checks cookie and header agree
CHROMIUM = "/usr/bin/chromium"
SHEET = {
    "groups": [
        {
            "title": "Customer",
            "fields": [
                {"key": "full_name", "label": "Full name", "kind": "text", "required": True},
                {"key": "email", "label": "Email", "kind": "email"},
                {"key": "plan", "label": "Plan", "kind": "choice", "choices": ["Basic", "Plus"]},
                {"key": "kwh", "label": "kWh a month", "kind": "number", "min": 0},
                {"key": "agrees", "label": "Agrees to the contract", "kind": "yes_no"},
            ],
        }
    ]
}


@dataclass(frozen=True)
class Desk:
    agent_id: int
    campaign_id: int
    session_key: str


def _set_up(desks: int, campaigns: int, leads_per_campaign: int) -> list[Desk]:
    import datetime

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from dialcrm.campaigns.models import (
        CallList,
        Campaign,
        Client,
        Lead,
        Phone,
        Status,
        WorkSheet,
        WorkSheetVersion,
    )
    from dialcrm.campaigns.statuses import seed_default_statuses
    from dialcrm.catalog.models import Product
    from dialcrm.core.choices import AgentLevel, Role
    from dialcrm.dialer.models import CallAttempt
    from dialcrm.org.models import Company, Location, Staff, Team

    company = Company.objects.create(name="Bench Desks")
    location = Location.objects.create(company=company, name="Floor")
    seed_default_statuses(company)
    statuses = list(Status.objects.filter(company=company))
    not_interested = next(status for status in statuses if status.code == "NI")
    sheet = WorkSheet.objects.create(company=company, name="Offer")
    WorkSheetVersion.objects.create(sheet=sheet, number=1, definition=SHEET)
    products = [
        Product.objects.create(company=company, code=f"P{number}", name=f"Product {number}")
        for number in range(3)
    ]
    client = Client.objects.create(company=company, name="Bench Client")
    password = make_password(None)
    earlier = timezone.now() - datetime.timedelta(days=2)
    result: list[Desk] = []
    per_campaign = desks // campaigns
    for index in range(campaigns):
        team = Team.objects.create(location=location, name=f"Team {index}")
        agents = Staff.objects.bulk_create(
            Staff(
                username=f"desk.bench{index}.{number}",
                first_name=f"Agent {index}.{number}",
                password=password,
                company=company,
                location=location,
                team=team,
                role=Role.AGENT,
                level=AgentLevel.SENIOR,
            )
            for number in range(per_campaign + (desks % campaigns if index == 0 else 0))
        )
        call_list = CallList.objects.create(client=client, name=f"List {index}")
        campaign = Campaign.objects.create(
            client=client,
            location=location,
            name=f"Campaign {index}",
            work_sheet=sheet,
            script="Good morning {lead}, I am {agent} from Bench Energy.",
            caller_id="+40215550000",
            state="running",
            calling_hours_start=datetime.time(0, 0),
            calling_hours_end=datetime.time(23, 59, 59),
            calling_days=[0, 1, 2, 3, 4, 5, 6],
        )
        campaign.statuses.set(statuses)
        campaign.products.set(products)
        campaign.teams.set([team])
        campaign.list_links.create(call_list=call_list, priority=1)
        leads = Lead.objects.bulk_create(
            Lead(
                call_list=call_list,
                first_name="Ana",
                last_name=f"Lead {index}.{number}",
                city="București",
                custom={"consumption_kwh": 1200 + number % 900},
            )
            for number in range(leads_per_campaign)
        )
        phones = Phone.objects.bulk_create(
            Phone(
                lead=lead,
                number=f"+4072{index:02d}{number:05d}",
                country="RO",
                time_zone="Europe/Bucharest",
            )
            for number, lead in enumerate(leads)
        )
        CallAttempt.objects.bulk_create(
            CallAttempt(
                campaign=campaign,
                lead=lead,
                phone=phone,
                number=phone.number,
                agent=agents[number % len(agents)],
                mode="predictive",
                dialed_at=earlier,
                connected_at=earlier,
                ended_at=earlier + datetime.timedelta(minutes=2),
                outcome="contact",
                status=not_interested,
            )
            for number, (lead, phone) in enumerate(zip(leads, phones, strict=True))
        )
        for agent in agents:
            session = SessionStore()
            session[SESSION_KEY] = str(agent.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = agent.get_session_auth_hash()
            session["two_factor_verified"] = True
            session.create()
            result.append(Desk(agent.pk, campaign.pk, session.session_key))
    return result


@dataclass
class Results:
    socket_ms: list[float] = field(default_factory=list)
    browser_ms: list[float] = field(default_factory=list)
    card_ms: list[float] = field(default_factory=list)
    connect_ms: list[float] = field(default_factory=list)  # socket opened to snapshot received
    closings: int = 0
    refusals: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    # (seconds into the run, latency) of every call, to tell the shift's start from the rest
    timeline: list[tuple[float, float]] = field(default_factory=list)

    def note(self, bucket: list[float], answered_at: float, latency_ms: float) -> None:
        bucket.append(latency_ms)
        self.timeline.append((answered_at - self.started, latency_ms))


def _cookies(desk: Desk) -> dict[str, str]:
    return {"sessionid": desk.session_key, "csrftoken": CSRF_TOKEN}


async def _start_work(client: Any, desk: Desk) -> None:
    response = await client.post(
        "/api/desk/work",
        json={"campaign_id": desk.campaign_id, "endpoint": f"PJSIP/agent-{desk.agent_id}"},
        cookies=_cookies(desk),
        headers={"X-CSRFToken": CSRF_TOKEN},
    )
    if response.status_code != 201:
        raise SystemExit(f"start of work refused: {response.status_code} {response.text}")


async def _close_call(client: Any, desk: Desk, call_id: str, results: Results) -> None:
    import httpx

    try:
        response = await client.post(
            f"/api/desk/calls/{call_id}/disposition",
            json={"idempotency_key": uuid.uuid4().hex, "status": "NI", "answers": {}},
            cookies=_cookies(desk),
            headers={"X-CSRFToken": CSRF_TOKEN},
        )
    except httpx.HTTPError as error:  # the run ends with calls still being closed
        results.refusals.append(f"{type(error).__name__}")
        return
    if response.status_code == 201:
        results.closings += 1
    else:
        results.refusals.append(f"{response.status_code} {response.text[:200]}")


async def socket_desk(
    url: str, desk: Desk, client: Any, results: Results, talk_s: float, rng: random.Random
) -> None:
    from websockets.asyncio.client import connect

    await _start_work(client, desk)
    headers = {"Cookie": f"sessionid={desk.session_key}"}
    opening = time.monotonic()
    async with connect(
        url.replace("http", "ws") + "/ws/desk/",
        additional_headers=headers,
        origin=url,  # type: ignore[arg-type]
        max_size=2**22,
        open_timeout=120,  # a slow start is measured, not a failure
    ) as websocket:
        async for raw in websocket:
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "desk.snapshot" and opening:
                results.connect_ms.append((time.monotonic() - opening) * 1000)
                opening = 0.0
            state = message["state"]["state"] if kind == "desk.snapshot" else message.get("state")
            if kind in ("desk.snapshot", "agent.state") and state == "paused":
                await websocket.send(json.dumps({"action": "ready"}))  # logged in: to work
            if message.get("type") != "call.offered":
                continue
            received = time.time()
            if message.get("answered_at"):
                latency = (received - message["answered_at"]) * 1000
                results.note(results.socket_ms, message["answered_at"], latency)
            if message.get("card_ms") is not None:
                results.card_ms.append(message["card_ms"])
            asyncio.get_running_loop().call_later(
                rng.uniform(0.5 * talk_s, 1.5 * talk_s),
                lambda call_id=message["call_id"]: asyncio.ensure_future(
                    _close_call(client, desk, call_id, results)
                ),
            )


async def browser_desks(
    url: str, desks: list[Desk], client: Any, results: Results, talk_s: float
) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            await asyncio.gather(
                *(_browser_desk(browser, url, desk, client, results, talk_s) for desk in desks)
            )
        finally:
            await browser.close()


async def _browser_desk(
    browser: Any, url: str, desk: Desk, client: Any, results: Results, talk_s: float
) -> None:
    await _start_work(client, desk)
    context = await browser.new_context(base_url=url, viewport={"width": 1440, "height": 900})
    await context.add_cookies([{"name": "sessionid", "value": desk.session_key, "url": url}])
    page = await context.new_page()
    await page.goto("/desk/")
    # A slow start is measured (the WebSocket clients' connecting time), not a failure.
    await page.get_by_test_id("agent-state").filter(has_text="Paused").wait_for(timeout=120_000)
    await page.get_by_test_id("ready").click()
    seen = 0
    while True:
        await page.wait_for_function(
            "n => window.deskTimings.length > n && window.deskTimings[n].painted",
            arg=seen,
            timeout=0,
        )
        timing = await page.evaluate("n => window.deskTimings[n]", seen)
        seen += 1
        if timing.get("answered_at"):
            latency = timing["painted"] - timing["answered_at"] * 1000
            results.note(results.browser_ms, timing["answered_at"], latency)
        await asyncio.sleep(talk_s)
        await page.get_by_test_id("status-NI").click()
        await page.get_by_test_id("submit-status").click()
        await page.get_by_test_id("call-panel").wait_for(state="hidden", timeout=20_000)
        results.closings += 1


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _line(name: str, values: list[float]) -> str:
    return latency_line(name, values, empty="no calls", digits=0)


async def run(arguments: argparse.Namespace, desks: list[Desk]) -> Results:
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_uvicorn(
        "bench.desk_server:application", port, DESK_BENCH_SPEEDUP=str(arguments.speedup)
    )
    results = Results()
    rng = random.Random(7)
    try:
        await wait_until_up(url, "desk server")
        await asyncio.sleep(2.0)  # the engine takes the campaigns
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
            browsers = desks[: arguments.browsers]
            sockets = desks[arguments.browsers :]
            tasks = [
                asyncio.create_task(
                    socket_desk(url, desk, client, results, arguments.talk_seconds, rng)
                )
                for desk in sockets
            ]
            if browsers:
                tasks.append(
                    asyncio.create_task(
                        browser_desks(url, browsers, client, results, arguments.talk_seconds)
                    )
                )
            started = time.monotonic()
            results.started = time.time()
            done, _pending = await asyncio.wait(tasks, timeout=arguments.seconds)
            for task in done:
                if task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            results.seconds = time.monotonic() - started  # type: ignore[attr-defined]
            results.server_cpu_s = _cpu_seconds(server.pid)  # type: ignore[attr-defined]
    finally:
        stop_server(server)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--desks", type=int, default=200)
    parser.add_argument("--browsers", type=int, default=3)
    parser.add_argument("--campaigns", type=int, default=10)
    parser.add_argument("--leads", type=int, default=3000, help="per campaign")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--talk-seconds", type=float, default=20.0)
    parser.add_argument("--speedup", type=float, default=5.0)
    parser.add_argument("--warm-up-seconds", type=float, default=20.0)
    arguments = parser.parse_args()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)

    started = time.monotonic()
    prepare_django(DATABASE, redis_db=12, fresh=True)
    desks = _set_up(arguments.desks, arguments.campaigns, arguments.leads)
    print(
        f"set up {len(desks)} desks on {arguments.campaigns} campaigns, "
        f"{arguments.leads * arguments.campaigns} leads in {time.monotonic() - started:.1f} s"
    )
    results = asyncio.run(run(arguments, desks))
    calls = len(results.socket_ms) + len(results.browser_ms)
    seconds = getattr(results, "seconds", arguments.seconds)
    print(
        f"{len(desks)} desks ({len(desks) - arguments.browsers} WebSocket clients, "
        f"{arguments.browsers} browsers), {calls} calls put through in {seconds:.0f} s "
        f"({calls / seconds:.1f}/s), {results.closings} closed with a status"
    )
    cpu = getattr(results, "server_cpu_s", 0.0)
    print(
        f"web process (uvicorn, engine in process) CPU: {cpu:.0f} s, "
        f"{cpu / max(calls, 1) * 1000:.0f} ms per call; this machine has {os.cpu_count()} cores"
    )
    print(_line("answer to message, WebSocket clients", results.socket_ms))
    print(_line("answer to paint, browsers", results.browser_ms))
    print(_line("card built by the web process", results.card_ms))
    print(
        _line(
            "desk connecting to its first snapshot (the floor starting at once)", results.connect_ms
        )
    )
    every = results.socket_ms + results.browser_ms
    print(_line("answer to screen, every desk", every))
    warm_up = arguments.warm_up_seconds
    print(
        _line(
            f"answer to screen in the first {warm_up:.0f} s (every desk starting at once)",
            [latency for at, latency in results.timeline if at < warm_up],
        )
    )
    print(
        _line(
            f"answer to screen after the first {warm_up:.0f} s (steady state)",
            [latency for at, latency in results.timeline if at >= warm_up],
        )
    )
    if results.refusals:
        print(f"{len(results.refusals)} closings refused, e.g. {results.refusals[:3]}")


if __name__ == "__main__":
    main()
