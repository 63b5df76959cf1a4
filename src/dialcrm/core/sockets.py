"""What the WebSockets (the desk's, the team view's, the wallboard's) share: who may use one,
JSON text from the browser read within a size, and their synchronous work (sign-in, database
reads) on threads of their own.

Channels runs every consumer's synchronous code (`database_sync_to_async`) on the process's one
thread for synchronous code, and opens and closes a database connection around each call: when a
whole floor's desks connect at once (the start of a shift), their sign-ins and first reads wait
for each other one by one, each on a new connection. `KeptThreads` are a few threads that each
keep their database connection; `SocketAuthMiddlewareStack` signs sockets in on them.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from channels.auth import AuthMiddleware, get_user
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest
from django.utils.translation import gettext as _

from dialcrm.core.network import client_address, installation_allows, location_allows

T = TypeVar("T")
SIGN_IN_THREADS = 4


class KeptThreads:
    """A few threads, each keeping its database connection, taking work in turn: the work is
    done in the time of its queries, not of a new connection's set-up (requests may run with
    DATABASE_CONN_MAX_AGE=0), and beside the rest of the process's synchronous work."""

    def __init__(self, size: int, name: str) -> None:
        self.threads = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name}-{index}")
            for index in range(size)
        ]
        self.turn = itertools.cycle(self.threads)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        thread = next(self.turn)
        return await loop.run_in_executor(thread, functools.partial(_kept, function, *args))

    def close_connections(self) -> None:
        """Close each thread's connection (a test database is dropped only when unused)."""
        for thread in self.threads:
            thread.submit(_close_connection).result()


def _kept(function: Callable[..., T], *args: Any) -> T:
    try:
        return function(*args)
    except (InterfaceError, OperationalError):
        # The connection died (a database restart): once more on a fresh one.
        connection.close()
        return function(*args)


def _close_connection() -> None:
    connection.close()  # this thread's own


sign_in_threads = KeptThreads(SIGN_IN_THREADS, "socket-sign-in")


class _KeptThreadsAuthMiddleware(AuthMiddleware):
    """Channels' AuthMiddleware, reading the session and the person on `sign_in_threads`."""

    async def resolve_scope(self, scope: dict[str, Any]) -> None:
        scope["user"]._wrapped = await sign_in_threads.run(get_user.func, scope)


def SocketAuthMiddlewareStack(inner: Any) -> Any:  # noqa: N802 (named as Channels' own)
    """Cookies, session and the signed-in person for WebSockets, as `AuthMiddlewareStack`."""
    return CookieMiddleware(SessionMiddleware(_KeptThreadsAuthMiddleware(inner)))


def _scope_address(scope: dict[str, Any]) -> str:
    request = HttpRequest()
    client = scope.get("client") or ("", 0)
    request.META["REMOTE_ADDR"] = client[0] or ""
    for name, value in scope.get("headers", ()):
        key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
        request.META[key] = value.decode("latin-1")
    return client_address(request)


def signed_in_user(scope: dict[str, Any]) -> Any:
    """The scope's person if their session may use a socket: the same guards as the web pages
    (active, password changed, two-factor done, not idle, from an allowed network)."""
    user = scope.get("user")
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    session = scope.get("session")
    if user.must_change_password:
        return None
    if user.requires_two_factor and not (session and session.get("two_factor_verified")):
        return None
    last_seen = session.get("last_seen") if session else None
    if last_seen is not None and time.time() - last_seen > settings.SESSION_IDLE_TIMEOUT_S:
        return None
    address = _scope_address(scope)
    if not installation_allows(address) or not location_allows(user.location_id, address):
        return None
    return user


class JsonTextConsumer(AsyncJsonWebsocketConsumer):
    """A socket whose browser sends JSON text of at most `max_message_chars` characters;
    anything else is answered with `refuse` (the socket's own error message).

    `closes_old_connections = False`: its messages are handled without Channels' database
    clean-up before each one. Channels closes old database connections before every message on
    the process's one thread for synchronous code, so each message to each socket (a call put
    through, a change of state) first takes its turn on that one thread, behind every other
    socket's. A socket whose database work all runs on `KeptThreads` (which replace a dead
    connection) or with `database_sync_to_async` (which closes old connections around each call
    itself) does not need it: the desk's."""

    max_message_chars = 1000
    closes_old_connections = True

    async def dispatch(self, message: dict[str, Any]) -> None:
        if self.closes_old_connections:
            await super().dispatch(message)
            return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def refuse(self, action: str, reason: str) -> None:
        raise NotImplementedError

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.receive_text_json(text_data)

    async def receive_text_json(self, text_data: str | None) -> None:
        """The browser's text, checked and read, to `receive_json`."""
        if text_data is None or len(text_data) > self.max_message_chars:
            await self.refuse(
                "",
                _("Send JSON text of at most %(limit)d characters.")
                % {"limit": self.max_message_chars},
            )
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.refuse("", _("This is not JSON."))
            return
        await self.receive_json(content)
