"""The dialer engine bench/desk.py runs beside the web process, as production runs `dialcrm
dialer`: its own process, on the same PostgreSQL and Redis channel layer, talking to the desks
only through the channel layer (`dialcrm.dialer.realtime`). It is `run_dialer` with the bench's
simulated phone system and customers, whose answers are stamped with the wall-clock time they
leave the phone system; the stamp rides on the `call.offered` message (`answered_at`, epoch
seconds) through Redis and the web process to the desks, which measure answer-to-screen without
touching the engine. A second stamp (`published_at`) notes when the engine hands the message to the
channel layer, to tell the engine's part of the time from the web process's.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/desk_engine.py [--speedup 5]

SIGTERM or SIGINT stops it, as they stop `dialcrm dialer`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialcrm.settings")


def _gateway_classes() -> tuple[Any, Any]:
    from dialcrm.dialer.realtime import ChannelsPublisher
    from dialcrm.telephony.gateway import CallAnswered, GatewayEvent
    from dialcrm.telephony.simulated import SimulatedGateway

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
                message = {**message, "answered_at": stamp, "published_at": time.time()}
            await super().to_agent(agent_id, message)

    return StampingGateway, StampingPublisher


def customers() -> Any:
    """The bench's people at the numbers: 60 % answer after 3 to 12 s, no machines."""
    from dialcrm.dialer.core.distributions import Distribution, DistributionKind
    from dialcrm.dialer.core.scenario import AnsweringMachineDetection, Outcomes
    from dialcrm.telephony.simulated import CustomerModel

    return CustomerModel(
        outcomes=Outcomes(human=0.6, machine=0.0, busy=0.1, failed=0.0),
        time_to_answer_s=Distribution(DistributionKind.UNIFORM, 3.0, 12.0),
        quick_result_s=Distribution.constant(2.0),
        amd=AnsweringMachineDetection(
            detects_machine=1.0, mistakes_human=0.0, misdetected_machine_s=Distribution.constant(1)
        ),
        amd_delay_s=0.5,
    )


async def serve(speedup: float) -> None:
    from dialcrm.dialer.service import run_dialer

    gateway_class, publisher_class = _gateway_classes()

    def gateway_for(clock: Any) -> Any:
        gateway = gateway_class(clock, customers(), seed=11)
        gateway.answered_at = {}
        return gateway

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    await run_dialer(
        stop,
        speedup=speedup,
        gateway_for=gateway_for,
        publisher_for=publisher_class,
        sync_every_s=1.0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speedup", type=float, default=5.0)
    arguments = parser.parse_args()
    import django

    django.setup()
    asyncio.run(serve(arguments.speedup))


if __name__ == "__main__":
    main()
