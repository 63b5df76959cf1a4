"""The engine end to end on PostgreSQL with the simulated phone system and simulated agents."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import OperationalError, connection

from dialcrm.campaigns.models import Lead
from dialcrm.dialer import store
from dialcrm.dialer.bots import BotBehaviour, SimulatedAgent
from dialcrm.dialer.core.distributions import Distribution
from dialcrm.dialer.core.scenario import AnsweringMachineDetection
from dialcrm.dialer.engine import AgentCommand, AgentState, Engine
from dialcrm.dialer.models import AgentStateInterval, CallAttempt
from dialcrm.telephony.clock import Clock
from dialcrm.telephony.simulated import SimulatedGateway
from tests.dialer.engine.conftest import quick_customers, until

SPEEDUP = 20.0
FAST_BOT = BotBehaviour(
    talk_s=Distribution.constant(6.0),
    wrap_s=Distribution.constant(2.0),
    pauses_per_hour=0.0,
    status_weights={"SALE": 0.3, "NI": 0.5, "CB": 0.2},
)


def bots_for(engine: Engine, running: Any, behaviour: BotBehaviour) -> list[SimulatedAgent]:
    """A simulated agent for each of the campaign's agents."""
    return [
        SimulatedAgent(engine, agent.pk, running.campaign.pk, behaviour, seed=index)
        for index, agent in enumerate(running.agents)
    ]


async def run_for(engine: Engine, clock_seconds: float, bots: list[SimulatedAgent] = ()) -> None:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(engine.run(stop))] + [
        asyncio.create_task(bot.run()) for bot in bots
    ]
    await asyncio.sleep(clock_seconds / engine.clock.speedup)
    stop.set()
    for task in tasks[1:]:
        task.cancel()
    await asyncio.wait_for(tasks[0], timeout=30)


async def query(function: Any) -> Any:
    """Read the database from a thread whose connection is closed afterwards (the test
    database can only be dropped when nobody holds it)."""

    def run() -> Any:
        try:
            return function()
        finally:
            connection.close()

    return await sync_to_async(run, thread_sensitive=False)()


def _attempts(campaign: Any) -> list[CallAttempt]:
    return list(CallAttempt.objects.filter(campaign=campaign).order_by("dialed_at"))


@pytest.mark.django_db(transaction=True)
async def test_a_shift_dials_connects_and_records_everything(running):
    clock = Clock(speedup=SPEEDUP)
    engine = Engine(SimulatedGateway(clock, quick_customers(), seed=3), clock)
    bots = bots_for(engine, running, FAST_BOT)

    await run_for(engine, 240, bots)

    attempts = await query(lambda: _attempts(running.campaign))
    contacts = [attempt for attempt in attempts if attempt.status_id is not None]
    assert len(attempts) >= 20
    assert len(contacts) >= 10
    assert all(attempt.agent_id in {agent.pk for agent in running.agents} for attempt in contacts)
    assert all(
        attempt.connected_at is not None and attempt.wait_s is not None for attempt in contacts
    )
    busy = [attempt for attempt in attempts if attempt.outcome == "busy"]
    assert busy and all(attempt.cause == "busy" and attempt.cause_code == 17 for attempt in busy)
    closed_lead_ids = [attempt.lead_id for attempt in attempts if attempt.outcome != "in_progress"]
    # No lead was dialled twice at the same time: one open attempt per lead at most.
    open_leads = [attempt.lead_id for attempt in attempts if attempt.outcome == "in_progress"]
    assert len(open_leads) == len(set(open_leads))
    assert closed_lead_ids
    intervals = await sync_to_async(
        lambda: list(AgentStateInterval.objects.filter(agent__in=running.agents))
    )()
    states = {interval.state for interval in intervals}
    assert {"ready", "on_call", "wrap_up"} <= states
    assert all(interval.ended_at is not None for interval in intervals)  # closed at shutdown


