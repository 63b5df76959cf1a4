"""The seed's firewall: only networks the administrators allow reach dialcrm."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from dialcrm.core.choices import AuditAction, Role
from dialcrm.core.models import AuditEntry, NetworkRule
from dialcrm.core.network import forget_rules
from tests.conftest import PASSWORD


def _rule(network: str, location=None) -> NetworkRule:
    rule = NetworkRule.objects.create(
        network=network, location=location, company=location.company if location else None
    )
    forget_rules()
    return rule


def test_without_rules_every_network_reaches_sign_in(org):
    assert Client().get("/sign-in/", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_installation_rule_refuses_other_networks_with_a_clear_page(org):
    _rule("10.20.0.0/16")

    inside = Client().get("/sign-in/", REMOTE_ADDR="10.20.3.4")
    outside = Client().get("/sign-in/", REMOTE_ADDR="203.0.113.9")

    assert inside.status_code == 200
    assert outside.status_code == 403
    assert "This network is not allowed to reach dialcrm." in outside.content.decode()
    assert "203.0.113.9" in outside.content.decode()
    entry = AuditEntry.objects.get(action=AuditAction.REFUSED)
    assert entry.address == "203.0.113.9"
    assert entry.summary.startswith("GET /sign-in/")


def test_ipv6_rules(org):
    _rule("2001:db8:42::/48")

    assert Client().get("/sign-in/", REMOTE_ADDR="2001:db8:42::17").status_code == 200
    assert Client().get("/sign-in/", REMOTE_ADDR="2001:db8:43::1").status_code == 403


def test_ipv4_mapped_ipv6_address_matches_an_ipv4_rule(org):
    _rule("10.20.0.0/16")

    assert Client().get("/sign-in/", REMOTE_ADDR="::ffff:10.20.0.5").status_code == 200


def test_location_staff_sign_in_only_from_their_location(org):
    _rule("10.1.0.0/16", location=org.north)

    outside = Client().post(
        "/sign-in/", {"username": "north.agent", "password": PASSWORD}, REMOTE_ADDR="10.9.0.1"
    )
    inside = Client().post(
        "/sign-in/", {"username": "north.agent", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3"
    )
    south = Client().post(
        "/sign-in/", {"username": "south.agent", "password": PASSWORD}, REMOTE_ADDR="10.9.0.1"
    )

    assert outside.status_code == 422
    assert "only from your location&#x27;s networks" in outside.content.decode()
    assert inside.status_code == 302
    assert south.status_code == 302  # the south location has no rule
    assert AuditEntry.objects.filter(action=AuditAction.REFUSED, staff=org[Role.AGENT]).count() == 1


def test_a_session_moved_outside_the_location_network_is_ended(org):
    _rule("10.1.0.0/16", location=org.north)
    client = Client(REMOTE_ADDR="10.1.2.3")
    client.post("/sign-in/", {"username": "north.agent", "password": PASSWORD})

    response = client.get("/org/staff/", REMOTE_ADDR="198.51.100.4")

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_forwarded_header_is_ignored_unless_configured(org):
    _rule("10.20.0.0/16")

    spoofed = Client().get("/sign-in/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.20.0.1")

    assert spoofed.status_code == 403


@override_settings(CLIENT_IP_HEADER="X-Forwarded-For", TRUSTED_PROXY_COUNT=1)
def test_configured_header_takes_the_address_our_proxy_added(org):
    _rule("10.20.0.0/16")

    # The client forged the first entry; our proxy appended the real address.
    forged = Client().get(
        "/sign-in/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.20.0.1, 203.0.113.9"
    )
    real = Client().get(
        "/sign-in/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.20.0.1"
    )

    assert forged.status_code == 403
    assert real.status_code == 200


@pytest.mark.parametrize("network", ["10.0.0.0/33", "not-a-network", "300.1.1.1", ""])
def test_invalid_networks_are_refused_with_the_reason(org, client_for, network):
    client = client_for(org[Role.ADMINISTRATOR])

    form = client.post("/admin/networks/add/", {"network": network, "location": org.north.pk})
    api = client.post(
        "/api/admin/networks",
        {"network": network, "location_id": org.north.pk},
        content_type="application/json",
    )

    assert form.status_code == 422
    assert "network" in form.context["form"].errors
    assert api.status_code == 422
    assert api.json()["detail"][0]["field"] == "network"
    assert NetworkRule.objects.count() == 0


def test_rules_are_normalised_and_take_effect_at_once(
    org, client_for, django_capture_on_commit_callbacks
):
    client = client_for(org[Role.ADMINISTRATOR])
    Client().get("/sign-in/")  # the (empty) rules are now cached

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/admin/networks",
            {"network": "10.1.2.3/16", "location_id": org.north.pk, "description": "Floor 1"},
            content_type="application/json",
        )
    refused = Client().post(
        "/sign-in/", {"username": "north.agent", "password": PASSWORD}, REMOTE_ADDR="10.9.0.1"
    )

    assert response.status_code == 201
    assert response.json()["network"] == "10.1.0.0/16"
    assert refused.status_code == 422


def test_installation_wide_rules_are_for_the_superuser(org, client_for):
    response = client_for(org[Role.ADMINISTRATOR]).post(
        "/api/admin/networks", {"network": "10.0.0.0/8"}, content_type="application/json"
    )

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "field": "location",
            "message": "Choose a location: installation-wide rules are set by the superuser.",
        }
    ]
    assert NetworkRule.objects.count() == 0


def test_administrator_of_another_company_cannot_use_our_locations(org, client_for):
    response = client_for(org["other_admin"]).post(
        "/api/admin/networks",
        {"network": "10.0.0.0/8", "location_id": org.north.pk},
        content_type="application/json",
    )

    assert response.status_code == 404
    assert NetworkRule.objects.count() == 0
