"""A running campaign ready for the engine: two agents in a team, statuses, leads to call."""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from dialcrm.campaigns.choices import CampaignState, StatusCategory
from dialcrm.campaigns.models import (
    CallList,
    Campaign,
    Client,
    Lead,
    Phone,
    Status,
    WorkSheet,
    WorkSheetVersion,
)
from dialcrm.dialer.core.distributions import Distribution, DistributionKind
from dialcrm.dialer.core.scenario import AnsweringMachineDetection, Outcomes
from dialcrm.telephony.simulated import CustomerModel

STATUSES = [
    ("SALE", StatusCategory.SALE, True, None),
    ("NI", StatusCategory.NOT_INTERESTED, True, None),
    ("CB", StatusCategory.CALLBACK, False, None),
    ("NA", StatusCategory.NO_ANSWER, False, 60),
    ("B", StatusCategory.BUSY, False, 15),
    ("AM", StatusCategory.ANSWERING_MACHINE, False, 120),
    ("DNC", StatusCategory.DO_NOT_CALL, True, None),
]


@dataclass
class RunningCampaign:
    campaign: Campaign
    call_list: CallList
    agents: list[Any]


def make_running_campaign(org: Any, leads: int = 200, **settings: Any) -> RunningCampaign:
    client = Client.objects.create(company=org.company, name="Energia SA")
    call_list = CallList.objects.create(client=client, name="Prospects")
    sheet = WorkSheet.objects.create(company=org.company, name="Offer")
    WorkSheetVersion.objects.create(sheet=sheet, number=1, definition={"groups": []})
    statuses = [
        Status.objects.create(
            company=org.company,
            code=code,
            label=code,
            category=category,
            is_final=final,
            retry_after_minutes=retry,
        )
        for code, category, final, retry in STATUSES
    ]
    values = {
        "client": client,
        "location": org.north,
        "name": "Live test",
        "work_sheet": sheet,
        "caller_id": "+40215550000",
        "calling_hours_start": datetime.time(0, 0),
        "calling_hours_end": datetime.time(23, 59, 59),
        "calling_days": [0, 1, 2, 3, 4, 5, 6],
        "state": CampaignState.RUNNING,
        "no_redial_after_abandon_hours": 72,
    }
    values.update(settings)
    campaign = Campaign.objects.create(**values)
    campaign.statuses.set(statuses)
    campaign.teams.set([org.north_team])
    campaign.list_links.create(call_list=call_list, priority=1)
    created = Lead.objects.bulk_create(
        Lead(call_list=call_list, last_name=f"Lead{index}") for index in range(leads)
    )
    Phone.objects.bulk_create(
        Phone(lead=lead, number=f"+4072{index:07d}", country="RO", time_zone="UTC")
        for index, lead in enumerate(created)
    )
    return RunningCampaign(campaign, call_list, [org["agent"], org["teammate"]])


def quick_customers(
    human: float = 0.5, machine: float = 0.0, busy: float = 0.1, failed: float = 0.0
) -> CustomerModel:
    return CustomerModel(
        outcomes=Outcomes(human=human, machine=machine, busy=busy, failed=failed),
        time_to_answer_s=Distribution(DistributionKind.UNIFORM, 2.0, 4.0),
        quick_result_s=Distribution.constant(1.0),
        amd=AnsweringMachineDetection(
            detects_machine=1.0,
            mistakes_human=0.0,
            misdetected_machine_s=Distribution.constant(1.0),
        ),
        amd_delay_s=0.5,
    )


@pytest.fixture
def running(org: Any, transactional_db: Any) -> RunningCampaign:
    return make_running_campaign(org)


async def until(condition: Callable[[], Any], timeout_s: float = 30.0) -> None:
    """Wait for a condition on the engine (a loaded machine runs it late, never wrongly)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the engine did not get there in time"
        await asyncio.sleep(0.02)
