"""The crew's actions on questions and on air, in one table.

The HTTP action views (``questions.apis``) and the console socket's commands
(``live.commands``) are both generated from ``ACTIONS``: an action takes the same input, calls
the same service and refuses the same values whichever way it arrives.

This module sits in ``questions`` beside the services it calls, so the socket side imports it the
way it already imports ``questions`` and no new import between the two apps appears.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from rest_framework import serializers

from questions import services
from questions.models import Question
from questions.services.moderation import AIR_NAME_MAX_LENGTH, MAX_HOLD_POSITION
from questions.services.wall import MAX_PINNED, wall_reorder, wall_set
from studio.models import Guest, LiveSession
from studio.roles import Capability, User
from studio.selectors import guest_in_session

# --- inputs: one serializer per action, for both ways in ---------------------------------------


class NoInput(serializers.Serializer):
    """Nothing beyond the question or the session the action is about."""


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class StarInput(serializers.Serializer):
    starred = serializers.BooleanField(default=True)


class AimInput(serializers.Serializer):
    # No bounds: an id no database holds is answered like any other stranger ("unknown").
    guest = serializers.IntegerField(allow_null=True)


class HoldInput(serializers.Serializer):
    position = serializers.IntegerField(allow_null=True, min_value=1, max_value=MAX_HOLD_POSITION)


class RewordInput(serializers.Serializer):
    # Bounded like an edit: the service refuses a wording longer than the session's limit
    # (``too_long``). Blank airs the question's own text again.
    text = serializers.CharField(allow_blank=True)


class RenameInput(serializers.Serializer):
    # Blank airs the author's name again.
    name = serializers.CharField(max_length=AIR_NAME_MAX_LENGTH, allow_blank=True)


class TakeInput(serializers.Serializer):
    # No bounds: an id no database holds is a question not in this session (404), as for any id.
    question = serializers.IntegerField()


class WallInput(serializers.Serializer):
    # "reset": back to as moderated (an approved question shows, a message that is no question
    # does not).
    state = serializers.ChoiceField(choices=["shown", "pinned", "hidden", "reset"])
    position = serializers.IntegerField(
        allow_null=True, required=False, default=None, min_value=1, max_value=MAX_PINNED
    )


class WallOrderInput(serializers.Serializer):
    ordered_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        allow_empty=True,
        max_length=MAX_PINNED,
    )


def _wall_state(value: str) -> str:
    return "" if value == "reset" else value


def _wall_order(call: ActionCall) -> None:
    """Reordering touches several items: the ack names none of them (the wall event does)."""
    wall_reorder(actor=call.actor, session=call.session, ordered_ids=call.data["ordered_ids"])


# --- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionCall:
    """One validated request to run an action, whichever way it came in."""

    actor: User
    session: LiveSession
    data: dict[str, Any]
    # The question acted on, found by the caller: from the URL over HTTP, from the command's
    # ``question`` field over the socket, or from the input field named by ``CrewAction.picks``.
    target: Question | None = None

    @property
    def question(self) -> Question:
        if self.target is None:
            raise LookupError("This action was called without its question.")
        return self.target


@dataclass(frozen=True)
class CrewAction:
    name: str
    summary: str
    input: type[serializers.Serializer]
    run: Callable[[ActionCall], Question | None]
    # Any one of these lets a crew member run the action. The service checks it (``require``);
    # this column documents it.
    needs: tuple[Capability, ...]
    # "question": about one question (HTTP: POST /api/questions/<pk>/<name>/, answered with the
    # question). "session": about the session's on-air state (HTTP: /api/sessions/<pk>/on-air/,
    # answered with what is on air). The socket acks every action with the question it touched.
    about: Literal["question", "session"] = "question"
    # For a session action, the input field naming a question of the session.
    picks: str | None = None
    http_method: Literal["post", "delete"] = "post"
    # For a session action, where it is sent: /api/sessions/<pk>/<path>/ (take and clear are
    # POST and DELETE on on-air/; the others answer with the whole state of the air).
    path: str = "on-air"

    @property
    def takes_input(self) -> bool:
        return bool(self.input().fields)


def aimed_at(session: LiveSession, pk: int | None) -> Guest | None:
    """The session's guest with this id; None stays None (aimed at nobody)."""
    return None if pk is None else guest_in_session(session_id=session.pk, guest_id=pk)


def _session_only(session: LiveSession) -> None:
    """An action about the session's air touches no question: nothing to answer with."""
    return None


MANAGE = (Capability.MANAGE,)
MODERATE = (Capability.MODERATE,)
ON_AIR = (Capability.ON_AIR,)
EITHER = (Capability.ON_AIR, Capability.MODERATE)

