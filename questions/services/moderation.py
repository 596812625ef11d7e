"""Moderators' decisions on questions. Each is logged with who, when, from → to and why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from questions.automod import normalise
from questions.models import ModerationAction, Question, QuestionStatus
from questions.publish import publish_cue
from questions.services.common import (
    check_action,
    check_transition,
    lock_question,
    question_change,
    question_transition,
)
from questions.transitions import TRANSITIONS, TransitionAction
from studio.errors import ValidationFailed
from studio.models import Guest
from studio.roles import Capability, User, require, require_any
from studio.selectors import guest_not_in_session
from studio.transactions import retry_on_deadlock

S = QuestionStatus


def _move(
    *,
    actor: User,
    question: Question,
    action: TransitionAction,
    reason: str = "",
) -> Question:
    """A moderator's move of the state machine, under the question's lock, logged."""
    require(actor, question.session.station_id, Capability.MODERATE)
    with transaction.atomic():
        question = lock_question(question)
        to = TRANSITIONS[action].to
        fields: dict[str, Any] = {}
        if to == S.APPROVED:
            fields["approved_at"] = timezone.now()
        # Back in the queue or in review, a question is no longer answered.
        if to in (S.APPROVED, S.PENDING) and question.answered_at is not None:
            fields["answered_at"] = None
        return question_transition(
            question=question, action=action, actor=actor, reason=reason, fields=fields
        )


@retry_on_deadlock
def question_approve(*, actor: User, question: Question) -> Question:
    """Approve a pending question (or undo a rejection or an archive)."""
    return _move(
        actor=actor,
        question=question,
        action="approve",
    )


@retry_on_deadlock
def question_reject(*, actor: User, question: Question, reason: str = "") -> Question:
    return _move(
        actor=actor,
        question=question,
        action="reject",
        reason=reason,
    )


@retry_on_deadlock
def question_archive(*, actor: User, question: Question, reason: str = "") -> Question:
    return _move(
        actor=actor,
        question=question,
        action="archive",
        reason=reason,
    )


@retry_on_deadlock
def question_reopen(*, actor: User, question: Question, reason: str = "") -> Question:
    """Send a question back to review: the undo for approve, reject, archive and answered."""
    return _move(
        actor=actor,
        question=question,
        action="reopen",
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
        # An approved question edited goes back to review: the audience never sees a text nobody
        # approved. Editing is not an action of the state machine (questions/transitions.py).
        status = S.PENDING if question.status == S.APPROVED else question.status
        return question_change(
            question=question,
            actor=actor,
            action=ModerationAction.EDIT,
            fields={"text": text, "status": status},
            details={"text": text},
        )


# The statuses whose on-air wording and name may change: not on air (what airs stays as it airs
# while it is on screen), not answered (what aired stays as it aired).
REWORDABLE = {S.PENDING, S.APPROVED, S.REJECTED}
AIR_NAME_MAX_LENGTH = 120


@retry_on_deadlock
def question_reword(*, actor: User, question: Question, text: str) -> Question:
    """Set the wording that airs instead of the question's text (``air_text``); blank, or the
    text itself, airs the text again. The audience's text is kept as it was sent.

    The status stays as it is: the moderator who writes the wording is the one who approves it.
    """
    require(actor, question.session.station_id, Capability.MODERATE)
    text = normalise(text or "")

    def within_limit(question: Question) -> None:
        limit = question.session.max_question_length
        if len(text) > limit:
            raise ValidationFailed(
                gettext("The on-air wording is too long: %(length)d characters, at most %(limit)d.")
                % {"length": len(text), "limit": limit},
                code="too_long",
                details={"text": "too_long", "max_length": limit},
            )

    return _set_what_airs(
        actor=actor,
        question=question,
        action="reword",
        field="air_text",
        value=text,
        original="text",
        check=within_limit,
    )


@retry_on_deadlock
def question_rename(*, actor: User, question: Question, name: str) -> Question:
    """Set the name that airs instead of the author's (``air_name``, e.g. initials); blank, or
    the author's name itself, airs the author's name again."""
    require(actor, question.session.station_id, Capability.MODERATE)
    name = normalise(name or "")
    if len(name) > AIR_NAME_MAX_LENGTH:
        raise ValidationFailed(
            gettext("The on-air name is too long: %(length)d characters, at most %(limit)d.")
            % {"length": len(name), "limit": AIR_NAME_MAX_LENGTH},
            code="too_long",
            details={"name": "too_long", "max_length": AIR_NAME_MAX_LENGTH},
        )
    return _set_what_airs(
        actor=actor,
        question=question,
        action="rename",
        field="air_name",
        value=name,
        original="author_name",
    )


def _set_what_airs(
    *,
    actor: User,
    question: Question,
    action: str,
    field: str,
    value: str,
    original: str,
    check: Callable[[Question], None] | None = None,
) -> Question:
    """Set the on-air wording or name (``field``) of a question that may still air: the
    question's own ``original`` value, or blank, airs the original again; logged as an edit.
    ``check`` refuses a value once the question is locked and may change."""
    with transaction.atomic():
        question = lock_question(question)
        check_transition(question, REWORDABLE, action)
        if check is not None:
            check(question)
        if value == getattr(question, original):
            value = ""
        if value == getattr(question, field):
            return question
        question = question_change(
            question=question,
            actor=actor,
            action=ModerationAction.EDIT,
            fields={field: value},
            details={"field": field, field: value},
        )
        if question.cued_at is not None:  # the preview output shows what will air
            publish_cue(question.session_id)
        return question


@retry_on_deadlock
def question_star(*, actor: User, question: Question, starred: bool = True) -> Question:
    require(actor, question.session.station_id, Capability.MODERATE)
    with transaction.atomic():
        question = lock_question(question)
        if question.starred == starred:
            return question
        return question_change(
            question=question,
            actor=actor,
            action=ModerationAction.STAR if starred else ModerationAction.UNSTAR,
            fields={"starred": starred},
        )


@retry_on_deadlock
def question_aim(*, actor: User, question: Question, guest: Guest | None) -> Question:
    """Aim the question at one guest of its session, or at nobody (``guest=None``)."""
    require(actor, question.session.station_id, Capability.MODERATE)
    if guest is not None and guest.session_id != question.session_id:
        raise guest_not_in_session()
    with transaction.atomic():
        question = lock_question(question)
        if question.target_guest_id == (guest.pk if guest else None):
            return question
        return question_change(
            question=question,
            actor=actor,
            action=ModerationAction.AIM,
            fields={"target_guest": guest},
            details={"guest": guest.pk if guest else None},
        )


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
        # Checked before the repeat below: holding a question that is not approved is refused
        # even at the place it already has.
        if position is not None:
            check_action(question, "hold")
        if question.hold_position == position:
            return question
        if position is None:
            # Letting a place go keeps the status, whatever it is: a held question rejected or
            # archived meanwhile keeps its place until released.
            return question_change(
                question=question,
                actor=actor,
                action=ModerationAction.HOLD,
                fields={"hold_position": None},
                details={"position": None},
            )
        return question_transition(
            question=question,
            action="hold",
            actor=actor,
            fields={"hold_position": position},
            details={"position": position},
        )
