"""The lead list of a call list: search by phone in any written form, by name or external id,
and pages that follow each other without gaps."""

from __future__ import annotations

import pytest

from dialcrm.campaigns.leads import lead_page, search_leads
from dialcrm.campaigns.models import CallList, Client, Lead, Phone
from dialcrm.core.choices import Role


@pytest.fixture
def call_list(org):
    client = Client.objects.create(company=org.company, name="Energia SA")
    call_list = CallList.objects.create(client=client, name="Prospects")
    names = ["Popescu", "Popa", "Ionescu", "Ștefănescu", "popovici"]
    for index, name in enumerate(names):
        lead = Lead.objects.create(call_list=call_list, last_name=name, external_id=f"EXT-{index}")
        Phone.objects.create(lead=lead, number=f"+4072100000{index}")
    return call_list


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("0721 000 002", {"Ionescu"}),
        ("+40 721-000-000", {"Popescu"}),
        ("pop", {"Popescu", "Popa", "popovici"}),
        ("POPE", {"Popescu"}),
        ("ște", {"Ștefănescu"}),
        ("EXT-3", {"Ștefănescu"}),
        ("0799 999 999", set()),
        ("", {"Popescu", "Popa", "Ionescu", "Ștefănescu", "popovici"}),
    ],
)
def test_search(call_list, query, expected):
    assert {lead.last_name for lead in search_leads(call_list, query)} == expected


def test_pages_follow_each_other_newest_first(call_list):
    first = lead_page(search_leads(call_list), size=2)
    second = lead_page(search_leads(call_list), before=first.next_before, size=2)
    third = lead_page(search_leads(call_list), before=second.next_before, size=2)

    seen = [lead.last_name for page in (first, second, third) for lead in page.leads]
    assert seen == ["popovici", "Ștefănescu", "Ionescu", "Popa", "Popescu"]
    assert third.next_before is None
    assert first.total == 5


def test_the_api_pages_and_refuses_agents(org, client_for, call_list):
    manager = client_for(org[Role.LOCATION_MANAGER])

    page = manager.get(f"/api/campaigns/lists/{call_list.pk}/leads?q=pop").json()
    refused = client_for(org[Role.AGENT]).get(f"/api/campaigns/lists/{call_list.pk}/leads")

    assert sorted(item["last_name"] for item in page["items"]) == ["Popa", "Popescu", "popovici"]
    assert page["count"] == 3
    assert page["items"][0]["phones"][0]["number"].startswith("+40721")
    assert refused.status_code in (403, 404)
