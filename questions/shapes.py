"""What the live sockets carry about questions and what is on air.

The shapes are documented for vendors in docs/realtime.md; change both together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from questions.fit import fits_on_air
from questions.models import Question, QuestionStatus, WallState
from questions.selectors import wall_items
from questions.sources import source_bucket
from studio.models import AsRunEntry, LiveSession


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def crew_question(q: Question) -> dict[str, Any]:
    author = q.author
    return {
        "id": q.pk,
        "text": q.text,
        "author_name": q.author_name,
        "author": (
            {"platform": author.platform, "handle": author.handle, "name": author.display_name}
            if author is not None
            else None
        ),
        # The author's followers on their network when known (crew only: never public).
        "author_followers": author.followers_count if author is not None else None,
        "source": q.source,
        "status": q.status,
        "starred": q.starred,
        "votes": q.vote_count,
        "votes_version": q.vote_version,
        "guest": q.target_guest_id,
        "hold_position": q.hold_position,
        "created_at": _iso(q.created_at),
        "approved_at": _iso(q.approved_at),
        "language": q.language,
        "is_question": q.is_question,
        "flags": q.flags,
        "duplicate_of": q.duplicate_of_id,
        # The on-air wording and name (blank: the text and the author's name air), and whether
        # what would air fits the overlay's lower third (a question that does not cannot be taken).
        "air_text": q.air_text,
        "air_name": q.air_name,
        "fits": fits_on_air(
            text=q.air_text or q.text,
            name=q.air_name or q.author_name,
            session=q.session if Question.session.is_cached(q) else None,
        ),
        # Crew only: how a producer set the item on the social wall, and how many listeners
        # reported it (questions/services/reports.py).
        "wall_state": q.wall_state,
        "wall_position": q.wall_position,
        "report_count": q.report_count,
    }


def public_question(q: Question) -> dict[str, Any]:
    return {
        "id": q.pk,
        "text": q.text,
        "author_name": q.author_name,
        "guest": q.target_guest_id,
        "status": q.status,
        "votes": q.vote_count,
        "votes_version": q.vote_version,
        "created_at": _iso(q.created_at),
        "approved_at": _iso(q.approved_at),
    }


def on_air_shape(session_id: int) -> dict[str, Any]:
    """What is on air now: the question, its author and its guest, or ``question: null``."""
    q = (
        Question.objects.filter(session_id=session_id, status=QuestionStatus.ON_AIR)
        .select_related("target_guest")
        .first()
    )
    if q is None:
        return off_air_shape()
    entry = (
        AsRunEntry.objects.filter(session_id=session_id, question=q, ended_at__isnull=True)
        .values_list("taken_at", flat=True)
        .first()
    )
    return {"question": air_question(q), "taken_at": _iso(entry)}


def off_air_shape() -> dict[str, Any]:
    """The on-air state when nothing is on air."""
    return {"question": None, "taken_at": None}


def taken_shape(q: Question, taken_at: datetime) -> dict[str, Any]:
    """The on-air state of a question just taken, from the rows in hand (no query when its
    guest was read with it)."""
    return {"question": air_question(q), "taken_at": _iso(taken_at)}


def air_question(q: Question) -> dict[str, Any]:
    """A question as graphics show it: its on-air wording and name when set, else its own."""
    guest = q.target_guest
    return {
        "id": q.pk,
        "text": q.air_text or q.text,
        "author_name": q.air_name or q.author_name,
        "source": q.source.split(":")[0],
        "guest": ({"id": guest.pk, "name": guest.name, "title": guest.title} if guest else None),
    }


def cue_shape(session_id: int) -> dict[str, Any]:
    """The question cued to air next, shaped like the on-air question, or ``question: null``."""
    q = (
        Question.objects.filter(session_id=session_id, cued_at__isnull=False)
        .select_related("target_guest")
        .first()
    )
    return {"question": air_question(q) if q is not None else None}


# --- the social wall ---------------------------------------------------------------------------


def wall_item(q: Question) -> dict[str, Any]:
    """A card of the social wall: what airs (the on-air wording and name when set), its author's
    handle on their network, where it came from (questions/sources.py) and when."""
    author = q.author if q.author_id is not None else None
    return {
        "id": q.pk,
        "text": q.air_text or q.text,
        "author_name": q.air_name or q.author_name,
        # The handle is the author's own name on their network: not shown when the crew
        # renamed the author for air (e.g. initials).
        "handle": author.handle if author is not None and not q.air_name else "",
        "source": source_bucket(q.source),
        "created_at": _iso(q.created_at),
        "pinned": q.wall_position if q.wall_state == WallState.PINNED else None,
        "on_air": q.status == QuestionStatus.ON_AIR,
    }


def wall_shape(session: LiveSession) -> dict[str, Any]:
    """The whole wall as its page shows it: ``items`` in order, ``on_air`` the id of the item
    on air (or null)."""
    items = [wall_item(q) for q in wall_items(session)]
    on_air = next((item["id"] for item in items if item["on_air"]), None)
    return {"items": items, "on_air": on_air}
