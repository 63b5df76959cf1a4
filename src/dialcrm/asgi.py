"""The ASGI application: Django for HTTP, Channels for WebSockets, and (in the demo) the dialer
engine started and stopped with the server."""

import asyncio
import contextlib
import os
import threading
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialcrm.settings")

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_application = get_asgi_application()

from dialcrm.routing import websocket_urlpatterns  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)


async def lifespan(receive: Any, send: Any) -> None:
    """Start the in-process services with the server (the demo: the dialer with its simulated
    agents, and the import worker in a thread) and stop them with it."""
    stop = asyncio.Event()
    worker_stop = threading.Event()
    task = worker = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if settings.DIALER_IN_PROCESS:
                from dialcrm.dialer.service import run_dialer

                task = asyncio.create_task(run_dialer(stop, with_simulated_agents=True))
            if settings.WORKER_IN_PROCESS:
                from dialcrm.campaigns.worker import run_worker_forever

                worker = threading.Thread(
                    target=run_worker_forever,
                    args=(worker_stop,),
                    name="import-worker",
                    daemon=True,
                )
                worker.start()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            stop.set()
            worker_stop.set()
            if task is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(task, timeout=10)
            if worker is not None:
                await asyncio.to_thread(worker.join, 10)
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    await router(scope, receive, send)
