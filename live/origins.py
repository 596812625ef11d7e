"""Which web pages may open the crew and graphics sockets: the exact origins the studio serves.

A browser sends the page's origin (scheme, host and port) when it opens a websocket, and sends the
login cookie with it whatever that origin. A page on another port or scheme of the same host (an
intranet tool on :8080, the plain-HTTP twin of an HTTPS studio) must not be able to drive the
console with a producer's cookie (cross-site websocket hijacking), so host names alone are not
enough: the whole origin must match.

The studio's origins are ``STUDIO_ORIGINS`` when set. Otherwise the studio's origin is the one the
socket itself was opened on: ``http://`` for ``ws://`` and ``https://`` for ``wss://`` (or what a
trusted proxy's ``X-Forwarded-Proto`` says, with ``NUM_PROXIES``), with the ``Host`` header the
client sent, which must be one of ``ALLOWED_HOSTS``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_origin(value: str) -> str | None:
    """``scheme://host:port`` in lower case with the port always written, or None when
    ``value`` is not an http(s) origin."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port or _DEFAULT_PORTS[scheme]}"


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def studio_origins(scope: dict[str, Any]) -> set[str]:
    """The origins of the studio's own pages, for this socket's handshake."""
    configured = settings.STUDIO_ORIGINS
    if configured:
        return {o for o in map(normalise_origin, configured) if o}
    host = _header(scope, b"host")
    if not host:
        return set()
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return set()
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    forwarded = _header(scope, b"x-forwarded-proto")
    if settings.NUM_PROXIES and forwarded:
        # A trusted proxy that terminates TLS says how the browser reached it.
        scheme = "https" if forwarded.split(",")[0].strip().lower() == "https" else "http"
    origin = normalise_origin(f"{scheme}://{host}")
    return {origin} if origin else set()


class ExactOriginValidator:
    """ASGI middleware for a websocket route: the handshake's ``Origin`` must be one of the
    studio's origins (or of ``extra``, a settings name listing more).

    ``allow_missing``: a client that sends no ``Origin`` at all is not a browser (graphics
    software, a native app) and cannot carry someone else's cookie; routes authenticated by
    something other than a cookie may let it in.
    """

    def __init__(self, application: Any, *, allow_missing: bool = False, extra: str = "") -> None:
        self.application = application
        self.allow_missing = allow_missing
        self.extra = extra

    def allowed(self, scope: dict[str, Any]) -> bool:
        origin = _header(scope, b"origin")
        if origin is None:
            return self.allow_missing
        wanted = normalise_origin(origin)
        if wanted is None:
            return False
        accepted = studio_origins(scope)
        if self.extra:
            accepted |= {o for o in map(normalise_origin, getattr(settings, self.extra)) if o}
        return wanted in accepted

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not self.allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
