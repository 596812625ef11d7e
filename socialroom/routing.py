"""Websocket routes (see docs/realtime.md)."""

from __future__ import annotations

from django.urls import path

from live.consumers import AudienceConsumer, ConsoleConsumer, OverlayConsumer, WallConsumer
from live.origins import ExactOriginValidator

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
    # The audience socket is public.
    path("ws/audience/<slug:slug>/", AudienceConsumer.as_asgi(), name="ws-audience"),
]
