"""The figures of a session's report, computed in the database in a fixed number of queries.

``session_report`` never loads every question or vote: counts come from GROUP BY queries,
percentiles from a window function over the sorted values, and the lists (as-run, top
questions, contributors, reach) are bounded. The number of queries does not depend on the size
of the session (the tests assert it). docs/report.md defines every figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    Func,
    Max,
    OuterRef,
    Q,
    Sum,
)
from django.db.models.functions import Trunc
from django.utils import timezone

from questions.models import (
    ERASED_ID_PREFIX,
    Author,
    ModerationAction,
    ModerationLogEntry,
    Question,
    QuestionStatus,
    Vote,
)
from questions.sources import SOURCE_BUCKETS, source_bucket
from questions.trending import trending_terms
from studio.models import AsRunEntry, LiveSession, SessionStatus

TOP_LIMIT = 10
# Statuses of a question that passed moderation.
PASSED = (QuestionStatus.APPROVED, QuestionStatus.ON_AIR, QuestionStatus.ANSWERED)
# Moderation log actions counted as "other" for a moderator: everything a moderator does to a
# question besides approving and rejecting it (arrivals and the air are not moderation).
OTHER_MODERATION = (
    ModerationAction.REOPEN,
    ModerationAction.EDIT,
    ModerationAction.STAR,
    ModerationAction.UNSTAR,
    ModerationAction.AIM,
    ModerationAction.HOLD,
    ModerationAction.REQUEUE,
    ModerationAction.ARCHIVE,
    ModerationAction.BAN,
    ModerationAction.UNBAN,
)
DECISIONS = (ModerationAction.APPROVE, ModerationAction.REJECT)


def iso(value: datetime | None) -> str | None:
    """An aware datetime as an ISO-8601 string in UTC; None stays None."""
    return value.astimezone(UTC).isoformat() if value is not None else None


def _minute(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(second=0, microsecond=0)


def _zeros() -> dict[str, int]:
    return dict.fromkeys(SOURCE_BUCKETS, 0)


# The arrival and first event of each question that has one, from either log (one GROUP BY).
_FIRST_DECISION = (
    "SELECT question_id, MIN(created_at) AS first_at "  # noqa: S608
    f"FROM {ModerationLogEntry._meta.db_table} "
    "WHERE session_id = %s AND question_id IS NOT NULL AND action IN ('approve', 'reject') "
    "GROUP BY question_id"
)
_FIRST_TAKE = (
    f"SELECT question_id, MIN(taken_at) AS first_at FROM {AsRunEntry._meta.db_table} "  # noqa: S608
    "WHERE session_id = %s GROUP BY question_id"
)


def _seconds_between(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"(julianday({later}) - julianday({earlier})) * 86400.0"


def waits(first_events_sql: str, session_id: int) -> dict[str, Any]:
    """Count, median and p90 of the seconds from a question's arrival to its first event, in
    one query: nearest rank on the sorted values (the value at rank ceil(p·n), 1-based), read
    with a window function, without loading the values."""
    seconds = _seconds_between("d.first_at", "q.created_at")
    sql = (
        f"WITH waits AS (SELECT {seconds} AS w, q.id AS id FROM ({first_events_sql}) d "  # noqa: S608
        f"JOIN {Question._meta.db_table} q ON q.id = d.question_id), "
        "ranked AS (SELECT w, ROW_NUMBER() OVER (ORDER BY w, id) AS rn, COUNT(*) OVER () AS n "
        "FROM waits) "
        "SELECT n, rn, w FROM ranked WHERE rn = (n * 50 + 99) / 100 OR rn = (n * 90 + 99) / 100"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_id])
        rows = cursor.fetchall()
    if not rows:
        return {"count": 0, "median": None, "p90": None}
    count = int(rows[0][0])
    at_rank = {int(rn): round(float(w), 3) for _n, rn, w in rows}
    return {
        "count": count,
        "median": at_rank[(count * 50 + 99) // 100],
        "p90": at_rank[(count * 90 + 99) // 100],
    }


class MinuteUTC(Func):
    """The minute of a datetime in UTC as text, "YYYY-MM-DD HH:MM", computed by the database
    itself (Django's Trunc calls back into Python for every row on SQLite)."""

    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite holds datetimes as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]".
        return self.as_sql(compiler, connection, template="substr(%(expressions)s, 1, 16)")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')",
        )


