"""One voter on both server processes at once still votes once per question, and every console
ends on the true counts."""

from __future__ import annotations

import secrets
from collections import Counter

import pytest

from tests.multiprocess.conftest import audience, collect_replies, vote_in_rounds

pytestmark = pytest.mark.postgres

VOTERS = 15
QUESTIONS = 20


def test_a_voter_voting_on_both_servers_at_once_is_counted_once_and_consoles_agree(cluster):
    session = cluster.new_session("both-servers-votes", approved=QUESTIONS)
    questions = session.approved
    consoles = [cluster.console(server, session) for server in (cluster.a, cluster.b)]
    for console in consoles:
        console.hello()

    # Each voter has a socket on A and one on B (two tabs, sent to different processes), and
    # sends the same votes on both at the same moment.
    sockets, plans = [], []
    for n in range(VOTERS):
        token = secrets.token_urlsafe(24)
        plan = questions[n:] + questions[:n]
        for server in (cluster.a, cluster.b):
            socket = audience(server, session, token)
            socket.hello()
            sockets.append(socket)
            plans.append(plan)
    received = vote_in_rounds(sockets, plans)
    collect_replies(sockets, received, expected=QUESTIONS)

    for n in range(VOTERS):
        on_a, on_b = received[2 * n], received[2 * n + 1]
        outcomes = Counter()
        for reply in on_a + on_b:
            outcomes[reply["type"] if reply["type"] == "ack" else reply["code"]] += 1
        assert outcomes == {"ack": QUESTIONS, "already_voted": QUESTIONS}, outcomes
        acked = sorted(r["question"] for r in on_a + on_b if r["type"] == "ack")
        assert acked == sorted(questions)  # one acknowledgement per question, on A or on B

    rows = dict(
        cluster.sql(
            "SELECT q.id, count(v.id) FROM questions_question q "
            "LEFT JOIN questions_vote v ON v.question_id = q.id "
            "WHERE q.id = ANY(%s) AND q.vote_count = %s GROUP BY q.id",
            (questions, VOTERS),
        )
    )
    assert rows == dict.fromkeys(questions, VOTERS)

    # Both consoles, one on each process, end up showing every question's true count.
    for console in consoles:
        shown: dict[str, int] = {}

        def all_counted(frame, shown=shown) -> bool:
            if frame["type"] == "votes":
                shown.update(frame["data"]["counts"])
            return shown == {str(q): VOTERS for q in questions}

        console.until(all_counted)
        console.close()
    for socket in sockets:
        socket.close()
