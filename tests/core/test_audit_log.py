"""Every change by a person or a token is logged with who, when, where and what changed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from dialcrm.core.choices import AuditAction, Role
from dialcrm.core.models import AuditEntry
from dialcrm.org.models import Team


def test_a_change_through_a_screen_records_before_and_after(org, client_for):
    admin = org[Role.ADMINISTRATOR]
    team = org.north_team

    client_for(admin).post(
        f"/org/teams/{team.pk}/",
        {"location": org.north.pk, "name": "North Stars", "leader": org[Role.TEAM_LEADER].pk},
        REMOTE_ADDR="10.5.5.5",
    )

    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="org.team")
    assert entry.staff == admin
    assert entry.address == "10.5.5.5"
    assert entry.object_id == str(team.pk)
    assert entry.object_repr == "North Stars"
    assert entry.company == org.company
    assert entry.changes == {"name": ["North 1", "North Stars"]}


def test_a_creation_through_the_api_records_every_field(org, client_for):
    client_for(org[Role.MANAGER]).post(
        "/api/org/locations",
        {"company_id": org.company.pk, "name": "West"},
        content_type="application/json",
    )

    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="org.location")
    assert entry.staff == org[Role.MANAGER]
    assert entry.changes["name"] == [None, "West"]
    assert entry.changes["company_id"] == [None, org.company.pk]


def test_passwords_show_as_changed_but_never_their_value(org, client_for):
    agent = org[Role.AGENT]

    client_for(org[Role.ADMINISTRATOR]).post(
        f"/org/staff/{agent.pk}/password/", {"temporary_password": "fresh-temporary-77"}
    )

    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="org.staff")
    assert entry.changes["password"] == ["[hidden]", "[hidden]"]
    assert entry.changes["must_change_password"] == [False, True]
    assert "argon2" not in str(entry.changes)


def test_a_refused_change_leaves_no_entry(org, client_for):
    client_for(org[Role.AGENT]).post(f"/org/teams/{org.north_team.pk}/", {"name": "Hijacked"})

    assert not AuditEntry.objects.filter(action=AuditAction.UPDATE).exists()


def test_a_failed_validation_leaves_no_entry_and_no_change(org, client_for):
    response = client_for(org[Role.ADMINISTRATOR]).post(
        "/api/org/teams",
        {"location_id": org.north.pk, "name": "Mixed", "leader_id": org["south_leader"].pk},
        content_type="application/json",
    )

    assert response.status_code == 422
    assert not Team.objects.filter(name="Mixed").exists()
    assert not AuditEntry.objects.filter(object_type="org.team").exists()


def test_system_writes_are_not_attributed_to_anyone(org):
    team = Team.objects.get(pk=org.north_team.pk)
    team.name = "Renamed by a script"
    team.save()

    assert not AuditEntry.objects.exists()


def test_entries_cannot_be_changed_or_deleted(org, client_for):
    client_for(org[Role.MANAGER]).post(
        "/api/org/locations",
        {"company_id": org.company.pk, "name": "West"},
        content_type="application/json",
    )
    entry = AuditEntry.objects.get(action=AuditAction.CREATE)

    entry.summary = "tampered"
    with pytest.raises(ValidationError, match="cannot be changed"):
        entry.save()
    with pytest.raises(ValidationError, match="cannot be deleted"):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).summary == ""


def test_the_audit_screen_searches_and_filters(org, client_for):
    admin = client_for(org[Role.ADMINISTRATOR])
    admin.post(
        "/api/org/locations",
        {"company_id": org.company.pk, "name": "West"},
        content_type="application/json",
    )
    admin.post(
        "/api/org/locations",
        {"company_id": org.company.pk, "name": "East"},
        content_type="application/json",
    )

    by_text = admin.get("/admin/audit/?q=West")
    by_action = admin.get("/admin/audit/?action=create&object_type=org.location")
    bad_date = admin.get("/admin/audit/?since=yesterday")

    assert [entry.object_repr for entry in by_text.context["page"]] == ["West"]
    assert sorted(entry.object_repr for entry in by_action.context["page"]) == ["East", "West"]
    assert bad_date.status_code == 400
    assert "is not a date (YYYY-MM-DD)" in bad_date.content.decode()


def test_administrators_see_only_their_company_entries(org, client_for):
    client_for(org[Role.MANAGER]).post(
        "/api/org/locations",
        {"company_id": org.company.pk, "name": "West"},
        content_type="application/json",
    )

    ours = client_for(org[Role.ADMINISTRATOR]).get("/api/admin/audit").json()
    theirs = client_for(org["other_admin"]).get("/api/admin/audit").json()

    assert [item["object_repr"] for item in ours["items"]] == ["West"]
    assert theirs["items"] == []
