"""The Asterisk adapter against the fake Asterisk, end to end, one flow per test."""

from __future__ import annotations

import asyncio
import time

import pytest

from dialcrm.env import ConfigurationError
from dialcrm.telephony.asterisk import AriConfig, AsteriskGateway
from dialcrm.telephony.asterisk.config import gateway_from_settings
from dialcrm.telephony.gateway import (
    AnsweredBy,
    CallAnswered,
    CallEnded,
    CallExists,
    CallProgress,
    EndCause,
    GatewayError,
    Originate,
)
from tests.telephony.conftest import Events, config_for
from tests.telephony.fake_ari import Behaviour, FakeAri

CUSTOMER = "+40723000001"
CALLER_ID = "+40212000000"


def dial(call_id: str, number: str = CUSTOMER, ring_timeout_s: float = 20.0) -> Originate:
    return Originate(call_id, number, CALLER_ID, ring_timeout_s, {"DIALCRM_LEAD": "1532"})


def originate_requests(fake: FakeAri) -> list[dict[str, str]]:
    return [
        params
        for method, path, params in fake.requests
        if method == "POST" and path == "/ari/channels"
    ]


async def wait_until(condition: object, timeout_s: float = 3.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)


# --- answered calls ---------------------------------------------------------------------------


async def test_a_human_answer_is_put_through_to_the_attached_agent(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    fake.script(CUSTOMER, Behaviour.human(hang_up_after_s=0.5))
    await gateway.attach_agent(7, "PJSIP/agent-7")
    agent_line = fake.bridges["agent-7"].channels[0]

    await gateway.originate(dial("call-1", ring_timeout_s=19.2))
    progress = await events.next()
    answered = await events.next()
    await gateway.connect("call-1", 7)

    assert isinstance(progress, CallProgress) and progress.call_id == "call-1"
    assert answered == CallAnswered("call-1", answered.at, AnsweredBy.HUMAN)
    assert fake.bridges["agent-7"].channels == [agent_line, "call-1"]
    request = originate_requests(fake)[-1]
    assert request == {
        "endpoint": f"PJSIP/{CUSTOMER}@trunk",
        "app": "dialcrm",
        "appArgs": "dial",
        "callerId": CALLER_ID,
        "timeout": "20",
        "channelId": "call-1",
    }
    assert fake.channels["call-1"].variables == {"DIALCRM_LEAD": "1532"}

    ended = await events.next()
    assert ended == CallEnded("call-1", ended.at, EndCause.NORMAL, 16)
    assert fake.bridges["agent-7"].channels == [agent_line]  # the agent stays connected


@pytest.mark.parametrize(
    ("behaviour", "verdict"),
    [
        (Behaviour.human(), AnsweredBy.HUMAN),
        (Behaviour.machine(), AnsweredBy.MACHINE),
        (Behaviour.unsure(), AnsweredBy.UNSURE),
    ],
)
async def test_answering_machine_detection_runs_in_the_amd_context(
    fake: FakeAri,
    gateway: AsteriskGateway,
    events: Events,
    behaviour: Behaviour,
    verdict: AnsweredBy,
) -> None:
    fake.script(CUSTOMER, behaviour)

    await gateway.originate(dial("call-1"))
    await events.next()  # ringing
    answered = await events.next()

    assert answered == CallAnswered("call-1", answered.at, verdict)
    continued = [params for method, path, params in fake.requests if path.endswith("/continue")]
    assert continued == [{"context": "dialcrm-amd", "extension": "s", "priority": "1"}]
    starts = [e["args"] for e in fake.events_of("dialcrm") if e["type"] == "StasisStart"]
    assert starts == [["dial"], ["amd", behaviour.amd_status, behaviour.amd_cause]]


async def test_without_amd_an_answered_call_is_reported_unsure(fake: FakeAri) -> None:
    gateway = AsteriskGateway(config_for(fake, amd_context=None))
    await gateway.start()
    try:
        events = Events(gateway)
        await gateway.originate(dial("call-1"))
        await events.next()
        answered = await events.next()
    finally:
        await gateway.close()

    assert answered == CallAnswered("call-1", answered.at, AnsweredBy.UNSURE)
    assert not [path for _, path, _ in fake.requests if path.endswith("/continue")]


# --- calls never answered --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "cause"),
    [
        (Behaviour.busy(), EndCause.BUSY),
        (Behaviour.congestion(), EndCause.CONGESTION),
        (Behaviour.invalid_number(), EndCause.INVALID_NUMBER),
        (Behaviour.fails(28), EndCause.INVALID_NUMBER),
        (Behaviour.fails(21), EndCause.REJECTED),
        (Behaviour.fails(38), EndCause.FAILED),
        (Behaviour.fails(18, rings_s=0.05), EndCause.NO_ANSWER),
        (Behaviour.fails(19, rings_s=0.05), EndCause.NO_ANSWER),
        (Behaviour.fails(16, rings_s=0.05), EndCause.NORMAL),
    ],
)
async def test_unanswered_calls_are_classified_by_their_q850_cause(
    fake: FakeAri,
    gateway: AsteriskGateway,
    events: Events,
    behaviour: Behaviour,
    cause: EndCause,
) -> None:
    fake.script(CUSTOMER, behaviour)

    await gateway.originate(dial("call-1"))
    seen = await events.until_ended("call-1")

    assert seen[-1] == CallEnded("call-1", seen[-1].at, cause, behaviour.cause)
    assert not [event for event in seen if isinstance(event, CallAnswered)]
    rang = behaviour.rings_before_failing_s is not None
    assert [type(event) for event in seen[:-1]] == ([CallProgress] if rang else [])


