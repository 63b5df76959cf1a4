"""Choices of the campaigns app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StatusCategory(models.TextChoices):
    """What a call status means for dialing."""

    SALE = "sale", _("Sale")
    POSITIVE_CONTACT = "positive_contact", _("Positive contact")
    NOT_INTERESTED = "not_interested", _("Not interested")
    CALLBACK = "callback", _("Callback")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    ANSWERING_MACHINE = "answering_machine", _("Answering machine")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    DO_NOT_CALL = "do_not_call", _("Do not call")
    ABANDONED = "abandoned", _("Abandoned by the dialer")
    FAILED = "failed", _("Call failed")


class FieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    YES_NO = "yes_no", _("Yes / no")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    LANDLINE = "landline", _("Landline")
    WORK = "work", _("Work")
    OTHER = "other", _("Other")


class LeadState(models.TextChoices):
    NEW = "new", _("New")
    RETRY = "retry", _("To retry")
    CALLBACK = "callback", _("Callback")
    IN_CALL = "in_call", _("In a call")
    FINAL = "final", _("Done")


class ObjectiveKind(models.TextChoices):
    SALES = "sales", _("Sell products")
    APPOINTMENTS = "appointments", _("Set appointments")
    INFORMATION = "information", _("Inform prospects")


class DialMode(models.TextChoices):
    PREDICTIVE = "predictive", _("Predictive")
    PROGRESSIVE = "progressive", _("Progressive")
    PREVIEW = "preview", _("Preview")
    MANUAL = "manual", _("Manual")


class MachineHandling(models.TextChoices):
    HANG_UP = "hang_up", _("Hang up")
    LEAVE_MESSAGE = "leave_message", _("Leave a message")
    CONNECT = "connect", _("Connect to an agent")
    OFF = "off", _("No detection")


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")
    COMPLETED = "completed", _("Completed")


class StopReason(models.TextChoices):
    """Why the dialer engine stopped a campaign by itself."""

    OBJECTIVE_REACHED = "objective_reached", _("Objective reached")
    LIST_EXHAUSTED = "list_exhausted", _("No lead left to call")
    ENDED = "ended", _("End date passed")


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DncKind(models.TextChoices):
    INTERNAL = "internal", _("Internal (from agents' statuses)")
    IMPORTED = "imported", _("Imported (e.g. a national list)")
