"""Contest draws for producers: the page and its API (docs/draws.md). Thin callers of
questions.services.draws and questions.draws."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from questions.draws import draw_entries, draw_for_user, draws_of_session, entry_of_draw
from questions.masking import mask_phones
from questions.models import Draw
from questions.services import draws as draw_services
from questions.sources import SOURCE_BUCKETS
from studio import selectors
from studio.api import MAX_ID
from studio.api import validated as _valid
from studio.errors import NotAllowed, NotFound
from studio.models import Role
from studio.roles import Capability, require, station_role
from studio.streaming import ExportResponse, chunked, csv_pieces

# How often the page reads an open draw's entries again.
REFRESH_SECONDS = 5
CSV_CHUNK_CHARS = 64 * 1024
ENTRANT_COLUMNS = ("author_ref", "name", "source", "entered_at", "text", "winner_rank")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def draw_shape(draw: Draw, *, entries: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "id": draw.pk,
        "session": draw.session_id,
        "title": draw.title,
        "keyword": draw.keyword,
        "starts_at": _iso(draw.starts_at),
        "ends_at": _iso(draw.ends_at),
        "sources": list(draw.sources or []),
        "winners_count": draw.winners_count,
        "status": draw.status,
        "seed": draw.seed or None,
        "created_at": _iso(draw.created_at),
        "drawn_by": draw.drawn_by.get_username() if draw.drawn_by else None,
        "drawn_at": _iso(draw.drawn_at),
    }
    if entries is not None:
        shape["entry_count"] = len(entries)
        shape["entries"] = [e | {"entered_at": _iso(e["entered_at"])} for e in entries]
        winners = [e for e in shape["entries"] if e["winner_rank"]]
        shape["winners"] = sorted(winners, key=lambda e: e["winner_rank"])
    else:
        shape["entry_count"] = getattr(draw, "entry_count", None)
    return shape


class DrawListApi(APIView):
    """A session's draws (producers); define a new one."""

    @extend_schema_serializer(component_name="DrawCreateInput")
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=120)
        keyword = serializers.CharField(max_length=80)
        starts_at = serializers.DateTimeField()
        ends_at = serializers.DateTimeField()
        sources = serializers.ListField(
            child=serializers.CharField(max_length=20), max_length=len(SOURCE_BUCKETS), default=list
        )
        winners_count = serializers.IntegerField(min_value=1, max_value=50, default=1)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        session = selectors.session_for_user(request.user, pk)
        draws = draws_of_session(request.user, session)
        return Response({"results": [draw_shape(d) for d in draws]})

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        session = selectors.session_for_user(request.user, pk)
        require(request.user, session.station_id, Capability.MANAGE)
        data = _valid(self.InputSerializer, request)
        draw = draw_services.draw_create(actor=request.user, session=session, **data)
        return Response(
            draw_shape(draw, entries=draw_entries(draw)), status=status.HTTP_201_CREATED
        )


