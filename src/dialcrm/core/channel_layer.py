"""Channels' Redis channel layer, taking a process's waiting messages many at a time.

Every socket of a process receives through one Redis key (the process's channel). Channels'
own `RedisChannelLayer` takes the messages off that key one at a time, each with four Redis
round trips in turn (a clean-up script, the blocking pop, a backup copy, the backup's removal),
every one through the process's event loop: a web process whose loop is busy (a floor of desks,
cards being built on threads) then delivers only a few dozen messages a second, and a wave of
calls queued for seconds (measured in `bench/desk.py`, docs/desk.md "Speed").

`BatchingRedisChannelLayer` keeps one reading task per process channel instead: it takes every
message waiting (up to `batch_size`) in one round trip, waits with a blocking pop only when
there is none, and hands each message to its socket's queue. The reader is never cancelled by a
socket that goes away (it belongs to no socket), so no message is lost between the pop and its
queue, which is what the backup copy was for.

Sending takes fewer round trips too, in the same keys and format as Channels' (a process of
either kind reads the other's messages): a message to a channel is one script (expired messages
dropped, the capacity checked, the message added, the key's expiry renewed), where Channels
makes four calls; to a group, the group's members in one pipelined call and then that script
for all of them, where Channels makes four calls in turn. The engine sends every message to a
desk to a group, through its own busy event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from channels.exceptions import ChannelFull
from channels_redis.core import RedisChannelLayer

logger = logging.getLogger(__name__)
RETRY_AFTER_S = 1.0
# KEYS: the channels' keys; ARGV: each key's message, then each key's capacity, then the time
# now and the messages' lifetime in seconds. Returns how many keys were full (their message is
# dropped, as Channels does).
PUSH_SCRIPT = """
local count = #KEYS
local now = tonumber(ARGV[2 * count + 1])
local lifetime = tonumber(ARGV[2 * count + 2])
local full = 0
for i = 1, count do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, now - lifetime)
    if redis.call('ZCARD', KEYS[i]) < tonumber(ARGV[count + i]) then
        redis.call('ZADD', KEYS[i], now, ARGV[i])
        redis.call('EXPIRE', KEYS[i], lifetime)
    else
        full = full + 1
    end
end
return full
"""


class BatchingRedisChannelLayer(RedisChannelLayer):  # type: ignore[misc]
    batch_size = 500

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.readers: dict[str, asyncio.Task[None]] = {}
        self.receivers = 0

    async def receive(self, channel: str) -> dict[str, Any]:
        if "!" not in channel:
            return await super().receive(channel)  # type: ignore[no-any-return]
        assert self.require_valid_channel_name(channel)
        self._read(self.non_local_name(channel))
        queue = self.receive_buffer[channel]
        self.receivers += 1
        try:
            message: dict[str, Any] = await queue.get()
        finally:
            self.receivers -= 1
            if queue.empty() and self.receive_buffer.get(channel) is queue:
                del self.receive_buffer[channel]  # a socket that is gone leaves no queue behind
        return message

    def _read(self, process_channel: str) -> None:
        """Start the process channel's reader on this event loop, unless it runs."""
        loop = asyncio.get_running_loop()
        reader = self.readers.get(process_channel)
        if reader is not None and not reader.done() and reader.get_loop() is loop:
            return
        self.readers[process_channel] = loop.create_task(self._reader(process_channel))

    async def _reader(self, process_channel: str) -> None:
        """Take the process channel's messages to their sockets' queues until a blocking wait
        ends with nobody receiving."""
        key = self.prefix + process_channel
        index = self.consistent_hash(process_channel)
        while True:
            try:
                connection = self.connection(index)
                popped = await connection.zpopmin(key, self.batch_size)
                if not popped:
                    one = await connection.bzpopmin(key, timeout=self.brpop_timeout)
                    popped = [] if one is None else [(one[1], one[2])]
            except Exception as error:  # Redis' errors share no base class with OSError
                if not self.receivers:
                    return
                logger.warning("channel layer: cannot read from Redis (%s); retrying", error)
                await asyncio.sleep(RETRY_AFTER_S)
                continue
            if not popped and not self.receivers:
                return  # a socket receiving again starts another reader
            for content, _score in popped:
                self._deliver(process_channel, self.deserialize(content))

    def _deliver(self, process_channel: str, message: dict[str, Any]) -> None:
        channels = message.pop("__asgi_channel__", process_channel)
        for channel in channels if isinstance(channels, list) else [channels]:
            self.receive_buffer[channel].put_nowait(message)

    # --- sending ----------------------------------------------------------------------------------

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "message is not a dict"
        assert self.require_valid_channel_name(channel), "Channel name not valid"
        assert "__asgi_channel__" not in message
        key_channel = channel
        if "!" in channel:
            message = {**message, "__asgi_channel__": channel}
            key_channel = self.non_local_name(channel)
            index = self.consistent_hash(channel)
        else:
            index = next(self._send_index_generator)
        full = await self._push(
            index, [self.prefix + key_channel], [self.serialize(message)], [channel]
        )
        if full:
            raise ChannelFull()

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert self.require_valid_group_name(group), "Group name not valid"
        key = self._group_key(group)
        pipeline = self.connection(self.consistent_hash(group)).pipeline(transaction=False)
        pipeline.zremrangebyscore(key, min=0, max=int(time.time()) - self.group_expiry)
        pipeline.zrange(key, 0, -1)
        _removed, members = await pipeline.execute()
        channels = [member.decode("utf8") for member in members]
        keys_by_index, messages, capacities = self._map_channel_keys_to_connection(
            channels, message
        )
        for index, keys in keys_by_index.items():
            full = await self._push_serialized(
                index, keys, [messages[key] for key in keys], [capacities[key] for key in keys]
            )
            if full:
                logger.info("%s of %s channels over capacity in group %s", full, len(keys), group)

    async def _push(
        self, index: int, keys: list[str], payloads: list[bytes], channels: list[str]
    ) -> int:
        capacities = [self.get_capacity(channel) for channel in channels]
        return await self._push_serialized(index, keys, payloads, capacities)

    async def _push_serialized(
        self, index: int, keys: list[Any], payloads: list[bytes], capacities: list[int]
    ) -> int:
        arguments = [*payloads, *capacities, time.time(), int(self.expiry)]
        connection = self.connection(index)
        return int(await connection.eval(PUSH_SCRIPT, len(keys), *keys, *arguments))
