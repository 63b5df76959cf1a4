"""The wallboard's screen and API: who may open which campaign's wallboard (anonymous, roles
without one, another location or team, the right people), the menu entry, and the API's
snapshot of the engine's latest figures, narrowed like the WebSocket's."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.cache import cache

from dialcrm.core.choices import Role
from dialcrm.dialer.figures import latest_figures_key
from tests.dialer.engine.conftest import make_running_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(org: Any) -> Any:
    campaign = make_running_campaign(org, leads=1).campaign
    yield campaign
    cache.delete(latest_figures_key(campaign.pk))


def _figures(campaign: Any, org: Any) -> dict[str, Any]:
    now = time.time()
    return {
        "type": "campaign.figures",
        "campaign_id": campaign.pk,
        "at": now,
        "agents": {"ready": 1, "paused": 1},
        "agent_states": [
            {"id": org[Role.AGENT].pk, "state": "ready", "since": now - 5, "reason": ""},
            {"id": org["south_agent"].pk, "state": "paused", "since": now - 50, "reason": "lunch"},
        ],
        "ringing": 3,
        "waiting": 0,
        "connected": 1,
        "dials": 17,
        "hopper": 20,
        "dialable_leads": 900,
        "dial_level": 1.75,
        "abandon_cap": 0.03,
        "abandon_rate_today": 0.0,
        "abandon_rate_24h": 0.005,
        "abandon_rate_30d": 0.011,
        "human_answers_today": 30,
        "abandoned_today": 0,
        "human_answers_24h": 200,
        "hours": [{"at": now - now % 3600, "contacts": 30, "sales": 4}],
        "is_dialing": True,
    }


@pytest.mark.parametrize(
    ("person", "status"),
    [
        (Role.TEAM_LEADER, 200),
        (Role.LOCATION_MANAGER, 200),
        (Role.MANAGER, 200),
        (Role.ADMINISTRATOR, 200),
        ("south_leader", 404),
        ("south_manager", 404),
        ("other_admin", 404),
        (Role.AGENT, 403),
        (Role.QUALITY, 403),
    ],
)
def test_who_opens_a_campaign_s_wallboard(
    org: Any, campaign: Any, client_for: Any, person: str, status: int
) -> None:
    client = client_for(org[person])
    page = client.get(f"/wallboard/{campaign.pk}/")
    assert page.status_code == status
    api = client.get(f"/api/wallboard/campaigns/{campaign.pk}")
    assert api.status_code == status
    if status == 200:
        assert b'data-testid="wallboard"' in page.content
        assert b"vendor/chartjs/chart.min.js" in page.content
        assert api.json() == {
            "campaign_id": campaign.pk,
            "campaign": campaign.name,
            "state": "running",
            "is_live": False,
            "figures": None,
        }


def test_anonymous_people_are_sent_to_sign_in_or_told_to(campaign: Any, client: Any) -> None:
    page = client.get(f"/wallboard/{campaign.pk}/")
    assert page.status_code == 302 and "/sign-in/" in page["Location"]
    assert client.get(f"/api/wallboard/campaigns/{campaign.pk}").status_code == 401
    assert client.get("/api/wallboard/campaigns").status_code == 401


def test_the_wallboard_opens_on_a_running_campaign_of_the_person(
    org: Any, campaign: Any, client_for: Any
) -> None:
    response = client_for(org[Role.TEAM_LEADER]).get("/wallboard/")
    assert response.status_code == 302 and response["Location"] == f"/wallboard/{campaign.pk}/"
    assert client_for(org["south_leader"]).get("/wallboard/").status_code == 404
    assert client_for(org[Role.AGENT]).get("/wallboard/").status_code == 403


def test_the_menu_offers_the_wallboard_to_watchers_only(
    org: Any, campaign: Any, client_for: Any
) -> None:
    assert b'href="/wallboard/"' in client_for(org[Role.TEAM_LEADER]).get("/").content
    assert b'href="/wallboard/"' not in client_for(org[Role.AGENT]).get("/").content


def test_the_api_lists_the_campaigns_in_scope(org: Any, campaign: Any, client_for: Any) -> None:
    listed = client_for(org[Role.LOCATION_MANAGER]).get("/api/wallboard/campaigns").json()
    assert listed == [
        {"id": campaign.pk, "name": campaign.name, "state": "running", "location": "North"}
    ]
    assert client_for(org["south_manager"]).get("/api/wallboard/campaigns").json() == []
    refused = client_for(org[Role.AGENT]).get("/api/wallboard/campaigns")
    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "The wallboard is for team leaders, location managers and managers."
    }


def test_the_api_snapshot_is_the_engine_s_latest_figures_narrowed(
    org: Any, campaign: Any, client_for: Any
) -> None:
    figures = _figures(campaign, org)
    cache.set(latest_figures_key(campaign.pk), figures)

    board = client_for(org[Role.TEAM_LEADER]).get(f"/api/wallboard/campaigns/{campaign.pk}").json()
    assert board["is_live"] is True
    seen = board["figures"]
    assert seen["agents"] == [
        {
            "id": org[Role.AGENT].pk,
            "name": str(org[Role.AGENT]),
            "state": "ready",
            "since": figures["agent_states"][0]["since"],
            "reason": "",
        }
    ]
    assert seen["agent_counts"] == {"ready": 1}
    assert seen["dial_level"] == 1.75 and seen["dialable_leads"] == 900
    assert seen["hours"] == figures["hours"]
    manager = client_for(org[Role.MANAGER]).get(f"/api/wallboard/campaigns/{campaign.pk}").json()
    assert manager["figures"]["agent_counts"] == {"ready": 1, "paused": 1}
    assert [agent["reason"] for agent in manager["figures"]["agents"]] == ["lunch", ""]


def test_a_campaign_id_that_is_not_a_number_is_a_clear_error(org: Any, client_for: Any) -> None:
    response = client_for(org[Role.MANAGER]).get("/api/wallboard/campaigns/seven")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "campaign_id"
