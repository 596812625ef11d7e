"""The social wall: a page for a studio screen or a full-screen broadcast graphic, and its data
feed for graphics engines (JSON and XML).

Both are authenticated by the session's overlay key, as the overlay and the other feeds are, and
show only what ``questions.selectors.wall_items`` lets through: approved items, never hidden
ones nor those of a banned author. The page follows the wall socket
(``live.consumers.WallConsumer``, docs/realtime.md); the formats are documented in
docs/graphics.md ("The social wall").
"""

from __future__ import annotations

from typing import Any

from csp.constants import SELF
from csp.decorators import csp_replace
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from live.feeds import Params, _caspar_xml, _rows_xml, _text, clean, feed
from questions.shapes import wall_shape
from studio import events
from studio.models import LiveSession
from studio.selectors import session_for_overlay_key

# The words the wall page shows, translated here and handed to its script as JSON.
WALL_STRINGS = {
    "on_air": _("On air"),
    "empty": _("Questions will appear here."),
    "source_web": _("web"),
    "source_sms": _("SMS"),
    "source_mastodon": _("Mastodon"),
    "source_bluesky": _("Bluesky"),
    "source_webhook": _("social"),
    "source_crew": _("studio"),
}


def wall_snapshot(session: LiveSession) -> dict[str, Any]:
    """The wall socket's snapshot: the public stream's ``seq`` first, then the wall."""
    seq = events.stream_head(session.pk, events.PUBLIC)
    return {
        "seq": seq,
        "data": {"wall": wall_shape(session), "protocol": events.PROTOCOL_VERSION},
    }


@never_cache
# csp_replace keeps the view's signature; the stubs narrow it.
@csp_replace({"style-src": [SELF]})  # type: ignore[arg-type]
def wall_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The live wall, 1920x1080 or any size; the overlay's key and look parameters."""
    key = request.GET.get("key", "")
    session = session_for_overlay_key(slug, key)
    if session is None:
        return render(request, "live/overlay_denied.html", status=403)
    # A screen has no visitor to ask: the wall speaks the session's language.
    with translation.override(session.language):
        strings = {name: str(text) for name, text in WALL_STRINGS.items()}
    return render(
        request, "live/wall.html", {"session": session, "key": key, "wall_strings": strings}
    )


# --- the feed ---------------------------------------------------------------------------------

WALL_FIELDS = ("place", "id", "text", "author", "handle", "source", "created_at", "pinned")


def _feed_item(place: int, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "place": place,
        "id": item["id"],
        "text": clean(item["text"]),
        "author": clean(item["author_name"]),
        "handle": clean(item["handle"]),
        "source": item["source"],
        "created_at": item["created_at"],
        "pinned": item["pinned"],
        "on_air": item["on_air"],
    }


@feed
def wall_feed(request: HttpRequest, session: LiveSession, params: Params) -> HttpResponse:
    """The wall in its order: pinned items first, then the newest (at most 30)."""
    shape = wall_shape(session)
    items = [_feed_item(place, item) for place, item in enumerate(shape["items"], start=1)]
    updated_at = timezone.now().isoformat()
    if params.fmt == "xml":
        if params.style == "caspar":
            return _caspar_xml(
                [
                    (f"w{row['place']}", {k: row[k] for k in ("text", "author", "source")})
                    for row in items
                ]
            )
        return _rows_xml("wall", items, updated_at)
    if params.flat:
        return JsonResponse([{k: _text(v) for k, v in row.items()} for row in items], safe=False)
    return JsonResponse({"items": items, "on_air": shape["on_air"], "updated_at": updated_at})
