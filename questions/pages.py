"""The audience page: ask, vote, and see what is on air, live."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

from questions.voters import remember_voter, voter_for_request
from socialroom.errors import NotFound
from studio.selectors import public_session


@never_cache
@ensure_csrf_cookie
def audience(request: HttpRequest, slug: str) -> HttpResponse:
    """Served to anyone for a live or ended session. Sets the voter cookie before the socket
    opens, so that the socket's snapshot says which questions this browser voted for."""
    try:
        session = public_session(slug)
    except NotFound as exc:
        raise Http404("No such session.") from exc
    voter_for_request(request)
    response = render(request, "questions/audience.html", {"session": session})
    return remember_voter(request, response)
