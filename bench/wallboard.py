"""Benchmark: how far behind the dialer engine the wallboards receive its figures, with 1,000
agents live.

It sets up on PostgreSQL a company with campaigns, their teams of agents, a team leader per team
and a manager per campaign, starts the product's ASGI application under uvicorn (Redis channel
layer), and connects a wallboard WebSocket for every leader and manager, each subscribed to its
campaign. The engine's side runs in this process on synthetic live state (the engine itself
cannot keep 1,000 simulated agents busy on this machine's two cores): one `CampaignRunner` per
campaign holding its agents, calls in flight and abandon ledger, whose states change every
second, and whose `figures()` are published each second through the product's
`ChannelsPublisher`, as the engine's tick does. Each message carries the engine's time (`at`);
a wallboard notes when it arrives.

Measured: arrival minus `at` (engine to wallboard) p50/p99, first with a baseline campaign of
10 agents watched by every wallboard, then with the 1,000 agents; the ratio of the two; and what
building the figures costs the engine per tick.

    .venv/bin/python bench/wallboard.py [--agents 1000] [--campaigns 5] [--team-size 20]
        [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from common import (
    free_port,
    latency_line,
    percentile,
    prepare_django,
    start_uvicorn,
    stop_server,
    wait_until_up,
)

DATABASE = "dialcrm_bench_wallboard"
BASELINE_AGENTS = 10
STATES = ("ready", "on_call", "on_call", "on_call", "wrap_up", "paused")


@dataclass(frozen=True)
class Board:
    """A wallboard: whose session, which campaign it watches."""

    session_key: str
    campaign_id: int


@dataclass
class Floor:
    baseline: tuple[int, list[int]]  # campaign, its agents
    campaigns: list[tuple[int, list[int]]]
    boards: list[Board]


def _session(person: Any) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(person.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = person.get_session_auth_hash()
    session["two_factor_verified"] = True
    session.create()
    return str(session.session_key)


def _set_up(agents: int, campaigns: int, team_size: int) -> Floor:
    import datetime

    from django.contrib.auth.hashers import make_password

    from dialcrm.campaigns.models import CallList, Campaign, Client, Lead
    from dialcrm.campaigns.statuses import seed_default_statuses
    from dialcrm.core.choices import Role
    from dialcrm.org.models import Company, Location, Staff, Team

    company = Company.objects.create(name="Bench Wallboards")
    location = Location.objects.create(company=company, name="Floor")
    seed_default_statuses(company)
    client = Client.objects.create(company=company, name="Bench Client")
    password = make_password(None)

    def person(username: str, role: str, team: Any = None) -> Any:
        return Staff.objects.create(
            username=username,
            first_name=username,
            password=password,
            company=company,
            location=location,
            team=team,
            role=role,
        )

    def campaign(name: str, size: int, teams: int) -> tuple[int, list[int], list[Board]]:
        call_list = CallList.objects.create(client=client, name=name)
        Lead.objects.bulk_create(
            Lead(call_list=call_list, last_name=f"{name} {number}") for number in range(500)
        )
        running = Campaign.objects.create(
            client=client,
            location=location,
            name=name,
            state="running",
            calling_hours_start=datetime.time(0, 0),
            calling_hours_end=datetime.time(23, 59, 59),
            calling_days=[0, 1, 2, 3, 4, 5, 6],
        )
        running.list_links.create(call_list=call_list, priority=1)
        agent_ids: list[int] = []
        boards: list[Board] = []
        per_team = -(-size // teams)
        for team_number in range(teams):
            leader = person(f"{name}.leader{team_number}", Role.TEAM_LEADER)
            team = Team.objects.create(
                location=location, name=f"{name} team {team_number}", leader=leader
            )
            members = Staff.objects.bulk_create(
                Staff(
                    username=f"{name}.{team_number}.{number}",
                    first_name=f"Agent {team_number}.{number}",
                    password=password,
                    company=company,
                    location=location,
                    team=team,
                    role=Role.AGENT,
                )
                for number in range(min(per_team, size - len(agent_ids)))
            )
            agent_ids += [member.pk for member in members]
            running.teams.add(team)
            boards.append(Board(_session(leader), running.pk))
        manager = person(f"{name}.manager", Role.MANAGER)
        boards.append(Board(_session(manager), running.pk))
        return running.pk, agent_ids, boards

    baseline_id, baseline_agents, _ = campaign("baseline", BASELINE_AGENTS, 1)
    floor = Floor((baseline_id, baseline_agents), [], [])
    per_campaign = agents // campaigns
    for number in range(campaigns):
        size = per_campaign + (agents % campaigns if number == 0 else 0)
        campaign_id, agent_ids, boards = campaign(
            f"campaign{number}", size, max(1, -(-size // team_size))
        )
        floor.campaigns.append((campaign_id, agent_ids))
        floor.boards += boards
    # Every leader may watch the baseline campaign (their teams are on it, with no agents).
    Campaign.objects.get(pk=baseline_id).teams.add(*Team.objects.all())
    return floor


@dataclass
class Phase:
    """Arrivals of one phase: engine-to-wallboard delays in ms."""

    delays_ms: list[float] = field(default_factory=list)
    agents_seen: int = 0
    errors: list[str] = field(default_factory=list)
    recording: bool = False
    published: dict[int, int] = field(default_factory=dict)  # campaign -> figures sent


class LiveFloor:
    """The engine's side: real runners on synthetic live state, published every second."""

    def __init__(self, campaigns: list[tuple[int, list[int]]], rng: random.Random) -> None:
        from dialcrm.dialer import store
        from dialcrm.dialer.engine import AgentSession, CampaignRunner, Engine
        from dialcrm.dialer.realtime import ChannelsPublisher
        from dialcrm.telephony.clock import Clock
        from dialcrm.telephony.simulated import SimulatedGateway

        clock = Clock()
        self.rng = rng
        self.clock = clock
        self.engine = Engine(SimulatedGateway(clock), clock, ChannelsPublisher())
        self.runners = []
        now_s = clock.now()
        for campaign_id, agent_ids in campaigns:
            runner = CampaignRunner(self.engine, store.load_campaign(campaign_id))
            for agent_id in agent_ids:
                runner.agents[agent_id] = AgentSession(
                    agent_id, campaign_id, rng.choice(STATES), now_s - rng.uniform(0, 300)
                )
            for _ in range(len(agent_ids) * 30):  # a day's answers for the abandon figures
                runner.ledger.record(now_s - rng.uniform(0, 86_400), abandoned=rng.random() < 0.02)
            self.runners.append(runner)
        self.build_ms: list[float] = []

    def _move(self, runner: Any, now_s: float) -> None:
        """A second of a call center: a tenth of the agents change state."""
        agents = list(runner.agents.values())
        for agent in self.rng.sample(agents, max(1, len(agents) // 10)):
            agent.state = self.rng.choice(STATES)
            agent.since_s = now_s
        runner.dials += len(agents) // 5

    async def run(self, stop: asyncio.Event, phase: Phase) -> None:
        tick = time.monotonic()
        while not stop.is_set():
            for runner in self.runners:
                now_s = self.clock.now()
                self._move(runner, now_s)
                started = time.perf_counter()
                message = runner.figures(now_s)
                self.build_ms.append((time.perf_counter() - started) * 1000)
                campaign_id = runner.settings.campaign_id
                await self.engine.publisher.to_campaign(campaign_id, message)
                if phase.recording:
                    phase.published[campaign_id] = phase.published.get(campaign_id, 0) + 1
            tick += 1.0  # one tick a second, as the engine's
            await asyncio.sleep(max(0.0, tick - time.monotonic()))


async def watch(url: str, board: Board, phase: Phase, ready: asyncio.Event) -> None:
    from websockets.asyncio.client import connect

    async with connect(
        url.replace("http", "ws") + "/ws/wallboard/",
        additional_headers={"Cookie": f"sessionid={board.session_key}"},
        origin=url,  # type: ignore[arg-type]
        max_size=2**24,
        open_timeout=120,  # the machine is shared: opening 55 sockets at once may take a while
    ) as websocket:
        await websocket.send(json.dumps({"action": "subscribe", "campaign_id": board.campaign_id}))
        async for raw in websocket:
            received = time.time()
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "wallboard.subscribed":
                ready.set()
            elif kind == "wallboard.error":
                phase.errors.append(message["reason"])
                ready.set()
            elif kind == "wallboard.figures" and phase.recording:
                phase.delays_ms.append((received - message["figures"]["at"]) * 1000)
                phase.agents_seen += len(message["figures"]["agents"])


def _line(name: str, values: list[float]) -> str:
    return latency_line(name, values, empty="nothing arrived", digits=1)


async def _phase(
    url: str, campaigns: list[tuple[int, list[int]]], boards: list[Board], seconds: float
) -> tuple[Phase, LiveFloor]:
    phase = Phase()
    floor = await asyncio.to_thread(LiveFloor, campaigns, random.Random(7))
    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in boards]
    watchers = []
    for board, ready in zip(boards, readies, strict=True):
        watchers.append(asyncio.create_task(watch(url, board, phase, ready)))
        await asyncio.sleep(0.05)  # screens are switched on one after another
    await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readies)), 180)
    publisher = asyncio.create_task(floor.run(stop, phase))
    await asyncio.sleep(3.0)  # the first read of the database's figures, connections warm
    phase.recording = True
    await asyncio.sleep(seconds)
    phase.recording = False
    stop.set()
    await publisher
    await asyncio.sleep(1.0)  # the last figures on their way
    for task in watchers:
        task.cancel()
    await asyncio.gather(*watchers, return_exceptions=True)
    floor.engine.stop_threads()
    return phase, floor