async def test_a_call_nobody_answers_rings_out_at_the_originate_timeout(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    fake.script(CUSTOMER, Behaviour.no_answer())
    started = time.monotonic()

    await gateway.originate(dial("call-1", ring_timeout_s=0.4))
    seen = await events.until_ended("call-1")

    assert [type(event) for event in seen] == [CallProgress, CallEnded]
    assert seen[-1] == CallEnded("call-1", seen[-1].at, EndCause.NO_ANSWER, 19)
    # ARI's timeout is whole seconds: 0.4 s rings for 1 s, not for the fake's default of 30 s
    # (the upper bound is loose: a loaded machine only makes it later).
    assert 0.9 < time.monotonic() - started < 10
    dial_statuses = [e["dialstatus"] for e in fake.events_of("dialcrm") if e["type"] == "Dial"]
    assert dial_statuses == ["", "RINGING"]  # no final Dial: the cause is the only truth


# --- idempotent originate ----------------------------------------------------------------------


async def test_a_retried_originate_raises_call_exists_and_places_no_second_call(
    fake: FakeAri, gateway: AsteriskGateway
) -> None:
    fake.script(CUSTOMER, Behaviour.no_answer())
    await gateway.originate(dial("call-1"))

    with pytest.raises(CallExists):
        await gateway.originate(dial("call-1"))

    assert len(originate_requests(fake)) == 1
    assert list(fake.channels) == ["call-1"]


async def test_asterisk_answers_409_to_a_live_call_id_from_another_process(
    fake: FakeAri, gateway: AsteriskGateway
) -> None:
    fake.script(CUSTOMER, Behaviour.no_answer())
    await gateway.originate(dial("call-1"))
    restarted = AsteriskGateway(config_for(fake, app="dialcrm-2"))
    await restarted.start()
    try:
        with pytest.raises(CallExists):
            await restarted.originate(dial("call-1"))
    finally:
        await restarted.close()

    assert len(originate_requests(fake)) == 2
    assert list(fake.channels) == ["call-1"]


async def test_a_refused_originate_says_what_asterisk_said(fake: FakeAri) -> None:
    gateway = AsteriskGateway(config_for(fake, trunk="Bogus/{number}"))
    await gateway.start()
    try:
        with pytest.raises(GatewayError, match=r"refused to dial \+40723000001 through Bogus/"):
            await gateway.originate(dial("call-1"))
        # Nothing was placed: the same id may be dialled again.
        assert "call-1" not in fake.channels
    finally:
        await gateway.close()


# --- connecting --------------------------------------------------------------------------------


async def test_connecting_a_call_still_in_amd_is_refused_clearly(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    fake.script(CUSTOMER, Behaviour(amd_s=2.0))
    await gateway.attach_agent(7, "PJSIP/agent-7")
    await gateway.originate(dial("call-1"))
    await wait_until(lambda: fake.channels["call-1"].dialplan["app_name"] == "AMD")

    with pytest.raises(GatewayError, match="not in the 'dialcrm' application"):
        await gateway.connect("call-1", 7)
    assert fake.bridges["agent-7"].channels == [fake.bridges["agent-7"].channels[0]]


async def test_connecting_needs_a_live_agent_line_and_a_live_call(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    with pytest.raises(GatewayError, match="agent 7 has no phone line"):
        await gateway.connect("call-1", 7)

    await gateway.attach_agent(7, "PJSIP/agent-7")
    with pytest.raises(GatewayError, match="Asterisk has no such call"):
        await gateway.connect("call-404", 7)

    fake.hang_up_far_end(fake.bridges["agent-7"].channels[0])
    await wait_until(lambda: not fake.bridges["agent-7"].channels)
    await asyncio.sleep(0.05)
    with pytest.raises(GatewayError, match="agent 7's phone line is down"):
        await gateway.connect("call-1", 7)


async def test_an_agent_phone_that_does_not_answer_fails_the_attach(fake: FakeAri) -> None:
    fake.script("agent-8", Behaviour.busy())
    fake.script("agent-9", Behaviour.no_answer())
    gateway = AsteriskGateway(config_for(fake, agent_answer_timeout_s=1.0))
    await gateway.start()
    try:
        with pytest.raises(
            GatewayError, match=r"agent 8's phone PJSIP/agent-8 .*cause 17 User busy"
        ):
            await gateway.attach_agent(8, "PJSIP/agent-8")
        with pytest.raises(GatewayError, match=r"agent 9's phone PJSIP/agent-9 .*no answer"):
            await gateway.attach_agent(9, "PJSIP/agent-9")
        with pytest.raises(GatewayError, match="agent 9 has no phone line"):
            await gateway.connect("call-1", 9)
    finally:
        await gateway.close()

    assert list(fake.channels) == []


async def test_detaching_an_agent_hangs_up_their_line_and_removes_their_bridge(
    fake: FakeAri, gateway: AsteriskGateway
) -> None:
    await gateway.attach_agent(7, "PJSIP/agent-7")
    line = fake.bridges["agent-7"].channels[0]

    await gateway.detach_agent(7)
    await gateway.detach_agent(7)  # a second time is harmless

    assert fake.destroyed[line] == 16
    assert "agent-7" not in fake.bridges


async def test_a_restarted_process_keeps_the_agent_line_it_finds_up(fake: FakeAri) -> None:
    first = AsteriskGateway(config_for(fake))
    await first.start()
    await first.attach_agent(7, "PJSIP/agent-7")
    line = fake.bridges["agent-7"].channels[0]
    await first.close()

    second = AsteriskGateway(config_for(fake))
    await second.start()
    try:
        await second.attach_agent(7, "PJSIP/agent-7")
    finally:
        await second.close()

    assert fake.bridges["agent-7"].channels == [line]
    agent_dials = [p for p in originate_requests(fake) if p["endpoint"] == "PJSIP/agent-7"]
    assert len(agent_dials) == 1  # the agent's phone did not ring again


# --- messages and recordings --------------------------------------------------------------------


async def test_the_safe_harbour_message_plays_to_the_end_before_the_hang_up(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    fake.playback_s = 0.3
    await gateway.originate(dial("call-1"))
    await events.next()
    await events.next()

    started = time.monotonic()
    await gateway.play("call-1", "dialcrm-safe-harbour")
    played_s = time.monotonic() - started
    await gateway.hang_up("call-1")
    ended = await events.next()

    assert played_s >= 0.3
    plays = [params for _, path, params in fake.requests if path.endswith("/play")]
    assert plays[0]["media"] == "sound:dialcrm-safe-harbour"
    assert ended == CallEnded("call-1", ended.at, EndCause.NORMAL, 16)


async def test_a_message_that_is_not_installed_is_an_error(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    fake.missing_sounds.add("dialcrm-safe-harbour")
    await gateway.originate(dial("call-1"))
    await events.next()
    await events.next()

    with pytest.raises(GatewayError, match="could not play sound:dialcrm-safe-harbour to call"):
        await gateway.play("call-1", "dialcrm-safe-harbour")


async def test_a_missing_recording_gives_up_at_the_playback_timeout(fake: FakeAri) -> None:
    # A real Asterisk never finishes the playback of a recording that does not exist.
    gateway = AsteriskGateway(config_for(fake, playback_timeout_s=0.3))
    events = Events(gateway)
    try:
        await gateway.originate(dial("call-1"))
        await events.next()
        await events.next()

        with pytest.raises(GatewayError, match="recording:missing to call call-1 did not finish"):
            await gateway.play("call-1", "recording:missing")
    finally:
        await gateway.close()


async def test_the_agent_bridge_is_recorded_while_the_customer_is_in_it(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    fake.script(CUSTOMER, Behaviour.human(hang_up_after_s=0.4))
    await gateway.attach_agent(7, "PJSIP/agent-7")
    await gateway.originate(dial("call-1"))
    await events.next()
    await events.next()

    await gateway.start_recording("call-1", "campaign-3-call-1")  # before connect: deferred
    assert fake.live_recordings == {}
    await gateway.connect("call-1", 7)
    assert fake.live_recordings["campaign-3-call-1"]["target_uri"] == "bridge:agent-7"

    await events.until_ended("call-1")  # the customer hangs up: the recording stops with them
    await wait_until(lambda: not fake.live_recordings)
    assert fake.stored_recordings == {
        "campaign-3-call-1": {"name": "campaign-3-call-1", "format": "wav"}
    }


async def test_hold_takes_the_customer_out_to_music_and_unhold_brings_them_back(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    fake.script(CUSTOMER, Behaviour.human())
    await gateway.attach_agent(7, "PJSIP/agent-7")
    agent_line = fake.bridges["agent-7"].channels[0]
    await gateway.originate(dial("call-1"))
    await events.next()
    await events.next()
    await gateway.connect("call-1", 7)
    await gateway.start_recording("call-1", "campaign-3-call-1")

    await gateway.hold("call-1")
    held = (list(fake.bridges["agent-7"].channels), dict(fake.music_on_hold))
    recording_on_hold = set(fake.live_recordings)
    with pytest.raises(GatewayError, match="not put through"):
        await gateway.hold("call-1")
    await gateway.unhold("call-1")
    back = (list(fake.bridges["agent-7"].channels), dict(fake.music_on_hold))
    with pytest.raises(GatewayError, match="not on hold"):
        await gateway.unhold("call-1")
    await gateway.hang_up("call-1")

    assert held == ([agent_line], {"call-1": "default"})
    assert recording_on_hold == {"campaign-3-call-1"}  # the agent's side is still recorded
    assert back == ([agent_line, "call-1"], {})


async def _two_agents_and_a_customer_with_the_first(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> tuple[str, str]:
    """Agents 7 and 8 on their lines; a customer answers and is put through to agent 7.
    Returns the two agents' lines."""
    fake.script(CUSTOMER, Behaviour.human())
    await gateway.attach_agent(7, "PJSIP/agent-7")
    await gateway.attach_agent(8, "PJSIP/agent-8")
    line_7, line_8 = fake.bridges["agent-7"].channels[0], fake.bridges["agent-8"].channels[0]
    await gateway.originate(dial("call-1"))
    await events.next()
    await events.next()
    await gateway.connect("call-1", 7)
    return line_7, line_8


async def test_a_transfer_moves_the_customer_to_the_other_agents_bridge(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    _line_7, second_line = await _two_agents_and_a_customer_with_the_first(fake, gateway, events)
    await gateway.start_recording("call-1", "campaign-3-call-1")

    with pytest.raises(GatewayError, match="no phone line"):
        await gateway.transfer("call-1", 9)
    await gateway.transfer("call-1", 8)
    moved = (list(fake.bridges["agent-7"].channels), list(fake.bridges["agent-8"].channels))
    await wait_until(lambda: "campaign-3-call-1" not in fake.live_recordings)
    recordings = {name: value["target_uri"] for name, value in fake.live_recordings.items()}
    await gateway.hold("call-1")
    await gateway.transfer("call-1", 7)  # from hold: the music stops, the first agent has it
    back = list(fake.bridges["agent-7"].channels)
    music = dict(fake.music_on_hold)
    await gateway.hang_up("call-1")

    assert "call-1" not in moved[0] and moved[1] == [second_line, "call-1"]
    assert recordings == {"campaign-3-call-1-8": "bridge:agent-8"}
    assert back[-1] == "call-1" and music == {}


async def test_a_consultation_moves_the_agents_line_to_the_colleague_and_back(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    line_7, line_8 = await _two_agents_and_a_customer_with_the_first(fake, gateway, events)

    await gateway.hold("call-1")
    await gateway.consult(7, 8)
    talking = (list(fake.bridges["agent-7"].channels), list(fake.bridges["agent-8"].channels))
    music = dict(fake.music_on_hold)
    with pytest.raises(GatewayError, match="in agent-8 already"):
        await gateway.consult(7, 8)
    await gateway.end_consultation(7)
    await gateway.end_consultation(7)  # not consulting any more: nothing to do
    apart = (list(fake.bridges["agent-7"].channels), list(fake.bridges["agent-8"].channels))
    await gateway.unhold("call-1")
    back = list(fake.bridges["agent-7"].channels)
    await gateway.hang_up("call-1")

    assert talking == ([], [line_8, line_7])  # a channel is in one bridge at a time
    assert music == {"call-1": "default"}  # the customer waits with music, out of any bridge
    assert apart == ([line_7], [line_8])
    assert back == [line_7, "call-1"]


async def test_a_conference_joins_the_customer_and_the_first_agent_may_leave_it(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    line_7, line_8 = await _two_agents_and_a_customer_with_the_first(fake, gateway, events)
    await gateway.hold("call-1")
    await gateway.consult(7, 8)

    await gateway.transfer("call-1", 8)  # the customer joins the two agents
    three = sorted(fake.bridges["agent-8"].channels)
    music = dict(fake.music_on_hold)
    await gateway.end_consultation(7)  # the first agent leaves; the colleague keeps the call
    two = (list(fake.bridges["agent-7"].channels), list(fake.bridges["agent-8"].channels))
    await gateway.hang_up("call-1")

    assert three == sorted([line_7, line_8, "call-1"]) and music == {}
    assert two == ([line_7], [line_8, "call-1"])


async def test_a_consultation_needs_both_lines_and_survives_the_colleagues_bridge_going(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    await gateway.attach_agent(7, "PJSIP/agent-7")
    await gateway.attach_agent(8, "PJSIP/agent-8")
    line_7 = fake.bridges["agent-7"].channels[0]

    with pytest.raises(GatewayError, match="agent 9 has no phone line"):
        await gateway.consult(7, 9)
    unmoved = list(fake.bridges["agent-7"].channels)
    await gateway.consult(7, 8)
    await gateway.detach_agent(8)  # the colleague's session ends: their bridge is destroyed
    await gateway.end_consultation(7)
    home = list(fake.bridges["agent-7"].channels)
    removals = [
        path
        for method, path, _ in fake.requests
        if method == "POST" and path.endswith("/removeChannel")
    ]

    assert unmoved == [line_7]
    assert home == [line_7]
    # Asterisk answered 404 for the destroyed bridge; the line went home all the same.
    assert removals == ["/ari/bridges/agent-7/removeChannel", "/ari/bridges/agent-8/removeChannel"]


async def test_a_recording_can_be_stopped_before_the_call_ends(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    await gateway.attach_agent(7, "PJSIP/agent-7")
    await gateway.originate(dial("call-1"))
    await events.next()
    await events.next()
    await gateway.connect("call-1", 7)

    await gateway.start_recording("call-1", "call-1")
    await gateway.stop_recording("call-1")
    await gateway.stop_recording("call-1")

    assert fake.live_recordings == {}
    assert list(fake.stored_recordings) == ["call-1"]
    with pytest.raises(GatewayError, match="recording name 'a/b' is not usable"):
        await gateway.start_recording("call-1", "a/b")


# --- hang-up and reconciliation ----------------------------------------------------------------


async def test_hanging_up_a_call_that_is_gone_is_not_an_error(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    fake.script(CUSTOMER, Behaviour.no_answer())
    await gateway.originate(dial("call-1"))
    await events.next()

    await gateway.hang_up("call-1", EndCause.NO_ANSWER)
    await gateway.hang_up("call-1")
    ended = await events.next()

    assert ended == CallEnded("call-1", ended.at, EndCause.NO_ANSWER, 19)
    hang_ups = [params for method, _, params in fake.requests if method == "DELETE"]
    assert hang_ups == [{"reason": "no_answer"}, {"reason": "normal"}]


async def test_live_calls_lists_customer_calls_only(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    fake.script(CUSTOMER, Behaviour.no_answer())
    await gateway.attach_agent(7, "PJSIP/agent-7")
    await gateway.originate(dial("call-1"))
    await gateway.originate(dial("call-2"))

    assert await gateway.live_calls() == {"call-1", "call-2"}


async def test_a_dropped_events_stream_reconnects_and_reconciles(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    fake.script("+40723000001", Behaviour.human())
    fake.script("+40723000002", Behaviour.human())
    fake.script("+40723000003", Behaviour.no_answer())
    for index in (1, 2, 3):
        await gateway.originate(dial(f"call-{index}", f"+4072300000{index}"))
    # Both back from answering-machine detection: a call still in AMD when the stream drops
    # would find no application to return to and end (as on a real Asterisk).
    answered: set[str] = set()
    while answered != {"call-1", "call-2"}:
        event = await events.next()
        if isinstance(event, CallAnswered):
            answered.add(event.call_id)

    fake.is_refusing_event_streams = True
    await fake.drop_event_streams()
    await wait_until(lambda: not gateway.is_connected)
    fake.hang_up_far_end("call-1")  # answered, ends unseen
    fake.hang_up_far_end("call-3", cause=17)  # ringing, ends unseen
    with pytest.raises(GatewayError, match="events stream of ARI application 'dialcrm' is down"):
        await gateway.originate(dial("call-4"))
    drained = [event async for event in _drain(events)]
    fake.is_refusing_event_streams = False
    await wait_until(lambda: gateway.is_connected)
    reconciled = [await events.next(), await events.next()]
    fake.hang_up_far_end("call-2")
    call_2 = await events.until_ended("call-2")

    assert not [event for event in drained if isinstance(event, CallEnded)]  # nothing seen
    assert {
        event.call_id: (type(event), event.cause, event.cause_code) for event in reconciled
    } == {
        "call-1": (CallEnded, EndCause.NORMAL, None),  # answered: a normal end
        "call-3": (CallEnded, EndCause.FAILED, None),  # never answered: the cause is lost
    }
    assert call_2[-1] == CallEnded("call-2", call_2[-1].at, EndCause.NORMAL, 16)
    assert gateway.connections == 2


async def _drain(events: Events):  # type: ignore[no-untyped-def]
    while True:
        try:
            yield await events.next(timeout_s=0.2)
        except TimeoutError:
            return


async def test_a_second_process_takes_over_the_application(
    fake: FakeAri, gateway: AsteriskGateway, events: Events
) -> None:
    second = AsteriskGateway(config_for(fake))
    await second.start()
    try:
        with pytest.raises(GatewayError, match="another process holds ARI application"):
            await events.next()
        assert gateway.is_replaced
        with pytest.raises(GatewayError, match="another process holds"):
            await gateway.originate(dial("call-1"))

        await second.originate(dial("call-2"))
        taken_over = Events(second)
        assert isinstance(await taken_over.next(), CallProgress)
        await asyncio.sleep(0.3)
        assert gateway.connections == 1  # the replaced one does not fight back
        assert fake.holders["dialcrm"] is fake.listeners[-1]
    finally:
        await second.close()
    replaced = [e for e in fake.events_of("dialcrm") if e["type"] == "ApplicationReplaced"]
    assert len(replaced) == 1


# --- timeouts and failures ------------------------------------------------------------------


async def test_every_request_gives_up_at_its_timeout(fake: FakeAri) -> None:
    gateway = AsteriskGateway(config_for(fake, request_timeout_s=0.3))
    await gateway.start()
    fake.stall()
    try:
        for command in (
            gateway.originate(dial("call-1")),
            gateway.hang_up("call-1"),
            gateway.live_calls(),
            gateway.connect("call-1", 7),
        ):
            started = time.monotonic()
            with pytest.raises(GatewayError) as refused:
                await command
            # The stalled fake never answers: coming back at all is the timeout at work (the
            # bound is loose so a loaded machine cannot fail it).
            assert time.monotonic() - started < 5
            assert "within 0.3 s" in str(refused.value) or "no phone line" in str(refused.value)
    finally:
        fake.unstall()
        await gateway.close()


async def test_a_wrong_password_fails_the_start_with_a_clear_message(fake: FakeAri) -> None:
    gateway = AsteriskGateway(config_for(fake, password="wrong", connect_timeout_s=0.5))

    with pytest.raises(GatewayError, match=r"refused the ARI user \(401\)"):
        await gateway.start()
    await gateway.close()


async def test_an_unreachable_asterisk_fails_the_start(fake: FakeAri) -> None:
    gateway = AsteriskGateway(config_for(fake, url="http://127.0.0.1:9/ari", connect_timeout_s=0.5))

    with pytest.raises(GatewayError, match="could not open the events stream"):
        await gateway.start()
    await gateway.close()


# --- Local channels (how the real-Asterisk tests simulate customers) ------------------------------


@pytest.mark.parametrize(
    ("behaviour", "cause", "code"),
    [
        (Behaviour.busy(), EndCause.BUSY, 17),
        (Behaviour.congestion(), EndCause.CONGESTION, 34),
        (Behaviour.invalid_number(), EndCause.INVALID_NUMBER, 1),
    ],
)
async def test_with_local_channels_the_far_leg_gives_the_cause(
    fake: FakeAri, behaviour: Behaviour, cause: EndCause, code: int
) -> None:
    fake.script("40723000001", behaviour)
    gateway = AsteriskGateway(config_for(fake, trunk="Local/{digits}@dialcrm-test-customers"))
    await gateway.start()
    try:
        events = Events(gateway)
        await gateway.originate(dial("call-1"))
        seen = await events.until_ended("call-1")
    finally:
        await gateway.close()

    assert seen[-1] == CallEnded("call-1", seen[-1].at, cause, code)
    assert fake.destroyed["call-1"] == (0 if code in (17, 34) else code)
    assert originate_requests(fake)[0]["otherChannelId"] == "call-1.far"


# --- configuration -------------------------------------------------------------------------------


def test_configuration_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASTERISK_ARI_URL", "https://pbx.example.com:8089/ari")
    monkeypatch.setenv("ASTERISK_ARI_USER", "dialcrm")
    monkeypatch.setenv("ASTERISK_ARI_PASSWORD", "s3cret")
    monkeypatch.setenv("ASTERISK_ARI_APP", "dialcrm-east")
    monkeypatch.setenv("ASTERISK_TRUNK", "PJSIP/{digits}@carrier")
    monkeypatch.setenv("ASTERISK_AMD_CONTEXT", "none")

    config = AriConfig.from_env()

    assert (
        config.events_url
        == "wss://pbx.example.com:8089/ari/events?app=dialcrm-east&subscribeAll=false"
    )
    assert config.endpoint_for("+40723000001") == "PJSIP/40723000001@carrier"
    assert config.amd_context is None


def test_a_bad_trunk_template_is_reported_with_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASTERISK_ARI_URL", "http://127.0.0.1:8088/ari")
    monkeypatch.setenv("ASTERISK_ARI_USER", "dialcrm")
    monkeypatch.setenv("ASTERISK_ARI_PASSWORD", "s3cret")
    monkeypatch.setenv("ASTERISK_TRUNK", "PJSIP/{phone}@trunk")

    with pytest.raises(ConfigurationError, match=r"ASTERISK_TRUNK"):
        AriConfig.from_env()
    monkeypatch.delenv("ASTERISK_ARI_PASSWORD")
    with pytest.raises(ConfigurationError, match="ASTERISK_ARI_PASSWORD is required"):
        AriConfig.from_env()


async def test_the_engine_gets_the_adapter_from_the_environment_without_starting_it(
    fake: FakeAri, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASTERISK_ARI_URL", fake.url)
    monkeypatch.setenv("ASTERISK_ARI_USER", "dialcrm")
    monkeypatch.setenv("ASTERISK_ARI_PASSWORD", "secret")
    gateway = gateway_from_settings()
    try:
        events = Events(gateway)  # the engine's first wait for an event opens the stream
        await gateway.originate(dial("call-1"))
        seen = [await events.next(), await events.next()]
    finally:
        await gateway.close()

    assert [type(event) for event in seen] == [CallProgress, CallAnswered]
