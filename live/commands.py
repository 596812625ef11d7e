"""Console commands: the crew actions of ``questions.actions``, sent over the console socket.

Each command validates with the action's own input serializer (the one its HTTP view uses), so
the socket refuses exactly what HTTP refuses, and runs through the same service.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from questions.actions import ACTIONS, ActionCall, CrewAction
from questions.selectors import question_in_session
from questions.shapes import crew_question
from studio.errors import ValidationFailed
from studio.models import LiveSession
from studio.roles import User

MAX_ID = 2**63 - 1  # as studio.api.MAX_ID; importing it here would be circular


class QuestionRef(serializers.Serializer[Any]):
    """How a command names the question it acts on (HTTP names it in the URL)."""

    question = serializers.IntegerField(min_value=1, max_value=MAX_ID)


def _command_input(action: CrewAction) -> type[serializers.Serializer[Any]]:
    if action.about != "question":
        return action.input
    # The action's fields plus the question reference; DRF gathers declared fields from bases.
    name = f"{action.input.__name__}Command"
    return type(name, (QuestionRef, action.input), {})


# name -> (what the command's data must be, the action); generated from the table.
COMMANDS: dict[str, tuple[type[serializers.Serializer[Any]], CrewAction]] = {
    action.name: (_command_input(action), action) for action in ACTIONS
}


def run_command(
    action: str, *, user: User, session: LiveSession, data: dict[str, Any]
) -> dict[str, Any]:
    """Validate and run one console command; returns what the ack carries.

    Raises a DomainError (with a code and a reason) for invalid input or a refused action.
    """
    serializer_class, crew_action = COMMANDS[action]
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise ValidationFailed(
            "The command's data is not valid.", details=_flatten(serializer.errors)
        )
    validated = dict(serializer.validated_data)
    session.refresh_from_db()
    field = "question" if crew_action.about == "question" else crew_action.picks
    target = (
        question_in_session(session_id=session.pk, question_id=validated[field]) if field else None
    )
    question = crew_action.run(
        ActionCall(actor=user, session=session, data=validated, target=target)
    )
    return {"question": crew_question(question) if question is not None else None}


def _flatten(errors: Any) -> dict[str, str]:
    return {field: " ".join(str(m) for m in messages) for field, messages in errors.items()}
