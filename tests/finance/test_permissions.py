"""Who sees money, for every role: the profitability screen and API, a plan's page, and a
change refused without changing anything."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from dialcrm.core.choices import Role
from tests.conftest import signed_in
from tests.finance.conftest import Books

PERIOD_QUERY = "since=2026-03-02&until=2026-03-03&group_by=agent"

# The total profit each role is shown over the books' period; None: refused (403).
TOTAL_PROFIT = {
    Role.ADMINISTRATOR: "246.83",
    Role.MANAGER: "246.83",
    Role.LOCATION_MANAGER: "152.50",  # the North agent only
    "south_manager": "94.33",  # the South agent only
    "other_admin": "0.00",  # another company: nothing of Alpha's
    Role.HUMAN_RESOURCES: None,
    Role.TEAM_LEADER: None,
    Role.AGENT: None,
    Role.QUALITY: None,
    Role.BACK_OFFICE: None,
}
# GET of the plan's page (campaign run at North): 200 seen, 404 not seen.
PLAN_PAGE = {
    Role.ADMINISTRATOR: 200,
    Role.MANAGER: 200,
    Role.LOCATION_MANAGER: 200,
    "south_manager": 404,
    "other_admin": 404,
    Role.HUMAN_RESOURCES: 404,
    Role.TEAM_LEADER: 404,
    Role.AGENT: 404,
    Role.QUALITY: 404,
    Role.BACK_OFFICE: 404,
}


@pytest.mark.parametrize("role", list(TOTAL_PROFIT), ids=str)
def test_profitability_by_role(org: Any, books: Books, role: str) -> None:
    client = signed_in(org[role])

    screen = client.get(f"/finance/profitability/?{PERIOD_QUERY}&currency=RON")
    api = client.get(f"/api/finance/profitability?{PERIOD_QUERY}")

    expected = TOTAL_PROFIT[role]
    if expected is None:
        assert (screen.status_code, api.status_code) == (403, 403)
        assert "246.83" not in screen.text + api.text
    else:
        assert (screen.status_code, api.status_code) == (200, 200)
        assert api.json()["total"]["profit"] == expected


@pytest.mark.parametrize("role", list(PLAN_PAGE), ids=str)
def test_plan_page_by_role(org: Any, books: Books, role: str) -> None:
    response = signed_in(org[role]).get(f"/finance/plans/{books.plan.pk}/")

    assert response.status_code == PLAN_PAGE[role]


def test_a_location_manager_may_not_change_a_plan(org: Any, books: Books) -> None:
    response = signed_in(org[Role.LOCATION_MANAGER]).post(
        f"/finance/plans/{books.plan.pk}/",
        {
            "campaign": books.campaign.pk,
            "starts_on": "2030-01-01",
            "ends_on": "2030-01-31",
            "target_hours": "1",
        },
    )

    assert response.status_code == 403
    books.plan.refresh_from_db()
    assert books.plan.target_hours == Decimal("10.0")


def test_anonymous_is_asked_to_sign_in(db: Any) -> None:
    client = Client()

    assert client.get("/finance/profitability/").status_code == 302
    assert client.get("/api/finance/profitability").status_code == 401
