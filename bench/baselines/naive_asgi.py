"""ASGI entry of the naive peer: the studio's Django settings, one websocket route of its own.

python -m daphne -b 127.0.0.1 -p 8100 bench.baselines.naive_asgi:application
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialroom.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import CookieMiddleware  # noqa: E402
from django.urls import path  # noqa: E402

from bench.baselines.naive import NaiveConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": CookieMiddleware(
            URLRouter([path("ws/naive/<slug:slug>/", NaiveConsumer.as_asgi())])
        ),
    }
)
