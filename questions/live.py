"""What the live sockets carry: the shapes of questions, on-air state and sessions, the events
services publish, and the snapshots a (re)connecting client starts from.

The shapes are documented for vendors in docs/realtime.md; change both together.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from questions.models import PUBLIC_STATUSES, Question, QuestionStatus, Vote
from questions.ranking import Rankable, Weights, rank
from studio import events
from studio.models import AsRunEntry, Guest, LiveSession

S = QuestionStatus

# Statuses the console keeps: everything but archived questions.
CONSOLE_STATUSES = (S.PENDING, S.APPROVED, S.ON_AIR, S.ANSWERED, S.REJECTED)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- shapes -----------------------------------------------------------------------------------


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
        "source": q.source,
        "status": q.status,
        "starred": q.starred,
        "votes": q.vote_count,
        "guest": q.target_guest_id,
        "hold_position": q.hold_position,
        "created_at": _iso(q.created_at),
        "approved_at": _iso(q.approved_at),
        "language": q.language,
        "is_question": q.is_question,
        "flags": q.flags,
        "duplicate_of": q.duplicate_of_id,
    }


def public_question(q: Question) -> dict[str, Any]:
    return {
        "id": q.pk,
        "text": q.text,
        "author_name": q.author_name,
        "guest": q.target_guest_id,
        "status": q.status,
        "votes": q.vote_count,
        "created_at": _iso(q.created_at),
        "approved_at": _iso(q.approved_at),
    }


def guest_shape(g: Guest) -> dict[str, Any]:
    return {"id": g.pk, "name": g.name, "title": g.title, "photo_url": g.photo_url}


def on_air_shape(session_id: int) -> dict[str, Any]:
    """What is on air now: the question, its author and its guest, or ``question: null``."""
    q = (
        Question.objects.filter(session_id=session_id, status=S.ON_AIR)
        .select_related("target_guest")
        .first()
    )
    if q is None:
        return {"question": None, "taken_at": None}
    entry = (
        AsRunEntry.objects.filter(session_id=session_id, question=q, ended_at__isnull=True)
        .values_list("taken_at", flat=True)
        .first()
    )
    guest = q.target_guest
    return {
        "question": {
            "id": q.pk,
            "text": q.text,
            "author_name": q.author_name,
            "source": q.source.split(":")[0],
            "guest": (
                {"id": guest.pk, "name": guest.name, "title": guest.title} if guest else None
            ),
        },
        "taken_at": _iso(entry),
    }


def session_shape(session: LiveSession, *, crew: bool) -> dict[str, Any]:
    shape = {
        "slug": session.slug,
        "title": session.title,
        "status": session.status,
        "accepts_questions": session.accepts_questions,
        "language": session.language,
        "max_question_length": session.max_question_length,
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


def weights(session: LiveSession) -> Weights:
    return Weights(prior=session.rank_prior, half_life_minutes=session.rank_half_life_minutes)


# --- publishing (called by services, inside their transaction, after their row locks) ---------


def publish_question(q: Question, *, was_public: bool) -> None:
    """Announce a question's new state. The audience hears of it only while it is public, and
    once more when it stops being public (``question: null``: remove it)."""
    public: dict[str, Any] | None = None
    if q.status in PUBLIC_STATUSES:
        public = {"id": q.pk, "question": public_question(q)}
    elif was_public:
        public = {"id": q.pk, "question": None}
    events.emit(
        q.session_id, "question", crew={"id": q.pk, "question": crew_question(q)}, public=public
    )


def publish_on_air(session_id: int) -> None:
    shape = on_air_shape(session_id)
    events.emit(session_id, "on_air", crew=shape, public=shape, overlay=shape)


def publish_session(session: LiveSession) -> None:
    events.emit(
        session.pk,
        "session",
        crew={"session": session_shape(session, crew=True)},
        public={"session": session_shape(session, crew=False)},
    )


def publish_guests(session_id: int) -> None:
    guests = [guest_shape(g) for g in Guest.objects.filter(session_id=session_id)]
    events.emit(session_id, "guests", crew={"guests": guests}, public={"guests": guests})


def _flush_votes(session_id: int, ids: set[int], *, public: bool) -> None:
    with transaction.atomic():
        # The stream lock first, then the counts: read after every earlier ``votes`` event
        # committed, they are never older than what a lower seq carried (several processes
        # flush the same session).
        events.lock_streams(session_id)
        rows = Question.objects.filter(session_id=session_id, pk__in=ids).values_list(
            "pk", "vote_count", "status"
        )
        if public:
            counts = {str(pk): n for pk, n, status in rows if status in PUBLIC_STATUSES}
            if counts:
                events.emit(session_id, "votes", crew=None, public={"counts": counts})
        else:
            counts = {str(pk): n for pk, n, _ in rows}
            if counts:
                events.emit(session_id, "votes", crew={"counts": counts})


# The host's queue follows votes closely; the audience sees counts move once a second, which is
# as fresh as a listener needs and keeps the fan-out to thousands of phones small.
votes_coalescer = events.Coalescer(
    lambda session_id, ids: _flush_votes(session_id, ids, public=False),
    delay=settings.VOTES_COALESCE_SECONDS,
)
public_votes_coalescer = events.Coalescer(
    lambda session_id, ids: _flush_votes(session_id, ids, public=True),
    delay=settings.VOTES_PUBLIC_COALESCE_SECONDS,
)


def votes_changed(session_id: int, question_ids: Iterable[int]) -> None:
    """After votes commit: the new counts go out with the next coalesced ``votes`` events."""
    ids = list(question_ids)
    votes_coalescer.add(session_id, ids)
    public_votes_coalescer.add(session_id, ids)


# --- snapshots --------------------------------------------------------------------------------


def _guests(session: LiveSession) -> list[dict[str, Any]]:
    return [guest_shape(g) for g in Guest.objects.filter(session=session)]


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
            "guests": _guests(session),
            "questions": [crew_question(q) for q in questions],
            "on_air": on_air_shape(session.pk),
            "server_time": timezone.now().isoformat(),
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
            "guests": _guests(session),
            "questions": [public_question(q) for q in questions],
            "on_air": on_air_shape(session.pk),
            "voted": voted,
            "server_time": timezone.now().isoformat(),
        },
    }


def overlay_snapshot(session: LiveSession) -> dict[str, Any]:
    seq = events.stream_head(session.pk, events.OVERLAY)
    return {"seq": seq, "data": {"on_air": on_air_shape(session.pk)}}


def ranked_queue(
    session: LiveSession, *, guest: int | None = None, limit: int | None = None
) -> list[Question]:
    """Approved questions in the host's order (see questions/ranking.py)."""
    qs = Question.objects.filter(session=session, status=S.APPROVED).select_related("target_guest")
    if guest is not None:
        qs = qs.filter(target_guest_id=guest)
    questions = {q.pk: q for q in qs}
    order = rank(
        [
            Rankable(q.pk, q.vote_count, q.approved_at, q.starred, q.hold_position)
            for q in questions.values()
        ],
        timezone.now(),
        weights(session),
    )
    ranked = [questions[pk] for pk in order]
    return ranked[:limit] if limit is not None else ranked
