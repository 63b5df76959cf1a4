"""What each event sends, from the place where it happens: a call closed by the dialer or by
its agent, a sale recorded on the desk, accepted or returned by quality, and a campaign's state
changed; nothing when the change is refused."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from dialcrm.campaigns import services as campaign_services
from dialcrm.core.choices import Role
from dialcrm.dialer import store
from dialcrm.dialer.core.outcomes import CallOutcome
from dialcrm.quality import services as quality
from dialcrm.webhooks.models import Delivery
from tests.desk.conftest import connected_call, make_desk_campaign
from tests.quality.conftest import make_sale
from tests.webhooks.conftest import subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dialcrm.desk.services.send_to_engine", lambda command: None)


@pytest.fixture
def desk(org: Any) -> Any:
    return make_desk_campaign(org)


def sent(event: str) -> list[dict[str, Any]]:
    return [delivery.payload for delivery in Delivery.objects.filter(event=event).order_by("pk")]


def test_a_call_closed_by_the_dialer_is_sent(org, desk, receiver):
    subscribe(org.company, receiver.url, ["call.ended"])
    call = connected_call(desk)
    settings = store.load_campaign(desk.campaign.pk)

    store.finish_attempt(
        settings, str(call.call_id), CallOutcome.ABANDONED, time.time(), wait_s=2.5
    )

    (payload,) = sent("call.ended")
    assert payload["event"] == "call.ended"
    assert payload["version"] == 1
    data = payload["data"]["call"]
    assert data["id"] == str(call.call_id)
    assert data["campaign"] == {"id": desk.campaign.pk, "name": desk.campaign.name}
    assert (data["outcome"], data["status"], data["is_abandoned"]) == ("abandoned", None, True)
    assert (data["lead_id"], data["number"], data["wait_s"]) == (call.lead_id, call.number, 2.5)
    assert data["ended_at"] is not None


def test_a_call_closed_with_its_agent_s_status_is_sent_with_the_status(org, desk, receiver):
    subscribe(org.company, receiver.url, ["call.ended"])
    call = connected_call(desk)

    store.record_disposition(
        store.load_campaign(desk.campaign.pk), str(call.call_id), "NI", time.time()
    )

    (payload,) = sent("call.ended")
    assert payload["data"]["call"]["status"] == "NI"
    assert payload["data"]["call"]["agent_id"] == desk.agent.pk


def test_calls_of_a_company_without_subscriptions_send_nothing(org, desk, receiver):
    subscribe(org.other_company, receiver.url, ["call.ended"])
    call = connected_call(desk)

    store.finish_attempt(
        store.load_campaign(desk.campaign.pk), str(call.call_id), CallOutcome.BUSY, time.time()
    )

    assert not Delivery.objects.exists()


def test_a_sale_recorded_on_the_desk_is_sent_with_its_products(org, desk, receiver):
    subscribe(org.company, receiver.url, ["sale.created"])

    sale = make_sale(desk, quantity=3)

    (payload,) = sent("sale.created")
    data = payload["data"]["sale"]
    assert (data["id"], data["state"]) == (sale.pk, "pending")
    assert data["products"] == [{"code": "PLUS", "name": "Energy Plus", "quantity": 3}]
    assert data["agent"]["username"] == desk.agent.username
    assert data["lead"]["id"] == sale.lead_id
    assert data["call_id"] == str(sale.disposition.attempt.call_id)


def test_quality_s_decisions_are_sent(org, desk, receiver):
    subscribe(org.company, receiver.url, ["sale.accepted", "sale.rejected"])
    reviewer = org[Role.QUALITY]
    returned = make_sale(desk)
    accepted = make_sale(desk, lead=desk.leads[1])

    quality.reject_sale(reviewer, returned.pk, "The plan is missing from the contract.")
    quality.accept_sale(reviewer, accepted.pk)

    (rejection,) = sent("sale.rejected")
    assert rejection["data"]["sale"]["id"] == returned.pk
    assert rejection["data"]["sale"]["state"] == "rejected"
    assert rejection["data"]["reason"] == "The plan is missing from the contract."
    assert rejection["data"]["reviewer"]["id"] == reviewer.pk
    (acceptance,) = sent("sale.accepted")
    assert acceptance["data"]["sale"]["state"] == "accepted"
    assert "reason" not in acceptance["data"]


def test_a_refused_decision_sends_nothing(org, desk, receiver):
    subscribe(org.company, receiver.url, ["sale.accepted"])
    sale = make_sale(desk)
    quality.accept_sale(org[Role.QUALITY], sale.pk)

    with pytest.raises(quality.Refused):
        quality.accept_sale(org[Role.QUALITY], sale.pk)  # accepted already

    assert len(sent("sale.accepted")) == 1


def test_a_campaign_s_state_change_is_sent_and_a_refused_one_is_not(org, desk, receiver):
    subscribe(org.company, receiver.url, ["campaign.state_changed"])
    admin = org[Role.ADMINISTRATOR]

    campaign_services.change_campaign_state(admin, desk.campaign, "pause", "Lunch")
    with pytest.raises(ValidationError):
        campaign_services.change_campaign_state(admin, desk.campaign, "pause")

    (payload,) = sent("campaign.state_changed")
    data = payload["data"]
    assert (data["previous_state"], data["state"], data["reason"]) == ("running", "paused", "Lunch")
    assert data["campaign"]["client"]["name"] == "Energia SA"
    assert data["changed_by"]["id"] == admin.pk


def test_a_campaign_the_dialer_stops_is_sent_with_its_reason_code(org, desk, receiver):
    from dialcrm.campaigns.choices import StopReason

    subscribe(org.company, receiver.url, ["campaign.state_changed"])

    assert campaign_services.system_stop(desk.campaign.pk, StopReason.OBJECTIVE_REACHED)

    (payload,) = sent("campaign.state_changed")
    data = payload["data"]
    assert (data["previous_state"], data["state"]) == ("running", "completed")
    assert (data["stop_code"], data["reason"]) == ("objective_reached", "Objective reached")
    assert data["changed_by"] is None
