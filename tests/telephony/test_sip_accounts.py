"""The agents' SIP accounts: derived passwords, pjsip_agents.conf written from the staff list, and
the softphone's own account from the API."""

from __future__ import annotations

import io
import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from pytest_django.fixtures import Settings

from dialcrm.core.choices import Role
from dialcrm.org.models import Staff
from dialcrm.telephony.sip import Account, endpoints_config, sip_password
from tests.conftest import Org

SECRET = "sip-secret-for-tests-5c1d"
ClientFor = Callable[[Staff], Client]
SECTION = re.compile(r"^\[(?P<name>[a-z0-9-]+)\](?:\((?P<template>[a-z0-9-]+)\))?$")


def parse_pjsip(text: str) -> dict[tuple[str, str], dict[str, str]]:
    """Asterisk's configuration syntax as pjsip reads it: `[name](template)` headers, `key=value`
    lines, `;` comments. Keyed by (name, template) since auth, aor and endpoint share a name."""
    sections: dict[tuple[str, str], dict[str, str]] = {}
    current: dict[str, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        header = SECTION.match(line)
        if header:
            key = (header["name"], header["template"] or "")
            assert key not in sections, f"line {number}: {key} twice"
            current = sections[key] = {}
            continue
        assert current is not None and "=" in line, f"line {number} is not key=value: {raw!r}"
        option, value = line.split("=", 1)
        current[option.strip()] = value.strip()
    return sections


def test_passwords_derive_from_the_endpoint_and_the_secret() -> None:
    # Checked independently: printf 'sip:agent-42' | openssl dgst -sha256 -hmac north
    assert sip_password("agent-42", "north") == (
        "ff749924b6fd09740ec564fc9ef4fea703543fa5f889a0c8cabbf357d268b025"
    )
    assert sip_password("desk-42", "north") != sip_password("agent-42", "north")
    assert sip_password("agent-42", "south") != sip_password("agent-42", "north")


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="SIP_SECRET"):
        sip_password("agent-42", "")


def test_each_person_gets_a_softphone_and_a_desk_phone() -> None:
    text = endpoints_config([Account(7, 'Ana "Anca" Pop;\nx')], SECRET)

    assert parse_pjsip(text) == {
        ("agent-7", "agent-webrtc"): {
            "auth": "agent-7",
            "aors": "agent-7",
            "callerid": '"Ana Anca Pop x" <7>',
        },
        ("agent-7", "agent-auth"): {
            "username": "agent-7",
            "password": sip_password("agent-7", SECRET),
        },
        ("agent-7", "agent-aor"): {},
        ("desk-7", "agent-deskphone"): {
            "auth": "desk-7",
            "aors": "desk-7",
            "callerid": '"Ana Anca Pop x" <7>',
        },
        ("desk-7", "agent-auth"): {
            "username": "desk-7",
            "password": sip_password("desk-7", SECRET),
        },
        ("desk-7", "agent-aor"): {},
    }


def generated(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("asterisk_endpoints", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_lists_the_active_phone_users_of_the_company_only(
    org: Org, settings: Settings
) -> None:
    settings.SIP_SECRET = SECRET
    org["teammate"].is_active = False
    org["teammate"].save()

    text, _ = generated("--company", str(org.company.pk))

    endpoints = {name for name, template in parse_pjsip(text) if template == "agent-webrtc"}
    expected = {
        org[Role.AGENT],
        org["south_agent"],
        org[Role.TEAM_LEADER],
        org["south_leader"],
        org[Role.QUALITY],
    }
    assert endpoints == {f"agent-{person.pk}" for person in expected}


def test_the_file_is_private_and_nothing_secret_is_printed(
    org: Org, settings: Settings, tmp_path: Path
) -> None:
    settings.SIP_SECRET = SECRET
    target = tmp_path / "pjsip_agents.conf"
    target.write_text("old")

    out, err = generated("--company", str(org.company.pk), "--output", str(target))

    sections = parse_pjsip(target.read_text())
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert len([key for key in sections if key[1] == "agent-auth"]) == 12
    assert out == ""
    assert err.strip() == (
        f"6 people (12 endpoints) of Alpha Calls written to {target}; run `pjsip reload` in "
        "Asterisk."
    )
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--company", "0"], "No active company has the id 0."),
        (["--company", "{company}", "--output", "/nonexistent/x.conf"], "is not a folder"),
    ],
)
def test_the_command_explains_what_is_wrong(
    org: Org, settings: Settings, arguments: list[str], message: str
) -> None:
    settings.SIP_SECRET = SECRET
    with pytest.raises(CommandError, match=re.escape(message)):
        generated(*[item.format(company=org.company.pk) for item in arguments])


def test_the_command_needs_the_secret(org: Org, settings: Settings) -> None:
    settings.SIP_SECRET = ""
    with pytest.raises(CommandError, match="SIP_SECRET is not set"):
        generated("--company", str(org.company.pk))


# --- the softphone's account ------------------------------------------------------------------


@pytest.fixture
def sip_settings(settings: Settings) -> None:
    settings.SIP_SECRET = SECRET
    settings.SIP_WSS_URL = "wss://pbx.example.com:8089/ws"
    settings.SIP_DOMAIN = "pbx.example.com"


def test_a_signed_in_agent_gets_their_own_account(
    org: Org, client_for: ClientFor, sip_settings: None
) -> None:
    agent = org[Role.AGENT]

    response = client_for(agent).get("/api/telephony/sip")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "ws_url": "wss://pbx.example.com:8089/ws",
        "uri": f"sip:agent-{agent.pk}@pbx.example.com",
        "username": f"agent-{agent.pk}",
        "password": sip_password(f"agent-{agent.pk}", SECRET),
        "display_name": agent.get_full_name(),
    }


def test_people_who_do_not_take_calls_get_no_account(
    org: Org, client_for: ClientFor, sip_settings: None
) -> None:
    response = client_for(org[Role.MANAGER]).get("/api/telephony/sip")

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Only agents, team leaders and quality staff use the softphone."
    )


def test_anonymous_visitors_get_no_account(db: None, client: Client, sip_settings: None) -> None:
    assert client.get("/api/telephony/sip").status_code == 401


def test_without_the_softphone_configured_the_answer_says_so(
    org: Org, client_for: ClientFor, settings: Settings
) -> None:
    settings.SIP_SECRET = ""

    response = client_for(org[Role.AGENT]).get("/api/telephony/sip")

    assert response.status_code == 503
    assert "set SIP_SECRET, SIP_WSS_URL and SIP_DOMAIN" in response.json()["detail"]
