"""The studio's pages: crew home, host console and broadcast overlay.

The pages are shells: what they show comes over their socket (see docs/realtime.md) and reaches
the DOM as text only. Every page is served under a Content-Security-Policy without inline script.
"""

from __future__ import annotations

import hmac

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from socialroom.errors import NotFound
from studio import selectors
from studio.models import LiveSession
from studio.roles import ROLE_CAPABILITIES, Capability, station_role


@login_required
@never_cache
def home(request: HttpRequest) -> HttpResponse:
    """The crew member's sessions, with links to each console, overlay and audience page."""
    rows = []
    for session in selectors.sessions_for_user(request.user).order_by("-created_at"):
        role = station_role(request.user, session.station_id)
        rows.append(
            {
                "session": session,
                "role": role,
                "can_manage": Capability.MANAGE in ROLE_CAPABILITIES[role],
            }
        )
    return render(request, "studio/home.html", {"rows": rows})


@login_required
@never_cache
def console(request: HttpRequest, slug: str) -> HttpResponse:
    """The host console. Crew of another station get the same 404 as for a missing session."""
    try:
        session = selectors.session_for_user_by_slug(request.user, slug)
    except NotFound as exc:
        raise Http404("No such session.") from exc
    role = station_role(request.user, session.station_id)
    capabilities = sorted(c.value for c in ROLE_CAPABILITIES[role])
    return render(
        request,
        "studio/console.html",
        {"session": session, "role": role, "capabilities": capabilities},
    )


@never_cache
@csp_replace({"style-src": [SELF]})
def overlay(request: HttpRequest, slug: str) -> HttpResponse:
    """The 1920x1080 transparent lower third for OBS, vMix and CasparCG browser inputs."""
    key = request.GET.get("key", "")
    session = LiveSession.objects.filter(slug=slug).first()
    if session is None or not hmac.compare_digest(
        key.encode("utf-8", "replace"), session.overlay_key.encode()
    ):
        return render(request, "studio/overlay_denied.html", status=403)
    return render(request, "studio/overlay.html", {"session": session, "key": key})
