"""Webhook subscriptions of a company and the deliveries of events to them (an outbox)."""

from __future__ import annotations

import secrets
import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dialcrm.core.audit import AuditedModel
from dialcrm.core.choices import Role
from dialcrm.core.constraints import unique_name
from dialcrm.core.policy import ADD, CHANGE, DELETE, VIEW, Policy, ScopedQuerySet
from dialcrm.webhooks.choices import SUBSCRIBABLE_EVENTS, DeliveryState, Event
from dialcrm.webhooks.targets import MAX_URL_LENGTH, validate_url

# Subscriptions send the company's calls and sales (names, phone numbers) to another system:
# the people who issue API tokens decide that, and see what was sent.
WEBHOOK_ADMINS = frozenset({Role.ADMINISTRATOR})
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class Subscription(AuditedModel):
    """An address of another system that receives the company's chosen events, signed with a
    secret it shares with dialcrm."""

    company = models.ForeignKey(
        "org.Company",
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
        verbose_name=_("company"),
    )
    name = models.CharField(_("name"), max_length=100)
    url = models.CharField(
        _("address"),
        max_length=MAX_URL_LENGTH,
        help_text=_("The https:// (or http://) address events are posted to."),
    )
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="company", roles=dict.fromkeys((VIEW, ADD, CHANGE, DELETE), WEBHOOK_ADMINS)
    )
    audit_secret = ("secret",)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name"]
        constraints = [
            unique_name(
                "company",
                name="webhook_subscription_name_unique_ci",
                message=_("A webhook with this name exists already."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        try:
            validate_url(self.url)
        except ValidationError as error:
            errors["url"] = error.messages
        known = {code for code, _label in SUBSCRIBABLE_EVENTS}
        if not isinstance(self.events, list) or not self.events:
            errors["events"] = [_("Choose at least one event.")]
        elif unknown := [str(event) for event in self.events if event not in known]:
            errors["events"] = [
                _("Unknown event(s): %(events)s. Choose among: %(known)s.")
                % {"events": ", ".join(unknown), "known": ", ".join(sorted(known))}
            ]
        else:
            self.events = sorted(set(self.events))
        if errors:
            raise ValidationError(errors)

    @property
    def event_labels(self) -> str:
        labels = dict(Event.choices)
        return ", ".join(str(labels.get(event, event)) for event in self.events)


class Delivery(models.Model):
    """One event for one subscription: written in the transaction of the change it tells of,
    posted by the worker, retried with backoff until delivered or failed."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    payload = models.JSONField(_("payload"))
    state = models.CharField(
        _("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(company="subscription__company", roles={VIEW: WEBHOOK_ADMINS})

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="webhook_delivery_due_idx",
            ),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"


class DeliveryAttempt(models.Model):
    """One POST of a delivery: what the receiver answered, and when the next try was set."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("when"))
    response_status = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    error = models.CharField(_("error"), max_length=500, blank=True)
    response_body = models.CharField(_("response"), max_length=1000, blank=True)
    retry_at = models.DateTimeField(_("retry at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(company="delivery__subscription__company", roles={VIEW: WEBHOOK_ADMINS})

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery} attempt {self.number}"
