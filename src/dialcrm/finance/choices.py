"""Choices and role sets of the finance app."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dialcrm.core.choices import Role

# Money (costs, revenue, profit) is for management: a location manager sees their location's.
# Team leaders and agents follow production (hours, sales) on the desk and the reports, never
# what people cost (see docs/permissions.md).
FINANCE_READERS = frozenset({Role.ADMINISTRATOR, Role.MANAGER, Role.LOCATION_MANAGER})
FINANCE_EDITORS = frozenset({Role.ADMINISTRATOR, Role.MANAGER})


class Grouping(models.TextChoices):
    """How the profitability screen groups its rows."""

    CAMPAIGN = "campaign", _("Campaign")
    LOCATION = "location", _("Location")
    TEAM = "team", _("Team")
    AGENT = "agent", _("Agent")
