"""The location manager's flow: clients, call lists, campaigns, and starting a campaign."""

from __future__ import annotations

import datetime

import pytest

from dialcrm.campaigns.choices import CampaignState, StatusCategory
from dialcrm.campaigns.models import (
    CallList,
    Campaign,
    Client,
    Lead,
    Phone,
    Status,
    WorkSheet,
    WorkSheetVersion,
)
from dialcrm.core.choices import AuditAction, Role
from dialcrm.core.models import AuditEntry


def _post(client, path, payload):
    return client.post(f"/api/campaigns/{path}", payload, content_type="application/json")


@pytest.fixture
def setup(org):
    """A client with a list of two leads, a work sheet, statuses and a draft campaign at North."""
    client = Client.objects.create(company=org.company, name="Energia SA")
    call_list = CallList.objects.create(client=client, name="Bucharest prospects")
    for index, number in enumerate(["+40721000001", "+40721000002"]):
        lead = Lead.objects.create(call_list=call_list, first_name="Ana", last_name=f"Pop{index}")
        Phone.objects.create(lead=lead, number=number, country="RO", time_zone="Europe/Bucharest")
    sheet = WorkSheet.objects.create(company=org.company, name="Offer")
    WorkSheetVersion.objects.create(sheet=sheet, number=1, definition={"groups": []})
    sale = Status.objects.create(
        company=org.company, code="SALE", label="Sale", category=StatusCategory.SALE, is_final=True
    )
    no_answer = Status.objects.create(
        company=org.company,
        code="NA",
        label="No answer",
        category=StatusCategory.NO_ANSWER,
        retry_after_minutes=60,
    )
    campaign = Campaign.objects.create(client=client, location=org.north, name="Winter offer")
    return {
        "client": client,
        "list": call_list,
        "sheet": sheet,
        "statuses": [sale, no_answer],
        "campaign": campaign,
    }


def _make_ready(org, setup) -> Campaign:
    campaign = setup["campaign"]
    campaign.work_sheet = setup["sheet"]
    campaign.caller_id = "+40215550000"
    campaign.save()
    campaign.statuses.set(setup["statuses"])
    campaign.teams.set([org.north_team])
    campaign.list_links.create(call_list=setup["list"], priority=1)
    return campaign


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.LOCATION_MANAGER, 201),
        (Role.ADMINISTRATOR, 201),
        (Role.MANAGER, 201),
        (Role.AGENT, 403),
        (Role.BACK_OFFICE, 403),
        ("other_admin", 404),
    ],
)
def test_who_adds_clients(org, client_for, role, expected):
    response = _post(
        client_for(org[role]), "clients", {"company_id": org.company.pk, "name": "Telco SRL"}
    )

    assert response.status_code == expected
    assert Client.objects.filter(name="Telco SRL").exists() is (expected == 201)


def test_call_list_country_is_normalised_and_checked(org, client_for, setup):
    client = client_for(org[Role.LOCATION_MANAGER])

    created = _post(
        client, "lists", {"client_id": setup["client"].pk, "name": "Cluj", "default_country": "ro"}
    )
    bad = _post(
        client,
        "lists",
        {"client_id": setup["client"].pk, "name": "Nowhere", "default_country": "R0"},
    )

    assert created.status_code == 201
    assert created.json()["default_country"] == "RO"
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "default_country"


def _campaign_payload(org, setup, **changes):
    payload = {
        "client_id": setup["client"].pk,
        "location_id": org.north.pk,
        "name": "Spring offer",
        "work_sheet_id": setup["sheet"].pk,
        "status_ids": [status.pk for status in setup["statuses"]],
        "team_ids": [org.north_team.pk],
        "caller_id": "+40215550000",
    }
    payload.update(changes)
    return payload


def test_a_campaign_is_created_with_its_settings_and_relations(org, client_for, setup):
    response = _post(
        client_for(org[Role.LOCATION_MANAGER]), "campaigns", _campaign_payload(org, setup)
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "draft"
    assert body["max_abandon_rate"] == "3.00"
    assert body["connect_window_s"] == "2.0"
    assert body["ring_timeout_s"] == 25
    assert body["calling_hours_start"] == "08:00:00"
    campaign = Campaign.objects.get(pk=body["id"])
    assert sorted(campaign.statuses.values_list("code", flat=True)) == ["NA", "SALE"]
    assert list(campaign.teams.all()) == [org.north_team]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ring_timeout_s": 14}, "ring_timeout_s"),
        ({"max_wrap_up_s": 5}, "max_wrap_up_s"),
        ({"max_abandon_rate": "3.5"}, "max_abandon_rate"),
        ({"connect_window_s": "2.5"}, "connect_window_s"),
        ({"calling_hours_start": "21:00", "calling_hours_end": "08:00"}, "calling_hours_end"),
        ({"calling_days": [7]}, "calling_days"),
        ({"calling_days": []}, "calling_days"),
        ({"redial_delays": {"NA": 0}}, "redial_delays"),
        ({"starts_on": "2026-12-10", "ends_on": "2026-12-01"}, "ends_on"),
        ({"dial_mode": "telepathic"}, "dial_mode"),
    ],
)
def test_bad_campaign_settings_are_refused_with_the_field(org, client_for, setup, changes, field):
    response = _post(
        client_for(org[Role.LOCATION_MANAGER]),
        "campaigns",
        _campaign_payload(org, setup, **changes),
    )

    assert response.status_code == 422, response.content
    assert field in [item["field"] for item in response.json()["detail"]]
    assert not Campaign.objects.filter(name="Spring offer").exists()


