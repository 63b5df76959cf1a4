"""A running campaign for the desk: a work sheet with fields, products, statuses, and leads
with a history (an earlier call, its note, a callback), for the agents of team North 1."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from dialcrm.campaigns.models import Campaign, Lead, Status, WorkSheetVersion
from dialcrm.catalog.models import Product
from dialcrm.desk.models import Disposition
from dialcrm.dialer.models import CallAttempt, Callback
from tests.dialer.engine.conftest import make_running_campaign

SHEET = {
    "groups": [
        {
            "title": "Customer",
            "fields": [
                {"key": "full_name", "label": "Full name", "kind": "text", "required": True},
                {
                    "key": "plan",
                    "label": "Plan",
                    "kind": "choice",
                    "required": True,
                    "choices": ["Basic", "Plus"],
                },
            ],
        },
        {
            "title": "Consumption",
            "fields": [
                {"key": "kwh", "label": "kWh a month", "kind": "number", "min": 0, "max": 10000},
                {"key": "contact_ok", "label": "May we write to you?", "kind": "yes_no"},
            ],
        },
    ]
}
EARLIER_NOTE = "Asked to be called after 5 pm, interested in Plus"


@dataclass
class DeskCampaign:
    campaign: Campaign
    version: WorkSheetVersion
    products: list[Product]
    leads: list[Lead]
    agent: Any
    teammate: Any


def make_desk_campaign(org: Any, leads: int = 3, **settings: Any) -> DeskCampaign:
    """A running campaign for North 1, each lead with an earlier call by the teammate."""
    settings.setdefault("dial_mode", "progressive")
    settings.setdefault(
        "script", "Good morning {lead}, I am {agent} from Energia, about your bill."
    )
    running = make_running_campaign(org, leads=leads, **settings)
    campaign = running.campaign
    version = WorkSheetVersion.objects.create(sheet=campaign.work_sheet, number=2, definition=SHEET)
    products = [
        Product.objects.create(company=org.company, code="PLUS", name="Energy Plus"),
        Product.objects.create(company=org.company, code="SOLAR", name="Solar panel", unit="pcs"),
    ]
    campaign.products.set(products)
    teammate = org["teammate"]
    callback = Status.objects.get(company=org.company, code="CB")
    yesterday = timezone.now() - datetime.timedelta(days=1)
    lead_list = list(Lead.objects.filter(call_list=running.call_list).order_by("pk"))
    for lead in lead_list:
        phone = lead.phones.get()
        earlier = CallAttempt.objects.create(
            campaign=campaign,
            lead=lead,
            phone=phone,
            number=phone.number,
            agent=teammate,
            mode="progressive",
            dialed_at=yesterday,
            connected_at=yesterday,
            ended_at=yesterday + datetime.timedelta(minutes=3),
            outcome="contact",
            status=callback,
        )
        Disposition.objects.create(
            attempt=earlier,
            agent=teammate,
            campaign=campaign,
            lead=lead,
            status=callback,
            note=EARLIER_NOTE,
            idempotency_key=f"earlier-{lead.pk:08d}",
        )
        Callback.objects.create(
            campaign=campaign,
            lead=lead,
            agent=teammate,
            due_at=yesterday + datetime.timedelta(hours=3),
            note="call after 5 pm",
            created_by=teammate,
            done_at=yesterday + datetime.timedelta(hours=3),
        )
    return DeskCampaign(campaign, version, products, lead_list, org["agent"], teammate)


def connected_call(desk: DeskCampaign, agent: Any = None, lead: Lead | None = None) -> CallAttempt:
    """A call the engine has put through to the agent, as the engine records it."""
    lead = lead or desk.leads[0]
    phone = lead.phones.get()
    now = timezone.now()
    return CallAttempt.objects.create(
        campaign=desk.campaign,
        lead=lead,
        phone=phone,
        number=phone.number,
        agent=agent or desk.agent,
        mode="progressive",
        dialed_at=now - datetime.timedelta(seconds=20),
        answered_at=now - datetime.timedelta(seconds=12),
        connected_at=now - datetime.timedelta(seconds=12),
    )


# redis-py 8 gives up reading after 5 s by default, the very time channels_redis blocks waiting
# for a message: an idle consumer then fails with a Redis timeout. The product's settings need
# `socket_timeout` above 5 s in CHANNEL_LAYERS' hosts (reported); the desk's tests set it.
CHANNEL_SOCKET_TIMEOUT_S = 30


@pytest.fixture(autouse=True)
def _patient_channel_layer(settings: Any) -> None:
    layers = settings.CHANNEL_LAYERS
    backend = layers["default"]["BACKEND"]
    if backend.startswith("channels_redis"):
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": backend,
                "CONFIG": {
                    "hosts": [
                        {"address": settings.REDIS_URL, "socket_timeout": CHANNEL_SOCKET_TIMEOUT_S}
                    ]
                },
            }
        }


@pytest.fixture(autouse=True)
def _fresh_cards() -> Any:
    """Cards start from the database in each test, and leave no connection open after it."""
    from dialcrm.desk.cards import forget_campaign_parts
    from dialcrm.desk.consumers import card_builders, card_preparers, socket_threads

    forget_campaign_parts()
    yield
    card_builders.close_connections()
    socket_threads.close_connections()
    card_preparers.close_connections()


@pytest.fixture
def desk_campaign(org: Any) -> DeskCampaign:
    return make_desk_campaign(org)


@pytest.fixture
def sent_commands(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The commands the desk's services send the engines (instead of sending them)."""
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr("dialcrm.desk.services.send_to_engine", sent.append)
    return sent
