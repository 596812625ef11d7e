"""Websocket routes (see docs/realtime.md)."""

from __future__ import annotations

from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from studio.consumers import AudienceConsumer, ConsoleConsumer, OverlayConsumer

websocket_urlpatterns = [
    # The console authenticates with the login cookie, so a page from another origin must not
    # open it (cross-site websocket hijacking): its Origin must be one of ALLOWED_HOSTS.
    path(
        "ws/console/<slug:slug>/",
        AllowedHostsOriginValidator(ConsoleConsumer.as_asgi()),
        name="ws-console",
    ),
    # The overlay carries its own key and the audience socket is public: graphics software and
    # other native clients may connect from anywhere, with or without an Origin header.
    path("ws/overlay/<slug:slug>/", OverlayConsumer.as_asgi(), name="ws-overlay"),
    path("ws/audience/<slug:slug>/", AudienceConsumer.as_asgi(), name="ws-audience"),
]
