"""Consultation (warm transfer) and three-way conference: the agent talks to a ready colleague
while the customer waits on hold, then hands the call over, cancels, or joins all three; whoever
hangs up or leaves, everybody ends in a sane state."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dialcrm.dialer.models import AgentStateInterval, CallAttempt
from tests.dialer.engine.test_engine import query
from tests.dialer.engine.test_hold_transfer import _stop, _two_desks
from tests.dialer.engine.test_modes import Desk

pytestmark = pytest.mark.django_db(transaction=True)


async def _consulting(org: Any) -> tuple[Any, ...]:
    """The first agent on a call, consulting the second (who was ready)."""
    engine, gateway, first, second, stop, task = await _two_desks(org)
    first.send("ready")
    offered = await first.expect("call.offered")
    # Queued together: no call can reach the second agent between their ready and the consult.
    second.send("ready")
    first.send("consult", target_agent_id=second.agent_id)
    await first.expect("consult.started")
    await second.expect("consult.started")
    return engine, gateway, first, second, stop, task, offered["call_id"]


async def _state(desk: Desk, state: str) -> dict[str, Any]:
    while True:
        message = await desk.expect("agent.state")
        if message["state"] == state:
            return message


async def _settled() -> None:
    """The phone system's steps run in the engine's background tasks: let them finish."""
    await asyncio.sleep(0.3)


async def test_consult_then_complete_the_transfer(org):
    engine, gateway, first, second, stop, task = await _two_desks(org)
    first.send("ready")
    offered = await first.expect("call.offered")
    call_id = offered["call_id"]
    second.send("ready")
    first.send("consult", target_agent_id=second.agent_id)
    consulting = await first.expect("consult.started")
    consulted = await second.expect("consult.started")
    colleague_busy = next(iter(engine.runners.values())).agents[second.agent_id].state
    await _settled()
    during = (call_id in gateway.held, dict(gateway.consulting), gateway.agent_of(call_id))

    first.send("consult_transfer")
    ended = await first.expect("consult.ended")
    transferred = await first.expect("call.transferred")
    taken = await second.expect("call.offered")
    await _settled()
    after = (call_id in gateway.held, dict(gateway.consulting), gateway.agent_of(call_id))
    second.send("disposition", call_id=call_id, status_code="SALE")
    await _state(second, "ready")
    await asyncio.sleep(0.5)
    await _stop(stop, task)
    attempt = await query(lambda: CallAttempt.objects.select_related("status").get(call_id=call_id))
    states = await query(
        lambda: list(
            AgentStateInterval.objects.filter(agent_id=second.agent_id)
            .order_by("started_at", "pk")
            .values_list("state", flat=True)
        )
    )

    assert (consulting["role"], consulting["colleague_id"]) == ("consulting", second.agent_id)
    assert (consulted["role"], consulted["consulting_agent_id"]) == ("consulted", first.agent_id)
    assert (consulted["call_id"], consulted["lead_id"]) == (call_id, offered["lead_id"])
    assert colleague_busy == "on_call"
    assert during == (True, {first.agent_id: second.agent_id}, first.agent_id)
    assert (ended["reason"], transferred["to_agent_id"]) == ("transferred", second.agent_id)
    assert (taken["call_id"], taken["transferred_from"]) == (call_id, first.agent_id)
    assert after == (False, {}, second.agent_id)
    assert (attempt.agent_id, attempt.transferred_from_id) == (second.agent_id, first.agent_id)
    assert attempt.status.code == "SALE"
    # The consultation and the call it became are one stretch of talk for the colleague.
    # (then a new call may reach them)
    assert states[:4] == ["paused", "ready", "on_call", "ready"]


async def test_cancel_frees_the_colleague_and_brings_the_customer_back(org):
    engine, gateway, first, second, stop, task, call_id = await _consulting(org)
    first.send("consult_cancel")
    ended = await second.expect("consult.ended")
    freed = await _state(second, "ready")
    back = await first.expect("call.hold")
    await _settled()
    line = (call_id in gateway.held, dict(gateway.consulting), gateway.agent_of(call_id))
    runner = next(iter(engine.runners.values()))
    call = runner.calls[call_id]
    await _stop(stop, task)

    assert (ended["reason"], ended["by_agent_id"]) == ("cancelled", first.agent_id)
    assert freed["state"] == "ready"
    assert back["on_hold"] is False
    assert line == (False, {}, first.agent_id)
    assert (call.agent_id, call.consultation, call.on_hold) == (first.agent_id, None, False)


async def test_conference_then_the_first_agent_leaves_and_the_colleague_keeps_the_call(org):
    engine, gateway, first, second, stop, task, call_id = await _consulting(org)
    first.send("consult_conference")
    joined = await first.expect("consult.conference")
    await second.expect("consult.conference")
    await _settled()
    three = (call_id in gateway.held, dict(gateway.consulting), gateway.agent_of(call_id))
    first.send("consult_transfer")
    await first.expect("call.transferred")
    taken = await second.expect("call.offered")
    await _settled()
    two = (dict(gateway.consulting), gateway.agent_of(call_id))
    await _stop(stop, task)

    assert joined["call_id"] == call_id
    # The agent's line is on the colleague's side and the customer joined them there.
    assert three == (False, {first.agent_id: second.agent_id}, second.agent_id)
    assert taken["transferred_from"] == first.agent_id
    assert two == ({}, second.agent_id)


async def test_cancel_in_conference_brings_the_customer_back_to_the_first_agent(org):
    engine, gateway, first, second, stop, task, call_id = await _consulting(org)
    first.send("consult_conference")
    await first.expect("consult.conference")
    second.send("consult_cancel")  # the colleague may end it from their side too
    ended = await first.expect("consult.ended")
    await first.expect("call.hold")
    await _state(second, "ready")
    line = (dict(gateway.consulting), gateway.agent_of(call_id))
    await _stop(stop, task)

    assert (ended["reason"], ended["by_agent_id"]) == ("cancelled", second.agent_id)
    assert line == ({}, first.agent_id)


async def test_the_customer_hanging_up_mid_consultation_frees_both_agents(org):
    engine, gateway, first, second, stop, task, call_id = await _consulting(org)
    await _settled()
    await gateway.hang_up(call_id)  # as if the customer did
    wrap_up = await _state(first, "wrap_up")
    ended = await first.expect("call.ended")
    told = await second.expect("consult.ended")
    freed = await _state(second, "ready")
    await _settled()
    consulting = dict(gateway.consulting)
    await _stop(stop, task)

    assert ended["call_id"] == call_id
    assert wrap_up["state"] == "wrap_up"
    assert told["reason"] == "customer_hung_up"
    assert freed["state"] == "ready"
    assert consulting == {}


async def test_a_colleague_whose_desk_is_lost_leaves_the_consultation_paused(org):
    engine, gateway, first, second, stop, task, call_id = await _consulting(org)
    second.send("pause", reason="disconnected")  # what the desk's away check sends
    ended = await first.expect("consult.ended")
    back = await first.expect("call.hold")
    paused = await _state(second, "paused")
    await _settled()
    line = (call_id in gateway.held, dict(gateway.consulting), gateway.agent_of(call_id))
    await _stop(stop, task)

    assert (ended["reason"], ended["by_agent_id"]) == ("cancelled", second.agent_id)
    assert back["on_hold"] is False
    assert paused["reason"] == "disconnected"
    assert line == (False, {}, first.agent_id)


async def test_consultation_refusals_change_nothing(org):
    engine, gateway, first, second, stop, task = await _two_desks(org)
    first.send("consult", target_agent_id=second.agent_id)
    not_on_call = await first.expect("command.refused")
    first.send("ready")
    offered = await first.expect("call.offered")
    first.send("consult_transfer")
    not_consulting = await first.expect("command.refused")
    first.send("consult", target_agent_id=first.agent_id)
    to_self = await first.expect("command.refused")
    first.send("consult", target_agent_id=99_999_999)
    nobody = await first.expect("command.refused")
    first.send("consult", target_agent_id=second.agent_id)  # paused
    not_ready = await first.expect("command.refused")
    second.send("ready")
    first.send("consult", target_agent_id=second.agent_id)
    await first.expect("consult.started")
    first.send("consult", target_agent_id=second.agent_id)
    twice = await first.expect("command.refused")
    first.send("hold")
    hold = await first.expect("command.refused")
    first.send("transfer", target_agent_id=second.agent_id)
    blind = await first.expect("command.refused")
    second.send("consult_transfer")
    not_theirs = await second.expect("command.refused")
    second.send("ready")
    colleague_ready = await second.expect("command.refused")
    first.send("consult_conference")
    await first.expect("consult.conference")
    first.send("consult_conference")
    conference_twice = await first.expect("command.refused")
    runner = next(iter(engine.runners.values()))
    call = runner.calls[offered["call_id"]]
    colleague = runner.agents[second.agent_id]
    await _stop(stop, task)

    assert (not_on_call["command"], not_on_call["code"]) == ("consult", "not_connected")
    assert (not_consulting["command"], not_consulting["code"]) == (
        "consult_transfer",
        "not_consulting",
    )
    assert to_self["code"] == "consult_self"
    assert nobody["code"] == "colleague_not_here"
    assert not_ready["code"] == "colleague_not_ready"
    assert twice["code"] == "already_consulting"
    assert (hold["code"], blind["code"]) == ("in_consultation", "in_consultation")
    assert not_theirs["code"] == "only_consulting_agent"
    assert (colleague_ready["command"], colleague_ready["code"]) == ("ready", "in_consultation")
    assert conference_twice["code"] == "already_in_conference"
    assert call.agent_id == first.agent_id
    assert call.consultation is not None and call.consultation.colleague_id == second.agent_id
    assert (colleague.state, colleague.consulted_on) == ("on_call", offered["call_id"])


async def test_a_consultation_the_phone_system_cannot_start_frees_the_colleague(org):
    engine, gateway, first, second, stop, task = await _two_desks(org)
    first.send("ready")
    offered = await first.expect("call.offered")
    await _settled()
    gateway.disconnect()  # the link to the phone system drops
    second.send("ready")
    first.send("consult", target_agent_id=second.agent_id)
    await second.expect("consult.started")
    refused = await first.expect("command.refused")
    ended = await second.expect("consult.ended")
    freed = await _state(second, "ready")
    gateway.reconnect()
    runner = next(iter(engine.runners.values()))
    call = runner.calls[offered["call_id"]]
    await _stop(stop, task)

    assert (refused["command"], refused["code"]) == ("consult", "phone_system_refused")
    assert ended["reason"] == "failed"
    assert freed["state"] == "ready"
    assert (call.agent_id, call.consultation, call.on_hold) == (first.agent_id, None, False)
    assert gateway.agent_of(offered["call_id"]) == first.agent_id  # never held, never moved


async def test_the_agent_giving_the_status_mid_consultation_frees_the_colleague(org):
    engine, gateway, first, second, stop, task, call_id = await _consulting(org)
    await _settled()
    first.send("disposition", call_id=call_id, status_code="NI", go_ready=False)
    told = await second.expect("consult.ended")
    freed = await _state(second, "ready")
    await _settled()
    consulting, live = dict(gateway.consulting), call_id in await gateway.live_calls()
    await _stop(stop, task)
    attempt = await query(lambda: CallAttempt.objects.select_related("status").get(call_id=call_id))

    assert told["reason"] == "call_ended"
    assert freed["state"] == "ready"
    assert (consulting, live) == ({}, False)  # the line is home, the customer's call is over
    assert (attempt.agent_id, attempt.status.code) == (first.agent_id, "NI")
