"""The air itself: the lock (a kill switch), the cue and take next, and the control key.

- **Lock.** ``air_lock`` clears the air (as the Clear button does) and keeps it empty: every take
  is refused with ``air_locked`` until a producer calls ``air_unlock``. Hosts may lock, only
  producers unlock.
- **Cue.** One approved question per session may be cued to air next (``question_cue``);
  ``session_take_next`` takes it through every check of a take. A cued question that stops being
  approved loses its cue (``questions.services.common.question_change``).
- **Control key.** A producer issues the key with which control surfaces (a Stream Deck) take
  next, clear, lock and unlock one session's air; a blank key turns them off.

Every cue, uncue, lock and unlock is written in the air log (who, when), like takes and clears.
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from questions.models import AirAction, Question, QuestionStatus
from questions.publish import publish_cue, publish_on_air
from questions.services.common import air_log, lock_questions
from questions.services.onair import (
    Actor,
    authorise,
    end_on_air,
    lock_session,
    session_take_on_air,
)
from questions.shapes import off_air_shape
from studio.errors import Conflict
from studio.models import AsRunOutcome, LiveSession
from studio.publish import publish_session
from studio.roles import Capability, User, require, require_any
from studio.transactions import retry_on_deadlock

CONTROL_KEY_BYTES = 32  # 43 URL-safe characters


@retry_on_deadlock
def air_lock(*, actor: Actor, session: LiveSession) -> LiveSession:
    """Lock the air: whatever is on air is cleared (back to the queue) and nothing can be taken
    until a producer unlocks it. Locking a locked air changes nothing."""
    recorded, via = authorise(actor, session, Capability.ON_AIR)
    with transaction.atomic():
        session = lock_session(session)
        if session.air_locked:
            return session
        cleared = end_on_air(
            session=session,
            actor=recorded,
            outcome=AsRunOutcome.CLEARED,
            reason="Air locked.",
            details=via,
        )
        session.air_locked = True
        session.save(update_fields=["air_locked"])
        air_log(
            session_id=session.pk,
            action=AirAction.LOCK,
            actor=recorded,
            details={**via, **({"cleared": cleared.pk} if cleared is not None else {})},
        )
        if cleared is not None:
            publish_on_air(session.pk, changed=[cleared], shape=off_air_shape())
        publish_session(session)
    return session


@retry_on_deadlock
def air_unlock(*, actor: Actor, session: LiveSession) -> LiveSession:
    """Unlock the air (producers only; or a control surface, whose key a producer issued)."""
    recorded, via = authorise(actor, session, Capability.MANAGE)
    with transaction.atomic():
        session = lock_session(session)
        if not session.air_locked:
            return session
        session.air_locked = False
        session.save(update_fields=["air_locked"])
        air_log(session_id=session.pk, action=AirAction.UNLOCK, actor=recorded, details=via)
        publish_session(session)
    return session


def _cued_pk(session: LiveSession) -> int | None:
    return (
        Question.objects.filter(session=session, cued_at__isnull=False)
        .values_list("pk", flat=True)
        .first()
    )


@retry_on_deadlock
def question_cue(*, actor: User, question: Question) -> Question:
    """Cue an approved question to air next; the question cued before is cued no more."""
    require_any(actor, question.session.station_id, Capability.ON_AIR, Capability.MODERATE)
    with transaction.atomic():
        session = lock_session(question.session)
        previous = _cued_pk(session)
        locked = lock_questions({question.pk} | ({previous} if previous is not None else set()))
        question = locked[question.pk]
        if question.status != QuestionStatus.APPROVED:
            raise Conflict(
                _("Only an approved question can be cued."),
                code="not_approved",
                details={"status": question.status},
            )
        if question.cued_at is not None:
            return question
        if previous is not None:
            # Uncued first: the database holds one cued question per session.
            before = locked[previous]
            before.cued_at = None
            before.save(update_fields=["cued_at"])
        question.cued_at = timezone.now()
        question.save(update_fields=["cued_at"])
        air_log(
            session_id=session.pk,
            action=AirAction.CUE,
            actor=actor,
            question=question,
            details={"replaced": previous} if previous is not None else {},
        )
        publish_cue(session.pk)
    return question


@retry_on_deadlock
def session_uncue(*, actor: User, session: LiveSession) -> Question | None:
    """Remove the cue; returns the question that was cued, or None when none was."""
    require_any(actor, session.station_id, Capability.ON_AIR, Capability.MODERATE)
    with transaction.atomic():
        session = lock_session(session)
        previous = _cued_pk(session)
        if previous is None:
            return None
        question = lock_questions({previous})[previous]
        question.cued_at = None
        question.save(update_fields=["cued_at"])
        air_log(session_id=session.pk, action=AirAction.UNCUE, actor=actor, question=question)
        publish_cue(session.pk)
    return question


def nothing_cued_error() -> Conflict:
    return Conflict(_("Nothing is cued: cue a question first."), code="nothing_cued")


def session_take_next(*, actor: Actor, session: LiveSession) -> Question:
    """Take the cued question on air, with every check of a take; its cue is then cleared.

    Refused with ``nothing_cued`` when no question is cued.
    """
    authorise(actor, session, Capability.ON_AIR)
    cued = Question.objects.filter(session=session, cued_at__isnull=False).first()
    if cued is None:
        raise nothing_cued_error()
    # Not inside a transaction of its own: a refused take writes its refusal in the air log
    # after its transaction rolled back.
    return session_take_on_air(actor=actor, session=session, question=cued)


@retry_on_deadlock
def session_rotate_control_key(*, actor: User, session: LiveSession) -> LiveSession:
    """Issue a new control key (control surfaces on); surfaces using the old one stop at once."""
    require(actor, session.station_id, Capability.MANAGE)
    with transaction.atomic():
        session = lock_session(session)
        session.control_key = secrets.token_urlsafe(CONTROL_KEY_BYTES)
        session.save(update_fields=["control_key"])
    return session


@retry_on_deadlock
def session_disable_control_key(*, actor: User, session: LiveSession) -> LiveSession:
    """Turn control surfaces off: the session keeps no control key."""
    require(actor, session.station_id, Capability.MANAGE)
    with transaction.atomic():
        session = lock_session(session)
        session.control_key = ""
        session.save(update_fields=["control_key"])
    return session
