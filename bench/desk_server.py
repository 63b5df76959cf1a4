"""The ASGI application bench/desk.py runs under uvicorn: the product's own, with a dialer engine in
process on the simulated phone system, whose answers are stamped with the wall-clock time they
leave the phone system; the stamp rides on the `call.offered` message (`answered_at`, epoch
seconds), so the benchmark's desks measure answer-to-screen without touching the engine.

    DESK_BENCH_SPEEDUP=5 uvicorn bench.desk_server:application
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialcrm.settings")

from dialcrm.asgi import make_application  # noqa: E402
from dialcrm.dialer.core.distributions import Distribution, DistributionKind  # noqa: E402
from dialcrm.dialer.core.scenario import AnsweringMachineDetection, Outcomes  # noqa: E402
from dialcrm.dialer.realtime import ChannelsPublisher  # noqa: E402
from dialcrm.dialer.service import run_dialer  # noqa: E402
from dialcrm.telephony.clock import Clock  # noqa: E402
from dialcrm.telephony.gateway import CallAnswered, GatewayEvent  # noqa: E402
from dialcrm.telephony.simulated import (
    CustomerModel,  # noqa: E402
    SimulatedGateway,  # noqa: E402
)

SPEEDUP = float(os.environ.get("DESK_BENCH_SPEEDUP", "5"))


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


def _stamping_gateway(clock: Clock) -> StampingGateway:
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
    return gateway


def run_engine(stop: asyncio.Event) -> Awaitable[None]:
    return run_dialer(
        stop,
        speedup=SPEEDUP,
        gateway_for=_stamping_gateway,
        publisher_for=lambda gateway: StampingPublisher(gateway),
        sync_every_s=1.0,
    )


application = make_application(run_engine)
