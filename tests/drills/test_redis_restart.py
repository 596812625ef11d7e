"""Drill: Redis restarts during a show served by two Daphne processes. Votes on audience sockets
of both processes go on; every acknowledged vote is stored; and every socket that was open —
consoles and listeners, on both processes — converges without a reload: its state equals a fresh
snapshot, before Redis is back (from the event log) and after (through Redis again).

The servers run on a Redis server of this test's own (tests/resilience/test_redis_outage.py),
never the machine's, and on the suite's PostgreSQL."""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator

import pytest

from tests.drills.state import StreamState, converge, fresh_view
from tests.live_server import LiveStudio
from tests.multiprocess.conftest import (
    NEW_SESSION,
    SERVER_ENV,
    SETUP,
    Session,
    Socket,
    _require_postgres_and_redis,
    audience,
    collect_replies,
    vote_in_rounds,
)
from tests.resilience.test_redis_outage import REDIS_SERVER, PrivateRedis

pytestmark = pytest.mark.postgres

VOTERS = 8  # per server
QUESTIONS = 12
# The public heartbeat, when a listener of one process learns from the log what the other did
# while Redis was down; short here so the drill converges in a few seconds.
PUBLIC_HEARTBEAT = 2
CONVERGE_WITHIN = 30


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[tuple[LiveStudio, LiveStudio, PrivateRedis, str]]:
    _require_postgres_and_redis()
    if REDIS_SERVER is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("redis-server is needed for the Redis restart drill", pytrace=False)
        pytest.skip("redis-server is not installed")
    folder = tmp_path_factory.mktemp("redis-restart")
    redis = PrivateRedis(folder)
    redis.start()
    a = LiveStudio(
        folder,
        database_prefix="sr_redis_restart",
        env=SERVER_ENV
        | {"REDIS_URL": redis.url, "EVENT_PUBLIC_HEARTBEAT_SECONDS": str(PUBLIC_HEARTBEAT)},
        name="server-a",
    )
    b = a.sibling("server-b")
    try:
        a.manage("migrate", "--noinput")
        crew_cookie = a.shell(SETUP).strip().splitlines()[-1]
        a.launch()
        b.launch()
        a.wait_until_ready()
        b.wait_until_ready()
        yield a, b, redis, crew_cookie
    finally:
        a.stop()
        b.stop()
        redis.stop()
        a.drop_database()


def _console(server: LiveStudio, session: Session, crew_cookie: str) -> Socket:
    return Socket(
        server, f"/ws/console/{session.slug}/", cookies={"sessionid": crew_cookie}, origin=True
    )


def _command(console: Socket, state: StreamState, type_: str, question: int, id: str) -> None:
    console.send(type_, {"question": question}, id=id)
    frames = console.until(lambda f: f["type"] in ("ack", "error") and f["data"].get("id") == id)
    assert frames[-1]["type"] == "ack", frames[-1]
    for frame in frames:
        if not state.apply(frame):
            state.gaps += 1
            console.send("hello", {"seq": state.seq})


def _acked(tokens: list[str], replies: list[list[dict]]) -> set[tuple[str, int]]:
    return {
        (tokens[n], r["question"]) for n, rs in enumerate(replies) for r in rs if r["type"] == "ack"
    }


