"""The audience's data over time: the retention run, the right to erasure and the right of
access (docs/privacy.md says what is kept and what is erased, and why).

What is erased, for the questions in scope:
- the names: the author's signed name and the on-air name of questions that never aired; the
  author record's display name, handle and avatar, and its external id (the SMS phone hash, the
  web voter id, the network's account id);
- the texts of questions that never aired (replaced by ``[erased]``), every text as received, the
  source message ids, the texts and names quoted in the moderation and air logs, the automatic
  checks' reasons (their codes stay);
- the voter and reporter ids of votes and audience reports (a per-session rank replaces them, so
  that counts and distinct voters stay);
- draw entrants point to an anonymous author.
What is kept: the as-run log and what aired, as it was broadcast (text and name), counts,
timestamps, sources, statuses, the crew's decisions and reasons. So the session report's figures
stay the same, except the names of top contributors and reach (anonymous) and the trending terms
(computed from the texts that remain).

Each function works in batches of ids and in-database updates: a session of 50,000 questions
is never loaded at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from questions.models import (
    ERASED_ID_PREFIX,
    ERASED_TEXT,
    AirLogEntry,
    AudienceReport,
    Author,
    Ban,
    DrawEntry,
    ModerationLogEntry,
    PrivacyAction,
    PrivacyLogEntry,
    Question,
    Vote,
)
from studio.errors import NotFound
from studio.models import AsRunEntry, EventLogEntry, LiveSession, SessionStatus, Station
from studio.roles import Capability, User, require, station_role

BATCH = 2000
# Keys of log details that quote the audience (a text or a name as edited).
_QUOTING_KEYS = frozenset({"text", "name", "air_text", "air_name", "author_name", "original_text"})


def _id_batches(queryset: QuerySet[Any], field: str = "pk") -> Iterator[list[int]]:
    """The distinct values of ``field`` (ids) of ``queryset``, ascending, ``BATCH`` at a time;
    keyset pagination, so each batch is one bounded query."""
    last = 0
    while True:
        batch = list(
            queryset.filter(**{f"{field}__gt": last})
            .order_by(field)
            .values_list(field, flat=True)
            .distinct()[:BATCH]
        )
        if not batch:
            return
        yield batch
        last = batch[-1]


def _flag_codes(flags: Any) -> list[dict[str, str]]:
    if not isinstance(flags, list):
        return []
    kept = []
    for flag in flags:
        if isinstance(flag, dict) and flag.get("code"):
            kept.append(
                {k: str(flag[k]) for k in ("code", "field") if isinstance(flag.get(k), str)}
            )
    return kept


def _scrub_details(details: Any) -> dict[str, Any]:
    if not isinstance(details, dict):
        return {}
    out = {k: v for k, v in details.items() if k not in _QUOTING_KEYS}
    if "flags" in out:
        out["flags"] = _flag_codes(out["flags"])
    return out


def _scrub_logs(question_ids: list[int]) -> int:
    """Drop what the logs of these questions quote of the audience; returns the rows changed."""
    moderation = list(
        ModerationLogEntry.objects.filter(question_id__in=question_ids).exclude(details={})
    )
    for entry in moderation:
        entry.details = _scrub_details(entry.details)
    ModerationLogEntry.objects.bulk_update(moderation, ["details"], batch_size=500)
    air = list(AirLogEntry.objects.filter(question_id__in=question_ids).exclude(details={}))
    for air_entry in air:
        air_entry.details = _scrub_details(air_entry.details)
    AirLogEntry.objects.bulk_update(air, ["details"], batch_size=500)
    return len(moderation) + len(air)


def _erase_questions(questions: QuerySet[Question], *, keep_aired_name: bool) -> dict[str, int]:
    """Erase the names and non-aired texts of ``questions``; aired ones keep their texts and,
    with ``keep_aired_name``, the name that aired (and no other)."""
    aired = Exists(AsRunEntry.objects.filter(question_id=OuterRef("pk")))
    counts = {"questions": 0, "texts_erased": 0, "aired_kept": 0, "log_entries": 0}
    for batch in _id_batches(questions):
        rows = Question.objects.filter(pk__in=batch)
        if keep_aired_name:
            # The name that aired is the on-air name when there is one, else the signed one:
            # the signed name stays only when it is the one that was broadcast.
            rows.filter(aired).exclude(air_name="").update(author_name=F("air_name"))
            aired_name: dict[str, Any] = {}
        else:
            aired_name = {"author_name": "", "air_name": ""}
        counts["aired_kept"] += rows.filter(aired).update(
            original_text="", external_id="", **aired_name
        )
        counts["texts_erased"] += rows.exclude(aired).update(
            text=ERASED_TEXT,
            original_text="",
            air_text="",
            author_name="",
            air_name="",
            external_id="",
        )
        flagged = list(rows.exclude(flags=[]).only("pk", "flags"))
        for question in flagged:
            question.flags = _flag_codes(question.flags)
        Question.objects.bulk_update(flagged, ["flags"], batch_size=500)
        counts["log_entries"] += _scrub_logs(batch)
        counts["questions"] += len(batch)
    return counts


def _rank_ids(model: type[Vote] | type[AudienceReport], column: str, session_id: int) -> int:
    """Replace the voter (or reporter) ids of a session by their rank among the session's ids:
    distinct and one-per-question as before, so every count holds, but tied to nobody."""
    table = model._meta.db_table
    questions = Question._meta.db_table
    sql = (
        f"UPDATE {table} SET {column} = CAST(%s AS VARCHAR(16)) "  # noqa: S608
        "|| CAST(r.rk AS VARCHAR(20)) FROM ("
        f"SELECT v.id AS id, DENSE_RANK() OVER (ORDER BY v.{column}) AS rk FROM {table} v "
        f"JOIN {questions} q ON q.id = v.question_id WHERE q.session_id = %s) r "
        f"WHERE {table}.id = r.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ERASED_ID_PREFIX, session_id])
        return max(int(cursor.rowcount), 0)


def _new_erased_id() -> str:
    return ERASED_ID_PREFIX + secrets.token_hex(12)


def _release_authors(
    author_ids: list[int],
    *,
    in_scope: Q,
    entries_in_scope: Q,
    used_elsewhere: QuerySet[Question],
    entered_elsewhere: QuerySet[DrawEntry],
    bans_elsewhere: QuerySet[Ban],
    bans_kept: QuerySet[Ban] | None = None,
) -> dict[str, int]:
    """Make these authors anonymous for the rows in scope.

    An author with no row outside the scope is anonymised in place: names, avatar and external
    id (the id stays when ``bans_kept`` holds a ban on them, so that the ban still matches). An
    author still used outside the scope (a session inside its retention, another station, a
    ban) keeps their record there: the rows in scope move to a new anonymous author, one per
    author, so that distinct counts stay the same."""
    busy = set(used_elsewhere.filter(author_id__in=author_ids).values_list("author_id", flat=True))
    for rows in (entered_elsewhere, bans_elsewhere):
        busy |= set(rows.filter(author_id__in=author_ids).values_list("author_id", flat=True))
    banned: set[int] = set()
    if bans_kept is not None:
        banned = set(bans_kept.filter(author_id__in=author_ids).values_list("author_id", flat=True))
    free = [pk for pk in author_ids if pk not in busy]
    names = {"display_name": "", "handle": "", "avatar_url": ""}
    anonymised = Author.objects.filter(pk__in=[pk for pk in free if pk not in banned]).update(
        external_id=Concat(Value(ERASED_ID_PREFIX), Cast("id", CharField())), **names
    )
    anonymised += Author.objects.filter(pk__in=[pk for pk in free if pk in banned]).update(**names)
    detached = 0
    for author in Author.objects.filter(pk__in=sorted(busy)).only(
        "pk", "platform", "followers_count"
    ):
        stand_in = Author.objects.create(
            platform=author.platform,
            external_id=_new_erased_id(),
            followers_count=author.followers_count,
        )
        Question.objects.filter(in_scope, author_id=author.pk).update(author=stand_in)
        DrawEntry.objects.filter(entries_in_scope, author_id=author.pk).update(author=stand_in)
        detached += 1
    return {"authors_anonymised": anonymised, "authors_detached": detached}


# The retention run ------------------------------------------------------------------------------


def retention_ends_at(session: LiveSession) -> datetime | None:
    """When the session's audience data is due for erasure; None while it has not ended."""
    if session.status != SessionStatus.ENDED:
        return None
    ended = session.ended_at or session.started_at or session.created_at
    return ended + timedelta(days=session.retention_days)


