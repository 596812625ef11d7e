"""Station ban list: authors whose new questions are rejected on arrival, and whose questions
waiting to air are pulled out of the queue.

A ban pulls every approved, cued or on-air question of its author in the station's live
sessions back to review (transition ``pull``, moderation log reason ``author_banned`` with
``details["ban"]``), clearing the air if one of them is on it. Lifting the ban approves again the
questions it pulled that are still waiting for review.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from questions.models import Ban, ModerationAction, ModerationLogEntry, Question, QuestionStatus
from questions.publish import publish_on_air
from questions.services.common import lock_questions, log, question_transition
from questions.services.onair import end_on_air
from questions.shapes import off_air_shape
from questions.transitions import TRANSITIONS
from studio.errors import Conflict
from studio.models import AsRunOutcome, LiveSession, SessionStatus
from studio.roles import Capability, User, require
from studio.transactions import retry_on_deadlock

# The moderation log's reason for a question a ban pulled, and for one its lifting put back.
PULL_REASON = "author_banned"
PUT_BACK_REASON = "author_unbanned"


def _lock_sessions(pks: set[int]) -> list[LiveSession]:
    """Lock these sessions' rows in id order (step 1 of the lock order of studio/events.py)."""
    return list(
        LiveSession.objects.select_for_update(no_key=True).filter(pk__in=pks).order_by("pk")
    )


def _pull(*, actor: User, ban: Ban) -> list[Question]:
    """Pull the banned author's approved and on-air questions of the station's live sessions."""
    live = LiveSession.objects.filter(station_id=ban.station_id, status=SessionStatus.LIVE)
    sessions = _lock_sessions(set(live.values_list("pk", flat=True)))
    pks = set(
        Question.objects.filter(
            session__in=[s.pk for s in sessions],
            author_id=ban.author_id,
            status__in=[QuestionStatus.APPROVED, QuestionStatus.ON_AIR],
        ).values_list("pk", flat=True)
    )
    if not pks:
        return []
    locked = lock_questions(pks)
    details = {"ban": ban.pk}
    pulled = []
    for session in sessions:
        mine = [q for q in locked.values() if q.session_id == session.pk]
        if not mine:
            continue
        on_air = next((q for q in mine if q.status == QuestionStatus.ON_AIR), None)
        if on_air is not None:
            cleared = end_on_air(
                session=session,
                actor=actor,
                outcome=AsRunOutcome.CLEARED,
                reason=PULL_REASON,
                details=details,
            )
            if cleared is not None:
                mine = [cleared if q.pk == cleared.pk else q for q in mine]
        for question in mine:
            pulled.append(
                question_transition(
                    question=question,
                    action="pull",
                    actor=actor,
                    reason=PULL_REASON,
                    fields={"hold_position": None},
                    details=details,
                )
            )
        if on_air is not None:
            # The pulled question's own event (above) says where it went.
            publish_on_air(session.pk, shape=off_air_shape())
    return pulled


@retry_on_deadlock
def ban_create(*, actor: User, question: Question, reason: str = "") -> Ban:
    """Ban the author of this question at its station.

    Their questions approved, cued or on air in the station's live sessions go back to review
    (the air is cleared if one is on it); their other questions stay as they are.
    """
    station_id = question.session.station_id
    require(actor, station_id, Capability.BAN)
    if question.author_id is None:
        raise Conflict("This question has no known author to ban.", code="no_author")
    with transaction.atomic():
        try:
            with transaction.atomic():
                # The user model is auth.User; the stubs type request.user as AbstractBaseUser.
                ban = Ban.objects.create(  # type: ignore[misc]
                    station_id=station_id,
                    author_id=question.author_id,
                    reason=reason[:500],
                    created_by=actor,
                )
        except IntegrityError as exc:
            raise Conflict("This author is already banned.", code="already_banned") from exc
        log(
            question=question,
            session_id=question.session_id,
            actor=actor,
            action=ModerationAction.BAN,
            from_status=question.status,
            to_status=question.status,
            reason=reason,
            details={"author": question.author_id},
        )
        _pull(actor=actor, ban=ban)
    return ban


def _put_back(*, actor: User, ban: Ban) -> list[Question]:
    """Approve again the questions this ban pulled that are still waiting for review."""
    pks = set(
        ModerationLogEntry.objects.filter(
            action=TRANSITIONS["pull"].log_action, reason=PULL_REASON, details__ban=ban.pk
        ).values_list("question_id", flat=True)
    )
    pending = Question.objects.filter(pk__in=pks, status=QuestionStatus.PENDING)
    sessions = set(pending.values_list("session_id", flat=True))
    if not sessions:
        return []
    _lock_sessions(sessions)
    locked = lock_questions(set(pending.values_list("pk", flat=True)))
    return [
        question_transition(
            question=question,
            action="approve",
            actor=actor,
            reason=PUT_BACK_REASON,
            details={"ban": ban.pk},
        )
        for question in locked.values()
        if question.status == QuestionStatus.PENDING
    ]


@retry_on_deadlock
def ban_delete(*, actor: User, ban: Ban) -> None:
    """Lift a ban; the questions it pulled and that still wait for review are approved again."""
    require(actor, ban.station_id, Capability.BAN)
    with transaction.atomic():
        _put_back(actor=actor, ban=ban)
        last = (
            Question.objects.filter(author_id=ban.author_id, session__station_id=ban.station_id)
            .order_by("-created_at")
            .first()
        )
        if last is not None:
            log(
                question=last,
                session_id=last.session_id,
                actor=actor,
                action=ModerationAction.UNBAN,
                from_status=last.status,
                to_status=last.status,
                details={"author": ban.author_id},
            )
        ban.delete()
