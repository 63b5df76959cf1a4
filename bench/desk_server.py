"""The ASGI application bench/desk.py runs under uvicorn: the product's own, with a dialer engine in
process on the simulated phone system, whose answers are stamped with the wall-clock time they
leave the phone system; the stamp rides on the `call.offered` message (`answered_at`, epoch
seconds), so the benchmark's desks measure answer-to-screen without touching the engine.

    DESK_BENCH_SPEEDUP=5 uvicorn bench.desk_server:application
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialcrm.settings")

from django.conf import settings  # noqa: E402

from dialcrm.asgi import router  # noqa: E402
from dialcrm.dialer.realtime import ChannelsPublisher  # noqa: E402
from dialcrm.telephony.gateway import CallAnswered, GatewayEvent  # noqa: E402
from dialcrm.telephony.simulated import SimulatedGateway  # noqa: E402

SPEEDUP = float(os.environ.get("DESK_BENCH_SPEEDUP", "5"))
# redis-py 8 gives up a read after 5 s (the time channels_redis blocks for a message) and refuses a
# 101st connection at once (200 desks connecting or leaving together need more).
if settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis"):
    settings.CHANNEL_LAYERS["default"]["CONFIG"] = {
        "hosts": [{"address": settings.REDIS_URL, "socket_timeout": 30, "max_connections": 2000}]
    }


class StampingGateway(SimulatedGateway):
    """The simulated phone system, noting when each answer leaves it."""

    answered_at: dict[str, float]

    def _emit(self, event: GatewayEvent) -> None:
        if isinstance(event, CallAnswered):
            self.answered_at[event.call_id] = time.time()
        super()._emit(event)


class StampingPublisher(ChannelsPublisher):
    def __init__(self, gateway: StampingGateway) -> None:
        super().__init__()
        self.gateway = gateway

    async def to_agent(self, agent_id: int, message: dict[str, Any]) -> None:
        if message.get("type") == "call.offered":
            stamp = self.gateway.answered_at.pop(message["call_id"], None)
            message = {**message, "answered_at": stamp}
        await super().to_agent(agent_id, message)


async def run_engine(stop: asyncio.Event) -> None:
    from dialcrm.dialer.core.distributions import Distribution, DistributionKind
    from dialcrm.dialer.core.scenario import AnsweringMachineDetection, Outcomes
    from dialcrm.dialer.engine import Engine
    from dialcrm.dialer.realtime import receive_commands
    from dialcrm.telephony.clock import Clock
    from dialcrm.telephony.simulated import CustomerModel

    clock = Clock(speedup=SPEEDUP)
    customers = CustomerModel(
        outcomes=Outcomes(human=0.6, machine=0.0, busy=0.1, failed=0.0),
        time_to_answer_s=Distribution(DistributionKind.UNIFORM, 3.0, 12.0),
        quick_result_s=Distribution.constant(2.0),
        amd=AnsweringMachineDetection(
            detects_machine=1.0, mistakes_human=0.0, misdetected_machine_s=Distribution.constant(1)
        ),
        amd_delay_s=0.5,
    )
    gateway = StampingGateway(clock, customers, seed=11)
    gateway.answered_at = {}
    engine = Engine(gateway, clock, StampingPublisher(gateway))
    engine.sync_every_s = 1.0
    commands = asyncio.create_task(receive_commands(engine))
    try:
        await engine.run(stop)
    finally:
        commands.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await commands
        await gateway.close()


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "lifespan":
        await router(scope, receive, send)
        return
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            task = asyncio.create_task(run_engine(stop))
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            stop.set()
            if task is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, timeout=15)
            await send({"type": "lifespan.shutdown.complete"})
            return
