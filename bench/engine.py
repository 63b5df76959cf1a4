"""Benchmark: the dialer engine on PostgreSQL with the simulated phone system, against the pure
simulator on the same scenario.

It sets up campaigns with agents (simulated, working through the same commands a desk sends)
and leads (loaded with COPY), runs one engine at a speed-up for a simulated shift, and reports:
dials per second sustained, engine CPU per dial (the whole process: engine, simulated phone
system and simulated agents), the hopper's claims (leads claimed ahead with SKIP LOCKED: time
p50/p99, leads each, time per lead) and how often a decision to dial found the hopper short, the
answer-to-agent routing p50/p99 inside the engine, and the abandon rate and occupancy next to
the pure simulator's on the same scenario and length (they should agree: the engine adds no
loss). The issue's full size is `--agents 1000 --campaigns 20 --leads 5000000`.

    .venv/bin/python bench/engine.py [--agents 100] [--campaigns 5] [--leads 200000]
        [--speedup 100] [--shift-minutes 60] [--scenario bench/scenarios/s20.json]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import django_environment, percentile, postgres, setup_django

ROOT = Path(__file__).resolve().parent.parent
# The pure simulator's runs the engine is compared with: a short shift of a small team varies
# by several points of occupancy from run to run (pauses fall at random), so the mean of many.
SIMULATOR_SEEDS = 10


def _postgres(command: str, *arguments: str, check: bool = True) -> bool:
    done = postgres(command, *arguments)
    if check and done.returncode:
        raise SystemExit(f"{command} {' '.join(arguments)}: {done.stderr.decode().strip()}")
    return done.returncode == 0


def _prepare_django(database: str, template: str | None) -> bool:
    """A fresh database: a copy of the set-up kept from an earlier run (True), or an empty
    one, migrated (False)."""
    django_environment(database, redis_db=11)
    _postgres("dropdb", "--if-exists", database)
    copied = template is not None and _postgres("createdb", "-T", template, database, check=False)
    if not copied:
        _postgres("createdb", database)
    setup_django(migrate=not copied)
    return copied


def _keep_set_up(database: str, template: str) -> None:
    """Keep the set-up (millions of leads take minutes to load) for the next runs."""
    from django.db import connections

    connections.close_all()
    _postgres("dropdb", "--if-exists", template)
    _postgres("createdb", "-T", database, template)


def _set_up(agents: int, campaigns: int, leads: int, scenario: Any) -> list[int]:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from dialcrm.campaigns.models import (
        CallList,
        Campaign,
        Client,
        Status,
        WorkSheet,
        WorkSheetVersion,
    )
    from dialcrm.campaigns.statuses import seed_default_statuses
    from dialcrm.core.choices import AgentLevel, Role
    from dialcrm.org.models import Company, Location, Staff, Team

    company = Company.objects.create(name="Bench Calls")
    # The campaigns' clock, the numbers' and the simulated customers' hours are all UTC, so
    # that the shift starts at the scenario's hour everywhere (see `_run_engine`).
    location = Location.objects.create(company=company, name="Floor", time_zone="UTC")
    seed_default_statuses(company)
    sheet = WorkSheet.objects.create(company=company, name="Sheet")
    WorkSheetVersion.objects.create(sheet=sheet, number=1, definition={"groups": []})
    client = Client.objects.create(company=company, name="Bench Client")
    password = make_password(None)
    campaign_ids = []
    per_campaign = agents // campaigns
    for index in range(campaigns):
        team = Team.objects.create(location=location, name=f"Team {index}")
        Staff.objects.bulk_create(
            Staff(
                username=f"sim.bench{index}.{number}",
                password=password,
                company=company,
                location=location,
                team=team,
                role=Role.AGENT,
                level=AgentLevel.SENIOR,
            )
            for number in range(per_campaign)
        )
        call_list = CallList.objects.create(client=client, name=f"List {index}")
        campaign = Campaign.objects.create(
            client=client,
            location=location,
            name=f"Campaign {index}",
            work_sheet=sheet,
            caller_id="+40215550000",
            state="running",
            ring_timeout_s=int(scenario.ring_timeout_s),
            connect_window_s=str(scenario.connect_window_s),
            max_abandon_rate=str(round(scenario.abandon_cap * 100, 2)),
            calling_hours_start=datetime.time(0, 0),
            calling_hours_end=datetime.time(23, 59, 59),
            calling_days=[0, 1, 2, 3, 4, 5, 6],
        )
        campaign.statuses.set(Status.objects.filter(company=company))
        campaign.teams.set([team])
        campaign.list_links.create(call_list=call_list, priority=1)
        campaign_ids.append(campaign.pk)
    lists = list(CallList.objects.filter(client=client).order_by("pk").values_list("pk", flat=True))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY campaigns_lead (call_list_id, external_id, first_name, last_name, email, city, region, custom, state, attempts, list_version, created_at) FROM STDIN"
        ) as copy:
            for index in range(leads):
                copy.write_row(
                    (
                        lists[index % len(lists)],
                        "",
                        "",
                        f"L{index}",
                        "",
                        "",
                        "",
                        "{}",
                        "new",
                        0,
                        1,
                        "2026-11-25 00:00:00+00",
                    )
                )
        cursor.execute("SELECT min(id) FROM campaigns_lead")
        first = cursor.fetchone()[0]
        with cursor.copy(
            "COPY campaigns_phone (lead_id, number, kind, priority, country, time_zone, attempts, last_outcome, is_dialable) FROM STDIN"
        ) as copy:
            for index in range(leads):
                copy.write_row(
                    (first + index, f"+4073{index:07d}", "mobile", 1, "RO", "UTC", 0, "", True)
                )
        cursor.execute("ANALYZE")
    print(
        f"set up {campaigns} campaigns, {per_campaign * campaigns} agents, {leads:,} leads ({time.perf_counter() - started:.1f} s)"
    )
    return campaign_ids


def _customers(scenario: Any) -> Any:
    from dialcrm.telephony.simulated import CustomerModel

    return CustomerModel(
        outcomes=scenario.outcomes,
        time_to_answer_s=scenario.time_to_answer_s,
        quick_result_s=scenario.quick_result_s,
        amd=scenario.amd,
        human_by_hour=scenario.human_by_hour,
        amd_delay_s=0.0,
    )


def _bot_behaviour(scenario: Any) -> Any:
    from dialcrm.dialer.bots import BotBehaviour

    return BotBehaviour(
        talk_s=scenario.talk_s,
        wrap_s=scenario.wrap_s,
        pauses_per_hour=scenario.pauses.per_agent_hour,
        pause_s=scenario.pauses.duration_s,
        status_weights={"SALE": 0.15, "NI": 0.6, "POSITIVE": 0.25},
        machine_s=scenario.amd.misdetected_machine_s,
    )


def _timed(function: Callable[..., Any], samples: list[float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            samples.append(time.perf_counter() - started)

    return wrapper


def _shift_start_s(scenario: Any) -> float:
    """Today at the scenario's start hour (UTC): the engine's clock starts there, as the pure
    simulator's day does, so both see the same hour of the answer-rate curve and the same
    hourly abandon budget."""
    today = datetime.datetime.now(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today.timestamp() + scenario.start_hour * 3600.0


async def _run_engine(
    campaign_ids: list[int], scenario: Any, speedup: float, shift_s: float
) -> dict[str, Any]:
    from asgiref.sync import sync_to_async

    from dialcrm.dialer import engine as engine_module
    from dialcrm.dialer import store
    from dialcrm.dialer.bots import SimulatedAgent
    from dialcrm.dialer.service import _simulated_agents
    from dialcrm.telephony.clock import Clock
    from dialcrm.telephony.simulated import SimulatedGateway

    claims: list[float] = []
    routes: list[float] = []
    answers: list[float] = []
    records: list[float] = []
    claimed: list[int] = []
    claim_leads = store.claim_leads

    def counted_claim(*args: Any, **kwargs: Any) -> Any:
        leads = claim_leads(*args, **kwargs)
        claimed.append(len(leads))
        return leads

    store.claim_leads = _timed(counted_claim, claims)  # type: ignore[method-assign]
    runner_class = engine_module.CampaignRunner
    runner_class.on_answered = _timed(runner_class.on_answered, routes)  # type: ignore[method-assign]
    handle_answer = runner_class.on_answered
    place = runner_class.dial

    def on_answered(runner: Any, event: Any, now_s: float) -> None:
        # From the phone system's event to the agent: the wait in the engine's queue included.
        waited = max(0.0, (runner.engine.clock.now() - event.at) / speedup)
        started = time.perf_counter()
        handle_answer(runner, event, now_s)
        answers.append(waited + time.perf_counter() - started)

    def dial(runner: Any, lead: Any, now_s: float, reserved_for: int | None = None) -> str:
        started = time.perf_counter()
        call_id: str = place(runner, lead, now_s, reserved_for)
        runner.calls[call_id].created.add_done_callback(
            lambda _done: records.append(time.perf_counter() - started)
        )
        return call_id

    runner_class.on_answered = on_answered  # type: ignore[method-assign]
    runner_class.dial = dial  # type: ignore[method-assign]
    clock_start_s = _shift_start_s(scenario)
    clock = Clock(speedup=speedup, start_s=clock_start_s)
    engine = engine_module.Engine(SimulatedGateway(clock, _customers(scenario), seed=1), clock)
    behaviour = _bot_behaviour(scenario)
    pairs = await sync_to_async(_simulated_agents)()
    bots = [
        SimulatedAgent(engine, agent, campaign, behaviour, seed=index)
        for index, (agent, campaign) in enumerate(pairs)
    ]
    stop = asyncio.Event()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    wall_started = time.perf_counter()
    engine_start_s = engine.clock.now()
    tasks = [asyncio.create_task(engine.run(stop))] + [
        asyncio.create_task(bot.run()) for bot in bots
    ]
    # The day starts now: every simulated agent logs in at once, and the engine takes a few
    # real seconds (tens of simulated ones at 5x) to have them all in and ready, dialing for
    # those ready meanwhile. The simulator's agents log in over the same time; the shift lasts
    # `shift_s` from when the whole floor is ready.
    while (
        sum(
            1
            for runner in engine.runners.values()
            for agent in runner.agents.values()
            if agent.pause_reason != "not_ready"  # has been ready since logging in
        )
        < len(bots)
        and time.perf_counter() - wall_started < 120
    ):
        await asyncio.sleep(0.01)
    floor_ready_s = time.perf_counter() - wall_started
    shift_start_s = engine.clock.now()
    await asyncio.sleep(shift_s / speedup)
    shift_wall = time.perf_counter() - wall_started - floor_ready_s
    # The shift is over: like the simulator's campaign closing, no new dial; the agents take
    # the calls still ringing or waiting and finish the ones they are on.
    await sync_to_async(_close_campaigns)(campaign_ids)
    for runner in engine.runners.values():
        runner.is_dialing = False
    closing_until = time.perf_counter() + 600 / speedup
    while time.perf_counter() < closing_until and any(
        runner.calls or any(agent.call_id for agent in runner.agents.values())
        for runner in engine.runners.values()
    ):
        await asyncio.sleep(0.05)
    left = [
        (call.phase, call.agent_id is not None)
        for runner in engine.runners.values()
        for call in runner.calls.values()
    ]
    on_calls = sum(
        1 for runner in engine.runners.values() for agent in runner.agents.values() if agent.call_id
    )
    if left or on_calls:
        print(
            f"still open when the closing time ran out: calls {left[:20]}, agents on a call {on_calls}"
        )
    stop.set()
    for task in tasks[1:]:
        task.cancel()
    await asyncio.wait_for(tasks[0], timeout=120)
    wall = time.perf_counter() - wall_started
    runners = list(engine.runners.values())
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {
        "engine_start_s": engine_start_s,
        "login_spread_s": shift_start_s - engine_start_s,
        "shift_end_s": shift_start_s + shift_s,
        "floor_ready_s": floor_ready_s,
        "wall_s": wall,
        "shift_wall_s": shift_wall,
        "cpu_s": cpu,
        "claims": claims,
        "claimed": claimed,
        "routes": routes,
        "answers": answers,
        "records": records,
        "decisions": sum(runner.decisions_to_dial for runner in runners),
        "short": sum(runner.decisions_short for runner in runners),
        "fetch_waits": [
            sum(counts) for counts in zip(*(runner.fetch_waits for runner in runners), strict=True)
        ],
    }


def _close_campaigns(campaign_ids: list[int]) -> None:
    from django.db import connection

    from dialcrm.campaigns.models import Campaign

    Campaign.objects.filter(pk__in=campaign_ids).update(state="paused")
    connection.close()


def _bucket(counts: list[int], share: float) -> str:
    """The wait a `share` of the dials stayed within, from the engine's counts by wait."""
    from dialcrm.dialer.engine import FETCH_WAIT_BUCKETS_MS

    total = sum(counts)
    if not total:
        return "-"
    seen = 0
    for index, count in enumerate(counts):
        seen += count
        if seen >= share * total:
            if index == len(FETCH_WAIT_BUCKETS_MS):
                return f"over {FETCH_WAIT_BUCKETS_MS[-1]:.0f} ms"
            bound = FETCH_WAIT_BUCKETS_MS[index]
            return "0 ms (in the hopper)" if bound == 0 else f"under {bound:.0f} ms"
    return "-"


