"""What the live sockets carry about sessions and guests, and the events their services publish.

The shapes are documented for vendors in docs/realtime.md; change both together. Called by
services inside their transaction, after their row locks (the lock order of studio/events.py).
"""

from __future__ import annotations

from typing import Any

from studio import events
from studio.models import Guest, LiveSession


def guest_shape(g: Guest) -> dict[str, Any]:
    return {"id": g.pk, "name": g.name, "title": g.title, "photo_url": g.photo_url}


def session_guests(session_id: int) -> list[dict[str, Any]]:
    return [guest_shape(g) for g in Guest.objects.filter(session_id=session_id)]


def session_shape(session: LiveSession, *, crew: bool) -> dict[str, Any]:
    shape = {
        "slug": session.slug,
        "title": session.title,
        "status": session.status,
        "accepts_questions": session.accepts_questions,
        "language": session.language,
        "max_question_length": session.max_question_length,
        # Locked: nothing is on air and nothing can be taken until a producer unlocks it.
        "air_locked": session.air_locked,
    }
    if crew:
        shape |= {
            "id": session.pk,
            "station": session.station_id,
            "submissions_open": session.submissions_open,
            "moderation_mode": session.moderation_mode,
            "rank_prior": session.rank_prior,
            "rank_half_life_minutes": session.rank_half_life_minutes,
        }
    return shape


def publish_session(session: LiveSession) -> None:
    events.emit(
        session.pk,
        "session",
        crew={"session": session_shape(session, crew=True)},
        public={"session": session_shape(session, crew=False)},
    )


def publish_guests(session_id: int) -> None:
    guests = session_guests(session_id)
    events.emit(session_id, "guests", crew={"guests": guests}, public={"guests": guests})
