"""API routes of webhooks: subscriptions (the secret returned on creation, shown on request or
replaced), a test-send, the delivery log and sending a failed delivery again.

No `from __future__ import annotations`: Django Ninja reads the route functions' types.
"""

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from dialcrm.core.api import require
from dialcrm.core.policy import ADD, CHANGE, DELETE, VIEW, access
from dialcrm.org.models import Company
from dialcrm.webhooks import services
from dialcrm.webhooks.choices import DeliveryState, Event
from dialcrm.webhooks.models import Delivery, Subscription
from dialcrm.webhooks.targets import MAX_URL_LENGTH

router = Router(tags=["webhooks"])


class SubscriptionIn(Schema):
    company_id: int
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    events: list[str] = Field(min_length=1, max_length=10)
    is_active: bool = True


class SubscriptionOut(Schema):
    id: int
    company_id: int
    name: str
    url: str
    events: list[str]
    is_active: bool
    created_at: datetime.datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str


class SecretOut(Schema):
    secret: str


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    event: str
    event_id: str
    state: str
    attempts: int
    next_attempt_at: datetime.datetime | None
    last_attempt_at: datetime.datetime | None
    response_status: int | None
    duration_ms: int | None
    error: str
    created_at: datetime.datetime

    @staticmethod
    def resolve_event_id(delivery: Delivery) -> str:
        return str(delivery.event_id)


class AttemptOut(Schema):
    number: int
    at: datetime.datetime
    response_status: int | None
    duration_ms: int
    error: str
    response_body: str
    retry_at: datetime.datetime | None


class DeliveryDetailOut(DeliveryOut):
    payload: dict[str, Any]
    tries: list[AttemptOut]

    @staticmethod
    def resolve_tries(delivery: Delivery) -> Any:
        return delivery.tries.all()


def _values(request: HttpRequest, payload: SubscriptionIn) -> dict[str, Any]:
    return {
        **payload.dict(exclude={"company_id"}),
        "company": access(Company, request.user, payload.company_id),
    }


@router.get("/subscriptions", response=list[SubscriptionOut])
@paginate
def list_subscriptions(request: HttpRequest, include_inactive: bool = False) -> Any:
    require(request.user, VIEW, Subscription)
    subscriptions = Subscription.objects.for_user(request.user)
    return subscriptions if include_inactive else subscriptions.filter(is_active=True)


@router.get("/subscriptions/{subscription_id}", response=SubscriptionOut)
def get_subscription(request: HttpRequest, subscription_id: int) -> Any:
    return access(Subscription, request.user, subscription_id, VIEW)


@router.post("/subscriptions", response={201: SubscriptionCreated})
def create_subscription(request: HttpRequest, payload: SubscriptionIn) -> Any:
    """Create a subscription; the answer carries its signing secret."""
    require(request.user, ADD, Subscription)
    return 201, services.save_subscription(request.user, Subscription(), _values(request, payload))


@router.patch("/subscriptions/{subscription_id}", response=SubscriptionOut)
def update_subscription(request: HttpRequest, subscription_id: int, payload: SubscriptionIn) -> Any:
    subscription = access(Subscription, request.user, subscription_id, CHANGE)
    return services.save_subscription(request.user, subscription, _values(request, payload))


@router.delete("/subscriptions/{subscription_id}", response=SubscriptionOut)
def deactivate_subscription(request: HttpRequest, subscription_id: int) -> Any:
    subscription = access(Subscription, request.user, subscription_id, DELETE)
    return services.deactivate_subscription(request.user, subscription)


@router.post("/subscriptions/{subscription_id}/secret", response=SecretOut)
def reveal_secret(request: HttpRequest, subscription_id: int) -> Any:
    """The signing secret (each call is recorded in the audit log)."""
    subscription = access(Subscription, request.user, subscription_id, CHANGE)
    return {"secret": services.reveal_secret(request.user, subscription)}


@router.post("/subscriptions/{subscription_id}/secret/rotate", response=SecretOut)
def rotate_secret(request: HttpRequest, subscription_id: int) -> Any:
    """Replace the signing secret; the old one stops working at once."""
    subscription = access(Subscription, request.user, subscription_id, CHANGE)
    return {"secret": services.rotate_secret(request.user, subscription)}


@router.post("/subscriptions/{subscription_id}/test", response=DeliveryDetailOut)
def send_test(request: HttpRequest, subscription_id: int) -> Any:
    """Post a `webhook.test` event now and answer with the delivery and the receiver's answer."""
    subscription = access(Subscription, request.user, subscription_id, CHANGE)
    return services.send_test(request.user, subscription)


@router.get("/subscriptions/{subscription_id}/deliveries", response=list[DeliveryOut])
@paginate
def list_deliveries(
    request: HttpRequest, subscription_id: int, state: str = "", event: str = ""
) -> Any:
    """The delivery log, newest first; `state` (pending, delivered, failed) and `event` filter."""
    subscription = access(Subscription, request.user, subscription_id, VIEW)
    deliveries = Delivery.objects.for_user(request.user).filter(subscription=subscription)
    if state:
        services.check_choice("state", state, DeliveryState.values)
        deliveries = deliveries.filter(state=state)
    if event:
        services.check_choice("event", event, Event.values)
        deliveries = deliveries.filter(event=event)
    return deliveries.defer("payload")


@router.get("/deliveries/{delivery_id}", response=DeliveryDetailOut)
def get_delivery(request: HttpRequest, delivery_id: int) -> Any:
    return access(Delivery, request.user, delivery_id, VIEW)


@router.post("/deliveries/{delivery_id}/resend", response=DeliveryDetailOut)
def resend(request: HttpRequest, delivery_id: int) -> Any:
    """Post a failed delivery again now (once)."""
    delivery = access(Delivery, request.user, delivery_id, VIEW)
    access(Subscription, request.user, delivery.subscription_id, CHANGE)
    return services.resend(request.user, delivery)
