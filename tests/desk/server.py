"""The ASGI application the desk's browser tests run under uvicorn: the product's own, with a
dialer engine in process on a quick simulated phone system (everyone answers within a second)
and its commands taken from the channel layer, as `dialcrm demo` does with its defaults.

    uvicorn tests.desk.server:application  (DIALCRM_ENV=test, DATABASE_URL=<the test database>)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialcrm.settings")

from django.conf import settings  # noqa: E402

from dialcrm.asgi import router  # noqa: E402
from tests.desk.conftest import CHANNEL_SOCKET_TIMEOUT_S  # noqa: E402

SPEEDUP = float(os.environ.get("DESK_TEST_SPEEDUP", "5"))
if settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis"):
    settings.CHANNEL_LAYERS["default"]["CONFIG"] = {
        "hosts": [{"address": settings.REDIS_URL, "socket_timeout": CHANNEL_SOCKET_TIMEOUT_S}]
    }


async def run_engine(stop: asyncio.Event) -> None:
    from dialcrm.dialer.engine import Engine
    from dialcrm.dialer.realtime import ChannelsPublisher, receive_commands
    from dialcrm.telephony.clock import Clock
    from dialcrm.telephony.simulated import SimulatedGateway
    from tests.dialer.engine.conftest import quick_customers

    clock = Clock(speedup=SPEEDUP)
    gateway = SimulatedGateway(clock, quick_customers(human=1.0, busy=0.0), seed=7)
    engine = Engine(gateway, clock, ChannelsPublisher())
    engine.sync_every_s = 0.5
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
                    await asyncio.wait_for(task, timeout=10)
            await send({"type": "lifespan.shutdown.complete"})
            return