def test_a_team_of_another_location_is_refused(org, client_for, setup):
    response = _post(
        client_for(org[Role.ADMINISTRATOR]),
        "campaigns",
        _campaign_payload(org, setup, team_ids=[org.south_team.pk]),
    )

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "teams", "message": "South 1 works at another location."}
    ]
    assert not Campaign.objects.filter(name="Spring offer").exists()


def test_another_company_statuses_are_not_even_visible(org, client_for, setup):
    foreign = Status.objects.create(
        company=org.other_company, code="X", label="X", category="sale", is_final=True
    )

    response = _post(
        client_for(org[Role.ADMINISTRATOR]),
        "campaigns",
        _campaign_payload(org, setup, status_ids=[foreign.pk]),
    )

    assert response.status_code == 404
    assert not Campaign.objects.filter(name="Spring offer").exists()


def test_starting_says_what_is_missing_and_changes_nothing(org, client_for, setup):
    campaign = setup["campaign"]

    response = client_for(org[Role.LOCATION_MANAGER]).post(
        f"/api/campaigns/campaigns/{campaign.pk}/start"
    )

    assert response.status_code == 422
    messages = [item["message"] for item in response.json()["detail"]]
    assert messages == [
        "Add at least one active call list.",
        "Assign agents or a team with agents.",
        "Choose a work sheet (with at least one version).",
        "Choose the statuses agents may set.",
        "Set the caller ID shown to the people called.",
    ]
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.DRAFT


def test_a_ready_campaign_starts_pauses_stops_and_completes_with_audit(org, client_for, setup):
    campaign = _make_ready(org, setup)
    client = client_for(org[Role.LOCATION_MANAGER])

    states = []
    for action in ("start", "pause", "start", "stop", "complete"):
        response = client.post(
            f"/api/campaigns/campaigns/{campaign.pk}/{action}?reason={action}+now"
        )
        assert response.status_code == 200, response.content
        states.append(response.json()["state"])

    assert states == ["running", "paused", "running", "stopped", "completed"]
    entries = AuditEntry.objects.filter(
        action=AuditAction.UPDATE, object_type="campaigns.campaign", object_id=str(campaign.pk)
    )
    assert [entry.changes["state"] for entry in entries.order_by("pk")] == [
        ["draft", "running"],
        ["running", "paused"],
        ["paused", "running"],
        ["running", "stopped"],
        ["stopped", "completed"],
    ]
    assert all(entry.staff == org[Role.LOCATION_MANAGER] for entry in entries)


@pytest.mark.parametrize(
    ("state", "action"),
    [("draft", "pause"), ("completed", "start"), ("draft", "stop"), ("running", "start")],
)
def test_impossible_transitions_are_refused(org, client_for, setup, state, action):
    campaign = _make_ready(org, setup)
    Campaign.objects.filter(pk=campaign.pk).update(state=state)

    response = client_for(org[Role.LOCATION_MANAGER]).post(
        f"/api/campaigns/campaigns/{campaign.pk}/{action}"
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "state"
    campaign.refresh_from_db()
    assert campaign.state == state


def test_lists_without_leads_left_are_not_enough(org, client_for, setup):
    campaign = _make_ready(org, setup)
    Lead.objects.update(state="final")

    response = client_for(org[Role.LOCATION_MANAGER]).get(
        f"/api/campaigns/campaigns/{campaign.pk}/readiness"
    )

    assert response.json() == {
        "is_ready": False,
        "problems": ["The call lists have no lead left to call: import leads first."],
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.AGENT, 403),
        (Role.TEAM_LEADER, 403),
        ("south_manager", 404),
        ("other_admin", 404),
        (Role.MANAGER, 200),
    ],
)
def test_who_may_start_a_campaign(org, client_for, setup, role, expected):
    campaign = _make_ready(org, setup)

    response = client_for(org[role]).post(f"/api/campaigns/campaigns/{campaign.pk}/start")

    assert response.status_code == expected
    campaign.refresh_from_db()
    assert campaign.state == ("running" if expected == 200 else "draft")


