"""The audience socket's plain ASGI app (live/audience_app.py): one channel per process and
session, frames encoded once, slow sockets held apart and brought back from the log."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from channels.layers import get_channel_layer
from django.db import transaction

from live import audience_app, audience_socket
from studio import events
from tests.realtime.sockets import run

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("_quiet_heartbeat", "_fresh_coalescer"),
]


def emit(session_id: int, n: int) -> None:
    with transaction.atomic():
        events.emit(session_id, "note", crew={"n": n}, public={"n": n})


def emit_unsent(session_id: int, n: int, monkeypatch) -> None:
    """An event in the log that the channel layer never carried."""
    with monkeypatch.context() as patch:
        patch.setattr(events, "send", lambda messages: None)
        emit(session_id, n)


def members(group: str) -> set[str]:
    """The channels of this process in ``group``, with either channel layer."""
    layer = get_channel_layer()
    if hasattr(layer, "_get_layer"):  # Redis pub/sub: one per event loop
        loop_layer = layer._get_layer()
        return set(loop_layer.groups.get(loop_layer._get_group_channel_name(group), ()))
    return set(layer.groups.get(group, ()))


def room(session_id: int) -> audience_app.Room:
    return audience_app.hub().rooms[session_id]


async def volatile(session_id: int, counts: dict[str, int]) -> str:
    text = events.frame_text(None, "votes", {"counts": counts, "versions": {}})
    await get_channel_layer().group_send(
        events.group_name(session_id, events.PUBLIC),
        {"type": events.GROUP_MESSAGE_TYPE, "seq": None, "event": "votes", "frame": text},
    )
    return text


async def test_one_channel_per_session_and_each_frame_encoded_once(
    audience, session_a, monkeypatch
):
    sockets = [await audience("live-a") for _ in range(5)]
    for socket in sockets:
        await socket.snapshot()
    group = events.group_name(session_a.pk, events.PUBLIC)
    assert members(group) == {room(session_a.pk).channel}  # one membership for five sockets

    encoded = []
    original = events.frame_text
    monkeypatch.setattr(events, "frame_text", lambda *a: encoded.append(a) or original(*a))
    await run(emit)(session_a.pk, 1)
    texts = [await socket.raw() for socket in sockets]

    assert len(encoded) == 2  # once per stream (crew, public) by the sender, none per socket
    assert json.loads(texts[0]) == {"seq": 1, "type": "note", "data": {"n": 1}}
    assert all(text is texts[0] for text in texts)  # the very same str, handed on


async def test_a_volatile_frame_passes_without_moving_the_sockets_seq(audience, session_a):
    socket = await audience("live-a")
    snapshot = await socket.snapshot()
    sent = await volatile(session_a.pk, {"1": 3})
    assert await socket.raw() == sent
    (member,) = room(session_a.pk).sockets
    assert member.last_sent == snapshot["seq"]

    await run(emit)(session_a.pk, 1)
    assert await socket.frame() == {"seq": snapshot["seq"] + 1, "type": "note", "data": {"n": 1}}
    assert await socket.nothing()


async def test_an_event_the_layer_lost_is_replayed_before_the_next(
    audience, session_a, monkeypatch
):
    socket = await audience("live-a")
    await socket.snapshot()
    await run(emit_unsent)(session_a.pk, 1, monkeypatch)
    await run(emit)(session_a.pk, 2)

    frames = await socket.frames(2)
    assert [(f["seq"], f["data"]) for f in frames] == [(1, {"n": 1}), (2, {"n": 2})]
    assert await socket.nothing()


async def test_a_socket_behind_the_head_catches_up_at_the_heartbeat(
    audience, session_a, monkeypatch, settings
):
    settings.EVENT_PUBLIC_HEARTBEAT_SECONDS = 0.05  # embedded: the head is read from the database
    socket = await audience("live-a")
    await socket.snapshot()
    await run(emit_unsent)(session_a.pk, 1, monkeypatch)

    frames = await socket.until("note")
    assert frames[-1] == {"seq": 1, "type": "note", "data": {"n": 1}}
    beat = await socket.until("heartbeat")
    assert beat[-1]["seq"] == 1
    assert beat[-1]["data"]["protocol"] == events.PROTOCOL_VERSION


async def test_sessions_are_isolated(audience, session_a, session_b):
    socket_a = await audience("live-a")
    socket_b = await audience(session_b.slug)
    await socket_a.snapshot()
    await socket_b.snapshot()

    await run(emit)(session_a.pk, 1)
    await volatile(session_a.pk, {"1": 1})

    assert sorted(f["type"] for f in await socket_a.frames(2)) == ["note", "votes"]
    assert await socket_b.nothing()


async def test_a_client_that_never_reads_holds_no_one_up_and_is_brought_back_from_the_log(
    audience, session_a, monkeypatch
):
    monkeypatch.setattr(audience_socket, "OUTBOX_MAX", 4)
    fast = await audience("live-a")
    await fast.snapshot()
    # A client whose connection accepts nothing: its server's send blocks.
    unblocked = asyncio.Event()
    sent: list[str] = []

    async def blocked_send(message):
        await unblocked.wait()
        sent.append(message["text"])

    slow = audience_socket.AudienceSocket(blocked_send, session_a.pk, None)
    slow.ready = True
    hub = audience_app.hub()
    await hub.join(slow)

    started = time.monotonic()
    for n in range(1, 21):
        await run(emit)(session_a.pk, n)
    frames = [await fast.frame() for _ in range(20)]
    elapsed = time.monotonic() - started

    assert [f["seq"] for f in frames] == list(range(1, 21))
    assert elapsed < 2  # not held by the blocked client
    assert len(slow.outbox or ()) <= 4  # its queue stays bounded

    unblocked.set()
    for _ in range(100):
        await asyncio.sleep(0.02)
        if slow.worker is None and slow.last_sent == 20:
            break
    # Each event follows the one before or the snapshot it was brought back with (one frame
    # rather than a backlog); nothing is skipped, up to the head.
    at = 0
    for frame in map(json.loads, sent):
        if frame["type"] == "snapshot":
            at = frame["seq"]
        elif frame["type"] == "note":
            assert frame["seq"] == at + 1, sent
            at = frame["seq"]
    assert at == slow.last_sent == slow.sent_seq == 20
    slow.closed = True
    await hub.leave(slow)


async def test_the_last_socket_leaving_leaves_the_group(audience, session_a):
    sockets = [await audience("live-a") for _ in range(3)]
    group = events.group_name(session_a.pk, events.PUBLIC)
    for socket in sockets:
        await socket.close()
    await asyncio.sleep(0.05)
    assert session_a.pk not in audience_app.hub().rooms
    assert not members(group)


async def test_bad_input_is_answered_with_error_frames(audience, session_a):
    socket = await audience("live-a")
    await socket.snapshot()

    await socket.send_bytes(b"\x00")
    assert (await socket.error())["code"] == "unsupported"
    await socket.send_text("{not json")
    assert (await socket.error())["code"] == "malformed"
    await socket.send({"type": "hello", "data": {"seq": -1}, "id": "h"})
    assert ((e := await socket.error())["code"], e["id"]) == ("malformed", "h")
    await socket.send({"type": "hello", "id": "x" * 65})
    assert (await socket.error())["code"] == "malformed"
    await socket.send({"type": "take", "id": 7})
    error = await socket.error()
    assert (error["code"], error["id"]) == ("unknown_type", 7)
    assert error["details"]["accepted"] == ["hello", "resync", "unvote", "vote"]
    await socket.command("vote", {"question": "12"}, id="v")
    assert (await socket.error())["id"] == "v"
    await socket.command("vote", {"question": 12}, id="v2")
    assert (await socket.error())["code"] == "no_voter"
    assert await socket.is_usable()


async def test_an_unknown_session_is_refused_with_4404(audience, session_a):
    socket = await audience("no-such-session")
    assert (await socket.error())["code"] == "not_found"
    assert await socket.closed() == 4404


async def test_a_deleted_session_closes_the_socket_with_4404(audience, session_a):
    socket = await audience("live-a")
    await socket.snapshot()
    await run(session_a.delete)()

    await socket.send({"type": "hello", "data": {"seq": None}})
    assert (await socket.error())["code"] == "not_found"
    assert await socket.closed() == 4404


async def test_a_burst_the_channel_layer_drops_part_of_is_caught_up_in_order(
    audience, session_a, monkeypatch, settings
):
    settings.EVENT_PUBLIC_HEARTBEAT_SECONDS = 0.2
    socket = await audience("live-a")
    await socket.snapshot()
    for n in range(1, 151):
        await run(emit_unsent)(session_a.pk, n, monkeypatch)
    group = events.group_name(session_a.pk, events.PUBLIC)
    layer = get_channel_layer()
    # All at once, without yielding: more than the in-memory layer's default capacity (100).
    for n in range(1, 151):
        text = events.frame_text(n, "note", {"n": n})
        message = {"type": events.GROUP_MESSAGE_TYPE, "seq": n, "event": "note", "frame": text}
        await layer.group_send(group, message)

    seqs: list[int] = []
    while not seqs or seqs[-1] < 150:
        frame = await socket.frame()
        if frame["type"] == "note":
            seqs.append(frame["seq"])
    assert seqs == list(range(1, 151))  # nothing lost, nothing twice, in order


async def test_an_address_over_its_socket_cap_is_refused_and_others_are_served(
    open_socket, session_a, settings
):
    settings.AUDIENCE_SOCKETS_PER_ADDRESS = 2
    settings.NUM_PROXIES = 1  # the address is the one the proxy recorded

    def opener(address: str):
        headers = [(b"host", b"testserver"), (b"x-forwarded-for", address.encode())]
        return open_socket("/ws/audience/live-a/", headers)

    crowd = [await opener("198.51.100.1") for _ in range(2)]
    for socket in crowd:
        await socket.snapshot()

    over = await opener("198.51.100.1")
    error = await over.error()
    assert error["code"] == "too_many_sockets", error
    assert await over.closed() == audience_app.CLOSE_TOO_MANY_SOCKETS

    neighbour = await opener("203.0.113.9")
    await neighbour.snapshot()  # another address is served as usual
    await run(emit)(session_a.pk, 1)
    for socket in [*crowd, neighbour]:
        assert (await socket.frame())["data"] == {"n": 1}

    # A closed socket gives its place back.
    await crowd[0].close()
    again = await opener("198.51.100.1")
    await again.snapshot()
