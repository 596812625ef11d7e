"""The audience socket: public questions, votes and what is on air; never what is not public."""

from __future__ import annotations

import json

import pytest
from channels.testing import HttpCommunicator
from django.utils import timezone

from questions import vote_stream
from questions.identity import voter_id
from questions.models import Question
from questions.services import (
    question_approve,
    question_reject,
    question_star,
    session_set_status,
    session_take_on_air,
    vote_cast,
)
from socialroom.asgi import application
from studio.services import guest_create
from tests.factories import LiveSessionFactory, QuestionFactory
from tests.realtime.sockets import run, types

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "audience-token-0123456789"
CREW_ONLY_FIELDS = {"author", "source", "starred", "hold_position"}


def make(session, status, text):
    approved_at = timezone.now() if status in ("approved", "on_air", "answered") else None
    return QuestionFactory(session=session, status=status, text=text, approved_at=approved_at)


@pytest.fixture
async def public_page(audience, session_a):
    """The audience socket of session A, after its snapshot."""
    socket = await audience("live-a")
    await socket.snapshot()
    return socket


async def test_the_audience_sees_public_questions_only(audience, session_a):
    texts = {}
    for status in ("pending", "approved", "on_air", "answered", "rejected", "archived"):
        texts[status] = (await run(make)(session_a, status, f"The {status} one?")).text
    socket = await audience("live-a")

    await socket.send({"type": "hello", "data": {"seq": None}})
    raw = await socket.raw()

    snapshot = json.loads(raw)
    assert snapshot["type"] == "snapshot"
    shown = {q["text"]: q["status"] for q in snapshot["data"]["questions"]}
    assert shown == {texts[s]: s for s in ("approved", "on_air", "answered")}
    for hidden in ("pending", "rejected", "archived"):
        assert texts[hidden] not in raw
    assert all(not CREW_ONLY_FIELDS & set(q) for q in snapshot["data"]["questions"])
    assert snapshot["data"]["on_air"]["question"]["text"] == "The on_air one?"
    assert snapshot["data"]["session"] == {
        "slug": "live-a",
        "title": "Live A",
        "status": "live",
        "accepts_questions": True,
        "language": "en",
        "max_question_length": 280,
        "air_locked": False,
    }
    assert [g["name"] for g in snapshot["data"]["guests"]] == ["Aya Lune"]
    assert (await socket.frame())["type"] == "heartbeat"


async def test_the_snapshot_lists_what_this_browser_voted_for(audience, session_a):
    first, second = [await run(make)(session_a, "approved", f"Q{n}?") for n in (1, 2)]
    await run(vote_cast)(question=second, voter=voter_id(TOKEN))
    await run(vote_cast)(question=first, voter=voter_id("someone-else-0123456789"))

    mine = await audience("live-a", TOKEN)
    stranger = await audience("live-a")
    mangled = await audience("live-a", "not a token!")

    assert (await mine.snapshot())["data"]["voted"] == [second.pk]
    assert (await stranger.snapshot())["data"]["voted"] == []
    assert (await mangled.snapshot())["data"]["voted"] == []


async def test_an_ended_session_can_still_be_followed(audience, producer_a, session_a):
    await run(session_set_status)(actor=producer_a, session=session_a, status="ended")
    socket = await audience("live-a")

    snapshot = (await socket.snapshot())["data"]

    assert (snapshot["session"]["status"], snapshot["session"]["accepts_questions"]) == (
        "ended",
        False,
    )


@pytest.mark.parametrize("slug", ["draft-a", "no-such-session"])
async def test_a_session_that_is_not_public_is_not_found(audience, station_a, slug):
    await run(LiveSessionFactory)(station=station_a, slug="draft-a", status="draft", title="Soon")
    socket = await audience(slug)

    raw = await socket.raw()
    assert json.loads(raw)["data"]["code"] == "not_found"
    assert "Soon" not in raw
    assert await socket.closed() == 4404


async def test_an_approved_question_appears_for_the_audience(
    public_page, moderator_a, pending_question
):
    await run(question_approve)(actor=moderator_a, question=pending_question)

    frame = await public_page.frame()
    assert (frame["seq"], frame["type"]) == (1, "question")
    assert frame["data"]["id"] == pending_question.pk
    assert frame["data"]["question"]["text"] == "Pending question?"
    assert frame["data"]["question"]["status"] == "approved"
    assert not CREW_ONLY_FIELDS & set(frame["data"]["question"])
    assert await public_page.nothing()


