"""Fixtures of the real-time tests: sockets opened through ``socialroom.asgi.application``
(auth middleware, routing, origin check), and what the event streams send after commit."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest
from channels.db import database_sync_to_async
from django.db import connections

from questions import vote_stream
from studio import events
from tests.realtime.sockets import Socket, login_cookie

SITE_ORIGIN = b"http://localhost"
# A browser always sends the Host it connects to; the studio's own origin is derived from it.
SITE_HOST = (b"host", b"localhost")


@pytest.fixture
async def open_socket():
    """``await open_socket(path, headers)``: a socket after its handshake, closed at the end."""
    sockets: list[Socket] = []

    async def open_(path: str, headers: list[tuple[bytes, bytes]]) -> Socket:
        socket = Socket(path, headers)
        sockets.append(socket)
        await socket.connect()
        return socket

    yield open_
    for socket in sockets:
        future = socket.communicator.future
        if not future.done():
            await socket.close()
        elif not future.cancelled() and future.exception() is not None:
            raise future.exception()  # the consumer crashed
    # The consumers' database thread keeps its connection; the test database can only be
    # dropped at the end of the run if it is closed.
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def console(open_socket):
    """``await console(user, slug)``: the console socket of a browser logged in as ``user``
    (anonymous when None), opened from this site's origin unless ``origin`` says otherwise."""

    async def open_(user=None, slug: str = "live-a", *, origin: bytes | None = SITE_ORIGIN):
        headers = [SITE_HOST]
        if origin is not None:
            headers.append((b"origin", origin))
        if user is not None:
            headers.append((b"cookie", await login_cookie(user)))
        return await open_socket(f"/ws/console/{slug}/", headers)

    return open_


@pytest.fixture
def overlay(open_socket):
    """``await overlay(slug, key)``: an overlay socket as graphics software opens it (no Origin
    header unless given)."""

    async def open_(slug: str = "live-a", key: str | None = None, *, origin: bytes | None = None):
        path = f"/ws/overlay/{slug}/" + (f"?key={key}" if key is not None else "")
        return await open_socket(path, [SITE_HOST, *([(b"origin", origin)] if origin else [])])

    return open_


@pytest.fixture
def audience(open_socket):
    """``await audience(slug, voter_token)``: the audience page's socket."""

    async def open_(slug: str = "live-a", voter_token: str | None = None):
        headers = [SITE_HOST, (b"origin", SITE_ORIGIN)]
        if voter_token is not None:
            headers.append((b"cookie", f"sr_voter={voter_token}".encode()))
        return await open_socket(f"/ws/audience/{slug}/", headers)

    return open_


@pytest.fixture(autouse=True)
def _quiet_heartbeat(settings):
    # A heartbeat every 2 s would land in the middle of "nothing else was sent" assertions;
    # the heartbeat tests make it fast instead.
    settings.EVENT_HEARTBEAT_SECONDS = 60
    settings.EVENT_PUBLIC_HEARTBEAT_SECONDS = 60


@pytest.fixture(autouse=True)
def _fresh_coalescer():
    # A test that ends before a coalesced flush leaves its session "scheduled", and session ids
    # are reused once the tables are emptied: the next test must not inherit that.
    yield
    for coalescer in (vote_stream.votes_coalescer, vote_stream.public_votes_coalescer):
        with coalescer._lock:
            coalescer._pending.clear()
            coalescer._scheduled.clear()


class Sent(NamedTuple):
    session: int
    stream: str
    seq: int
    type: str
    data: dict[str, Any]


@pytest.fixture
def sent(monkeypatch):
    """Every event as it leaves for the channel layer, after commit (a list of ``Sent``)."""
    record: list[Sent] = []
    original = events.send

    def send(messages):
        record.extend(
            Sent(session, stream, msg["seq"], msg["type"], msg["data"])
            for session, stream, msg in messages
        )
        original(messages)

    monkeypatch.setattr(events, "send", send)
    return record
