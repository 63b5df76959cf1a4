"""A day of calls with hand-counted figures: two campaigns (North and South), agents of both,
calls of every outcome, closed with statuses, and sales in each review state.

Monday 2 March 2026, Europe/Bucharest (UTC+2). North's campaign:
  1. north.agent, 09:10, contact, 300 s talk, waited 1.0 s, SALE -> sale accepted
  2. north.agent, 09:20, contact, 120 s talk, waited 2.0 s, NI
  3. north.teammate, 09:30, contact, 180 s talk, waited 0.5 s, SALE -> sale pending
  4. 09:40, abandoned (no agent in time)
  5. 09:50, busy
  6. 10:20, no answer
South's campaign:
  7. south.agent, 11:05, contact, 60 s talk, waited 1.5 s, SALE -> sale rejected
  8. 11:15, answering machine
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dialcrm.campaigns.models import CallList, Campaign, Lead, Phone, Status
from dialcrm.desk.choices import SaleState
from dialcrm.desk.models import Disposition, Sale
from dialcrm.dialer.models import CallAttempt
from dialcrm.reports import rollups
from tests.dialer.engine.conftest import make_running_campaign

BUCHAREST = ZoneInfo("Europe/Bucharest")
DAY = datetime.date(2026, 3, 2)
DAY_QUERY = {"period": "custom", "start": "2026-03-02", "end": "2026-03-02"}


def local(hour: int, minute: int, second: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 3, 2, hour, minute, second, tzinfo=BUCHAREST)


@dataclass
class CallDay:
    north: Campaign
    south: Campaign
    north_list: CallList
    south_list: CallList
    attempts: list[CallAttempt]


def _call(
    campaign: Campaign,
    lead: Lead,
    dialed: datetime.datetime,
    outcome: str,
    *,
    agent: Any = None,
    talk_s: int = 0,
    wait_s: float | None = None,
    status: Status | None = None,
    sale_state: str | None = None,
) -> CallAttempt:
    phone = lead.phones.first()
    connected = dialed + datetime.timedelta(seconds=10) if agent else None
    attempt = CallAttempt.objects.create(
        campaign=campaign,
        lead=lead,
        phone=phone,
        number=phone.number if phone else "+40720000000",
        agent=agent,
        mode="predictive",
        dialed_at=dialed,
        answered_at=dialed + datetime.timedelta(seconds=8) if outcome != "busy" else None,
        connected_at=connected,
        ended_at=(connected or dialed) + datetime.timedelta(seconds=talk_s or 20),
        outcome=outcome,
        is_abandoned=outcome == "abandoned",
        wait_s=wait_s,
        status=status,
    )
    if status is not None:
        disposition = Disposition.objects.create(
            attempt=attempt,
            agent=agent,
            campaign=campaign,
            lead=lead,
            status=status,
            idempotency_key=f"call-{attempt.pk}",
        )
        if sale_state is not None:
            sale = Sale.objects.create(
                disposition=disposition, campaign=campaign, lead=lead, agent=agent, state=sale_state
            )
            Sale.objects.filter(pk=sale.pk).update(created_at=attempt.ended_at)
    return attempt


def make_call_day(org: Any) -> CallDay:
    north = make_running_campaign(org, leads=6)
    south_campaign = Campaign.objects.create(
        client=north.campaign.client, location=org.south, name="South offer"
    )
    south_list = CallList.objects.create(client=north.campaign.client, name="South prospects")
    south_campaign.list_links.create(call_list=south_list, priority=1)
    south_leads = Lead.objects.bulk_create(
        Lead(call_list=south_list, last_name=f"South{index}") for index in range(2)
    )
    for index, lead in enumerate(south_leads):
        Phone.objects.create(lead=lead, number=f"+4073{index:07d}", country="RO")
    statuses = {status.code: status for status in Status.objects.filter(company=org.company)}
    leads = list(Lead.objects.filter(call_list=north.call_list).order_by("pk"))
    campaign = north.campaign
    agent, teammate, south_agent = org["agent"], org["teammate"], org["south_agent"]
    attempts = [
        _call(
            campaign,
            leads[0],
            local(9, 10),
            "contact",
            agent=agent,
            talk_s=300,
            wait_s=1.0,
            status=statuses["SALE"],
            sale_state=SaleState.ACCEPTED,
        ),
        _call(
            campaign,
            leads[1],
            local(9, 20),
            "contact",
            agent=agent,
            talk_s=120,
            wait_s=2.0,
            status=statuses["NI"],
        ),
        _call(
            campaign,
            leads[2],
            local(9, 30),
            "contact",
            agent=teammate,
            talk_s=180,
            wait_s=0.5,
            status=statuses["SALE"],
            sale_state=SaleState.PENDING,
        ),
        _call(campaign, leads[3], local(9, 40), "abandoned", wait_s=2.0),
        _call(campaign, leads[4], local(9, 50), "busy"),
        _call(campaign, leads[5], local(10, 20), "no_answer"),
        _call(
            south_campaign,
            south_leads[0],
            local(11, 5),
            "contact",
            agent=south_agent,
            talk_s=60,
            wait_s=1.5,
            status=statuses["SALE"],
            sale_state=SaleState.REJECTED,
        ),
        _call(south_campaign, south_leads[1], local(11, 15), "machine"),
    ]
    Lead.objects.filter(pk__in=[leads[0].pk, leads[1].pk, leads[2].pk, leads[3].pk]).update(
        attempts=1, state="final"
    )
    Lead.objects.filter(pk__in=[leads[4].pk, leads[5].pk]).update(attempts=1, state="retry")
    Lead.objects.filter(pk=south_leads[0].pk).update(attempts=1, state="final")
    rollups.rebuild(local(0, 0), local(23, 0))
    return CallDay(campaign, south_campaign, north.call_list, south_list, attempts)


@pytest.fixture
def call_day(org: Any) -> CallDay:
    return make_call_day(org)
