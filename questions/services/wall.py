"""The social wall: a producer shows, pins, hides and reorders what the wall page shows.

What can reach the wall at all is decided by moderation (``questions.selectors.wall_items``):
these services only choose among approved items. Each change is logged (action ``wall``, with
``details`` ``{state, position}``) and announced after commit (``questions.publish.publish_wall``).
"""

from __future__ import annotations

from django.db import transaction

from questions.models import ModerationAction, Question, WallState
from questions.publish import publish_wall
from questions.services.common import lock_questions, log
from studio.errors import ValidationFailed
from studio.models import LiveSession
from studio.roles import Capability, User, require
from studio.transactions import retry_on_deadlock

# The most items a producer can pin: the wall shows 30 at most.
MAX_PINNED = 30
# What a producer can set: "" puts the item back as moderated.
WALL_STATES = tuple(state.value for state in WallState)


def _lock_session(session_id: int) -> LiveSession:
    """The session row first (the lock order of studio/events.py): one wall change of a
    session at a time, so the pinned items read next stay the pinned items."""
    return LiveSession.objects.select_for_update(no_key=True).get(pk=session_id)


def _pinned_pks(session_id: int) -> list[int]:
    return list(
        Question.objects.filter(session_id=session_id, wall_state=WallState.PINNED)
        .order_by("wall_position", "pk")
        .values_list("pk", flat=True)
    )


def _renumber(ordered: list[Question]) -> list[Question]:
    """Number pinned items 1, 2, 3… in this order; returns those whose place changed."""
    moved = []
    for place, q in enumerate(ordered, start=1):
        if q.wall_position != place:
            q.wall_position = place
            q.save(update_fields=["wall_position", "updated_at"])
            moved.append(q)
    return moved


def _log(actor: User, q: Question) -> None:
    log(
        question=q,
        session_id=q.session_id,
        actor=actor,
        action=ModerationAction.WALL,
        details={"state": q.wall_state, "position": q.wall_position},
    )


@retry_on_deadlock
def wall_set(
    *, actor: User, question: Question, state: str, position: int | None = None
) -> Question:
    """Put a question on the wall in ``state``: ``shown`` (also a message that is not a
    question), ``pinned`` at ``position`` (1 = first; default: after the other pinned items),
    ``hidden``, or ``""`` (back to as moderated). Producers only.

    Nothing unapproved ever shows, whatever its state: the state applies once it is approved.
    Pinned items stay numbered 1, 2, 3… without gaps.
    """
    require(actor, question.session.station_id, Capability.MANAGE)
    if state not in WALL_STATES:
        raise ValidationFailed(
            "Unknown wall state: use shown, pinned, hidden or blank.",
            details={"state": "invalid"},
        )
    if position is not None and state != WallState.PINNED:
        raise ValidationFailed(
            "Only a pinned item has a position.", details={"position": "not_pinned"}
        )
    if position is not None and not 1 <= position <= MAX_PINNED:
        raise ValidationFailed(
            f"Give a position from 1 to {MAX_PINNED}.", details={"position": "out_of_range"}
        )
    with transaction.atomic():
        session = _lock_session(question.session_id)
        # Every pinned item of the session may move: locked with it, in id order.
        order = _pinned_pks(session.pk)
        locked = lock_questions({*order, question.pk})
        question = locked[question.pk]
        pinned = [locked[pk] for pk in order if pk != question.pk]
        if state == WallState.PINNED:
            if len(pinned) >= MAX_PINNED:
                raise ValidationFailed(
                    f"At most {MAX_PINNED} items can be pinned.", code="too_many_pinned"
                )
            at = len(pinned) if position is None else min(position, len(pinned) + 1) - 1
            pinned.insert(at, question)
        question.wall_state = state
        if state != WallState.PINNED:
            question.wall_position = None
        question.save(update_fields=["wall_state", "wall_position", "updated_at"])
        moved = _renumber(pinned)
        _log(actor, question)
        publish_wall(session, [question, *(q for q in moved if q.pk != question.pk)])
    return question


@retry_on_deadlock
def wall_reorder(*, actor: User, session: LiveSession, ordered_ids: list[int]) -> list[Question]:
    """Order the pinned items: ``ordered_ids`` lists every pinned item of the session once,
    first to last. Producers only. Returns the pinned items in their new order."""
    require(actor, session.station_id, Capability.MANAGE)
    if len(set(ordered_ids)) != len(ordered_ids):
        raise ValidationFailed("An item is listed twice.", details={"ordered_ids": "duplicate"})
    with transaction.atomic():
        session = _lock_session(session.pk)
        pinned = set(_pinned_pks(session.pk))
        if set(ordered_ids) != pinned:
            raise ValidationFailed(
                "List every pinned item of the session once, and nothing else.",
                details={"ordered_ids": "not_the_pinned_items", "pinned": sorted(pinned)},
            )
        locked = lock_questions(pinned)
        ordered = [locked[pk] for pk in ordered_ids]
        moved = _renumber(ordered)
        for q in moved:
            _log(actor, q)
        if moved:
            publish_wall(session, moved)
    return ordered
