"""Why a campaign stops: the engine completes it at each stop condition, says why, lets the
calls in flight finish and dials nothing after; "nothing to dial right now" waits. The abandon
guard does not stop a campaign: it holds dialing to one call per ready agent."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from dialcrm.campaigns import services
from dialcrm.campaigns.choices import CampaignState, StopReason
from dialcrm.campaigns.models import Campaign, Lead
from dialcrm.core.choices import Role
from dialcrm.core.models import AuditEntry
from dialcrm.desk.choices import SaleState
from dialcrm.desk.models import Sale
from dialcrm.dialer import engine as engine_module
from dialcrm.dialer import store
from dialcrm.dialer.bots import SimulatedAgent
from dialcrm.dialer.core.distributions import Distribution
from dialcrm.dialer.engine import AgentCommand, Engine
from dialcrm.dialer.models import CallAttempt
from dialcrm.telephony.clock import Clock
from dialcrm.telephony.simulated import SimulatedGateway
from dialcrm.wallboard.services import board_figures
from tests.dialer.engine.conftest import make_running_campaign, quick_customers, until
from tests.dialer.engine.test_engine import FAST_BOT, bots_for, query
from tests.quality.conftest import make_desk_campaign, make_sale

pytestmark = pytest.mark.django_db(transaction=True)
ALWAYS_SELLS = dataclasses.replace(FAST_BOT, status_weights={"SALE": 1.0})


class Recorder:
    """Keeps what the engine publishes to agents and wallboards."""

    def __init__(self) -> None:
        self.agents: list[dict[str, Any]] = []
        self.campaigns: list[dict[str, Any]] = []

    async def to_agent(self, agent_id: int, message: dict[str, Any]) -> None:
        self.agents.append(message)

    async def to_campaign(self, campaign_id: int, message: dict[str, Any]) -> None:
        self.campaigns.append(message)


def _engine(customers: Any, recorder: Recorder, seed: int = 3) -> Engine:
    clock = Clock(speedup=20)
    engine = Engine(SimulatedGateway(clock, customers, seed=seed), clock, recorder)
    engine.sync_every_s = 0.2
    engine.stop_check_s = 0.2
    return engine


def _login(engine: Engine, running: Any) -> None:
    for agent in running.agents:
        engine.submit(AgentCommand("login", agent.pk, running.campaign.pk, endpoint="Local/x"))
        engine.submit(AgentCommand("ready", agent.pk))


async def _run(engine: Engine, seconds: float, bots: list[SimulatedAgent] = ()) -> None:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(engine.run(stop))] + [
        asyncio.create_task(bot.run()) for bot in bots
    ]
    await asyncio.sleep(seconds)
    stop.set()
    for task in tasks[1:]:
        task.cancel()
    await asyncio.wait_for(tasks[0], timeout=30)


@dataclasses.dataclass
class Stopped:
    campaign: Campaign
    dials_at_stop: int  # attempts when the engine stopped the campaign
    dials_after: int  # attempts placed afterwards (the engine still running)
    in_flight_after: int  # attempts still in progress a while after the stop


async def _run_until_stopped(
    engine: Engine, pk: int, bots: list[SimulatedAgent] = (), after_s: float = 1.5
) -> Stopped:
    """Run the engine until it stops the campaign (at most 10 s), then on for `after_s`."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(engine.run(stop))] + [
        asyncio.create_task(bot.run()) for bot in bots
    ]
    for _ in range(100):
        await asyncio.sleep(0.1)
        if await query(lambda: _campaign(pk).state) != CampaignState.RUNNING:
            break
    dials_at_stop = await query(lambda: _dials(pk))
    await asyncio.sleep(after_s)
    dials_after = await query(lambda: _dials(pk)) - dials_at_stop
    in_flight_after = await query(lambda: _in_flight(pk))
    stop.set()
    for task in tasks[1:]:
        task.cancel()
    await asyncio.wait_for(tasks[0], timeout=30)
    campaign = await query(lambda: _campaign(pk))
    return Stopped(campaign, dials_at_stop, dials_after, in_flight_after)


def _dials(campaign_id: int) -> int:
    return CallAttempt.objects.filter(campaign_id=campaign_id).count()


def _campaign(pk: int) -> Campaign:
    return Campaign.objects.get(pk=pk)


def _in_flight(campaign_id: int) -> int:
    return CallAttempt.objects.filter(campaign_id=campaign_id, outcome="in_progress").count()


def _stopped_message(recorder: Recorder, code: str) -> list[dict[str, Any]]:
    return [
        message
        for message in recorder.agents
        if message.get("type") == "campaign.stopped" and message["reason"] == code
    ]


