"""The wall socket: the overlay key, the wall as snapshot, and the wall live."""

from __future__ import annotations

import pytest

from questions.services import question_approve
from questions.services.wall import wall_set
from studio.services import session_rotate_overlay_key
from tests.realtime import conftest as realtime
from tests.realtime.sockets import run
from tests.wall.conftest import wall_question

pytestmark = pytest.mark.django_db(transaction=True)

open_socket = realtime.open_socket
_quiet_heartbeat = realtime._quiet_heartbeat


@pytest.fixture
def wall(open_socket):
    async def open_(slug="live-a", key=None):
        path = f"/ws/wall/{slug}/" + (f"?key={key}" if key is not None else "")
        return await open_socket(path, [realtime.SITE_HOST])

    return open_


def texts(wall_data):
    return [item["text"] for item in wall_data["items"]]


async def test_the_snapshot_is_the_wall(wall, session_a, mixed_wall):
    socket = await wall(key=session_a.overlay_key)

    snapshot = await socket.snapshot()

    assert texts(snapshot["data"]["wall"]) == ["New approved?", "Answered one?", "Old approved?"]


@pytest.mark.parametrize("which", ["wrong", "other"])
async def test_a_wrong_or_another_stations_key_gets_nothing(wall, session_a, session_b, which):
    key = "wrong-key" if which == "wrong" else session_b.overlay_key

    socket = await wall(key=key)

    assert (await socket.error())["code"] == "bad_key"
    assert await socket.closed() == 4401


async def test_a_hide_reaches_the_wall_at_once(wall, session_a, producer_a, mixed_wall):
    socket = await wall(key=session_a.overlay_key)
    await socket.snapshot()

    await run(wall_set)(actor=producer_a, question=mixed_wall["new"], state="hidden")

    event = await socket.frame()
    await socket.command("wall", {}, id="w1")
    answer = await socket.frame()

    assert event["type"] == "wall"
    assert event["data"] == {"ids": [mixed_wall["new"].pk]}
    assert texts(answer["data"]) == ["Answered one?", "Old approved?"]


async def test_an_approval_is_announced_and_the_wall_answers_with_it(
    wall, session_a, producer_a, mixed_wall
):
    pending = await run(wall_question)(session_a, "Now approved?", status="pending")
    socket = await wall(key=session_a.overlay_key)
    await socket.snapshot()

    await run(question_approve)(actor=producer_a, question=pending)
    event = await socket.frame()
    await socket.command("wall", {}, id="w1")
    answer = await socket.frame()

    assert event["type"] == "question"
    assert answer["type"] == "ack" and answer["data"]["id"] == "w1"
    assert texts(answer["data"])[0] == "Now approved?"


async def test_the_wall_socket_takes_no_other_command(wall, session_a):
    socket = await wall(key=session_a.overlay_key)
    await socket.snapshot()

    await socket.command("approve", {"question": 1})

    assert (await socket.error())["code"] == "unknown_type"


async def test_rotating_the_overlay_key_closes_the_wall(wall, session_a, producer_a):
    socket = await wall(key=session_a.overlay_key)
    await socket.snapshot()

    await run(session_rotate_overlay_key)(actor=producer_a, session=session_a)

    assert (await socket.error())["code"] == "bad_key"
    assert await socket.closed() == 4401
