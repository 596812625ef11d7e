"""The bench's own PostgreSQL database and Redis database, and the checks read from them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import psycopg
import redis

from bench.config import DATABASE, DATABASE_URL, POSTGRES_ADMIN_URL, REDIS_URL


def recreate_database() -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def drop_database() -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def flush_redis() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


def stream_head(session_id: int, stream: str) -> int:
    """The last sequence number of a session's stream (0 before its first event)."""
    with psycopg.connect(DATABASE_URL) as conn:
        row = conn.execute(
            "SELECT last_seq FROM studio_eventstream WHERE session_id = %s AND stream = %s",
            (session_id, stream),
        ).fetchone()
    return row[0] if row else 0


@dataclass(frozen=True)
class VoteCheck:
    """Acknowledged votes against the rows in ``questions_vote``, per question.

    A voter's id is stored as a keyed hash, so the check compares counts: for each question, the
    votes the clients saw acknowledged must all be rows (``lost`` counts those missing), and the
    question's ``vote_count`` must equal its rows (``count_mismatches`` counts questions where it
    does not). ``unacknowledged_rows`` are votes stored whose answer the client never got in time
    (not lost: the voter may see them on reload).
    """

    acknowledged: int
    rows: int
    lost: int
    unacknowledged_rows: int
    count_mismatches: int


def check_votes(session_id: int, acknowledged: Counter) -> VoteCheck:
    with psycopg.connect(DATABASE_URL) as conn:
        rows = dict(
            conn.execute(
                "SELECT v.question_id, count(*) FROM questions_vote v "
                "JOIN questions_question q ON q.id = v.question_id "
                "WHERE q.session_id = %s GROUP BY v.question_id",
                (session_id,),
            ).fetchall()
        )
        counts = dict(
            conn.execute(
                "SELECT id, vote_count FROM questions_question WHERE session_id = %s",
                (session_id,),
            ).fetchall()
        )
    lost = sum(max(0, n - rows.get(q, 0)) for q, n in acknowledged.items())
    extra = sum(max(0, n - acknowledged.get(q, 0)) for q, n in rows.items())
    mismatches = sum(1 for q, count in counts.items() if count != rows.get(q, 0))
    return VoteCheck(
        acknowledged=sum(acknowledged.values()),
        rows=sum(rows.values()),
        lost=lost,
        unacknowledged_rows=extra,
        count_mismatches=mismatches,
    )