def _engine_figures(campaign_ids: list[int], shift_end_s: float) -> dict[str, float]:
    """Abandon rate and occupancy counted as the simulator counts them, from the engine's start
    (logins included): time on calls and in wrap-up after the shift's end is work; waiting for
    a call after it is not (the simulator's agents log out then)."""
    from django.db.models import Q

    from dialcrm.dialer.models import AgentStateInterval, CallAttempt

    attempts = CallAttempt.objects.filter(campaign_id__in=campaign_ids).exclude(outcome="cancelled")
    dials = attempts.count()
    abandoned = attempts.filter(is_abandoned=True).count()
    live = attempts.filter(Q(is_abandoned=True) | Q(connected_at__isnull=False)).count()
    contacts = attempts.filter(outcome="contact").count()
    busy = working = 0.0
    for interval in AgentStateInterval.objects.filter(
        campaign_id__in=campaign_ids, ended_at__isnull=False
    ):
        started = interval.started_at.timestamp()
        ended = interval.ended_at.timestamp()
        if ended <= started:
            continue
        if interval.state in ("on_call", "wrap_up"):
            busy += ended - started
            working += ended - started
        elif interval.state != "paused":
            working += max(0.0, min(ended, shift_end_s) - started)
    return {
        "dials": dials,
        "contacts_per_dial": contacts / dials if dials else 0.0,
        "abandon_rate": abandoned / live if live else 0.0,
        "occupancy": busy / working if working else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--campaigns", type=int, default=5)
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--speedup", type=float, default=100.0)
    parser.add_argument("--shift-minutes", type=float, default=60.0)
    parser.add_argument("--scenario", default=str(ROOT / "bench" / "scenarios" / "s20.json"))
    parser.add_argument("--database", default="dialcrm_bench_engine")
    parser.add_argument(
        "--keep-set-up",
        action="store_true",
        help="copy the set-up from the database kept by an earlier run of the same size (and"
        " keep it on the first run): a fresh copy each run, without loading the leads again",
    )
    parser.add_argument(
        "--no-disk-wait",
        action="store_true",
        help="the bench database commits without waiting for its disk (synchronous_commit off):"
        " on a shared machine a commit can wait 100 ms for the disk, and at a speed-up of 10"
        " every dial would start a simulated second late, which the pure simulator never does",
    )
    arguments = parser.parse_args(argv)
    template = (
        f"{arguments.database}_setup_{arguments.agents}_{arguments.campaigns}_{arguments.leads}"
        if arguments.keep_set_up
        else None
    )
    copied = _prepare_django(arguments.database, template)
    if arguments.no_disk_wait:
        _postgres(
            "psql",
            "-d",
            arguments.database,
            "-c",
            f"ALTER DATABASE {arguments.database} SET synchronous_commit TO off",
        )
        print("commits do not wait for the disk (--no-disk-wait)")
    import dataclasses

    from dialcrm.dialer.core.scenario import parse_scenario
    from dialcrm.dialer.core.simulator import simulate

    scenario = parse_scenario(json.loads(Path(arguments.scenario).read_text()))
    shift_s = arguments.shift_minutes * 60
    if copied:
        from dialcrm.campaigns.models import Campaign

        campaign_ids = list(Campaign.objects.order_by("pk").values_list("pk", flat=True))
        print(f"set-up copied from {template}")
    else:
        campaign_ids = _set_up(arguments.agents, arguments.campaigns, arguments.leads, scenario)
        if template is not None:
            _keep_set_up(arguments.database, template)
    run = asyncio.run(_run_engine(campaign_ids, scenario, arguments.speedup, shift_s))
    figures = _engine_figures(campaign_ids, run["shift_end_s"])
    per_campaign = arguments.agents // arguments.campaigns
    simulated = [
        simulate(
            dataclasses.replace(
                scenario,
                agents=per_campaign,
                shift_s=shift_s,
                login_spread_s=run["login_spread_s"],  # as the engine's floor logged in
            ),
            "predictive",
            seed=seed,
            abandon_guard=True,  # as the engine's campaigns: one call per ready agent at the cap
        )
        for seed in range(SIMULATOR_SEEDS)
    ]
    sim_abandon = statistics.mean(result.abandon_rate for result in simulated)
    sim_occupancy = statistics.mean(result.occupancy for result in simulated)
    sim_contacts = statistics.mean(result.contacts_per_dial for result in simulated)
    dials = max(1, int(figures["dials"]))
    print(
        f"\nengine: {arguments.agents} agents, {arguments.campaigns} campaigns, {arguments.leads:,} leads, "
        f"{arguments.shift_minutes:.0f} simulated minutes at {arguments.speedup:.0f}x ({run['wall_s']:.1f} s wall)"
    )
    print(
        f"{'floor logged in and ready after':<40} {run['floor_ready_s']:.1f} s wall, {run['login_spread_s']:.1f} s simulated"
    )
    print(f"{'dials':<40} {dials:,}")
    # Dials are placed during the shift only; the closing after it (calls finishing) is not.
    print(f"{'dials per second (wall, the shift)':<40} {dials / run['shift_wall_s']:.1f}")
    print(f"{'CPU per dial, whole process (ms)':<40} {run['cpu_s'] / dials * 1000:.2f}")
    print(
        f"{'hopper fetch: a dial waits for its lead':<40} p50 {_bucket(run['fetch_waits'], 0.5)}, p99 {_bucket(run['fetch_waits'], 0.99)}  (target p99 < 5 ms)"
    )
    print(
        f"{'hopper claim ahead, p50 / p99 (ms)':<40} {percentile(run['claims'], 0.5) * 1000:.2f} / {percentile(run['claims'], 0.99) * 1000:.2f}"
    )
    leads_claimed = max(1, sum(run["claimed"]))
    print(
        f"{'hopper claim: leads each, ms per lead':<40} {leads_claimed / max(1, len(run['claimed'])):.0f}, {sum(run['claims']) * 1000 / leads_claimed:.2f}"
    )
    print(
        f"{'decisions the hopper could not serve':<40} {run['short']:,} of {run['decisions']:,}  (dialing waited for the database)"
    )
    print(
        f"{'answer-to-agent routing p50 / p99 (ms)':<40} {percentile(run['routes'], 0.5) * 1000:.3f} / {percentile(run['routes'], 0.99) * 1000:.3f}  (target p99 < 10)"
    )
    print(
        f"{'answer event to agent p50 / p99 (ms)':<40} {percentile(run['answers'], 0.5) * 1000:.3f} / {percentile(run['answers'], 0.99) * 1000:.3f}  (queueing included)"
    )
    print(
        f"{'dial to its stored record p50 / p99 (ms)':<40} {percentile(run['records'], 0.5) * 1000:.2f} / {percentile(run['records'], 0.99) * 1000:.2f}"
    )
    print(
        f"{'abandon rate: engine / simulator':<40} {figures['abandon_rate']:.4f} / {sim_abandon:.4f}"
    )
    print(
        f"{'contacts per dial: engine / simulator':<40} {figures['contacts_per_dial']:.4f} / {sim_contacts:.4f}"
    )
    low, high = (
        min(result.occupancy for result in simulated),
        max(result.occupancy for result in simulated),
    )
    print(
        f"{'occupancy: engine / simulator':<40} {figures['occupancy']:.4f} / {sim_occupancy:.4f}"
        f"  (simulator's runs {low:.4f} to {high:.4f})"
    )
    print(
        f"{'difference (points): abandon, occupancy':<40} {100 * (figures['abandon_rate'] - sim_abandon):+.2f}, {100 * (figures['occupancy'] - sim_occupancy):+.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