def _parse_minute(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return _minute(value)
    return datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def _minute_of(field: str) -> Func:
    if connection.vendor in ("sqlite", "postgresql"):
        return MinuteUTC(field)
    # In UTC whatever the active time zone: minutes line up the same on every database.
    return Trunc(field, "minute", tzinfo=UTC)


def _flag_counts(session_id: int) -> list[dict[str, Any]]:
    """How many questions carry each flag code, most frequent first (one query)."""
    table = Question._meta.db_table
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT e.value ->> 'code' AS code, COUNT(DISTINCT q.id) AS n "  # noqa: S608
            f"FROM {table} q CROSS JOIN LATERAL jsonb_array_elements("
            "CASE WHEN jsonb_typeof(q.flags) = 'array' THEN q.flags ELSE '[]'::jsonb END) e "
            "WHERE q.session_id = %s GROUP BY 1"
        )
    else:
        sql = (
            f"SELECT json_extract(e.value, '$.code') AS code, COUNT(DISTINCT q.id) AS n "  # noqa: S608
            f"FROM {table} q, json_each(q.flags) e "
            "WHERE q.session_id = %s AND json_type(q.flags) = 'array' GROUP BY 1"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_id])
        rows = [(code, n) for code, n in cursor.fetchall() if code]
    rows.sort(key=lambda row: (-row[1], row[0]))
    return [{"code": code, "count": n} for code, n in rows]


def _question_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "text": row["text"],
        "name": row["author_name"],
        "source": source_bucket(row["source"]),
        "status": row["status"],
        "votes": row["vote_count"],
    }


def _top_questions(session: LiveSession) -> dict[str, list[dict[str, Any]]]:
    aired = Exists(AsRunEntry.objects.filter(question_id=OuterRef("pk")))
    base = Question.objects.filter(session=session).order_by("-vote_count", "created_at", "id")
    fields = ("id", "text", "author_name", "source", "status", "vote_count")
    return {
        "aired": [_question_row(r) for r in base.filter(aired).values(*fields)[:TOP_LIMIT]],
        "not_aired": [_question_row(r) for r in base.filter(~aired).values(*fields)[:TOP_LIMIT]],
    }


def _top_contributors(session: LiveSession) -> list[dict[str, Any]]:
    # Grouped by author id alone, then the ten authors read by id: grouping by their profile
    # columns as well costs more than the second query.
    rows = list(
        Question.objects.filter(session=session, author__isnull=False)
        .values("author_id")
        .annotate(
            questions=Count("id"),
            approved=Count("id", filter=Q(status__in=PASSED)),
            vote_total=Sum("vote_count"),
            # The name the author last signed with, when the profile has none.
            signed=Max("author_name"),
        )
        .order_by("-questions", "-vote_total", "author_id")[:TOP_LIMIT]
    )
    profiles = {
        a["id"]: a
        for a in Author.objects.filter(pk__in=[r["author_id"] for r in rows]).values(
            "id", "display_name", "handle", "platform", "followers_count", "external_id"
        )
    }
    return [
        {
            # An author made anonymous (docs/privacy.md) has no name, not even a signed one.
            "name": ""
            if profiles[r["author_id"]]["external_id"].startswith(ERASED_ID_PREFIX)
            else profiles[r["author_id"]]["display_name"] or r["signed"] or "",
            "handle": profiles[r["author_id"]]["handle"],
            "platform": profiles[r["author_id"]]["platform"],
            "questions": r["questions"],
            "approved": r["approved"],
            "votes": r["vote_total"] or 0,
            "followers": profiles[r["author_id"]]["followers_count"],
        }
        for r in rows
    ]


