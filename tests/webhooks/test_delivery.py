"""The outbox and the worker's deliveries: signatures a receiver can check, retries with
backoff against a real receiver, giving up, timeouts, refusing internal addresses, and nothing
sent for a change rolled back."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json

import pytest
from django.db import transaction
from django.utils import timezone

from dialcrm.core.worker import run_pending_jobs
from dialcrm.webhooks import services
from dialcrm.webhooks.choices import DeliveryState, Event
from dialcrm.webhooks.delivery import deliver_due
from dialcrm.webhooks.models import Delivery, DeliveryAttempt
from tests.webhooks.conftest import subscribe

pytestmark = pytest.mark.django_db

DATA = {"campaign": {"id": 7, "name": "Energia"}, "state": "running"}


def later(seconds: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=seconds)


def test_a_delivery_is_signed_over_timestamp_and_body(org, subscription, receiver):
    services.emit(org.company.pk, Event.CAMPAIGN_STATE_CHANGED, DATA)

    assert deliver_due(later(1)) == 1

    (request,) = receiver.received
    timestamp = request.headers["X-Dialcrm-Timestamp"]
    # The recipe of docs/webhooks.md, written out independently of the product's code.
    expected = hmac.new(
        subscription.secret.encode("utf-8"),
        timestamp.encode("ascii") + b"." + request.body,
        hashlib.sha256,
    ).hexdigest()
    assert hmac.compare_digest(request.headers["X-Dialcrm-Signature"], f"v1={expected}")
    assert abs(int(timestamp) - timezone.now().timestamp()) < 60
    body = json.loads(request.body)
    assert body["event"] == "campaign.state_changed"
    assert body["version"] == 1
    assert body["company_id"] == org.company.pk
    assert body["data"] == DATA
    assert request.headers["X-Dialcrm-Event"] == "campaign.state_changed"
    assert request.headers["X-Dialcrm-Event-Id"] == body["id"]
    assert request.headers["Content-Type"] == "application/json"
    assert request.path == "/hooks/dialcrm"
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.response_status) == ("delivered", 1, 200)
    assert delivery.next_attempt_at is None
    assert delivery.duration_ms is not None


def test_a_signature_with_another_secret_does_not_match(org, subscription, receiver):
    services.emit(org.company.pk, Event.CAMPAIGN_STATE_CHANGED, DATA)
    deliver_due(later(1))

    (request,) = receiver.received
    forged = hmac.new(
        b"whsec_someone-else",
        request.headers["X-Dialcrm-Timestamp"].encode() + b"." + request.body,
        hashlib.sha256,
    ).hexdigest()
    assert request.headers["X-Dialcrm-Signature"] != f"v1={forged}"


def test_a_failing_receiver_is_retried_with_growing_waits_until_it_answers(
    org, subscription, receiver, settings
):
    settings.WEBHOOK_RETRY_BASE_S = 60
    receiver.statuses = [500, 503]
    services.emit(org.company.pk, Event.CAMPAIGN_STATE_CHANGED, DATA)
    start = later(1)

    assert deliver_due(start) == 1
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
    assert delivery.error == "The receiver answered 500."
    first_wait = (delivery.next_attempt_at - start).total_seconds()
    assert 30 <= first_wait <= 60  # base x 1, in its upper half

    assert deliver_due(delivery.next_attempt_at - datetime.timedelta(seconds=1)) == 0  # not yet
    second = delivery.next_attempt_at
    assert deliver_due(second) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.response_status) == ("pending", 2, 503)
    second_wait = (delivery.next_attempt_at - second).total_seconds()
    assert 60 <= second_wait <= 120  # base x 2

    assert deliver_due(delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.response_status) == ("delivered", 3, 200)
    assert delivery.error == ""
    tries = list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [(t.number, t.response_status) for t in tries] == [(1, 500), (2, 503), (3, 200)]
    assert [t.retry_at is not None for t in tries] == [True, True, False]
    assert (tries[0].retry_at - tries[0].at).total_seconds() == pytest.approx(first_wait)
    assert tries[0].response_body == "not now"
    # The same event each time, signed afresh.
    assert len({json.loads(r.body)["id"] for r in receiver.received}) == 1
    assert len(receiver.received) == 3


def test_after_the_last_attempt_the_delivery_fails_and_can_be_sent_again(
    org, subscription, receiver, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.statuses = [500, 500]
    services.emit(org.company.pk, Event.CAMPAIGN_STATE_CHANGED, DATA)
    deliver_due(later(1))
    deliver_due(later(3600))

    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("failed", 2, None)
    assert deliver_due(later(7200)) == 0

    services.resend(org["administrator"], delivery)

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.response_status) == ("delivered", 3, 200)
    assert len(receiver.received) == 3


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(
    org, subscription, receiver, settings
):
    settings.WEBHOOK_TIMEOUT_S = 1
    receiver.delay_s = 1.5
    services.emit(org.company.pk, Event.CAMPAIGN_STATE_CHANGED, DATA)

    deliver_due(later(1))

    delivery = Delivery.objects.get()
    assert delivery.state == "pending"
    assert delivery.response_status is None
    assert delivery.error == "No answer within 1 s."
    assert 1000 <= delivery.duration_ms < 1500


def test_a_refused_connection_is_recorded(org, receiver):
    subscribe(org.company, "http://127.0.0.1:9/closed", [Event.CAMPAIGN_STATE_CHANGED])
    services.emit(org.company.pk, Event.CAMPAIGN_STATE_CHANGED, DATA)

    deliver_due(later(1))

    delivery = Delivery.objects.get()
    assert delivery.state == "pending"
    assert delivery.error.startswith("Could not post:")


def test_internal_addresses_are_refused_when_sending_unless_allowed(
    org, subscription, receiver, settings
):
    settings.WEBHOOK_ALLOWED_NETWORKS = []  # e.g. a name re-pointed to 127.0.0.1 after saving
    services.emit(org.company.pk, Event.CAMPAIGN_STATE_CHANGED, DATA)

    deliver_due(later(1))

    delivery = Delivery.objects.get()
    assert delivery.state == "pending"
    assert "127.0.0.1 is an internal address" in delivery.error
    assert "WEBHOOK_ALLOWED_NETWORKS" in delivery.error
    assert receiver.received == []


def test_a_rolled_back_change_sends_nothing(org, subscription, receiver):
    with pytest.raises(RuntimeError), transaction.atomic():
        assert services.emit(org.company.pk, Event.CAMPAIGN_STATE_CHANGED, DATA) == 1
        raise RuntimeError("the change failed")

    assert Delivery.objects.count() == 0
    assert deliver_due(later(1)) == 0
    assert receiver.received == []


def test_only_active_subscriptions_to_the_event_of_the_company_receive_it(org, receiver):
    wanted = subscribe(org.company, receiver.url, [Event.CAMPAIGN_STATE_CHANGED], "A")
    subscribe(org.company, receiver.url, [Event.SALE_CREATED], "Other event")
    off = subscribe(org.company, receiver.url, [Event.CAMPAIGN_STATE_CHANGED], "Off")
    off.is_active = False
    off.save()
    subscribe(org.other_company, receiver.url, [Event.CAMPAIGN_STATE_CHANGED], "Other company")
    services.forget_subscriptions()

    assert services.emit(org.company.pk, Event.CAMPAIGN_STATE_CHANGED, DATA) == 1

    assert list(Delivery.objects.values_list("subscription", flat=True)) == [wanted.pk]


def test_a_company_without_subscriptions_costs_no_query_once_looked_up(
    org, django_assert_num_queries
):
    assert services.emit(org.company.pk, Event.CALL_ENDED, DATA) == 0
    with django_assert_num_queries(0):
        for _ in range(100):
            assert services.emit(org.company.pk, Event.CALL_ENDED, DATA) == 0


def test_matching_subscriptions_are_written_in_one_insert(org, receiver, django_assert_num_queries):
    for name in ("A", "B", "C"):
        subscribe(org.company, receiver.url, [Event.CALL_ENDED], name)
    services.emit(org.company.pk, Event.CALL_ENDED, DATA)  # the look-up, cached

    with django_assert_num_queries(1):
        assert services.emit(org.company.pk, Event.CALL_ENDED, DATA) == 3


def test_a_payload_above_the_limit_is_refused(org, subscription, settings):
    settings.WEBHOOK_MAX_PAYLOAD_BYTES = 1024

    with pytest.raises(services.PayloadTooLarge, match="WEBHOOK_MAX_PAYLOAD_BYTES is 1024"):
        services.emit(org.company.pk, Event.CALL_ENDED, {"note": "x" * 2000})

    assert Delivery.objects.count() == 0


def test_deliveries_of_a_deactivated_webhook_fail_without_being_sent(org, subscription, receiver):
    services.emit(org.company.pk, Event.CAMPAIGN_STATE_CHANGED, DATA)
    services.deactivate_subscription(org["administrator"], subscription)

    deliver_due(later(1))

    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.error) == ("failed", "Not sent: the webhook is deactivated.")
    assert receiver.received == []


def test_the_worker_sends_due_deliveries(org, subscription, receiver):
    services.emit(org.company.pk, Event.CAMPAIGN_STATE_CHANGED, DATA)
    services.emit(org.company.pk, Event.CAMPAIGN_STATE_CHANGED, DATA)

    assert run_pending_jobs() == 2

    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}
    assert len(receiver.received) == 2


def test_a_delivery_taken_by_one_worker_is_not_due_for_another(org, subscription, receiver):
    from dialcrm.core.worker import claim_due

    services.emit(org.company.pk, Event.CAMPAIGN_STATE_CHANGED, DATA)
    now = later(1)
    pending = Delivery.objects.filter(state="pending")

    taken = claim_due(pending, "next_attempt_at", now, lease=datetime.timedelta(minutes=1), limit=5)

    assert len(taken) == 1
    assert (
        claim_due(pending, "next_attempt_at", now, lease=datetime.timedelta(minutes=1), limit=5)
        == []
    )
    assert Delivery.objects.get().next_attempt_at == now + datetime.timedelta(minutes=1)


def test_the_log_forgets_finished_deliveries_after_its_days(org, subscription, receiver, settings):
    from dialcrm.webhooks.delivery import prune_log

    settings.WEBHOOK_LOG_DAYS = 30
    for _ in range(3):
        services.emit(org.company.pk, Event.CAMPAIGN_STATE_CHANGED, DATA)
    deliver_due(later(1))
    receiver.statuses = [500]
    services.emit(org.company.pk, Event.CAMPAIGN_STATE_CHANGED, DATA)  # retried: kept
    deliver_due(later(2))
    recent = services.emit(org.company.pk, Event.CALL_ENDED, DATA)  # done, but recent
    deliver_due(later(3))
    old = timezone.now() - datetime.timedelta(days=31)
    Delivery.objects.exclude(event=Event.CALL_ENDED).update(created_at=old)

    assert prune_log(timezone.now()) == 3
    assert prune_log(timezone.now()) == 0

    assert sorted(Delivery.objects.values_list("event", "state")) == [
        ("call.ended", "delivered"),
        ("campaign.state_changed", "pending"),
    ]
    assert recent == 1
    assert DeliveryAttempt.objects.count() == 2
