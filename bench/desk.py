"""Benchmark: answer-to-screen latency of the agent's desk, from the phone system's "answered" to
the lead's card on the agent's screen, with many desks connected.

It sets up campaigns with agents and leads (each lead with an earlier call, so cards carry a
history) on PostgreSQL and runs the product as production does: the web process (the product's
ASGI application under uvicorn, no engine inside) and the dialer engine in a process of its own
(bench/desk_engine.py: `run_dialer` on the simulated phone system, sped up), the two talking only
through the Redis channel layer. Then it connects the desks: WebSocket clients for most (this
process), real browsers (Debian chromium, one page each) for a few. Each desk works as an agent
does: starts work through the API, opens its socket, goes ready, takes each call, talks for
0.5 to 1.5 times --talk-seconds, and closes it with a status through the desk's API (the
browsers click the status and submit).

The engine stamps each answer with the wall-clock time it leaves the simulated phone system
(`answered_at`) and the time it hands `call.offered` to the channel layer (`published_at`).
Reported, apart for the first --warm-up-seconds (the whole floor starting at once) and the rest:
answer to message for the WebSocket clients, answer to paint for the browsers (the frame with the
card, `window.deskTimings`), the engine's part and the rest (Redis, the web process building the
card, the client), the card's build time in the web process, each desk's time from opening its
socket to its snapshot, the calls put through a second, and the CPU the web process, the engine
process and this process's clients used per call after the warm-up (from /proc). --profile
FOLDER samples the web and engine processes with py-spy after the warm-up (GIL-holding samples,
collapsed stacks).

    .venv/bin/python bench/desk.py [--desks 200] [--browsers 3] [--campaigns 10]
        [--seconds 120] [--talk-seconds 20] [--speedup 5] [--warm-up-seconds 40]
        [--dial-mode predictive|progressive] [--profile FOLDER] [--database NAME]

PostgreSQL database dialcrm_bench_desk unless --database names another (made anew), Redis from REDIS_URL (db 12 if unset; the
channel layer's keys there are cleared first). The first 30 s or so are the whole floor starting
work at once: the warm-up keeps them out of the steady state's figures, which they would swamp.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
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

BENCH = Path(__file__).resolve().parent
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


def _forget_channel_layer() -> None:
    """The channel layer's groups and messages of earlier runs go (the same agents' groups would
    still hold the sockets of web processes long gone, and the engine would send to them)."""
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    keys = list(client.scan_iter(match="asgi*", count=1000))
    if keys:
        client.delete(*keys)


def _set_up(desks: int, campaigns: int, leads_per_campaign: int, dial_mode: str) -> list[Desk]:
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
            dial_mode=dial_mode,
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
    engine_ms: list[float] = field(default_factory=list)  # answered to published by the engine
    delivery_ms: list[float] = field(default_factory=list)  # published to the WebSocket client
    connect_ms: list[float] = field(default_factory=list)  # socket opened to snapshot received
    start_ms: list[float] = field(default_factory=list)  # the start of work's API request
    closings: int = 0
    sockets_closed: list[str] = field(default_factory=list)  # by the server, during the run
    refusals: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    # (seconds into the run, latency) of every call, to tell the shift's start from the rest
    timeline: list[tuple[float, float, str]] = field(default_factory=list)
    # (seconds into the run, engine's part, published to received, card) of the clients' calls
    parts: list[tuple[float, float, float, float]] = field(default_factory=list)
    seconds: float = 0.0
    # CPU seconds of the web and engine processes: when the desks start, when the warm-up ends
    # (with the calls received by then and when), and at the end of the run
    cpu_start: dict[str, float] = field(default_factory=dict)
    cpu_steady: dict[str, float] = field(default_factory=dict)
    cpu_end: dict[str, float] = field(default_factory=dict)
    steady_calls: int = 0
    steady_at: float = 0.0

    def steady_from(self, cpu: dict[str, float]) -> None:
        self.cpu_steady = cpu
        self.steady_calls = len(self.timeline)
        self.steady_at = time.time()

    def note(self, bucket: list[float], answered_at: float, latency_ms: float) -> None:
        bucket.append(latency_ms)
        kind = "browser" if bucket is self.browser_ms else "socket"
        self.timeline.append((answered_at - self.started, latency_ms, kind))


def _cookies(desk: Desk) -> dict[str, str]:
    return {"sessionid": desk.session_key, "csrftoken": CSRF_TOKEN}


async def _start_work(client: Any, desk: Desk, results: Results) -> None:
    import httpx

    started = time.monotonic()
    for attempt in range(3):
        try:
            response = await client.post(
                "/api/desk/work",
                json={"campaign_id": desk.campaign_id, "endpoint": f"PJSIP/agent-{desk.agent_id}"},
                cookies=_cookies(desk),
                headers={"X-CSRFToken": CSRF_TOKEN},
            )
            break
        except httpx.TransportError:  # a kept connection the server closed meanwhile
            if attempt == 2:
                raise
    if response.status_code != 201:
        raise SystemExit(f"start of work refused: {response.status_code} {response.text}")
    results.start_ms.append((time.monotonic() - started) * 1000)


async def _close_call(client: Any, desk: Desk, call_id: str, results: Results) -> None:
    import httpx

    try:
        response = await client.post(
            f"/api/desk/calls/{call_id}/disposition",
            json={"idempotency_key": uuid.uuid4().hex, "status": "NI", "answers": {}},
            cookies=_cookies(desk),
            headers={"X-CSRFToken": CSRF_TOKEN},
        )
    except (httpx.HTTPError, RuntimeError) as error:  # the run ends with calls being closed
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
    from websockets.exceptions import ConnectionClosed

    await _start_work(client, desk, results)
    headers = {"Cookie": f"sessionid={desk.session_key}"}
    opening = time.monotonic()
    async with connect(
        url.replace("http", "ws") + "/ws/desk/",
        additional_headers=headers,
        origin=url,  # type: ignore[arg-type]
        max_size=2**22,
        open_timeout=120,  # a slow start is measured, not a failure
    ) as websocket:
        try:
            async for raw in websocket:  # until the run ends or the server closes the socket
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "desk.snapshot" and opening:
                    results.connect_ms.append((time.monotonic() - opening) * 1000)
                    opening = 0.0
                state = (
                    message["state"]["state"] if kind == "desk.snapshot" else message.get("state")
                )
                if kind in ("desk.snapshot", "agent.state") and state == "paused":
                    await websocket.send(json.dumps({"action": "ready"}))  # logged in: to work
                if message.get("type") != "call.offered":
                    continue
                received = time.time()
                if message.get("answered_at"):
                    latency = (received - message["answered_at"]) * 1000
                    results.note(results.socket_ms, message["answered_at"], latency)
                if message.get("published_at") and message.get("answered_at"):
                    engine_ms = (message["published_at"] - message["answered_at"]) * 1000
                    delivery_ms = (received - message["published_at"]) * 1000
                    results.engine_ms.append(engine_ms)
                    results.delivery_ms.append(delivery_ms)
                    results.parts.append(
                        (
                            message["answered_at"] - results.started,
                            engine_ms,
                            delivery_ms,
                            float(message.get("card_ms") or 0.0),
                        )
                    )
                if message.get("card_ms") is not None:
                    results.card_ms.append(message["card_ms"])
                loop = asyncio.get_running_loop()
                loop.call_later(
                    rng.uniform(0.5 * talk_s, 1.5 * talk_s),
                    lambda call_id=message["call_id"]: asyncio.ensure_future(
                        _close_call(client, desk, call_id, results)
                    ),
                )
        except ConnectionClosed as error:
            results.sockets_closed.append(str(error))
            return
    results.sockets_closed.append(f"{websocket.close_code} {websocket.close_reason}")


async def browser_desks(
    url: str, desks: list[Desk], client: Any, results: Results, talk_s: float
) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
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
    await _start_work(client, desk, results)
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
        # The call closes; the next one may come before the closing's answer does.
        await page.wait_for_function(
            "n => !document.querySelector('[data-testid=call-panel]')"
            " || window.deskTimings.length > n",
            arg=seen,
            timeout=20_000,
        )
        results.closings += 1


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _line(name: str, values: list[float]) -> str:
    return latency_line(name, values, empty="no calls", digits=0)


def _cpu_of(processes: dict[str, subprocess.Popen[bytes]]) -> dict[str, float]:
    cpu = {name: _cpu_seconds(process.pid) for name, process in processes.items()}
    cpu["bench's WebSocket clients"] = time.process_time()  # this process (not the browsers)
    return cpu


def _profile(
    processes: dict[str, subprocess.Popen[bytes]],
    arguments: argparse.Namespace,
    profilers: list[subprocess.Popen[bytes]],
) -> None:
    """py-spy samples the web and engine processes from the warm-up's end to the run's (collapsed
    stacks: PROFILE/web.txt, PROFILE/engine.txt; every thread, idle ones left out)."""
    folder = Path(arguments.profile)
    folder.mkdir(parents=True, exist_ok=True)
    seconds = max(1, int(arguments.seconds - arguments.warm_up_seconds) - 2)
    for name, process in processes.items():
        profilers.append(
            subprocess.Popen(
                [
                    str(BENCH.parent / ".venv" / "bin" / "py-spy"),
                    "record",
                    "--pid",
                    str(process.pid),
                    "--duration",
                    str(seconds),
                    "--gil",  # what holds the interpreter: the process's CPU, not its waits
                    "--format",
                    "raw",
                    "--output",
                    str(folder / f"{name.split()[0]}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=(folder / f"{name.split()[0]}.log").open("wb"),
            )
        )


async def run(arguments: argparse.Namespace, desks: list[Desk]) -> Results:
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # As production runs them: the web process (uvicorn, no engine inside) and the dialer engine
    # in a process of its own (bench/desk_engine.py), talking through the Redis channel layer.
    server = start_uvicorn(
        "dialcrm.asgi:application", port, DIALER_IN_PROCESS="0", WORKER_IN_PROCESS="0"
    )
    engine = subprocess.Popen(
        [sys.executable, str(BENCH / "desk_engine.py"), "--speedup", str(arguments.speedup)],
        cwd=BENCH.parent,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
    )
    processes = {"web process": server, "engine process": engine}
    profilers: list[subprocess.Popen[bytes]] = []
    results = Results()
    rng = random.Random(7)
    try:
        await wait_until_up(url, "web process")
        await asyncio.sleep(2.0)  # the engine takes the campaigns
        if engine.poll() is not None:
            raise SystemExit("the engine process ended")
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
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
            results.cpu_start = _cpu_of(processes)
            warm_up = asyncio.create_task(asyncio.sleep(arguments.warm_up_seconds))
            warm_up.add_done_callback(lambda _task: results.steady_from(_cpu_of(processes)))
            if arguments.profile:
                warm_up.add_done_callback(lambda _task: _profile(processes, arguments, profilers))
            done, _pending = await asyncio.wait(tasks, timeout=arguments.seconds)
            results.cpu_end = _cpu_of(processes)
            for task in done:
                if task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
            for task in [*tasks, warm_up]:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            results.seconds = time.monotonic() - started
    finally:
        for profiler in profilers:
            profiler.wait()
        engine.terminate()
        stop_server(server)
        try:
            engine.wait(timeout=20)
        except subprocess.TimeoutExpired:
            engine.kill()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--desks", type=int, default=200)
    parser.add_argument("--browsers", type=int, default=3)
    parser.add_argument("--campaigns", type=int, default=10)
    parser.add_argument("--leads", type=int, default=3000, help="per campaign")
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--talk-seconds", type=float, default=20.0)
    parser.add_argument("--speedup", type=float, default=5.0)
    parser.add_argument("--warm-up-seconds", type=float, default=40.0)
    parser.add_argument(
        "--dial-mode",
        choices=["predictive", "progressive"],
        default="predictive",
        help="the campaigns' dial mode (progressive: a steady rate from the first minute, "
        "while the predictive pacing is still learning)",
    )
    parser.add_argument(
        "--profile",
        metavar="FOLDER",
        help="sample the web and engine processes with py-spy after the warm-up (collapsed stacks)",
    )
    parser.add_argument(
        "--database", default=DATABASE, help="the PostgreSQL database to make anew and use"
    )
    arguments = parser.parse_args()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)

    started = time.monotonic()
    prepare_django(arguments.database, redis_db=12, fresh=True)
    _forget_channel_layer()
    desks = _set_up(arguments.desks, arguments.campaigns, arguments.leads, arguments.dial_mode)
    print(
        f"set up {len(desks)} desks on {arguments.campaigns} campaigns, "
        f"{arguments.leads * arguments.campaigns} leads in {time.monotonic() - started:.1f} s"
    )
    results = asyncio.run(run(arguments, desks))
    calls = len(results.timeline)
    seconds = results.seconds
    print(
        f"{len(desks)} desks ({len(desks) - arguments.browsers} WebSocket clients, "
        f"{arguments.browsers} browsers), {calls} calls put through in {seconds:.0f} s "
        f"({calls / seconds:.1f}/s), {results.closings} closed with a status; "
        f"this machine has {os.cpu_count()} cores"
    )
    if results.cpu_steady:
        steady_calls = calls - results.steady_calls
        steady_s = seconds - arguments.warm_up_seconds
        print(
            f"after the first {arguments.warm_up_seconds:.0f} s: {steady_calls} calls in "
            f"{steady_s:.0f} s ({steady_calls / max(steady_s, 1):.1f}/s)"
        )
        for name in results.cpu_end:
            used = results.cpu_end[name] - results.cpu_steady[name]
            print(
                f"{name} CPU after the first {arguments.warm_up_seconds:.0f} s: "
                f"{used:.1f} s ({used / max(steady_s, 1) * 100:.0f} % of a core), "
                f"{used / max(steady_calls, 1) * 1000:.0f} ms per call"
            )
    for name in results.cpu_end:
        used = results.cpu_end[name] - results.cpu_start[name]
        print(f"{name} CPU over the whole run: {used:.1f} s")
    print(_line("answer to message, WebSocket clients", results.socket_ms))
    print(_line("answer to paint, browsers", results.browser_ms))
    print(_line("  of which answer to published by the engine", results.engine_ms))
    print(_line("  of which published to received (Redis, web process)", results.delivery_ms))
    print(_line("card built by the web process", results.card_ms))
    print(
        _line(
            "desk connecting to its first snapshot (the floor starting at once)", results.connect_ms
        )
    )
    print(_line("start of work through the API (the floor starting at once)", results.start_ms))
    every = results.socket_ms + results.browser_ms
    print(_line("answer to screen, every desk", every))
    warm_up = arguments.warm_up_seconds
    print(
        _line(
            f"answer to screen in the first {warm_up:.0f} s (every desk starting at once)",
            [latency for at, latency, _kind in results.timeline if at < warm_up],
        )
    )
    for kind, name in (
        ("", "every desk"),
        ("socket", "WebSocket clients"),
        ("browser", "browsers"),
    ):
        print(
            _line(
                f"answer to screen after the first {warm_up:.0f} s (steady state), {name}",
                [
                    latency
                    for at, latency, of in results.timeline
                    if at >= warm_up and kind in ("", of)
                ],
            )
        )
    steady_parts = [part for part in results.parts if part[0] >= warm_up]
    for index, name in (
        (1, "answer to published by the engine"),
        (2, "published to received (Redis, web process)"),
        (3, "card built by the web process"),
    ):
        print(
            _line(
                f"  of which, after the first {warm_up:.0f} s, WebSocket clients: {name}",
                [part[index] for part in steady_parts],
            )
        )
    print("answer to screen by 10 s of the run (answered then): calls, p50, max")
    for start in range(0, int(seconds) + 1, 10):
        window = [lat for at, lat, _kind in results.timeline if start <= at < start + 10]
        if window:
            print(
                f"  {start:4d} s: {len(window):4d}  {statistics.median(window):7.0f} ms"
                f"  {max(window):7.0f} ms"
            )
    if results.sockets_closed:
        print(
            f"{len(results.sockets_closed)} sockets closed by the server during the run, e.g. "
            f"{results.sockets_closed[:3]}"
        )
    if results.refusals:
        print(f"{len(results.refusals)} closings refused, e.g. {results.refusals[:3]}")


if __name__ == "__main__":
    main()
