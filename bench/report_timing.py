"""How long a session's report takes.

``python -m bench.report_timing [--questions 50000] [--runs 5]``:

Seeds one ended session of ``--questions`` questions into the configured database (SQLite by
default, PostgreSQL with ``DATABASE_URL``): a mix of sources, states and flags, about two votes
per question, the moderation log (an arrival per question, a decision for most) and a take every
two minutes in the as-run log, over a three-hour show. Rows are written with bulk_create.
Then times ``reports.figures.session_report`` ``--runs`` times, counts its queries, prints the
median, min and max beside the target (under one second) and writes
bench/results/report_timing.json. The seeded station is deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialroom.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Model  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.config import RESULTS_DIR  # noqa: E402
from bench.results import Figure, Figures  # noqa: E402
from bench.run import git_commit  # noqa: E402
from bench.seed import NAMES, OPENINGS, TOPICS, fast_password_hash  # noqa: E402
from bench.stats import percentile, rounded  # noqa: E402
from questions.models import Author, ModerationLogEntry, Question, Vote  # noqa: E402
from reports.figures import session_report  # noqa: E402
from studio.models import AsRunEntry, LiveSession, Membership, Role, Station  # noqa: E402

TARGET_MS = 1000.0
SHOW_MINUTES = 180
RESULTS_PATH = RESULTS_DIR / "report_timing.json"

# source, author platform, weight
SOURCES = [
    ("web", "web", 40),
    ("sms", "sms", 15),
    ("social:mastodon", "mastodon", 20),
    ("social:bluesky", "bluesky", 15),
    ("social:threads", "threads", 5),
    ("manual", "", 5),
]
# final status, weight; approved, on air and answered ones were approved by a moderator
STATUSES = [("pending", 15), ("approved", 40), ("rejected", 20), ("archived", 25)]
FLAGS = ["profanity", "link", "personal_data", "shouting", "flood", "duplicate"]
REASONS = ["", "", "Off topic", "Already asked", "Abusive"]
BATCH = 2000
HASHTAGS = [topic.split()[-1] for topic in TOPICS]


@contextlib.contextmanager
def stamped_by_hand(*models: type[Model]) -> Iterator[None]:
    """Lets bulk_create keep the ``created_at`` given: the seeded show happened hours ago."""
    fields = [m._meta.get_field("created_at") for m in models]
    saved = [f.auto_now_add for f in fields]  # type: ignore[union-attr]
    for f in fields:
        f.auto_now_add = False  # type: ignore[union-attr]
    try:
        yield
    finally:
        for f, value in zip(fields, saved, strict=True):
            f.auto_now_add = value  # type: ignore[union-attr]


def _pick(rng: random.Random, table: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    return rng.choices(table, weights=[row[-1] for row in table])[0]


@transaction.atomic
def seed(count: int, rng: random.Random) -> tuple[LiveSession, dict[str, int]]:
    suffix = f"{int(time.time())}-{rng.randrange(10**6)}"
    station = Station.objects.create(name="Report bench FM", slug=f"report-bench-{suffix}")
    crew = []
    for n, role in enumerate([Role.PRODUCER, Role.MODERATOR, Role.MODERATOR, Role.HOST]):
        user = get_user_model().objects.create(
            username=f"report-bench-{suffix}-{n}", password=fast_password_hash("unused")
        )
        Membership.objects.create(station=station, user=user, role=role)
        crew.append(user)
    producer, mona, nina, host = crew
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=4)
    session = LiveSession.objects.create(
        station=station,
        title="Report bench",
        slug=f"report-bench-{suffix}",
        status="ended",
        started_at=start,
        ended_at=start + timedelta(minutes=SHOW_MINUTES),
        created_by=producer,
    )

    authors: dict[str, list[Author]] = {}
    for _source, platform_name, _weight in SOURCES:
        if not platform_name:
            continue
        social = platform_name not in ("web", "sms")
        rows = [
            Author(
                platform=platform_name,
                external_id=f"{suffix}-{platform_name}-{n}",
                display_name=f"{rng.choice(NAMES)} {n}",
                handle=f"@{platform_name}{n}" if social else "",
                followers_count=(int(rng.paretovariate(1.2) * 40) if rng.random() < 0.8 else None)
                if social
                else None,
            )
            for n in range(max(1, count // 25))
        ]
        authors[platform_name] = Author.objects.bulk_create(rows, batch_size=BATCH)

    questions = []
    for _ in range(count):
        source, platform_name, _w = _pick(rng, SOURCES)
        status = _pick(rng, STATUSES)[0]
        author = rng.choice(authors[platform_name]) if platform_name else None
        flagged = rng.random() < 0.1
        questions.append(
            Question(
                session=session,
                text=f"{rng.choice(OPENINGS)} {rng.choice(TOPICS)}? #{rng.choice(HASHTAGS)}",
                author=author,
                author_name=author.display_name if author else "Studio",
                source=source,
                status=status,
                flags=[{"code": rng.choice(FLAGS), "reason": "seeded"}] if flagged else [],
                created_at=start + timedelta(seconds=rng.uniform(0, SHOW_MINUTES * 60)),
            )
        )
    questions.sort(key=lambda q: q.created_at)
    with stamped_by_hand(Question, Vote, ModerationLogEntry):
        Question.objects.bulk_create(questions, batch_size=BATCH)

        # A take every two minutes, of one of the last approved questions to arrive before it.
        public = [q for q in questions if q.status == "approved"]
        takes = []
        taken: set[int] = set()
        arrived = 0
        for minute in range(2, SHOW_MINUTES, 2):
            at = start + timedelta(minutes=minute)
            while arrived < len(public) and public[arrived].created_at < at:
                arrived += 1
            ready = [q for q in public[max(0, arrived - 50) : arrived] if q.pk not in taken]
            if not ready:
                continue
            question = rng.choice(ready)
            taken.add(question.pk)
            question.status = "answered"
            takes.append(
                AsRunEntry(
                    session=session,
                    question=question,
                    taken_by=host,
                    taken_at=at,
                    ended_by=host,
                    ended_at=at + timedelta(seconds=rng.uniform(30, 115)),
                    outcome=rng.choice(["answered", "replaced"]),
                )
            )
        AsRunEntry.objects.bulk_create(takes)
        Question.objects.filter(pk__in=taken).update(status="answered")

        log = []
        for q in questions:
            log.append(
                ModerationLogEntry(
                    session=session,
                    question=q,
                    action="submit",
                    to_status="pending",
                    created_at=q.created_at,
                )
            )
            if q.status == "pending":
                continue
            decided = q.created_at + timedelta(seconds=rng.expovariate(1 / 45))
            rejected = q.status == "rejected"
            log.append(
                ModerationLogEntry(
                    session=session,
                    question=q,
                    actor=rng.choice([mona, nina]),
                    action="reject" if rejected else "approve",
                    from_status="pending",
                    to_status="rejected" if rejected else "approved",
                    reason=rng.choice(REASONS) if rejected else "",
                    created_at=decided,
                )
            )
        ModerationLogEntry.objects.bulk_create(log, batch_size=BATCH)

        # About two votes per question, on those the audience could see, most on a few.
        visible = [q for q in questions if q.status in ("approved", "answered", "archived")]
        votes = []
        end = start + timedelta(minutes=SHOW_MINUTES)
        for _voter in range(count // 5 or 1):
            voter = f"{rng.getrandbits(256):064x}"
            for q in {rng.choice(visible[: max(1, len(visible) // 10)]) for _ in range(5)} | {
                rng.choice(visible) for _ in range(5)
            }:
                when = q.created_at + timedelta(seconds=rng.uniform(0, 600))
                votes.append(Vote(question=q, voter=voter, created_at=min(when, end)))
        Vote.objects.bulk_create(votes, batch_size=BATCH)
    _store_vote_counts(session)
    return session, {
        "questions": count,
        "votes": len(votes),
        "moderation_log": len(log),
        "as_run": len(takes),
    }


def _store_vote_counts(session: LiveSession) -> None:
    """vote_count = the question's votes, in one UPDATE."""
    table = Question._meta.db_table
    votes = Vote._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET vote_count = (SELECT COUNT(*) FROM {votes} v "  # noqa: S608
            f"WHERE v.question_id = {table}.id) WHERE session_id = %s",
            [session.pk],
        )


