"""What is on air: take, clear, answered, with the as-run log kept in step."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from questions.models import Question, QuestionStatus
from questions.publish import publish_on_air
from questions.selectors import question_not_in_session
from questions.services.common import (
    check_action,
    lock_question,
    lock_questions,
    question_transition,
)
from studio.errors import Conflict
from studio.models import AsRunEntry, AsRunOutcome, LiveSession, SessionStatus
from studio.roles import Capability, User, require, require_any
from studio.transactions import retry_on_deadlock

S = QuestionStatus


def _lock_session(session: LiveSession) -> LiveSession:
    # Every on-air change of a session takes this row lock first, so two takes never interleave.
    # NO KEY: questions and events inserted meanwhile check their foreign key to the session
    # with FOR KEY SHARE, which this lock lets through (lock order: studio/events.py).
    return LiveSession.objects.select_for_update(no_key=True).get(pk=session.pk)


def end_on_air(
    *, session: LiveSession, actor: User, outcome: str, reason: str = ""
) -> Question | None:
    """Take the current on-air question off air; the caller holds the session's row lock.

    ``cleared`` sends it back to the approved queue; ``answered`` and ``replaced`` mark it answered.
    Returns the question that was on air, or None.
    """
    current = (
        Question.objects.select_for_update(no_key=True)
        .filter(session=session, status=S.ON_AIR)
        .first()
    )
    if current is None:
        return None
    now = timezone.now()
    cleared = outcome == AsRunOutcome.CLEARED
    # The as-run entry is closed before the question moves: the question event takes the stream
    # heads, which come after every other row lock of the transaction (studio/events.py).
    AsRunEntry.objects.filter(session=session, ended_at__isnull=True).update(
        ended_at=now, ended_by=actor, outcome=outcome
    )
    return question_transition(
        question=current,
        action="clear" if cleared else "answered",
        actor=actor,
        reason=reason,
        fields={} if cleared else {"answered_at": now},
    )


@retry_on_deadlock
def session_take_on_air(*, actor: User, session: LiveSession, question: Question) -> Question:
    """Put an approved question of this live session on air.

    Whatever was on air before is marked answered (outcome "replaced" in the as-run log).
    """
    require(actor, session.station_id, Capability.ON_AIR)
    if question.session_id != session.pk:
        raise question_not_in_session()
    with transaction.atomic():
        session = _lock_session(session)
        if session.status != SessionStatus.LIVE:
            raise Conflict("Only a live session can put questions on air.", code="session_not_live")
        # The question taken and the one it replaces, locked together in id order. Which one
        # is on air cannot change meanwhile: every on-air change holds the session's lock.
        on_air = Question.objects.filter(session=session, status=S.ON_AIR).values_list(
            "pk", flat=True
        )
        locked = lock_questions({question.pk, *on_air})
        if question.pk not in locked:
            raise question_not_in_session()
        question = locked[question.pk]
        if question.status == S.ON_AIR:
            return question
        # Checked before the question on air is replaced, so a refused take changes nothing.
        check_action(question, "take")
        end_on_air(
            session=session,
            actor=actor,
            outcome=AsRunOutcome.REPLACED,
            reason="Replaced by the next take.",
        )
        # The as-run entry first: the question event takes the stream heads, last in the lock
        # order (studio/events.py).
        # The user model is auth.User; the stubs type request.user as AbstractBaseUser.
        AsRunEntry.objects.create(  # type: ignore[misc]
            session=session, question=question, taken_by=actor, taken_at=timezone.now()
        )
        # On air, the question leaves the queue: a place held there means nothing any more.
        question = question_transition(
            question=question, action="take", actor=actor, fields={"hold_position": None}
        )
        # One on-air event for the whole change: the overlay goes from the old question
        # straight to the new one, never through an empty screen.
        publish_on_air(session.pk)
    return question


@retry_on_deadlock
def session_clear_on_air(*, actor: User, session: LiveSession) -> Question | None:
    """Clear the screen: the on-air question goes back to the approved queue.

    Returns the question that was cleared, or None when nothing was on air.
    """
    require(actor, session.station_id, Capability.ON_AIR)
    with transaction.atomic():
        session = _lock_session(session)
        cleared = end_on_air(session=session, actor=actor, outcome=AsRunOutcome.CLEARED)
        if cleared is not None:
            publish_on_air(session.pk)
        return cleared


@retry_on_deadlock
def question_mark_answered(*, actor: User, question: Question) -> Question:
    """Mark a question answered. On air, this also takes it off air."""
    require(actor, question.session.station_id, Capability.ON_AIR)
    with transaction.atomic():
        session = _lock_session(question.session)
        question = lock_question(question)
        check_action(question, "answered")
        if question.status == S.ON_AIR:
            end_on_air(session=session, actor=actor, outcome=AsRunOutcome.ANSWERED)
            publish_on_air(session.pk)
            question.refresh_from_db()
            return question
        return question_transition(
            question=question,
            action="answered",
            actor=actor,
            fields={"answered_at": timezone.now()},
        )


@retry_on_deadlock
def question_requeue(*, actor: User, question: Question) -> Question:
    """Undo "answered": the question goes back to the approved queue, where it was.

    Hosts may do this (unlike reopen, which sends a question back to review).
    """
    require_any(actor, question.session.station_id, Capability.ON_AIR, Capability.MODERATE)
    with transaction.atomic():
        question = lock_question(question)
        return question_transition(
            question=question, action="requeue", actor=actor, fields={"answered_at": None}
        )