@pytest.mark.django_db(transaction=True)
async def test_simulated_agents_take_pauses_as_the_simulators_agents_do(running):
    """A pause falls due at random: a ready bot takes it at once, a bot on a call once the
    call is closed; it lasts its drawn length, then the bot is ready again."""
    clock = Clock(speedup=SPEEDUP)
    engine = Engine(SimulatedGateway(clock, quick_customers(), seed=3), clock)
    pausing = dataclasses.replace(
        FAST_BOT, pauses_per_hour=120.0, pause_s=Distribution.constant(10.0)
    )
    bots = bots_for(engine, running, pausing)

    await run_for(engine, 240, bots)

    intervals = await query(
        lambda: list(
            AgentStateInterval.objects.filter(agent__in=running.agents).order_by("agent", "pk")
        )
    )
    breaks = [interval for interval in intervals if interval.pause_reason == "break"]
    assert len(breaks) >= 4  # about one every 30 s per bot, over 240 s
    finished = [interval for interval in breaks if interval.ended_at is not None]
    # Each break lasts its 10 s (ended by the bot's "ready", or by the engine's stop).
    assert all(
        (interval.ended_at - interval.started_at).total_seconds() <= 10.0 + 1.5
        for interval in finished
    )
    following = {
        (before.pk): after.state
        for before, after in zip(intervals, intervals[1:], strict=False)
        if before.agent_id == after.agent_id
    }
    assert all(following.get(interval.pk, "ready") == "ready" for interval in breaks)
    # A break never cuts a call: it starts from ready, or after a call's wrap-up.
    preceding = {
        after.pk: before.state
        for before, after in zip(intervals, intervals[1:], strict=False)
        if before.agent_id == after.agent_id
    }
    assert {preceding[interval.pk] for interval in breaks} <= {"ready", "wrap_up"}
    assert all(interval.state == "paused" for interval in breaks)


@pytest.mark.django_db(transaction=True)
async def test_nobody_ready_means_no_dial(running):
    clock = Clock(speedup=SPEEDUP)
    engine = Engine(SimulatedGateway(clock, quick_customers()), clock)
    for agent in running.agents:
        engine.submit(AgentCommand("login", agent.pk, running.campaign.pk))

    await run_for(engine, 60)

    assert await query(lambda: CallAttempt.objects.count()) == 0
    assert await query(lambda: Lead.objects.filter(state="in_call").count()) == 0


@pytest.mark.django_db(transaction=True)
async def test_an_agent_logging_in_has_leads_claimed_ahead_before_going_ready(running):
    clock = Clock(speedup=SPEEDUP)
    engine = Engine(SimulatedGateway(clock, quick_customers()), clock)
    agent = running.agents[0]
    engine.submit(AgentCommand("login", agent.pk, running.campaign.pk))
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))
    try:
        await until(
            lambda: (
                running.campaign.pk in engine.runners
                and bool(engine.runners[running.campaign.pk].hopper)
            )
        )
        hopper = len(engine.runners[running.campaign.pk].hopper)
        claimed = await query(lambda: Lead.objects.filter(state="in_call").count())
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)

    # Twice the low water mark (20 leads), claimed for the agent still paused: nothing dialled.
    assert hopper == claimed == 40
    assert await query(lambda: CallAttempt.objects.count()) == 0
    assert await query(lambda: Lead.objects.filter(state="in_call").count()) == 0  # given back


@pytest.mark.django_db(transaction=True)
async def test_an_unassigned_agent_is_refused(running, org):
    clock = Clock(speedup=SPEEDUP)
    engine = Engine(SimulatedGateway(clock, quick_customers()), clock)
    messages: list[dict[str, Any]] = []
    outsider = org["south_agent"]
    engine.listen(outsider.pk, messages.append)
    engine.submit(AgentCommand("login", outsider.pk, running.campaign.pk))

    await run_for(engine, 20)

    assert messages == [
        {
            "type": "command.refused",
            "command": "login",
            "code": "not_assigned",
            "params": {},
            "agent_id": outsider.pk,
        }
    ]


