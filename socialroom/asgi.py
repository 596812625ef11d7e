"""ASGI entry point: HTTP through Django, websockets through Channels."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialroom.settings")
# Load Django (apps, models) before anything that imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from questions.vote_stream import BindEventLoop  # noqa: E402
from socialroom.routing import websocket_urlpatterns  # noqa: E402

# Origin checks are per route (socialroom/routing.py): the console needs one, the overlay and
# audience sockets serve graphics software and other native clients too.
application = BindEventLoop(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
        }
    )
)