def test_a_redis_restart_loses_no_acknowledged_vote_and_every_socket_converges(servers):
    a, b, redis, crew_cookie = servers
    created = json.loads(
        a.shell(NEW_SESSION.format(slug="redis-restart", approved=QUESTIONS, pending=3))
        .strip()
        .splitlines()[-1]
    )
    session = Session("redis-restart", created["id"], created["approved"], created["pending"])
    questions = session.approved

    consoles = {server.name: _console(server, session, crew_cookie) for server in (a, b)}
    seen = {name: StreamState(console.hello()) for name, console in consoles.items()}
    listeners = {server.name: audience(server, session) for server in (a, b)}
    heard = {name: StreamState(listener.hello()) for name, listener in listeners.items()}
    tokens = {s.name: [secrets.token_urlsafe(24) for _ in range(VOTERS)] for s in (a, b)}
    voters = {s.name: [audience(s, session, t) for t in tokens[s.name]] for s in (a, b)}
    for sockets in voters.values():
        for socket in sockets:
            socket.hello()
    half = QUESTIONS // 2
    # Each voter votes for half the questions before the restart, the other half during it.
    plans_before = [questions[n % 2 :: 2][:half] for n in range(VOTERS)]
    plans_during = [questions[(n + 1) % 2 :: 2][:half] for n in range(VOTERS)]

    acked: set[tuple[str, int]] = set()
    for name, sockets in voters.items():
        replies = vote_in_rounds(sockets, plans_before)
        collect_replies(sockets, replies, expected=half)
        acked |= _acked(tokens[name], replies)
    _command(consoles["server-a"], seen["server-a"], "approve", session.pending[0], "before")

    redis.stop()

    # Commands on A: every socket, on B too, has them from the event log at its heartbeat.
    _command(consoles["server-a"], seen["server-a"], "approve", session.pending[1], "during")
    _command(consoles["server-a"], seen["server-a"], "take", session.pending[1], "take")
    _converge_all(a, b, session, crew_cookie, consoles, seen, listeners, heard)
    # Then votes on both processes: answered and stored all the same.
    for name, sockets in voters.items():
        replies = vote_in_rounds(sockets, plans_during)
        collect_replies(sockets, replies, expected=half)
        refused = [r for rs in replies for r in rs if r["type"] == "error"]
        assert refused == [], refused
        acked |= _acked(tokens[name], replies)
    time.sleep(2 * PUBLIC_HEARTBEAT)  # a few heartbeats: nothing in the log brings the counts

    redis.start()

    # Without a reload, and with no further change to carry them, every socket's state comes
    # to equal a fresh snapshot: the commands, and the counts of the votes made during the
    # outage (no count frame could reach any socket while Redis was down).
    _converge_all(a, b, session, crew_cookie, consoles, seen, listeners, heard)
    # Through Redis again: a change on B reaches every socket, which all converge.
    _command(consoles["server-b"], seen["server-b"], "approve", session.pending[2], "after")
    _converge_all(a, b, session, crew_cookie, consoles, seen, listeners, heard)

    # Nothing acknowledged was lost, and every count equals its votes.
    voter_ids = {}
    for server_tokens in tokens.values():
        voter_ids |= _voter_ids(a, server_tokens)
    assert len(acked) == 2 * VOTERS * QUESTIONS  # every vote was acknowledged
    query = "SELECT voter, question_id FROM questions_vote WHERE question_id = ANY(%s)"
    rows = set(_sql(a, query, questions))
    assert {(voter_ids[t], q) for t, q in acked} <= rows
    assert len(rows) == len(acked)
    mismatches = _sql(
        a,
        "SELECT q.id FROM questions_question q LEFT JOIN questions_vote v "
        "ON v.question_id = q.id WHERE q.id = ANY(%s) GROUP BY q.id "
        "HAVING q.vote_count <> count(v.id)",
        questions,
    )
    assert mismatches == []
    for socket in [*consoles.values(), *listeners.values(), *voters["server-a"]]:
        socket.close()
    for socket in voters["server-b"]:
        socket.close()
    for server in (a, b):
        assert "Internal Server Error" not in server.log()


def _converge_all(a, b, session, crew_cookie, consoles, seen, listeners, heard) -> None:
    for server in (a, b):
        console_now = fresh_view(lambda server=server: _console(server, session, crew_cookie))
        converge(consoles[server.name], seen[server.name], console_now, CONVERGE_WITHIN)
        public_now = fresh_view(lambda server=server: audience(server, session))
        converge(listeners[server.name], heard[server.name], public_now, CONVERGE_WITHIN)


def _sql(server: LiveStudio, query: str, questions: list[int]) -> list[tuple]:
    import psycopg

    with psycopg.connect(server.env["DATABASE_URL"], autocommit=True) as conn:
        return conn.execute(query, (questions,)).fetchall()


def _voter_ids(server: LiveStudio, tokens: list[str]) -> dict[str, str]:
    from django.test import override_settings

    from questions.voters import voter_from_token

    secret = (server.env.get("SECRET_KEY") or (server.data_dir / "secret_key").read_text()).strip()
    with override_settings(SECRET_KEY=secret):
        return {token: voter_from_token(token) for token in tokens}
