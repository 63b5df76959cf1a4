"""Each running campaign is owned by exactly one engine; two engines split the campaigns."""

from __future__ import annotations

import asyncio

import pytest

from dialcrm.campaigns.models import Campaign, CampaignList
from dialcrm.dialer import store
from dialcrm.dialer.engine import Engine
from dialcrm.telephony.clock import Clock
from dialcrm.telephony.simulated import SimulatedGateway
from tests.dialer.engine.conftest import make_running_campaign, quick_customers
from tests.dialer.engine.test_engine import query

pytestmark = pytest.mark.django_db(transaction=True)


def _four_campaigns(org):
    first = make_running_campaign(org, leads=4)
    campaigns = [first.campaign]
    for index in range(3):
        campaign = Campaign.objects.create(
            client=first.campaign.client,
            location=org.north,
            name=f"More {index}",
            state="running",
            work_sheet=first.campaign.work_sheet,
            caller_id="+40215550000",
        )
        CampaignList.objects.create(campaign=campaign, call_list=first.call_list, priority=1)
        campaigns.append(campaign)
    return campaigns


async def test_two_engines_split_the_running_campaigns_and_never_share_one(org):
    await query(lambda: _four_campaigns(org))
    clock = Clock(speedup=20)
    engines = [Engine(SimulatedGateway(clock, quick_customers()), clock) for _ in range(2)]
    for engine in engines:
        engine.sync_every_s = 0.2
    stop = asyncio.Event()
    # Both alive before either takes a campaign, as when a cluster starts.
    for engine in engines:
        await engine.read(store.register_engine, engine.engine_key)
        engine._registered = True
    tasks = [asyncio.create_task(engine.run(stop)) for engine in engines]
    await asyncio.sleep(1.5)
    owned = [set(engine.runners) for engine in engines]
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)

    assert owned[0].isdisjoint(owned[1])
    assert len(owned[0] | owned[1]) == 4
    assert sorted(len(campaigns) for campaigns in owned) == [2, 2]


async def test_a_dead_engines_campaigns_are_taken_over(org):
    await query(lambda: make_running_campaign(org, leads=4))
    clock = Clock(speedup=20)
    first, second = (Engine(SimulatedGateway(clock, quick_customers()), clock) for _ in range(2))
    second.sync_every_s = 0.2
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    first_task = asyncio.create_task(first.run(stop_first))
    await asyncio.sleep(0.5)
    second_task = asyncio.create_task(second.run(stop_second))
    await asyncio.sleep(0.8)
    before = set(second.runners)
    stop_first.set()  # the first engine goes away: its connection, and its locks, with it
    await asyncio.wait_for(first_task, timeout=30)
    await asyncio.sleep(1.0)
    after = set(second.runners)
    stop_second.set()
    await asyncio.wait_for(second_task, timeout=30)

    assert before == set()
    assert len(after) == 1
