"""Reading leads fast, on lists of millions: keyset pages (no OFFSET, no full COUNT) and
searches that use the indexes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Upper

from dialcrm.campaigns.models import CallList, Lead, Phone

PAGE_SIZE = 50
COUNT_CAP = 10_000
_PHONE_LIKE = re.compile(r"^[+\d][\d\s().-]{5,}$")


@dataclass(frozen=True)
class LeadPage:
    """One page of leads, newest first, and where the next page starts."""

    leads: list[Lead]
    next_before: int | None
    total: int  # capped at COUNT_CAP + 1, shown as "10,000+"

    @property
    def total_is_capped(self) -> bool:
        return self.total > COUNT_CAP


def search_leads(call_list: CallList, query: str = "", state: str = "") -> QuerySet[Lead]:
    """Leads of a list matching a search: a phone number (any written form), an external id,
    or the start of a last name."""
    leads = Lead.objects.filter(call_list=call_list)
    if state:
        leads = leads.filter(state=state)
    query = query.strip()
    if not query:
        return leads
    if _PHONE_LIKE.match(query):
        try:
            parsed = phonenumbers.parse(query, call_list.default_country)
        except phonenumbers.NumberParseException:
            return leads.none()
        number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        return leads.filter(pk__in=Phone.objects.filter(number=number).values("lead_id"))
    # A prefix as a range on UPPER(last_name), so the expression index serves it whatever the
    # database's collation (LIKE 'x%' would need a pattern-ops index).
    prefix = query.upper()
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    by_name = leads.annotate(upper_last_name=Upper("last_name")).filter(
        upper_last_name__gte=prefix, upper_last_name__lt=after
    )
    return by_name | leads.filter(external_id=query)


def lead_page(leads: QuerySet[Lead], before: int | None = None, size: int = PAGE_SIZE) -> LeadPage:
    page_query = leads.order_by("-id")
    if before:
        page_query = page_query.filter(id__lt=before)
    rows = list(
        page_query.prefetch_related(
            Prefetch("phones", queryset=Phone.objects.order_by("priority"))
        )[: size + 1]
    )
    next_before = rows[size - 1].pk if len(rows) > size else None
    total = leads.order_by()[: COUNT_CAP + 1].count()
    return LeadPage(rows[:size], next_before, total)


def lead_summary(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.pk,
        "name": str(lead),
        "phones": [phone.number for phone in lead.phones.all()],
    }
