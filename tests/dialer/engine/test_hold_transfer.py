"""Hold, transfer and the wrap-up limit: the engine keeps who has the call, the phone system
follows, the attempt records who closed it and who handed it over."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dialcrm.core.choices import Role
from dialcrm.dialer.engine import Engine
from dialcrm.dialer.models import CallAttempt
from dialcrm.telephony.clock import Clock
from dialcrm.telephony.simulated import SimulatedGateway
from tests.dialer.engine.conftest import make_running_campaign, quick_customers
from tests.dialer.engine.test_engine import query
from tests.dialer.engine.test_modes import Desk

pytestmark = pytest.mark.django_db(transaction=True)


async def _two_desks(
    org: Any, **settings: Any
) -> tuple[Engine, SimulatedGateway, Desk, Desk, asyncio.Event, asyncio.Task[None]]:
    running = await query(
        lambda: make_running_campaign(org, leads=5, dial_mode="progressive", **settings)
    )
    clock = Clock(speedup=20)
    gateway = SimulatedGateway(clock, quick_customers(human=1.0, busy=0.0), seed=3)
    engine = Engine(gateway, clock)
    first = Desk(engine, running.agents[0].pk, running.campaign.pk)
    second = Desk(engine, running.agents[1].pk, running.campaign.pk)
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))
    first.send("login", endpoint="Local/first", wrap_up_s=settings.get("max_wrap_up_s", 30))
    await first.expect("agent.state")
    second.send("login", endpoint="Local/second")
    await second.expect("agent.state")
    return engine, gateway, first, second, stop, task


async def _stop(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    stop.set()
    await asyncio.wait_for(task, timeout=30)


async def test_hold_then_transfer_to_a_ready_agent_who_closes_the_call(org):
    engine, gateway, first, second, stop, task = await _two_desks(org)
    first.send("ready")
    offered = await first.expect("call.offered")
    call_id = offered["call_id"]

    first.send("hold")
    held = await first.expect("call.hold")
    was_held = call_id in gateway.held
    first.send("unhold")
    unheld = await first.expect("call.hold")
    second.send("ready")
    await second.expect("agent.state")
    first.send("transfer", target_agent_id=second.agent_id)
    transferred = await first.expect("call.transferred")
    taken = await second.expect("call.offered")
    line = gateway.agent_of(call_id)
    second.send("disposition", call_id=call_id, status_code="SALE")
    await second.expect("agent.state")
    await asyncio.sleep(0.5)
    await _stop(stop, task)
    attempt = await query(lambda: CallAttempt.objects.select_related("status").get(call_id=call_id))

    assert (held["on_hold"], was_held, unheld["on_hold"]) == (True, True, False)
    assert transferred["to_agent_id"] == second.agent_id
    assert (taken["call_id"], taken["transferred_from"]) == (call_id, first.agent_id)
    assert taken["lead_id"] == offered["lead_id"]
    assert line == second.agent_id  # the customer is on the new agent's line
    assert attempt.agent_id == second.agent_id
    assert attempt.transferred_from_id == first.agent_id
    assert attempt.transferred_at is not None
    assert attempt.status.code == "SALE"


async def test_hold_and_transfer_refusals_change_nothing(org):
    engine, gateway, first, second, stop, task = await _two_desks(org)
    first.send("hold")
    not_on_call = await first.expect("command.refused")
    first.send("ready")
    offered = await first.expect("call.offered")
    first.send("unhold")
    not_held = await first.expect("command.refused")
    first.send("transfer", target_agent_id=second.agent_id)  # paused: not a target
    busy = await first.expect("command.refused")
    first.send("transfer", target_agent_id=first.agent_id)
    to_self = await first.expect("command.refused")
    line = gateway.agent_of(offered["call_id"])
    await _stop(stop, task)

    assert (not_on_call["command"], not_on_call["code"]) == ("hold", "not_connected")
    assert not_held["code"] == "not_on_hold"
    assert busy["code"] == "transfer_target_unavailable"
    assert to_self["code"] == "transfer_to_self"
    assert line == first.agent_id


async def test_an_agent_past_the_wrap_up_limit_is_paused_and_stays_paused_after_the_status(org):
    engine, gateway, first, second, stop, task = await _two_desks(org, max_wrap_up_s=10)
    first.send("ready")
    offered = await first.expect("call.offered")
    first.send("hang_up")
    await first.expect("call.ended")

    async def paused() -> dict[str, Any]:
        while True:
            state = await first.expect("agent.state", timeout=20)
            if state["state"] == "paused":
                return state

    over = await paused()
    first.send("disposition", call_id=offered["call_id"], status_code="NI", go_ready=True)
    after = await paused()
    await _stop(stop, task)
    attempt = await query(
        lambda: CallAttempt.objects.select_related("status").get(call_id=offered["call_id"])
    )

    assert over["reason"] == after["reason"] == "wrap_up_over"
    assert attempt.status.code == "NI"


async def test_the_agents_own_wrap_up_time_is_held_within_the_campaigns_limit(org):
    engine, gateway, first, second, stop, task = await _two_desks(org, max_wrap_up_s=40)
    runner = next(iter(engine.runners.values()))
    await _stop(stop, task)

    assert runner.agents[first.agent_id].wrap_up_s == 40  # asked 40: the limit
    assert runner.wrap_up_limit(600) == 40
    assert runner.wrap_up_limit(15) == 15
    assert runner.wrap_up_limit(None) == 40


async def test_an_agent_transfers_a_call_to_their_team_leader_working_on_the_campaign(org):
    """A team leader of a team the campaign is assigned to logs in like an agent and takes the
    escalation: the call, its card and its status are theirs."""
    engine, gateway, first, second, stop, task = await _two_desks(org)
    leader = Desk(engine, org[Role.TEAM_LEADER].pk, first.campaign_id)
    leader.send("login", endpoint="Local/leader")
    await leader.expect("agent.state")
    first.send("ready")
    offered = await first.expect("call.offered")
    call_id = offered["call_id"]
    leader.send("ready")
    await leader.expect("agent.state")
    first.send("transfer", target_agent_id=leader.agent_id)
    transferred = await first.expect("call.transferred")
    taken = await leader.expect("call.offered")
    line = gateway.agent_of(call_id)
    leader.send("disposition", call_id=call_id, status_code="SALE")
    await leader.expect("agent.state")
    await asyncio.sleep(0.5)
    await _stop(stop, task)
    attempt = await query(lambda: CallAttempt.objects.select_related("status").get(call_id=call_id))

    assert transferred["to_agent_id"] == leader.agent_id
    assert (taken["call_id"], taken["transferred_from"]) == (call_id, first.agent_id)
    assert line == leader.agent_id
    assert (attempt.agent_id, attempt.transferred_from_id) == (leader.agent_id, first.agent_id)
    assert attempt.status.code == "SALE"


async def test_a_team_leader_of_another_team_may_not_log_in_to_the_campaign(org):
    engine, gateway, first, second, stop, task = await _two_desks(org)
    outsider = Desk(engine, org["south_leader"].pk, first.campaign_id)
    outsider.send("login", endpoint="Local/south")
    refused = await outsider.expect("command.refused")
    await _stop(stop, task)

    assert (refused["command"], refused["code"]) == ("login", "not_assigned")
