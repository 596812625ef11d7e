"""Reads of questions, votes and logs."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from questions.models import (
    PUBLIC_STATUSES,
    Ban,
    ModerationLogEntry,
    Question,
    Vote,
)
from studio.errors import NotFound
from studio.models import LiveSession
from studio.roles import User


def questions_for_session(session: LiveSession) -> QuerySet[Question]:
    return Question.objects.filter(session=session).select_related("author", "target_guest")


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
