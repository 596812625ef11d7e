"""Votes over the audience socket: acknowledged once committed, counted exactly once."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator
from django.utils import timezone

from questions import vote_writer
from questions.identity import voter_id
from questions.models import Question, Vote
from questions.services import votes as vote_service
from socialroom.asgi import application
from tests.factories import LiveSessionFactory, QuestionFactory
from tests.realtime.sockets import run

pytestmark = pytest.mark.django_db(transaction=True)

ANNA = "anna-voter-token-0123456789"


def approved(session, text="A question?", **extra):
    return QuestionFactory(
        session=session, status="approved", text=text, approved_at=timezone.now(), **extra
    )


@database_sync_to_async
def stored(question) -> tuple[int, int]:
    """(the question's vote count, the vote rows it has)."""
    count = Question.objects.values_list("vote_count", flat=True).get(pk=question.pk)
    return count, Vote.objects.filter(question=question).count()


async def acks(socket, count: int) -> list[dict]:
    """The next ``count`` acknowledgements (events in between are skipped)."""
    received = []
    while len(received) < count:
        frame = await socket.frame()
        assert frame["type"] != "error", frame
        if frame["type"] == "ack":
            received.append(frame)
    return received


async def voter_socket(audience, token=ANNA, slug="live-a"):
    socket = await audience(slug, voter_token=token)
    await socket.snapshot()
    return socket


async def test_a_vote_is_acknowledged_with_the_new_count_once_it_is_stored(audience, session_a):
    question = await run(approved)(session_a)
    socket = await voter_socket(audience)

    await socket.command("vote", {"question": question.pk}, id="v1")
    frames = await socket.until("ack")

    assert frames[-1] == {
        "seq": None,
        "type": "ack",
        "data": {"id": "v1", "action": "vote", "question": question.pk, "votes": 1, "voted": True},
    }
    assert await stored(question) == (1, 1)
    assert await run(Vote.objects.filter(voter=voter_id(ANNA), question=question).exists)()


async def test_the_new_count_reaches_the_console_and_the_other_listeners(
    audience, console, producer_a, session_a
):
    question = await run(approved)(session_a)
    crew = await console(producer_a)
    await crew.snapshot()
    listener = await voter_socket(audience, token="listener-token-0123456789")
    socket = await voter_socket(audience)

    await socket.command("vote", {"question": question.pk})

    for other in (crew, listener):
        votes = (await other.until("votes"))[-1]
        assert votes["data"]["counts"] == {str(question.pk): 1}


async def test_a_second_vote_is_refused_and_counts_nothing(audience, session_a):
    question = await run(approved)(session_a)
    socket = await voter_socket(audience)
    await socket.command("vote", {"question": question.pk}, id="v1")
    await socket.until("ack")

    await socket.command("vote", {"question": question.pk}, id="v2")
    error = await socket.error()

    assert (error["id"], error["code"]) == ("v2", "already_voted")
    assert await stored(question) == (1, 1)


async def test_a_vote_taken_back_is_uncounted_and_cannot_be_taken_back_twice(audience, session_a):
    question = await run(approved)(session_a)
    socket = await voter_socket(audience)
    await socket.command("vote", {"question": question.pk}, id="v1")
    await socket.until("ack")

    await socket.command("unvote", {"question": question.pk}, id="u1")
    ack = (await socket.until("ack"))[-1]
    await socket.command("unvote", {"question": question.pk}, id="u2")
    error = await socket.error()

    assert ack["data"] == {
        "id": "u1",
        "action": "unvote",
        "question": question.pk,
        "votes": 0,
        "voted": False,
    }
    assert (error["id"], error["code"]) == ("u2", "not_voted")
    assert await stored(question) == (0, 0)


async def test_votes_sent_without_waiting_apply_in_the_order_sent(audience, session_a):
    question = await run(approved)(session_a)
    socket = await voter_socket(audience)

    for n, action in enumerate(["vote", "unvote", "vote", "unvote", "vote"]):
        await socket.command(action, {"question": question.pk}, id=f"m{n}")
    answers = await acks(socket, 5)

    assert [a["data"]["id"] for a in answers] == [f"m{n}" for n in range(5)]
    assert [a["data"]["voted"] for a in answers] == [True, False, True, False, True]
    assert await stored(question) == (1, 1)


async def test_a_socket_without_a_voter_cookie_is_told_how_to_vote(audience, session_a):
    question = await run(approved)(session_a)
    socket = await audience("live-a")
    await socket.snapshot()

    await socket.command("vote", {"question": question.pk}, id="v1")
    error = await socket.error()

    assert (error["id"], error["code"]) == ("v1", "no_voter")
    assert await stored(question) == (0, 0)


@pytest.mark.parametrize(
    "data",
    [{}, {"question": "1"}, {"question": True}, {"question": -3}, {"question": 2**63}, {"q": 1}],
)
async def test_a_malformed_vote_gets_a_reason_and_the_socket_stays_usable(
    audience, session_a, data
):
    socket = await voter_socket(audience)

    await socket.command("vote", data, id="bad")
    error = await socket.error()

    assert (error["id"], error["code"]) == ("bad", "invalid")
    assert await socket.is_usable()
    assert not await run(Vote.objects.exists)()


@pytest.mark.parametrize("status", ["pending", "rejected", "archived"])
async def test_a_question_the_audience_cannot_see_is_not_found(audience, session_a, status):
    hidden = await run(QuestionFactory)(session=session_a, status=status)
    socket = await voter_socket(audience)

    await socket.command("vote", {"question": hidden.pk}, id="v1")
    error = await socket.error()

    assert (error["code"], error["message"]) == ("not_found", "No such question.")
    assert await stored(hidden) == (0, 0)


async def test_a_question_of_another_session_is_not_found(audience, session_a, session_b):
    elsewhere = await run(approved)(session_b)
    socket = await voter_socket(audience)

    await socket.command("vote", {"question": elsewhere.pk}, id="v1")

    assert (await socket.error())["code"] == "not_found"
    assert await stored(elsewhere) == (0, 0)


async def test_an_answered_question_takes_no_more_votes(audience, session_a):
    answered = await run(QuestionFactory)(
        session=session_a, status="answered", approved_at=timezone.now()
    )
    socket = await voter_socket(audience)

    await socket.command("vote", {"question": answered.pk}, id="v1")

    assert (await socket.error())["code"] == "not_votable"
    assert await stored(answered) == (0, 0)


async def test_voting_closes_when_the_session_ends(audience, station_a):
    session = await run(LiveSessionFactory)(station=station_a, slug="ending", status="live")
    question = await run(approved)(session)
    socket = await voter_socket(audience, slug="ending")
    session.status = "ended"
    await run(session.save)()

    await socket.command("vote", {"question": question.pk}, id="v1")

    assert (await socket.error())["code"] == "session_closed"
    assert await stored(question) == (0, 0)


async def test_a_voter_counts_once_per_cluster_of_near_duplicates(audience, session_a):
    original = await run(approved)(session_a, "Will the bridge reopen?")
    duplicate = await run(approved)(session_a, "Will the bridge re-open?", duplicate_of=original)
    socket = await voter_socket(audience)

    await socket.command("vote", {"question": duplicate.pk}, id="v1")
    ack = (await socket.until("ack"))[-1]
    await socket.command("vote", {"question": original.pk}, id="v2")
    error = await socket.error()

    assert ack["data"]["votes"] == 1
    assert (error["code"], error["details"]) == ("already_voted", {"cluster": original.pk})
    assert await stored(original) == (1, 0)  # the duplicate's vote counts for its original


async def test_many_listeners_voting_at_once_are_written_in_few_transactions(
    audience, session_a, monkeypatch
):
    questions = [await run(approved)(session_a, f"Question {n}?") for n in range(3)]
    sockets = [
        await voter_socket(audience, token=f"listener-{n:02d}-0123456789abcdef") for n in range(20)
    ]
    batches: list[int] = []
    original = vote_service.vote_batch

    def counting(requests):
        batches.append(len(requests))
        return original(requests)

    monkeypatch.setattr("questions.vote_writer.vote_batch", counting)

    for socket in sockets:
        for n, question in enumerate(questions):
            await socket.command("vote", {"question": question.pk}, id=f"v{n}")
    answers = await asyncio.gather(*(acks(s, len(questions)) for s in sockets))

    assert sum(len(a) for a in answers) == 60
    assert sum(batches) == 60
    assert len(batches) < 60  # group commit: votes that arrive together share a transaction
    for question in questions:
        assert await stored(question) == (20, 20)


async def test_an_http_vote_and_a_socket_vote_by_one_listener_count_once(audience, session_a):
    question = await run(approved)(session_a)
    socket = await voter_socket(audience)
    await socket.command("vote", {"question": question.pk}, id="v1")
    await socket.until("ack")

    http = HttpCommunicator(
        application,
        "POST",
        f"/api/public/sessions/live-a/questions/{question.pk}/vote/",
        headers=[(b"host", b"localhost"), (b"cookie", f"sr_voter={ANNA}".encode())],
    )
    response = await http.get_response()

    assert response["status"] == 409
    assert b'"already_voted"' in response["body"]
    assert await stored(question) == (1, 1)


async def test_a_vote_past_the_process_limit_is_refused_busy_at_once(
    audience, session_a, settings, monkeypatch
):
    question = await run(approved)(session_a)
    settings.VOTE_MAX_IN_FLIGHT = 1
    release = asyncio.Event()
    write = vote_writer._write

    async def slow_write(requests):
        await release.wait()
        return await write(requests)

    monkeypatch.setattr(vote_writer, "_write", slow_write)
    first = await voter_socket(audience, token="first-listener-token-0123")
    socket = await voter_socket(audience)

    await first.command("vote", {"question": question.pk}, id="v1")  # held in the writer
    await asyncio.sleep(0.05)
    await socket.command("vote", {"question": question.pk}, id="v2")
    error = await socket.error(timeout=0.5)  # without waiting for the other vote's batch

    assert (error["id"], error["code"]) == ("v2", "busy")
    assert error["message"] == "The studio is busy: please vote again in a moment."
    release.set()
    assert (await first.until("ack"))[-1]["data"]["votes"] == 1
    assert await stored(question) == (1, 1)
    # Once the process holds fewer votes, the same vote is taken.
    await socket.command("vote", {"question": question.pk}, id="v3")
    assert (await socket.until("ack"))[-1]["data"]["votes"] == 2
