"""The campaign's clock: its abandon hours and pacing hours follow its location's time zone."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from dialcrm.dialer import store
from dialcrm.dialer.engine import CampaignRunner, Engine
from dialcrm.telephony.clock import Clock
from dialcrm.telephony.simulated import SimulatedGateway
from tests.dialer.engine.conftest import make_running_campaign

UTC = datetime.UTC


def _runner(org: Any, zone: str, at: datetime.datetime) -> CampaignRunner:
    org.north.time_zone = zone
    org.north.save(update_fields=["time_zone"])
    campaign = make_running_campaign(org, leads=1).campaign
    settings = store.load_campaign(campaign.pk)
    assert settings.time_zone == zone
    clock = Clock(speedup=1.0, start_s=at.timestamp())
    return CampaignRunner(Engine(SimulatedGateway(clock), clock), settings)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "utc", "local_hour", "seconds_into_hour"),
    [
        # India is 5:30 ahead: 10:10 UTC is 15:40 there, 40 minutes into its hour.
        ("Asia/Kolkata", datetime.datetime(2026, 11, 25, 10, 10, tzinfo=UTC), 15, 2400),
        # Nepal is 5:45 ahead: 10:10 UTC is 15:55 there.
        ("Asia/Kathmandu", datetime.datetime(2026, 11, 25, 10, 10, tzinfo=UTC), 15, 3300),
        # Newfoundland is 3:30 behind in winter: 10:10 UTC is 6:40 there.
        ("America/St_Johns", datetime.datetime(2026, 11, 25, 10, 10, tzinfo=UTC), 6, 2400),
        # Bucharest in summer time (3 ahead): whole hours, another hour of day.
        ("Europe/Bucharest", datetime.datetime(2026, 7, 1, 10, 10, tzinfo=UTC), 13, 600),
    ],
)
def test_the_hourly_abandon_budget_counts_in_the_campaigns_own_hours(
    org: Any, zone: str, utc: datetime.datetime, local_hour: int, seconds_into_hour: float
) -> None:
    runner = _runner(org, zone, utc)
    now_s = utc.timestamp()
    snapshot = runner.snapshot(now_s)
    assert snapshot.seconds_into_hour == pytest.approx(seconds_into_hour)
    assert runner.local_hour(now_s) == local_hour
    # A live answer just before the local hour began is in the previous hour's count; one
    # just after it, in this hour's.
    hour_began = now_s - seconds_into_hour
    runner.ledger.record(hour_began - 1, abandoned=True)
    runner.ledger.record(hour_began + 1, abandoned=False)
    snapshot = runner.snapshot(now_s)
    assert (snapshot.human_answers_this_hour, snapshot.abandoned_this_hour) == (1, 0)
    assert (snapshot.human_answers_total, snapshot.abandoned_total) == (2, 1)


@pytest.mark.django_db(transaction=True)
def test_a_lead_whose_calling_hours_ended_in_the_hopper_is_given_back_not_dialled(
    org: Any,
) -> None:
    """Calling hours 09:00-21:00 in each number's own zone: at 20:00 UTC it is 21:00 in
    Bucharest (over) and 20:00 in London (still on)."""
    now = datetime.datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
    running = make_running_campaign(
        org, leads=2, calling_hours_start=datetime.time(9), calling_hours_end=datetime.time(21)
    )
    leads = list(running.call_list.leads.order_by("pk"))
    store._set_lead_state([lead.pk for lead in leads], "in_call")  # claimed into the hopper
    clock = Clock(speedup=1.0, start_s=now.timestamp())
    engine = Engine(SimulatedGateway(clock), clock)
    runner = CampaignRunner(engine, store.load_campaign(running.campaign.pk))
    for lead, zone in zip(leads, ["Europe/Bucharest", "Europe/London"], strict=True):
        phone = lead.phones.get()
        runner.hopper.append(
            store.HopperLead(
                lead.pk, phone.pk, phone.number, zone, lead.call_list_id, "", 0, "", False, 0.0
            )
        )
    try:
        dialled = runner._leads_to_dial(2, now.timestamp())
    finally:
        engine.stop_threads()  # once the lead given back is

    assert [lead.lead_id for lead in dialled] == [leads[1].pk]
    assert not runner.hopper
    states = dict(running.call_list.leads.values_list("pk", "state"))
    assert states == {leads[0].pk: "new", leads[1].pk: "in_call"}
