"""Clients, work sheets, statuses, DNC lists, call lists with their leads and phones, imports and
campaigns: everything a location manager sets up before the dialer dials."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from dialcrm.campaigns.choices import (
    CampaignState,
    DialMode,
    DncKind,
    ImportState,
    LeadState,
    MachineHandling,
    ObjectiveKind,
    PhoneKind,
    StatusCategory,
    StopReason,
)
from dialcrm.core.audit import AuditedModel
from dialcrm.core.choices import Role
from dialcrm.core.constraints import unique_name
from dialcrm.core.policy import (
    ADD,
    ALL_ROLES,
    CHANGE,
    DELETE,
    VIEW,
    Policy,
    ScopedQuerySet,
    team_ids,
)

SET_UP = frozenset({Role.ADMINISTRATOR, Role.MANAGER, Role.LOCATION_MANAGER})
BACK_OFFICE = frozenset({Role.ADMINISTRATOR, Role.MANAGER, Role.BACK_OFFICE})
LEAD_READERS = ALL_ROLES - {Role.AGENT}  # agents reach leads only through their calls


def _editors(
    roles: frozenset[str], readers: frozenset[str] = ALL_ROLES
) -> dict[str, frozenset[str]]:
    return {VIEW: readers, **dict.fromkeys((ADD, CHANGE, DELETE), roles)}


class Client(AuditedModel):
    """A customer of the call center, who buys campaigns (seed: the end client)."""

    company = models.ForeignKey(
        "org.Company", on_delete=models.PROTECT, related_name="clients", verbose_name=_("company")
    )
    name = models.CharField(_("name"), max_length=200)
    legal_id = models.CharField(_("registration number"), max_length=50, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(company="company", roles=_editors(SET_UP, LEAD_READERS))

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        constraints = [
            unique_name(
                "company",
                name="client_name_unique_ci",
                message=_("A client with this name exists already."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Status(AuditedModel):
    """A call status (disposition): how a call went, and what it means for dialing."""

    company = models.ForeignKey(
        "org.Company", on_delete=models.PROTECT, related_name="statuses", verbose_name=_("company")
    )
    code = models.SlugField(_("code"), max_length=32, help_text=_("Short code, e.g. SALE, CB, NA."))
    label = models.CharField(_("label"), max_length=100)
    category = models.CharField(_("meaning"), max_length=24, choices=StatusCategory.choices)
    is_final = models.BooleanField(
        _("final"), default=False, help_text=_("The lead is not called again after this status.")
    )
    retry_after_minutes = models.PositiveIntegerField(
        _("retry after (minutes)"),
        null=True,
        blank=True,
        help_text=_("When the number is called again; empty for final statuses."),
    )
    is_agent_selectable = models.BooleanField(
        _("agents can choose it"), default=True, help_text=_("Off for statuses set by the dialer.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(company="company", roles=_editors(BACK_OFFICE))

    class Meta:
        verbose_name = _("status")
        verbose_name_plural = _("statuses")
        ordering = ["order", "code"]
        constraints = [
            unique_name(
                "company",
                name="status_code_unique_ci",
                message=_("A status with this code exists already."),
                field="code",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.label}"

    def clean(self) -> None:
        if self.is_final and self.retry_after_minutes is not None:
            raise ValidationError(
                {"retry_after_minutes": _("A final status is not retried: leave this empty.")}
            )
        if (
            not self.is_final
            and self.retry_after_minutes is None
            and self.category != StatusCategory.CALLBACK
        ):
            raise ValidationError(
                {"retry_after_minutes": _("Say after how many minutes the number is called again.")}
            )
        if self.category in (StatusCategory.SALE, StatusCategory.DO_NOT_CALL) and not self.is_final:
            raise ValidationError({"is_final": _("This kind of status must be final.")})


class WorkSheet(AuditedModel):
    """A form the agent fills during the call: groups of predefined fields. Versioned: a change
    makes a new version, and answers keep the version they were given on."""

    company = models.ForeignKey(
        "org.Company",
        on_delete=models.PROTECT,
        related_name="work_sheets",
        verbose_name=_("company"),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(company="company", roles=_editors(BACK_OFFICE))

    class Meta:
        verbose_name = _("work sheet")
        verbose_name_plural = _("work sheets")
        ordering = ["name"]
        constraints = [
            unique_name(
                "company",
                name="worksheet_name_unique_ci",
                message=_("A work sheet with this name exists already."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def current_version(self) -> WorkSheetVersion | None:
        return self.versions.order_by("-number").first()


class WorkSheetVersion(models.Model):
    """One immutable version of a work sheet's fields.

    `definition` is `{"groups": [{"title": str, "fields": [{"key", "label", "kind", "required",
    "help", "choices", "min", "max", "max_length", "pattern"}]}]}`, validated by
    `dialcrm.campaigns.worksheets.validate_definition`.
    """

    sheet = models.ForeignKey(WorkSheet, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["sheet", "-number"]
        constraints = [models.UniqueConstraint("sheet", "number", name="worksheet_version_unique")]

    def __str__(self) -> str:
        return f"{self.sheet} v{self.number}"


class DncList(AuditedModel):
    """Numbers never to be called: internal (from agents' do-not-call statuses) or imported."""

    company = models.ForeignKey(
        "org.Company", on_delete=models.PROTECT, related_name="dnc_lists", verbose_name=_("company")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=DncKind.choices, default=DncKind.IMPORTED
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(company="company", roles=_editors(SET_UP | {Role.BACK_OFFICE}, LEAD_READERS))

    class Meta:
        verbose_name = _("do-not-call list")
        verbose_name_plural = _("do-not-call lists")
        ordering = ["name"]
        constraints = [
            unique_name(
                "company",
                name="dnclist_name_unique_ci",
                message=_("A do-not-call list with this name exists already."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class DncNumber(models.Model):
    """One number (E.164) on a do-not-call list."""

    dnc_list = models.ForeignKey(DncList, on_delete=models.CASCADE, related_name="numbers")
    number = models.CharField(max_length=20)
    added_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint("dnc_list", "number", name="dnc_number_unique")]
        indexes = [models.Index(fields=["number"])]

    def __str__(self) -> str:
        return self.number


class CallList(AuditedModel):
    """A list of prospects for a client, imported from files and processed automatically."""

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="call_lists", verbose_name=_("client")
    )
    name = models.CharField(_("name"), max_length=200)
    default_country = models.CharField(
        _("default country"),
        max_length=2,
        default="RO",
        help_text=_("ISO code of the country of numbers written without an international prefix."),
    )
    description = models.TextField(_("description"), blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=list, blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(company="client__company", roles=_editors(SET_UP, LEAD_READERS))

    class Meta:
        verbose_name = _("call list")
        verbose_name_plural = _("call lists")
        ordering = ["client__name", "name"]
        constraints = [
            unique_name(
                "client",
                name="calllist_name_unique_ci",
                message=_("This client has a list with this name already."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_company_id(self) -> int:
        return self.client.company_id


class Lead(models.Model):
    """A prospect on a call list: standard fields, any custom fields, several phones."""

    # Indexed by the composite indexes below, which all start with it.
    call_list = models.ForeignKey(
        CallList, on_delete=models.CASCADE, related_name="leads", db_index=False
    )
    external_id = models.CharField(max_length=100, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    custom = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=12, choices=LeadState.choices, default=LeadState.NEW)
    attempts = models.PositiveIntegerField(default=0)
    next_call_at = models.DateTimeField(null=True, blank=True)
    last_called_at = models.DateTimeField(null=True, blank=True)
    last_status = models.ForeignKey(
        Status, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    list_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(company="call_list__client__company", roles=_editors(SET_UP, LEAD_READERS))

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["call_list", "state", "next_call_at"], name="lead_dialable_idx"),
            models.Index(F("call_list"), Upper("last_name"), name="lead_upper_name_idx"),
            models.Index(fields=["call_list", "external_id"], name="lead_external_idx"),
            models.Index(fields=["call_list", "state", "id"], name="lead_new_idx"),
            models.Index(fields=["call_list", "-id"], name="lead_list_recent_idx"),
        ]

    def __str__(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or f"#{self.pk}"


class Phone(models.Model):
    """One of a lead's numbers, normalised to E.164, with the time zone derived from it."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(max_length=20)
    kind = models.CharField(max_length=12, choices=PhoneKind.choices, default=PhoneKind.OTHER)
    priority = models.PositiveSmallIntegerField(default=1)
    country = models.CharField(max_length=2, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_called_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=24, blank=True)
    is_dialable = models.BooleanField(default=True)

    class Meta:
        ordering = ["lead", "priority"]
        indexes = [models.Index(fields=["number"], name="phone_number_idx")]

    def __str__(self) -> str:
        return self.number


class ImportMapping(AuditedModel):
    """A saved column mapping (and options) of a list import, for reuse."""

    company = models.ForeignKey(
        "org.Company", on_delete=models.CASCADE, related_name="import_mappings"
    )
    name = models.CharField(_("name"), max_length=100)
    mapping = models.JSONField(default=dict)
    options = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(company="company", roles=_editors(SET_UP, LEAD_READERS))

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        ordering = ["name"]
        constraints = [
            unique_name(
                "company",
                name="importmapping_name_unique_ci",
                message=_("A mapping with this name exists already."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    """One import of a file into a call list, run in the background, with its report."""

    call_list = models.ForeignKey(CallList, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file = models.CharField(max_length=500)
    original_name = models.CharField(max_length=255)
    file_size = models.BigIntegerField(default=0)
    file_format = models.CharField(max_length=8, default="csv")
    encoding = models.CharField(max_length=32, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    has_header = models.BooleanField(default=True)
    mapping = models.JSONField(default=dict)
    options = models.JSONField(default=dict)
    state = models.CharField(
        max_length=12, choices=ImportState.choices, default=ImportState.UPLOADED
    )
    rows_read = models.PositiveIntegerField(default=0)
    rows_estimated = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    scrubbed = models.PositiveIntegerField(default=0)
    # Numbers rejected on rows imported with another of their numbers.
    warnings = models.PositiveIntegerField(default=0)
    # The list version this import made (set when it is done).
    list_version = models.PositiveIntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    errors_file = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(company="call_list__client__company", roles=_editors(SET_UP, LEAD_READERS))

    class Meta:
        verbose_name = _("list import")
        verbose_name_plural = _("list imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "created_at"], name="importjob_queue_idx")]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.call_list}"


class DncImportJob(models.Model):
    """One import of a file of numbers into a do-not-call list, run in the background."""

    dnc_list = models.ForeignKey(DncList, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file = models.CharField(max_length=500)
    original_name = models.CharField(max_length=255)
    file_size = models.BigIntegerField(default=0)
    file_format = models.CharField(max_length=8, default="csv")
    encoding = models.CharField(max_length=32, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    has_header = models.BooleanField(default=True)
    column = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, default="RO")
    state = models.CharField(
        max_length=12, choices=ImportState.choices, default=ImportState.UPLOADED
    )
    rows_read = models.PositiveIntegerField(default=0)
    rows_estimated = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    error_message = models.TextField(blank=True)
    errors_file = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="dnc_list__company", roles=_editors(SET_UP | {Role.BACK_OFFICE}, LEAD_READERS)
    )

    class Meta:
        verbose_name = _("do-not-call import")
        verbose_name_plural = _("do-not-call imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "created_at"], name="dncimportjob_queue_idx")]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.dnc_list}"


def _default_calling_days() -> list[int]:
    return [0, 1, 2, 3, 4, 5]  # Monday to Saturday


class Campaign(AuditedModel):
    """Sales work for a client: an objective, lists, a work sheet, statuses, people, and how the
    dialer dials."""

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("client")
    )
    location = models.ForeignKey(
        "org.Location",
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("location"),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    script = models.TextField(
        _("script"), blank=True, help_text=_("What the agent says; shown on the desk.")
    )
    objective_kind = models.CharField(
        _("objective"), max_length=16, choices=ObjectiveKind.choices, default=ObjectiveKind.SALES
    )
    objective_target = models.PositiveIntegerField(
        _("target"),
        default=100,
        validators=[MinValueValidator(1)],
        help_text=_("How many sales, appointments or informed prospects."),
    )
    planned_hours = models.DecimalField(
        _("planned hours"),
        max_digits=8,
        decimal_places=1,
        default=Decimal("100"),
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    work_sheet = models.ForeignKey(
        WorkSheet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("work sheet"),
    )
    statuses = models.ManyToManyField(
        Status, related_name="campaigns", blank=True, verbose_name=_("statuses")
    )
    products = models.ManyToManyField(
        "catalog.Product", related_name="campaigns", blank=True, verbose_name=_("products")
    )
    call_lists = models.ManyToManyField(
        CallList,
        through="CampaignList",
        related_name="campaigns",
        blank=True,
        verbose_name=_("call lists"),
    )
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="campaigns", blank=True, verbose_name=_("agents")
    )
    teams = models.ManyToManyField(
        "org.Team", related_name="campaigns", blank=True, verbose_name=_("teams")
    )
    dnc_lists = models.ManyToManyField(
        DncList, related_name="campaigns", blank=True, verbose_name=_("do-not-call lists")
    )

    # How the dialer dials.
    dial_mode = models.CharField(
        _("dial mode"), max_length=12, choices=DialMode.choices, default=DialMode.PREDICTIVE
    )
    max_abandon_rate = models.DecimalField(
        _("maximum abandon rate (%)"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("3.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("3"))],
        help_text=_("Share of calls answered by a person that may find no agent (legal cap 3%)."),
    )
    connect_window_s = models.DecimalField(
        _("connect window (s)"),
        max_digits=3,
        decimal_places=1,
        default=Decimal("2.0"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("2.0"))],
        help_text=_(
            "How long an answered person may wait for an agent before the call is abandoned."
        ),
    )
    ring_timeout_s = models.PositiveSmallIntegerField(
        _("ring time (s)"),
        default=25,
        validators=[MinValueValidator(15), MaxValueValidator(120)],
        help_text=_("Never below 15 seconds (the law)."),
    )
    max_attempts_per_number = models.PositiveSmallIntegerField(
        _("maximum attempts per number"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )
    max_attempts_per_lead = models.PositiveSmallIntegerField(
        _("maximum attempts per lead"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    redial_delays = models.JSONField(
        _("redial delays"),
        default=dict,
        blank=True,
        help_text=_(
            "Minutes before redialing, by status code, overriding the statuses' own delays."
        ),
    )
    calling_hours_start = models.TimeField(_("calling from"), default=datetime.time(8, 0))
    calling_hours_end = models.TimeField(_("calling until"), default=datetime.time(21, 0))
    calling_days = models.JSONField(
        _("calling days"), default=_default_calling_days, help_text=_("0 = Monday ... 6 = Sunday")
    )
    caller_id = models.CharField(_("caller ID"), max_length=32, blank=True)
    machine_handling = models.CharField(
        _("answering machines"),
        max_length=16,
        choices=MachineHandling.choices,
        default=MachineHandling.HANG_UP,
    )
    machine_message = models.CharField(_("machine message"), max_length=200, blank=True)
    safe_harbour_message = models.CharField(
        _("abandoned-call message"),
        max_length=200,
        blank=True,
        help_text=_("Recording played to an abandoned call: who called and how to opt out."),
    )
    no_redial_after_abandon_hours = models.PositiveSmallIntegerField(
        _("no redial after an abandoned call (h)"),
        default=72,
        help_text=_("72 in the UK; 0 turns it off."),
    )
    redial_only_when_all_busy = models.BooleanField(
        _("redial only when all agents are busy"),
        default=False,
        help_text=_("New leads first; retries only when no agent waits."),
    )
    record_calls = models.BooleanField(_("record calls"), default=False)
    max_wrap_up_s = models.PositiveSmallIntegerField(
        _("maximum wrap-up time (s)"),
        default=120,
        validators=[MinValueValidator(10), MaxValueValidator(600)],
        help_text=_(
            "After a call, the longest an agent may take to give it a status before they are "
            "paused (10 to 600 seconds). Agents choose their own time within it."
        ),
    )

    state = models.CharField(
        _("state"), max_length=12, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    state_reason = models.CharField(_("reason"), max_length=300, blank=True)
    stop_code = models.CharField(
        _("stopped by the dialer"), max_length=20, choices=StopReason.choices, blank=True
    )
    state_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="client__company",
        location="location",
        # A team leader sees the campaigns of their teams and of their teams' agents; an agent
        # those they are assigned to, in person or through their team.
        team=lambda user: Q(teams__in=team_ids(user)) | Q(agents__team__in=team_ids(user)),
        own=lambda user: Q(agents=user.pk) | Q(teams__in=[user.team_id] if user.team_id else []),
        roles=_editors(SET_UP),
        distinct=True,
    )

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]
        constraints = [
            unique_name(
                "client",
                name="campaign_name_unique_ci",
                message=_("This client has a campaign with this name already."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_company_id(self) -> int:
        return self.client.company_id

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if (
            self.calling_hours_end
            and self.calling_hours_start
            and self.calling_hours_end <= self.calling_hours_start
        ):
            errors["calling_hours_end"] = _("The end of calling hours must be after the start.")
        days = self.calling_days
        if (
            not isinstance(days, list)
            or not days
            or any(day not in range(7) for day in days)
            or len(set(days)) != len(days)
        ):
            errors["calling_days"] = _("Choose one or more days, 0 (Monday) to 6 (Sunday).")
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The campaign ends before it starts.")
        if (
            self.client_id
            and self.location_id
            and self.client.company_id != self.location.company_id
        ):
            errors["location"] = _("The location belongs to another company than the client.")
        if (
            self.work_sheet_id
            and self.client_id
            and self.work_sheet.company_id != self.client.company_id
        ):
            errors["work_sheet"] = _("The work sheet belongs to another company.")
        if not isinstance(self.redial_delays, dict) or any(
            not isinstance(minutes, int) or minutes < 1 for minutes in self.redial_delays.values()
        ):
            errors["redial_delays"] = _("Give whole minutes (at least 1) by status code.")
        if errors:
            raise ValidationError(errors)


class CampaignList(models.Model):
    """A call list in a campaign, with its priority (1 is dialled first)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="list_links")
    call_list = models.ForeignKey(CallList, on_delete=models.PROTECT, related_name="campaign_links")
    priority = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["campaign", "priority"]
        constraints = [
            models.UniqueConstraint("campaign", "call_list", name="campaign_list_unique")
        ]

    def __str__(self) -> str:
        return f"{self.call_list} (priority {self.priority})"