def sessions_due_for_erasure(*, now: datetime | None = None) -> list[int]:
    """Ids of the ended sessions past their retention whose audience data is not erased yet."""
    now = now or timezone.now()
    candidates = LiveSession.objects.filter(
        status=SessionStatus.ENDED, audience_data_erased_at__isnull=True
    ).only("pk", "status", "ended_at", "started_at", "created_at", "retention_days")
    due = []
    for session in candidates.iterator(chunk_size=500):
        ends = retention_ends_at(session)
        if ends is not None and ends <= now:
            due.append(session.pk)
    return due


def session_erase_audience_data(
    *, session_id: int, now: datetime | None = None, force: bool = False
) -> dict[str, int] | None:
    """Erase the audience's data of one ended session past its retention (see the module's
    docstring for what goes and what stays), mark it erased and log the counts.

    Idempotent: a session already erased, still live, or inside its retention is left alone
    (None); ``force`` skips the retention date, not the other checks."""
    now = now or timezone.now()
    with transaction.atomic():
        # NO KEY, as session_set_status: a reopening waits for the run (or the run for it).
        session = LiveSession.objects.select_for_update(no_key=True).filter(pk=session_id).first()
        if session is None or session.audience_data_erased_at is not None:
            return None
        ends = retention_ends_at(session)
        if ends is None or (ends > now and not force):
            return None
        questions = Question.objects.filter(session_id=session.pk)
        counts = _erase_questions(questions, keep_aired_name=True)
        counts["votes"] = _rank_ids(Vote, "voter", session.pk)
        counts["reports"] = _rank_ids(AudienceReport, "reporter", session.pk)
        counts["draw_entries"] = DrawEntry.objects.filter(draw__session_id=session.pk).count()
        in_session = Q(session_id=session.pk)
        authors = {"authors_anonymised": 0, "authors_detached": 0}
        author_rows = Question.objects.filter(in_session, author__isnull=False)
        entrant_rows = DrawEntry.objects.filter(draw__session_id=session.pk)
        ids = set()
        for batch in _id_batches(author_rows, "author_id"):
            ids.update(batch)
        for batch in _id_batches(entrant_rows, "author_id"):
            ids.update(batch)
        ordered = sorted(ids)
        for start in range(0, len(ordered), BATCH):
            found = _release_authors(
                ordered[start : start + BATCH],
                in_scope=in_session,
                entries_in_scope=Q(draw__session_id=session.pk),
                used_elsewhere=Question.objects.filter(
                    session__audience_data_erased_at__isnull=True
                ).exclude(session_id=session.pk),
                entered_elsewhere=DrawEntry.objects.filter(
                    draw__session__audience_data_erased_at__isnull=True
                ).exclude(draw__session_id=session.pk),
                # A ban is the station's decision about this person: it keeps their record.
                bans_elsewhere=Ban.objects.all(),
            )
            for key, value in found.items():
                authors[key] += value
        counts.update(authors)
        counts["replay_events"], _ = EventLogEntry.objects.filter(session_id=session.pk).delete()
        session.audience_data_erased_at = now
        session.save(update_fields=["audience_data_erased_at"])
        PrivacyLogEntry.objects.create(
            station_id=session.station_id,
            session=session,
            action=PrivacyAction.RETENTION,
            counts=counts,
            created_at=now,
        )
    return counts