@pytest.mark.django_db(transaction=True)
async def test_a_login_being_checked_holds_nobody_else_back(running, monkeypatch):
    """The check that the person may work on the campaign runs on the control thread: the
    engine goes on meanwhile, and the person's own next commands wait for it, in order."""
    working, arriving = running.agents
    gate = threading.Event()
    may_work = store.may_work

    def held_check(agent_id: int, campaign_id: int) -> bool:
        if agent_id == arriving.pk:
            gate.wait(30)
        return may_work(agent_id, campaign_id)

    monkeypatch.setattr(store, "may_work", held_check)
    clock = Clock(speedup=SPEEDUP)
    engine = Engine(SimulatedGateway(clock, quick_customers()), clock)
    messages: list[dict[str, Any]] = []
    for agent in running.agents:
        engine.listen(agent.pk, messages.append)
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))
    try:
        engine.submit(AgentCommand("login", working.pk, running.campaign.pk))
        await until(lambda: working.pk in engine.agent_campaign)
        agents = engine.runners[running.campaign.pk].agents
        engine.submit(AgentCommand("login", arriving.pk, running.campaign.pk))
        engine.submit(AgentCommand("ready", arriving.pk))
        engine.submit(AgentCommand("pause", arriving.pk, reason="break"))
        engine.submit(AgentCommand("ready", working.pk))

        await until(lambda: agents[working.pk].state == AgentState.READY)
        assert arriving.pk not in agents  # still being checked
        gate.set()
        await until(lambda: arriving.pk in agents and agents[arriving.pk].pause_reason == "break")
        arrived = agents[arriving.pk].state
    finally:
        gate.set()
        stop.set()
        await asyncio.wait_for(task, timeout=30)

    assert arrived == AgentState.PAUSED  # logged in, ready, then paused: in the order sent
    assert not [message for message in messages if message["type"] == "command.refused"]


@pytest.mark.django_db(transaction=True)
async def test_a_login_the_database_cannot_check_is_refused_with_a_reason(running, monkeypatch):
    def broken_check(agent_id: int, campaign_id: int) -> bool:
        raise OperationalError("the database is gone")

    monkeypatch.setattr(store, "may_work", broken_check)
    clock = Clock(speedup=SPEEDUP)
    engine = Engine(SimulatedGateway(clock, quick_customers()), clock)
    agent = running.agents[0]
    messages: list[dict[str, Any]] = []
    engine.listen(agent.pk, messages.append)
    engine.submit(AgentCommand("login", agent.pk, running.campaign.pk))
    engine.submit(AgentCommand("ready", agent.pk))

    await run_for(engine, 20)

    assert [(message["command"], message["code"]) for message in messages] == [
        ("login", "login_not_checked"),
        ("ready", "not_logged_in"),
    ]


@pytest.mark.django_db(transaction=True)
async def test_simulated_agents_hang_up_on_machines_the_detection_let_through(running):
    """As the pure simulator's agents do (and people): a short listen, then the AM status."""
    clock = Clock(speedup=SPEEDUP)
    customers = dataclasses.replace(
        quick_customers(human=0.0, machine=1.0, busy=0.0),
        amd=AnsweringMachineDetection(
            detects_machine=0.0,
            mistakes_human=0.0,
            misdetected_machine_s=Distribution.constant(1.0),
        ),
    )
    engine = Engine(SimulatedGateway(clock, customers, seed=8), clock)
    slow_talker = dataclasses.replace(
        FAST_BOT, talk_s=Distribution.constant(600.0), machine_s=Distribution.constant(3.0)
    )
    bots = bots_for(engine, running, slow_talker)

    await run_for(engine, 120, bots)

    closed = await query(
        lambda: list(
            CallAttempt.objects.filter(campaign=running.campaign, status__isnull=False).values_list(
                "status__code", "connected_at", "ended_at"
            )
        )
    )
    assert len(closed) >= 2  # a 600 s talk would have closed none in 120 s
    assert {code for code, _connected, _ended in closed} == {"AM"}
    assert all((ended - connected).total_seconds() < 10 for _code, connected, ended in closed)
