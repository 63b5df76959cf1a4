"""Webhooks: subscriptions (managed by administrators) and `emit`, which writes an event's
deliveries in the caller's transaction, so a change rolled back sends nothing (an outbox). The
worker posts them (`dialcrm.webhooks.delivery`).

Other apps call the event functions at the bottom (`call_ended`, `sale_created`,
`sale_accepted`, `sale_rejected`, `campaign_state_changed`); each returns at once when the company has no subscription to the
event, so the dialer's hot path pays a dictionary look-up. A process keeps each company's
subscriptions for `WEBHOOK_SUBSCRIPTIONS_CACHE_S` seconds (and forgets them when it changes them
itself), so a change made in another process applies within that time.
"""

from __future__ import annotations

import datetime
import json
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dialcrm.core import audit
from dialcrm.core.choices import AuditAction
from dialcrm.core.policy import CHANGE, VIEW, can
from dialcrm.core.services import deactivate_object, save_object
from dialcrm.webhooks.choices import DeliveryState, Event
from dialcrm.webhooks.models import Delivery, Subscription, new_secret

if TYPE_CHECKING:
    from dialcrm.campaigns.models import Campaign
    from dialcrm.desk.models import Sale
    from dialcrm.dialer.models import CallAttempt

PAYLOAD_VERSION = 1

# company id -> (valid until, monotonic clock; ((subscription id, its events), ...))
_subscriptions: dict[int, tuple[float, tuple[tuple[int, frozenset[str]], ...]]] = {}
_subscriptions_lock = threading.Lock()


class PayloadTooLarge(ValueError):
    """An event's payload is larger than WEBHOOK_MAX_PAYLOAD_BYTES."""


def forget_subscriptions() -> None:
    with _subscriptions_lock:
        _subscriptions.clear()


def _subscribed(company_id: int, event: str) -> list[int]:
    """The company's active subscriptions to this event (from memory when fresh)."""
    now = time.monotonic()
    cached = _subscriptions.get(company_id)
    if cached is None or cached[0] <= now:
        rows = tuple(
            (pk, frozenset(events))
            for pk, events in Subscription.objects.filter(
                company_id=company_id, is_active=True
            ).values_list("pk", "events")
        )
        cached = (now + settings.WEBHOOK_SUBSCRIPTIONS_CACHE_S, rows)
        with _subscriptions_lock:
            _subscriptions[company_id] = cached
    return [pk for pk, events in cached[1] if event in events]


