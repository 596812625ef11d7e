"""Helpers shared by the question services: row locks, transitions and the moderation log."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from questions.models import (
    PUBLIC_STATUSES,
    AirAction,
    AirLogEntry,
    ModerationAction,
    ModerationLogEntry,
    Question,
    QuestionStatus,
)
from questions.publish import publish_cue, publish_question
from questions.transitions import TRANSITIONS, TransitionAction
from studio.errors import InvalidTransition
from studio.roles import User


def lock_question(question: Question) -> Question:
    """Re-read the question under a row lock; call inside ``transaction.atomic``.

    FOR NO KEY UPDATE of the question row alone (not the joined session): see the lock order in
    studio/events.py.
    """
    return (
        Question.objects.select_for_update(no_key=True, of=("self",))
        .select_related("session")
        .get(pk=question.pk)
    )


def lock_questions(pks: set[int]) -> dict[int, Question]:
    """Lock several questions in ascending id order (the lock order of studio/events.py)."""
    rows = Question.objects.select_for_update(no_key=True, of=("self",)).select_related("session")
    return {q.pk: q for q in rows.filter(pk__in=pks).order_by("pk")}


def check_transition(question: Question, allowed_from: Collection[str], action: str) -> None:
    """Refuse with ``invalid_transition`` unless the question's status is in ``allowed_from``."""
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
    # The user model is auth.User; the stubs type request.user as AbstractBaseUser.
    return ModerationLogEntry.objects.create(  # type: ignore[misc]
        session_id=session_id,
        question=question,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason[:500],
        details=details or {},
    )


def air_log(
    *,
    session_id: int,
    action: str,
    actor: User | None,
    question: Question | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AirLogEntry:
    """One line of the air log (an ``AirAction``): who did what to the air, and when."""
    # The user model is auth.User; the stubs type request.user as AbstractBaseUser.
    return AirLogEntry.objects.create(  # type: ignore[misc]
        session_id=session_id,
        question=question,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        reason=reason[:500],
        details=details or {},
    )


def check_action(question: Question, action: TransitionAction) -> None:
    """Refuse with ``invalid_transition`` unless the table allows ``action`` from the status."""
    transition = TRANSITIONS[action]
    check_transition(question, transition.allowed_from, transition.verb)


def question_change(
    *,
    question: Question,
    actor: User | None,
    action: str,
    fields: dict[str, Any],
    reason: str = "",
    details: dict[str, Any] | None = None,
    announce: bool = True,
) -> Question:
    """Set ``fields`` on a locked question, save them, log the change from → to status, and
    announce it (sent after commit). ``announce=False``: the caller announces it, with the rest
    of its change, in one event (an air change: ``publish_on_air(changed=...)``).

    Call inside ``transaction.atomic`` after every other row lock and write of the transaction:
    the question event takes the session's stream heads, last in the lock order
    (studio/events.py).
    """
    before = question.status
    # Only an approved question can be cued: one that stops being approved (taken on air,
    # rejected, archived, answered, sent back to review) loses its cue.
    after = fields.get("status", before)
    uncued = question.cued_at is not None and after != QuestionStatus.APPROVED
    if uncued:
        fields = {**fields, "cued_at": None}
    for name, value in fields.items():
        setattr(question, name, value)
    question.save(update_fields=[*fields, "updated_at"])
    if uncued and action != ModerationAction.TAKE:
        air_log(
            session_id=question.session_id,
            action=AirAction.UNCUE,
            actor=actor,
            question=question,
            reason="No longer approved.",
            details={"status": question.status},
        )
    log(
        question=question,
        session_id=question.session_id,
        actor=actor,
        action=action,
        from_status=before,
        to_status=question.status,
        reason=reason,
        details=details,
    )
    if announce:
        publish_question(question, was_public=before in PUBLIC_STATUSES)
        if uncued:
            publish_cue(question.session_id)
    return question


def question_transition(
    *,
    question: Question,
    action: TransitionAction,
    actor: User | None,
    reason: str = "",
    fields: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    announce: bool = True,
) -> Question:
    """Move a locked question by one action of the state machine (questions/transitions.py).

    Raises ``InvalidTransition`` and writes nothing when the table does not allow the action
    from the question's status. Otherwise saves the new status with ``fields``, writes one
    moderation log entry (who, from → to, why) and announces the question. Same conditions as
    ``question_change``: inside the transaction, after every other row lock and write.
    """
    transition = TRANSITIONS[action]
    check_transition(question, transition.allowed_from, transition.verb)
    return question_change(
        question=question,
        actor=actor,
        action=transition.log_action,
        fields={"status": transition.to, **(fields or {})},
        reason=reason,
        details=details,
        announce=announce,
    )