async def test_the_list_exhausted_completes_the_campaign(org, transactional_db):
    running = await query(lambda: make_running_campaign(org, leads=4, max_attempts_per_lead=1))
    recorder = Recorder()
    engine = _engine(quick_customers(human=0.0, busy=0.0), recorder)
    _login(engine, running)
    pk = running.campaign.pk
    stopped = await _run_until_stopped(engine, pk)
    campaign = stopped.campaign
    system_entries = await query(
        lambda: list(
            AuditEntry.objects.filter(object_type="campaigns.campaign", object_id=str(pk))
            .filter(staff__isnull=True)
            .values_list("changes", flat=True)
        )
    )

    assert campaign.state == CampaignState.COMPLETED
    assert campaign.stop_code == StopReason.LIST_EXHAUSTED
    assert campaign.state_reason == str(StopReason.LIST_EXHAUSTED.label)
    assert stopped.dials_at_stop == 4  # each lead once (one attempt allowed)
    assert stopped.dials_after == 0
    assert stopped.in_flight_after == 0
    assert system_entries[-1]["state"] == [CampaignState.RUNNING, CampaignState.COMPLETED]
    assert system_entries[-1]["stop_code"] == ["", StopReason.LIST_EXHAUSTED]
    assert len(_stopped_message(recorder, StopReason.LIST_EXHAUSTED)) == len(running.agents)
    assert any(
        message.get("type") == "campaign.figures" and message["stop_reason"] == "list_exhausted"
        for message in recorder.campaigns
    )


async def test_leads_waiting_for_their_redial_time_do_not_stop_the_campaign(org, transactional_db):
    running = await query(lambda: make_running_campaign(org, leads=4))
    recorder = Recorder()
    engine = _engine(quick_customers(human=0.0, busy=0.0), recorder)
    _login(engine, running)
    await _run(engine, 4.0)
    pk = running.campaign.pk
    campaign = await query(lambda: _campaign(pk))
    waiting = await query(
        lambda: set(
            Lead.objects.filter(call_list=running.call_list).values_list("state", flat=True)
        )
    )

    assert waiting == {"retry"}  # every lead called once, the next call an hour away
    assert campaign.state == CampaignState.RUNNING
    assert campaign.stop_code == ""
    assert not _stopped_message(recorder, StopReason.LIST_EXHAUSTED)


async def test_the_objective_reached_completes_the_campaign_and_calls_finish(org, transactional_db):
    # Information objective: a prospect is informed when a call ends with a sale or positive
    # contact status.
    running = await query(
        lambda: make_running_campaign(org, objective_kind="information", objective_target=1)
    )
    recorder = Recorder()
    engine = _engine(quick_customers(human=0.9, busy=0.0), recorder, seed=11)
    bots = bots_for(engine, running, ALWAYS_SELLS)
    stopped = await _run_until_stopped(engine, running.campaign.pk, bots)
    campaign = stopped.campaign

    assert campaign.state == CampaignState.COMPLETED
    assert campaign.stop_code == StopReason.OBJECTIVE_REACHED
    assert stopped.dials_at_stop > 0
    assert stopped.dials_after == 0  # nothing dialled once stopped
    assert stopped.in_flight_after == 0  # the calls in flight finished
    assert await query(lambda: Lead.objects.filter(state="in_call").count()) == 0  # released


async def test_the_end_date_passed_completes_the_campaign(org, transactional_db):
    yesterday = timezone.localdate() - datetime.timedelta(days=2)
    running = await query(lambda: make_running_campaign(org, leads=20, ends_on=yesterday))
    recorder = Recorder()
    engine = _engine(quick_customers(human=0.0, busy=0.0), recorder)
    _login(engine, running)
    stopped = await _run_until_stopped(engine, running.campaign.pk)
    campaign = stopped.campaign

    assert campaign.state == CampaignState.COMPLETED
    assert campaign.stop_code == StopReason.ENDED
    assert stopped.dials_after == 0
    assert stopped.in_flight_after == 0
    assert await query(lambda: Lead.objects.filter(state="in_call").count()) == 0


def test_the_end_date_is_read_in_the_locations_time_zone(org):
    running = make_running_campaign(org, leads=1, ends_on=datetime.date(2026, 3, 10))
    settings = store.load_campaign(running.campaign.pk)
    noon_utc = datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC).timestamp()
    org.north.time_zone = "UTC"
    org.north.save()
    assert store.stop_condition(settings, noon_utc) is None  # still the last day
    org.north.time_zone = "Pacific/Kiritimati"  # UTC+14: already the 11th there
    org.north.save()
    assert store.stop_condition(settings, noon_utc) == StopReason.ENDED


def test_accepted_sales_count_toward_a_sales_objective(org, monkeypatch):
    monkeypatch.setattr("dialcrm.desk.services.send_to_engine", lambda command: None)
    desk = make_desk_campaign(org, objective_target=1)
    sale = make_sale(desk)
    settings = store.load_campaign(desk.campaign.pk)
    now_s = timezone.now().timestamp()
    assert store.stop_condition(settings, now_s) is None  # a sale waiting for review
    Sale.objects.filter(pk=sale.pk).update(state=SaleState.ACCEPTED)
    assert store.stop_condition(settings, now_s) == StopReason.OBJECTIVE_REACHED


