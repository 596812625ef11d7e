"""Crew endpoints for stations, sessions, guests and the as-run log. Thin callers of services."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from live.backstage import backstage_messages, backstage_shape
from questions import selectors as question_selectors
from questions import services as question_services
from questions.models import AirLogEntry
from studio import selectors, services
from studio.api import MAX_ID
from studio.api import validated as _valid
from studio.models import (
    AsRunEntry,
    FlaggedPolicy,
    Guest,
    ModerationMode,
    SessionStatus,
)
from studio.roles import Capability, can, require
from studio.serializers import (
    AsRunOutput,
    GuestOutput,
    SessionOutput,
    SessionWithKeyOutput,
    StationOutput,
)


def _session_output(request: Request, session) -> dict:
    cls = (
        SessionWithKeyOutput
        if can(request.user, session.station_id, Capability.MANAGE)
        else SessionOutput
    )
    return cls(session).data


class StationListApi(ListAPIView):
    """The stations you are crew of, with your role at each."""

    serializer_class = StationOutput

    def get_queryset(self):
        return selectors.stations_for_user(self.request.user)

    def get_serializer_context(self) -> dict:
        roles = selectors.station_roles_for_user(self.request.user)
        return {**super().get_serializer_context(), "roles": roles}


class SessionListApi(ListAPIView):
    """Sessions of your stations (filter by ``station`` and ``status``); create one (producers)."""

    @extend_schema_serializer(component_name="SessionCreateInput")
    class InputSerializer(serializers.Serializer):
        station = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        title = serializers.CharField(max_length=200)
        slug = serializers.SlugField(max_length=80, required=False, allow_blank=True)
        hashtags = serializers.ListField(
            child=serializers.CharField(max_length=61), max_length=20, required=False
        )
        language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
        moderation_mode = serializers.ChoiceField(choices=ModerationMode.choices, required=False)
        max_question_length = serializers.IntegerField(min_value=20, max_value=2000, required=False)
        submissions_open = serializers.BooleanField(required=False)

    serializer_class = SessionOutput
    filterset_fields = ["station", "status"]

    def get_queryset(self):
        return selectors.sessions_for_user(self.request.user).prefetch_related("guests")

    @extend_schema(request=InputSerializer, responses={201: SessionWithKeyOutput})
    def post(self, request: Request) -> Response:
        data = _valid(self.InputSerializer, request)
        station_id = data.pop("station")
        require(request.user, station_id, Capability.MANAGE)
        station = selectors.station_by_id(station_id=station_id)
        session = services.session_create(actor=request.user, station=station, **data)
        return Response(SessionWithKeyOutput(session).data, status=status.HTTP_201_CREATED)


class SessionDetailApi(APIView):
    @extend_schema_serializer(component_name="SessionUpdateInput")
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200, required=False)
        hashtags = serializers.ListField(
            child=serializers.CharField(max_length=61), max_length=20, required=False
        )
        language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
        moderation_mode = serializers.ChoiceField(choices=ModerationMode.choices, required=False)
        max_question_length = serializers.IntegerField(min_value=20, max_value=2000, required=False)
        rank_prior = serializers.FloatField(min_value=0.0, max_value=100.0, required=False)
        flagged_policy = serializers.ChoiceField(choices=FlaggedPolicy.choices, required=False)
        rank_half_life_minutes = serializers.IntegerField(
            min_value=0, max_value=1440, required=False
        )
        submissions_open = serializers.BooleanField(required=False)
        report_threshold = serializers.IntegerField(min_value=1, max_value=1000, required=False)
        retention_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
        post_back_enabled = serializers.BooleanField(required=False)
        post_template = serializers.CharField(
            max_length=500, required=False, allow_blank=True, trim_whitespace=False
        )

    @extend_schema(responses=SessionWithKeyOutput)
    def get(self, request: Request, pk: int) -> Response:
        session = selectors.session_for_user(request.user, pk)
        return Response(_session_output(request, session))

    @extend_schema(request=InputSerializer, responses=SessionWithKeyOutput)
    def patch(self, request: Request, pk: int) -> Response:
        session = selectors.session_for_user(request.user, pk)
        data = _valid(self.InputSerializer, request)
        session = services.session_update(actor=request.user, session=session, **data)
        return Response(_session_output(request, session))


class SessionStatusApi(APIView):
    """Go live, end, or reopen an ended session."""

    @extend_schema_serializer(component_name="SessionStatusInput")
    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=SessionStatus.choices)

    @extend_schema(request=InputSerializer, responses=SessionWithKeyOutput)
    def post(self, request: Request, pk: int) -> Response:
        session = selectors.session_for_user(request.user, pk)
        data = _valid(self.InputSerializer, request)
        session = question_services.session_set_status(
            actor=request.user, session=session, status=data["status"]
        )
        return Response(_session_output(request, session))


class SessionRotateOverlayKeyApi(APIView):
    @extend_schema(request=None, responses=SessionWithKeyOutput)
    def post(self, request: Request, pk: int) -> Response:
        session = selectors.session_for_user(request.user, pk)
        session = services.session_rotate_overlay_key(actor=request.user, session=session)
        return Response(SessionWithKeyOutput(session).data)


class ControlKeyOutput(serializers.Serializer):
    session = serializers.IntegerField()
    control_key = serializers.CharField(allow_blank=True)
    control_url = serializers.CharField(allow_null=True)


def _control_key(request: Request, session) -> dict:
    url = (
        request.build_absolute_uri(f"/api/control/{session.slug}/") if session.control_key else None
    )
    return {"session": session.pk, "control_key": session.control_key, "control_url": url}


class SessionControlKeyApi(APIView):
    """The key of control surfaces (a Stream Deck through Companion): issue a new one (POST),
    which stops the old one at once, or turn control surfaces off (DELETE). Producers."""

    @extend_schema(request=None, responses=ControlKeyOutput)
    def post(self, request: Request, pk: int) -> Response:
        session = selectors.session_for_user(request.user, pk)
        session = question_services.session_rotate_control_key(actor=request.user, session=session)
        return Response(_control_key(request, session))

    @extend_schema(request=None, responses=ControlKeyOutput)
    def delete(self, request: Request, pk: int) -> Response:
        session = selectors.session_for_user(request.user, pk)
        session = question_services.session_disable_control_key(actor=request.user, session=session)
        return Response(_control_key(request, session))


class GuestInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    photo_url = serializers.URLField(required=False, allow_blank=True)
    bio = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    handles = serializers.ListField(
        child=serializers.CharField(max_length=120), max_length=10, required=False
    )
    order = serializers.IntegerField(min_value=0, max_value=1000, required=False)


class GuestListApi(ListAPIView):
    """A session's guests, in their order; add one (producers)."""

    serializer_class = GuestOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Guest.objects.none()
        session = selectors.session_for_user(self.request.user, self.kwargs["pk"])
        return selectors.guests_for_session(session)

    @extend_schema(request=GuestInput, responses={201: GuestOutput})
    def post(self, request: Request, pk: int) -> Response:
        session = selectors.session_for_user(request.user, pk)
        data = _valid(GuestInput, request)
        guest = services.guest_create(actor=request.user, session=session, **data)
        return Response(GuestOutput(guest).data, status=status.HTTP_201_CREATED)


