"""Rows valid over a period of days (prices, hourly costs, plans): finding those that meet a
period and refusing periods that overlap, the same way for every model that has them."""

from __future__ import annotations

import datetime
from typing import TypeVar

from django.db import models
from django.db.models import Q

M = TypeVar("M", bound=models.Model)


def overlapping(
    rows: models.QuerySet[M],
    start: datetime.date,
    end: datetime.date | None,
    *,
    start_field: str = "valid_from",
    end_field: str = "valid_until",
) -> models.QuerySet[M]:
    """The rows whose days (both ends included; no end means open) meet [start, end]."""
    rows = rows.filter(Q(**{f"{end_field}__isnull": True}) | Q(**{f"{end_field}__gte": start}))
    if end is not None:
        rows = rows.filter(**{f"{start_field}__lte": end})
    return rows


def first_overlap(
    rows: models.QuerySet[M],
    start: datetime.date,
    end: datetime.date | None,
    *,
    start_field: str = "valid_from",
    end_field: str = "valid_until",
) -> M | None:
    """The earliest of the rows that meet [start, end] (the one a new period would clash with)."""
    clashing = overlapping(rows, start, end, start_field=start_field, end_field=end_field)
    return clashing.order_by(start_field).first()
