"""The engine on Django Channels: it publishes to groups and takes agents' commands from one.

- `agent.<id>`: messages for one agent's desk (`call.offered`, `call.ended`, `agent.state`,
  `command.refused`);
- `campaign.<id>`: the campaign's live figures, every second (`campaign.figures`), the latest
  also kept in the cache for wallboards that open and the wallboard API;
- `dialer.dialed` (a channel, not a group): each call an engine places (`call.dialed`), taken by
  one web process, which prepares the lead's card before the call is answered;
- `dialer.commands`: what desks send the engines (`{"type": "dialer.command", "command": {...}}`,
  the fields of `AgentCommand`); every engine hears every command and acts on those of the
  campaigns it owns.

The messages are described for the desk's builders in `docs/realtime.md`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.layers import get_channel_layer
from django.core.cache import cache

from dialcrm.dialer.engine import COMMANDS, AgentCommand, Engine, Publisher
from dialcrm.dialer.figures import LATEST_FIGURES_S, latest_figures_key

logger = logging.getLogger(__name__)
COMMANDS_GROUP = "dialer.commands"
DIALED_CHANNEL = "dialer.dialed"
_FIELDS = set(AgentCommand.__dataclass_fields__)


class ChannelsPublisher(Publisher):
    def __init__(self) -> None:
        self.layer = get_channel_layer()

    async def to_agent(self, agent_id: int, message: dict[str, Any]) -> None:
        await self.layer.group_send(
            f"agent.{agent_id}", {"type": "dialer.message", "message": message}
        )

    async def to_campaign(self, campaign_id: int, message: dict[str, Any]) -> None:
        await self.layer.group_send(
            f"campaign.{campaign_id}", {"type": "dialer.message", "message": message}
        )
        if message.get("type") == "campaign.figures":
            # The latest figures, for a wallboard that opens and for the API's snapshot.
            await cache.aset(latest_figures_key(campaign_id), message, timeout=LATEST_FIGURES_S)

    async def call_dialed(self, message: dict[str, Any]) -> None:
        try:
            await self.layer.send(DIALED_CHANNEL, {"type": "dialer.dialed", "message": message})
        except Exception as error:  # full (no web process takes them) or Redis away: no card ahead
            logger.debug("call.dialed not sent: %r", error)


def parse_command(payload: Any) -> AgentCommand:
    """An AgentCommand from a channel message; ValueError with the reason for a bad one."""
    if not isinstance(payload, dict):
        raise ValueError("a command is an object")
    unknown = set(payload) - _FIELDS
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    if payload.get("kind") not in COMMANDS:
        raise ValueError(f"kind must be one of {', '.join(sorted(COMMANDS))}")
    if not isinstance(payload.get("agent_id"), int):
        raise ValueError("agent_id must be a whole number")
    return AgentCommand(**payload)


async def receive_commands(engine: Engine) -> None:
    """Feed the engine with the commands sent to `dialer.commands`."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(COMMANDS_GROUP, channel)
    try:
        while True:
            try:
                message = await layer.receive(channel)
            except Exception as error:  # Redis' errors share no base class with OSError
                # The channel layer's store hiccuped: commands wait, the engine goes on.
                logger.warning("dialer commands: channel layer unavailable (%s); retrying", error)
                await asyncio.sleep(1.0)
                continue
            try:
                engine.submit(parse_command(message.get("command")))
            except (TypeError, ValueError) as error:
                logger.warning("ignoring a malformed dialer command: %s", error)
    finally:
        await layer.group_discard(COMMANDS_GROUP, channel)


async def send_command(command: dict[str, Any]) -> None:
    """How a desk (or a team leader's screen) asks the engines for something."""
    await get_channel_layer().group_send(
        COMMANDS_GROUP, {"type": "dialer.command", "command": command}
    )
