"""What quality review records around a sale (`desk.Sale`): each step of its review (the
confirmation calls, the decisions, the agent's resubmissions), every correction of what the agent
captured, and the scorecards: weighted criteria per campaign and a score per reviewed call."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dialcrm.core.audit import AuditedModel
from dialcrm.core.choices import Role
from dialcrm.core.policy import ADD, CHANGE, DELETE, VIEW, Policy, ScopedQuerySet
from dialcrm.desk.models import CALL_READERS, QUALITY_REVIEWERS
from dialcrm.quality.choices import ConfirmationOutcome, ReviewStepKind

MAX_WEIGHT = 100
MAX_POINTS = 10
# Those who follow quality without reviewing: scorecards and averages of their location or team.
QUALITY_READERS = QUALITY_REVIEWERS | {Role.LOCATION_MANAGER, Role.TEAM_LEADER}


def _sale_policy(**roles: frozenset[str]) -> Policy:
    """A record about a sale is seen by those who see the sale."""
    return Policy(
        company="sale__campaign__client__company",
        location="sale__campaign__location",
        team="sale__agent__team",
        own="sale__agent",
        roles={VIEW: CALL_READERS, **roles},
    )


class SaleRecord(AuditedModel):
    """Something recorded about a sale by a person, at a time."""

    sale = models.ForeignKey("desk.Sale", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = _sale_policy()

    class Meta:
        abstract = True

    @property
    def audit_company_id(self) -> int:
        return self.sale.campaign.client.company_id


class ReviewStep(SaleRecord):
    """A step of a sale's review: a confirmation call to the beneficiary, an acceptance, a
    return to the agent with the reason, the agent's resubmission, a cancellation."""

    kind = models.CharField(_("step"), max_length=16, choices=ReviewStepKind.choices)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    outcome = models.CharField(
        _("outcome of the call"), max_length=16, choices=ConfirmationOutcome.choices, blank=True
    )
    note = models.TextField(_("reason or note"), blank=True)

    class Meta:
        verbose_name = _("review step")
        verbose_name_plural = _("review steps")
        indexes = [models.Index(fields=["sale", "created_at"], name="review_step_sale_idx")]

    def __str__(self) -> str:
        return f"{self.kind} of sale #{self.sale_id}"


class SaleCorrection(SaleRecord):
    """One change to what the agent captured (a work sheet answer or a product's quantity),
    by a reviewer or by the agent fixing a returned sale: the value before and after."""

    field = models.CharField(_("field"), max_length=120)  # answers.<key> or product.<code>
    label = models.CharField(_("what"), max_length=200)
    old_value = models.JSONField(_("before"), null=True, blank=True)
    new_value = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        verbose_name = _("sale correction")
        verbose_name_plural = _("sale corrections")
        indexes = [models.Index(fields=["sale", "created_at"], name="sale_correction_sale_idx")]

    def __str__(self) -> str:
        return f"{self.label} of sale #{self.sale_id}"


class ScoreCriterion(AuditedModel):
    """A criterion a reviewed call is scored on (0 to 10), with its weight in the campaign's
    scorecard."""

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        related_name="score_criteria",
        verbose_name=_("campaign"),
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("what the reviewer looks for"), blank=True)
    weight = models.PositiveSmallIntegerField(
        _("weight"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WEIGHT)],
        help_text=_("1 to 100: how much the criterion counts in the call's score."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="campaign__client__company",
        location="campaign__location",
        roles={
            VIEW: QUALITY_READERS,
            ADD: QUALITY_REVIEWERS,
            CHANGE: QUALITY_REVIEWERS,
            DELETE: QUALITY_REVIEWERS,
        },
    )

    class Meta:
        verbose_name = _("scorecard criterion")
        verbose_name_plural = _("scorecard criteria")
        ordering = ["campaign", "position", "name"]
        constraints = [
            models.UniqueConstraint("campaign", "name", name="score_criterion_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_company_id(self) -> int:
        return self.campaign.client.company_id


class CallScore(AuditedModel):
    """The score of a reviewed call: the points of each criterion (as the scorecard stood when
    scored) and their weighted total as a percentage."""

    sale = models.OneToOneField("desk.Sale", on_delete=models.PROTECT, related_name="score")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # [{"criterion_id", "name", "weight", "points"}], in the scorecard's order.
    points = models.JSONField(default=list)
    total = models.DecimalField(_("score (%)"), max_digits=5, decimal_places=2)
    comment = models.TextField(_("comment"), blank=True)
    scored_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    policy = _sale_policy(**{ADD: QUALITY_REVIEWERS, CHANGE: QUALITY_REVIEWERS})

    class Meta:
        verbose_name = _("call score")
        verbose_name_plural = _("call scores")

    def __str__(self) -> str:
        return f"{self.total}% for sale #{self.sale_id}"

    @property
    def audit_company_id(self) -> int:
        return self.sale.campaign.client.company_id
