"""Choices shared across dialcrm: roles and audit actions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    MANAGER = "manager", _("Manager")
    HUMAN_RESOURCES = "human_resources", _("Human resources")
    LOCATION_MANAGER = "location_manager", _("Location manager")
    TEAM_LEADER = "team_leader", _("Team leader")
    AGENT = "agent", _("Agent")
    QUALITY = "quality", _("Quality")
    BACK_OFFICE = "back_office", _("Back office")


class AgentLevel(models.TextChoices):
    SENIOR = "senior", _("Senior")
    TRAINEE = "trainee", _("Trainee")


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    SIGN_OUT = "sign_out", _("Signed out")
    REFUSED = "refused", _("Access refused")
