"""Contest draws: define one, collect its entries, draw the winners with a logged seed, announce a
winner through the normal question flow (docs/draws.md).

Producers only (``Capability.MANAGE``). The winners are a function of the seed and the entries
alone: the entries sorted by author id, ``random.Random(seed).sample`` over them. Anyone with the
seed and the entry list can draw again and get the same winners (``draw_verify``).
"""

from __future__ import annotations

import logging
import random
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from questions.models import Ban, Draw, DrawEntry, DrawStatus, Question, QuestionStatus
from questions.services.submission import question_submit
from questions.sources import SOURCE_BUCKETS, source_bucket
from studio.errors import Conflict, ValidationFailed
from studio.models import LiveSession
from studio.roles import Capability, User, require
from studio.transactions import retry_on_deadlock

logger = logging.getLogger("socialroom.draws")

TITLE_MAX = 120
KEYWORD_MAX = 80
WINNERS_MAX = 50
# A keyword is one word or one hashtag: letters, digits and underscores, "#" in front or not.
_KEYWORD = re.compile(r"#?\w+")
# Links are read as no words at all: "nespresso.com" is not the word "nespresso".
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Messages that count: passed moderation, or waiting for it without any automatic flag. A
# flagged message still waiting for a moderator, a rejected or an archived one never counts.
PASSED = (QuestionStatus.APPROVED, QuestionStatus.ON_AIR, QuestionStatus.ANSWERED)


def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """The messages a keyword matches, whatever the case: ``#word`` matches the hashtag only;
    ``word`` matches the word alone or as a hashtag, never inside a longer word, an @mention or
    a link."""
    word = re.escape(keyword.lstrip("#"))
    hashtag = "#" if keyword.startswith("#") else "#?"
    return re.compile(rf"(?<![\w@#]){hashtag}{word}(?!\w)", re.IGNORECASE)


def matches(keyword: str, text: str) -> bool:
    return keyword_pattern(keyword).search(_URL.sub(" ", text)) is not None


