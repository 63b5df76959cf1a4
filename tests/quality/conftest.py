"""Sales for quality review, made as the desk makes them: an agent of North 1 closes a call
with a sale status, work sheet answers and products."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from dialcrm.core.audit import Actor, acting_as
from dialcrm.desk import services as desk_services
from dialcrm.desk.models import Sale
from tests.desk.conftest import DeskCampaign, connected_call, make_desk_campaign

ANSWERS = {"full_name": "Ana Pop", "plan": "Basic", "kwh": "250", "contact_ok": "yes"}
_keys = itertools.count(1)


def make_sale(desk: DeskCampaign, agent: Any = None, lead: Any = None, quantity: int = 2) -> Sale:
    """A sale as the desk records it, with its call put through by the engine."""
    agent = agent or desk.agent
    call = connected_call(desk, agent=agent, lead=lead)
    with acting_as(Actor(staff_id=agent.pk)):
        recorded = desk_services.submit_disposition(
            agent,
            call.call_id,
            status_code="SALE",
            answers=ANSWERS,
            idempotency_key=f"quality-{next(_keys):06d}",
            products=[desk_services.ProductLine(desk.products[0].pk, quantity)],
        )
    return Sale.objects.get(disposition=recorded.disposition)


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The desk's closing tells the engine on commit; no engine runs in these tests."""
    monkeypatch.setattr("dialcrm.desk.services.send_to_engine", lambda command: None)


@pytest.fixture
def desk(org: Any) -> DeskCampaign:
    return make_desk_campaign(org)


@pytest.fixture
def sale(desk: DeskCampaign) -> Sale:
    return make_sale(desk)
