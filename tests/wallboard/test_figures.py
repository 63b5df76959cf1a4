"""The engine's `campaign.figures` for the wallboard, checked against a hand-made engine state:
agents and their time in state, calls, dial level, abandon rates (today, 24 hours, 30 days),
contacts and sales per hour, hopper and leads left; sales heard between two reads of the
database count at once and are not counted twice."""

from __future__ import annotations

import datetime
import time
from concurrent.futures import Future
from typing import Any

import pytest

from dialcrm.campaigns.choices import LeadState
from dialcrm.campaigns.models import Lead, Status
from dialcrm.dialer import store
from dialcrm.dialer.core.states import AgentStatus
from dialcrm.dialer.engine import AgentSession, CampaignRunner, Engine, LiveCall
from dialcrm.dialer.figures import HOUR_S, day_start
from dialcrm.dialer.models import CallAttempt
from dialcrm.telephony.clock import Clock
from dialcrm.telephony.simulated import SimulatedGateway
from tests.dialer.engine.conftest import make_running_campaign

pytestmark = pytest.mark.django_db(transaction=True)


def _done() -> Future[None]:
    future: Future[None] = Future()
    future.set_result(None)
    return future


def _call(call_id: str, phase: str, dialed_s: float) -> LiveCall:
    lead = store.HopperLead(
        lead_id=1,
        phone_id=1,
        number="+40721234567",
        time_zone="UTC",
        list_id=1,
        region="",
        attempts=0,
        last_outcome="",
        is_callback=False,
        due_at_s=0.0,
    )
    return LiveCall(call_id, lead, dialed_s, _done(), phase=phase)


@pytest.fixture
def engine() -> Any:
    clock = Clock()
    engine = Engine(SimulatedGateway(clock), clock)
    yield engine
    engine.stop_threads()


def _figures_after_read(runner: CampaignRunner, now_s: float) -> dict[str, Any]:
    """Figures once the database's figures asked for by this call have come back."""
    runner.wallboard.read_at_s = -float("inf")
    runner.figures(now_s)
    assert runner.wallboard.reading is not None and runner.wallboard.counting is not None
    runner.wallboard.reading.result(timeout=10)
    runner.wallboard.counting.result(timeout=10)
    return runner.figures(now_s)


def test_figures_of_a_hand_made_engine_state(org: Any, engine: Engine) -> None:
    running = make_running_campaign(org, leads=5)
    campaign = running.campaign
    noon_s = day_start(time.time()) + 12 * HOUR_S
    leads = list(Lead.objects.filter(call_list=running.call_list).order_by("pk"))
    Lead.objects.filter(pk=leads[0].pk).update(state=LeadState.FINAL)
    Lead.objects.filter(pk=leads[1].pk).update(state=LeadState.IN_CALL)
    sale = Status.objects.get(company=org.company, code="SALE")
    phone = leads[0].phones.get()
    CallAttempt.objects.create(
        campaign=campaign,
        lead=leads[0],
        phone=phone,
        number=phone.number,
        agent=org["agent"],
        mode="predictive",
        dialed_at=store.at(noon_s - 600),
        connected_at=store.at(noon_s - 590),
        ended_at=store.at(noon_s - 300),
        outcome="contact",
        status=sale,
    )
    runner = CampaignRunner(engine, store.load_campaign(campaign.pk))
    agent, teammate, south = org["agent"].pk, org["teammate"].pk, org["south_agent"].pk
    runner.agents = {
        agent: AgentSession(agent, campaign.pk, AgentStatus.READY, noon_s - 30),
        teammate: AgentSession(teammate, campaign.pk, AgentStatus.ON_CALL, noon_s - 100),
        south: AgentSession(south, campaign.pk, AgentStatus.PAUSED, noon_s - 400, "break"),
    }
    runner.calls = {
        "ringing": _call("ringing", "ringing", noon_s - 5),
        "waiting": _call("waiting", "waiting", noon_s - 8),
        "talking": _call("talking", "connected", noon_s - 100),
        "gone": _call("gone", "ending", noon_s - 20),
    }
    runner.queue.append("waiting")
    for _ in range(3):
        runner.ledger.record(noon_s - 60, abandoned=False)
    runner.ledger.record(noon_s - 30, abandoned=True)
    runner.ledger.record(noon_s - 2 * 24 * HOUR_S, abandoned=True)  # in the 30 days only

    figures = _figures_after_read(runner, noon_s)

    assert figures["agents"] == {"ready": 1, "on_call": 1, "paused": 1}
    assert figures["agent_states"] == [
        {"id": agent, "state": "ready", "since": noon_s - 30, "reason": ""},
        {"id": teammate, "state": "on_call", "since": noon_s - 100, "reason": ""},
        {"id": south, "state": "paused", "since": noon_s - 400, "reason": "break"},
    ]
    assert (figures["ringing"], figures["waiting"], figures["connected"]) == (1, 1, 1)
    assert figures["dial_level"] == 1.5  # 3 lines for 2 working agents (the paused one is not)
    assert figures["abandon_cap"] == pytest.approx(0.03)
    assert figures["abandon_rate_today"] == 0.25
    assert (figures["human_answers_today"], figures["abandoned_today"]) == (4, 1)
    assert figures["abandon_rate_24h"] == 0.25
    assert figures["abandon_rate_30d"] == 0.4
    assert figures["dialable_leads"] == 3  # 5 leads, one done, one in a call
    hours = figures["hours"]
    assert hours[0]["at"] <= day_start(noon_s) < hours[0]["at"] + HOUR_S
    assert hours[-1]["at"] <= noon_s < hours[-1]["at"] + HOUR_S
    by_hour = {hour["at"]: (hour["contacts"], hour["sales"]) for hour in hours}
    last_hour = hours[-1]["at"] - HOUR_S  # 11:59 and 11:55 are in the hour before noon
    assert by_hour.pop(last_hour) == (3, 1)
    assert set(by_hour.values()) == {(0, 0)}


def test_a_sale_counts_at_once_and_once_only(org: Any, engine: Engine) -> None:
    running = make_running_campaign(org, leads=2)
    runner = CampaignRunner(engine, store.load_campaign(running.campaign.pk))
    now_s = day_start(time.time()) + 12 * HOUR_S

    def sales() -> int:
        return sum(hour["sales"] for hour in runner.figures(now_s)["hours"])

    _figures_after_read(runner, now_s)
    assert sales() == 0
    runner.wallboard.note_status("sale", now_s)  # codes match whatever their case
    runner.wallboard.note_status("NI", now_s)
    assert sales() == 1
    # The next read did not find it recorded (in the product it is, before the read): the
    # read's figure stands, and a sale heard after the read was asked for is added to it.
    runner.wallboard.read_at_s = -float("inf")
    runner.figures(now_s)
    runner.wallboard.note_status("SALE", now_s)
    runner.wallboard.reading.result(timeout=10)
    assert sales() == 1


def test_before_the_first_read_the_leads_left_are_unknown(org: Any, engine: Engine) -> None:
    running = make_running_campaign(org, leads=2)
    runner = CampaignRunner(engine, store.load_campaign(running.campaign.pk))
    now_s = time.time()
    figures = runner.figures(now_s)
    assert figures["dialable_leads"] is None
    assert figures["agent_states"] == [] and figures["dial_level"] == 0.0
    assert figures["hours"][-1]["at"] <= now_s
    assert datetime.timedelta(seconds=now_s - figures["hours"][0]["at"]) < datetime.timedelta(
        hours=25
    )