async def run(arguments: argparse.Namespace, floor: Floor) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_uvicorn("dialcrm.asgi:application", port)
    try:
        await wait_until_up(url, "web server")
        baseline_boards = [Board(board.session_key, floor.baseline[0]) for board in floor.boards]
        # Managers see the baseline campaign's 10 agents, leaders none: the baseline is the
        # same pipeline with small messages.
        baseline, _ = await _phase(url, [floor.baseline], baseline_boards, arguments.seconds)
        live, engine = await _phase(url, floor.campaigns, floor.boards, arguments.seconds)
    finally:
        stop_server(server)
    agents = sum(len(agent_ids) for _, agent_ids in floor.campaigns)
    print(f"{len(floor.boards)} wallboards, {len(floor.campaigns)} campaigns, {agents} agents")
    print(_line(f"baseline ({BASELINE_AGENTS} agents)", baseline.delays_ms))
    print(_line(f"live ({agents} agents)", live.delays_ms))
    if baseline.delays_ms and live.delays_ms:
        print(
            "ratio live / baseline: "
            f"p50 {statistics.median(live.delays_ms) / statistics.median(baseline.delays_ms):.2f}"
            f"  p99 {percentile(live.delays_ms, 0.99) / percentile(baseline.delays_ms, 0.99):.2f}"
        )
    print(_line("engine: figures() per campaign and tick", engine.build_ms))
    expected = sum(live.published.get(board.campaign_id, 0) for board in floor.boards)
    print(
        f"figures received {len(live.delays_ms)} of {expected} sent to the wallboards; "
        f"agent rows delivered: {live.agents_seen}"
    )
    errors = baseline.errors + live.errors
    if errors:
        print(f"refusals: {len(errors)}, e.g. {errors[0]}")
    under = percentile(live.delays_ms, 0.99) < 1000
    print(f"target p99 under 1 s: {'met' if under else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--campaigns", type=int, default=5)
    parser.add_argument("--team-size", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    arguments = parser.parse_args()
    started = time.monotonic()
    prepare_django(DATABASE, redis_db=13, fresh=True)
    floor = _set_up(arguments.agents, arguments.campaigns, arguments.team_size)
    print(f"set up in {time.monotonic() - started:.1f} s")
    asyncio.run(run(arguments, floor))


if __name__ == "__main__":
    main()
