"""What the agent's desk records: the work sessions agents start, the drafts they type during a
call, the closing of each call (status and work sheet answers), the sales waiting for quality
review, and team leaders' interventions."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dialcrm.campaigns.choices import DialMode
from dialcrm.core.audit import AuditedModel
from dialcrm.core.choices import Role
from dialcrm.core.policy import ALL_ROLES, CHANGE, VIEW, Policy, ScopedQuerySet
from dialcrm.desk.choices import SaleState, SupervisorActionKind

# The longest wrap-up an agent may give themselves after a call, in seconds.
MAX_WRAP_UP_S = 600
SUPERVISORS = frozenset({Role.TEAM_LEADER, Role.LOCATION_MANAGER})
# Who takes calls on the desk: agents, and team leaders (escalations are transferred to them).
DESK_ROLES = frozenset({Role.AGENT, Role.TEAM_LEADER})
QUALITY_REVIEWERS = frozenset({Role.ADMINISTRATOR, Role.MANAGER, Role.QUALITY})
CALL_READERS = ALL_ROLES - {Role.HUMAN_RESOURCES, Role.BACK_OFFICE}


class DeskSession(models.Model):
    """An agent's work on one campaign, from the start-of-work screen to logging out, with the
    mode and parameters they chose. At most one is open per agent."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="desk_sessions"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="desk_sessions"
    )
    mode = models.CharField(_("work mode"), max_length=12, choices=DialMode.choices)
    endpoint = models.CharField(
        _("phone to ring"),
        max_length=100,
        help_text=_("The phone or softphone the calls are put through to, e.g. PJSIP/agent-42."),
    )
    auto_ready = models.BooleanField(_("ready again after each call"), default=True)
    wrap_up_s = models.PositiveSmallIntegerField(
        _("wrap-up time (s)"),
        default=30,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_WRAP_UP_S)],
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    # The desk is for agents and team leaders (who take calls on the campaigns their teams work
    # on, escalations transferred to them included); team leaders also follow their people
    # through the team view.
    policy = Policy(
        company="campaign__client__company",
        location="campaign__location",
        team="agent__team",
        own="agent",
        roles={VIEW: DESK_ROLES},
    )

    class Meta:
        verbose_name = _("desk session")
        verbose_name_plural = _("desk sessions")
        constraints = [
            models.UniqueConstraint(
                "agent", condition=Q(ended_at__isnull=True), name="desk_one_open_session"
            )
        ]
        indexes = [models.Index(fields=["agent", "started_at"], name="desk_session_agent_idx")]

    def __str__(self) -> str:
        return f"{self.agent} on {self.campaign} from {self.started_at:%Y-%m-%d %H:%M}"


class DeskDraft(models.Model):
    """What the agent has typed for a call so far (answers, status, products, callback, note),
    saved while typing so that a reload or a lost network loses nothing. Deleted when the call
    gets its status."""

    attempt = models.OneToOneField(
        "dialer.CallAttempt", on_delete=models.CASCADE, related_name="desk_draft"
    )
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("desk draft")
        verbose_name_plural = _("desk drafts")

    def __str__(self) -> str:
        return f"draft of {self.agent} for call {self.attempt_id}"


class Disposition(models.Model):
    """The closing of a call by its agent: the status, the work sheet's answers on the version
    the agent saw, a note, and the callback asked for. One per call."""

    attempt = models.OneToOneField(
        "dialer.CallAttempt", on_delete=models.PROTECT, related_name="disposition"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dispositions"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="dispositions"
    )
    lead = models.ForeignKey("campaigns.Lead", on_delete=models.PROTECT, related_name="+")
    status = models.ForeignKey("campaigns.Status", on_delete=models.PROTECT, related_name="+")
    sheet_version = models.ForeignKey(
        "campaigns.WorkSheetVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answers = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)
    callback_at = models.DateTimeField(null=True, blank=True)
    callback_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The browser's key for this submission: a retry with the same key records nothing new.
    idempotency_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="campaign__client__company",
        location="campaign__location",
        team="agent__team",
        own="agent",
        roles={VIEW: CALL_READERS},
    )

    class Meta:
        verbose_name = _("call closing")
        verbose_name_plural = _("call closings")
        constraints = [
            models.UniqueConstraint(
                "agent", "idempotency_key", name="disposition_idempotency_unique"
            )
        ]
        indexes = [
            models.Index(fields=["agent", "created_at"], name="disposition_agent_time_idx"),
            models.Index(fields=["lead", "created_at"], name="disposition_lead_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.status_id} for call {self.attempt_id}"


class Sale(AuditedModel):
    """A sale made on a call: products and quantities, waiting for quality review."""

    disposition = models.OneToOneField(Disposition, on_delete=models.PROTECT, related_name="sale")
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        related_name="sales",
        verbose_name=_("campaign"),
    )
    lead = models.ForeignKey(
        "campaigns.Lead", on_delete=models.PROTECT, related_name="sales", verbose_name=_("lead")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sales",
        verbose_name=_("agent"),
    )
    state = models.CharField(
        _("review"), max_length=12, choices=SaleState.choices, default=SaleState.PENDING
    )
    created_at = models.DateTimeField(_("sold at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="campaign__client__company",
        location="campaign__location",
        team="agent__team",
        own="agent",
        roles={VIEW: CALL_READERS, CHANGE: QUALITY_REVIEWERS},
    )

    class Meta:
        verbose_name = _("sale")
        verbose_name_plural = _("sales")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "created_at"], name="sale_review_queue_idx"),
            models.Index(fields=["agent", "created_at"], name="sale_agent_time_idx"),
            # The review queue (oldest first) reads only the sales waiting for a decision, a
            # small share of them all; the objective counts each campaign's accepted sales.
            models.Index(
                fields=["created_at"],
                name="sale_waiting_idx",
                condition=Q(state__in=["pending", "resubmitted"]),
            ),
            models.Index(fields=["campaign", "state"], name="sale_campaign_state_idx"),
        ]

    def __str__(self) -> str:
        return f"sale #{self.pk} by {self.agent}"

    @property
    def audit_company_id(self) -> int:
        return self.campaign.client.company_id

    @property
    def summary(self) -> str:
        return ", ".join(f"{line.quantity} × {line.product.name}" for line in self.lines.all())


class SaleLine(models.Model):
    """One product of a sale, with its quantity."""

    sale = models.ForeignKey(Sale, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("sale line")
        verbose_name_plural = _("sale lines")
        constraints = [models.UniqueConstraint("sale", "product", name="sale_line_unique")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"


class SupervisorAction(models.Model):
    """A team leader paused or logged out one of their agents from the team view."""

    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervisor_actions"
    )
    kind = models.CharField(max_length=8, choices=SupervisorActionKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="agent__company",
        location="agent__location",
        team="agent__team",
        roles={VIEW: SUPERVISORS},
    )

    class Meta:
        verbose_name = _("team leader's action")
        verbose_name_plural = _("team leaders' actions")
        indexes = [models.Index(fields=["agent", "created_at"], name="supervisor_action_idx")]

    def __str__(self) -> str:
        return f"{self.supervisor} {self.kind} {self.agent}"
