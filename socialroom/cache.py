"""One Redis connection pool per server process for Django's cache.

Django keeps a cache object per thread and per async context, and the Redis backend gives each
its own connection pool. Under Daphne every HTTP request and every socket has its own context, so
each opened (and resolved, and connected) a fresh Redis connection for its first cache call: a
throttle check cost a TCP handshake. This pool class hands every cache object the same pool.
"""

from __future__ import annotations

import threading
from typing import Any

import redis


class SharedConnectionPool(redis.ConnectionPool):
    _shared: dict[tuple, redis.ConnectionPool] = {}
    # The stubs declare an RLock; a plain Lock guards the shared pools.
    _lock = threading.Lock()  # type: ignore[assignment]

    # Returns a ConnectionPool (the shared one); the stubs expect the subclass itself.
    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> redis.ConnectionPool:  # type: ignore[override]
        key = (url, tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
        with cls._lock:
            pool = cls._shared.get(key)
            if pool is None:
                # redis-py resets a pool in a forked child (Celery's workers) by itself.
                pool = cls._shared[key] = super().from_url(url, **kwargs)
            return pool
