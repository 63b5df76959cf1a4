"""The ASGI application: Django for HTTP, Channels for WebSockets, and (in the demo) the dialer
engine started and stopped with the server."""

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dialcrm.settings")
# The event loop (every socket's messages) takes the interpreter's lock in turn with the threads
# of requests and cards: at the default 5 ms switch interval each of its turns could wait 5 ms
# per busy thread, so a call's card reached its desk late behind others' requests.
SWITCH_INTERVAL_S = 0.0005
sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_application = get_asgi_application()

from dialcrm.core.sockets import SocketAuthMiddlewareStack  # noqa: E402
from dialcrm.routing import websocket_urlpatterns  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(
            SocketAuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)


Services = Callable[[asyncio.Event], Awaitable[None]]


def _demo_dialer(stop: asyncio.Event) -> Awaitable[None]:
    from dialcrm.dialer.service import run_dialer

    return run_dialer(stop, with_simulated_agents=True)


def make_application(dialer: Services | None) -> Callable[..., Awaitable[None]]:
    """The ASGI application, running `dialer` (if any) and, when configured, the background worker
    inside the server's process, started and stopped with it. Tests and benchmarks pass their own
    dialer (another phone system, another speed)."""

    async def lifespan(receive: Any, send: Any) -> None:
        stop = asyncio.Event()
        worker_stop = threading.Event()
        task = worker = None
        cards: asyncio.Task[None] | None = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                from dialcrm.desk.consumers import prepare_cards

                cards = asyncio.create_task(prepare_cards(stop))
                if dialer is not None:
                    task = asyncio.create_task(dialer(stop))
                if settings.WORKER_IN_PROCESS:
                    from dialcrm.core.worker import run_worker_forever

                    worker = threading.Thread(
                        target=run_worker_forever,
                        args=(worker_stop,),
                        name="worker",
                        daemon=True,
                    )
                    worker.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                stop.set()
                worker_stop.set()
                if cards is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(cards, timeout=5)
                if task is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(task, timeout=15)
                if worker is not None:
                    await asyncio.to_thread(worker.join, 10)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        await router(scope, receive, send)

    return application


application = make_application(_demo_dialer if settings.DIALER_IN_PROCESS else None)
