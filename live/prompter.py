"""The guest prompter: the screen in front of the guest, with the question on air in large type
and the question cued next, small. Nothing to press: it follows the overlay stream.

Served with the overlay key (the same check as the overlay page), so whoever can show the on-air
graphics can show the prompter. Text reaches the page only through textContent.
"""

from __future__ import annotations

from csp.constants import SELF
from csp.decorators import csp_replace
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext, pgettext
from django.views.decorators.cache import never_cache

from studio import selectors


def prompter_strings() -> dict[str, str]:
    """What prompter.js says, in the request's language; ``{name}`` placeholders are filled in
    by the script."""
    return {
        "status_connecting": gettext("Connecting…"),
        "status_live": gettext("Live"),
        "status_reconnecting": gettext("Reconnecting…"),
        "status_stale": gettext("Connection lost: what you see may be out of date"),
        "status_denied": gettext("Not connected: the key was changed"),
        "nothing_on_air": gettext("Nothing on air"),
        "nothing_cued": gettext("Nothing cued yet"),
        "asked_by": gettext("Asked by {name}"),
        "asked_by_from": gettext("Asked by {name}, {source}"),
        "asked_from": gettext("Asked {source}"),
        "for_guest": gettext("For {guest}"),
        "source_web": pgettext("prompter source", "on the web"),
        "source_sms": pgettext("prompter source", "by text message"),
        "source_social": pgettext("prompter source", "on social media"),
        "source_manual": pgettext("prompter source", "through the studio"),
        "source_import": pgettext("prompter source", "through the studio"),
    }


@never_cache
# csp_replace keeps the view's signature; the stubs narrow it.
@csp_replace({"style-src": [SELF]})  # type: ignore[arg-type]
def prompter(request: HttpRequest, slug: str) -> HttpResponse:
    """The guest's screen (1920x1080 or any size). A wrong or rotated key gets the overlay's
    403 page."""
    key = request.GET.get("key", "")
    session = selectors.session_for_overlay_key(slug, key)
    if session is None:
        return render(request, "live/overlay_denied.html", status=403)
    return render(
        request,
        "live/prompter.html",
        {"session": session, "key": key, "strings": prompter_strings()},
    )
