"""The phone an agent chooses at the start of work: the softphone in the browser, their desk SIP
phone, or another line they type; the desk shows the softphone only for the first."""

from __future__ import annotations

from typing import Any

import pytest

from dialcrm.desk.models import DeskSession
from tests.desk.conftest import DeskCampaign


def start(client: Any, desk: DeskCampaign, **choice: str) -> Any:
    values = {"campaign": desk.campaign.pk, "wrap_up_s": "30", **choice}
    return client.post("/desk/start/", values)


@pytest.mark.parametrize(
    ("choice", "line"),
    [
        ({}, "PJSIP/agent-{id}"),
        ({"phone": "softphone"}, "PJSIP/agent-{id}"),
        ({"phone": "desk_phone"}, "PJSIP/desk-{id}"),
        ({"phone": "desk_phone", "endpoint": "Local/7@headsets"}, "Local/7@headsets"),
    ],
)
def test_the_chosen_phone_is_the_line_the_dialer_rings(
    desk_campaign: DeskCampaign,
    client_for: Any,
    sent_commands: list[dict[str, Any]],
    choice: dict[str, str],
    line: str,
) -> None:
    agent = desk_campaign.agent
    response = start(client_for(agent), desk_campaign, **choice)

    assert response.status_code == 302
    assert DeskSession.objects.get(agent=agent).endpoint == line.format(id=agent.pk)


def test_an_unknown_phone_is_refused_with_the_choices_kept(
    desk_campaign: DeskCampaign, client_for: Any
) -> None:
    response = start(client_for(desk_campaign.agent), desk_campaign, phone="fax")

    assert response.status_code == 422
    assert "Select a valid choice. fax is not one of the available choices." in (
        response.content.decode()
    )
    assert not DeskSession.objects.exists()


def test_the_desk_shows_the_softphone_only_when_it_is_the_line(
    desk_campaign: DeskCampaign,
    client_for: Any,
    sent_commands: list[dict[str, Any]],
    settings: Any,
) -> None:
    settings.TELEPHONY = "asterisk"
    client = client_for(desk_campaign.agent)
    start(client, desk_campaign, phone="softphone")
    softphone = client.get("/desk/").content.decode()
    start(client, desk_campaign, phone="desk_phone")
    desk_phone = client.get("/desk/").content.decode()

    assert 'data-testid="softphone"' in softphone
    assert "vendor/jssip/jssip.min.js" in softphone
    assert 'data-testid="softphone"' not in desk_phone
    assert "vendor/jssip/jssip.min.js" not in desk_phone
    assert f"Your calls come to the phone line PJSIP/desk-{desk_campaign.agent.pk}." in desk_phone


def test_with_simulated_telephony_the_desk_says_no_phone_rings(
    desk_campaign: DeskCampaign, client_for: Any, sent_commands: list[dict[str, Any]]
) -> None:
    client = client_for(desk_campaign.agent)
    start(client, desk_campaign, phone="softphone")
    page = client.get("/desk/").content.decode()

    assert "Simulated phone system: calls and customers are simulated, no phone rings." in page
    assert "vendor/jssip/jssip.min.js" not in page