def envelope(event: str, company_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """What every delivery carries: the event, its id (the same for every subscription; use it
    to ignore a repeat), the payload version and when it happened."""
    return {
        "id": str(uuid.uuid4()),
        "event": event,
        "version": PAYLOAD_VERSION,
        "occurred_at": timezone.now().isoformat(),
        "company_id": company_id,
        "data": data,
    }


def encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes posted (and signed)."""
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def _checked(payload: dict[str, Any]) -> dict[str, Any]:
    size = len(encode(payload))
    if size > settings.WEBHOOK_MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(
            f"the {payload['event']} payload is {size} bytes; "
            f"WEBHOOK_MAX_PAYLOAD_BYTES is {settings.WEBHOOK_MAX_PAYLOAD_BYTES}"
        )
    # Stored as sent: dates already in ISO text.
    return json.loads(encode(payload))


def emit(company_id: int, event: str, data: dict[str, Any]) -> int:
    """Queue the event for each of the company's active subscriptions to it, in the current
    transaction (one INSERT); how many deliveries were queued."""
    subscription_ids = _subscribed(company_id, event)
    if not subscription_ids:
        return 0
    payload = _checked(envelope(event, company_id, data))
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(
            subscription_id=subscription_id,
            event=event,
            event_id=payload["id"],
            payload=payload,
            next_attempt_at=now,
        )
        for subscription_id in subscription_ids
    )
    return len(subscription_ids)


def check_choice(field: str, value: str, allowed: list[str]) -> None:
    if value not in allowed:
        raise ValidationError(
            {
                field: _("Unknown value '%(value)s': choose among %(allowed)s.")
                % {"value": value, "allowed": ", ".join(allowed)}
            }
        )


# --- subscriptions ---------------------------------------------------------------------------


def save_subscription(
    actor: Any, subscription: Subscription, values: dict[str, Any]
) -> Subscription:
    """Add or change a subscription (address checked, events among those known)."""
    with transaction.atomic():
        saved = save_object(actor, subscription, values)
        transaction.on_commit(forget_subscriptions)
    return saved


def deactivate_subscription(actor: Any, subscription: Subscription) -> Subscription:
    """Stop sending to a subscription; deliveries still queued for it fail when their turn
    comes (they can be sent again by hand once it is active again)."""
    with transaction.atomic():
        deactivate_object(actor, subscription)
        transaction.on_commit(forget_subscriptions)
    return subscription


def reveal_secret(actor: Any, subscription: Subscription) -> str:
    """The signing secret, for an administrator who may change the subscription (audited)."""
    if not can(actor, CHANGE, subscription):
        raise PermissionDenied(_("You may not see this webhook's secret."))
    audit.record(AuditAction.UPDATE, instance=subscription, summary="signing secret revealed")
    return subscription.secret


def rotate_secret(actor: Any, subscription: Subscription) -> str:
    """A new signing secret (the old one stops working at once); returned to be shown once."""
    if not can(actor, CHANGE, subscription):
        raise PermissionDenied(_("You may not change this webhook's secret."))
    with transaction.atomic():
        subscription.secret = new_secret()
        subscription.save()
    return subscription.secret


def send_test(actor: Any, subscription: Subscription) -> Delivery:
    """Post a `webhook.test` event to the subscription now, and return the delivery with the
    receiver's answer (tried once: a test is not retried)."""
    from dialcrm.webhooks.delivery import send_now

    if not can(actor, CHANGE, subscription):
        raise PermissionDenied(_("You may not test this webhook."))
    if not subscription.is_active:
        raise ValidationError(_("This webhook is deactivated: activate it to test it."))
    data = {
        "message": "A test from dialcrm: the signature and this address work.",
        "subscription": {"id": subscription.pk, "name": subscription.name},
        "sent_by": _person(actor),
    }
    payload = _checked(envelope(Event.TEST, subscription.company_id, data))
    with transaction.atomic():
        delivery = Delivery.objects.create(
            subscription=subscription, event=Event.TEST, event_id=payload["id"], payload=payload
        )
        audit.record(AuditAction.UPDATE, instance=subscription, summary="test event sent")
    return send_now(delivery)


def resend(actor: Any, delivery: Delivery) -> Delivery:
    """Post a failed delivery again now (the same event id), once."""
    from dialcrm.webhooks.delivery import send_now

    subscription = delivery.subscription
    if not can(actor, VIEW, delivery) or not can(actor, CHANGE, subscription):
        raise PermissionDenied(_("You may not send this delivery again."))
    if delivery.state != DeliveryState.FAILED:
        raise ValidationError(_("Only a failed delivery can be sent again."))
    if not subscription.is_active:
        raise ValidationError(_("This webhook is deactivated: activate it to send again."))
    audit.record(
        AuditAction.UPDATE, instance=subscription, summary=f"delivery {delivery.pk} sent again"
    )
    return send_now(delivery)


# --- events ------------------------------------------------------------------------------------


def _when(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _person(staff: Any) -> dict[str, Any] | None:
    if staff is None:
        return None
    return {"id": staff.pk, "username": staff.username, "name": str(staff)}


def call_ended(
    company_id: int,
    attempt: CallAttempt,
    campaign_name: str,
    status_code: str | None = None,
) -> int:
    """A call attempt was closed (by the dialer, or by its agent's status)."""
    if not _subscribed(company_id, Event.CALL_ENDED):
        return 0
    data = {
        "call": {
            "id": str(attempt.call_id),
            "campaign": {"id": attempt.campaign_id, "name": campaign_name},
            "lead_id": attempt.lead_id,
            "number": attempt.number,
            "agent_id": attempt.agent_id,
            "mode": attempt.mode,
            "outcome": attempt.outcome,
            "status": status_code,
            "cause": attempt.cause,
            "is_abandoned": attempt.is_abandoned,
            "dialed_at": _when(attempt.dialed_at),
            "answered_at": _when(attempt.answered_at),
            "connected_at": _when(attempt.connected_at),
            "ended_at": _when(attempt.ended_at),
            "wait_s": attempt.wait_s,
        }
    }
    return emit(company_id, Event.CALL_ENDED, data)


def _sale_data(sale: Sale) -> dict[str, Any]:
    campaign = sale.campaign
    return {
        "id": sale.pk,
        "state": sale.state,
        "campaign": {"id": campaign.pk, "name": campaign.name},
        "lead": {"id": sale.lead_id, "external_id": sale.lead.external_id},
        "agent": _person(sale.agent),
        "call_id": str(sale.disposition.attempt.call_id),
        "created_at": _when(sale.created_at),
        "products": [
            {"code": line.product.code, "name": line.product.name, "quantity": line.quantity}
            for line in sale.lines.select_related("product").order_by("product__code")
        ],
    }


def sale_created(sale: Sale) -> int:
    company_id = sale.campaign.client.company_id
    if not _subscribed(company_id, Event.SALE_CREATED):
        return 0
    return emit(company_id, Event.SALE_CREATED, {"sale": _sale_data(sale)})


def sale_accepted(sale: Sale, reviewer: Any) -> int:
    """Quality accepted the sale: it counts toward the campaign's objective."""
    return _sale_reviewed(sale, Event.SALE_ACCEPTED, {"reviewer": _person(reviewer)})


def sale_rejected(sale: Sale, reviewer: Any, reason: str) -> int:
    """Quality returned the sale to its agent, with the reason."""
    return _sale_reviewed(
        sale, Event.SALE_REJECTED, {"reviewer": _person(reviewer), "reason": reason}
    )


def _sale_reviewed(sale: Sale, event: str, review: dict[str, Any]) -> int:
    company_id = sale.campaign.client.company_id
    if not _subscribed(company_id, event):
        return 0
    return emit(company_id, event, {"sale": _sale_data(sale), **review})


def campaign_state_changed(campaign: Campaign, previous_state: str, actor: Any) -> int:
    company_id = campaign.client.company_id
    if not _subscribed(company_id, Event.CAMPAIGN_STATE_CHANGED):
        return 0
    data = {
        "campaign": {
            "id": campaign.pk,
            "name": campaign.name,
            "client": {"id": campaign.client_id, "name": campaign.client.name},
        },
        "previous_state": previous_state,
        "state": campaign.state,
        "reason": campaign.state_reason,
        "stop_code": campaign.stop_code,
        "changed_at": _when(campaign.state_changed_at),
        "changed_by": _person(actor),
    }
    return emit(company_id, Event.CAMPAIGN_STATE_CHANGED, data)
