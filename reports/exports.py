"""A session's data as files, for producers: questions, votes per minute, the as-run log and the
moderation log, in CSV or JSON (docs/report.md, "Exports").

Every export is streamed: rows come from the database ``EXPORT_CHUNK_ROWS`` at a time through
``QuerySet.iterator`` and leave as chunks of bytes, so a session of 50,000 questions is never
held in memory. What could identify an audience member never leaves: authors are a keyed hash
that differs per session, phone numbers in texts and names are replaced, voter ids are never
read, and log details keep only keys known to be harmless.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Trunc
from django.http import StreamingHttpResponse
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from questions.masking import author_ref, mask_phones
from questions.models import ModerationLogEntry, Question, Vote
from studio import selectors
from studio.errors import NotAllowed, NotFound, ValidationFailed
from studio.models import AsRunEntry, LiveSession
from studio.roles import ROLE_CAPABILITIES, Capability, station_role
from studio.streaming import ExportResponse, chunked, csv_pieces

# Rows read from the database per round trip (a server-side cursor on PostgreSQL).
EXPORT_CHUNK_ROWS = 2000
# Rows are sent in chunks of about this many characters: big enough that a chunk is not a
# network packet per row, small enough that a chunk is never a noticeable share of memory.
CHUNK_CHARS = 64 * 1024


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


# Export rows -------------------------------------------------------------------------------

Row = dict[str, Any]


def question_rows(session: LiveSession) -> Iterator[Row]:
    first_aired = AsRunEntry.objects.filter(question=OuterRef("pk")).order_by("taken_at")
    rows = (
        Question.objects.filter(session=session)
        .annotate(first_aired_at=Subquery(first_aired.values("taken_at")[:1]))
        .order_by("created_at", "id")
        .values(
            "id", "created_at", "source", "status", "text", "air_text", "author_name",
            "author__platform", "author_id", "author__followers_count", "target_guest__name",
            "vote_count", "starred", "flags", "duplicate_of_id", "approved_at", "answered_at",
            "first_aired_at",
        )
    )  # fmt: skip
    for q in rows.iterator(chunk_size=EXPORT_CHUNK_ROWS):
        yield {
            "id": q["id"],
            "created_at": iso(q["created_at"]),
            "source": q["source"],
            "status": q["status"],
            "text": mask_phones(q["text"]),
            "air_text": mask_phones(q["air_text"]),
            "author_name": mask_phones(q["author_name"]),
            "author_platform": q["author__platform"] or "",
            "author_ref": author_ref(session.pk, q["author_id"]),
            "author_followers": q["author__followers_count"],
            "target_guest": q["target_guest__name"] or "",
            "votes": q["vote_count"],
            "starred": q["starred"],
            "flags": [f["code"] for f in q["flags"] or [] if isinstance(f, dict) and "code" in f],
            "duplicate_of": q["duplicate_of_id"],
            "approved_at": iso(q["approved_at"]),
            "answered_at": iso(q["answered_at"]),
            "first_aired_at": iso(q["first_aired_at"]),
        }


def vote_rows(session: LiveSession) -> Iterator[Row]:
    # Counted by the database; the voter column is never read.
    rows = (
        Vote.objects.filter(question__session=session)
        .annotate(minute=Trunc("created_at", "minute", tzinfo=UTC))
        .values_list("question_id", "minute")
        .annotate(votes=Count("id"))
        .order_by("minute", "question_id")
    )
    for question_id, minute, votes in rows.iterator(chunk_size=EXPORT_CHUNK_ROWS):
        yield {"question_id": question_id, "minute": iso(minute), "votes": votes}


def as_run_rows(session: LiveSession) -> Iterator[Row]:
    rows = (
        AsRunEntry.objects.filter(session=session)
        .order_by("taken_at", "id")
        .values(
            "question_id", "taken_at", "ended_at", "taken_by__username", "ended_by__username",
            "outcome", "question__text", "question__air_text", "question__author_name",
            "question__air_name", "question__source",
        )
    )  # fmt: skip
    for e in rows.iterator(chunk_size=EXPORT_CHUNK_ROWS):
        taken_at, ended_at = e["taken_at"], e["ended_at"]
        yield {
            "question_id": e["question_id"],
            "taken_at": iso(taken_at),
            "ended_at": iso(ended_at),
            "duration_seconds": (ended_at - taken_at).total_seconds() if ended_at else None,
            "taken_by": e["taken_by__username"] or "",
            "ended_by": e["ended_by__username"] or "",
            "outcome": e["outcome"],
            # What aired: the on-air wording and name when the crew set them.
            "text": mask_phones(e["question__air_text"] or e["question__text"]),
            "name": mask_phones(e["question__air_name"] or e["question__author_name"]),
            "source": e["question__source"],
        }


# The keys services write in a moderation log entry's details that say nothing about who an
# audience member is. Any other key is left out, so a key added later that could carry a voter
# id or a phone number never reaches an export unnoticed.
_PLAIN_DETAIL_KEYS = frozenset(
    {"action", "ban", "cleared", "cluster", "code", "field", "flags", "from", "guest"}
    | {"position", "question", "replaced", "status", "to", "via"}
)
# Texts a moderator typed or edited: kept, with their phone numbers masked.
_TEXT_DETAIL_KEYS = frozenset({"text", "air_text", "air_name"})


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return mask_phones(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def safe_details(session_id: int, details: Any) -> dict[str, Any]:
    if not isinstance(details, dict):
        return {}
    kept: dict[str, Any] = {}
    for key, value in details.items():
        if key in _PLAIN_DETAIL_KEYS or key in _TEXT_DETAIL_KEYS:
            kept[key] = _plain(value)
        elif key == "author" and (value is None or isinstance(value, int)):
            kept["author_ref"] = author_ref(session_id, value)
    return kept


def moderation_rows(session: LiveSession) -> Iterator[Row]:
    rows = (
        ModerationLogEntry.objects.filter(session=session)
        .order_by("created_at", "id")
        .values(
            "created_at", "question_id", "action", "from_status", "to_status", "actor__username",
            "reason", "details",
        )
    )  # fmt: skip
    for e in rows.iterator(chunk_size=EXPORT_CHUNK_ROWS):
        yield {
            "at": iso(e["created_at"]),
            "question_id": e["question_id"],
            "action": e["action"],
            "from_status": e["from_status"],
            "to_status": e["to_status"],
            "actor": e["actor__username"] or "",
            "reason": mask_phones(e["reason"]),
            "details": safe_details(session.pk, e["details"]),
        }


@dataclass(frozen=True)
class Export:
    columns: tuple[str, ...]
    rows: Callable[[LiveSession], Iterator[Row]]


EXPORTS: dict[str, Export] = {
    "questions": Export(
        columns=(
            "id", "created_at", "source", "status", "text", "air_text", "author_name",
            "author_platform", "author_ref", "author_followers", "target_guest", "votes",
            "starred", "flags", "duplicate_of", "approved_at", "answered_at", "first_aired_at",
        ),
        rows=question_rows,
    ),
    "votes": Export(columns=("question_id", "minute", "votes"), rows=vote_rows),
    "as-run": Export(
        columns=(
            "question_id", "taken_at", "ended_at", "duration_seconds", "taken_by", "ended_by",
            "outcome", "text", "name", "source",
        ),
        rows=as_run_rows,
    ),
    "moderation": Export(
        columns=(
            "at", "question_id", "action", "from_status", "to_status", "actor", "reason",
            "details",
        ),
        rows=moderation_rows,
    ),
}  # fmt: skip


# Formats -----------------------------------------------------------------------------------


def _chunked(pieces: Iterable[str]) -> Iterator[bytes]:
    return chunked(pieces, CHUNK_CHARS)


def json_pieces(columns: Sequence[str], rows: Iterable[Row]) -> Iterator[str]:
    separator = "[\n"
    for row in rows:
        yield separator + json.dumps({c: row[c] for c in columns}, ensure_ascii=False)
        separator = ",\n"
    yield "[]\n" if separator == "[\n" else "\n]\n"


FORMATS: dict[str, tuple[Callable[[Sequence[str], Iterable[Row]], Iterator[str]], str]] = {
    "csv": (csv_pieces, "text/csv; charset=utf-8"),
    "json": (json_pieces, "application/json"),
}


def export_chunks(session: LiveSession, kind: str, fmt: str) -> Iterator[bytes]:
    """The export as chunks of bytes; nothing is read from the database until the first one."""
    export = EXPORTS[kind]
    pieces, _content_type = FORMATS[fmt]
    return _chunked(pieces(export.columns, export.rows(session)))


# The view ----------------------------------------------------------------------------------


def export_filename(session: LiveSession, kind: str, fmt: str, now: datetime) -> str:
    return f"{session.slug}-{kind}-{timezone.localtime(now):%Y%m%d-%H%M}.{fmt}"


class SessionExportApi(APIView):
    """A session's questions, votes per minute, as-run log or moderation log as a streamed CSV
    or JSON file (docs/report.md, "Exports"). Producers of the session's station only."""

    @extend_schema(
        operation_id="sessions_export",
        parameters=[
            OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=list(EXPORTS)),
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(FORMATS)),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/json"): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    def get(self, request: Request, pk: int, kind: str, fmt: str) -> StreamingHttpResponse:
        session = selectors.session_for_user(request.user, pk)
        role = station_role(request.user, session.station_id)
        if role is None or Capability.MANAGE not in ROLE_CAPABILITIES[role]:
            raise NotAllowed(
                _("Only the station's producers may export a session's data."),
                details={"role": role, "needs": Capability.MANAGE.value},
            )
        if kind not in EXPORTS:
            raise NotFound(
                _("There is no %(kind)s export: the exports are %(kinds)s.")
                % {"kind": kind, "kinds": ", ".join(EXPORTS)},
                code="unknown_export",
                details={"kind": kind, "accepted": list(EXPORTS)},
            )
        if fmt not in FORMATS:
            raise ValidationFailed(
                _("There is no %(format)s format: exports come as csv or json.") % {"format": fmt},
                code="unknown_format",
                details={"format": fmt, "accepted": list(FORMATS)},
            )
        response = ExportResponse(export_chunks(session, kind, fmt), content_type=FORMATS[fmt][1])
        filename = export_filename(session, kind, fmt, timezone.now())
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        # Audience data: no cache on the way keeps a copy.
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "sessions/<int:pk>/exports/<str:kind>.<str:fmt>",
        SessionExportApi.as_view(),
        name="session-export",
    ),
]
