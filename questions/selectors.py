"""Reads of questions, votes and logs."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from questions.models import (
    PUBLIC_STATUSES,
    AirLogEntry,
    Ban,
    IngestFeed,
    ModerationLogEntry,
    Question,
    QuestionStatus,
    Vote,
    WallState,
)
from questions.ranking import Rankable, Weights, rank
from studio.errors import NotFound
from studio.models import LiveSession, SessionStatus
from studio.roles import User


def questions_for_session(session: LiveSession) -> QuerySet[Question]:
    return Question.objects.filter(session=session).select_related("author", "target_guest")


def question_not_in_session() -> NotFound:
    """The refusal for a question id that names no question of the session."""
    return NotFound("That question is not in this session.")


def question_in_session(*, session_id: int, question_id: int) -> Question:
    """The session's question with this id, its session loaded; NotFound if not the session's."""
    question = (
        Question.objects.select_related("session")
        .filter(session_id=session_id, pk=question_id)
        .first()
    )
    if question is None:
        raise question_not_in_session()
    return question


def question_for_user(user: User, pk: int | str) -> Question:
    """The question if the user is crew of its station; NotFound otherwise."""
    if not user.is_authenticated:
        raise NotFound("No such question.")
    try:
        # The user model is auth.User; the stubs type request.user as AbstractBaseUser.
        return Question.objects.select_related("session", "author", "target_guest").get(  # type: ignore[misc]
            pk=int(pk), session__station__memberships__user=user
        )
    except (Question.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such question.") from exc


def public_questions(session: LiveSession, *, voter: str | None = None) -> QuerySet[Question]:
    """Approved, on-air and answered questions, most voted first; ``voted`` for this voter."""
    qs = (
        Question.objects.filter(session=session, status__in=PUBLIC_STATUSES)
        .select_related("target_guest")
        .order_by("-vote_count", "created_at", "id")
    )
    if voter:
        qs = qs.annotate(voted=Exists(Vote.objects.filter(question=OuterRef("pk"), voter=voter)))
    return qs


def public_question(session: LiveSession, pk: int | str) -> Question:
    try:
        return Question.objects.select_related("session").get(
            session=session, pk=int(pk), status__in=PUBLIC_STATUSES
        )
    except (Question.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such question.") from exc


def moderation_log_for_session(session: LiveSession) -> QuerySet[ModerationLogEntry]:
    return (
        ModerationLogEntry.objects.filter(session=session)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def bans_for_user(user: User) -> QuerySet[Ban]:
    if not user.is_authenticated:
        return Ban.objects.none()
    # The user model is auth.User; the stubs type request.user as AbstractBaseUser.
    return Ban.objects.filter(station__memberships__user=user).select_related(  # type: ignore[misc]
        "author", "station", "created_by"
    )


def ban_for_user(user: User, pk: int) -> Ban:
    """The ban if it is on the list of one of the user's stations; NotFound otherwise."""
    ban = bans_for_user(user).filter(pk=pk).first()
    if ban is None:
        raise NotFound("No such ban.")
    return ban


def on_air_question(session: LiveSession) -> Question | None:
    """The session's question on air, with its author and guest; None when nothing is on air."""
    return questions_for_session(session).filter(status=QuestionStatus.ON_AIR).first()


def cued_question(session: LiveSession) -> Question | None:
    """The question cued to air next, with its author and guest; None when none is cued."""
    return questions_for_session(session).filter(cued_at__isnull=False).first()


