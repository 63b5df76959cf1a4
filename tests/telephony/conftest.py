"""Fixtures for the telephony tests: the fake Asterisk, an adapter pointed at it, an event reader."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from dialcrm.telephony.asterisk import AriConfig, AsteriskGateway
from dialcrm.telephony.gateway import CallEnded, GatewayEvent
from tests.telephony.fake_ari import FakeAri

USER, PASSWORD = "dialcrm", "secret"


def config_for(fake: FakeAri, **overrides: Any) -> AriConfig:
    """An adapter configuration for the fake, with short timeouts so failures show fast."""
    values: dict[str, Any] = {
        "url": fake.url,
        "user": USER,
        "password": PASSWORD,
        "request_timeout_s": 1.0,
        "connect_timeout_s": 2.0,
        "agent_answer_timeout_s": 2.0,
        "playback_timeout_s": 2.0,
        "reconnect_min_s": 0.05,
        "reconnect_max_s": 0.2,
        "far_leg_grace_s": 0.5,
    }
    values.update(overrides)
    return AriConfig(**values)


@pytest.fixture
async def fake() -> AsyncIterator[FakeAri]:
    server = FakeAri(users={USER: PASSWORD})
    await server.start()
    yield server
    await server.stop()
    assert server.errors == []


@pytest.fixture
async def gateway(fake: FakeAri) -> AsyncIterator[AsteriskGateway]:
    adapter = AsteriskGateway(config_for(fake))
    await adapter.start()
    yield adapter
    await adapter.close()


class Events:
    """Reads a gateway's events with a deadline, so a missing event fails instead of hanging."""

    def __init__(self, gateway: AsteriskGateway) -> None:
        self._stream = gateway.events()

    async def next(self, timeout_s: float = 3.0) -> GatewayEvent:
        async with asyncio.timeout(timeout_s):
            return await anext(self._stream)

    async def until_ended(self, call_id: str, timeout_s: float = 5.0) -> list[GatewayEvent]:
        """The call's events up to and including its CallEnded (other calls' are dropped)."""
        seen: list[GatewayEvent] = []
        async with asyncio.timeout(timeout_s):
            while True:
                event = await anext(self._stream)
                if event.call_id != call_id:
                    continue
                seen.append(event)
                if isinstance(event, CallEnded):
                    return seen

    async def expect_none(self, wait_s: float = 0.3) -> None:
        try:
            async with asyncio.timeout(wait_s):
                event = await anext(self._stream)
        except TimeoutError:
            return
        raise AssertionError(f"expected no event, got {event}")


@pytest.fixture
def events(gateway: AsteriskGateway) -> Events:
    return Events(gateway)