def _clean(
    *,
    title: str,
    keyword: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    sources: Sequence[str] | None,
    winners_count: int,
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title = (title or "").strip()
    keyword = (keyword or "").strip()
    if not title or len(title) > TITLE_MAX:
        errors["title"] = _("Give the draw a title of 1 to %(max)d characters.") % {
            "max": TITLE_MAX
        }
    if not keyword or len(keyword) > KEYWORD_MAX or not _KEYWORD.fullmatch(keyword):
        errors["keyword"] = _(
            "The keyword is one word or one hashtag (#word), 1 to %(max)d characters."
        ) % {"max": KEYWORD_MAX}
    if starts_at is None or ends_at is None:
        errors["ends_at"] = _("Give the window's start and end.")
    elif timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        errors["ends_at"] = _("Give the window's times with their time zone.")
    elif ends_at <= starts_at:
        errors["ends_at"] = _("The window must end after it starts.")
    chosen = list(sources or [])
    unknown = [s for s in chosen if s not in SOURCE_BUCKETS]
    if unknown:
        errors["sources"] = _("Unknown sources: %(unknown)s. The sources are %(known)s.") % {
            "unknown": ", ".join(map(str, unknown)),
            "known": ", ".join(SOURCE_BUCKETS),
        }
    if (
        isinstance(winners_count, bool)
        or not isinstance(winners_count, int)
        or not 1 <= winners_count <= WINNERS_MAX
    ):
        errors["winners_count"] = _("Draw between 1 and %(max)d winners.") % {"max": WINNERS_MAX}
    if errors:
        first = next(iter(errors.values()))
        raise ValidationFailed(first, details=errors)
    return {
        "title": title,
        "keyword": keyword,
        "starts_at": starts_at,
        "ends_at": ends_at,
        # Stored in the buckets' own order, each once; empty means every source.
        "sources": [b for b in SOURCE_BUCKETS if b in chosen],
        "winners_count": winners_count,
    }


@retry_on_deadlock
def draw_create(
    *,
    actor: User,
    session: LiveSession,
    title: str,
    keyword: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    sources: Sequence[str] | None = None,
    winners_count: int = 1,
) -> Draw:
    """A new open draw of the session. Refuses (``invalid``, reasons per field in ``details``) a
    keyword that is not one word or hashtag of 1 to 80 characters, a window that does not end after
    it starts, an unknown source, a number of winners outside 1 to 50."""
    require(actor, session.station_id, Capability.MANAGE)
    fields = _clean(
        title=title,
        keyword=keyword,
        starts_at=starts_at,
        ends_at=ends_at,
        sources=sources,
        winners_count=winners_count,
    )
    draw = Draw.objects.create(session=session, created_by=actor, **fields)  # type: ignore[misc]
    logger.info("draw %s created in session %s by %s", draw.pk, session.pk, actor)
    return draw


@dataclass(frozen=True)
class Candidate:
    author_id: int
    question_id: int


def draw_candidates(draw: Draw) -> list[Candidate]:
    """The entries the draw's rules give now, one per author (their first matching message, by
    time then id), sorted by author id. A message counts when it is of the draw's session, sent
    within the window (both ends included), from one of the draw's sources (all when none are
    chosen), holds the keyword, has an author, that author is not banned by the station, and it
    passed moderation (approved, on air, answered) or waits for it with no automatic flag."""
    banned = Ban.objects.filter(station_id=draw.session.station_id, author_id=OuterRef("author_id"))
    rows = (
        Question.objects.filter(
            session_id=draw.session_id,
            created_at__gte=draw.starts_at,
            created_at__lte=draw.ends_at,
            author__isnull=False,
        )
        .filter(Q(status__in=PASSED) | Q(status=QuestionStatus.PENDING, flags=[]))
        .filter(~Exists(banned))
        .order_by("created_at", "id")
        .values_list("id", "author_id", "source", "text")
    )
    keyword = keyword_pattern(draw.keyword)
    sources = set(draw.sources or SOURCE_BUCKETS)
    first: dict[int, int] = {}
    for question_id, author_id, source, text in rows.iterator(chunk_size=2000):
        if author_id in first or source_bucket(source) not in sources:
            continue
        if keyword.search(_URL.sub(" ", text)) is None:
            continue
        first[author_id] = question_id
    return [Candidate(a, q) for a, q in sorted(first.items())]


def _lock(draw: Draw) -> Draw:
    return Draw.objects.select_for_update().select_related("session").get(pk=draw.pk)


def _store_entries(draw: Draw) -> None:
    candidates = draw_candidates(draw)
    DrawEntry.objects.filter(draw=draw).delete()
    DrawEntry.objects.bulk_create(
        DrawEntry(draw=draw, author_id=c.author_id, question_id=c.question_id) for c in candidates
    )


@retry_on_deadlock
def draw_collect(*, actor: User, draw: Draw) -> Draw:
    """Store the entries the rules give now (an open draw only; a drawn draw keeps the entries
    it was drawn among)."""
    require(actor, draw.session.station_id, Capability.MANAGE)
    with transaction.atomic():
        draw = _lock(draw)
        if draw.status != DrawStatus.OPEN:
            raise Conflict(_("This draw was already drawn."), code="already_drawn")
        _store_entries(draw)
    return draw


def winners_from(seed: str, author_ids: Sequence[int], count: int) -> list[int]:
    """The winning author ids, first winner first: ``random.Random(seed).sample`` over the
    author ids in ascending order."""
    ordered = sorted(author_ids)
    # Not for secrets: the point is that anyone with the seed draws the same winners.
    return random.Random(seed).sample(ordered, k=min(count, len(ordered)))  # noqa: S311


@retry_on_deadlock
def draw_run(*, actor: User, draw: Draw, seed: str | None = None) -> Draw:
    """Collect the entries once more, then draw the winners among them with ``seed`` (a new
    random 128-bit seed in hex unless one is given). The seed, who drew and when are stored and
    logged; the entries stay as they were drawn among. A drawn draw is not drawn again
    (``already_drawn``); a draw with no entries is refused (``no_entries``)."""
    require(actor, draw.session.station_id, Capability.MANAGE)
    if seed is not None and not (1 <= len(seed) <= 64):
        raise ValidationFailed(_("A seed is 1 to 64 characters."), details={"seed": "length"})
    with transaction.atomic():
        draw = _lock(draw)
        if draw.status != DrawStatus.OPEN:
            raise Conflict(_("This draw was already drawn."), code="already_drawn")
        _store_entries(draw)
        entries = {e.author_id: e for e in DrawEntry.objects.filter(draw=draw)}
        if not entries:
            raise Conflict(
                _("Nobody has entered this draw yet: there is no one to draw."),
                code="no_entries",
            )
        seed = seed or secrets.token_hex(16)
        winners = winners_from(seed, list(entries), draw.winners_count)
        for rank, author_id in enumerate(winners, start=1):
            entry = entries[author_id]
            entry.winner_rank = rank
            entry.save(update_fields=["winner_rank"])
        draw.seed = seed
        draw.status = DrawStatus.DRAWN
        draw.drawn_by = actor  # type: ignore[assignment]
        draw.drawn_at = timezone.now()
        draw.save(update_fields=["seed", "status", "drawn_by", "drawn_at"])
    logger.info(
        "draw %s drawn by %s with seed %s among %d entries: winners (author ids) %s",
        draw.pk,
        actor,
        seed,
        len(entries),
        winners,
    )
    return draw


@dataclass(frozen=True)
class Verification:
    ok: bool
    expected: list[int]  # author ids, first winner first, from the seed
    stored: list[int]


def draw_verify(draw: Draw) -> Verification:
    """Draw again with the stored seed among the stored entries and compare with the stored
    winners."""
    entries = list(DrawEntry.objects.filter(draw=draw).values_list("author_id", "winner_rank"))
    ranked = sorted((rank, author_id) for author_id, rank in entries if rank is not None)
    stored = [author_id for _rank, author_id in ranked]
    if not draw.seed:
        return Verification(ok=False, expected=[], stored=stored)
    expected = winners_from(draw.seed, [a for a, _rank in entries], draw.winners_count)
    return Verification(ok=expected == stored, expected=expected, stored=stored)


def winner_name(entry: DrawEntry) -> str:
    """The name a winner is announced under: the name of their entry, else their display name
    or handle."""
    question = entry.question
    author = entry.author
    return question.author_name or author.display_name or author.handle or _("a listener")


@retry_on_deadlock
def draw_announce(*, actor: User, entry: DrawEntry) -> Question:
    """A crew question announcing a winner ("Winner of <title>: <name>", in the session's
    language), submitted like any crew question: it waits for approval and reaches air only
    through a take. Once per winner (``already_announced``)."""
    draw = entry.draw
    session = draw.session
    require(actor, session.station_id, Capability.MANAGE)
    with transaction.atomic():
        entry = (
            DrawEntry.objects.select_for_update(of=("self",))
            .select_related("draw__session", "author", "question")
            .get(pk=entry.pk)
        )
        if entry.winner_rank is None:
            raise Conflict(_("Only a winner is announced."), code="not_a_winner")
        if entry.winner_question_id is not None:
            raise Conflict(
                _("This winner was already announced."),
                code="already_announced",
                details={"question": entry.winner_question_id},
            )
        with translation.override(session.language or None):
            text = _("Winner of %(title)s: %(name)s") % {
                "title": draw.title,
                "name": winner_name(entry),
            }
        question = question_submit(
            session=session, text=text, source="manual", actor=actor, truncate=True
        ).question
        entry.winner_question = question
        entry.save(update_fields=["winner_question"])
    logger.info("draw %s: winner %s announced as question %s", draw.pk, entry.pk, question.pk)
    return question
