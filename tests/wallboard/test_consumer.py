"""The wallboard's WebSocket against the product's ASGI application: only supervisors and
managers connect; each subscription is checked against the person's scope; the engine's figures
arrive narrowed to the agents the person looks after; malformed messages get a clear answer."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from dialcrm.core.choices import Role
from dialcrm.dialer.engine import AgentCommand
from dialcrm.dialer.realtime import ChannelsPublisher
from tests.desk.sockets import SocketClient
from tests.desk.test_consumer import connected, db, open_socket, running_engine
from tests.dialer.engine.conftest import make_running_campaign

pytestmark = pytest.mark.django_db(transaction=True)
PATH = "/ws/wallboard/"


async def watching(user: Any, campaign_id: int) -> SocketClient:
    """A wallboard socket subscribed to a campaign (its first messages read)."""
    socket = await connected(user, PATH)
    assert (await socket.receive_json_from(timeout=5))["type"] == "wallboard.campaigns"
    await socket.send_json_to({"action": "subscribe", "campaign_id": campaign_id})
    subscribed = await socket.receive_json_from(timeout=5)
    assert subscribed["type"] == "wallboard.subscribed", subscribed
    return socket


async def next_figures(socket: SocketClient, timeout: float = 10.0) -> dict[str, Any]:
    async def wait() -> dict[str, Any]:
        while True:
            message = await socket.receive_json_from(timeout=timeout)
            assert message["type"] == "wallboard.figures", message
            return message

    return await asyncio.wait_for(wait(), timeout)


def _message(campaign_id: int, agents: list[tuple[int, str]]) -> dict[str, Any]:
    now = time.time()
    return {
        "type": "campaign.figures",
        "campaign_id": campaign_id,
        "at": now,
        "agents": {},
        "agent_states": [
            {"id": agent_id, "state": state, "since": now - 10, "reason": ""}
            for agent_id, state in agents
        ],
        "ringing": 2,
        "waiting": 1,
        "connected": 1,
        "dials": 40,
        "hopper": 12,
        "dialable_leads": 180,
        "dial_level": 2.0,
        "abandon_cap": 0.03,
        "abandon_rate_today": 0.01,
        "abandon_rate_24h": 0.012,
        "abandon_rate_30d": 0.02,
        "human_answers_today": 100,
        "abandoned_today": 1,
        "human_answers_24h": 120,
        "hours": [{"at": now - now % 3600, "contacts": 9, "sales": 2}],
        "is_dialing": True,
    }


@pytest.mark.parametrize(
    "person", [None, Role.AGENT, Role.QUALITY, Role.BACK_OFFICE, Role.HUMAN_RESOURCES]
)
async def test_only_supervisors_and_managers_connect(org: Any, person: str | None) -> None:
    socket = await open_socket(org[person] if person else None, PATH)
    assert await socket.connect(timeout=5) == (False, 4403)


async def test_a_person_is_offered_the_campaigns_of_their_scope(org: Any) -> None:
    campaign = (await db(make_running_campaign, org, leads=1)).campaign
    for person, sees in (
        (Role.TEAM_LEADER, True),
        (Role.LOCATION_MANAGER, True),
        (Role.MANAGER, True),
        ("south_leader", False),
        ("south_manager", False),
        ("other_admin", False),
    ):
        socket = await connected(org[person], PATH)
        offered = await socket.receive_json_from(timeout=5)
        assert offered["type"] == "wallboard.campaigns"
        ids = [item["id"] for item in offered["campaigns"]]
        assert (campaign.pk in ids) is sees, person
        await socket.disconnect()


@pytest.mark.parametrize("person", ["south_leader", "south_manager", "other_admin"])
async def test_a_campaign_out_of_scope_is_refused_and_sends_nothing(org: Any, person: str) -> None:
    campaign = (await db(make_running_campaign, org, leads=1)).campaign
    socket = await connected(org[person], PATH)
    await socket.receive_json_from(timeout=5)
    await socket.send_json_to({"action": "subscribe", "campaign_id": campaign.pk})
    assert await socket.receive_json_from(timeout=5) == {
        "type": "wallboard.error",
        "action": "subscribe",
        "reason": "No such wallboard.",
    }
    await ChannelsPublisher().to_campaign(campaign.pk, _message(campaign.pk, []))
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_figures_are_narrowed_to_the_person_s_agents(org: Any) -> None:
    campaign = (await db(make_running_campaign, org, leads=1)).campaign
    north, south = org[Role.AGENT], org["south_agent"]
    leader = await watching(org[Role.TEAM_LEADER], campaign.pk)
    manager = await watching(org[Role.MANAGER], campaign.pk)
    message = _message(campaign.pk, [(north.pk, "on_call"), (south.pk, "paused")])
    await ChannelsPublisher().to_campaign(campaign.pk, message)

    seen = (await next_figures(leader))["figures"]
    assert [(agent["id"], agent["name"], agent["state"]) for agent in seen["agents"]] == [
        (north.pk, str(north), "on_call")
    ]
    assert seen["agent_counts"] == {"on_call": 1}
    assert (seen["ringing"], seen["waiting"], seen["connected"]) == (2, 1, 1)
    assert seen["abandon_rate_today"] == 0.01 and seen["abandon_cap"] == 0.03
    assert seen["hours"] == message["hours"] and seen["dialable_leads"] == 180
    everyone = (await next_figures(manager))["figures"]
    assert {agent["id"] for agent in everyone["agents"]} == {north.pk, south.pk}
    assert everyone["agent_counts"] == {"on_call": 1, "paused": 1}

    # A wallboard opened later gets the latest figures at once.
    late = await connected(org[Role.LOCATION_MANAGER], PATH)
    await late.receive_json_from(timeout=5)
    await late.send_json_to({"action": "subscribe", "campaign_id": campaign.pk})
    assert (await late.receive_json_from(timeout=5))["type"] == "wallboard.subscribed"
    assert (await next_figures(late))["figures"]["dials"] == 40

    await leader.send_json_to({"action": "unsubscribe", "campaign_id": campaign.pk})
    assert await leader.receive_json_from(timeout=5) == {
        "type": "wallboard.unsubscribed",
        "campaign_id": campaign.pk,
    }
    await ChannelsPublisher().to_campaign(campaign.pk, message)
    assert await leader.receive_nothing(timeout=0.5)
    for socket in (leader, manager, late):
        await socket.disconnect()


async def test_the_engine_s_figures_arrive_and_follow_the_agents(org: Any) -> None:
    campaign = (await db(make_running_campaign, org, leads=20)).campaign
    agent = org[Role.AGENT]
    async with running_engine(campaign.pk) as engine:
        leader = await watching(org[Role.TEAM_LEADER], campaign.pk)
        first = (await next_figures(leader))["figures"]
        assert first["agents"] == [] and first["is_dialing"] is True
        engine.submit(
            AgentCommand("login", agent.pk, campaign_id=campaign.pk, endpoint="PJSIP/north")
        )
        states: set[str] = set()

        async def until(state: str) -> dict[str, Any]:
            # The figures come every second: a state as short as the ready moment before a call
            # (a fast engine) may fall between two of them; a logged-in pause does not.
            figures: dict[str, Any] = {}
            deadline = time.monotonic() + 20
            while state not in states and time.monotonic() < deadline:
                figures = (await next_figures(leader))["figures"]
                states.update(item["state"] for item in figures["agents"] if item["id"] == agent.pk)
            return figures

        await until("paused")
        engine.submit(AgentCommand("ready", agent.pk))
        figures = await until("on_call")
        assert {"paused", "on_call"} <= states
        assert figures["dials"] >= 1 and figures["dialable_leads"] is not None
        await leader.disconnect()


@pytest.mark.parametrize(
    ("sent", "action", "reason"),
    [
        ("not json", "", "This is not JSON."),
        ("x" * 1001, "", "Send JSON text of at most 1000 characters."),
        (
            "[1, 2]",
            "",
            'Send {"action": "subscribe" or "unsubscribe", "campaign_id": <number>}.',
        ),
        (
            '{"action": "watch", "campaign_id": 1}',
            "watch",
            'Send {"action": "subscribe" or "unsubscribe", "campaign_id": <number>}.',
        ),
        ('{"action": "subscribe"}', "subscribe", "campaign_id must be a whole number."),
        (
            '{"action": "subscribe", "campaign_id": "7"}',
            "subscribe",
            "campaign_id must be a whole number.",
        ),
        (
            '{"action": "subscribe", "campaign_id": true}',
            "subscribe",
            "campaign_id must be a whole number.",
        ),
        ('{"action": "subscribe", "campaign_id": 999999}', "subscribe", "No such wallboard."),
        (
            '{"action": "unsubscribe", "campaign_id": 5}',
            "unsubscribe",
            "You are not watching this campaign.",
        ),
    ],
)
async def test_malformed_messages_are_answered_clearly(
    org: Any, sent: str, action: str, reason: str
) -> None:
    socket = await connected(org[Role.MANAGER], PATH)
    await socket.receive_json_from(timeout=5)
    await socket.send_to(sent)
    assert await socket.receive_json_from(timeout=5) == {
        "type": "wallboard.error",
        "action": action,
        "reason": reason,
    }
    await socket.disconnect()
