"""The organisation of a call center: companies, work locations, teams and staff."""

from __future__ import annotations

from zoneinfo import available_timezones

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from dialcrm.core.audit import AuditedModel
from dialcrm.core.choices import AgentLevel, Role
from dialcrm.core.constraints import unique_name
from dialcrm.core.policy import ADD, ALL_ROLES, CHANGE, DELETE, VIEW, Policy, ScopedQuerySet

_ORG_ADMINS = frozenset({Role.ADMINISTRATOR, Role.MANAGER})
_STAFF_ADMINS = frozenset({Role.ADMINISTRATOR, Role.HUMAN_RESOURCES, Role.LOCATION_MANAGER})


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(
            _("'%(value)s' is not a time zone: use a name such as Europe/Bucharest."),
            params={"value": value},
        )


LOCATION_ROLES = frozenset({Role.LOCATION_MANAGER, Role.TEAM_LEADER, Role.AGENT})


class Company(AuditedModel):
    """A legal entity; a group may run several companies in one installation."""

    name = models.CharField(_("name"), max_length=200)
    legal_id = models.CharField(_("registration number"), max_length=50, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Bucharest", validators=[validate_time_zone]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    # New companies of a group are added by the installation's superuser.
    policy = Policy(company="pk", roles={VIEW: ALL_ROLES, CHANGE: _ORG_ADMINS})

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]
        constraints = [
            unique_name(
                name="company_name_unique_ci", message=_("A company with this name exists already.")
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_company_id(self) -> int | None:
        return self.pk


class Location(AuditedModel):
    """A work location (a call-center floor or office) of a company."""

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="locations", verbose_name=_("company")
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Bucharest", validators=[validate_time_zone]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="company",
        location="pk",
        roles={VIEW: ALL_ROLES, ADD: _ORG_ADMINS, CHANGE: _ORG_ADMINS, DELETE: _ORG_ADMINS},
    )

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["company__name", "name"]
        constraints = [
            unique_name(
                "company",
                name="location_name_unique_ci",
                message=_("This company has a location with this name already."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Team(AuditedModel):
    """A work group of agents at one location, led by a team leader."""

    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="teams", verbose_name=_("location")
    )
    name = models.CharField(_("name"), max_length=200)
    leader = models.ForeignKey(
        "org.Staff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_teams",
        verbose_name=_("team leader"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    policy = Policy(
        company="location__company",
        location="location",
        team="pk",
        roles={
            VIEW: ALL_ROLES,
            **dict.fromkeys((ADD, CHANGE, DELETE), _ORG_ADMINS | {Role.LOCATION_MANAGER}),
        },
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["location__name", "name"]
        constraints = [
            unique_name(
                "location",
                name="team_name_unique_ci",
                message=_("This location has a team with this name already."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_company_id(self) -> int:
        return self.location.company_id

    def clean(self) -> None:
        leader = self.leader
        if leader is None or self.location_id is None:
            return
        if leader.location_id != self.location_id:
            raise ValidationError(
                {
                    "leader": _(
                        "%(name)s works at another location; choose a leader from %(location)s."
                    )
                    % {"name": leader, "location": self.location}
                }
            )
        if leader.role not in (Role.TEAM_LEADER, Role.LOCATION_MANAGER):
            raise ValidationError(
                {
                    "leader": _("%(name)s is not a team leader: give them that role first.")
                    % {"name": leader}
                }
            )
        if not leader.is_active:
            raise ValidationError({"leader": _("%(name)s is deactivated.") % {"name": leader}})


class StaffManager(UserManager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    """Django's user manager with the scoped queryset."""


class Staff(AbstractUser, AuditedModel):
    """A person who signs in: their company, location, team, role and (for agents) level."""

    email = models.EmailField(_("email address"), blank=True)
    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("company"),
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("location"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("team"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.AGENT)
    level = models.CharField(
        _("agent level"), max_length=16, choices=AgentLevel.choices, blank=True
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=[("en", "English"), ("ro", "Română")], default="en"
    )
    must_change_password = models.BooleanField(_("must change password"), default=False)
    is_two_factor_exempt = models.BooleanField(
        _("exempt from two-factor authentication"),
        default=False,
        help_text=_("Only for demonstration accounts."),
    )
    password_changed_at = models.DateTimeField(null=True, blank=True)

    objects = StaffManager()
    policy = Policy(
        company="company",
        location="location",
        team="team",
        own="pk",
        roles={VIEW: ALL_ROLES, **dict.fromkeys((ADD, CHANGE, DELETE), _STAFF_ADMINS)},
    )

    audit_exclude = ("last_login",)
    audit_secret = ("password",)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["last_name", "first_name", "username"]
        indexes = [models.Index(fields=["company", "role"]), models.Index(fields=["location"])]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.company_id is None and not self.is_superuser:
            errors["company"] = _("Choose the company this person works for.")
        if self.location_id and self.location.company_id != self.company_id:
            errors["location"] = _("This location belongs to another company.")
        if self.role in LOCATION_ROLES and not self.location_id:
            errors["location"] = _("A %(role)s works at a location: choose one.") % {
                "role": self.get_role_display().lower()
            }
        if self.team_id and self.team.location_id != self.location_id:
            errors["team"] = _("This team works at another location.")
        if self.role == Role.AGENT and not self.level:
            errors["level"] = _("Say whether the agent is senior or a trainee.")
        if self.role != Role.AGENT and self.level:
            errors["level"] = _("Only agents have a level.")
        if errors:
            raise ValidationError(errors)

    @property
    def requires_two_factor(self) -> bool:
        return self.role == Role.ADMINISTRATOR and not self.is_two_factor_exempt
