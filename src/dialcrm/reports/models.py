"""What the reports app keeps: hourly roll-ups of call attempts (so a month of ten million
attempts is summed from a few hundred thousand rows), and reports scheduled for delivery by
e-mail with the record of each delivery."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _

from dialcrm.core.audit import AuditedModel
from dialcrm.core.choices import Role
from dialcrm.core.policy import ADD, CHANGE, DELETE, VIEW, Policy, ScopedQuerySet
from dialcrm.org.models import validate_time_zone
from dialcrm.reports.choices import DeliveryState, ExportFormat, Frequency, Weekday

MAX_RECIPIENTS = 20
# Who reads reports at all; each report narrows this (`definitions.py`), and every figure is
# restricted to the reader's scope: company, location, team, or their own work.
REPORT_READERS = frozenset(
    {
        Role.ADMINISTRATOR,
        Role.MANAGER,
        Role.LOCATION_MANAGER,
        Role.TEAM_LEADER,
        Role.QUALITY,
        Role.AGENT,
    }
)


def addresses_in(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def validate_recipients(value: str) -> None:
    addresses = addresses_in(value)
    if not addresses:
        raise ValidationError(_("Give at least one e-mail address."))
    if len(addresses) > MAX_RECIPIENTS:
        raise ValidationError(
            _("At most %(count)s recipients: use a mailing list for more.")
            % {"count": MAX_RECIPIENTS}
        )
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                _("'%(address)s' is not an e-mail address.") % {"address": address}
            ) from None


class AttemptHour(models.Model):
    """The finished call attempts of one hour (UTC, by dial time) of one campaign, list and agent
    (none for calls never put through), counted by outcome. Kept in step by the dialer when it
    closes an attempt, in the same transaction; rebuilt from the attempts with
    `dialcrm reports_rollup`."""

    hour = models.DateTimeField()
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    call_list = models.ForeignKey("campaigns.CallList", on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    attempts = models.PositiveIntegerField(default=0)
    contacts = models.PositiveIntegerField(default=0)  # talked to a person
    connected = models.PositiveIntegerField(default=0)  # put through to an agent
    abandoned = models.PositiveIntegerField(default=0)
    machines = models.PositiveIntegerField(default=0)
    busy = models.PositiveIntegerField(default=0)
    no_answer = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    talk_s = models.FloatField(default=0)  # put through to hung up
    wait_s = models.FloatField(default=0)  # answered to put through, for connected calls

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="campaign__client__company",
        location="campaign__location",
        team="agent__team",
        own="agent",
        roles={VIEW: REPORT_READERS},
    )

    class Meta:
        verbose_name = _("hour of call attempts")
        verbose_name_plural = _("hours of call attempts")
        constraints = [
            models.UniqueConstraint(
                "hour",
                "campaign",
                "call_list",
                "agent",
                name="attempt_hour_unique",
                nulls_distinct=False,
            )
        ]
        indexes = [
            models.Index(fields=["campaign", "hour"], name="attempt_hour_campaign_idx"),
            models.Index(fields=["agent", "hour"], name="attempt_hour_agent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.call_list_id}/{self.agent_id} {self.hour:%Y-%m-%d %H}h"


class ReportSchedule(AuditedModel):
    """A report sent by e-mail every day or every week at a local time, as its owner sees it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="report_schedules",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=200)
    report = models.CharField(_("report"), max_length=40)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    export_format = models.CharField(
        _("format"), max_length=8, choices=ExportFormat.choices, default=ExportFormat.XLSX
    )
    recipients = models.TextField(
        _("recipients"),
        help_text=_("E-mail addresses separated by commas or new lines."),
        validators=[validate_recipients],
    )
    frequency = models.CharField(
        _("how often"), max_length=8, choices=Frequency.choices, default=Frequency.DAILY
    )
    weekday = models.PositiveSmallIntegerField(
        _("day of the week"),
        choices=Weekday.choices,
        null=True,
        blank=True,
        help_text=_("For weekly reports."),
    )
    send_at = models.TimeField(_("at (local time)"))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Bucharest", validators=[validate_time_zone]
    )
    next_run_at = models.DateTimeField(_("next delivery"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="owner__company",
        location="owner__location",
        team="owner__team",
        own="owner",
        roles=dict.fromkeys((VIEW, ADD, CHANGE, DELETE), REPORT_READERS),
    )

    class Meta:
        verbose_name = _("scheduled report")
        verbose_name_plural = _("scheduled reports")
        ordering = ["name"]
        indexes = [
            models.Index(
                fields=["next_run_at"],
                name="report_schedule_due_idx",
                condition=models.Q(is_active=True),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_company_id(self) -> int | None:
        return self.owner.company_id

    @property
    def report_title(self) -> str:
        from dialcrm.reports.definitions import REPORTS

        report = REPORTS.get(self.report)
        return str(report.title) if report else self.report

    def clean(self) -> None:
        super().clean()
        if self.frequency == Frequency.WEEKLY and self.weekday is None:
            raise ValidationError({"weekday": _("Choose the day of the week to send it on.")})
        if self.frequency == Frequency.DAILY:
            self.weekday = None

    @property
    def recipient_list(self) -> list[str]:
        return addresses_in(self.recipients)


class ReportDelivery(models.Model):
    """One sending of a scheduled report: when it was due, when it went, to whom, or why not."""

    schedule = models.ForeignKey(
        ReportSchedule, on_delete=models.CASCADE, related_name="deliveries"
    )
    due_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=DeliveryState.choices)
    recipients = models.TextField()
    file_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="schedule__owner__company",
        location="schedule__owner__location",
        team="schedule__owner__team",
        own="schedule__owner",
        roles={VIEW: REPORT_READERS},
    )

    class Meta:
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        ordering = ["-due_at"]
        indexes = [models.Index(fields=["schedule", "due_at"], name="report_delivery_idx")]

    def __str__(self) -> str:
        return f"{self.schedule_id} at {self.due_at:%Y-%m-%d %H:%M} ({self.state})"
