"""Choices of the desk app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SaleState(models.TextChoices):
    """Where a sale is in quality review (the moves between them: `dialcrm.quality.services`).
    Only `accepted` counts: toward the campaign's objective, in finance and in reports."""

    PENDING = "pending", _("Pending quality review")
    RESUBMITTED = "resubmitted", _("Fixed and resubmitted")
    REJECTED = "rejected", _("Returned to the agent")
    ACCEPTED = "accepted", _("Accepted")
    CANCELLED = "cancelled", _("Cancelled")


class SupervisorActionKind(models.TextChoices):
    """What a team leader may do to an agent's work from the team view."""

    PAUSE = "pause", _("Paused")
    LOGOUT = "logout", _("Logged out")


class AgentPauseReason(models.TextChoices):
    """The pause reasons an agent picks on the desk (the dialer's own reasons, "connection
    lost" and "paused by the team leader", are set for them, never chosen)."""

    BREAK = "break", _("Break")
    LUNCH = "lunch", _("Lunch")
    TRAINING = "training", _("Training")
    MEETING = "meeting", _("Meeting")
    TECHNICAL = "technical", _("Technical problem")
    OTHER = "other", _("Other")


class SkipReason(models.TextChoices):
    """Why an agent skips a previewed lead instead of dialing it."""

    NOT_NOW = "not_now", _("Better at another time")
    BAD_DATA = "bad_data", _("The lead's data is wrong")
    DUPLICATE = "duplicate", _("Duplicate of another lead")
    OTHER = "other", _("Other")


class PhoneChoice(models.TextChoices):
    """The phone an agent takes calls on, chosen at the start of work."""

    SOFTPHONE = "softphone", _("The softphone in this browser (headset)")
    DESK_PHONE = "desk_phone", _("My desk SIP phone")
