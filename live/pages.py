"""The studio's pages: crew home, host console and broadcast overlay.

The pages are shells: what they show comes over their socket (see docs/realtime.md) and reaches
the DOM as text only. Every page is served under a Content-Security-Policy without inline script.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from csp.constants import SELF
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import never_cache

from live.models import BACKSTAGE_MESSAGE_MAX_LENGTH
from questions.automod import field_labels, flag_labels
from studio import selectors
from studio.errors import NotFound
from studio.models import LiveSession, Role
from studio.roles import ROLE_CAPABILITIES, Capability, station_role


def flag_strings() -> dict[str, Any]:
    """``flag_<code>`` and ``field_<field>`` labels for the console, in the active language; a
    flag whose code has no label shows its stored reason."""
    return {f"flag_{code}": label for code, label in flag_labels().items()} | {
        f"field_{field}": label for field, label in field_labels().items()
    }


# The words the console's script shows, translated here and handed to it in a JSON data block.
# "{name}" placeholders are filled in by the script.
CONSOLE_STRINGS = {
    "status_connecting": _("Connecting…"),
    "status_live": _("Live"),
    "status_reconnecting": _("Reconnecting…"),
    "status_stale": _("Stale — not live"),
    "status_denied": _("Not connected: log in again"),
    "last_update": _("Last update {time}"),
    "session_draft": _("Draft"),
    "session_live": _("Live"),
    "session_ended": _("Ended"),
    "take": _("Take"),
    "answered": _("Answered"),
    "hold_place": _("Hold place"),
    "release_place": _("Release"),
    "star": _("Star"),
    "unstar": _("Unstar"),
    "approve": _("Approve"),
    "reject": _("Reject"),
    "confirm_reject": _("Confirm reject"),
    "cancel": _("Cancel"),
    "reject_reason": _("Reason (optional)"),
    "undo": _("Undo"),
    "aim_label": _("Aimed at"),
    "no_guest": _("Any guest"),
    "all_guests": _("All"),
    "for_guest": _("For {guest}"),
    "anonymous": _("Anonymous"),
    "vote_one": _("{n} vote"),
    "vote_other": _("{n} votes"),
    "starred": _("Starred"),
    "held_at": _("Held at #{n}"),
    "place": _("#{n}"),
    "shown_of": _("{shown} of {total}"),
    "more_hidden": _("{n} more not shown: narrow with search or the guest filter."),
    "on_air_since": _("On air since {time}"),
    "on_air_for": _("On air for {time}"),
    "confirm_answered": _("Confirm answered?"),
    "cue": pgettext_lazy("cue button", "Cue"),
    "cued": pgettext_lazy("cue button", "Cued"),
    "too_long": _("Too long for the lower third"),
    "reword": _("On-air wording"),
    "rename": _("Aired name"),
    "reword_hint": _("The words the lower third shows; the original question is kept."),
    "rename_hint": _("The name the lower third shows; empty airs the author's name."),
    "original": _("Original: {text}"),
    "airs_as": _("Airs as: {text}"),
    "done_reword": _("On-air wording saved."),
    "done_rename": _("Aired name saved."),
    "done_lock": _("The air is locked."),
    "wall_label": _("Social wall"),
    "wall_pin": pgettext_lazy("social wall", "Pin"),
    "wall_hide": pgettext_lazy("social wall", "Hide"),
    "wall_show": pgettext_lazy("social wall", "Show"),
    "done_wall_pinned": _("Wall: pinned."),
    "done_wall_hidden": _("Wall: hidden."),
    "done_wall_shown": _("Wall: shown."),
    "done_wall_reset": _("Wall: as moderated."),
    "wall_reset": pgettext_lazy("social wall", "Reset"),
    "wall_reset_title": _("Back to as moderated"),
    "wall_badge_pinned": _("Pinned #{n}"),
    "wall_badge_hidden": pgettext_lazy("console wall badge", "Hidden from the wall"),
    "wall_badge_shown": pgettext_lazy("console wall badge", "On the wall"),
    "reported_count": _("Reported ×{n}"),  # noqa: RUF001 (the multiplication sign: n times)
    "reported_title": _("Listeners who reported it as inappropriate: {n}"),
    "done_unlock": _("The air is unlocked."),
    "backstage_from": _("from {sender} at {time}"),
    "backstage_more": _("+{n} more"),
    "backstage_read_at": _("read at {time} by {reader}"),
    "backstage_unread": _("not read yet"),
    "backstage_sent_at": _("sent at {time}"),
    "backstage_left": _("{n} characters left"),
    "done_backstage_send": _("Message sent to the host."),
    "status_answered": pgettext_lazy("question status", "Answered"),
    "status_rejected": pgettext_lazy("question status", "Rejected"),
    "done_approve": _("Approved."),
    "done_reject": _("Rejected."),
    "done_answered": _("Marked answered."),
    "done_reopen": _("Sent back to moderation."),
    "done_requeue": _("Back in the queue."),
    "flag_about": _("{field}: {label}"),
    "source_web": _("web"),
    "source_sms": _("SMS"),
    "source_manual": _("added by the crew"),
    "source_import": _("import"),
    "not_live_no_send": _("Not live: nothing was sent. Wait for the green light."),
    "error_disconnected": _("The connection was lost: nothing was done. Try again when live."),
    "error_permission_denied": _("Your role does not allow this."),
    "error_forbidden": _("Your role does not allow this."),
    "error_invalid_transition": _("That question has changed in the meantime: nothing was done."),
    "error_session_not_live": _("The session is not live: nothing can go on air."),
    "error_rate_limited": _("Too many actions at once: wait a moment."),
    "error_not_found": _("That question is no longer in this session."),
    "error_timeout": _("No answer from the server: check the on-air state before trying again."),
    "error_generic": _("The action was refused."),
    "error_air_locked": _("The air is locked: nothing can be taken."),
    "error_nothing_cued": _("Nothing is cued: cue a question first."),
    "error_not_approved": _("That question is not approved: it cannot go on air."),
    "error_text_flagged": _("The words that would air are flagged: reword them or review it."),
    "error_name_flagged": _("The name that would air is flagged: change the aired name."),
    "error_too_long": _("Too long for the lower third: shorten the on-air wording or name."),
    "error_author_banned": _("The author is banned: the question cannot go on air."),
    "error_message_empty": _("Write a message first."),
    "error_message_too_long": _("Too long: a backstage message has at most 140 characters."),
    "error_own_message": _("The host marks this message read, not its sender."),
    "role_changed": _("Your role has changed: reloading the console."),
    "followers_one": _("{n} follower"),
    "followers_other": _("{n} followers"),
    "followers_exact": _("Followers on {network}: {n}"),
    "trending_empty": _("No trending terms yet"),
    "trending_error": _("Trending terms are not available right now."),
    "trending_as_of": _("last {minutes} min · {time}"),
    "trending_term": _("{count} in the last {minutes} min, {previous} in the half hour before"),
}


@login_required
@never_cache
def home(request: HttpRequest) -> HttpResponse:
    """The crew member's sessions, with links to each console, overlay and audience page."""
    rows = []
    for session in selectors.sessions_for_user(request.user).order_by("-created_at"):
        role = station_role(request.user, session.station_id)
        row: dict[str, Any] = {
            "session": session,
            "role": role,
            # sessions_for_user lists only the user's stations: the role is set.
            "role_label": Role(role).label,  # type: ignore[arg-type]
            "can_manage": Capability.MANAGE in ROLE_CAPABILITIES[role],  # type: ignore[index]
        }
        if row["can_manage"]:
            # Only producers see the overlay key: whoever has it can show the on-air graphics.
            row |= _graphics_links(request, session)
        rows.append(row)
    return render(request, "live/home.html", {"rows": rows})


