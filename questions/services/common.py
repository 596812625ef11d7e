"""Helpers shared by the question services: row locks, transitions and the moderation log."""

from __future__ import annotations

from typing import Any

from questions.models import ModerationLogEntry, Question
from socialroom.errors import InvalidTransition
from studio.roles import User


def lock_question(question: Question) -> Question:
    """Re-read the question under a row lock; call inside ``transaction.atomic``."""
    return Question.objects.select_for_update().select_related("session").get(pk=question.pk)


def check_transition(question: Question, allowed_from: set[str], action: str) -> None:
    if question.status not in allowed_from:
        raise InvalidTransition(
            f"Cannot {action} a question that is {question.get_status_display().lower()}.",
            details={"status": question.status, "action": action},
        )


def log(
    *,
    question: Question | None,
    session_id: int,
    actor: User | None,
    action: str,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> ModerationLogEntry:
    return ModerationLogEntry.objects.create(
        session_id=session_id,
        question=question,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason[:500],
        details=details or {},
    )
