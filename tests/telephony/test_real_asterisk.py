"""The adapter's flows against a real Asterisk (opt-in).

Set ASTERISK_ARI_URL, ASTERISK_ARI_USER and ASTERISK_ARI_PASSWORD (and ASTERISK_ARI_APP if not
"dialcrm") to an Asterisk that has deploy/asterisk/ (extensions.conf, amd.conf, ari.conf,
http.conf) and tests/telephony/asterisk-test-dialplan.conf loaded. Customers are simulated on
Local channels; ASTERISK_TEST_TRUNK and ASTERISK_TEST_AGENT override the dial strings.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from dialcrm.telephony.asterisk import AriConfig, AsteriskGateway
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
from tests.telephony.conftest import Events

pytestmark = pytest.mark.skipif(
    not os.environ.get("ASTERISK_ARI_URL"),
    reason=(
        "no real Asterisk: set ASTERISK_ARI_URL, ASTERISK_ARI_USER and ASTERISK_ARI_PASSWORD "
        "(Asterisk with deploy/asterisk/ and tests/telephony/asterisk-test-dialplan.conf loaded)"
    ),
)

TRUNK = os.environ.get("ASTERISK_TEST_TRUNK", "Local/{digits}@dialcrm-test-customers/n")
AGENT = os.environ.get("ASTERISK_TEST_AGENT", "Local/agent@dialcrm-test-agents/n")


def config(**overrides: object) -> AriConfig:
    values: dict[str, object] = {
        "url": os.environ["ASTERISK_ARI_URL"],
        "user": os.environ.get("ASTERISK_ARI_USER", "dialcrm"),
        "password": os.environ.get("ASTERISK_ARI_PASSWORD", ""),
        "app": os.environ.get("ASTERISK_ARI_APP", "dialcrm"),
        "trunk": TRUNK,
        "request_timeout_s": 5.0,
        "agent_answer_timeout_s": 5.0,
        "reconnect_min_s": 0.2,
    }
    values.update(overrides)
    return AriConfig(**values)  # type: ignore[arg-type]


def call_id() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def dial(identifier: str, number: str, ring_timeout_s: float = 10.0) -> Originate:
    return Originate(identifier, number, "+40212000000", ring_timeout_s, {"DIALCRM_LEAD": "1"})


@pytest.fixture
async def gateway() -> AsyncIterator[AsteriskGateway]:
    adapter = AsteriskGateway(config())
    await adapter.start()
    yield adapter
    await adapter.close()


@pytest.fixture
def events(gateway: AsteriskGateway) -> Events:
    return Events(gateway)


async def test_a_person_is_detected_and_put_through_to_an_agent(
    gateway: AsteriskGateway, events: Events
) -> None:
    await gateway.attach_agent(990001, AGENT)
    identifier = call_id()
    try:
        await gateway.originate(dial(identifier, "100"))
        seen = [await events.next(timeout_s=15)]
        while not isinstance(seen[-1], CallAnswered):
            seen.append(await events.next(timeout_s=15))
        await gateway.connect(identifier, 990001)
        await gateway.hang_up(identifier)
        ended = await events.until_ended(identifier)
    finally:
        await gateway.detach_agent(990001)

    assert seen[-1].answered_by == AnsweredBy.HUMAN  # type: ignore[union-attr]
    assert ended[-1] == CallEnded(identifier, ended[-1].at, EndCause.NORMAL, 16)


async def test_a_machine_is_detected(gateway: AsteriskGateway, events: Events) -> None:
    identifier = call_id()
    await gateway.originate(dial(identifier, "200"))
    answered = None
    while answered is None:
        event = await events.next(timeout_s=15)
        if isinstance(event, CallAnswered):
            answered = event
    await gateway.hang_up(identifier)
    await events.until_ended(identifier)

    assert answered.answered_by == AnsweredBy.MACHINE


@pytest.mark.parametrize(
    ("number", "cause", "code"),
    [
        ("300", EndCause.BUSY, 17),
        ("400", EndCause.CONGESTION, 34),
        ("600", EndCause.INVALID_NUMBER, 1),
        ("800", EndCause.REJECTED, 21),
    ],
)
async def test_unanswered_calls_are_classified(
    gateway: AsteriskGateway, events: Events, number: str, cause: EndCause, code: int
) -> None:
    identifier = call_id()
    await gateway.originate(dial(identifier, number))
    seen = await events.until_ended(identifier, timeout_s=15)

    assert seen[-1] == CallEnded(identifier, seen[-1].at, cause, code)
    assert not [event for event in seen if isinstance(event, CallAnswered)]


async def test_a_call_nobody_answers_rings_out(gateway: AsteriskGateway, events: Events) -> None:
    identifier = call_id()
    await gateway.originate(dial(identifier, "500", ring_timeout_s=2))
    seen = await events.until_ended(identifier, timeout_s=15)

    assert CallProgress in [type(event) for event in seen]
    assert seen[-1] == CallEnded(identifier, seen[-1].at, EndCause.NO_ANSWER, 19)


async def test_a_customer_hanging_up_ends_the_call_normally(
    gateway: AsteriskGateway, events: Events
) -> None:
    identifier = call_id()
    await gateway.originate(dial(identifier, "700"))
    seen = await events.until_ended(identifier, timeout_s=20)

    assert CallAnswered in [type(event) for event in seen]
    assert seen[-1].cause == EndCause.NORMAL  # type: ignore[union-attr]


async def test_a_retried_originate_places_no_second_call(
    gateway: AsteriskGateway, events: Events
) -> None:
    identifier = call_id()
    await gateway.originate(dial(identifier, "500", ring_timeout_s=5))
    other = AsteriskGateway(config(app="dialcrm-test-other"))
    try:
        with pytest.raises(CallExists):
            await gateway.originate(dial(identifier, "500"))
        # A process that does not remember the call: Asterisk itself answers 409.
        with pytest.raises(CallExists):
            await other.originate(dial(identifier, "500"))
    finally:
        await other.close()
        await gateway.hang_up(identifier)
    assert identifier in {event.call_id for event in await events.until_ended(identifier)}


async def test_connecting_a_call_still_in_amd_is_refused(
    gateway: AsteriskGateway, events: Events
) -> None:
    await gateway.attach_agent(990002, AGENT)
    identifier = call_id()
    settings = config()
    try:
        await gateway.originate(dial(identifier, "200"))
        # The machine's long greeting keeps the call in the AMD context for seconds.
        async with httpx.AsyncClient(
            base_url=settings.rest_url, auth=(settings.user, settings.password), timeout=5
        ) as ari:
            async with asyncio.timeout(15):
                while True:
                    channel = (await ari.get(f"channels/{identifier}")).json()
                    if channel.get("dialplan", {}).get("app_name") == "AMD":
                        break
                    await asyncio.sleep(0.1)
        with pytest.raises(GatewayError, match="not in the"):
            await gateway.connect(identifier, 990002)
    finally:
        await gateway.hang_up(identifier)
        await gateway.detach_agent(990002)


async def test_a_second_process_takes_over_the_application(
    gateway: AsteriskGateway, events: Events
) -> None:
    second = AsteriskGateway(config())
    await second.start()
    try:
        with pytest.raises(GatewayError, match="another process holds"):
            await events.next(timeout_s=5)
        identifier = call_id()
        await second.originate(dial(identifier, "300"))
        seen = await Events(second).until_ended(identifier, timeout_s=15)
    finally:
        await second.close()

    assert seen[-1].cause == EndCause.BUSY  # type: ignore[union-attr]


async def answered(events: Events, identifier: str) -> CallAnswered:
    while True:
        event = await events.next(timeout_s=15)
        if isinstance(event, CallAnswered) and event.call_id == identifier:
            return event


async def test_the_safe_harbour_message_plays_to_the_end_before_the_hang_up(
    gateway: AsteriskGateway, events: Events
) -> None:
    identifier = call_id()
    await gateway.originate(dial(identifier, "100"))
    await answered(events, identifier)

    with pytest.raises(GatewayError, match="could not play sound:dialcrm-no-such-sound"):
        await gateway.play(identifier, "dialcrm-no-such-sound")
    started = time.monotonic()
    await gateway.play(identifier, "dialcrm-safe-harbour")
    played_s = time.monotonic() - started
    await gateway.hang_up(identifier)
    ended = await events.until_ended(identifier)

    # The installed message lasts a few seconds (docs/telephony.md, 9. Tests).
    assert played_s >= 2
    assert ended[-1] == CallEnded(identifier, ended[-1].at, EndCause.NORMAL, 16)


async def test_a_missing_recording_gives_up_at_the_playback_timeout() -> None:
    gateway = AsteriskGateway(config(playback_timeout_s=1.0))
    events = Events(gateway)
    identifier = call_id()
    try:
        await gateway.originate(dial(identifier, "100"))
        await answered(events, identifier)
        with pytest.raises(GatewayError, match="did not finish within 1 s"):
            await gateway.play(identifier, "recording:dialcrm-no-such-recording")
    finally:
        await gateway.hang_up(identifier)
        await gateway.close()


async def test_the_agent_bridge_is_recorded_and_the_file_is_stored(
    gateway: AsteriskGateway, events: Events
) -> None:
    await gateway.attach_agent(990003, AGENT)
    identifier = call_id()
    name = f"campaign-0-{identifier}"
    settings = config()
    try:
        await gateway.originate(dial(identifier, "100"))
        await answered(events, identifier)
        await gateway.start_recording(identifier, name)
        await gateway.connect(identifier, 990003)
        await asyncio.sleep(1)
        await gateway.hang_up(identifier)
        await events.until_ended(identifier)
    finally:
        await gateway.detach_agent(990003)

    async with httpx.AsyncClient(
        base_url=settings.rest_url, auth=(settings.user, settings.password), timeout=5
    ) as ari:
        async with asyncio.timeout(10):
            while (stored := await ari.get(f"recordings/stored/{name}")).status_code == 404:
                await asyncio.sleep(0.2)
        audio = await ari.get(f"recordings/stored/{name}/file")
        await ari.delete(f"recordings/stored/{name}")
    assert stored.json() == {"name": name, "format": "wav"}
    assert audio.status_code == 200
    assert audio.content[:4] == b"RIFF" and len(audio.content) > 8000  # about a second at 8 kHz


async def test_live_calls_lists_customer_calls_only(
    gateway: AsteriskGateway, events: Events
) -> None:
    await gateway.attach_agent(990004, AGENT)
    first, second = call_id(), call_id()
    try:
        await gateway.originate(dial(first, "500", ring_timeout_s=10))
        await gateway.originate(dial(second, "500", ring_timeout_s=10))
        live = await gateway.live_calls()
    finally:
        await gateway.hang_up(first)
        await gateway.hang_up(second)
        await gateway.detach_agent(990004)

    assert live == {first, second}


class Cuttable:
    """A TCP relay to Asterisk's HTTP port that a test can cut and refuse for a while: the
    adapter's events stream drops as it would on a network fault."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.is_refusing = False
        self.pipes: set[asyncio.Task[None]] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.is_refusing:
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self.pipes.add(task)
            task.add_done_callback(self.pipes.discard)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        finally:
            sink.close()

    async def cut(self) -> None:
        self.is_refusing = True
        for task in list(self.pipes):
            task.cancel()
        await asyncio.gather(*self.pipes, return_exceptions=True)

    async def close(self) -> None:
        await self.cut()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def test_a_dropped_events_stream_reconnects_and_reconciles() -> None:
    direct = config()
    parts = httpx.URL(direct.url)
    relay = Cuttable((parts.host, parts.port or 80))
    port = await relay.start()
    gateway = AsteriskGateway(
        config(url=str(parts.copy_with(port=port)), reconnect_min_s=1.0, reconnect_max_s=1.0)
    )
    events = Events(gateway)
    await gateway.start()
    kept, gone = call_id(), call_id()
    try:
        await gateway.originate(dial(kept, "100"))
        await gateway.originate(dial(gone, "100"))
        answers: set[str] = set()
        while answers != {kept, gone}:
            event = await events.next(timeout_s=15)
            if isinstance(event, CallAnswered):
                answers.add(event.call_id)

        await relay.cut()
        async with httpx.AsyncClient(
            base_url=direct.rest_url, auth=(direct.user, direct.password), timeout=5
        ) as ari:
            await ari.delete(f"channels/{gone}")  # ends while nobody listens
        relay.is_refusing = False
        ended = await events.until_ended(gone, timeout_s=15)
        await gateway.hang_up(kept)
        kept_ended = await events.until_ended(kept, timeout_s=15)
    finally:
        await gateway.close()
        await relay.close()

    # Answered, then gone unseen: a normal end without a cause.
    assert ended[-1] == CallEnded(gone, ended[-1].at, EndCause.NORMAL, None)
    assert kept_ended[-1] == CallEnded(kept, kept_ended[-1].at, EndCause.NORMAL, 16)
    assert gateway.connections == 2
