"""A server process killed in the middle of a burst of votes: no acknowledged vote is lost, none
is counted twice, voters carry on on the other server, listeners of the killed server catch up
there by ``seq``, and every socket converges: its state equals a fresh snapshot."""

from __future__ import annotations

import secrets
from collections import Counter

import pytest

from tests.drills.state import StreamState, converge, fresh_view, read_pending
from tests.multiprocess.conftest import audience, collect_replies, vote_in_rounds

pytestmark = pytest.mark.postgres

VOTERS = 30
QUESTIONS = 40
KILL_AFTER_ACKS = VOTERS * QUESTIONS // 4
LISTENERS = 3


def test_votes_acknowledged_by_a_server_that_is_killed_are_kept_and_counted_once(cluster):
    session = cluster.new_session("crash-drill", approved=QUESTIONS, pending=2)
    questions = session.approved
    # Listeners of A follow the public stream; a console of B the crew stream.
    listeners = [audience(cluster.a, session) for _ in range(LISTENERS)]
    heard = [StreamState(listener.hello()) for listener in listeners]
    console = cluster.console(cluster.b, session)
    seen = StreamState(console.hello())
    _approve(console, seen, session.pending[0], "before")
    for listener, state in zip(listeners, heard, strict=True):
        for frame in listener.until(lambda f: f["type"] == "question"):
            assert state.apply(frame)
    tokens = [secrets.token_urlsafe(24) for _ in range(VOTERS)]
    # Each voter votes for every question, starting at its own place: every question is busy.
    plans = [questions[n:] + questions[:n] for n in range(VOTERS)]

    on_a = [audience(cluster.a, session, token) for token in tokens]
    for socket in on_a:
        socket.hello()

    try:
        replies_a = vote_in_rounds(
            on_a, plans, crash=cluster.a.kill, crash_after_acks=KILL_AFTER_ACKS
        )
        cluster.a.kill()  # if the burst ended first, the last votes are still in flight
        collect_replies(on_a, replies_a, expected=None)

        acked_on_a = {
            (tokens[n], r["question"])
            for n, rs in enumerate(replies_a)
            for r in rs
            if r["type"] == "ack"
        }
        refused = [r for rs in replies_a for r in rs if r["type"] == "error"]
        assert refused == []
        assert 0 < len(acked_on_a) < VOTERS * QUESTIONS, "A was not killed mid-burst"

        # Every acknowledged vote is in the database, and each question counts its rows.
        voter_ids = cluster.voter_ids(tokens)
        rows = set(
            cluster.sql(
                "SELECT voter, question_id FROM questions_vote WHERE question_id = ANY(%s)",
                (questions,),
            )
        )
        assert {(voter_ids[token], q) for token, q in acked_on_a} <= rows
        _assert_counts_match_rows(cluster, questions)

        # The listeners of A read what A sent before it died; meanwhile B makes a change.
        for listener, state in zip(listeners, heard, strict=True):
            read_pending(listener, state)
        _approve(console, seen, session.pending[1], "after")
        # They reconnect to B with the last seq they saw and are replayed what they missed
        # (the log holds it: no snapshot), then converge below.
        back = [audience(cluster.b, session) for _ in listeners]
        for listener, state in zip(back, heard, strict=True):
            last = state.seq
            listener.send("hello", {"seq": last})
            frames = listener.until(lambda f: f["type"] == "heartbeat")
            events = [f for f in frames if f["seq"] is not None and f["type"] != "heartbeat"]
            assert [f["seq"] for f in events] == list(range(last + 1, last + 1 + len(events)))
            assert events and events[-1]["data"]["id"] == session.pending[1], frames
            assert "snapshot" not in [f["type"] for f in frames]
            for frame in frames:
                assert state.apply(frame)

        # The voters come back on B and send every vote again, acknowledged or not.
        on_b = [audience(cluster.b, session, token) for token in tokens]
        for n, socket in enumerate(on_b):
            voted = set(socket.hello()["data"]["voted"])
            assert {q for token, q in acked_on_a if token == tokens[n]} <= voted
        replies_b = vote_in_rounds(on_b, plans)
        collect_replies(on_b, replies_b, expected=QUESTIONS)
        answers = Counter(
            r["type"] if r["type"] == "ack" else r["code"] for rs in replies_b for r in rs
        )
        assert set(answers) <= {"ack", "already_voted"}, answers
        already = {
            (tokens[n], int(r["id"]))
            for n, rs in enumerate(replies_b)
            for r in rs
            if r["type"] == "error"
        }
        assert acked_on_a <= already  # a vote acknowledged once is never taken a second time

        # Now every voter has exactly one vote on every question, counted once.
        per_question = dict(
            cluster.sql(
                "SELECT question_id, count(*) FROM questions_vote WHERE question_id = ANY(%s) "
                "GROUP BY question_id",
                (questions,),
            )
        )
        assert per_question == dict.fromkeys(questions, VOTERS)
        _assert_counts_match_rows(cluster, questions)
        # Every socket still open converges: the listeners that came over from A, and B's console,
        # which saw A's votes only through Redis until A died.
        public_now = fresh_view(lambda: audience(cluster.b, session))
        for listener, state in zip(back, heard, strict=True):
            converge(listener, state, public_now)
        converge(console, seen, fresh_view(lambda: cluster.console(cluster.b, session)))
        for socket in [*on_b, *back, console]:
            socket.close()
    finally:
        cluster.a.kill()
        cluster.a.start()


def _assert_counts_match_rows(cluster, questions: list[int]) -> None:
    mismatches = cluster.sql(
        "SELECT q.id, q.vote_count, count(v.id) FROM questions_question q "
        "LEFT JOIN questions_vote v ON v.question_id = q.id WHERE q.id = ANY(%s) "
        "GROUP BY q.id HAVING q.vote_count <> count(v.id)",
        (questions,),
    )
    assert mismatches == [], f"(question, vote_count, rows): {mismatches}"


def _approve(console, state: StreamState, question: int, id: str) -> None:
    console.send("approve", {"question": question}, id=id)
    frames = console.until(lambda f: f["type"] in ("ack", "error") and f["data"].get("id") == id)
    assert frames[-1]["type"] == "ack", frames[-1]
    for frame in frames:
        if not state.apply(frame):
            state.gaps += 1
            console.send("hello", {"seq": state.seq})
