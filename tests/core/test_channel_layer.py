"""The batching Redis channel layer: a process's sockets get their messages, in order, however
many wait at once, and a socket that goes away loses nobody else's."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from channels.exceptions import ChannelFull
from django.conf import settings

from dialcrm.core.channel_layer import BatchingRedisChannelLayer


@pytest.fixture
async def layer() -> AsyncIterator[BatchingRedisChannelLayer]:
    layer = BatchingRedisChannelLayer(
        hosts=[{"address": settings.REDIS_URL, "socket_timeout": 30}],
        prefix=f"test-{uuid.uuid4().hex[:8]}",
        capacity=5000,
    )
    yield layer
    await layer.flush()


async def test_many_waiting_messages_reach_their_sockets_in_order(
    layer: BatchingRedisChannelLayer,
) -> None:
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("agent.1", first)
    await layer.group_add("agent.2", second)
    for number in range(700):  # more than one batch
        await layer.group_send(f"agent.{1 + number % 2}", {"type": "m", "number": number})

    received_first = [(await layer.receive(first))["number"] for _ in range(350)]
    received_second = [(await layer.receive(second))["number"] for _ in range(350)]

    assert received_first == list(range(0, 700, 2))
    assert received_second == list(range(1, 700, 2))


async def test_a_message_sent_while_a_socket_waits_reaches_it(
    layer: BatchingRedisChannelLayer,
) -> None:
    channel = await layer.new_channel()
    waiting = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)  # the reader is waiting on Redis

    await layer.send(channel, {"type": "m", "text": "hello"})

    assert await asyncio.wait_for(waiting, timeout=5) == {"type": "m", "text": "hello"}


async def test_a_socket_that_stops_waiting_loses_no_other_sockets_message(
    layer: BatchingRedisChannelLayer,
) -> None:
    leaving, staying = await layer.new_channel(), await layer.new_channel()
    gone = asyncio.ensure_future(layer.receive(leaving))
    kept = asyncio.ensure_future(layer.receive(staying))
    await asyncio.sleep(0)

    gone.cancel()
    await layer.send(staying, {"type": "m", "text": "for the one who stayed"})

    assert await asyncio.wait_for(kept, timeout=5) == {
        "type": "m",
        "text": "for the one who stayed",
    }
    assert gone.cancelled()
    assert leaving not in layer.receive_buffer


async def test_a_plain_channel_is_received_as_channels_does(
    layer: BatchingRedisChannelLayer,
) -> None:
    await layer.send("dialer.commands.test", {"type": "m", "number": 1})

    assert await layer.receive("dialer.commands.test") == {"type": "m", "number": 1}


async def test_a_full_channel_refuses_what_passes_its_capacity(
    layer: BatchingRedisChannelLayer,
) -> None:
    layer.capacity = 2
    for number in range(2):
        await layer.send("dialer.full.test", {"type": "m", "number": number})

    with pytest.raises(ChannelFull):
        await layer.send("dialer.full.test", {"type": "m", "number": 2})
    assert await layer.receive("dialer.full.test") == {"type": "m", "number": 0}


async def test_a_group_message_reaches_each_member_once(layer: BatchingRedisChannelLayer) -> None:
    first, second = await layer.new_channel(), await layer.new_channel()
    for channel in (first, second):
        await layer.group_add("team.1", channel)
    await layer.group_discard("team.1", second)
    await layer.group_add("team.1", second)

    await layer.group_send("team.1", {"type": "m", "text": "to both"})

    assert await layer.receive(first) == {"type": "m", "text": "to both"}
    assert await layer.receive(second) == {"type": "m", "text": "to both"}
    assert first not in layer.receive_buffer and second not in layer.receive_buffer
