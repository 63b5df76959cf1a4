"""Abandoned calls and the timing behind them: a caller nobody takes is abandoned when the
connect window closes (the law's two seconds, not the engine's next tick), with the
safe-harbour message; a person who answers as the dialer hangs up on a call it released is
counted as abandoned, never put through to an agent; a call's ring time counts from when it is
placed."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import pytest

from dialcrm.dialer import engine as engine_module
from dialcrm.dialer import store
from dialcrm.dialer.core.accounting import US_CAMPAIGN_WINDOW_S
from dialcrm.dialer.core.distributions import Distribution
from dialcrm.dialer.core.states import AgentStatus
from dialcrm.dialer.engine import AgentCommand, CampaignRunner, Engine
from dialcrm.dialer.models import CallAttempt
from dialcrm.telephony.clock import Clock
from dialcrm.telephony.gateway import AnsweredBy, CallAnswered
from dialcrm.telephony.simulated import SimulatedGateway
from tests.dialer.engine.conftest import make_running_campaign, quick_customers, until
from tests.dialer.engine.test_engine import query

pytestmark = pytest.mark.django_db(transaction=True)


async def _one_ready_agent(
    org: Any, answer_after_s: float
) -> tuple[Engine, SimulatedGateway, CampaignRunner, Any, asyncio.Event, asyncio.Task[None]]:
    """A progressive campaign, one ready agent and the call dialled for them, at real speed."""
    running = await query(
        lambda: make_running_campaign(
            org, leads=5, dial_mode="progressive", safe_harbour_message="dialcrm-safe-harbour"
        )
    )
    customers = dataclasses.replace(
        quick_customers(human=1.0, busy=0.0),
        time_to_answer_s=Distribution.constant(answer_after_s),
        amd_delay_s=0.0,
    )
    clock = Clock(speedup=1)
    gateway = SimulatedGateway(clock, customers, seed=3)
    engine = Engine(gateway, clock)
    agent = running.agents[0]
    engine.submit(AgentCommand("login", agent.pk, running.campaign.pk, endpoint="Local/x"))
    engine.submit(AgentCommand("ready", agent.pk))
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))
    pk = running.campaign.pk
    await until(lambda: pk in engine.runners and bool(engine.runners[pk].calls))
    return engine, gateway, engine.runners[pk], agent, stop, task


async def test_a_caller_nobody_takes_is_abandoned_when_the_window_closes(org, monkeypatch):
    monkeypatch.setattr(engine_module, "TICK_S", 60.0)  # no tick comes while the caller waits
    engine, gateway, runner, agent, stop, task = await _one_ready_agent(org, answer_after_s=2.0)
    call_id = next(iter(runner.calls))
    engine.submit(AgentCommand("pause", agent.pk, reason="break"))  # before the person answers
    try:
        await until(lambda: call_id not in runner.calls or runner.calls[call_id].phase == "ending")
        await until(lambda: bool(gateway.played))
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
    attempt = await query(lambda: CallAttempt.objects.get(call_id=call_id))

    assert attempt.is_abandoned
    assert attempt.outcome == "abandoned"
    # The campaign's connect window is 2 s: abandoned then, not at a tick a minute later.
    assert 1.9 <= attempt.wait_s < 3.0
    assert gateway.played == [(call_id, "dialcrm-safe-harbour")]


async def test_a_person_who_answers_a_released_call_is_an_abandon_not_an_agents_call(org):
    engine, gateway, runner, agent, stop, task = await _one_ready_agent(org, answer_after_s=30.0)
    call_id = next(iter(runner.calls))
    call = runner.calls[call_id]
    try:
        await asyncio.wrap_future(call.created)
        # The ring-time manager released the call, and its hang-up crossed the person's answer.
        call.phase = "released"
        engine.post(CallAnswered(call_id, engine.clock.now(), AnsweredBy.HUMAN))
        await until(lambda: call.phase == "ending")
        session = runner.agents[agent.pk]
        state, agent_call = session.state, session.call_id
        abandoned = runner.ledger.window(engine.clock.now(), US_CAMPAIGN_WINDOW_S).abandoned
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
    attempt = await query(lambda: CallAttempt.objects.get(call_id=call_id))

    assert (state, agent_call) == (AgentStatus.READY, None)  # nobody was put through to
    assert abandoned == 1
    assert (attempt.outcome, attempt.cause, attempt.is_abandoned) == ("abandoned", "released", True)
    assert attempt.answered_at is not None


async def test_a_calls_ring_time_counts_from_when_it_is_placed(org, monkeypatch):
    """A dial waits for its attempt's record; the pacing sees the call's age from when the
    phone system took it, not from the decision (a slow record would age it unrung)."""
    decided: list[float] = []
    create_attempt = store.create_attempt

    def slow_create_attempt(settings: Any, lead: Any, call_id: str, now_s: float) -> None:
        decided.append(now_s)
        time.sleep(0.5)  # a busy database
        create_attempt(settings, lead, call_id, now_s)

    monkeypatch.setattr(store, "create_attempt", slow_create_attempt)
    engine, gateway, runner, agent, stop, task = await _one_ready_agent(org, answer_after_s=30.0)
    call = next(iter(runner.calls.values()))
    try:
        await until(lambda: call.phase == "ringing")  # placed, and the phone system says so
        placed_s = call.dialed_s
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
    attempt = await query(lambda: CallAttempt.objects.get(call_id=call.call_id))

    assert placed_s >= decided[0] + 0.5
    assert attempt.dialed_at.timestamp() == pytest.approx(decided[0])  # the record: the decision
