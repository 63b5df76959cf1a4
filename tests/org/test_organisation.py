"""The organisation's rules, the same through the screens and the API."""

from __future__ import annotations

import pytest

from dialcrm.core.choices import Role
from dialcrm.org.models import Company, Location, Staff, Team


def _api_post(client, path, payload):
    return client.post(f"/api/org/{path}", payload, content_type="application/json")


def test_duplicate_names_are_refused_whatever_the_case(org, client_for):
    client = client_for(org[Role.ADMINISTRATOR])

    team = _api_post(client, "teams", {"location_id": org.north.pk, "name": "north 1"})
    location = _api_post(client, "locations", {"company_id": org.company.pk, "name": "NORTH"})
    form = client.post("/org/teams/add/", {"location": org.north.pk, "name": "North 1"})

    assert team.status_code == 422
    assert team.json() == {
        "detail": [{"field": "name", "message": "This location has a team with this name already."}]
    }
    assert (
        location.json()["detail"][0]["message"]
        == "This company has a location with this name already."
    )
    assert form.status_code == 422
    assert "This location has a team with this name already." in form.content.decode()
    assert Team.objects.filter(name__iexact="north 1").count() == 1


def test_the_same_team_name_is_fine_at_another_location(org, client_for):
    response = _api_post(
        client_for(org[Role.ADMINISTRATOR]),
        "teams",
        {"location_id": org.south.pk, "name": "North 1"},
    )

    assert response.status_code == 201


def test_a_team_leader_from_another_location_is_refused(org, client_for):
    response = _api_post(
        client_for(org[Role.ADMINISTRATOR]),
        "teams",
        {"location_id": org.north.pk, "name": "Mixed", "leader_id": org["south_leader"].pk},
    )

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "field": "leader",
            "message": "South.Leader works at another location; choose a leader from North.",
        }
    ]


def test_an_agent_cannot_lead_a_team(org, client_for):
    response = _api_post(
        client_for(org[Role.ADMINISTRATOR]),
        "teams",
        {"location_id": org.north.pk, "name": "Led by agent", "leader_id": org[Role.AGENT].pk},
    )

    assert response.status_code == 422
    assert (
        response.json()["detail"][0]["message"]
        == "North.Agent is not a team leader: give them that role first."
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"location_id": None, "team_id": None},
            "location",
            "A agent works at a location: choose one.",
        ),
        ({"level": None}, "level", "Say whether the agent is senior or a trainee."),
        ({"team_id": "south_team"}, "team", "This team works at another location."),
        ({"role": "quality", "level": "senior"}, "level", "Only agents have a level."),
        ({"username": "North.Teammate"}, "username", "This username is taken."),
        (
            {"password": "short"},
            None,
            "This password is too short. It must contain at least 10 characters.",
        ),
        ({"password": None}, "password", "Give a temporary password."),
    ],
)
def test_staff_rules(org, client_for, changes, field, message):
    payload = {
        "username": "newbie",
        "company_id": org.company.pk,
        "location_id": org.north.pk,
        "team_id": org.north_team.pk,
        "role": "agent",
        "level": "trainee",
        "password": "long-enough-pass",
    }
    payload.update(changes)
    if payload["team_id"] == "south_team":
        payload["team_id"] = org.south_team.pk

    response = _api_post(client_for(org[Role.ADMINISTRATOR]), "staff", payload)

    assert response.status_code == 422, response.content
    assert {"field": field, "message": message} in response.json()["detail"]
    assert not Staff.objects.filter(username="newbie").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "Gamma", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({}, "name"),
    ],
)
def test_company_input_is_validated(org, client_for, payload, field):
    admin = org[Role.ADMINISTRATOR]
    admin.is_superuser = True
    admin.save()

    response = _api_post(client_for(admin), "companies", payload)

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field
    assert Company.objects.count() == 2


def test_malformed_json_is_a_422_not_a_500(org, client_for):
    response = client_for(org[Role.ADMINISTRATOR]).post(
        "/api/org/locations", "{not json", content_type="application/json"
    )

    assert response.status_code in (400, 422)
    assert Location.objects.count() == 3


def test_unknown_objects_are_404_with_a_message(org, client_for):
    client = client_for(org[Role.ADMINISTRATOR])

    api = client.get("/api/org/teams/999999")
    page = client.get("/org/teams/999999/")

    assert api.status_code == 404
    assert api.json() == {"detail": "No such team."}
    assert page.status_code == 404
    assert "No such team." in page.content.decode()


def test_nobody_deactivates_themselves(org, client_for):
    admin = org[Role.ADMINISTRATOR]

    response = client_for(admin).delete(f"/api/org/staff/{admin.pk}")

    assert response.status_code == 422
    assert response.json()["detail"][0]["message"] == "You cannot deactivate your own account."
    admin.refresh_from_db()
    assert admin.is_active is True


def test_screens_search_and_filter(org, client_for):
    client = client_for(org[Role.ADMINISTRATOR])

    by_name = client.get("/org/staff/?q=teammate")
    by_role = client.get("/org/staff/?role=team_leader")

    assert [row["object"].username for row in by_name.context["rows"]] == ["north.teammate"]
    assert {row["object"].username for row in by_role.context["rows"]} == {
        "north.leader",
        "south.leader",
    }


def test_a_new_staff_member_starts_with_a_temporary_password(org, client_for):
    response = client_for(org[Role.LOCATION_MANAGER]).post(
        "/org/staff/add/",
        {
            "username": "fresh.agent",
            "first_name": "Fresh",
            "last_name": "Agent",
            "company": org.company.pk,
            "location": org.north.pk,
            "team": org.north_team.pk,
            "role": "agent",
            "level": "trainee",
            "language": "ro",
            "password": "temporary-pass-1",
        },
    )

    assert response.status_code == 302
    staff = Staff.objects.get(username="fresh.agent")
    assert staff.must_change_password is True
    assert staff.check_password("temporary-pass-1")
    assert staff.language == "ro"
