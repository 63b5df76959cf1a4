"""Rows valid over a period of days (prices, hourly costs, plans): finding the one valid on a
day and refusing periods that overlap, the same way for every model that has them."""

from __future__ import annotations

import datetime
from typing import TypeVar

from django.db import models
from django.db.models import Q

M = TypeVar("M", bound=models.Model)


def first_overlap(
    rows: models.QuerySet[M],
    start: datetime.date,
    end: datetime.date | None,
    *,
    start_field: str = "valid_from",
    end_field: str = "valid_until",
) -> M | None:
    """The earliest row whose days (both ends included; no end means open) meet [start, end]."""
    rows = rows.filter(Q(**{f"{end_field}__isnull": True}) | Q(**{f"{end_field}__gte": start}))
    if end is not None:
        rows = rows.filter(**{f"{start_field}__lte": end})
    return rows.order_by(start_field).first()
