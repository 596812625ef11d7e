"""The vote throttles, checked on the event loop without blocking it.

The vote endpoint answers on the loop (questions/vote_http.py). Its throttles are DRF's
(``questions.throttles``: same keys, same rates, same stored histories, same ``Retry-After``),
but their counters are read and written here without a blocking call:

- with Redis, the checks that arrive while one round is out are gathered into the next round:
  one ``MGET`` of every key the round needs, every check decided in arrival order against those
  histories, then one pipeline of ``SET``s. Two round trips per round, however many votes, and
  no update lost between requests of one process (two checks of one key see each other);
- without Redis (the embedded default), the counters are in this process's memory: DRF's own
  check, which does no I/O;
- while Redis cannot be reached, a round falls back to the process's own counters
  (``throttles.counters``), as the synchronous throttles do, and tries Redis again a second
  later rather than on every vote.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import redis.asyncio as aioredis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache, RedisSerializer
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis.exceptions import RedisError
from rest_framework.request import Request

from questions.throttles import RateThrottle, counters

# After Redis failed, the rounds use the process's own counters for this long before trying it
# again: a Redis that hangs would otherwise hold every round for its timeout.
RETRY_REDIS_AFTER_SECONDS = 1.0

_serializer = RedisSerializer()  # what Django's Redis cache stores: the histories stay shared


# The throttle that refused a request: its index, and its history and time as the check saw
# them (what DRF's ``wait()`` reads for the Retry-After).
Refusal = tuple[int, list[float], float]


@dataclass
class _Check:
    """One request's throttles, in order: ``(cache key, requests allowed, window seconds)``."""

    rates: list[tuple[str, int, int]]
    future: asyncio.Future[Refusal | None]