class GuestDetailApi(APIView):
    @extend_schema(responses=GuestOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(GuestOutput(selectors.guest_for_user(request.user, pk)).data)

    @extend_schema(request=GuestInput(partial=True), responses=GuestOutput)
    def patch(self, request: Request, pk: int) -> Response:
        guest = selectors.guest_for_user(request.user, pk)
        data = _valid(GuestInput, request, partial=True)
        guest = services.guest_update(actor=request.user, guest=guest, **data)
        return Response(GuestOutput(guest).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        guest = selectors.guest_for_user(request.user, pk)
        services.guest_delete(actor=request.user, guest=guest)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AsRunListApi(ListAPIView):
    """What went on air, when, for how long, and who took it."""

    serializer_class = AsRunOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AsRunEntry.objects.none()
        session = selectors.session_for_user(self.request.user, self.kwargs["pk"])
        return selectors.as_run_for_session(session)


class AirLogOutput(serializers.ModelSerializer):
    who = serializers.SerializerMethodField()
    time = serializers.DateTimeField(source="created_at")

    class Meta:
        model = AirLogEntry
        fields = ["id", "action", "question", "who", "reason", "details", "time"]

    def get_who(self, entry: AirLogEntry) -> str | None:
        """The crew member's username; null for the studio itself or a control surface."""
        return entry.actor.get_username() if entry.actor is not None else None


class AirLogListApi(ListAPIView):
    """The air log, newest first: every cue, take, clear, answer, lock, unlock and refused take,
    who did it and when."""

    serializer_class = AirLogOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AirLogEntry.objects.none()
        session = selectors.session_for_user(self.request.user, self.kwargs["pk"])
        return question_selectors.air_log_for_session(session)


class BackstageMessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    sender = serializers.CharField()
    sent_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    read_by = serializers.CharField(allow_null=True)


class BackstageMessageListApi(APIView):
    """The session's backstage messages (producer to host), oldest first, with read receipts."""

    @extend_schema(responses=BackstageMessageOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        session = selectors.session_for_user(request.user, pk)
        messages = backstage_messages(session_id=session.pk)
        return Response([backstage_shape(m) for m in messages])
