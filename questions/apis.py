"""Crew endpoints for questions, moderation, on-air control, bans and the moderation log."""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from questions import selectors, services
from questions.filters import QuestionFilter
from questions.models import ModerationLogEntry, Question
from questions.serializers import BanOutput, ModerationLogOutput, QuestionOutput
from socialroom.api import validated
from socialroom.errors import NotFound, ValidationFailed
from studio.models import Guest, LiveSession
from studio.selectors import session_for_user


def _guest_of(session: LiveSession, guest_id: int | None) -> Guest | None:
    if guest_id is None:
        return None
    guest = Guest.objects.filter(pk=guest_id, session=session).first()
    if guest is None:
        raise ValidationFailed("That guest is not in this session.", details={"guest": "unknown"})
    return guest


class QuestionListApi(ListAPIView):
    """A session's questions, filtered and searched; add one by hand (source ``manual``)."""

    @extend_schema_serializer(component_name="QuestionCreateInput")
    class InputSerializer(serializers.Serializer):
        text = serializers.CharField()
        author_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
        guest = serializers.IntegerField(required=False, allow_null=True)

    serializer_class = QuestionOutput
    filterset_class = QuestionFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Question.objects.none()
        session = session_for_user(self.request.user, self.kwargs["pk"])
        return selectors.questions_for_session(session).order_by("-created_at", "-id")

    @extend_schema(request=InputSerializer, responses={201: QuestionOutput})
    def post(self, request: Request, pk: int) -> Response:
        session = session_for_user(request.user, pk)
        data = validated(self.InputSerializer, request)
        result = services.question_submit(
            session=session,
            text=data["text"],
            source="manual",
            author_name=data.get("author_name", ""),
            target_guest=_guest_of(session, data.get("guest")),
            actor=request.user,
        )
        return Response(QuestionOutput(result.question).data, status=status.HTTP_201_CREATED)


