"""``/metrics`` in Prometheus' text format, and the HTTP request counter (docs/deployment.md,
"Metrics").

The metrics themselves are defined in ``studio.metrics``. With ``PROMETHEUS_MULTIPROC_DIR`` set,
the page sums the values every process of this machine wrote to that folder; otherwise it shows
this process's own.

The page is for the monitoring system, not the public: it answers only addresses of
``METRICS_ALLOWED_IPS`` (loopback by default; addresses or networks) or a request carrying
``Authorization: Bearer <METRICS_TOKEN>``. Behind a reverse proxy (``NUM_PROXIES``), the
client's address is the one the proxies recorded in ``X-Forwarded-For``; without ``NUM_PROXIES``
a request that came through a proxy (it carries that header) is never taken for a local one.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable
from functools import cache
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from studio import metrics

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def _networks(allowed: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in allowed if entry)


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the proxies in front (``NUM_PROXIES``) saw it, or None when it
    cannot be known (a proxy's header without ``NUM_PROXIES``)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    proxies = settings.NUM_PROXIES
    if proxies:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        return hops[-min(proxies, len(hops))] if hops else request.META.get("REMOTE_ADDR")
    if forwarded:
        return None
    return request.META.get("REMOTE_ADDR")


def allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if given.startswith("Bearer ") and hmac.compare_digest(
            given[len("Bearer ") :].strip().encode(), token.encode()
        ):
            return True
    address = client_address(request)
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.METRICS_ALLOWED_IPS)))


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    if metrics.multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class HttpMetricsMiddleware(MiddlewareMixin):
    """Counts every answered request by method and status class.

    First in MIDDLEWARE, so it sees the final answer. A MiddlewareMixin, so the vote endpoint's
    own middleware chain (questions/vote_http.py) counts its requests too; its async path calls
    the hook directly, without the thread hop MiddlewareMixin would add.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        metrics.count_http(request.method or "", response.status_code)
        return response

    async def __acall__(self, request: HttpRequest) -> Any:
        response = await cast("Awaitable[HttpResponse]", self.get_response(request))
        return self.process_response(request, response)
