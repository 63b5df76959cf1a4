"""API tokens for integrations: scoped, revocable, stored hashed, acting as their owner."""

from __future__ import annotations

import datetime
import hashlib

from django.test import Client
from django.utils import timezone

from dialcrm.core.choices import AuditAction, Role
from dialcrm.core.models import ApiToken, AuditEntry
from dialcrm.org.models import Location


def _create_token(org, client_for, scope: str = "read", staff=None) -> str:
    response = client_for(org[Role.ADMINISTRATOR]).post(
        "/admin/tokens/add/",
        {"name": "CRM sync", "staff": (staff or org[Role.MANAGER]).pk, "scope": scope},
    )
    assert response.status_code == 200
    return response.context["key"]


def test_the_key_is_shown_once_and_stored_only_as_a_digest(org, client_for):
    key = _create_token(org, client_for)

    token = ApiToken.objects.get()
    assert key.startswith("dcrm_")
    assert token.key_digest == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiToken.objects.values().get())
    assert key not in str(list(AuditEntry.objects.values_list("changes", flat=True)))


def test_a_token_acts_as_its_owner_within_their_scope(org, client_for):
    key = _create_token(org, client_for, staff=org[Role.LOCATION_MANAGER])

    response = Client().get("/api/org/staff?limit=100", HTTP_AUTHORIZATION=f"Bearer {key}")
    by_header = Client().get("/api/org/teams", HTTP_X_API_KEY=key)

    assert response.status_code == 200
    assert {item["username"] for item in response.json()["items"]} == {
        "north.manager",
        "north.leader",
        "north.agent",
        "north.teammate",
    }
    assert [item["name"] for item in by_header.json()["items"]] == ["North 1"]
    assert ApiToken.objects.get().last_used_at is not None


def test_a_read_token_cannot_write(org, client_for):
    key = _create_token(org, client_for, scope="read")

    response = Client().post(
        "/api/org/locations",
        {"company_id": org.company.pk, "name": "West"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )

    assert response.status_code == 403
    assert "may only read" in response.json()["detail"]
    assert not Location.objects.filter(name="West").exists()


def test_a_write_token_writes_and_the_log_names_the_token(org, client_for):
    key = _create_token(org, client_for, scope="write")

    response = Client().post(
        "/api/org/locations",
        {"company_id": org.company.pk, "name": "West"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        REMOTE_ADDR="10.7.7.7",
    )

    assert response.status_code == 201
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="org.location")
    assert entry.staff == org[Role.MANAGER]
    assert entry.token == ApiToken.objects.get()
    assert entry.address == "10.7.7.7"


def test_revoked_expired_and_unknown_tokens_are_refused(org, client_for):
    key = _create_token(org, client_for)
    token = ApiToken.objects.get()

    client_for(org[Role.ADMINISTRATOR]).post(f"/admin/tokens/{token.pk}/revoke/")
    revoked = Client().get("/api/org/staff", HTTP_AUTHORIZATION=f"Bearer {key}")
    second_key = _create_token(org, client_for)
    ApiToken.objects.filter(revoked_at__isnull=True).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    expired = Client().get("/api/org/staff", HTTP_AUTHORIZATION=f"Bearer {second_key}")
    unknown = Client().get("/api/org/staff", HTTP_AUTHORIZATION="Bearer dcrm_nonsense")

    assert revoked.status_code == 401
    assert expired.status_code == 401
    assert unknown.status_code == 401
    assert "Bearer" in unknown.json()["detail"]


def test_a_token_of_a_deactivated_person_is_refused(org, client_for):
    key = _create_token(org, client_for)
    manager = org[Role.MANAGER]
    manager.is_active = False
    manager.save()

    assert Client().get("/api/org/staff", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_only_administrators_manage_tokens_and_only_for_their_company(org, client_for):
    refused = client_for(org[Role.MANAGER]).post(
        "/admin/tokens/add/", {"name": "x", "staff": org[Role.MANAGER].pk, "scope": "read"}
    )
    foreign = client_for(org["other_admin"]).post(
        "/admin/tokens/add/", {"name": "x", "staff": org[Role.MANAGER].pk, "scope": "read"}
    )

    assert refused.status_code == 403
    assert foreign.status_code == 422  # company A's people are not a choice for them
    assert ApiToken.objects.count() == 0
