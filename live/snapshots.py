"""The snapshots a (re)connecting client starts from: the console's, the audience's and the
overlay's. Each reads its stream's ``seq`` first, so the state is at least that new."""

from __future__ import annotations

import time
from typing import Any

from django.utils import timezone

from live.backstage import backstage_recent, backstage_shape
from questions.models import PUBLIC_STATUSES, Question, QuestionStatus, Vote
from questions.selectors import vote_counts
from questions.shapes import crew_question, cue_shape, on_air_shape, public_question
from studio import events
from studio.models import LiveSession
from studio.publish import session_guests, session_shape

S = QuestionStatus

# Statuses the console keeps: everything but archived questions.
CONSOLE_STATUSES = (S.PENDING, S.APPROVED, S.ON_AIR, S.ANSWERED, S.REJECTED)


def console_snapshot(session: LiveSession) -> dict[str, Any]:
    """Everything the console shows. ``seq`` is read first, so the state is at least that new."""
    seq = events.stream_head(session.pk, events.CREW)
    session.refresh_from_db()
    questions = list(
        Question.objects.filter(session=session, status__in=CONSOLE_STATUSES)
        .select_related("author")
        .order_by("created_at", "id")
    )
    return {
        "seq": seq,
        "data": {
            "session": session_shape(session, crew=True),
            "guests": session_guests(session.pk),
            "questions": [crew_question(q) for q in questions],
            "on_air": on_air_shape(session.pk),
            "cue": cue_shape(session.pk),
            # Backstage messages: every unread one and the latest read ones, oldest first.
            "backstage": [backstage_shape(m) for m in backstage_recent(session_id=session.pk)],
            "server_time": timezone.now().isoformat(),
            "protocol": events.PROTOCOL_VERSION,
        },
    }


def audience_snapshot(session: LiveSession, voter: str | None) -> dict[str, Any]:
    seq = events.stream_head(session.pk, events.PUBLIC)
    session.refresh_from_db()
    questions = list(
        Question.objects.filter(session=session, status__in=PUBLIC_STATUSES).order_by(
            "created_at", "id"
        )
    )
    voted: list[int] = []
    if voter:
        voted = list(
            Vote.objects.filter(question__session=session, voter=voter).values_list(
                "question_id", flat=True
            )
        )
    return {
        "seq": seq,
        "data": {
            "session": session_shape(session, crew=False),
            "guests": session_guests(session.pk),
            "questions": [public_question(q) for q in questions],
            "on_air": on_air_shape(session.pk),
            "voted": voted,
            "server_time": timezone.now().isoformat(),
            "protocol": events.PROTOCOL_VERSION,
        },
    }


def overlay_snapshot(session: LiveSession) -> dict[str, Any]:
    seq = events.stream_head(session.pk, events.OVERLAY)
    # The cued question is for the overlay's preview output; the program output ignores it.
    return {
        "seq": seq,
        "data": {
            "on_air": on_air_shape(session.pk),
            "cue": cue_shape(session.pk),
            "protocol": events.PROTOCOL_VERSION,
        },
    }


# The last counts frame built per (session, public), with when it was read (monotonic).
_resume_frames: dict[tuple[int, bool], tuple[float, str | None]] = {}
RESUME_FRAME_MAX_AGE = 1.0


def resume_votes_frame(session_id: int, *, public: bool, not_before: float) -> str | None:
    """The ``votes`` frame a socket resuming by replay is sent (volatile frames are not in the
    log), encoded, or None when no question of the session was ever voted on.

    A burst of sockets resuming together (a server restart, a network blip) shares one read
    and one encoding: a frame read after the socket joined its stream (``not_before``,
    ``time.monotonic()``) is as new as it needs, since every count frame sent since reached it.
    """
    key = (session_id, public)
    now = time.monotonic()
    hit = _resume_frames.get(key)
    if hit is not None and not_before <= hit[0] and now - hit[0] < RESUME_FRAME_MAX_AGE:
        return hit[1]
    counts = vote_counts(session_id, public=public)
    text = events.frame_text(None, "votes", counts) if counts["counts"] else None
    if len(_resume_frames) > 10_000:
        _resume_frames.clear()
    _resume_frames[key] = (now, text)
    return text