class QuestionDetailApi(APIView):
    @extend_schema_serializer(component_name="QuestionEditInput")
    class InputSerializer(serializers.Serializer):
        text = serializers.CharField()

    @extend_schema(responses=QuestionOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(QuestionOutput(selectors.question_for_user(request.user, pk)).data)

    @extend_schema(request=InputSerializer, responses=QuestionOutput)
    def patch(self, request: Request, pk: int) -> Response:
        """Edit the text. An approved question goes back to review."""
        question = selectors.question_for_user(request.user, pk)
        data = validated(self.InputSerializer, request)
        question = services.question_edit(actor=request.user, question=question, text=data["text"])
        return Response(QuestionOutput(question).data)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class _QuestionActionApi(APIView):
    """One moderation or on-air action on one question; the service decides and logs."""

    input_serializer: type[serializers.Serializer] | None = None

    def act(self, request: Request, question: Question, data: dict) -> Question:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        question = selectors.question_for_user(request.user, pk)
        data = validated(self.input_serializer, request) if self.input_serializer else {}
        question = self.act(request, question, data)
        return Response(QuestionOutput(question).data)


def _action(
    name: str, doc: str, act: Callable[[Request, Question, dict], Question], input_serializer=None
) -> type[_QuestionActionApi]:
    view = type(
        name,
        (_QuestionActionApi,),
        {"__doc__": doc, "input_serializer": input_serializer, "act": staticmethod(act)},
    )
    view.post = extend_schema(request=input_serializer, responses=QuestionOutput, summary=doc)(
        view.post
    )
    return view


class StarInput(serializers.Serializer):
    starred = serializers.BooleanField(default=True)


class AimInput(serializers.Serializer):
    guest = serializers.IntegerField(allow_null=True)


def _aim(request: Request, question: Question, data: dict) -> Question:
    guest = _guest_of(question.session, data["guest"])
    return services.question_aim(actor=request.user, question=question, guest=guest)


QuestionApproveApi = _action(
    "QuestionApproveApi",
    "Approve a question (also undoes a rejection or an archive).",
    lambda r, q, d: services.question_approve(actor=r.user, question=q),
)
QuestionRejectApi = _action(
    "QuestionRejectApi",
    "Reject a question, with an optional reason kept in the moderation log.",
    lambda r, q, d: services.question_reject(actor=r.user, question=q, reason=d["reason"]),
    ReasonInput,
)
QuestionReopenApi = _action(
    "QuestionReopenApi",
    "Send a question back to review (undo of approve, reject, archive or answered).",
    lambda r, q, d: services.question_reopen(actor=r.user, question=q, reason=d["reason"]),
    ReasonInput,
)
QuestionArchiveApi = _action(
    "QuestionArchiveApi",
    "Archive a question: out of every queue, kept in the record.",
    lambda r, q, d: services.question_archive(actor=r.user, question=q, reason=d["reason"]),
    ReasonInput,
)
QuestionStarApi = _action(
    "QuestionStarApi",
    "Star or unstar a question (starred questions rank first).",
    lambda r, q, d: services.question_star(actor=r.user, question=q, starred=d["starred"]),
    StarInput,
)
QuestionAimApi = _action(
    "QuestionAimApi",
    "Aim a question at one guest of the session, or at nobody (null).",
    _aim,
    AimInput,
)
QuestionAnsweredApi = _action(
    "QuestionAnsweredApi",
    "Mark a question answered; if it is on air, this also takes it off air.",
    lambda r, q, d: services.question_mark_answered(actor=r.user, question=q),
)
QuestionRequeueApi = _action(
    "QuestionRequeueApi",
    "Put an answered question back in the approved queue (the host's undo of answered).",
    lambda r, q, d: services.question_requeue(actor=r.user, question=q),
)


class HoldInput(serializers.Serializer):
    position = serializers.IntegerField(allow_null=True, min_value=1, max_value=50)


QuestionHoldApi = _action(
    "QuestionHoldApi",
    "Hold an approved question at a place in the ranked queue (1 = first), or release it (null).",
    lambda r, q, d: services.question_hold(actor=r.user, question=q, position=d["position"]),
    HoldInput,
)


class OnAirOutput(serializers.Serializer):
    session = serializers.IntegerField()
    on_air = QuestionOutput(allow_null=True)


def _on_air(session: LiveSession) -> dict:
    question = selectors.questions_for_session(session).filter(status="on_air").first()
    return {"session": session.pk, "on_air": QuestionOutput(question).data if question else None}


class OnAirApi(APIView):
    """What is on air now; take a question on air (POST) or clear the screen (DELETE)."""

    @extend_schema_serializer(component_name="TakeInput")
    class InputSerializer(serializers.Serializer):
        question = serializers.IntegerField()

    @extend_schema(responses=OnAirOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_on_air(session_for_user(request.user, pk)))

    @extend_schema(request=InputSerializer, responses=OnAirOutput)
    def post(self, request: Request, pk: int) -> Response:
        session = session_for_user(request.user, pk)
        data = validated(self.InputSerializer, request)
        question = Question.objects.filter(pk=data["question"], session=session).first()
        if question is None:
            raise NotFound("That question is not in this session.")
        services.session_take_on_air(actor=request.user, session=session, question=question)
        return Response(_on_air(session))

    @extend_schema(responses=OnAirOutput)
    def delete(self, request: Request, pk: int) -> Response:
        session = session_for_user(request.user, pk)
        services.session_clear_on_air(actor=request.user, session=session)
        return Response(_on_air(session))


class ModerationLogApi(ListAPIView):
    """Every decision in the session, newest first (filter by ``question`` and ``action``)."""

    serializer_class = ModerationLogOutput
    filterset_fields = ["question", "action"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ModerationLogEntry.objects.none()
        session = session_for_user(self.request.user, self.kwargs["pk"])
        return selectors.moderation_log_for_session(session)


class BanListApi(ListAPIView):
    """The ban lists of your stations; ban the author of a question (POST)."""

    @extend_schema_serializer(component_name="BanCreateInput")
    class InputSerializer(serializers.Serializer):
        question = serializers.IntegerField()
        reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    serializer_class = BanOutput
    filterset_fields = ["station"]

    def get_queryset(self):
        return selectors.bans_for_user(self.request.user)

    @extend_schema(request=InputSerializer, responses={201: BanOutput})
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request)
        question = selectors.question_for_user(request.user, data["question"])
        ban = services.ban_create(actor=request.user, question=question, reason=data["reason"])
        return Response(BanOutput(ban).data, status=status.HTTP_201_CREATED)


class BanDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        ban = selectors.bans_for_user(request.user).filter(pk=pk).first()
        if ban is None:
            raise NotFound("No such ban.")
        services.ban_delete(actor=request.user, ban=ban)
        return Response(status=status.HTTP_204_NO_CONTENT)
