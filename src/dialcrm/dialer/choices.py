"""Choices of the dialer app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AgentState(models.TextChoices):
    """What an agent is doing, for routing and for time accounting."""

    LOGGED_OUT = "logged_out", _("Logged out")
    READY = "ready", _("Ready")
    RESERVED = "reserved", _("Reserved")  # a call is being put through (preview, transfer)
    ON_CALL = "on_call", _("On a call")
    WRAP_UP = "wrap_up", _("Wrapping up")
    PAUSED = "paused", _("Paused")


class AttemptOutcome(models.TextChoices):
    """How a dial attempt ended, as the dialer observes it."""

    IN_PROGRESS = "in_progress", _("In progress")
    CONTACT = "contact", _("Talked to a person")
    ABANDONED = "abandoned", _("Abandoned (no agent in time)")
    MACHINE = "machine", _("Answering machine")
    BUSY = "busy", _("Busy")
    NO_ANSWER = "no_answer", _("No answer")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class PauseReason(models.TextChoices):
    BREAK = "break", _("Break")
    LUNCH = "lunch", _("Lunch")
    TRAINING = "training", _("Training")
    MEETING = "meeting", _("Meeting")
    TECHNICAL = "technical", _("Technical problem")
    DISCONNECTED = "disconnected", _("Connection lost")
    SUPERVISOR = "supervisor", _("Paused by the team leader")
    WRAP_UP_OVER = "wrap_up_over", _("Wrap-up time over")
    OTHER = "other", _("Other")
