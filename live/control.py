"""Control surfaces: a Stream Deck (through Bitfocus Companion's generic HTTP module) or any
device that can send an HTTP request drives one session's air.

Every request carries ``Authorization: Bearer <control key>``; a producer issues the key (and
turns control surfaces off) from the crew API. The key holder may take the cued question on air,
clear the air, lock and unlock it, and read the air's state for button feedback. Each act goes
through the same service as the console's, with all its checks, and is written in the air log
with ``details["via"] == "control"``. Set-up: docs/companion.md.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from questions import selectors as question_selectors
from questions import services
from questions.services.onair import ControlSurface, control_key_matches
from questions.shapes import cue_shape, on_air_shape
from studio.errors import DomainError, NotAllowed, NotFound
from studio.models import LiveSession

# A key longer than any key issued is wrong without comparing it.
MAX_KEY_LENGTH = 200


class ControlNotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


def control_status(session: LiveSession) -> dict[str, Any]:
    """What a control surface shows on its buttons: what is on air, what is cued, whether the
    air is locked and how many questions wait in the queue."""
    session.refresh_from_db(fields=["air_locked", "status"])
    return {
        "session": session.slug,
        "live": session.status == "live",
        "on_air": on_air_shape(session.pk)["question"],
        "cued": cue_shape(session.pk)["question"],
        "locked": session.air_locked,
        "queue_length": question_selectors.queue_length(session),
    }


def _surface(request: Request, slug: str) -> tuple[LiveSession, ControlSurface]:
    """The session and the control surface of the request, or the reason why not."""
    session = LiveSession.objects.filter(slug=slug).first()
    if session is None:
        raise NotFound(_("No such session."))
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _space, key = str(header).partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise ControlNotAuthenticated(
            _("Send the session's control key as 'Authorization: Bearer <key>'.")
        )
    if not session.control_key:
        raise NotAllowed(
            _(
                "Control surfaces are turned off for this session: a producer must issue a "
                "control key first."
            ),
            code="control_off",
        )
    if len(key) > MAX_KEY_LENGTH or not control_key_matches(key, session.control_key):
        raise NotAllowed(
            _("This is not the session's control key: it may have been rotated or turned off."),
            code="wrong_control_key",
        )
    return session, ControlSurface(key=key)


_STATUS = inline_serializer(
    "ControlStatus",
    {
        "session": serializers.CharField(),
        "live": serializers.BooleanField(),
        "on_air": serializers.DictField(allow_null=True),
        "cued": serializers.DictField(allow_null=True),
        "locked": serializers.BooleanField(),
        "queue_length": serializers.IntegerField(),
    },
)


class _ControlApi(APIView):
    # The control key is the only credential: no browser session (so no CSRF), no token.
    authentication_classes = []
    permission_classes = [AllowAny]

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, ControlNotAuthenticated):
            response["WWW-Authenticate"] = 'Bearer realm="control"'
        return response


class ControlStatusApi(_ControlApi):
    """The air's state for a control surface's button feedback (poll it every second or two)."""

    @extend_schema(auth=[], responses=_STATUS)
    def get(self, request: Request, slug: str) -> Response:
        session = _surface(request, slug)[0]
        return Response(control_status(session))


class ControlTakeNextApi(_ControlApi):
    """Take the cued question on air, with every check of a take (409 ``nothing_cued``,
    ``air_locked``, or the question's own reason)."""

    @extend_schema(auth=[], request=None, responses=_STATUS)
    def post(self, request: Request, slug: str) -> Response:
        session, surface = _surface(request, slug)
        services.session_take_next(actor=surface, session=session)
        return Response(control_status(session))


class ControlClearApi(_ControlApi):
    """Clear the air: the question on air goes back to the queue."""

    @extend_schema(auth=[], request=None, responses=_STATUS)
    def post(self, request: Request, slug: str) -> Response:
        session, surface = _surface(request, slug)
        services.session_clear_on_air(actor=surface, session=session)
        return Response(control_status(session))


class ControlLockApi(_ControlApi):
    """Lock the air: clear it and refuse every take until it is unlocked."""

    @extend_schema(auth=[], request=None, responses=_STATUS)
    def post(self, request: Request, slug: str) -> Response:
        session, surface = _surface(request, slug)
        services.air_lock(actor=surface, session=session)
        return Response(control_status(session))


class ControlUnlockApi(_ControlApi):
    """Unlock the air. The control key was issued by a producer: its holder may unlock."""

    @extend_schema(auth=[], request=None, responses=_STATUS)
    def post(self, request: Request, slug: str) -> Response:
        session, surface = _surface(request, slug)
        services.air_unlock(actor=surface, session=session)
        return Response(control_status(session))
