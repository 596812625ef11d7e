"""Console commands: the crew actions of ``questions.actions``, sent over the console socket.

Each command validates with the action's own input serializer (the one its HTTP view uses), so
the socket refuses exactly what HTTP refuses, and runs through the same service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import serializers

from live.backstage import (
    backstage_message_in_session,
    backstage_read,
    backstage_send,
    backstage_shape,
)
from live.models import BACKSTAGE_MESSAGE_MAX_LENGTH
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


# --- backstage messages: the crew's own commands, not actions on questions or on air ----------


class BackstageSendInput(serializers.Serializer[Any]):
    # Raw text is read with room for markup and spaces; the service counts the plain text.
    text = serializers.CharField(max_length=4 * BACKSTAGE_MESSAGE_MAX_LENGTH, allow_blank=True)


class BackstageReadInput(serializers.Serializer[Any]):
    message = serializers.IntegerField(min_value=1, max_value=MAX_ID)


def _backstage_send(user: User, session: LiveSession, data: dict[str, Any]) -> dict[str, Any]:
    message = backstage_send(actor=user, session=session, text=data["text"])
    return {"message": backstage_shape(message)}


def _backstage_read(user: User, session: LiveSession, data: dict[str, Any]) -> dict[str, Any]:
    message = backstage_message_in_session(session_id=session.pk, message_id=data["message"])
    return {"message": backstage_shape(backstage_read(actor=user, message=message))}


BackstageHandler = Callable[[User, LiveSession, dict[str, Any]], dict[str, Any]]

BACKSTAGE_COMMANDS: dict[str, tuple[type[serializers.Serializer[Any]], BackstageHandler]] = {
    "backstage_send": (BackstageSendInput, _backstage_send),
    "backstage_read": (BackstageReadInput, _backstage_read),
}

# Every command the console socket accepts.
SOCKET_COMMANDS: frozenset[str] = frozenset(COMMANDS) | frozenset(BACKSTAGE_COMMANDS)


def _validated(serializer_class: type[serializers.Serializer[Any]], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise ValidationFailed(
            "The command's data is not valid.", details=_flatten(serializer.errors)
        )
    return dict(serializer.validated_data)


def run_command(
    action: str, *, user: User, session: LiveSession, data: dict[str, Any]
) -> dict[str, Any]:
    """Validate and run one console command; returns what the ack carries.

    Raises a DomainError (with a code and a reason) for invalid input or a refused action.
    """
    if action in BACKSTAGE_COMMANDS:
        input_class, handler = BACKSTAGE_COMMANDS[action]
        return handler(user, session, _validated(input_class, data))
    serializer_class, crew_action = COMMANDS[action]
    validated = _validated(serializer_class, data)
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
