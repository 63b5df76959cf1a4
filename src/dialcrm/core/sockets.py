"""Synchronous work of the WebSockets (sign-in, database reads) on threads of their own.

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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from channels.auth import AuthMiddleware, get_user
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.db import InterfaceError, OperationalError, connection

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
