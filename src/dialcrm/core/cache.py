"""One Redis connection pool per process for the cache.

Django keeps a cache object per request context (under ASGI every request and every
`sync_to_async` call gets a fresh one), and its Redis client opens a connection pool of its own:
each request then connected to Redis anew (TCP, handshake, health check) for its first cache read,
e.g. the network allow-list every request consults. `SharedConnectionPool`, named as the cache's
`pool_class`, hands every cache object of the process the same pool for the same server and
options, so connections are kept and reused. redis-py's pools are thread-safe and start afresh in
a forked child.
"""

from __future__ import annotations

import threading
from typing import Any

import redis


class SharedConnectionPool(redis.ConnectionPool):
    _pools_by_url: dict[tuple[str, str], redis.ConnectionPool] = {}
    _pools_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Any:
        key = (url, repr(sorted(kwargs.items(), key=lambda item: item[0])))
        with cls._pools_lock:
            pool = cls._pools_by_url.get(key)
            if pool is None:
                pool = super().from_url(url, **kwargs)
                cls._pools_by_url[key] = pool
        return pool
