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
queue, which is what the backup copy was for. Sending, groups, capacity and expiry are Channels'
own.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels_redis.core import RedisChannelLayer

logger = logging.getLogger(__name__)
RETRY_AFTER_S = 1.0


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
