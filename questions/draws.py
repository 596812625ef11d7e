"""Reading contest draws for the producers' page and API: the draws of a session, one draw, its
entries (live from the rules while it is open, as stored once drawn)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from questions.masking import author_ref
from questions.models import Draw, DrawEntry, DrawStatus, Question
from questions.services.draws import draw_candidates
from questions.sources import source_bucket
from studio.errors import NotFound
from studio.models import LiveSession
from studio.roles import Capability, User, require, station_role


def draws_of_session(user: User, session: LiveSession) -> list[Draw]:
    """The session's draws, oldest first, with ``entry_count`` (stored entries). Producers."""
    require(user, session.station_id, Capability.MANAGE)
    return list(
        Draw.objects.filter(session=session)
        .select_related("session", "drawn_by", "created_by")
        .annotate(entry_count=Count("entries"))
        .order_by("created_at", "id")
    )


def draw_for_user(user: User, pk: int | str) -> Draw:
    """The draw if the user is a producer of its station; NotFound for another station."""
    try:
        draw = Draw.objects.select_related("session", "drawn_by", "created_by").get(pk=int(pk))
    except (Draw.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such draw.") from exc
    if station_role(user, draw.session.station_id) is None:
        # Another station's draw answers as a draw that does not exist.
        raise NotFound("No such draw.")
    require(user, draw.session.station_id, Capability.MANAGE)
    return draw


def entry_of_draw(draw: Draw, pk: int) -> DrawEntry:
    try:
        return DrawEntry.objects.select_related("draw__session").get(draw=draw, pk=pk)
    except DrawEntry.DoesNotExist as exc:
        raise NotFound("No such entry in this draw.", details={"entry": pk}) from exc


def draw_entries(draw: Draw) -> list[dict[str, Any]]:
    """The draw's entries, sorted by author id (the order the seed draws from): while it is open,
    the entries its rules give now (``id`` null: not stored yet); once drawn, the stored ones
    with their ranks and announcements. Three queries."""
    pairs: list[tuple[int | None, int, int, int | None, int | None]]
    if draw.status == DrawStatus.OPEN:
        pairs = [(None, c.author_id, c.question_id, None, None) for c in draw_candidates(draw)]
    else:
        pairs = list(
            DrawEntry.objects.filter(draw=draw)
            .order_by("author_id")
            .values_list("id", "author_id", "question_id", "winner_rank", "winner_question_id")
        )
    ids = {p[2] for p in pairs} | {p[4] for p in pairs if p[4]}
    questions = Question.objects.select_related("author").in_bulk(ids)
    rows = []
    for entry_id, author_id, question_id, rank, announced_id in pairs:
        question = questions[question_id]
        author = question.author
        announced = questions.get(announced_id) if announced_id else None
        rows.append(
            {
                "id": entry_id,
                "author_ref": author_ref(draw.session_id, author_id),
                "name": question.author_name
                or (author.display_name or author.handle if author else ""),
                "source": source_bucket(question.source),
                "text": question.text,
                "entered_at": question.created_at,
                "winner_rank": rank,
                "announcement": (
                    {"question": announced.pk, "status": announced.status} if announced else None
                ),
            }
        )
    return rows