def air_log_for_session(session: LiveSession) -> QuerySet[AirLogEntry]:
    """The air log (cues, takes, clears, answers, locks, unlocks, refused takes), newest first."""
    return (
        AirLogEntry.objects.filter(session=session)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def queue_length(session: LiveSession) -> int:
    """How many approved questions wait in the session's queue."""
    return Question.objects.filter(session=session, status=QuestionStatus.APPROVED).count()


def ranking_weights(session: LiveSession) -> Weights:
    return Weights(prior=session.rank_prior, half_life_minutes=session.rank_half_life_minutes)


def ranked_queue(
    session: LiveSession, *, guest: int | None = None, limit: int | None = None
) -> list[Question]:
    """Approved questions in the host's order (see questions/ranking.py)."""
    qs = Question.objects.filter(session=session, status=QuestionStatus.APPROVED).select_related(
        "target_guest"
    )
    if guest is not None:
        qs = qs.filter(target_guest_id=guest)
    questions = {q.pk: q for q in qs}
    order = rank(
        [
            Rankable(q.pk, q.vote_count, q.approved_at, q.starred, q.hold_position)
            for q in questions.values()
        ],
        timezone.now(),
        ranking_weights(session),
    )
    ranked = [questions[pk] for pk in order]
    return ranked[:limit] if limit is not None else ranked


def feed_for_token(*, token: str, kind: str) -> IngestFeed | None:
    """The enabled feed of this kind with this token, its session loaded; None if there is none."""
    return (
        IngestFeed.objects.select_related("session")
        .filter(token=token, kind=kind, enabled=True)
        .first()
    )


def live_feeds(*, kinds: Collection[str], session_slug: str | None = None) -> list[IngestFeed]:
    """The enabled feeds of these kinds in live sessions (in this session only, when given).

    Evaluated, each with its session loaded: reading them makes no further query.
    """
    feeds = IngestFeed.objects.select_related("session").filter(
        enabled=True, kind__in=kinds, session__status=SessionStatus.LIVE
    )
    if session_slug:
        feeds = feeds.filter(session__slug=session_slug)
    return list(feeds)


def questions_of_voter(session: LiveSession, *, voter: str) -> list[Question]:
    """The questions this voter asked from the audience page in this session, newest first.

    Web questions' author is the voter's keyed hash (``Author.external_id``, platform ``web``).
    """
    return list(
        Question.objects.filter(
            session=session, source="web", author__platform="web", author__external_id=voter
        ).order_by("-created_at", "-id")[:50]
    )


# --- the social wall ---------------------------------------------------------------------------

WALL_LIMIT = 30


def wall_items(session: LiveSession, limit: int = WALL_LIMIT) -> list[Question]:
    """What the social wall shows: pinned items first (by ``wall_position``), then the newest.

    Only what passed moderation (approved, on air or answered): questions as moderated, and
    messages that are not questions only when a producer put them on the wall. Never a hidden
    item, nor one by an author the station banned. One query; each item's author is loaded.
    """
    banned = Ban.objects.filter(station_id=session.station_id, author_id=OuterRef("author_id"))
    return list(
        Question.objects.filter(session=session, status__in=PUBLIC_STATUSES)
        .exclude(wall_state=WallState.HIDDEN)
        .exclude(Q(is_question=False) & Q(wall_state=WallState.AUTO))
        .exclude(Exists(banned))
        .select_related("author")
        .annotate(unpinned=Case(When(wall_state=WallState.PINNED, then=Value(0)), default=Value(1)))
        .order_by("unpinned", "wall_position", "-created_at", "-id")[:limit]
    )


# The statuses the crew's console keeps: every one but archived (live/snapshots.py).
CONSOLE_STATUSES = (
    QuestionStatus.PENDING,
    QuestionStatus.APPROVED,
    QuestionStatus.ON_AIR,
    QuestionStatus.ANSWERED,
    QuestionStatus.REJECTED,
)


def vote_counts(session_id: int, *, public: bool) -> dict[str, dict[str, int]]:
    """The current counts and versions of a session's questions ever voted on (the others
    count 0 in any snapshot), as a ``votes`` frame's data: the public statuses only for the
    audience, the console's statuses for the crew. One query.

    Sent after a resumed socket's replayed events: the counts are not in the event log."""
    statuses = PUBLIC_STATUSES if public else CONSOLE_STATUSES
    rows = Question.objects.filter(
        session_id=session_id, status__in=statuses, vote_version__gt=0
    ).values_list("pk", "vote_count", "vote_version")
    counts: dict[str, int] = {}
    versions: dict[str, int] = {}
    for pk, count, version in rows:
        counts[str(pk)] = count
        versions[str(pk)] = version
    return {"counts": counts, "versions": versions}
