"""Websocket routes (see docs/realtime.md).

The audience socket is a plain ASGI application (live/audience_app.py), matched before the
Channels stack (``FirstMatch``); the console, overlay and wall sockets are Channels consumers.
"""

from __future__ import annotations

from typing import Any, cast

from django.urls import URLPattern, path

from live.audience_app import audience_app
from live.consumers import ConsoleConsumer, OverlayConsumer, WallConsumer
from live.origins import ExactOriginValidator

# The audience socket is public: no login, no origin check (the sr_voter cookie, when sent,
# identifies the voter).
audience_urlpatterns = [
    # An ASGI app, not a Django view: django-stubs types path() for views only.
    path("ws/audience/<slug:slug>/", cast(Any, audience_app), name="ws-audience"),
]

websocket_urlpatterns = [
    # The console authenticates with the login cookie, so a page from any other origin (another
    # site, or another port or scheme of the studio's own host) must not open it: cross-site
    # websocket hijacking. A browser always sends Origin; its absence is refused too.
    path(
        "ws/console/<slug:slug>/",
        ExactOriginValidator(ConsoleConsumer.as_asgi()),
        name="ws-console",
    ),
    # The overlay carries its own key. Graphics software that is no browser sends no Origin and
    # is let in; a browser page must come from the studio or from OVERLAY_ORIGINS (a graphics
    # vendor's template server).
    path(
        "ws/overlay/<slug:slug>/",
        ExactOriginValidator(
            OverlayConsumer.as_asgi(), allow_missing=True, extra="OVERLAY_ORIGINS"
        ),
        name="ws-overlay",
    ),
    # The social wall page: the overlay's key and origin rule, the public stream's content.
    path(
        "ws/wall/<slug:slug>/",
        ExactOriginValidator(WallConsumer.as_asgi(), allow_missing=True, extra="OVERLAY_ORIGINS"),
        name="ws-wall",
    ),
    # ws/audience/<slug>/ ("ws-audience"): audience_urlpatterns above, served before these.
]


class FirstMatch:
    """ASGI: paths of ``patterns`` go to their plain ASGI app (with ``url_route`` in the scope,
    as Channels' URLRouter sets it), every other path to ``fallback``."""

    def __init__(self, patterns: list[URLPattern], fallback: Any) -> None:
        self.patterns = patterns
        self.fallback = fallback

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        path_ = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path_.startswith(root):
            path_ = path_[len(root) :]
        for pattern in self.patterns:
            match = pattern.resolve(path_.lstrip("/"))
            if match is not None:
                route = {"args": match.args, "kwargs": match.kwargs}
                return await match.func(dict(scope, url_route=route), receive, send)
        return await self.fallback(scope, receive, send)
