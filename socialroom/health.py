"""Liveness and readiness pages for load balancers and orchestrators (docs/deployment.md, "Health").

``/healthz``: the process answers; nothing else is checked, so a database outage never gets
healthy server processes restarted. ``/readyz``: the dependencies this process serves with,
each probed by a django-health-check check: the database (``SELECT 1``), the channel layer (a
message sent to a fresh channel and received back), the cache (set and get), the Celery broker
(a Redis ping; not applicable when tasks run in process) and the stream followers (their feeds'
last message and last error).

Readiness answers 503 when the database, the channel layer, the cache or the broker is down:
this process cannot serve the console, the overlay or the audience without them. A follower
failing or silent is reported as ``degraded`` with 200: it runs in a process of its own, and
taking the web processes out of the load balancer would stop the whole studio for one social
network's outage, which they cannot fix. Alert on it from the metrics instead.

Both pages need no login and are cheap: the readiness result is kept ``HEALTH_CACHE_SECONDS``
per process, and each probe is bounded by ``HEALTH_TIMEOUT_SECONDS``. They show no secret and no
session data: check names, statuses, timings, feed ids and kinds, and times.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import threading
import time
import uuid
from typing import Any, ClassVar

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from health_check import checks as library_checks
from health_check.base import HealthCheck, HealthCheckResult
from health_check.contrib.redis import Redis as RedisCheck
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView
from redis.asyncio import Redis as AsyncRedis

from questions.ingest.health import followed_feeds_health

OK, DEGRADED, UNAVAILABLE = "ok", "degraded", "unavailable"


def _timeout() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.HEALTH_TIMEOUT_SECONDS)


@dataclasses.dataclass
class Database(library_checks.Database):
    name: ClassVar[str] = "database"

    def __post_init__(self) -> None:
        self.timeout = _timeout()

    def run(self) -> None:
        try:
            super().run()
        finally:
            # A thread of the check runner's executor, not a request's: leave no connection.
            close_old_connections()


@dataclasses.dataclass
class Cache(library_checks.Cache):
    name: ClassVar[str] = "cache"

    def __post_init__(self) -> None:
        self.timeout = _timeout()  # the probe's bound, and its key's lifetime


@dataclasses.dataclass
class ChannelLayer(HealthCheck):
    """A message to a fresh channel of this process's channel layer, received back in time."""

    name: ClassVar[str] = "channel_layer"

    def __post_init__(self) -> None:
        self.timeout = _timeout()

    async def run(self) -> None:
        layer = get_channel_layer()
        if layer is None:
            raise ServiceUnavailable("No channel layer is configured.")
        nonce = uuid.uuid4().hex
        channel = ""
        try:
            async with asyncio.timeout(self.timeout.total_seconds()):
                channel = await layer.new_channel()
                await layer.send(channel, {"type": "health.ping", "nonce": nonce})
                received = await layer.receive(channel)
        except TimeoutError as exc:
            raise ServiceUnavailable("No answer from the channel layer in time.") from exc
        except Exception as exc:
            failure = exc.__class__.__name__
            raise ServiceUnavailable(f"The channel layer failed ({failure}).") from exc
        finally:
            if channel:
                await _forget(layer, channel)
        if received.get("nonce") != nonce:
            raise ServiceUnavailable("The channel layer returned another message.")


