"""The fake Asterisk is only as good as its strictness: it must refuse what dialcrm's ARI subset
(ari_subset.json) does not describe and behave as a real Asterisk was seen to."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import connect

from tests.telephony.conftest import PASSWORD, USER
from tests.telephony.fake_ari import AriSubset, Behaviour, FakeAri, SubsetViolation


@pytest.fixture
async def ari(fake: FakeAri) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=fake.url + "/", auth=(USER, PASSWORD), timeout=2.0
    ) as client:
        yield client


def events_url(fake: FakeAri, query: str = "app=dialcrm") -> str:
    return f"ws://127.0.0.1:{fake.port}/ari/events?{query}"


async def listen(fake: FakeAri, app: str = "dialcrm") -> Any:
    return await connect(events_url(fake, f"app={app}&api_key={USER}:{PASSWORD}"), open_timeout=2)


async def receive(socket: Any, kind: str, timeout_s: float = 2.0) -> dict[str, Any]:
    async with asyncio.timeout(timeout_s):
        while True:
            event = json.loads(await socket.recv())
            if event["type"] == kind:
                return event


async def types_until(socket: Any, last: str, timeout_s: float = 3.0) -> list[str]:
    seen: list[str] = []
    async with asyncio.timeout(timeout_s):
        while not seen or seen[-1] != last:
            seen.append(json.loads(await socket.recv())["type"])
    return seen


# --- the subset is enforced ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "params", "status", "message"),
    [
        (
            "POST",
            "channels",
            {"endpoint": "PJSIP/1@trunk", "app": "dialcrm", "callerID": "1"},
            400,
            "POST /ari/channels has no parameter 'callerID'",
        ),
        ("POST", "channels", {"app": "dialcrm"}, 400, "missing required parameter 'endpoint'"),
        (
            "POST",
            "channels",
            {"endpoint": "PJSIP/1@trunk", "app": "dialcrm", "timeout": "soon"},
            400,
            "'timeout' must be a whole number",
        ),
        ("DELETE", "channels/x", {"reason": "bored"}, 400, "'bored' is not one of"),
        (
            "POST",
            "bridges/b/record",
            {"name": "r", "format": "wav", "ifExists": "replace"},
            400,
            "'replace' is not one of ['fail', 'overwrite', 'append']",
        ),
        (
            "DELETE",
            "channels/x",
            {"reason": "normal", "extra": "1"},
            400,
            "no parameter 'extra'",
        ),
        (
            "POST",
            "channels",
            {"endpoint": "PJSIP/1@trunk", "app": "dialcrm", "formats": "ulaw"},
            400,
            "no parameter 'formats'",  # Asterisk has it; dialcrm does not use it
        ),
        ("GET", "calls", {}, 404, "/ari/calls is not in dialcrm's ARI subset"),
        ("GET", "channels/x/variable", {"variable": "A"}, 404, "not in dialcrm's ARI subset"),
        ("PATCH", "channels", {}, 405, "Invalid method: PATCH /ari/channels"),
        ("GET", "channels/nope", {}, 404, "Channel not found"),
        ("DELETE", "bridges/nope", {}, 404, "Bridge not found"),
    ],
)
async def test_the_fake_refuses_what_the_subset_does_not_describe(
    ari: httpx.AsyncClient,
    method: str,
    path: str,
    params: dict[str, str],
    status: int,
    message: str,
) -> None:
    response = await ari.request(method, path, params=params)

    assert response.status_code == status
    assert message in response.json()["message"]


async def test_body_keys_are_read_as_parameters_and_checked_too(ari: httpx.AsyncClient) -> None:
    response = await ari.post(
        "channels", json={"endpoint": "PJSIP/1@trunk", "app": "dialcrm", "variabels": {"A": "1"}}
    )

    assert response.status_code == 400
    assert "no parameter 'variabels'" in response.json()["message"]


async def test_the_fake_requires_authentication(fake: FakeAri) -> None:
    async with httpx.AsyncClient(base_url=fake.url + "/", timeout=2.0) as client:
        anonymous = await client.get("channels")
        wrong = await client.get("channels", auth=(USER, "wrong"))
        api_key = await client.get("channels", params={"api_key": f"{USER}:{PASSWORD}"})

    assert (anonymous.status_code, wrong.status_code, api_key.status_code) == (401, 401, 200)
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        await connect(events_url(fake), open_timeout=2)
    assert refused.value.response.status_code == 401
    with pytest.raises(websockets.exceptions.InvalidStatus) as missing_app:
        await connect(events_url(fake, f"api_key={USER}:{PASSWORD}"), open_timeout=2)
    assert missing_app.value.response.status_code == 400


def test_the_subset_checks_models_and_events() -> None:
    subset = AriSubset()
    bridge = {
        "id": "b",
        "technology": "simple_bridge",
        "bridge_type": "conference",
        "bridge_class": "stasis",
        "creator": "Stasis",
        "name": "",
        "channels": [],
        "creationtime": "2026-11-25T10:00:00.000+0000",
    }

    with pytest.raises(SubsetViolation, match="'conference' is not one of"):
        subset.check("Bridge", bridge, "answer")
    started = {"type": "StasisStart", "application": "a", "timestamp": bridge["creationtime"]}
    with pytest.raises(SubsetViolation, match="StasisStart lacks required 'args'"):
        subset.check("StasisStart", started, "event")
    assert subset.is_event("ChannelDestroyed") and not subset.is_event("Channel")


# --- calls behave as Asterisk's do ----------------------------------------------------------------


async def test_a_live_channel_id_or_bridge_id_is_refused_with_409(
    fake: FakeAri, ari: httpx.AsyncClient
) -> None:
    fake.script("1", Behaviour.no_answer())
    socket = await listen(fake)
    try:
        params = {"endpoint": "PJSIP/1@trunk", "app": "dialcrm", "channelId": "c1"}
        first = await ari.post("channels", params=params)
        second = await ari.post("channels", params=params)
        bridge = {"type": "mixing", "bridgeId": "b1"}
        bridges = [await ari.post("bridges", params=bridge) for _ in range(2)]
    finally:
        await socket.close()

    assert (first.status_code, second.status_code) == (200, 409)
    assert first.json()["state"] == "Down"
    assert [response.status_code for response in bridges] == [200, 409]


async def test_adding_a_channel_not_in_stasis_answers_422(
    fake: FakeAri, ari: httpx.AsyncClient
) -> None:
    fake.script("1", Behaviour.no_answer())
    socket = await listen(fake)
    try:
        await ari.post("bridges", params={"bridgeId": "b1"})
        await ari.post(
            "channels", params={"endpoint": "PJSIP/1@trunk", "app": "dialcrm", "channelId": "c1"}
        )
        ringing = await ari.post("bridges/b1/addChannel", params={"channel": "c1"})
        unknown = await ari.post("bridges/b1/addChannel", params={"channel": "nope"})
        no_bridge = await ari.post("bridges/b2/addChannel", params={"channel": "c1"})
    finally:
        await socket.close()

    assert (ringing.status_code, ringing.json()["message"]) == (
        422,
        "Channel not in Stasis application",
    )
    assert (unknown.status_code, unknown.json()["message"]) == (400, "Channel not found")
    assert no_bridge.status_code == 404


async def test_removing_a_channel_and_music_on_hold_are_as_strict_as_asterisk(
    fake: FakeAri, ari: httpx.AsyncClient
) -> None:
    fake.script("1", Behaviour.human())
    fake.script("2", Behaviour.no_answer())
    socket = await listen(fake)
    try:
        await ari.post("bridges", params={"bridgeId": "b1"})
        for number, channel in (("1", "c1"), ("2", "c2")):
            await ari.post(
                "channels",
                params={
                    "endpoint": f"PJSIP/{number}@trunk",
                    "app": "dialcrm",
                    "channelId": channel,
                },
            )
        await receive(socket, "StasisStart")
        not_in_bridge = await ari.post("bridges/b1/removeChannel", params={"channel": "c1"})
        await ari.post("bridges/b1/addChannel", params={"channel": "c1"})
        removed = await ari.post("bridges/b1/removeChannel", params={"channel": "c1"})
        left = await receive(socket, "ChannelLeftBridge")
        unknown = await ari.post("bridges/b1/removeChannel", params={"channel": "nope"})
        no_bridge = await ari.post("bridges/b2/removeChannel", params={"channel": "c1"})
        music = await ari.post("channels/c1/moh", params={"mohClass": "default"})
        playing = dict(fake.music_on_hold)
        stopped = await ari.delete("channels/c1/moh")
        ringing = await ari.post("channels/c2/moh")  # not answered: not in the application
        gone = await ari.post("channels/nope/moh")
        wrong = await ari.post("channels/c1/moh", params={"class": "jazz"})
    finally:
        await socket.close()

    assert (not_in_bridge.status_code, not_in_bridge.json()["message"]) == (
        422,
        "Channel not in this bridge",
    )
    assert removed.status_code == 204
    assert (left["channel"]["id"], left["bridge"]["id"]) == ("c1", "b1")
    assert (unknown.status_code, unknown.json()["message"]) == (400, "Channel not found")
    assert no_bridge.status_code == 404
    assert (music.status_code, playing, stopped.status_code) == (204, {"c1": "default"}, 204)
    assert fake.music_on_hold == {}
    assert (ringing.status_code, gone.status_code, wrong.status_code) == (409, 404, 400)


async def test_a_channel_added_to_another_bridge_leaves_the_first_as_in_asterisk(
    fake: FakeAri, ari: httpx.AsyncClient
) -> None:
    """A channel is in one bridge at a time: Asterisk moves it (ChannelLeftBridge first), and a
    removal from the bridge it left is refused."""
    fake.script("1", Behaviour.human())
    socket = await listen(fake)
    try:
        for bridge in ("b1", "b2"):
            await ari.post("bridges", params={"bridgeId": bridge})
        await ari.post(
            "channels", params={"endpoint": "PJSIP/1@trunk", "app": "dialcrm", "channelId": "c1"}
        )
        await receive(socket, "StasisStart")
        await ari.post("bridges/b1/addChannel", params={"channel": "c1"})
        await receive(socket, "ChannelEnteredBridge")
        moved = await ari.post("bridges/b2/addChannel", params={"channel": "c1"})
        seen = await types_until(socket, "ChannelEnteredBridge")
        where = (list(fake.bridges["b1"].channels), list(fake.bridges["b2"].channels))
        stale = await ari.post("bridges/b1/removeChannel", params={"channel": "c1"})
    finally:
        await socket.close()

    assert moved.status_code == 204
    assert seen[-2:] == ["ChannelLeftBridge", "ChannelEnteredBridge"]
    assert where == ([], ["c1"])
    assert (stale.status_code, stale.json()["message"]) == (422, "Channel not in this bridge")


async def test_an_answered_call_sends_asterisks_events_in_asterisks_order(
    fake: FakeAri, ari: httpx.AsyncClient
) -> None:
    socket = await listen(fake)
    try:
        await ari.post("bridges", params={"bridgeId": "b1"})
        await ari.post(
            "channels",
            params={
                "endpoint": "PJSIP/1@trunk",
                "app": "dialcrm",
                "appArgs": "dial",
                "channelId": "c1",
            },
        )
        until_answer = await types_until(socket, "StasisStart")
        await ari.post("bridges/b1/addChannel", params={"channel": "c1"})
        await receive(socket, "ChannelEnteredBridge")
        first = await ari.delete("channels/c1")
        until_destroyed = await types_until(socket, "ChannelDestroyed")
        second = await ari.delete("channels/c1")
    finally:
        await socket.close()

    assert until_answer == [
        "Dial",
        "ChannelStateChange",
        "Dial",
        "ChannelStateChange",
        "Dial",
        "StasisStart",
    ]
    assert until_destroyed == [
        "ChannelHangupRequest",
        "ChannelLeftBridge",
        "StasisEnd",
        "ChannelDestroyed",
    ]
    hangup_request = next(
        e for e in fake.events_of("dialcrm") if e["type"] == "ChannelHangupRequest"
    )
    assert (hangup_request["cause"], hangup_request["soft"]) == (32, True)
    assert (first.status_code, second.status_code) == (204, 404)


async def test_through_the_amd_context_the_call_returns_with_the_verdict(
    fake: FakeAri, ari: httpx.AsyncClient
) -> None:
    fake.script("1", Behaviour.machine())
    socket = await listen(fake)
    try:
        await ari.post(
            "channels",
            params={
                "endpoint": "PJSIP/1@trunk",
                "app": "dialcrm",
                "appArgs": "dial",
                "channelId": "c1",
            },
        )
        first = await receive(socket, "StasisStart")
        await ari.post(
            "channels/c1/continue",
            params={"context": "dialcrm-amd", "extension": "s", "priority": "1"},
        )
        second = await receive(socket, "StasisStart")
    finally:
        await socket.close()

    assert first["args"] == ["dial"]
    assert second["args"] == ["amd", "MACHINE", "LONGGREETING-1600-1500"]
    assert second["channel"]["dialplan"]["app_data"] == "dialcrm,amd,MACHINE,LONGGREETING-1600-1500"


async def test_originating_into_the_amd_context_gives_events_only_from_stasis_on(
    fake: FakeAri, ari: httpx.AsyncClient
) -> None:
    socket = await listen(fake)
    try:
        await ari.post(
            "channels",
            params={
                "endpoint": "PJSIP/1@trunk",
                "context": "dialcrm-amd",
                "extension": "s",
                "priority": "1",
                "channelId": "c1",
            },
        )
        seen = await types_until(socket, "StasisStart")
        both = await ari.post(
            "channels", params={"endpoint": "PJSIP/2@trunk", "app": "dialcrm", "context": "x"}
        )
    finally:
        await socket.close()

    assert seen == ["StasisStart"]  # the app was not subscribed before
    assert both.status_code == 400


async def test_a_call_answered_while_nobody_holds_the_application_disappears(
    fake: FakeAri, ari: httpx.AsyncClient
) -> None:
    answer = await ari.post(
        "channels", params={"endpoint": "PJSIP/1@trunk", "app": "dialcrm", "channelId": "c1"}
    )
    await asyncio.sleep(0.2)

    assert answer.status_code == 200
    assert fake.channels == {}


async def test_a_second_websocket_takes_the_application_over(
    fake: FakeAri, ari: httpx.AsyncClient
) -> None:
    first = await listen(fake)
    second = await listen(fake)
    try:
        replaced = await receive(first, "ApplicationReplaced")
        await ari.post(
            "channels", params={"endpoint": "PJSIP/1@trunk", "app": "dialcrm", "channelId": "c1"}
        )
        dial = await receive(second, "Dial")
        with pytest.raises(TimeoutError):
            await receive(first, "Dial", timeout_s=0.3)
    finally:
        await first.close()
        await second.close()

    assert replaced["application"] == "dialcrm"
    assert dial["peer"]["id"] == "c1" and dial["caller"] is None