ACTIONS: tuple[CrewAction, ...] = (
    CrewAction(
        "approve",
        "Approve a question (also undoes a rejection or an archive).",
        NoInput,
        lambda c: services.question_approve(actor=c.actor, question=c.question),
        MODERATE,
    ),
    CrewAction(
        "reject",
        "Reject a question, with an optional reason kept in the moderation log.",
        ReasonInput,
        lambda c: services.question_reject(
            actor=c.actor, question=c.question, reason=c.data["reason"]
        ),
        MODERATE,
    ),
    CrewAction(
        "reopen",
        "Send a question back to review (undo of approve, reject, archive or answered).",
        ReasonInput,
        lambda c: services.question_reopen(
            actor=c.actor, question=c.question, reason=c.data["reason"]
        ),
        MODERATE,
    ),
    CrewAction(
        "archive",
        "Archive a question: out of every queue, kept in the record.",
        ReasonInput,
        lambda c: services.question_archive(
            actor=c.actor, question=c.question, reason=c.data["reason"]
        ),
        MODERATE,
    ),
    CrewAction(
        "star",
        "Star or unstar a question (starred questions rank first).",
        StarInput,
        lambda c: services.question_star(
            actor=c.actor, question=c.question, starred=c.data["starred"]
        ),
        MODERATE,
    ),
    CrewAction(
        "aim",
        "Aim a question at one guest of the session, or at nobody (null).",
        AimInput,
        lambda c: services.question_aim(
            actor=c.actor, question=c.question, guest=aimed_at(c.session, c.data["guest"])
        ),
        MODERATE,
    ),
    CrewAction(
        "reword",
        "Set the wording that airs instead of the question's text (blank: the text airs); "
        "the audience's text is kept.",
        RewordInput,
        lambda c: services.question_reword(actor=c.actor, question=c.question, text=c.data["text"]),
        MODERATE,
    ),
    CrewAction(
        "rename",
        "Set the name that airs instead of the author's, e.g. initials (blank: the author's "
        "name airs).",
        RenameInput,
        lambda c: services.question_rename(actor=c.actor, question=c.question, name=c.data["name"]),
        MODERATE,
    ),
    CrewAction(
        "answered",
        "Mark a question answered; if it is on air, this also takes it off air.",
        NoInput,
        lambda c: services.question_mark_answered(actor=c.actor, question=c.question),
        ON_AIR,
    ),
    CrewAction(
        "requeue",
        "Put an answered question back in the approved queue (the host's undo of answered).",
        NoInput,
        lambda c: services.question_requeue(actor=c.actor, question=c.question),
        EITHER,
    ),
    CrewAction(
        "hold",
        "Hold an approved question at a place in the ranked queue (1 = first), "
        "or release it (null).",
        HoldInput,
        lambda c: services.question_hold(
            actor=c.actor, question=c.question, position=c.data["position"]
        ),
        EITHER,
    ),
    CrewAction(
        "take",
        "Take a question of the session on air (what was on air before is marked answered).",
        TakeInput,
        lambda c: services.session_take_on_air(
            actor=c.actor, session=c.session, question=c.question
        ),
        ON_AIR,
        about="session",
        picks="question",
    ),
    CrewAction(
        "clear",
        "Clear the screen: take whatever is on air off air.",
        NoInput,
        lambda c: services.session_clear_on_air(actor=c.actor, session=c.session),
        ON_AIR,
        about="session",
        http_method="delete",
    ),
    CrewAction(
        "cue",
        "Cue an approved question to air next (the question cued before is cued no more).",
        NoInput,
        lambda c: services.question_cue(actor=c.actor, question=c.question),
        EITHER,
    ),
    CrewAction(
        "uncue",
        "Remove the cue: no question is cued to air next.",
        NoInput,
        lambda c: services.session_uncue(actor=c.actor, session=c.session),
        EITHER,
        about="session",
        http_method="delete",
        path="cue",
    ),
    CrewAction(
        "take_next",
        "Take the cued question on air, with every check of a take (409 nothing_cued if none).",
        NoInput,
        lambda c: services.session_take_next(actor=c.actor, session=c.session),
        ON_AIR,
        about="session",
        path="take-next",
    ),
    CrewAction(
        "lock",
        "Lock the air: clear whatever is on air and refuse every take until a producer unlocks.",
        NoInput,
        lambda c: _session_only(services.air_lock(actor=c.actor, session=c.session)),
        ON_AIR,
        about="session",
        path="air-lock",
    ),
    CrewAction(
        "unlock",
        "Unlock the air (producers).",
        NoInput,
        lambda c: _session_only(services.air_unlock(actor=c.actor, session=c.session)),
        MANAGE,
        about="session",
        http_method="delete",
        path="air-lock",
    ),
    CrewAction(
        "wall",
        "Put an item on the social wall (shown, also a message that is not a question), pin it "
        "at a position, hide it, or reset it to as moderated (producers).",
        WallInput,
        lambda c: wall_set(
            actor=c.actor,
            question=c.question,
            state=_wall_state(c.data["state"]),
            position=c.data["position"],
        ),
        MANAGE,
    ),
    CrewAction(
        "wall_order",
        "Order the pinned items of the social wall: every pinned item once, first to last "
        "(producers).",
        WallOrderInput,
        lambda c: _wall_order(c),
        MANAGE,
        about="session",
        path="wall-order",
    ),
)

BY_NAME: dict[str, CrewAction] = {action.name: action for action in ACTIONS}