async def _forget(layer: Any, channel: str) -> None:
    """Drop the probe's channel. The pub/sub layer unsubscribes a channel when a receive on it
    is cancelled (channels_redis has no other way); the in-memory one when it is empty."""
    waiting = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)  # let it reach its wait
    waiting.cancel()
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait_for(waiting, settings.HEALTH_TIMEOUT_SECONDS)


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker: a ping when it is Redis; not applicable when tasks run in process."""

    name: ClassVar[str] = "broker"
    detail: str = dataclasses.field(default="", init=False)

    def __post_init__(self) -> None:
        self.timeout = _timeout()

    async def run(self) -> None:
        url = str(settings.CELERY_BROKER_URL or "")
        if settings.CELERY_TASK_ALWAYS_EAGER:
            self.detail = "not applicable: tasks run in the process that sends them"
            return
        if not url.startswith(("redis://", "rediss://")):
            self.detail = "not checked: the broker is not Redis"
            return
        seconds = self.timeout.total_seconds()
        await RedisCheck(
            client_factory=lambda: AsyncRedis.from_url(
                url, socket_connect_timeout=seconds, socket_timeout=seconds
            )
        ).run()


@dataclasses.dataclass
class Followers(HealthCheck):
    """The followed feeds: degraded (not down) when one is failing or silent too long."""

    name: ClassVar[str] = "followers"
    feeds: list[dict[str, object]] = dataclasses.field(default_factory=list, init=False)

    def run(self) -> None:
        try:
            report = followed_feeds_health(silence_seconds=settings.FOLLOWER_SILENCE_SECONDS)
        except DatabaseError as exc:
            # The database check says so already; the followers' state is unknown, not down.
            raise ServiceWarning("The feeds could not be read.") from exc
        finally:
            close_old_connections()
        self.feeds = [feed.as_dict() for feed in report]
        failing = sum(1 for feed in report if feed.failing)
        silent = sum(1 for feed in report if feed.silent)
        if failing or silent:
            raise ServiceWarning(f"{failing} feed(s) failing, {silent} silent.")


def _status(result: HealthCheckResult) -> str:
    if result.error is None:
        return OK
    if isinstance(result.error, ServiceWarning):
        return DEGRADED
    return UNAVAILABLE


def report(results: list[HealthCheckResult]) -> tuple[int, dict[str, Any]]:
    """The readiness answer: 503 when a dependency is down, else 200 (``degraded`` included)."""
    checks: dict[str, dict[str, Any]] = {}
    for result in results:
        check = result.check
        entry: dict[str, Any] = {
            "status": _status(result),
            "seconds": round(result.time_taken, 4),
        }
        if result.error is not None:
            entry["error"] = str(result.error)
        if getattr(check, "detail", ""):
            entry["detail"] = check.detail
        if isinstance(check, Followers):
            entry["feeds"] = check.feeds
        checks[getattr(check, "name", check.__class__.__name__)] = entry
    statuses = {entry["status"] for entry in checks.values()}
    overall = UNAVAILABLE if UNAVAILABLE in statuses else DEGRADED if DEGRADED in statuses else OK
    return (503 if overall == UNAVAILABLE else 200), {"status": overall, "checks": checks}


class _Recent:
    """The last readiness answer of this process, for ``HEALTH_CACHE_SECONDS``: probes from
    several load balancers every second cost one round of checks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.until = 0.0
        self.answer: tuple[int, dict[str, Any]] | None = None

    def get(self) -> tuple[int, dict[str, Any]] | None:
        with self.lock:
            return self.answer if time.monotonic() < self.until else None

    def put(self, answer: tuple[int, dict[str, Any]]) -> None:
        with self.lock:
            self.answer = answer
            self.until = time.monotonic() + settings.HEALTH_CACHE_SECONDS


recent = _Recent()


class ReadinessView(HealthCheckView):
    """``/readyz``: JSON only; 200 (ok or degraded) or 503 (a dependency is down)."""

    checks = (Database, ChannelLayer, Cache, Broker, Followers)

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        answer = recent.get()
        if answer is None:
            with self.get_executor() as executor:
                results = await asyncio.gather(
                    *(check.get_result(executor) for check in self.get_checks())
                )
            answer = report(list(results))
            recent.put(answer)
        status, body = answer
        response = JsonResponse(body, status=status)
        add_never_cache_headers(response)
        return response


readiness = ReadinessView.as_view()


@never_cache
async def liveness(request: HttpRequest) -> HttpResponse:
    """``/healthz``: the process answers. No dependency is checked."""
    return JsonResponse({"status": OK})