def _reach(session: LiveSession) -> dict[str, Any]:
    # From the session's questions (its index), not from every author of every session.
    social = Author.objects.filter(
        pk__in=Question.objects.filter(session=session, source__startswith="social:").values(
            "author_id"
        )
    )
    totals = social.aggregate(
        authors=Count("id"),
        known=Count("id", filter=Q(followers_count__isnull=False)),
        followers=Sum("followers_count"),
    )
    top = social.filter(followers_count__isnull=False).order_by("-followers_count", "id")
    return {
        "social_authors": totals["authors"],
        "known": totals["known"],
        "followers_total": totals["followers"] or 0,
        "top": [
            {
                "name": r["display_name"],
                "handle": r["handle"],
                "platform": r["platform"],
                "followers": r["followers_count"],
            }
            for r in top.values("display_name", "handle", "platform", "followers_count")[:TOP_LIMIT]
        ],
    }


def _moderators(session: LiveSession) -> list[dict[str, Any]]:
    decided = Q(action__in=(ModerationAction.APPROVE, ModerationAction.SUBMIT))
    refused = Q(action__in=(ModerationAction.REJECT, ModerationAction.SUBMIT))
    rows = (
        ModerationLogEntry.objects.filter(session=session)
        .values("actor__username")
        .annotate(
            approved=Count("id", filter=decided & Q(to_status=QuestionStatus.APPROVED)),
            rejected=Count("id", filter=refused & Q(to_status=QuestionStatus.REJECTED)),
            other=Count("id", filter=Q(action__in=OTHER_MODERATION)),
        )
        .order_by("actor__username")
    )
    out = [
        {
            "username": r["actor__username"] or "",
            "approved": r["approved"],
            "rejected": r["rejected"],
            "other": r["other"],
        }
        for r in rows
        if r["approved"] or r["rejected"] or r["other"]
    ]
    out.sort(key=lambda r: (-(r["approved"] + r["rejected"] + r["other"]), r["username"]))
    return out


def _reject_reasons(session: LiveSession) -> list[dict[str, Any]]:
    rows = (
        ModerationLogEntry.objects.filter(
            session=session,
            action__in=(ModerationAction.REJECT, ModerationAction.SUBMIT),
            to_status=QuestionStatus.REJECTED,
        )
        .values("reason")
        .annotate(n=Count("id"))
        .order_by("-n", "reason")
    )
    return [{"reason": r["reason"], "count": r["n"]} for r in rows]


def _as_run(session: LiveSession) -> list[dict[str, Any]]:
    rows = (
        AsRunEntry.objects.filter(session=session)
        .order_by("taken_at", "id")
        .values(
            "question_id",
            "question__text",
            "question__air_text",
            "question__author_name",
            "question__air_name",
            "question__source",
            "taken_at",
            "ended_at",
            "taken_by__username",
            "ended_by__username",
            "outcome",
        )
    )
    return [
        {
            "question_id": r["question_id"],
            "text": r["question__air_text"] or r["question__text"],
            "name": r["question__air_name"] or r["question__author_name"],
            "source": source_bucket(r["question__source"]),
            "taken_at": iso(r["taken_at"]),
            "ended_at": iso(r["ended_at"]),
            "duration_seconds": (
                (r["ended_at"] - r["taken_at"]).total_seconds() if r["ended_at"] else None
            ),
            "taken_by": r["taken_by__username"] or "",
            "ended_by": r["ended_by__username"] or "",
            "outcome": r["outcome"],
        }
        for r in rows
    ]


def _minutes(start: datetime, end: datetime) -> Iterable[datetime]:
    at = start
    while at <= end:
        yield at
        at += timedelta(minutes=1)


