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
from questions.actions import ACTIONS, ActionCall, CrewAction, aimed_at
from questions.filters import QuestionFilter
from questions.models import ModerationLogEntry, Question
from questions.serializers import BanOutput, ModerationLogOutput, QuestionOutput
from questions.services import privacy
from studio.api import validated
from studio.models import LiveSession
from studio.selectors import session_for_user


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
            target_guest=aimed_at(session, data.get("guest")),
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


class _QuestionActionApi(APIView):
    """One moderation or on-air action on one question; the service decides and logs."""

    # Not "action": DRF and its schema generator read that name as a viewset action.
    crew_action: CrewAction


def _input(action: CrewAction, request: Request) -> dict:
    # An action without fields never read its body: whatever is sent is ignored, as before.
    return validated(action.input, request) if action.takes_input else {}


def _request_schema(action: CrewAction) -> type[serializers.Serializer] | None:
    return action.input if action.takes_input else None


def _question_action_view(action: CrewAction) -> type[_QuestionActionApi]:
    @extend_schema(
        request=_request_schema(action), responses=QuestionOutput, summary=action.summary
    )
    def post(self: _QuestionActionApi, request: Request, pk: int) -> Response:
        question = selectors.question_for_user(request.user, pk)
        data = _input(action, request)
        call = ActionCall(actor=request.user, session=question.session, data=data, target=question)
        return Response(QuestionOutput(action.run(call)).data)

    name = f"Question{action.name.capitalize()}Api"
    attrs = {"__doc__": action.summary, "crew_action": action, "post": post}
    return type(name, (_QuestionActionApi,), attrs)


# One view per question action, generated from the table: /api/questions/<pk>/<name>/.
QUESTION_ACTION_VIEWS: dict[str, type[_QuestionActionApi]] = {
    action.name: _question_action_view(action) for action in ACTIONS if action.about == "question"
}


class OnAirOutput(serializers.Serializer):
    session = serializers.IntegerField()
    on_air = QuestionOutput(allow_null=True)


def _on_air(session: LiveSession) -> dict:
    question = selectors.on_air_question(session)
    return {"session": session.pk, "on_air": QuestionOutput(question).data if question else None}


def _session_action_handler(action: CrewAction) -> Callable[..., Response]:
    def handler(self: APIView, request: Request, pk: int) -> Response:
        session = session_for_user(request.user, pk)
        data = _input(action, request)
        question = None
        if action.picks:
            question = selectors.question_in_session(
                session_id=session.pk, question_id=data[action.picks]
            )
        action.run(ActionCall(actor=request.user, session=session, data=data, target=question))
        return Response(_on_air(session))

    return extend_schema(
        request=_request_schema(action), responses=OnAirOutput, summary=action.summary
    )(handler)


class OnAirApi(APIView):
    """What is on air now; take a question on air (POST) or clear the screen (DELETE)."""

    @extend_schema(responses=OnAirOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_on_air(session_for_user(request.user, pk)))


class AirStateOutput(serializers.Serializer):
    session = serializers.IntegerField()
    on_air = QuestionOutput(allow_null=True)
    cued = QuestionOutput(allow_null=True)
    air_locked = serializers.BooleanField()


def _air_state(session: LiveSession) -> dict:
    """What is on air, what is cued and whether the air is locked."""
    session.refresh_from_db(fields=["air_locked"])
    on_air = selectors.on_air_question(session)
    cued = selectors.cued_question(session)
    return {
        "session": session.pk,
        "on_air": QuestionOutput(on_air).data if on_air else None,
        "cued": QuestionOutput(cued).data if cued else None,
        "air_locked": session.air_locked,
    }


def _air_action_handler(action: CrewAction) -> Callable[..., Response]:
    def handler(self: APIView, request: Request, pk: int) -> Response:
        session = session_for_user(request.user, pk)
        data = _input(action, request)
        action.run(ActionCall(actor=request.user, session=session, data=data))
        return Response(_air_state(session))

    return extend_schema(
        request=_request_schema(action), responses=AirStateOutput, summary=action.summary
    )(handler)


class _SessionAirApi(APIView):
    """One session action on the air of a session (cue, take next, lock)."""


# POST (take) and DELETE (clear) on on-air/ come from the table; so do the other session actions,
# each routed at /api/sessions/<pk>/<path>/ (SESSION_ACTION_VIEWS, by path).
SESSION_ACTION_VIEWS: dict[str, type[APIView]] = {"on-air": OnAirApi}
for _action in ACTIONS:
    if _action.about != "session":
        continue
    if _action.path == "on-air":
        setattr(OnAirApi, _action.http_method, _session_action_handler(_action))
        continue
    if _action.path not in SESSION_ACTION_VIEWS:
        _name = "".join(part.capitalize() for part in _action.path.split("-"))
        SESSION_ACTION_VIEWS[_action.path] = type(
            f"Session{_name}Api", (_SessionAirApi,), {"__doc__": _action.summary}
        )
    setattr(SESSION_ACTION_VIEWS[_action.path], _action.http_method, _air_action_handler(_action))


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
        ban = selectors.ban_for_user(request.user, pk)
        services.ban_delete(actor=request.user, ban=ban)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuthorErasureOutput(serializers.Serializer):
    author = serializers.IntegerField()
    station = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())


class AuthorEraseApi(APIView):
    """Erase one author's data at the station (right to erasure): producers only, logged.

    Their names, handle and ids, the texts of their questions that never aired and the voter id
    of their votes, in every session of the station; what aired keeps its text, without the
    name. Another station's data is left alone."""

    @extend_schema(request=None, responses=AuthorErasureOutput)
    def post(self, request: Request, station: int, pk: int) -> Response:
        counts = privacy.author_erase(actor=request.user, station_id=station, author_id=pk)
        return Response({"author": pk, "station": station, "counts": counts})


class AuthorExportApi(APIView):
    """Everything the station holds about one author, as JSON (right of access): producers
    only, logged; nothing of another station."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request, station: int, pk: int) -> Response:
        data = privacy.author_export(actor=request.user, station_id=station, author_id=pk)
        response = Response(data)
        response["Content-Disposition"] = (
            f'attachment; filename="author-{pk}-station-{station}.json"'
        )
        return response
