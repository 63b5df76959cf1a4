"""What the dialer records: every dial attempt, every agent state interval, and callbacks.

These tables grow fastest (millions of rows a month): the engine writes them in bulk-friendly
ways, and their indexes serve the engine's recovery and the reports' time ranges.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dialcrm.core.choices import Role
from dialcrm.core.policy import ALL_ROLES, VIEW, Policy, ScopedQuerySet
from dialcrm.dialer.choices import AgentState, AttemptOutcome, PauseReason


class CallAttempt(models.Model):
    """One dial: to which number, for which lead and campaign, put through to which agent, and
    how it went, with the time of each step."""

    call_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="call_attempts"
    )
    lead = models.ForeignKey(
        "campaigns.Lead", on_delete=models.PROTECT, related_name="call_attempts"
    )
    phone = models.ForeignKey(
        "campaigns.Phone",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="call_attempts",
    )
    number = models.CharField(max_length=20)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="call_attempts",
    )
    # A call transferred from one agent to another: `agent` is the one who took it last (and
    # gave it its status), `transferred_from` the one who handed it over.
    transferred_from = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    transferred_at = models.DateTimeField(null=True, blank=True)
    mode = models.CharField(max_length=12)  # the campaign's dial mode at the time
    dialed_at = models.DateTimeField(db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=12, choices=AttemptOutcome.choices, default=AttemptOutcome.IN_PROGRESS
    )
    cause = models.CharField(max_length=20, blank=True)
    cause_code = models.PositiveSmallIntegerField(null=True, blank=True)
    answered_by = models.CharField(max_length=8, blank=True)  # human / machine / unsure (AMD)
    wait_s = models.FloatField(null=True, blank=True)  # answer to agent (or to abandon)
    is_abandoned = models.BooleanField(default=False)
    recording = models.CharField(max_length=300, blank=True)
    status = models.ForeignKey(
        "campaigns.Status", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="campaign__client__company",
        location="campaign__location",
        team="agent__team",
        own="agent",
        roles={VIEW: ALL_ROLES - {Role.BACK_OFFICE}},
    )

    class Meta:
        verbose_name = _("call attempt")
        verbose_name_plural = _("call attempts")
        indexes = [
            models.Index(fields=["campaign", "dialed_at"], name="attempt_campaign_time_idx"),
            models.Index(fields=["agent", "dialed_at"], name="attempt_agent_time_idx"),
            models.Index(fields=["lead", "dialed_at"], name="attempt_lead_time_idx"),
            models.Index(
                fields=["campaign"],
                name="attempt_in_progress_idx",
                condition=models.Q(outcome="in_progress"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} at {self.dialed_at:%Y-%m-%d %H:%M:%S} ({self.outcome})"


class AgentStateInterval(models.Model):
    """A stretch of time an agent spent in one state (the seed's time accounting)."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="state_intervals"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="state_intervals",
    )
    state = models.CharField(max_length=12, choices=AgentState.choices)
    pause_reason = models.CharField(max_length=16, choices=PauseReason.choices, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    attempt = models.ForeignKey(
        CallAttempt, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="agent__company",
        location="agent__location",
        team="agent__team",
        own="agent",
        roles={VIEW: ALL_ROLES - {Role.BACK_OFFICE}},
    )

    class Meta:
        verbose_name = _("agent state interval")
        verbose_name_plural = _("agent state intervals")
        indexes = [
            models.Index(fields=["agent", "started_at"], name="interval_agent_time_idx"),
            models.Index(fields=["campaign", "started_at"], name="interval_campaign_time_idx"),
            models.Index(
                fields=["agent"],
                name="interval_open_idx",
                condition=models.Q(ended_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.state} from {self.started_at:%H:%M:%S}"


class Callback(models.Model):
    """A call promised to a lead at a time in the lead's own time zone, for one agent or anyone."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="callbacks"
    )
    lead = models.ForeignKey("campaigns.Lead", on_delete=models.CASCADE, related_name="callbacks")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callbacks",
    )
    due_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="campaign__client__company",
        location="campaign__location",
        team="agent__team",
        own="agent",
        roles={VIEW: ALL_ROLES - {Role.BACK_OFFICE}},
    )

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        indexes = [
            models.Index(
                fields=["campaign", "due_at"],
                name="callback_due_idx",
                condition=models.Q(done_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"callback {self.lead_id} at {self.due_at:%Y-%m-%d %H:%M}"