# One author: erasure and access -----------------------------------------------------------------


def author_of_station(*, user: User, station_id: int, author_id: int) -> tuple[Station, Author]:
    """The station and one of its audience's authors, for a producer of the station.

    Someone outside the station's crew, an unknown station and an author who never wrote to
    the station all get the same NotFound; other crew roles get NotAllowed."""
    missing = NotFound("No such author.")
    if station_role(user, station_id) is None:
        raise missing
    require(user, station_id, Capability.MANAGE)
    station = Station.objects.get(pk=station_id)
    author = Author.objects.filter(pk=author_id).first()
    if author is None:
        raise missing
    wrote = Question.objects.filter(session__station_id=station_id, author_id=author_id).exists()
    entered = DrawEntry.objects.filter(draw__session__station_id=station_id, author_id=author_id)
    banned = Ban.objects.filter(station_id=station_id, author_id=author_id)
    if not (wrote or entered.exists() or banned.exists()):
        raise missing
    return station, author


def _voter_of(author: Author) -> str | None:
    # A web author's external id is their voter id: the same keyed hash marks their votes.
    if author.platform == "web" and not author.external_id.startswith(ERASED_ID_PREFIX):
        return author.external_id
    return None


def author_export(*, actor: User, station_id: int, author_id: int) -> dict[str, Any]:
    """Everything the station holds about one author (right of access), as JSON-ready data;
    nothing of another station. Logged."""
    station, author = author_of_station(user=actor, station_id=station_id, author_id=author_id)
    in_station = Q(session__station_id=station.pk)
    aired = Exists(AsRunEntry.objects.filter(question_id=OuterRef("pk")))
    questions = [
        {
            "id": q["id"],
            "session": q["session__slug"],
            "session_title": q["session__title"],
            "text": q["text"],
            "text_as_received": q["original_text"],
            "on_air_text": q["air_text"],
            "name": q["author_name"],
            "on_air_name": q["air_name"],
            "source": q["source"],
            "status": q["status"],
            "aired": q["aired"],
            "votes": q["vote_count"],
            "created_at": _iso(q["created_at"]),
            "approved_at": _iso(q["approved_at"]),
            "answered_at": _iso(q["answered_at"]),
        }
        for q in Question.objects.filter(in_station, author_id=author.pk)
        .annotate(aired=aired)
        .order_by("created_at", "id")
        .values(
            "id",
            "session__slug",
            "session__title",
            "text",
            "original_text",
            "air_text",
            "author_name",
            "air_name",
            "source",
            "status",
            "aired",
            "vote_count",
            "created_at",
            "approved_at",
            "answered_at",
        )
        .iterator(chunk_size=BATCH)
    ]
    entries = [
        {
            "draw": e["draw__title"],
            "session": e["draw__session__slug"],
            "question": e["question_id"],
            "winner_rank": e["winner_rank"],
        }
        for e in DrawEntry.objects.filter(draw__session__station_id=station.pk, author=author)
        .order_by("id")
        .values("draw__title", "draw__session__slug", "question_id", "winner_rank")
    ]
    voter = _voter_of(author)
    reports = []
    votes = 0
    if voter is not None:
        votes = Vote.objects.filter(question__session__station_id=station.pk, voter=voter).count()
        reports = [
            {
                "question": r["question_id"],
                "session": r["question__session__slug"],
                "created_at": _iso(r["created_at"]),
            }
            for r in AudienceReport.objects.filter(
                question__session__station_id=station.pk, reporter=voter
            )
            .order_by("created_at", "id")
            .values("question_id", "question__session__slug", "created_at")
        ]
    bans = [
        {"reason": b["reason"], "created_at": _iso(b["created_at"])}
        for b in Ban.objects.filter(station=station, author=author).values("reason", "created_at")
    ]
    data = {
        "station": station.name,
        "exported_at": _iso(timezone.now()),
        "author": {
            "id": author.pk,
            "platform": author.platform,
            "external_id": author.external_id,
            "display_name": author.display_name,
            "handle": author.handle,
            "avatar_url": author.avatar_url,
            "followers_count": author.followers_count,
            "created_at": _iso(author.created_at),
        },
        "questions": questions,
        "reports": reports,
        "draw_entries": entries,
        "votes_count": votes,
        "bans": bans,
    }
    PrivacyLogEntry.objects.create(  # type: ignore[misc]
        station=station,
        author_id=author.pk,
        action=PrivacyAction.EXPORT_AUTHOR,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        counts={
            "questions": len(questions),
            "reports": len(reports),
            "draw_entries": len(entries),
            "votes": votes,
        },
    )
    return data