def test_agents_see_only_their_campaigns_and_team_leaders_their_teams(org, client_for, setup):
    assigned = _make_ready(org, setup)
    Campaign.objects.create(client=setup["client"], location=org.north, name="Not theirs")
    Campaign.objects.create(
        client=setup["client"], location=org.north, name="In person"
    ).agents.add(org["teammate"])

    agent_view = client_for(org[Role.AGENT]).get("/api/campaigns/campaigns").json()
    leader_view = client_for(org[Role.TEAM_LEADER]).get("/api/campaigns/campaigns").json()
    manager_view = client_for(org[Role.LOCATION_MANAGER]).get("/api/campaigns/campaigns").json()

    teammate_view = client_for(org["teammate"]).get("/api/campaigns/campaigns").json()

    assert [item["name"] for item in agent_view["items"]] == [assigned.name]  # through the team
    assert sorted(item["name"] for item in teammate_view["items"]) == ["In person", "Winter offer"]
    assert sorted(item["name"] for item in leader_view["items"]) == ["In person", "Winter offer"]
    assert sorted(item["name"] for item in manager_view["items"]) == [
        "In person",
        "Not theirs",
        "Winter offer",
    ]


def test_running_campaigns_keep_their_mode_until_paused(org, client_for, setup):
    campaign = _make_ready(org, setup)
    client = client_for(org[Role.LOCATION_MANAGER])
    client.post(f"/api/campaigns/campaigns/{campaign.pk}/start")

    response = client.patch(
        f"/api/campaigns/campaigns/{campaign.pk}",
        _campaign_payload(org, setup, name="Winter offer", dial_mode="preview"),
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "dial_mode", "message": "Pause the campaign before changing this."}
    ]


def test_lists_and_priorities_are_set_and_logged(org, client_for, setup):
    other = CallList.objects.create(client=setup["client"], name="Cluj prospects")
    campaign = setup["campaign"]

    response = client_for(org[Role.LOCATION_MANAGER]).put(
        f"/api/campaigns/campaigns/{campaign.pk}/lists",
        [{"list_id": other.pk, "priority": 1}, {"list_id": setup["list"].pk, "priority": 2}],
        content_type="application/json",
    )

    assert response.status_code == 200
    assert sorted((link.call_list.name, link.priority) for link in campaign.list_links.all()) == [
        ("Bucharest prospects", 2),
        ("Cluj prospects", 1),
    ]
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="campaigns.campaign")
    assert entry.changes["call_lists"] == [[], sorted([[other.pk, 1], [setup["list"].pk, 2]])]


def test_a_list_of_another_client_cannot_join(org, client_for, setup):
    stranger = CallList.objects.create(
        client=Client.objects.create(company=org.company, name="Other"), name="X"
    )

    response = client_for(org[Role.LOCATION_MANAGER]).put(
        f"/api/campaigns/campaigns/{setup['campaign'].pk}/lists",
        [{"list_id": stranger.pk}],
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["message"] == "X belongs to another client."
    assert not setup["campaign"].list_links.exists()


def test_the_campaign_screens_walk_the_flow(org, client_for, setup):
    client = client_for(org[Role.LOCATION_MANAGER])
    campaign = setup["campaign"]

    page = client.get(f"/campaigns/{campaign.pk}/")
    lists = client.post(f"/campaigns/{campaign.pk}/", {f"list_{setup['list'].pk}": "1"})
    refused = client.post(f"/campaigns/{campaign.pk}/start/")
    after = client.get(f"/campaigns/{campaign.pk}/")

    assert page.status_code == 200
    assert "Add at least one active call list." in page.content.decode()
    assert lists.status_code == 302
    assert refused.status_code == 302
    assert "Assign agents or a team with agents." in after.content.decode()
    assert "Add at least one active call list." not in after.content.decode()
    campaign.refresh_from_db()
    assert campaign.state == "draft"


def test_the_campaign_form_creates_a_campaign(org, client_for, setup):
    response = client_for(org[Role.LOCATION_MANAGER]).post(
        "/campaigns/add/",
        {
            "client": setup["client"].pk,
            "location": org.north.pk,
            "name": "Form campaign",
            "objective_kind": "sales",
            "objective_target": "50",
            "planned_hours": "80",
            "dial_mode": "progressive",
            "max_abandon_rate": "3",
            "connect_window_s": "2",
            "ring_timeout_s": "20",
            "max_attempts_per_number": "4",
            "max_attempts_per_lead": "8",
            "calling_hours_start": "09:00",
            "calling_hours_end": "20:00",
            "calling_days": ["0", "1", "2"],
            "machine_handling": "hang_up",
            "no_redial_after_abandon_hours": "72",
            "max_wrap_up_s": "90",
            "statuses": [status.pk for status in setup["statuses"]],
            "redial_delays": "{}",
        },
    )

    campaign = Campaign.objects.get(name="Form campaign")
    assert campaign.max_wrap_up_s == 90
    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{campaign.pk}/"
    assert campaign.calling_days == [0, 1, 2]
    assert campaign.calling_hours_start == datetime.time(9, 0)
    assert campaign.statuses.count() == 2
