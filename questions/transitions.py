"""The question state machine, in one table: which action moves a question from which states to
which, what the moderation log calls it, and how a refusal names it.

The README's table "A question moves through these states" shows the same rules to the crew;
tests/questions/test_transition_table.py keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from questions.models import ModerationAction, QuestionStatus

S = QuestionStatus

TransitionAction = Literal[
    "approve", "reject", "reopen", "archive", "take", "clear", "answered", "requeue", "hold", "pull"
]


@dataclass(frozen=True)
class Transition:
    allowed_from: frozenset[str]
    to: str
    log_action: str  # a ModerationAction
    verb: str  # "Cannot <verb> a question that is …", and ``details["action"]`` of the refusal


TRANSITIONS: dict[TransitionAction, Transition] = {
    "approve": Transition(
        frozenset({S.PENDING, S.REJECTED, S.ARCHIVED}),
        S.APPROVED,
        ModerationAction.APPROVE,
        "approve",
    ),
    "reject": Transition(
        frozenset({S.PENDING, S.APPROVED}), S.REJECTED, ModerationAction.REJECT, "reject"
    ),
    "reopen": Transition(
        frozenset({S.APPROVED, S.REJECTED, S.ARCHIVED, S.ANSWERED}),
        S.PENDING,
        ModerationAction.REOPEN,
        "reopen",
    ),
    "archive": Transition(
        frozenset({S.PENDING, S.APPROVED, S.REJECTED, S.ANSWERED}),
        S.ARCHIVED,
        ModerationAction.ARCHIVE,
        "archive",
    ),
    # The question on air before is marked answered first (questions.services.onair).
    "take": Transition(frozenset({S.APPROVED}), S.ON_AIR, ModerationAction.TAKE, "take on air"),
    "clear": Transition(frozenset({S.ON_AIR}), S.APPROVED, ModerationAction.CLEAR, "clear"),
    "answered": Transition(
        frozenset({S.ON_AIR, S.APPROVED}), S.ANSWERED, ModerationAction.ANSWER, "mark answered"
    ),
    "requeue": Transition(
        frozenset({S.ANSWERED}), S.APPROVED, ModerationAction.REQUEUE, "put back in the queue"
    ),
    # Holding a place keeps the status; letting a place go (no position) is allowed in any
    # state and is not a transition: a held question rejected meanwhile keeps its place.
    "hold": Transition(
        frozenset({S.APPROVED}), S.APPROVED, ModerationAction.HOLD, "hold the place of"
    ),
    # A ban takes its author's questions out of the queue and off air, back to review; lifting
    # the ban approves again those still waiting (questions.services.bans). The studio does it,
    # never a crew action.
    "pull": Transition(
        frozenset({S.APPROVED, S.ON_AIR}),
        S.PENDING,
        ModerationAction.REOPEN,
        "pull from the queue",
    ),
}
