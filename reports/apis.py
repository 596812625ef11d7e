"""Crew endpoints of a session's figures: the whole report, and the trending terms alone."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from questions.trending import trending_terms
from reports.figures import session_report
from studio import selectors
from studio.models import LiveSession
from studio.roles import Capability, require


def _session(request: Request, pk: int) -> LiveSession:
    # Crew of another station, or no such session: the same 404.
    session = selectors.session_for_user(request.user, pk)
    require(request.user, session.station_id, Capability.VIEW)
    return session


class SessionReportApi(APIView):
    """The session's figures (docs/report.md): volumes per minute and source, moderation, the
    as-run log, top questions and contributors, author reach and trending terms."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        return Response(session_report(_session(request, pk)))


class SessionTrendingApi(APIView):
    """The terms rising in the session's last ten minutes against the half hour before."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        return Response(trending_terms(_session(request, pk)))


urlpatterns: list[URLPattern | URLResolver] = [
    path("sessions/<int:pk>/report/", SessionReportApi.as_view(), name="session-report"),
    path("sessions/<int:pk>/trending/", SessionTrendingApi.as_view(), name="session-trending"),
]
