"""The overlay socket: graphics software with the session's key sees what is on air, only that."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.utils import timezone

from questions.identity import voter_id
from questions.models import Question
from questions.services import (
    question_approve,
    question_mark_answered,
    question_star,
    session_clear_on_air,
    session_take_on_air,
    vote_cast,
)
from studio.models import Guest, LiveSession
from studio.services import guest_create, session_rotate_overlay_key
from tests.factories import QuestionFactory
from tests.realtime.sockets import run, types

pytestmark = pytest.mark.django_db(transaction=True)

NOTHING_ON_AIR = {"question": None, "taken_at": None}
# The overlay snapshot also carries the cued question, for the preview output.
NOTHING_CUED = {"question": None}


def key_of(session):
    return LiveSession.objects.values_list("overlay_key", flat=True).get(pk=session.pk)


@pytest.fixture
def key(session_a):
    return session_a.overlay_key


@pytest.fixture
async def screen(overlay, key):
    """The overlay of session A, after its snapshot."""
    socket = await overlay("live-a", key)
    await socket.snapshot()
    return socket


@pytest.mark.parametrize("origin", [None, b"http://localhost"])
async def test_the_right_key_gets_what_is_on_air_from_the_studio_or_graphics_software(
    overlay, key, origin
):
    socket = await overlay("live-a", key, origin=origin)

    snapshot = await socket.snapshot()

    assert snapshot == {
        "seq": 0,
        "type": "snapshot",
        "data": {"on_air": NOTHING_ON_AIR, "cue": NOTHING_CUED, "protocol": 2},
    }
    assert await socket.nothing()


@pytest.mark.parametrize(
    "origin", [b"http://graphics.example", b"http://localhost:9000", b"https://localhost"]
)
async def test_a_browser_page_of_another_origin_cannot_open_the_overlay_even_with_the_key(
    overlay, key, origin
):
    socket = await overlay("live-a", key, origin=origin)

    assert socket.accepted is False


async def test_a_graphics_template_server_listed_in_overlay_origins_is_let_in(
    overlay, key, settings
):
    settings.OVERLAY_ORIGINS = ["http://graphics.example:8088"]

    listed = await overlay("live-a", key, origin=b"http://graphics.example:8088")
    other_port = await overlay("live-a", key, origin=b"http://graphics.example")

    assert (await listed.snapshot())["data"] == {
        "on_air": NOTHING_ON_AIR,
        "cue": NOTHING_CUED,
        "protocol": 2,
    }
    assert other_port.accepted is False


async def test_the_snapshot_shows_the_question_on_air_and_who_it_is_for(
    overlay, key, producer_a, session_a, approved_question
):
    guest = await run(Guest.objects.get)(session=session_a)
    approved_question.target_guest = guest
    await run(approved_question.save)()
    await run(session_take_on_air)(actor=producer_a, session=session_a, question=approved_question)
    socket = await overlay("live-a", key)

    snapshot = await socket.snapshot()

    assert snapshot["seq"] == 1
    on_air = snapshot["data"]["on_air"]
    assert on_air["question"] == {
        "id": approved_question.pk,
        "text": "Approved question?",
        "author_name": approved_question.author_name,
        "source": "web",
        "guest": {"id": guest.pk, "name": "Aya Lune", "title": ""},
    }
    assert on_air["taken_at"]


@pytest.mark.parametrize(
    ("slug", "given"),
    [
        ("live-a", "wrong-key-0123456789abcdef"),
        ("live-a", ""),
        ("live-a", None),
        ("live-a", "KEY-PREFIX"),
        ("live-a", "B-KEY"),
        ("no-such-session", "KEY"),
    ],
)
async def test_a_wrong_or_missing_key_gets_nothing_but_bad_key(
    overlay, key, session_b, slug, given
):
    given = {"KEY": key, "KEY-PREFIX": key[:-1], "B-KEY": session_b.overlay_key}.get(given, given)
    socket = await overlay(slug, given)

    raw = await socket.raw()
    assert json.loads(raw) == {
        "seq": None,
        "type": "error",
        "data": {
            "id": None,
            "code": "bad_key",
            "message": "Unknown session or overlay key.",
            "details": {},
        },
    }
    assert await socket.closed() == 4401


async def test_only_on_air_changes_reach_the_overlay(
    screen, producer_a, session_a, pending_question, approved_question
):
    await run(question_approve)(actor=producer_a, question=pending_question)
    await run(question_star)(actor=producer_a, question=approved_question)
    await run(vote_cast)(question=approved_question, voter=voter_id("anna-token-000000000"))
    await run(guest_create)(actor=producer_a, session=session_a, name="Ben Oru")
    assert await screen.nothing()

    await run(session_take_on_air)(actor=producer_a, session=session_a, question=approved_question)

    frame = await screen.frame()
    assert (frame["seq"], frame["type"]) == (1, "on_air")
    assert frame["data"]["question"]["text"] == "Approved question?"
    assert await screen.nothing()


async def test_take_clear_and_answered_drive_the_graphics(
    screen, host_a, session_a, approved_question
):
    second = await run(QuestionFactory)(
        session=session_a, status="approved", text="Second?", approved_at=timezone.now()
    )

    await run(session_take_on_air)(actor=host_a, session=session_a, question=approved_question)
    await run(session_take_on_air)(actor=host_a, session=session_a, question=second)
    await run(session_clear_on_air)(actor=host_a, session=session_a)
    await run(session_take_on_air)(actor=host_a, session=session_a, question=second)
    await run(question_mark_answered)(actor=host_a, question=second)

    frames = await screen.frames(5)
    assert [f["seq"] for f in frames] == [1, 2, 3, 4, 5]
    assert set(types(frames)) == {"on_air"}
    shown = [f["data"]["question"] and f["data"]["question"]["text"] for f in frames]
    assert shown == ["Approved question?", "Second?", None, "Second?", None]
    assert frames[2]["data"] == frames[4]["data"] == NOTHING_ON_AIR
    assert await screen.nothing()


async def test_the_overlay_takes_no_commands(screen, approved_question):
    await screen.send({"type": "take", "id": 1, "data": {"question": approved_question.pk}})

    error = await screen.error()
    assert (error["id"], error["code"]) == (1, "unknown_type")
    assert await screen.nothing()
    assert await run(lambda: Question.objects.get(pk=approved_question.pk).status)() == "approved"
    assert await screen.is_usable()


async def test_rotating_the_key_disconnects_graphics_using_the_old_one(
    screen, overlay, producer_a, session_a, key, approved_question
):
    await run(session_rotate_overlay_key)(actor=producer_a, session=session_a)

    error = await screen.error()
    assert error["code"] == "bad_key"
    assert await screen.closed() == 4401
    # Until the client has gone, nothing more reaches it, whatever it asks.
    await run(session_take_on_air)(actor=producer_a, session=session_a, question=approved_question)
    await screen.send({"type": "hello", "data": {"seq": 0}})
    assert await screen.nothing()
    old = await overlay("live-a", key)
    assert (await old.error())["code"] == "bad_key"
    new = await overlay("live-a", await run(key_of)(session_a))
    assert (await new.snapshot())["type"] == "snapshot"


async def test_a_rotation_that_rolls_back_keeps_graphics_connected(
    screen, producer_a, session_a, key
):
    def rotate_then_fail():
        with transaction.atomic():
            session_rotate_overlay_key(actor=producer_a, session=session_a)
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        await run(rotate_then_fail)()

    assert await screen.nothing()
    assert await run(key_of)(session_a) == key
    assert await screen.is_usable()


async def test_a_key_changed_behind_the_servers_back_is_noticed_by_the_heartbeat(
    overlay, key, session_a, settings
):
    settings.EVENT_HEARTBEAT_SECONDS = 0.02
    socket = await overlay("live-a", key)
    await socket.snapshot()

    await run(LiveSession.objects.filter(pk=session_a.pk).update)(overlay_key="changed-by-hand")

    frames = await socket.until("error")
    assert set(types(frames[:-1])) <= {"heartbeat"}
    assert frames[-1]["data"]["code"] == "bad_key"
    assert await socket.closed() == 4401


async def test_graphics_that_reconnect_get_the_on_air_changes_they_missed(
    overlay, key, host_a, session_a, approved_question
):
    await run(session_take_on_air)(actor=host_a, session=session_a, question=approved_question)
    await run(session_clear_on_air)(actor=host_a, session=session_a)
    socket = await overlay("live-a", key)

    answer = await socket.hello(1)

    assert [(f["seq"], f["type"]) for f in answer] == [(2, "on_air"), (2, "heartbeat")]
    assert answer[0]["data"] == NOTHING_ON_AIR
