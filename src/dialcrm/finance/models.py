"""Management finance: what an hour of each role costs, and the financial plan of a campaign's
period (target hours and units per product), set before the period starts."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dialcrm.catalog.models import CURRENCIES
from dialcrm.core.audit import AuditedModel
from dialcrm.core.choices import AgentLevel, Role
from dialcrm.core.periods import first_overlap
from dialcrm.core.policy import ADD, CHANGE, DELETE, VIEW, Policy, ScopedQuerySet
from dialcrm.finance.choices import FINANCE_EDITORS, FINANCE_READERS


def local_today(time_zone: str) -> datetime.date:
    """Today's date at a location."""
    return timezone.localdate(timezone=ZoneInfo(time_zone))


class HourlyCost(AuditedModel):
    """What one hour of a person in a role (and, for agents, a level) costs the company, in one
    currency, for a period of days."""

    company = models.ForeignKey(
        "org.Company",
        on_delete=models.PROTECT,
        related_name="hourly_costs",
        verbose_name=_("company"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    level = models.CharField(
        _("agent level"),
        max_length=16,
        choices=AgentLevel.choices,
        blank=True,
        help_text=_("Agents only: senior or trainee."),
    )
    amount = models.DecimalField(
        _("cost per hour"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="RON")
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="company",
        roles={VIEW: FINANCE_READERS, **dict.fromkeys((ADD, CHANGE, DELETE), FINANCE_EDITORS)},
    )

    class Meta:
        verbose_name = _("hourly cost")
        verbose_name_plural = _("hourly costs")
        ordering = ["role", "level", "-valid_from"]
        indexes = [models.Index(fields=["company", "role", "level", "valid_from"])]

    def __str__(self) -> str:
        who = self.get_role_display()
        if self.level:
            who = f"{who} ({self.get_level_display()})"
        return f"{who}: {self.amount} {self.currency} from {self.valid_from}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.role == Role.AGENT and not self.level:
            errors["level"] = _("Say whether this cost is for senior or trainee agents.")
        if self.role != Role.AGENT and self.level:
            errors["level"] = _("Only agents have a level: leave it empty for this role.")
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The end is before the start.")
        if errors:
            raise ValidationError(errors)
        if not self.company_id or not self.valid_from:
            return
        clash = first_overlap(
            HourlyCost.objects.filter(
                company_id=self.company_id,
                role=self.role,
                level=self.level,
                currency=self.currency,
            ).exclude(pk=self.pk),
            self.valid_from,
            self.valid_until,
        )
        if clash is not None:
            raise ValidationError(
                {
                    "valid_from": _(
                        "This period overlaps the cost valid from %(start)s; end that one first."
                    )
                    % {"start": clash.valid_from}
                }
            )


class FinancialPlan(AuditedModel):
    """What management plans for a campaign over a period: the hours to work and the units of
    each product to sell (see `PlanTarget`), in the currency the plan is followed in."""

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        related_name="financial_plans",
        verbose_name=_("campaign"),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    target_hours = models.DecimalField(
        _("target hours"),
        max_digits=9,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="campaign__client__company",
        location="campaign__location",
        roles={VIEW: FINANCE_READERS, **dict.fromkeys((ADD, CHANGE, DELETE), FINANCE_EDITORS)},
    )

    class Meta:
        verbose_name = _("financial plan")
        verbose_name_plural = _("financial plans")
        ordering = ["-starts_on"]
        indexes = [models.Index(fields=["campaign", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.starts_on} – {self.ends_on}"

    @property
    def audit_company_id(self) -> int:
        return self.campaign.client.company_id

    def today(self) -> datetime.date:
        return local_today(self.campaign.location.time_zone)

    def has_begun(self) -> bool:
        return self.starts_on <= self.today()

    def clean(self) -> None:
        if not self.campaign_id or not self.starts_on or not self.ends_on:
            return
        if self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The period ends before it starts.")})
        today = self.today()
        if self.pk is not None:
            stored = FinancialPlan.objects.get(pk=self.pk)
            if stored.starts_on <= today:
                raise ValidationError(
                    _(
                        "This plan's period began on %(start)s: a plan is fixed once its period "
                        "starts. Plan the next period instead."
                    )
                    % {"start": stored.starts_on}
                )
        if self.starts_on <= today:
            raise ValidationError(
                {
                    "starts_on": _(
                        "A plan is set before its period starts: choose a start after today "
                        "(%(today)s)."
                    )
                    % {"today": today}
                }
            )
        campaign = self.campaign
        if campaign.starts_on and self.starts_on < campaign.starts_on:
            raise ValidationError(
                {
                    "starts_on": _(
                        "The campaign starts on %(start)s; the plan cannot start earlier."
                    )
                    % {"start": campaign.starts_on}
                }
            )
        if campaign.ends_on and self.ends_on > campaign.ends_on:
            raise ValidationError(
                {
                    "ends_on": _("The campaign ends on %(end)s; the plan cannot end later.")
                    % {"end": campaign.ends_on}
                }
            )
        clash = first_overlap(
            FinancialPlan.objects.filter(campaign_id=self.campaign_id).exclude(pk=self.pk),
            self.starts_on,
            self.ends_on,
            start_field="starts_on",
            end_field="ends_on",
        )
        if clash is not None:
            raise ValidationError(
                {
                    "starts_on": _(
                        "This period overlaps the plan from %(start)s to %(end)s of this campaign."
                    )
                    % {"start": clash.starts_on, "end": clash.ends_on}
                }
            )


class PlanTarget(AuditedModel):
    """How many units of one product a financial plan aims to sell."""

    plan = models.ForeignKey(
        FinancialPlan, on_delete=models.CASCADE, related_name="targets", verbose_name=_("plan")
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    units = models.PositiveIntegerField(_("target units"), validators=[MinValueValidator(1)])

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="plan__campaign__client__company",
        location="plan__campaign__location",
        roles={VIEW: FINANCE_READERS, **dict.fromkeys((ADD, CHANGE, DELETE), FINANCE_EDITORS)},
    )

    class Meta:
        verbose_name = _("plan target")
        verbose_name_plural = _("plan targets")
        constraints = [
            models.UniqueConstraint(
                "plan",
                "product",
                name="plan_target_unique",
                violation_error_message=_("The plan has a target for this product already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.units} × {self.product}"

    @property
    def audit_company_id(self) -> int:
        return self.plan.campaign.client.company_id

    def clean(self) -> None:
        if not self.plan_id or not self.product_id:
            return
        plan = self.plan
        if plan.has_begun():
            raise ValidationError(
                _("This plan's period began on %(start)s: its targets are fixed once it starts.")
                % {"start": plan.starts_on}
            )
        if not plan.campaign.products.filter(pk=self.product_id).exists():
            raise ValidationError(
                {
                    "product": _(
                        "%(product)s is not sold in %(campaign)s: add it to the campaign first."
                    )
                    % {"product": self.product, "campaign": plan.campaign}
                }
            )
