"""Preview and manual modes: the agent sees the lead first and dials it, or dials a number,
through the same gateway and records, with the same rules."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest

from dialcrm.campaigns.models import DncList, DncNumber, Lead
from dialcrm.dialer.engine import AgentCommand, Engine
from dialcrm.dialer.models import CallAttempt
from dialcrm.telephony.clock import Clock
from dialcrm.telephony.simulated import SimulatedGateway
from tests.dialer.engine.conftest import make_running_campaign, quick_customers
from tests.dialer.engine.test_engine import query

pytestmark = pytest.mark.django_db(transaction=True)


class Desk:
    """One agent's side of the conversation with the engine."""

    def __init__(self, engine: Engine, agent_id: int, campaign_id: int) -> None:
        self.engine, self.agent_id, self.campaign_id = engine, agent_id, campaign_id
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        engine.listen(agent_id, self.messages.put_nowait)

    def send(self, kind: str, **values: Any) -> None:
        self.engine.submit(AgentCommand(kind, self.agent_id, self.campaign_id, **values))

    async def expect(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        async def wait() -> dict[str, Any]:
            while True:
                message = await self.messages.get()
                if message["type"] == kind:
                    return message
                if message["type"] == "command.refused" and kind != "command.refused":
                    raise AssertionError(f"refused: {message}")

        return await asyncio.wait_for(wait(), timeout)


async def _start(
    org: Any, mode: str, **settings: Any
) -> tuple[Engine, Desk, asyncio.Event, asyncio.Task[None], Any]:
    running = await query(lambda: make_running_campaign(org, leads=5, dial_mode=mode, **settings))
    clock = Clock(speedup=20)
    engine = Engine(SimulatedGateway(clock, quick_customers(human=1.0, busy=0.0), seed=2), clock)
    desk = Desk(engine, running.agents[0].pk, running.campaign.pk)
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))
    desk.send("login", endpoint="Local/desk")
    await desk.expect("agent.state")
    desk.send("ready")
    return engine, desk, stop, task, running


async def _stop(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    stop.set()
    await asyncio.wait_for(task, timeout=30)


async def test_preview_shows_the_lead_then_the_agent_dials_and_talks(org):
    engine, desk, stop, task, running = await _start(org, "preview")

    desk.send("preview_next")
    previewed = await desk.expect("lead.previewed")
    nothing_dialled = await query(lambda: CallAttempt.objects.count())
    desk.send("dial")
    dialing = await desk.expect("call.dialing")
    offered = await desk.expect("call.offered")
    desk.send("disposition", call_id=offered["call_id"], status_code="SALE")
    await desk.expect("agent.state")
    await asyncio.sleep(0.5)
    await _stop(stop, task)
    attempt = await query(lambda: CallAttempt.objects.select_related("status").get())

    assert nothing_dialled == 0  # previewing dials nothing
    assert dialing["lead_id"] == previewed["lead_id"] == offered["lead_id"]
    assert attempt.agent_id == desk.agent_id
    assert attempt.status.code == "SALE"
    assert attempt.mode == "preview"
    lead_state = await query(lambda: Lead.objects.get(pk=previewed["lead_id"]).state)
    assert lead_state == "final"


async def test_skipping_gives_the_lead_back(org):
    engine, desk, stop, task, running = await _start(org, "preview")

    desk.send("preview_next")
    previewed = await desk.expect("lead.previewed")
    claimed = await query(lambda: Lead.objects.get(pk=previewed["lead_id"]).state)
    desk.send("skip", reason="already a customer")
    await desk.expect("agent.state")
    await asyncio.sleep(0.3)
    await _stop(stop, task)

    assert claimed == "in_call"
    assert await query(lambda: Lead.objects.get(pk=previewed["lead_id"]).state) == "new"
    assert await query(lambda: CallAttempt.objects.count()) == 0


async def test_manual_dial_of_any_number_is_recorded_on_the_campaign(org):
    engine, desk, stop, task, running = await _start(org, "manual")

    desk.send("dial", number="0744 123 456")
    dialing = await desk.expect("call.dialing")
    offered = await desk.expect("call.offered")
    desk.send("disposition", call_id=offered["call_id"], status_code="NI")
    await desk.expect("agent.state")
    await asyncio.sleep(0.5)
    await _stop(stop, task)
    attempt = await query(lambda: CallAttempt.objects.select_related("lead__call_list").get())

    assert dialing["number"] == "+40744123456"
    assert attempt.number == "+40744123456"
    assert attempt.lead.call_list.name == "Manual calls · Live test"
    assert attempt.agent_id == desk.agent_id


@pytest.mark.parametrize(
    ("number", "code", "params"),
    [
        ("07x1", "invalid_number", {"number": "07x1", "country": "RO"}),
        ("call me", "not_a_number", {"number": "call me"}),
        ("0744 12", "invalid_number", {"number": "0744 12", "country": "RO"}),
        ("0744 999 999", "do_not_call", {"number": "+40744999999"}),
    ],
)
async def test_manual_dial_keeps_the_rules(org, number, code, params):
    def block() -> None:
        blocked = DncList.objects.create(company=org.company, name="National")
        DncNumber.objects.create(dnc_list=blocked, number="+40744999999")

    await query(block)
    engine, desk, stop, task, running = await _start(org, "manual")

    desk.send("dial", number=number)
    refused = await desk.expect("command.refused")
    await _stop(stop, task)

    assert refused == {
        "type": "command.refused",
        "command": "dial",
        "code": code,
        "params": params,
        "agent_id": desk.agent_id,
    }
    assert await query(lambda: CallAttempt.objects.count()) == 0


async def test_manual_dial_outside_calling_hours_is_refused(org):
    from zoneinfo import ZoneInfo

    hour = datetime.datetime.now(ZoneInfo("Europe/Bucharest")).hour  # the number's time zone
    start, end = (
        (datetime.time(13), datetime.time(23))
        if hour < 12
        else (datetime.time(1), datetime.time(11))
    )
    engine, desk, stop, task, running = await _start(
        org, "manual", calling_hours_start=start, calling_hours_end=end
    )

    desk.send("dial", number="0744 123 456")
    refused = await desk.expect("command.refused")
    await _stop(stop, task)

    assert refused["code"] == "outside_calling_hours"
    assert refused["params"]["number"] == "+40744123456"
    assert refused["params"]["zone"] == "Europe/Bucharest"


async def test_predictive_campaigns_refuse_agent_dialing(org):
    engine, desk, stop, task, running = await _start(org, "predictive")

    desk.send("preview_next")
    refused = await desk.expect("command.refused")
    await _stop(stop, task)

    assert refused["code"] == "campaign_dials_itself"