def measure(session: LiveSession, runs: int) -> tuple[list[float], int]:
    session = LiveSession.objects.select_related("station").get(pk=session.pk)
    with CaptureQueriesContext(connection) as captured:
        session_report(session)
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        session_report(session)
        timings.append((time.perf_counter() - began) * 1000)
    return timings, len(captured.captured_queries)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--keep", action="store_true", help="keep the seeded station")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)  # noqa: S311 - sample data, the same every run
    began = time.perf_counter()
    session, seeded = seed(args.questions, rng)
    seed_seconds = time.perf_counter() - began
    print(
        f"seeded {seeded['questions']:,} questions, {seeded['votes']:,} votes, "
        f"{seeded['moderation_log']:,} moderation log entries, {seeded['as_run']} takes "
        f"on {connection.vendor} in {seed_seconds:.1f} s"
    )
    try:
        timings, queries = measure(session, args.runs)
    finally:
        if not args.keep:
            session.station.delete()
            Author.objects.filter(
                external_id__startswith=f"{session.slug.removeprefix('report-bench-')}-"
            ).delete()
            get_user_model().objects.filter(username__startswith="report-bench-").delete()
    results = Figures()
    results.add(
        Figure(
            "report_ms",
            f"session_report(), {args.questions:,} questions (median of {args.runs})",
            "ms",
            rounded(percentile(timings, 50)),
            target=f"<= {TARGET_MS:g}",
            details={"min": rounded(min(timings)), "max": rounded(max(timings))},
        )
    )
    results.add(Figure("report_queries", "queries per report", "queries", queries))
    results.samples["report_ms"] = [round(t, 3) for t in timings]
    commit, dirty = git_commit()
    output = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "git_commit": commit,
            "git_dirty": dirty,
            "database": connection.vendor,
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "runs": args.runs,
            "seed_seconds": round(seed_seconds, 1),
            "seeded": seeded,
        },
        **results.as_json(),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(json.dumps(output, indent=1))
    median = percentile(timings, 50) or 0.0
    print(
        f"session_report on {connection.vendor}: median {median:.0f} ms, "
        f"min {min(timings):.0f} ms, max {max(timings):.0f} ms over {args.runs} runs "
        f"(target < {TARGET_MS:.0f} ms: {'meets' if median < TARGET_MS else 'MISSES'}); "
        f"{queries} queries"
    )
    print(RESULTS_PATH)
    return 0


if __name__ == "__main__":
    sys.exit(main())
