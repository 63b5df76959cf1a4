"""Choices of the reports app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportFormat(models.TextChoices):
    """The file formats a report is exported in."""

    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (XLSX)")
    PDF = "pdf", _("PDF")
    JSON = "json", _("JSON")


class Period(models.TextChoices):
    """A report's period, relative to the day it is run (scheduled reports use these) or fixed."""

    TODAY = "today", _("Today")
    YESTERDAY = "yesterday", _("Yesterday")
    LAST_7_DAYS = "last_7_days", _("The last 7 days")
    THIS_MONTH = "this_month", _("This month so far")
    LAST_MONTH = "last_month", _("Last month")
    CUSTOM = "custom", _("From ... to ...")


class Frequency(models.TextChoices):
    DAILY = "daily", _("Every day")
    WEEKLY = "weekly", _("Every week")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class DeliveryState(models.TextChoices):
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
