"""What is on air: take, clear, answered, with the as-run log and the air log kept in step.

Nothing slips onto air: a take is refused while the air is locked (``air_locked``) and whenever
the last look at the question (``questions.services.air_checks.air_refusal``) says no. Each
refusal is kept in the air log, written after the refused transaction rolled back.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from questions.models import AirAction, Question, QuestionStatus
from questions.publish import publish_on_air
from questions.selectors import question_not_in_session
from questions.services.air_checks import air_refusal
from questions.services.common import (
    air_log,
    check_action,
    lock_question,
    lock_questions,
    question_transition,
)
from questions.signals import question_aired
from studio.errors import Conflict, DomainError, NotAllowed
from studio.models import AsRunEntry, AsRunOutcome, LiveSession, SessionStatus
from studio.roles import Capability, User, require, require_any
from studio.transactions import retry_on_deadlock

S = QuestionStatus


@dataclass(frozen=True)
class ControlSurface:
    """A control surface (a Stream Deck through Companion) presenting a session's control key.

    A producer creates the key, so whoever holds it acts with a producer's authority over the
    air of that one session: take next, clear, lock and unlock. The logs record no user for
    these acts, with ``details["via"] == "control"``.
    """

    key: str


Actor = User | ControlSurface

_NO_KEY = b"\x00" * 32


def control_key_matches(given: str, expected: str) -> bool:
    """Constant-time comparison of a control key; always False when the session has none."""
    same = hmac.compare_digest(
        given.encode("utf-8", "replace"), expected.encode() if expected else _NO_KEY
    )
    return same and bool(expected)


def authorise(
    actor: Actor, session: LiveSession, capability: Capability
) -> tuple[User | None, dict[str, Any]]:
    """Check that ``actor`` may do this to the session's air; returns the user to record (None
    for a control surface) and the details every log line of the act carries."""
    if isinstance(actor, ControlSurface):
        if not control_key_matches(actor.key, session.control_key):
            raise NotAllowed(
                _("This is not the session's control key: it may have been rotated or turned off."),
                code="wrong_control_key",
            )
        return None, {"via": "control"}
    require(actor, session.station_id, capability)
    return actor, {}


def lock_session(session: LiveSession) -> LiveSession:
    """Re-read the session under its row lock; every change of its air takes this lock first.

    NO KEY: questions and events inserted meanwhile check their foreign key to the session
    with FOR KEY SHARE, which this lock lets through (lock order: studio/events.py).
    """
    return LiveSession.objects.select_for_update(no_key=True).get(pk=session.pk)


_END_LOG: dict[str, str] = {
    AsRunOutcome.CLEARED: AirAction.CLEAR,
    AsRunOutcome.ANSWERED: AirAction.ANSWER,
}


def end_on_air(
    *,
    session: LiveSession,
    actor: User | None,
    outcome: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> Question | None:
    """Take the current on-air question off air; the caller holds the session's row lock.

    ``cleared`` sends it back to the approved queue; ``answered`` and ``replaced`` mark it answered.
    A clear or an answer is written in the air log (a replacement is part of the take's line).
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
    if outcome in _END_LOG:
        air_log(
            session_id=session.pk,
            action=_END_LOG[outcome],
            actor=actor,
            question=current,
            reason=reason,
            details=details,
        )
    return question_transition(
        question=current,
        action="clear" if cleared else "answered",
        actor=actor,
        reason=reason,
        fields={} if cleared else {"answered_at": now},
    )


def air_locked_error() -> Conflict:
    return Conflict(
        _("The air is locked: a producer must unlock it first."),
        code="air_locked",
    )


class _Refused(Exception):
    """A take refused by the air's checks, carried out of the transaction so that it rolls back
    before the refusal is written in the air log."""

    def __init__(self, error: DomainError, question: Question) -> None:
        super().__init__(error.message)
        self.error = error
        self.question = question


def record_refusal(
    *,
    session: LiveSession,
    actor: User | None,
    error: DomainError,
    question: Question | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Write a refused take in the air log, in its own transaction."""
    with transaction.atomic():
        air_log(
            session_id=session.pk,
            action=AirAction.REFUSE,
            actor=actor,
            question=question,
            reason=error.message,
            details={**(details or {}), "code": error.code},
        )


@retry_on_deadlock
def session_take_on_air(*, actor: Actor, session: LiveSession, question: Question) -> Question:
    """Put an approved question of this live session on air.

    Whatever was on air before is marked answered (outcome "replaced" in the as-run log).
    Refused while the air is locked (``air_locked``) and when the question may not air as it
    stands (:func:`questions.services.air_checks.air_refusal`); a refusal changes nothing but
    the air log. A cued question taken loses its cue.
    """
    recorded, via = authorise(actor, session, Capability.ON_AIR)
    if question.session_id != session.pk:
        raise question_not_in_session()
    try:
        return _take(recorded, via, session, question)
    except _Refused as refused:
        record_refusal(
            session=session,
            actor=recorded,
            error=refused.error,
            question=refused.question,
            details=via,
        )
        raise refused.error from None


def _take(
    actor: User | None, via: dict[str, Any], session: LiveSession, question: Question
) -> Question:
    with transaction.atomic():
        session = lock_session(session)
        if session.status != SessionStatus.LIVE:
            raise Conflict("Only a live session can put questions on air.", code="session_not_live")
        if session.air_locked:
            raise _Refused(air_locked_error(), question)
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
        refusal = air_refusal(question)
        if refusal is not None:
            raise _Refused(refusal, question)
        replaced = end_on_air(
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
        air_log(
            session_id=session.pk,
            action=AirAction.TAKE,
            actor=actor,
            question=question,
            details={**via, **({"replaced": replaced.pk} if replaced is not None else {})},
        )
        # On air, the question leaves the queue: a place held there means nothing any more.
        question = question_transition(
            question=question, action="take", actor=actor, fields={"hold_position": None}
        )
        # One on-air event for the whole change: the overlay goes from the old question
        # straight to the new one, never through an empty screen.
        publish_on_air(session.pk)
        aired, aired_in = question, session
        # Robust: a failing receiver is logged and never turns a committed take into an error.
        transaction.on_commit(
            lambda: question_aired.send(sender=Question, question=aired, session=aired_in),
            robust=True,
        )
    return question


@retry_on_deadlock
def session_clear_on_air(*, actor: Actor, session: LiveSession) -> Question | None:
    """Clear the screen: the on-air question goes back to the approved queue.

    Returns the question that was cleared, or None when nothing was on air.
    """
    recorded, via = authorise(actor, session, Capability.ON_AIR)
    with transaction.atomic():
        session = lock_session(session)
        cleared = end_on_air(
            session=session, actor=recorded, outcome=AsRunOutcome.CLEARED, details=via
        )
        if cleared is not None:
            publish_on_air(session.pk)
        return cleared


@retry_on_deadlock
def question_mark_answered(*, actor: User, question: Question) -> Question:
    """Mark a question answered. On air, this also takes it off air."""
    require(actor, question.session.station_id, Capability.ON_AIR)
    with transaction.atomic():
        session = lock_session(question.session)
        question = lock_question(question)
        check_action(question, "answered")
        if question.status == S.ON_AIR:
            end_on_air(session=session, actor=actor, outcome=AsRunOutcome.ANSWERED)
            publish_on_air(session.pk)
            question.refresh_from_db()
            return question
        air_log(session_id=session.pk, action=AirAction.ANSWER, actor=actor, question=question)
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
