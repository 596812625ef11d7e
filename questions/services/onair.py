"""What is on air: take, clear, answered, with the as-run log and the air log kept in step.

Nothing slips onto air: a take is refused while the air is locked (``air_locked``) and whenever
the last look at the question (``questions.services.air_checks.air_refusal``) says no. Each
refusal is kept in the air log, written after the refused transaction rolled back.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from questions.models import AirAction, ModerationLogEntry, Question, QuestionStatus
from questions.publish import publish_on_air
from questions.selectors import question_not_in_session
from questions.services.air_checks import air_refusal
from questions.services.common import (
    air_log,
    check_action,
    lock_question,
    question_transition,
)
from questions.shapes import off_air_shape, taken_shape
from questions.signals import question_aired
from questions.transitions import TRANSITIONS, TransitionAction
from studio import metrics
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
    return (
        LiveSession.objects.select_for_update(no_key=True, of=("self",))
        .select_related("station")  # its word lists, for the last look before air
        .get(pk=session.pk)
    )


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
    # The caller announces it with the on-air change, in one event (publish_on_air).
    return question_transition(
        question=current,
        action="clear" if cleared else "answered",
        actor=actor,
        reason=reason,
        fields={} if cleared else {"answered_at": now},
        announce=False,
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
        with metrics.timing_take():
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


def _lock_air_questions(session: LiveSession, question_id: int) -> dict[int, Question]:
    """The question to take and the one on air, locked together in id order (the lock order of
    studio/events.py), read with what their shapes need. Which one is on air cannot change
    meanwhile: every on-air change holds the session's lock."""
    rows = (
        Question.objects.select_for_update(no_key=True, of=("self",))
        .select_related("author", "target_guest")
        .filter(session_id=session.pk)
        .filter(Q(pk=question_id) | Q(status=S.ON_AIR))
        .order_by("pk")
    )
    locked = {}
    for q in rows:
        q.session = session  # the locked session, for the shapes (no query)
        locked[q.pk] = q
    return locked


def _take(
    actor: User | None, via: dict[str, Any], session: LiveSession, question: Question
) -> Question:
    """The take, in about a dozen statements: each row read once under its lock, each change
    written once, one moderation-log insert, one air-log line, one event (docs/realtime.md)."""
    with transaction.atomic():
        session = lock_session(session)
        if session.status != SessionStatus.LIVE:
            raise Conflict("Only a live session can put questions on air.", code="session_not_live")
        if session.air_locked:
            raise _Refused(air_locked_error(), question)
        locked = _lock_air_questions(session, question.pk)
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
        replaced = next((q for q in locked.values() if q.status == S.ON_AIR), None)
        now = timezone.now()
        logged = []
        if replaced is not None:
            AsRunEntry.objects.filter(session=session, ended_at__isnull=True).update(
                ended_at=now, ended_by=actor, outcome=AsRunOutcome.REPLACED
            )
            logged.append(
                _moved(
                    replaced,
                    "answered",
                    actor,
                    now,
                    {"answered_at": now},
                    "Replaced by the next take.",
                )
            )
        # The user model is auth.User; the stubs type request.user as AbstractBaseUser.
        AsRunEntry.objects.create(  # type: ignore[misc]
            session=session, question=question, taken_by=actor, taken_at=now
        )
        cued = question.cued_at is not None
        # On air, the question leaves the queue (a place held there means nothing any more)
        # and loses its cue.
        logged.append(
            _moved(question, "take", actor, now, {"hold_position": None, "cued_at": None})
        )
        ModerationLogEntry.objects.bulk_create(logged)
        air_log(
            session_id=session.pk,
            action=AirAction.TAKE,
            actor=actor,
            question=question,
            details={**via, **({"replaced": replaced.pk} if replaced is not None else {})},
        )
        # One on-air event for the whole change: the overlay goes from the old question
        # straight to the new one, never through an empty screen; the console and the audience
        # find both questions' new states in it.
        publish_on_air(
            session.pk,
            changed=[q for q in (replaced, question) if q is not None],
            shape=taken_shape(question, now),
            cue={"question": None} if cued else None,
        )
        aired, aired_in = question, session
        # Robust: a failing receiver is logged and never turns a committed take into an error.
        transaction.on_commit(
            lambda: question_aired.send(sender=Question, question=aired, session=aired_in),
            robust=True,
        )
    return question


def _moved(
    question: Question,
    action: TransitionAction,
    actor: User | None,
    now: datetime,
    fields: dict[str, Any],
    reason: str = "",
) -> ModerationLogEntry:
    """Move a locked question by one action of the state machine with one UPDATE, and return
    its moderation-log line, unsaved (the caller inserts the take's lines together)."""
    transition = TRANSITIONS[action]
    before = question.status
    changes = {"status": transition.to, **fields, "updated_at": now}
    Question.objects.filter(pk=question.pk).update(**changes)
    for name, value in changes.items():
        setattr(question, name, value)
    # The user model is auth.User; the stubs type request.user as AbstractBaseUser.
    return ModerationLogEntry(  # type: ignore[misc]
        session_id=question.session_id,
        question=question,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=transition.log_action,
        from_status=before,
        to_status=transition.to,
        reason=reason[:500],
    )


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
            publish_on_air(session.pk, changed=[cleared], shape=off_air_shape())
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
            answered = end_on_air(session=session, actor=actor, outcome=AsRunOutcome.ANSWERED)
            if answered is not None:
                publish_on_air(session.pk, changed=[answered], shape=off_air_shape())
                return answered
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