class DrawDetailApi(APIView):
    """One draw with its entries (live while open) and winners."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        draw = draw_for_user(request.user, pk)
        verified = draw_services.draw_verify(draw).ok if draw.seed else None
        return Response(draw_shape(draw, entries=draw_entries(draw)) | {"verified": verified})


class DrawRunApi(APIView):
    """Draw the winners (once): ``seed`` optional, a random one otherwise."""

    @extend_schema_serializer(component_name="DrawRunInput")
    class InputSerializer(serializers.Serializer):
        seed = serializers.CharField(max_length=64, required=False, allow_blank=False)

    @extend_schema(request=InputSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        draw = draw_for_user(request.user, pk)
        data = _valid(self.InputSerializer, request)
        draw = draw_services.draw_run(actor=request.user, draw=draw, seed=data.get("seed"))
        return Response(draw_shape(draw, entries=draw_entries(draw)) | {"verified": True})


class DrawAnnounceApi(APIView):
    """Announce a winner: a crew question that goes through approval and take."""

    @extend_schema_serializer(component_name="DrawAnnounceInput")
    class InputSerializer(serializers.Serializer):
        entry = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        draw = draw_for_user(request.user, pk)
        data = _valid(self.InputSerializer, request)
        entry = entry_of_draw(draw, data["entry"])
        question = draw_services.draw_announce(actor=request.user, entry=entry)
        return Response(
            {"entry": entry.pk, "question": question.pk, "status": question.status},
            status=status.HTTP_201_CREATED,
        )


def entrant_rows(entries: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for e in entries:
        yield {
            "author_ref": e["author_ref"],
            "name": mask_phones(e["name"]),
            "source": e["source"],
            "entered_at": _iso(e["entered_at"]),
            "text": mask_phones(e["text"]),
            "winner_rank": e["winner_rank"],
        }


class DrawEntrantsCsvApi(APIView):
    """The entrants as a streamed CSV: a masked author reference, never an account id or a
    phone number."""

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request: Request, pk: int) -> ExportResponse:
        draw = draw_for_user(request.user, pk)
        rows = entrant_rows(draw_entries(draw))
        response = ExportResponse(
            chunked(csv_pieces(ENTRANT_COLUMNS, rows), CSV_CHUNK_CHARS),
            content_type="text/csv; charset=utf-8",
        )
        stamp = f"{timezone.localtime():%Y%m%d-%H%M}"
        filename = f"{draw.session.slug}-draw-{draw.pk}-entrants-{stamp}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


# The page --------------------------------------------------------------------------------

DRAW_STRINGS = {
    "status_open": _("Collecting entries"),
    "status_drawn": _("Drawn"),
    "entries": _("Entries"),
    "no_entries": _("No entries yet."),
    "no_draws": _("No draw yet: define one above."),
    "draw": _("Draw"),
    "drawing": _("Drawing…"),
    "confirm_draw": _("Draw the winners now? It cannot be drawn again."),
    "winners": _("Winners"),
    "seed": _("Seed"),
    "verified": _("Checked again with this seed: same winners."),
    "not_verified": _("Checked again with this seed: the winners differ!"),
    "announce": _("Announce"),
    "announced": _("Announcement: question #{id} ({status})"),
    "export": _("Export entrants (CSV)"),
    "window": _("{start} to {end}"),
    "all_sources": _("all sources"),
    "keyword": _("Keyword"),
    "drawn_by": _("Drawn by {name} at {time}"),
    "rank": _("#{rank}"),
    "error": _("Not done: {message}"),
    "created": _("Draw created."),
    "updated": _("Updated {time}"),
    "status_pending": _("pending review"),
    "status_approved": _("approved"),
    "status_on_air": _("on air"),
    "status_answered": _("answered"),
    "status_rejected": _("rejected"),
    "status_archived": _("archived"),
}

SOURCE_LABELS = {
    "web": _("Web"),
    "sms": _("SMS"),
    "mastodon": _("Mastodon"),
    "bluesky": _("Bluesky"),
    "webhook": _("Other networks"),
    "crew": _("Crew"),
}


@login_required
@never_cache
@csp_replace({"style-src": [SELF]})  # type: ignore[arg-type]
def draws_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The producers' draws page. Crew of another station get the same 404 as for a missing
    session; other roles of the station are refused."""
    try:
        session = selectors.session_for_user_by_slug(request.user, slug)
    except NotFound as exc:
        raise Http404("No such session.") from exc
    role = station_role(request.user, session.station_id)
    try:
        require(request.user, session.station_id, Capability.MANAGE)
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    now = timezone.localtime()
    config = {
        "session": session.pk,
        "list_url": reverse("session-draws", kwargs={"pk": session.pk}),
        "draw_url": reverse("draw-detail", kwargs={"pk": 0}),
        "refresh_seconds": REFRESH_SECONDS,
        "language": request.LANGUAGE_CODE,
    }
    strings = DRAW_STRINGS | {f"source_{k}": v for k, v in SOURCE_LABELS.items()}
    return render(
        request,
        "live/draws.html",
        {
            "session": session,
            "role_label": Role(role).label,  # type: ignore[arg-type]
            "sources": [(k, SOURCE_LABELS[k]) for k in SOURCE_BUCKETS],
            "default_start": now.strftime("%Y-%m-%dT%H:%M"),
            "default_end": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "draws_config": config,
            "draws_strings": strings,
        },
    )


page_urlpatterns: list[URLPattern | URLResolver] = [
    path("studio/<slug:slug>/draws/", draws_page, name="draws"),
]
api_urlpatterns: list[URLPattern | URLResolver] = [
    path("sessions/<int:pk>/draws/", DrawListApi.as_view(), name="session-draws"),
    path("draws/<int:pk>/", DrawDetailApi.as_view(), name="draw-detail"),
    path("draws/<int:pk>/draw/", DrawRunApi.as_view(), name="draw-run"),
    path("draws/<int:pk>/announce/", DrawAnnounceApi.as_view(), name="draw-announce"),
    path("draws/<int:pk>/entrants.csv", DrawEntrantsCsvApi.as_view(), name="draw-entrants"),
]