class EagerStrategy:
    """Keeps ten of the dialer's calls ringing, whoever is ready: far more than the agents."""

    name = "eager"

    def calls_to_place(self, snapshot: Any) -> int:
        return max(0, 10 - len(snapshot.ringing_ages_s))


async def test_the_abandon_guard_holds_dialing_to_one_call_per_ready_agent(
    org, transactional_db, monkeypatch
):
    running = await query(lambda: make_running_campaign(org, leads=40))
    await query(lambda: _attempts(running, answers=50, abandoned=2))  # 4% today: over the 3% cap
    monkeypatch.setattr(engine_module, "make_strategy", lambda name: EagerStrategy())
    customers = dataclasses.replace(
        quick_customers(human=1.0, busy=0.0), time_to_answer_s=Distribution.constant(20.0)
    )
    recorder = Recorder()
    clock = Clock(speedup=1)  # nothing answers (20 s) while the test looks
    engine = Engine(SimulatedGateway(clock, customers, seed=3), clock, recorder)
    _login(engine, running)
    stop = asyncio.Event()
    task = asyncio.create_task(engine.run(stop))
    pk = running.campaign.pk
    try:
        await until(lambda: pk in engine.runners and len(engine.runners[pk].calls) >= 2)
        runner = engine.runners[pk]
        await asyncio.sleep(0.5)  # decisions and ticks pass: the guard still holds
        held_calls = len(runner.calls)
        held_rate = runner.guarded_rate
        held_figures = runner.figures(engine.clock.now())

        # 100 more live answers without an abandon: 2 in 150, under the cap. Pacing resumes.
        now_s = engine.clock.now()
        for index in range(100):
            runner.ledger.record(now_s - 200 + index, abandoned=False)
        await until(lambda: len(runner.calls) >= 10)
        resumed_rate = runner.guarded_rate
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
    campaign = await query(lambda: _campaign(pk))

    assert held_calls == 2  # one per ready agent, though the strategy asked for ten
    assert held_rate == pytest.approx(0.04)
    assert held_figures["abandon_guard_rate"] == pytest.approx(0.04)
    assert board_figures(held_figures, {})["abandon_guard_rate"] == pytest.approx(0.04)
    assert resumed_rate is None
    assert (campaign.state, campaign.stop_code) == (CampaignState.RUNNING, "")  # never paused


def _attempts(running: Any, answers: int, abandoned: int) -> None:
    lead = Lead.objects.filter(call_list=running.call_list).first()
    now = timezone.now()
    CallAttempt.objects.bulk_create(
        CallAttempt(
            campaign=running.campaign,
            lead=lead,
            number="+40720000000",
            mode="predictive",
            dialed_at=now - datetime.timedelta(minutes=30),
            answered_at=now - datetime.timedelta(minutes=30),
            connected_at=None if index < abandoned else now,
            is_abandoned=index < abandoned,
            outcome="abandoned" if index < abandoned else "human",
        )
        for index in range(answers)
    )


def test_the_system_stop_leaves_a_campaign_a_manager_paused_alone(org):
    running = make_running_campaign(org, leads=3)
    services.change_campaign_state(org["manager"], running.campaign, "pause", "Lunch")
    assert not services.system_stop(running.campaign.pk, StopReason.LIST_EXHAUSTED)
    campaign = _campaign(running.campaign.pk)
    assert (campaign.state, campaign.stop_code, campaign.state_reason) == ("paused", "", "Lunch")


def test_the_wallboard_names_why_the_engine_stopped_the_campaign():
    assert board_figures({"stop_reason": "list_exhausted"}, {})["stop_label"] == str(
        StopReason.LIST_EXHAUSTED.label
    )
    assert board_figures({"stop_reason": ""}, {})["stop_label"] == ""
    assert board_figures({"stop_reason": "from_a_newer_engine"}, {})["stop_label"] == ""


def test_the_api_and_the_campaign_screen_say_why_the_dialer_stopped_it(org, client_for):
    running = make_running_campaign(org, leads=3)
    assert services.system_stop(running.campaign.pk, StopReason.LIST_EXHAUSTED)
    manager = client_for(org[Role.LOCATION_MANAGER])

    shown = manager.get(f"/api/campaigns/campaigns/{running.campaign.pk}").json()
    page = manager.get(reverse("campaigns:campaign_detail", args=[running.campaign.pk]))

    assert (shown["state"], shown["stop_code"]) == ("completed", "list_exhausted")
    assert shown["state_reason"] == str(StopReason.LIST_EXHAUSTED.label)
    assert "Stopped by the dialer: No lead left to call" in page.content.decode()
    entry = AuditEntry.objects.filter(
        object_type="campaigns.campaign", object_id=str(running.campaign.pk)
    ).latest("pk")
    assert entry.staff is None  # the system's action
    assert entry.changes["state"] == ["running", "completed"]
