"""Every screen and API route, for every role: what each may see and do, and that a refusal
changes nothing. The expectations are written out here, independently of the policy code."""

from __future__ import annotations

import pytest
from django.test import Client

from dialcrm.core.choices import Role
from dialcrm.org.models import Company, Location, Staff, Team

ROLES = [
    Role.ADMINISTRATOR,
    Role.MANAGER,
    Role.HUMAN_RESOURCES,
    Role.LOCATION_MANAGER,
    Role.TEAM_LEADER,
    Role.AGENT,
    Role.QUALITY,
    Role.BACK_OFFICE,
    "south_manager",
    "other_admin",
]

# Who sees whom in the staff list (company A has 11 people, company B 2).
COMPANY_A = {
    "administrator",
    "manager",
    "human_resources",
    "quality",
    "back_office",
    "north.manager",
    "south.manager",
    "north.leader",
    "south.leader",
    "north.agent",
    "north.teammate",
    "south.agent",
}
VISIBLE_STAFF = {
    Role.ADMINISTRATOR: COMPANY_A,
    Role.MANAGER: COMPANY_A,
    Role.HUMAN_RESOURCES: COMPANY_A,
    Role.QUALITY: COMPANY_A,
    Role.BACK_OFFICE: COMPANY_A,
    Role.LOCATION_MANAGER: {"north.manager", "north.leader", "north.agent", "north.teammate"},
    Role.TEAM_LEADER: {"north.leader", "north.agent", "north.teammate"},
    Role.AGENT: {"north.agent"},
    "south_manager": {"south.manager", "south.leader", "south.agent"},
    "other_admin": {"beta.admin", "beta.agent"},
}

# Status of GET <edit page> for an object, per role: 200 may change, 403 sees only, 404 unseen.
EDIT_TEAMMATE = {  # the agent north.teammate
    Role.ADMINISTRATOR: 200,
    Role.MANAGER: 403,
    Role.HUMAN_RESOURCES: 200,
    Role.LOCATION_MANAGER: 200,
    Role.TEAM_LEADER: 403,
    Role.AGENT: 404,
    Role.QUALITY: 403,
    Role.BACK_OFFICE: 403,
    "south_manager": 404,
    "other_admin": 404,
}
EDIT_NORTH_TEAM = {
    Role.ADMINISTRATOR: 200,
    Role.MANAGER: 200,
    Role.HUMAN_RESOURCES: 403,
    Role.LOCATION_MANAGER: 200,
    Role.TEAM_LEADER: 403,
    Role.AGENT: 403,
    Role.QUALITY: 403,
    Role.BACK_OFFICE: 403,
    "south_manager": 404,
    "other_admin": 404,
}
EDIT_NORTH_LOCATION = {
    Role.ADMINISTRATOR: 200,
    Role.MANAGER: 200,
    Role.HUMAN_RESOURCES: 403,
    Role.LOCATION_MANAGER: 403,
    Role.TEAM_LEADER: 403,
    Role.AGENT: 403,
    Role.QUALITY: 403,
    Role.BACK_OFFICE: 403,
    "south_manager": 404,
    "other_admin": 404,
}
EDIT_COMPANY = {
    Role.ADMINISTRATOR: 200,
    Role.MANAGER: 200,
    Role.HUMAN_RESOURCES: 403,
    Role.LOCATION_MANAGER: 403,
    Role.TEAM_LEADER: 403,
    Role.AGENT: 403,
    Role.QUALITY: 403,
    Role.BACK_OFFICE: 403,
    "south_manager": 403,
    "other_admin": 404,
}
ADD_PAGES = {  # url -> roles that may open it (everyone else: 403)
    "/org/companies/add/": set(),
    "/org/locations/add/": {Role.ADMINISTRATOR, Role.MANAGER, "other_admin"},
    "/org/teams/add/": {
        Role.ADMINISTRATOR,
        Role.MANAGER,
        Role.LOCATION_MANAGER,
        "south_manager",
        "other_admin",
    },
    "/org/staff/add/": {
        Role.ADMINISTRATOR,
        Role.HUMAN_RESOURCES,
        Role.LOCATION_MANAGER,
        "south_manager",
        "other_admin",
    },
    "/admin/networks/add/": {Role.ADMINISTRATOR, "other_admin"},
    "/admin/tokens/add/": {Role.ADMINISTRATOR, "other_admin"},
    "/webhooks/add/": {Role.ADMINISTRATOR, "other_admin"},
}
ADMIN_ONLY_PAGES = ["/admin/audit/", "/admin/networks/", "/admin/tokens/", "/webhooks/"]
LIST_PAGES = ["/", "/org/companies/", "/org/locations/", "/org/teams/", "/org/staff/"]