async def test_a_rejected_question_disappears_for_the_audience(
    public_page, moderator_a, approved_question
):
    await run(question_reject)(actor=moderator_a, question=approved_question, reason="Rude")

    frame = await public_page.frame()
    assert frame == {
        "seq": 1,
        "type": "question",
        "data": {"id": approved_question.pk, "question": None},
    }
    assert await public_page.nothing()


async def test_moderation_the_audience_never_saw_stays_unseen(
    public_page, moderator_a, producer_a, session_a, pending_question
):
    await run(question_reject)(actor=moderator_a, question=pending_question, reason="Spam")
    await run(question_star)(actor=moderator_a, question=pending_question)
    assert await public_page.nothing()

    await run(guest_create)(actor=producer_a, session=session_a, name="Ben Oru")

    frame = await public_page.frame()
    assert (frame["seq"], frame["type"]) == (1, "guests")


async def test_a_question_taken_on_air_is_shown_to_the_audience(
    public_page, host_a, session_a, approved_question
):
    await run(session_take_on_air)(actor=host_a, session=session_a, question=approved_question)

    # One event for the take: what is on air, and the question's new state in the list.
    [frame] = await public_page.frames(1)
    assert (frame["seq"], frame["type"]) == (1, "on_air")
    assert frame["data"]["question"]["text"] == "Approved question?"
    [moved] = frame["data"]["questions"]
    assert moved["id"] == approved_question.pk
    assert moved["question"]["status"] == "on_air"
    assert "author" not in moved["question"]  # the public shape, not the crew's
    assert await public_page.nothing(0.3)


async def test_votes_reach_the_audience_without_questions_it_cannot_see(
    audience, session_a, monkeypatch
):
    kept = await run(make)(session_a, "approved", "Q1?")
    # A near-duplicate's votes count for its original too: here a rejected one.
    hidden = await run(make)(session_a, "rejected", "Q2?")
    copy = await run(make)(session_a, "approved", "Q2 again?")
    await run(Question.objects.filter(pk=copy.pk).update)(duplicate_of=hidden)
    monkeypatch.setattr(vote_stream.public_votes_coalescer, "delay", 1.0)
    socket = await audience("live-a")  # the server's event loop is now bound
    await socket.snapshot()

    await run(vote_cast)(question=kept, voter=voter_id(TOKEN))
    await run(vote_cast)(question=copy, voter=voter_id(TOKEN))

    # One volatile frame for the window, with the counts and versions the batches returned.
    frame = await socket.frame()
    shown = {str(kept.pk): 1, str(copy.pk): 1}
    assert frame == {"seq": None, "type": "votes", "data": {"counts": shown, "versions": shown}}
    assert str(hidden.pk) not in json.dumps(frame)
    assert await socket.nothing(1.2)


async def test_a_vote_cast_over_http_reaches_the_audience_sockets(
    audience, session_a, approved_question
):
    socket = await audience("live-a")
    await socket.snapshot()

    vote = HttpCommunicator(
        application,
        "POST",
        f"/api/public/sessions/live-a/questions/{approved_question.pk}/vote/",
        headers=[(b"host", b"localhost"), (b"cookie", f"sr_voter={TOKEN}".encode())],
    )
    response = await vote.get_response(timeout=5)

    assert response["status"] == 200, response["body"]
    frame = await socket.frame()
    assert frame == {
        "seq": None,
        "type": "votes",
        "data": {
            "counts": {str(approved_question.pk): 1},
            "versions": {str(approved_question.pk): 1},
        },
    }


async def test_the_audience_socket_takes_no_commands(public_page, pending_question):
    await public_page.send(
        {"type": "approve", "id": "x", "data": {"question": pending_question.pk}}
    )

    error = await public_page.error()
    assert (error["id"], error["code"]) == ("x", "unknown_type")
    assert await public_page.nothing()
    status = await run(lambda: Question.objects.get(pk=pending_question.pk).status)()
    assert status == "pending"
    assert await public_page.is_usable()


async def test_the_audience_socket_refuses_bad_frames_like_the_console(public_page):
    await public_page.send_text("{oops")
    await public_page.send_bytes(b"\x00")
    await public_page.send([1])

    assert [(await public_page.error())["code"] for _ in range(3)] == [
        "malformed",
        "unsupported",
        "malformed",
    ]
    assert types(await public_page.hello()) == ["snapshot", "heartbeat"]
