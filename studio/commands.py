"""Console commands: validated like HTTP input, run through the same services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import serializers

from questions import live, services
from questions.models import Question
from socialroom.errors import NotFound, ValidationFailed
from studio.models import Guest, LiveSession
from studio.roles import User

MAX_ID = 2**63 - 1  # as socialroom.api.MAX_ID; importing it here would be circular


class QuestionRef(serializers.Serializer):
    question = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class RejectInput(QuestionRef):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class StarInput(QuestionRef):
    starred = serializers.BooleanField(required=False, default=True)


class AimInput(QuestionRef):
    guest = serializers.IntegerField(min_value=1, max_value=MAX_ID, allow_null=True)


class HoldInput(QuestionRef):
    position = serializers.IntegerField(allow_null=True)


class NoInput(serializers.Serializer):
    pass


def _question(session: LiveSession, pk: int) -> Question:
    try:
        return Question.objects.select_related("session").get(session=session, pk=pk)
    except Question.DoesNotExist as exc:
        raise NotFound("No such question in this session.") from exc


def _guest(session: LiveSession, pk: int | None) -> Guest | None:
    if pk is None:
        return None
    guest = Guest.objects.filter(session=session, pk=pk).first()
    if guest is None:
        raise ValidationFailed("That guest is not in this session.", details={"guest": "unknown"})
    return guest


Runner = Callable[[User, LiveSession, dict[str, Any]], Question | None]

COMMANDS: dict[str, tuple[type[serializers.Serializer], Runner]] = {
    "approve": (
        QuestionRef,
        lambda u, s, d: services.question_approve(actor=u, question=_question(s, d["question"])),
    ),
    "reject": (
        RejectInput,
        lambda u, s, d: services.question_reject(
            actor=u, question=_question(s, d["question"]), reason=d["reason"]
        ),
    ),
    "reopen": (
        QuestionRef,
        lambda u, s, d: services.question_reopen(actor=u, question=_question(s, d["question"])),
    ),
    "archive": (
        QuestionRef,
        lambda u, s, d: services.question_archive(actor=u, question=_question(s, d["question"])),
    ),
    "star": (
        StarInput,
        lambda u, s, d: services.question_star(
            actor=u, question=_question(s, d["question"]), starred=d["starred"]
        ),
    ),
    "aim": (
        AimInput,
        lambda u, s, d: services.question_aim(
            actor=u, question=_question(s, d["question"]), guest=_guest(s, d["guest"])
        ),
    ),
    "take": (
        QuestionRef,
        lambda u, s, d: services.session_take_on_air(
            actor=u, session=s, question=_question(s, d["question"])
        ),
    ),
    "clear": (NoInput, lambda u, s, d: services.session_clear_on_air(actor=u, session=s)),
    "answered": (
        QuestionRef,
        lambda u, s, d: services.question_mark_answered(
            actor=u, question=_question(s, d["question"])
        ),
    ),
    "requeue": (
        QuestionRef,
        lambda u, s, d: services.question_requeue(actor=u, question=_question(s, d["question"])),
    ),
    "hold": (
        HoldInput,
        lambda u, s, d: services.question_hold(
            actor=u, question=_question(s, d["question"]), position=d["position"]
        ),
    ),
}


def run_command(action: str, *, user: User, session: LiveSession, data: dict[str, Any]) -> dict:
    """Validate and run one console command; returns what the ack carries.

    Raises a DomainError (with a code and a reason) for invalid input or a refused action.
    """
    serializer_class, runner = COMMANDS[action]
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise ValidationFailed(
            "The command's data is not valid.", details=_flatten(serializer.errors)
        )
    session.refresh_from_db()
    question = runner(user, session, serializer.validated_data)
    return {"question": live.crew_question(question) if question is not None else None}


def _flatten(errors: Any) -> dict[str, str]:
    return {field: " ".join(str(m) for m in messages) for field, messages in errors.items()}
