"""The events a webhook subscription may choose, and where a delivery is."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    CALL_ENDED = "call.ended", _("Call ended")
    SALE_CREATED = "sale.created", _("Sale created")
    SALE_ACCEPTED = "sale.accepted", _("Sale accepted")
    SALE_REJECTED = "sale.rejected", _("Sale rejected")
    CAMPAIGN_STATE_CHANGED = "campaign.state_changed", _("Campaign state changed")
    # Sent by the test-send button only; nobody subscribes to it.
    TEST = "webhook.test", _("Test")


SUBSCRIBABLE_EVENTS = [choice for choice in Event.choices if choice[0] != Event.TEST]


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
