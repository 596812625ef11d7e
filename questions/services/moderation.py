"""Moderators' decisions on questions. Each is logged with who, when, from → to and why."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from questions.automod import normalise
from questions.live import publish_question
from questions.models import PUBLIC_STATUSES, ModerationAction, Question, QuestionStatus
from questions.services.common import check_transition, lock_question, log, retry_on_deadlock
from socialroom.errors import ValidationFailed
from studio.models import Guest
from studio.roles import Capability, User, require, require_any

S = QuestionStatus


def _move(
    *,
    actor: User,
    question: Question,
    allowed_from: set[str],
    to: str,
    action: str,
    reason: str = "",
) -> Question:
    require(actor, question.session.station_id, Capability.MODERATE)
    with transaction.atomic():
        question = lock_question(question)
        check_transition(question, allowed_from, action)
        before = question.status
        question.status = to
        fields = ["status", "updated_at"]
        if to == S.APPROVED:
            question.approved_at = timezone.now()
            fields.append("approved_at")
        if to in (S.APPROVED, S.PENDING) and question.answered_at is not None:
            question.answered_at = None
            fields.append("answered_at")
        question.save(update_fields=fields)
        log(
            question=question,
            session_id=question.session_id,
            actor=actor,
            action=action,
            from_status=before,
            to_status=to,
            reason=reason,
        )
        publish_question(question, was_public=before in PUBLIC_STATUSES)
    return question


@retry_on_deadlock
def question_approve(*, actor: User, question: Question) -> Question:
    """Approve a pending question (or undo a rejection or an archive)."""
    return _move(
        actor=actor,
        question=question,
        allowed_from={S.PENDING, S.REJECTED, S.ARCHIVED},
        to=S.APPROVED,
        action=ModerationAction.APPROVE,
    )


@retry_on_deadlock
def question_reject(*, actor: User, question: Question, reason: str = "") -> Question:
    return _move(
        actor=actor,
        question=question,
        allowed_from={S.PENDING, S.APPROVED},
        to=S.REJECTED,
        action=ModerationAction.REJECT,
        reason=reason,
    )


@retry_on_deadlock
def question_archive(*, actor: User, question: Question, reason: str = "") -> Question:
    return _move(
        actor=actor,
        question=question,
        allowed_from={S.PENDING, S.APPROVED, S.REJECTED, S.ANSWERED},
        to=S.ARCHIVED,
        action=ModerationAction.ARCHIVE,
        reason=reason,
    )


@retry_on_deadlock
def question_reopen(*, actor: User, question: Question, reason: str = "") -> Question:
    """Send a question back to review: the undo for approve, reject, archive and answered."""
    return _move(
        actor=actor,
        question=question,
        allowed_from={S.APPROVED, S.REJECTED, S.ARCHIVED, S.ANSWERED},
        to=S.PENDING,
        action=ModerationAction.REOPEN,
        reason=reason,
    )


@retry_on_deadlock
def question_edit(*, actor: User, question: Question, text: str) -> Question:
    """Correct a question's text. An approved question goes back to review.

    A question on air or already answered cannot be edited: what aired stays as it aired.
    """
    require(actor, question.session.station_id, Capability.MODERATE)
    text = normalise(text or "")
    with transaction.atomic():
        question = lock_question(question)
        check_transition(question, {S.PENDING, S.APPROVED, S.REJECTED}, "edit")
        if not text:
            raise ValidationFailed("The question is empty.", details={"text": "empty"})
        limit = question.session.max_question_length
        if len(text) > limit:
            raise ValidationFailed(
                f"The question is too long: {len(text)} characters, at most {limit}.",
                code="too_long",
                details={"text": "too_long", "max_length": limit},
            )
        if text == question.text:
            return question
        before = question.status
        question.text = text
        if before == S.APPROVED:
            question.status = S.PENDING
        question.save(update_fields=["text", "status", "updated_at"])
        log(
            question=question,
            session_id=question.session_id,
            actor=actor,
            action=ModerationAction.EDIT,
            from_status=before,
            to_status=question.status,
            details={"text": text},
        )
        publish_question(question, was_public=before in PUBLIC_STATUSES)
    return question


@retry_on_deadlock
def question_star(*, actor: User, question: Question, starred: bool = True) -> Question:
    require(actor, question.session.station_id, Capability.MODERATE)
    with transaction.atomic():
        question = lock_question(question)
        if question.starred == starred:
            return question
        question.starred = starred
        question.save(update_fields=["starred", "updated_at"])
        log(
            question=question,
            session_id=question.session_id,
            actor=actor,
            action=ModerationAction.STAR if starred else ModerationAction.UNSTAR,
            from_status=question.status,
            to_status=question.status,
        )
        publish_question(question, was_public=question.status in PUBLIC_STATUSES)
    return question


@retry_on_deadlock
def question_aim(*, actor: User, question: Question, guest: Guest | None) -> Question:
    """Aim the question at one guest of its session, or at nobody (``guest=None``)."""
    require(actor, question.session.station_id, Capability.MODERATE)
    if guest is not None and guest.session_id != question.session_id:
        raise ValidationFailed("That guest is not in this session.", details={"guest": "unknown"})
    with transaction.atomic():
        question = lock_question(question)
        if question.target_guest_id == (guest.pk if guest else None):
            return question
        question.target_guest = guest
        question.save(update_fields=["target_guest", "updated_at"])
        log(
            question=question,
            session_id=question.session_id,
            actor=actor,
            action=ModerationAction.AIM,
            from_status=question.status,
            to_status=question.status,
            details={"guest": guest.pk if guest else None},
        )
        publish_question(question, was_public=question.status in PUBLIC_STATUSES)
    return question


MAX_HOLD_POSITION = 50


@retry_on_deadlock
def question_hold(*, actor: User, question: Question, position: int | None) -> Question:
    """Hold an approved question at a place in the ranked queue (1 = first), or let it go
    (``position=None``) so that votes place it again. Hosts and moderators may do this."""
    require_any(actor, question.session.station_id, Capability.ON_AIR, Capability.MODERATE)
    if position is not None and not 1 <= position <= MAX_HOLD_POSITION:
        raise ValidationFailed(
            f"A held place is between 1 and {MAX_HOLD_POSITION}.",
            details={"position": "out_of_range"},
        )
    with transaction.atomic():
        question = lock_question(question)
        if position is not None:
            check_transition(question, {S.APPROVED}, "hold the place of")
        if question.hold_position == position:
            return question
        question.hold_position = position
        question.save(update_fields=["hold_position", "updated_at"])
        log(
            question=question,
            session_id=question.session_id,
            actor=actor,
            action=ModerationAction.HOLD,
            from_status=question.status,
            to_status=question.status,
            details={"position": position},
        )
        publish_question(question, was_public=question.status in PUBLIC_STATUSES)
    return question