def session_report(session: LiveSession, *, now: datetime | None = None) -> dict[str, Any]:
    """Every figure of the session's report, JSON-serialisable (the shape of docs/report.md).

    Reads the database in a fixed number of queries, whatever the number of questions and
    votes; holds no voter id, phone hash or author external id.
    """
    now = now or timezone.now()
    questions = Question.objects.filter(session=session)
    votes = Vote.objects.filter(question__session=session)

    # Totals, by status and source, and the first and last minute with a question.
    by_status = dict.fromkeys(QuestionStatus.values, 0)
    by_source = _zeros()
    per_minute_questions: dict[datetime, dict[str, int]] = {}
    for row in (
        questions.annotate(minute=_minute_of("created_at"))
        .values("minute", "status", "source")
        .annotate(n=Count("id"))
        .order_by()
    ):
        bucket = source_bucket(row["source"])
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
        by_source[bucket] += row["n"]
        minute = _parse_minute(row["minute"])
        per_minute_questions.setdefault(minute, _zeros())[bucket] += row["n"]

    per_minute_votes = {
        _parse_minute(row["minute"]): row["n"]
        for row in votes.annotate(minute=_minute_of("created_at"))
        .values("minute")
        .annotate(n=Count("id"))
        .order_by()
    }
    # COUNT over SELECT DISTINCT, which PostgreSQL hashes, rather than COUNT(DISTINCT), which it
    # sorts.
    voters = votes.values("voter").distinct().count()

    counts = questions.aggregate(
        authors=Count("author", distinct=True),
        flagged=Count("id", filter=~Q(flags=[])),
    )

    as_run = _as_run(session)

    takes = [_minute(datetime.fromisoformat(r["taken_at"])) for r in as_run]
    active = [*per_minute_questions, *per_minute_votes, *takes]
    start = min(active) if active else None
    end = max(active) if active else None
    if session.status == SessionStatus.LIVE:
        end = max(end, _minute(now)) if end else _minute(now)
        start = start or end
    per_minute = []
    if start is not None and end is not None:
        for minute in _minutes(start, end):
            sources = per_minute_questions.get(minute, _zeros())
            per_minute.append(
                {
                    "minute": iso(minute),
                    "by_source": sources,
                    "total": sum(sources.values()),
                    "votes": per_minute_votes.get(minute, 0),
                }
            )

    return {
        "session": {
            "id": session.pk,
            "slug": session.slug,
            "title": session.title,
            "status": session.status,
            "station": session.station.name,
        },
        "generated_at": iso(now),
        "window": {"start": iso(start), "end": iso(end), "minutes": len(per_minute)},
        "sources": list(SOURCE_BUCKETS),
        "totals": {
            "questions": sum(by_status.values()),
            "by_status": by_status,
            "by_source": by_source,
            "votes": sum(per_minute_votes.values()),
            "voters": voters,
            "authors": counts["authors"],
        },
        "per_minute": per_minute,
        "on_air_marks": [
            {"question_id": r["question_id"], "taken_at": r["taken_at"], "ended_at": r["ended_at"]}
            for r in as_run
        ],
        "moderation": {
            "approved": sum(by_status[s] for s in PASSED),
            "rejected": by_status[QuestionStatus.REJECTED],
            "flagged": counts["flagged"],
            "pending": by_status[QuestionStatus.PENDING],
            "reject_reasons": _reject_reasons(session),
            "flags": _flag_counts(session.pk),
            "decision_seconds": waits(_FIRST_DECISION, session.pk),
            "air_seconds": waits(_FIRST_TAKE, session.pk),
            "by_moderator": _moderators(session),
        },
        "as_run": as_run,
        "top_questions": _top_questions(session),
        "top_contributors": _top_contributors(session),
        "reach": _reach(session),
        "trending": trending_terms(session, now=now),
    }
