"""Throttles for the public endpoints, per voter and per client IP.

The client IP comes from DRF's ``get_ident``, which trusts ``X-Forwarded-For`` only for the
``NUM_PROXIES`` proxies configured in settings: with 0, the header is ignored entirely.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from questions.identity import opaque_id
from questions.voters import voter_for_request

logger = logging.getLogger(__name__)


class ThrottleCounters:
    """The throttles' request counters: in the shared cache (Redis, shared by every server
    process), or in this process's own memory while the shared cache cannot be reached.

    Losing Redis must not turn every question and vote into a 500: the throttles then count per
    process, so a listener gets at most the configured rate from each server process, and the
    counts go back to Redis once it answers.
    """

    def __init__(self) -> None:
        self.local = LocMemCache("throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 50_000}})
        self.down_since: float | None = None

    def _failed(self, exc: Exception) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            logger.warning("Throttle counters fall back to this process: %s", exc)

    def _recovered(self) -> None:
        if self.down_since is not None:
            logger.warning(
                "Throttle counters back in the shared cache after %.0f s",
                time.monotonic() - self.down_since,
            )
            self.down_since = None

    def get(self, key: str, default: Any = None) -> Any:
        try:
            value = shared_cache.get(key, default)
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return self.local.get(key, default)
        self._recovered()
        return value

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        try:
            shared_cache.set(key, value, timeout)
        except (RedisError, OSError) as exc:
            self._failed(exc)
            self.local.set(key, value, timeout)


counters = ThrottleCounters()


class _SettingsRateThrottle(SimpleRateThrottle):
    # ThrottleCounters has the cache methods the throttle uses.
    cache = counters  # type: ignore[assignment]
    # Set from the rate at each check (DRF sets them in __init__; the stubs omit them).
    num_requests: int | None
    duration: int | None

    def get_rate(self) -> str | None:
        # Read at request time so a settings override applies without a restart of the class.
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]

    def allow_request(self, request: Request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class _IpThrottle(_SettingsRateThrottle):
    def get_cache_key(self, request: Request, view) -> str:
        # Keyed hash, so the cache (Redis may persist to disk) never holds a raw IP address.
        ident = opaque_id(self.get_ident(request) or "", purpose="throttle-ip")
        return self.cache_format % {"scope": self.scope, "ident": ident}


class _VoterThrottle(_SettingsRateThrottle):
    def get_cache_key(self, request: Request, view) -> str:
        voter = voter_for_request(request).voter
        return self.cache_format % {"scope": self.scope, "ident": voter}


class SubmitIpThrottle(_IpThrottle):
    scope = "submit_ip"


class SubmitVoterThrottle(_VoterThrottle):
    scope = "submit_voter"


# The throttles the vote endpoint checks on the event loop (questions/async_throttles.py).
RateThrottle = _SettingsRateThrottle


class VoteIpThrottle(_IpThrottle):
    scope = "vote_ip"


class VoteVoterThrottle(_VoterThrottle):
    scope = "vote_voter"


class ReportIpThrottle(_IpThrottle):
    scope = "report_ip"


class ReportVoterThrottle(_VoterThrottle):
    scope = "report_voter"
