"""A server process killed in the middle of a burst of votes: no acknowledged vote is lost, none
is counted twice, and voters carry on on the other server."""

from __future__ import annotations

import secrets
from collections import Counter

import pytest

from tests.multiprocess.conftest import audience, collect_replies, vote_in_rounds

pytestmark = pytest.mark.postgres

VOTERS = 30
QUESTIONS = 40
KILL_AFTER_ACKS = VOTERS * QUESTIONS // 4


def test_votes_acknowledged_by_a_server_that_is_killed_are_kept_and_counted_once(cluster):
    session = cluster.new_session("crash-drill", approved=QUESTIONS)
    questions = session.approved
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
        for socket in on_b:
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
