"""What a report is run for: a period of whole days in a time zone, and optionally one campaign,
list, location, team or agent. The same filters come from the screen, the API and a schedule."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from dialcrm.reports.choices import Period

# A report covers at most this many days (a year and a day: a leap year and its last day).
MAX_DAYS = 366
FILTER_NAMES = ("campaign", "call_list", "location", "team", "agent")


def time_zone_of(user: Any) -> str:
    """The time zone a person's reports are read in: their location's, else their company's."""
    if getattr(user, "location_id", None):
        return str(user.location.time_zone)
    if getattr(user, "company_id", None):
        return str(user.company.time_zone)
    return str(settings.TIME_ZONE)


def period_days(
    period: str, today: datetime.date, start: datetime.date | None, end: datetime.date | None
) -> tuple[datetime.date, datetime.date]:
    """First and last day (inclusive) of a period seen on `today`."""
    if period == Period.TODAY:
        return today, today
    if period == Period.YESTERDAY:
        day = today - datetime.timedelta(days=1)
        return day, day
    if period == Period.LAST_7_DAYS:
        return today - datetime.timedelta(days=6), today
    if period == Period.THIS_MONTH:
        return today.replace(day=1), today
    if period == Period.LAST_MONTH:
        last = today.replace(day=1) - datetime.timedelta(days=1)
        return last.replace(day=1), last
    if start is None or end is None:
        raise ValueError("a custom period needs its first and last day")
    return start, end


@dataclass(frozen=True)
class ReportFilters:
    """A validated set of filters (ids of objects the reader may see)."""

    period: str
    start: datetime.date
    end: datetime.date
    time_zone: str
    ids: dict[str, int] = field(default_factory=dict)  # filter name -> object id

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def starts_at(self) -> datetime.datetime:
        return datetime.datetime.combine(self.start, datetime.time(), self.zone)

    @property
    def ends_at(self) -> datetime.datetime:
        """The moment the period ends (midnight after its last day), exclusive."""
        next_day = self.end + datetime.timedelta(days=1)
        return datetime.datetime.combine(next_day, datetime.time(), self.zone)

    def get(self, name: str) -> int | None:
        return self.ids.get(name)

    def as_dict(self) -> dict[str, Any]:
        """The filters as plain values (the JSON export, a schedule's stored filters)."""
        values: dict[str, Any] = {
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "time_zone": self.time_zone,
        }
        values.update(self.ids)
        return values
