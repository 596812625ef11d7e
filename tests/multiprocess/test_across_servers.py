"""What one server process does reaches the sockets of another, through Redis."""

from __future__ import annotations

import secrets

import pytest

from tests.multiprocess.conftest import audience, post_vote

pytestmark = pytest.mark.postgres


def _votes_for(question: int, count: int):
    return lambda f: f["type"] == "votes" and f["data"]["counts"].get(str(question)) == count


def test_a_vote_cast_over_http_on_one_server_reaches_a_console_on_the_other(cluster):
    session = cluster.new_session("across-http-vote", approved=1)
    question = session.approved[0]
    console = cluster.console(cluster.b, session)
    snapshot = console.hello()
    assert [q["votes"] for q in snapshot["data"]["questions"] if q["id"] == question] == [0]

    status, body = post_vote(cluster.a, session, question, secrets.token_urlsafe(24))
    assert (status, body["vote_count"], body["voted"]) == (200, 1, True)

    frames = console.until(_votes_for(question, 1))
    # Counts are volatile frames, outside the stream's numbering, with the count's version.
    assert frames[-1]["seq"] is None
    assert frames[-1]["data"]["versions"][str(question)] == 1
    console.close()


def test_an_approval_from_a_console_on_one_server_reaches_the_audience_on_the_other(cluster):
    session = cluster.new_session("across-approve", pending=1)
    question = session.pending[0]
    listener = audience(cluster.a, session)
    assert listener.hello()["data"]["questions"] == []
    console = cluster.console(cluster.b, session)
    console.hello()

    console.send("approve", {"question": question}, id="approve-1")
    ack = console.until(lambda f: f["type"] in ("ack", "error"))[-1]
    assert ack["type"] == "ack" and ack["data"]["id"] == "approve-1", ack

    frames = listener.until(lambda f: f["type"] == "question")
    shown = frames[-1]["data"]["question"]
    assert (shown["id"], shown["status"]) == (question, "approved")
    listener.close()
    console.close()


def test_a_vote_on_an_audience_socket_of_one_server_reaches_a_console_on_the_other(cluster):
    session = cluster.new_session("across-socket-vote", approved=1)
    question = session.approved[0]
    console = cluster.console(cluster.b, session)
    console.hello()
    voter = audience(cluster.a, session, secrets.token_urlsafe(24))
    voter.hello()

    voter.send("vote", {"question": question}, id="v1")
    ack = voter.until(lambda f: f["type"] in ("ack", "error"))[-1]
    assert ack["type"] == "ack", ack
    assert ack["data"] == {
        "id": "v1",
        "action": "vote",
        "question": question,
        "votes": 1,
        "voted": True,
    }

    console.until(_votes_for(question, 1))
    voter.close()
    console.close()