class _Rounds:
    """The throttle rounds of one event loop, on one Redis client of that loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, cache: RedisCache) -> None:
        self.loop = loop
        self.cache = cache  # for its key format only: the client below does the I/O
        # The cache's own server and timeouts.
        config = settings.CACHES["default"]
        location = config["LOCATION"]
        if isinstance(location, str):
            location = location.replace(";", ",").split(",")
        options = config.get("OPTIONS", {})
        self.client = aioredis.Redis.from_url(
            location[0].strip(),
            socket_connect_timeout=options.get("socket_connect_timeout"),
            socket_timeout=options.get("socket_timeout"),
        )
        self.queue: list[_Check] = []
        self.running = False

    async def check(self, rates: list[tuple[str, int, int]]) -> Refusal | None:
        future: asyncio.Future[Refusal | None] = self.loop.create_future()
        self.queue.append(_Check(rates, future))
        if not self.running:
            self.running = True
            self.loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self.queue:
                checks, self.queue = self.queue, []
                try:
                    await self._round(checks)
                except BaseException as exc:
                    for check in checks:
                        if not check.future.done():
                            check.future.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
        finally:
            self.running = False

    async def _round(self, checks: list[_Check]) -> None:
        keys = list(dict.fromkeys(key for check in checks for key, _, _ in check.rates))
        shared = _redis_usable()
        histories: dict[str, list[float]] = {}
        if shared:
            try:
                values = await self.client.mget([self.cache.make_key(k) for k in keys])
            except (TimeoutError, RedisError, OSError) as exc:
                _redis_failed(exc)
                shared = False
            else:
                counters._recovered()
                histories = {
                    k: (_serializer.loads(cast(bytes, v)) if v is not None else [])
                    for k, v in zip(keys, values, strict=True)
                }
        if not shared:
            histories = {k: counters.local.get(k, []) for k in keys}

        now = time.time()  # DRF's timer
        windows: dict[str, int] = {}
        outcomes: list[Refusal | None] = []
        for check in checks:
            refused: Refusal | None = None
            # DRF's SimpleRateThrottle.allow_request, for each throttle in turn.
            for index, (key, allowed, window) in enumerate(check.rates):
                history = histories[key]
                while history and history[-1] <= now - window:
                    history.pop()
                if len(history) >= allowed:
                    refused = (index, list(history), now)
                    break
                history.insert(0, now)
                windows[key] = window
            outcomes.append(refused)

        # Each caller goes on once its request is counted where the next check will look.
        await self._store(histories, windows, shared)
        for check, refused in zip(checks, outcomes, strict=True):
            if not check.future.done():  # the caller went away: counted all the same
                check.future.set_result(refused)

    async def _store(
        self, histories: dict[str, list[float]], windows: dict[str, int], shared: bool
    ) -> None:

        if shared and windows:
            try:
                async with self.client.pipeline(transaction=False) as pipe:
                    for key, window in windows.items():
                        pipe.set(
                            self.cache.make_key(key), _serializer.dumps(histories[key]), ex=window
                        )
                    await pipe.execute()
                return
            except (TimeoutError, RedisError, OSError) as exc:
                _redis_failed(exc)
        for key, window in windows.items():
            counters.local.set(key, histories[key], window)


_retry_redis_at = 0.0


def _redis_usable() -> bool:
    return time.monotonic() >= _retry_redis_at


def _redis_failed(exc: Exception) -> None:
    global _retry_redis_at
    counters._failed(exc)
    _retry_redis_at = time.monotonic() + RETRY_REDIS_AFTER_SECONDS


_rounds: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Rounds] = weakref.WeakKeyDictionary()


def _rounds_for(loop: asyncio.AbstractEventLoop, cache: RedisCache) -> _Rounds:
    rounds = _rounds.get(loop)
    if rounds is None:
        rounds = _rounds[loop] = _Rounds(loop, cache)
    return rounds


_cache: BaseCache | None = None


def _default_cache() -> BaseCache:
    """The default cache's backend, made once: ``caches["default"]`` is one object per request
    context (so one Redis client per request), and only its type and key format are needed."""
    global _cache
    if _cache is None:
        _cache = caches.create_connection("default")
    return _cache


@receiver(setting_changed)
def _forget_cache(*, setting: str, **kwargs: object) -> None:
    global _cache, _retry_redis_at
    if setting == "CACHES":
        _cache = None
        _rounds.clear()
        _retry_redis_at = 0.0


async def refusing_throttle(
    request: Request, throttles: Sequence[RateThrottle]
) -> RateThrottle | None:
    """Count the request against each throttle in order, as DRF's ``check_throttles`` does, and
    stop at the first that refuses it: that throttle (its ``wait()`` is the Retry-After), or None.
    """
    cache = _default_cache()
    if not isinstance(cache, RedisCache):
        # The process's own memory: DRF's check does no I/O.
        for throttle in throttles:
            if not throttle.allow_request(request, None):
                return throttle
        return None

    rates: list[tuple[str, int, int]] = []
    counted: list[RateThrottle] = []
    for throttle in throttles:
        rate = _prepare(throttle, request)
        if rate is not None:
            rates.append(rate)
            counted.append(throttle)
    if not rates:
        return None
    refusal = await _rounds_for(asyncio.get_running_loop(), cache).check(rates)
    if refusal is None:
        return None
    index, history, now = refusal
    throttle = counted[index]
    throttle.history, throttle.now = history, now
    return throttle


def _prepare(throttle: RateThrottle, request: Request) -> tuple[str, int, int] | None:
    """The throttle's cache key, requests allowed and window for this request, as DRF's
    ``allow_request`` sets them on the throttle (None: the throttle does not apply)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    throttle.rate = throttle.get_rate()
    if throttle.rate is None:
        return None
    allowed, window = throttle.num_requests, throttle.duration = throttle.parse_rate(throttle.rate)
    # No view: the vote throttles key on the request alone.
    key = throttle.get_cache_key(request, None)  # type: ignore[arg-type]
    if key is None or allowed is None or window is None:
        return None
    return key, allowed, window
