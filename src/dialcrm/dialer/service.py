"""Running the engine: as its own process (`dialcrm dialer`) or inside the demo's web process,
with the simulated phone system and simulated agents."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

from dialcrm.dialer.bots import BotBehaviour, SimulatedAgent
from dialcrm.dialer.engine import Engine, Publisher
from dialcrm.dialer.realtime import ChannelsPublisher, receive_commands
from dialcrm.telephony.clock import Clock
from dialcrm.telephony.gateway import Gateway

logger = logging.getLogger(__name__)
SIMULATED_AGENT_PREFIX = "sim."


def make_gateway(clock: Clock) -> Gateway:
    """The phone system named by `TELEPHONY`: `simulated` or `asterisk`."""
    if settings.TELEPHONY == "asterisk":
        from dialcrm.telephony.asterisk.config import gateway_from_settings

        gateway: Gateway = gateway_from_settings()
        return gateway
    from dialcrm.telephony.simulated import SimulatedGateway

    return SimulatedGateway(clock)


def _simulated_agents() -> list[tuple[int, int]]:
    """(agent, campaign) pairs for the demo's simulated agents: staff whose username starts
    with `sim.`, in each running campaign their team works on."""
    from dialcrm.campaigns.models import Campaign
    from dialcrm.org.models import Staff

    pairs = []
    for staff in Staff.objects.filter(username__startswith=SIMULATED_AGENT_PREFIX, is_active=True):
        campaign = (
            Campaign.objects.filter(state="running", teams=staff.team_id).order_by("pk").first()
        )
        if campaign is not None:
            pairs.append((staff.pk, campaign.pk))
    return pairs


def _channels_publisher(gateway: Gateway) -> Publisher:
    return ChannelsPublisher()


async def run_dialer(
    stop: asyncio.Event,
    *,
    with_simulated_agents: bool = False,
    speedup: float = 1.0,
    gateway_for: Callable[[Clock], Gateway] = make_gateway,
    publisher_for: Callable[[Gateway], Publisher] = _channels_publisher,
    sync_every_s: float | None = None,
) -> None:
    """Run one engine until `stop` is set. Tests and benchmarks choose their own phone system,
    publisher and how often the engine looks at the campaigns."""
    clock = Clock(speedup=speedup)
    gateway = gateway_for(clock)
    engine = Engine(gateway, clock, publisher_for(gateway))
    if sync_every_s is not None:
        engine.sync_every_s = sync_every_s
    tasks: list[asyncio.Task[Any]] = [asyncio.create_task(receive_commands(engine))]
    if with_simulated_agents:
        await asyncio.sleep(0)  # let the engine take its campaigns first
        for index, (agent_id, campaign_id) in enumerate(await sync_to_async(_simulated_agents)()):
            bot = SimulatedAgent(engine, agent_id, campaign_id, BotBehaviour(), seed=index)
            tasks.append(asyncio.create_task(bot.run()))
        logger.info("%d simulated agents at work", len(tasks) - 1)
    try:
        await engine.run(stop)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await gateway.close()
