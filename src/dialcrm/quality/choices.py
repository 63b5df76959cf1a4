"""Choices of the quality app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewStepKind(models.TextChoices):
    """A step in a sale's review, as its history shows it."""

    CONFIRMATION = "confirmation", _("Confirmation call")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Returned to the agent")
    RESUBMITTED = "resubmitted", _("Fixed and resubmitted")
    CANCELLED = "cancelled", _("Cancelled")


class ConfirmationOutcome(models.TextChoices):
    """How the reviewer's call to the beneficiary went."""

    CONFIRMED = "confirmed", _("The beneficiary confirmed the sale")
    DISPUTED = "disputed", _("The beneficiary disputes the sale")
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    CALL_BACK = "call_back", _("Asked to be called again")


class AgeFilter(models.TextChoices):
    """How long a sale has waited in the review queue, at least."""

    HOUR = "1h", _("Waiting 1 hour or more")
    DAY = "1d", _("Waiting 1 day or more")
    THREE_DAYS = "3d", _("Waiting 3 days or more")
    WEEK = "7d", _("Waiting 7 days or more")
