"""Throttles for the public endpoints, per voter and per client IP.

The client IP comes from DRF's ``get_ident``, which trusts ``X-Forwarded-For`` only for the
``NUM_PROXIES`` proxies configured in settings: with 0, the header is ignored entirely.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from questions.identity import opaque_id
from questions.voters import voter_for_request


class _SettingsRateThrottle(SimpleRateThrottle):
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


class VoteIpThrottle(_IpThrottle):
    scope = "vote_ip"


class VoteVoterThrottle(_VoterThrottle):
    scope = "vote_voter"
