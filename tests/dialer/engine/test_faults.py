"""The engine under faults: killed mid-shift and restarted, the phone system unreachable, events
it does not expect, a campaign paused with calls in flight."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import pytest
from django.db import connection

from dialcrm.campaigns.models import Campaign, Lead
from dialcrm.dialer.engine import AgentCommand, Engine
from dialcrm.dialer.models import CallAttempt
from dialcrm.telephony.clock import Clock
from dialcrm.telephony.gateway import (
    AnsweredBy,
    CallAnswered,
    CallEnded,
    EndCause,
    GatewayError,
)
from dialcrm.telephony.simulated import SimulatedGateway
from tests.dialer.engine.conftest import quick_customers, until
from tests.dialer.engine.test_engine import FAST_BOT, bots_for, query

pytestmark = pytest.mark.django_db(transaction=True)


def _invariants(campaign: Campaign) -> dict[str, Any]:
    attempts = list(CallAttempt.objects.filter(campaign=campaign))
    open_by_lead = Counter(
        attempt.lead_id for attempt in attempts if attempt.outcome == "in_progress"
    )
    leads = Lead.objects.filter(call_list__campaigns=campaign)
    return {
        "attempts": len(attempts),
        "open_ids": [attempt.pk for attempt in attempts if attempt.outcome == "in_progress"],
        "leads_dialled_twice_at_once": [lead for lead, count in open_by_lead.items() if count > 1],
        "claimed_without_call": leads.filter(state="in_call")
        .exclude(pk__in=list(open_by_lead))
        .count(),
        "outcomes": Counter(attempt.outcome for attempt in attempts),
        "attempts_by_lead": Counter(
            attempt.lead_id for attempt in attempts if attempt.outcome != "cancelled"
        ),
        "lead_attempts": dict(leads.values_list("pk", "attempts")),
    }


def _start_engine_process() -> subprocess.Popen[bytes]:
    database = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DIALCRM_ENV": "test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "TELEPHONY": "simulated",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "dialcrm.cli", "dialer", "--simulated-agents", "--speedup", "30"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_an_engine_killed_mid_shift_loses_nothing_and_dials_nothing_twice(org, running):
    from django.contrib.auth.hashers import make_password

    from dialcrm.org.models import Staff

    # Simulated agents are the staff named sim.*: rename the two agents of the team.
    for number, agent in enumerate(running.agents):
        Staff.objects.filter(pk=agent.pk).update(
            username=f"sim.test{number}", password=make_password(None)
        )
    first = _start_engine_process()
    deadline = time.monotonic() + 60
    while (
        CallAttempt.objects.exclude(outcome="in_progress").count() < 15
        and time.monotonic() < deadline
    ):
        time.sleep(0.5)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    connection.close()
    crashed = _invariants(running.campaign)
    second = _start_engine_process()
    deadline = time.monotonic() + 60
    while CallAttempt.objects.count() < crashed["attempts"] + 10 and time.monotonic() < deadline:
        time.sleep(0.5)
    second.send_signal(signal.SIGTERM)
    _out, errors = second.communicate(timeout=30)
    connection.close()
    after = _invariants(running.campaign)

    assert crashed["attempts"] >= 15
    assert after["attempts"] > crashed["attempts"]  # the second engine took over and dialled
    assert after["leads_dialled_twice_at_once"] == []
    assert after["claimed_without_call"] == 0
    # The calls the killed engine had in flight were reconciled by the second one: closed.
    reconciled = set(
        CallAttempt.objects.filter(pk__in=crashed["open_ids"]).values_list("outcome", flat=True)
    )
    assert crashed["open_ids"]
    assert "in_progress" not in reconciled
    for lead_id, count in after["attempts_by_lead"].items():
        assert after["lead_attempts"][lead_id] <= count  # every counted attempt has its record
    assert b"Traceback" not in errors, errors.decode()[-3000:]


async def test_an_unreachable_phone_system_pauses_dialing_which_resumes(running):
    clock = Clock(speedup=20)
    gateway = SimulatedGateway(clock, quick_customers(human=0.0, busy=0.0), seed=5)
    engine = Engine(gateway, clock)
    engine.sync_every_s = 0.2
    for agent in running.agents:
        engine.submit(AgentCommand("login", agent.pk, running.campaign.pk, endpoint="Local/x"))
        engine.submit(AgentCommand("ready", agent.pk))
    placed = refused = 0  # calls the phone system took, and dials it refused
    originate = gateway.originate

    async def counted(request: Any) -> None:
        nonlocal placed, refused
        try:
            await originate(request)
        except GatewayError:
            refused += 1
            raise
        placed += 1

    gateway.originate = counted  # type: ignore[method-assign]
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))

    def dials() -> int:
        return sum(runner.dials for runner in engine.runners.values())

    await until(lambda: placed > 0)
    gateway.disconnect()
    await until(lambda: refused > 0)  # the first dial refused tells the engine
    while_down = placed
    await asyncio.sleep(1.0)  # 20 simulated seconds of an unreachable phone system
    still = placed
    gateway.reconnect()
    await until(lambda: placed > still)
    stop.set()
    await asyncio.wait_for(task, timeout=30)
    stored = await query(lambda: CallAttempt.objects.count())
    cancelled = await query(
        lambda: list(
            CallAttempt.objects.filter(outcome="cancelled").values_list("lead__state", flat=True)
        )
    )

    assert still == while_down  # nothing placed while unreachable
    assert stored == dials()  # every dial has its record, the refused ones cancelled
    assert cancelled and set(cancelled) <= {"new", "retry", "in_call", "final"}
    assert engine.gateway_up is True


async def test_unknown_and_out_of_order_events_are_ignored(running):
    clock = Clock(speedup=20)
    engine = Engine(SimulatedGateway(clock, quick_customers()), clock)
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))
    engine.post(CallEnded("not-a-call-of-ours", clock.now(), EndCause.BUSY, 17))
    engine.post(CallAnswered("also-unknown", clock.now(), AnsweredBy.HUMAN))
    engine.post(("nonsense",))
    engine.submit(AgentCommand("teleport", running.agents[0].pk))
    engine.submit(AgentCommand("ready", running.agents[0].pk))  # not logged in: refused, no crash
    messages: list[dict[str, Any]] = []
    engine.listen(running.agents[0].pk, messages.append)
    engine.submit(AgentCommand("login", running.agents[0].pk, running.campaign.pk))
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.wait_for(task, timeout=30)

    assert not task.cancelled() and task.exception() is None
    assert {
        "type": "agent.state",
        "state": "paused",
        "campaign_id": running.campaign.pk,
        "agent_id": running.agents[0].pk,
    } in messages


async def test_a_paused_campaign_finishes_its_calls_and_dials_no_more(running):

    clock = Clock(speedup=20)
    engine = Engine(SimulatedGateway(clock, quick_customers(), seed=9), clock)
    engine.sync_every_s = 0.2
    bots = bots_for(engine, running, FAST_BOT)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(engine.run(stop))] + [
        asyncio.create_task(bot.run()) for bot in bots
    ]
    await asyncio.sleep(3.0)
    await query(lambda: Campaign.objects.filter(pk=running.campaign.pk).update(state="paused"))
    await asyncio.sleep(0.6)
    dialled_at_pause = await query(lambda: CallAttempt.objects.count())
    await asyncio.sleep(3.0)
    dialled_later = await query(lambda: CallAttempt.objects.count())
    open_later = await query(
        lambda: CallAttempt.objects.filter(outcome="in_progress", connected_at__isnull=True).count()
    )
    stop.set()
    for bot_task in tasks[1:]:
        bot_task.cancel()
    await asyncio.wait_for(tasks[0], timeout=30)
    claimed = await query(lambda: Lead.objects.filter(state="in_call").count())

    assert dialled_at_pause > 0
    assert dialled_later == dialled_at_pause  # no new dials once paused
    assert open_later == 0  # the calls in flight finished (ringing ones ended by themselves)
    assert claimed <= 2  # at most the agents' own connected calls are still open
