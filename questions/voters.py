"""Who an audience member is, without knowing who they are.

A browser gets a random token in the ``sr_voter`` cookie on its first visit; other clients send
their own in the ``X-Voter-Token`` header. Only a keyed hash of the token is ever stored.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from questions.identity import voter_id

COOKIE = "sr_voter"
HEADER = "HTTP_X_VOTER_TOKEN"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_ATTR = "_socialroom_voter"


@dataclass(frozen=True)
class VoterIdentity:
    token: str
    voter: str  # the keyed hash: the only form stored
    is_new: bool


def voter_for_request(request: Request) -> VoterIdentity:
    """The request's voter, minting a new token when it has none; cached on the request."""
    cached = getattr(request, _ATTR, None)
    if cached is not None:
        return cached
    token = request.META.get(HEADER) or request.COOKIES.get(COOKIE) or ""
    is_new = False
    if token and not _TOKEN_RE.match(token):
        if request.META.get(HEADER):
            raise ValidationError({"voter_token": "Use 16 to 128 letters, digits, - or _."})
        token = ""  # a mangled cookie is replaced, not an error for the user
    if not token:
        token, is_new = secrets.token_urlsafe(24), True
    identity = VoterIdentity(token=token, voter=voter_id(token), is_new=is_new)
    setattr(request, _ATTR, identity)
    return identity


def voter_from_token(token: str) -> str | None:
    """The stored voter id for a token (e.g. the cookie sent with a websocket), or None."""
    return voter_id(token) if token and _TOKEN_RE.match(token) else None


def remember_voter(request: Request, response: Response) -> Response:
    identity = getattr(request, _ATTR, None)
    if identity is not None and identity.is_new:
        response.set_cookie(
            COOKIE,
            identity.token,
            max_age=60 * 60 * 24 * 365,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response