def _edit_targets(org):
    return [
        (f"/org/staff/{org['teammate'].pk}/", EDIT_TEAMMATE),
        (f"/org/teams/{org.north_team.pk}/", EDIT_NORTH_TEAM),
        (f"/org/locations/{org.north.pk}/", EDIT_NORTH_LOCATION),
        (f"/org/companies/{org.company.pk}/", EDIT_COMPANY),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_screens_by_role(org, client_for, role):
    client = client_for(org[role])

    for url in LIST_PAGES:
        assert client.get(url).status_code == 200, url
    for url in ADMIN_ONLY_PAGES:
        expected = 200 if role in (Role.ADMINISTRATOR, "other_admin") else 403
        assert client.get(url).status_code == expected, url
    for url, allowed in ADD_PAGES.items():
        assert client.get(url).status_code == (200 if role in allowed else 403), url
    for url, expected in _edit_targets(org):
        assert client.get(url).status_code == expected[role], url


@pytest.mark.parametrize("role", ROLES)
def test_staff_list_shows_only_the_scope(org, client_for, role):
    response = client_for(org[role]).get("/org/staff/")

    shown = {row["object"].username for row in response.context["rows"]}
    assert shown == VISIBLE_STAFF[role]


@pytest.mark.parametrize("role", ROLES)
def test_refused_changes_leave_everything_as_it_was(org, client_for, role):
    client = client_for(org[role])
    team = org.north_team

    rename = client.post(f"/org/teams/{team.pk}/", {"location": org.north.pk, "name": "Renamed"})
    deactivate = client.post(f"/org/teams/{team.pk}/deactivate/")

    team.refresh_from_db()
    if EDIT_NORTH_TEAM[role] == 200:
        assert rename.status_code == 302
        assert team.name == "Renamed"
        assert deactivate.status_code == 302
        assert team.is_active is False
    else:
        assert rename.status_code == EDIT_NORTH_TEAM[role]
        assert deactivate.status_code == EDIT_NORTH_TEAM[role]
        assert team.name == "North 1"
        assert team.is_active is True


def test_anonymous_is_sent_to_sign_in_and_api_answers_401(org):
    client = Client()

    for url in LIST_PAGES[1:] + ADMIN_ONLY_PAGES + list(ADD_PAGES):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/sign-in/?next="), url
    for url in ["/api/org/staff", "/api/org/teams", "/api/admin/audit"]:
        assert client.get(url).status_code == 401, url
    response = client.post("/org/teams/add/", {"location": org.north.pk, "name": "Sneaky"})
    assert response.status_code == 302
    assert not Team.objects.filter(name="Sneaky").exists()


API_TEAM = {role: status for role, status in EDIT_NORTH_TEAM.items()}


@pytest.mark.parametrize("role", ROLES)
def test_api_routes_by_role(org, client_for, role):
    client = client_for(org[role])
    team = org.north_team

    listed = client.get("/api/org/staff?limit=100")
    read = client.get(f"/api/org/teams/{team.pk}")
    patched = client.patch(
        f"/api/org/teams/{team.pk}",
        {"location_id": org.north.pk, "name": "Via API", "leader_id": org[Role.TEAM_LEADER].pk},
        content_type="application/json",
    )

    assert listed.status_code == 200
    assert {item["username"] for item in listed.json()["items"]} == VISIBLE_STAFF[role]
    assert read.status_code == (404 if API_TEAM[role] == 404 else 200)
    assert patched.status_code == API_TEAM[role]
    team.refresh_from_db()
    assert team.name == ("Via API" if API_TEAM[role] == 200 else "North 1")


@pytest.mark.parametrize("role", ROLES)
def test_api_create_staff_by_role(org, client_for, role):
    client = client_for(org[role])
    payload = {
        "username": "new.agent",
        "company_id": org.company.pk,
        "location_id": org.north.pk,
        "team_id": org.north_team.pk,
        "role": "agent",
        "level": "trainee",
        "password": "a-long-temporary-pass",
    }

    response = client.post("/api/org/staff", payload, content_type="application/json")

    expected = {
        Role.ADMINISTRATOR: 201,
        Role.HUMAN_RESOURCES: 201,
        Role.LOCATION_MANAGER: 201,
        "south_manager": 404,  # the north location is out of their sight
        "other_admin": 404,  # so is company A
    }.get(role, 403)
    assert response.status_code == expected, response.content
    assert Staff.objects.filter(username="new.agent").exists() is (expected == 201)


def test_location_manager_cannot_place_a_team_in_another_location(org, client_for):
    client = client_for(org[Role.LOCATION_MANAGER])

    form = client.post("/org/teams/add/", {"location": org.south.pk, "name": "Outpost"})
    api = client.post(
        "/api/org/teams",
        {"location_id": org.south.pk, "name": "Outpost"},
        content_type="application/json",
    )

    assert form.status_code == 422
    assert "location" in form.context["form"].errors
    assert api.status_code == 404
    assert not Team.objects.filter(name="Outpost").exists()


@pytest.mark.parametrize(
    ("role", "granted", "expected"),
    [
        (Role.LOCATION_MANAGER, "administrator", 422),
        (Role.LOCATION_MANAGER, "team_leader", 201),
        (Role.HUMAN_RESOURCES, "administrator", 422),
        (Role.HUMAN_RESOURCES, "manager", 201),
        (Role.ADMINISTRATOR, "administrator", 201),
    ],
)
def test_nobody_grants_a_role_above_their_own(org, client_for, role, granted, expected):
    payload = {
        "username": "promoted",
        "company_id": org.company.pk,
        "location_id": org.north.pk,
        "role": granted,
        "password": "a-long-temporary-pass",
    }

    response = client_for(org[role]).post(
        "/api/org/staff", payload, content_type="application/json"
    )

    assert response.status_code == expected, response.content
    if expected == 422:
        assert response.json()["detail"][0]["field"] == "role"
    assert Staff.objects.filter(username="promoted").exists() is (expected == 201)


def test_location_manager_cannot_change_an_administrator_at_their_location(org, client_for):
    admin = org[Role.ADMINISTRATOR]
    admin.location = org.north
    admin.save()

    response = client_for(org[Role.LOCATION_MANAGER]).patch(
        f"/api/org/staff/{admin.pk}",
        {
            "username": admin.username,
            "company_id": org.company.pk,
            "location_id": org.north.pk,
            "role": "agent",
            "level": "senior",
        },
        content_type="application/json",
    )

    assert response.status_code == 403
    admin.refresh_from_db()
    assert admin.role == Role.ADMINISTRATOR


def test_companies_are_added_only_by_the_superuser(org, client_for):
    admin = org[Role.ADMINISTRATOR]

    refused = client_for(admin).post(
        "/api/org/companies", {"name": "Gamma"}, content_type="application/json"
    )
    admin.is_superuser = True
    admin.save()
    created = client_for(admin).post(
        "/api/org/companies", {"name": "Gamma"}, content_type="application/json"
    )

    assert refused.status_code == 403
    assert created.status_code == 201
    assert Company.objects.filter(name="Gamma").count() == 1


def test_deactivated_objects_leave_lists_but_stay_readable(org, client_for):
    client = client_for(org[Role.ADMINISTRATOR])

    client.post(f"/org/locations/{org.south.pk}/deactivate/")

    assert Location.objects.get(pk=org.south.pk).is_active is False
    active = client.get("/api/org/locations").json()["items"]
    everything = client.get("/api/org/locations?include_inactive=true").json()["items"]
    assert [item["name"] for item in active] == ["North"]
    assert sorted(item["name"] for item in everything) == ["North", "South"]


# The desk: who takes calls (agents and team leaders) opens it; everyone else is refused.
DESK_USERS = {Role.AGENT, Role.TEAM_LEADER}


@pytest.mark.parametrize("role", ROLES)
def test_the_desk_by_role(org, client_for, role):
    client = client_for(org[role])
    expected = 200 if role in DESK_USERS else 403

    assert client.get("/desk/").status_code == expected
    assert client.get("/api/desk/transfer-targets").status_code == expected
    assert client.get("/api/desk/calls/current").status_code == expected


# Starting work on North 1's running campaign: its agents and its team leader may; the people
# of the other location get "choose one of your campaigns" (the campaign is not theirs).
START_WORK = {
    Role.AGENT: 201,
    Role.TEAM_LEADER: 201,
    "south_leader": 422,
    "south_agent": 422,
    Role.LOCATION_MANAGER: 403,
    Role.QUALITY: 403,
}


@pytest.mark.parametrize("who", list(START_WORK))
def test_starting_work_on_a_campaign_by_role(org, client_for, who):
    import json

    from dialcrm.desk.models import DeskSession
    from tests.dialer.engine.conftest import make_running_campaign

    campaign = make_running_campaign(org, leads=1, dial_mode="progressive").campaign
    response = client_for(org[who]).post(
        "/api/desk/work",
        json.dumps({"campaign_id": campaign.pk, "endpoint": "PJSIP/desk"}),
        content_type="application/json",
    )

    assert response.status_code == START_WORK[who]
    assert DeskSession.objects.filter(agent=org[who]).exists() == (START_WORK[who] == 201)