def _graphics_links(request: HttpRequest, session: LiveSession) -> dict[str, Any]:
    query = "?" + urlencode({"key": session.overlay_key})

    def url(name: str, **kwargs: str) -> str:
        return request.build_absolute_uri(reverse(name, kwargs={"slug": session.slug, **kwargs}))

    return {
        "overlay_url": url("overlay") + query,
        "prompter_url": url("prompter") + query,
        "feeds": [
            {"label": _("On air, JSON"), "url": url("feed-on-air", fmt="json") + query},
            {"label": _("On air, XML"), "url": url("feed-on-air", fmt="xml") + query},
            {"label": _("Preview, JSON"), "url": url("feed-preview", fmt="json") + query},
            {"label": _("Preview, XML"), "url": url("feed-preview", fmt="xml") + query},
            {"label": _("Queue, JSON"), "url": url("feed-queue", fmt="json") + query},
            {"label": _("Queue, XML"), "url": url("feed-queue", fmt="xml") + query},
            {"label": _("Social wall"), "url": url("wall") + query},
            {"label": _("Wall, JSON"), "url": url("feed-wall", fmt="json") + query},
            {"label": _("Wall, XML"), "url": url("feed-wall", fmt="xml") + query},
        ],
    }


@login_required
@never_cache
def console(request: HttpRequest, slug: str) -> HttpResponse:
    """The host console. Crew of another station get the same 404 as for a missing session."""
    try:
        session = selectors.session_for_user_by_slug(request.user, slug)
    except NotFound as exc:
        raise Http404("No such session.") from exc
    role = station_role(request.user, session.station_id)
    # session_for_user_by_slug found the session among the user's stations: the role is set.
    capabilities = sorted(c.value for c in ROLE_CAPABILITIES[role])  # type: ignore[index]
    config = {
        "slug": session.slug,
        "socket": f"/ws/console/{session.slug}/",
        "capabilities": capabilities,
        "login_url": f"{settings.LOGIN_URL}?{urlencode({'next': request.get_full_path()})}",
        "username": request.user.get_username(),
        "backstage_max_length": BACKSTAGE_MESSAGE_MAX_LENGTH,
        "trending_url": _trending_url(session),
    }
    return render(
        request,
        "live/console.html",
        {
            "session": session,
            "role": role,
            # sessions_for_user lists only the user's stations: the role is set.
            "role_label": Role(role).label,  # type: ignore[arg-type]
            "capabilities": capabilities,
            "console_config": config,
            "console_strings": CONSOLE_STRINGS | flag_strings(),
            "backstage_max_length": BACKSTAGE_MESSAGE_MAX_LENGTH,
        },
    )


def _trending_url(session: LiveSession) -> str | None:
    """The session's trending terms (an API of the report, served above this app: found by its
    route's name); None where that route is not installed, and the console shows no panel."""
    try:
        return reverse("session-trending", kwargs={"pk": session.pk})
    except NoReverseMatch:
        return None


@never_cache
# csp_replace keeps the view's signature; the stubs narrow it.
@csp_replace({"style-src": [SELF]})  # type: ignore[arg-type]
def overlay(request: HttpRequest, slug: str) -> HttpResponse:
    """The 1920x1080 transparent lower third for OBS, vMix and CasparCG browser inputs."""
    key = request.GET.get("key", "")
    session = selectors.session_for_overlay_key(slug, key)
    if session is None:
        return render(request, "live/overlay_denied.html", status=403)
    # ?output=preview: the question cued to air next (a PVW output), with the program's look.
    output = "preview" if request.GET.get("output", "").strip().lower() == "preview" else "program"
    return render(request, "live/overlay.html", {"session": session, "key": key, "output": output})
