"""Helpers shared by the question services: row locks, transitions, the moderation log, and
running a transaction again when PostgreSQL aborted it to break a deadlock."""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable, Collection
from typing import Any, ParamSpec, TypeVar

from django.db import DatabaseError, connection

from questions.live import publish_question
from questions.models import PUBLIC_STATUSES, ModerationLogEntry, Question
from questions.transitions import TRANSITIONS, TransitionAction
from studio.errors import InvalidTransition
from studio.roles import User

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# SQLSTATEs of a transaction PostgreSQL rolled back so that another could go on: a deadlock and a
# serialization failure. Nothing of it was written, so running it again is safe.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
RETRY_ATTEMPTS = 5
RETRY_BACKOFF_SECONDS = 0.01  # doubled at each attempt, with jitter: 10, 20, 40, 80 ms at most


def is_retryable(exc: BaseException) -> bool:
    """A deadlock or a serialization failure (Django wraps psycopg's error as ``__cause__``)."""
    return isinstance(exc, DatabaseError) and (
        getattr(exc.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES
    )


def retry_on_deadlock(service: Callable[P, R]) -> Callable[P, R]:
    """Run the service again when its transaction was rolled back for a deadlock or a
    serialization failure, a few times, after a short random pause.

    The lock order (studio/events.py) makes these rare; this keeps the ones that remain (a
    session deleted mid-show, a lock taken by a process outside the studio) from reaching a user
    as a failure. Only the outermost transaction is run again: inside an enclosing
    ``transaction.atomic`` the error goes up to whoever owns that transaction.
    """

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if connection.in_atomic_block:
            return service(*args, **kwargs)
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                return service(*args, **kwargs)
            except DatabaseError as exc:
                if attempt == RETRY_ATTEMPTS or not is_retryable(exc):
                    raise
                logger.warning(
                    "%s: transaction rolled back (%s), running it again (attempt %d)",
                    service.__name__,
                    exc.__cause__.sqlstate,  # type: ignore[union-attr]
                    attempt + 1,
                )
                time.sleep(random.uniform(0, RETRY_BACKOFF_SECONDS * 2**attempt))  # noqa: S311
        raise AssertionError("unreachable")

    return run


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
) -> Question:
    """Set ``fields`` on a locked question, save them, log the change from → to status, and
    announce it (sent after commit).

    Call inside ``transaction.atomic`` after every other row lock and write of the transaction:
    the question event takes the session's stream heads, last in the lock order
    (studio/events.py).
    """
    before = question.status
    for name, value in fields.items():
        setattr(question, name, value)
    question.save(update_fields=[*fields, "updated_at"])
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
    publish_question(question, was_public=before in PUBLIC_STATUSES)
    return question


def question_transition(
    *,
    question: Question,
    action: TransitionAction,
    actor: User | None,
    reason: str = "",
    fields: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
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
    )
