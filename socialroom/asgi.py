"""ASGI entry point: HTTP through Django; the audience socket through its plain ASGI app
(live/audience_app.py); the console, overlay and wall sockets through Channels."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialroom.settings")
# Load Django (apps, models) before anything that imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from questions.automod import warm_up  # noqa: E402
from questions.vote_http import VoteEndpoint  # noqa: E402
from socialroom.routing import (  # noqa: E402
    FirstMatch,
    audience_urlpatterns,
    websocket_urlpatterns,
)
from studio.loop import BindEventLoop  # noqa: E402

# The automatic checks' language model and word lists, loaded as the server starts: the first
# take of a process (its last look at the question) and the first message would otherwise load
# them, a third of a second inside a transaction.
warm_up()

# Origin checks are per route (socialroom/routing.py): the console needs one, the overlay and
# audience sockets serve graphics software and other native clients too.
application = BindEventLoop(
    ProtocolTypeRouter(
        {
            # The vote's POST and DELETE are answered on the loop (questions/vote_http.py).
            "http": VoteEndpoint(django_asgi_app),
            # The audience socket first: it needs no login, session or Channels consumer.
            "websocket": FirstMatch(
                audience_urlpatterns, AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
        }
    )
)