def author_erase(*, actor: User, station_id: int, author_id: int) -> dict[str, int]:
    """Erase one author's data at the station (right to erasure), in every session of the
    station and in none of another station's: their names, handle and ids, the texts of their
    questions that never aired, their votes' and reports' voter id; a question of theirs that
    aired keeps its text, without their name. A ban at the station keeps matching them (their
    hashed id stays, their name goes). Logged with the counts."""
    station, author = author_of_station(user=actor, station_id=station_id, author_id=author_id)
    in_station = Q(session__station_id=station.pk)
    with transaction.atomic():
        counts = _erase_questions(
            Question.objects.filter(in_station, author_id=author.pk), keep_aired_name=False
        )
        voter = _voter_of(author)
        counts["votes"] = counts["reports"] = 0
        if voter is not None:
            token = _new_erased_id()
            counts["votes"] = Vote.objects.filter(
                question__session__station_id=station.pk, voter=voter
            ).update(voter=token)
            counts["reports"] = AudienceReport.objects.filter(
                question__session__station_id=station.pk, reporter=voter
            ).update(reporter=token)
        counts["draw_entries"] = DrawEntry.objects.filter(
            draw__session__station_id=station.pk, author=author
        ).count()
        other_stations = ~Q(session__station_id=station.pk)
        counts.update(
            _release_authors(
                [author.pk],
                in_scope=in_station,
                entries_in_scope=Q(draw__session__station_id=station.pk),
                used_elsewhere=Question.objects.filter(
                    other_stations, session__audience_data_erased_at__isnull=True
                ),
                entered_elsewhere=DrawEntry.objects.filter(
                    draw__session__audience_data_erased_at__isnull=True
                ).exclude(draw__session__station_id=station.pk),
                bans_elsewhere=Ban.objects.exclude(station=station),
                bans_kept=Ban.objects.filter(station=station),
            )
        )
        PrivacyLogEntry.objects.create(  # type: ignore[misc]
            station=station,
            author_id=author.pk,
            action=PrivacyAction.ERASE_AUTHOR,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            counts=counts,
        )
    return counts


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
