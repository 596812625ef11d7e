"""Drill: 1,000 audience sockets from one address. At most AUDIENCE_SOCKETS_PER_ADDRESS of them
are served (the rest are told ``too_many_sockets`` and closed with 4429), and a listener at
another address still gets its snapshot and the session's events promptly."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.drills.conftest import SOCKETS_PER_ADDRESS
from tests.multiprocess.conftest import NEW_SESSION, Session

pytestmark = pytest.mark.postgres

CROWD = 1000
CROWD_ADDRESS = "198.51.100.1"
NEIGHBOUR_ADDRESS = "203.0.113.9"
AT_ONCE = 50  # connections opened side by side (Daphne's listen backlog is 50)
PROMPTLY = 3.0  # seconds for the neighbour's snapshot, and for an event to reach it


async def _open(url: str, address: str, **headers: str) -> ClientConnection:
    return await connect(
        url,
        additional_headers={"X-Forwarded-For": address, **headers},
        open_timeout=30,
        close_timeout=2,
        ping_interval=None,
        proxy=None,
        max_queue=None,
    )


async def _frame(ws: ClientConnection, timeout: float = 20) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def _hello(ws: ClientConnection) -> dict[str, Any]:
    """The first answer to a hello from scratch: a snapshot, or the refusal."""
    with contextlib.suppress(ConnectionClosed):  # a refused socket may be closed already
        await ws.send(json.dumps({"type": "hello", "data": {"seq": None}}))
    return await _frame(ws)  # the frames received before a close are still read


async def _until(ws: ClientConnection, predicate, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        frame = await _frame(ws, max(0.01, deadline - time.monotonic()))
        if predicate(frame):
            return frame


async def _join(url: str) -> tuple[ClientConnection, dict[str, Any], int | None]:
    """One socket of the crowd: (socket, first frame, close code if it was closed)."""
    ws = await _open(url, CROWD_ADDRESS)
    first = await _hello(ws)
    if first["type"] == "snapshot":
        return ws, first, None
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ws.wait_closed(), 10)
    return ws, first, ws.close_code


async def _drill(server, crew_cookie: str, session: Session) -> None:
    url = f"{server.ws_url}/ws/audience/{session.slug}/"
    crowd: list[tuple[ClientConnection, dict[str, Any], int | None]] = []
    for start in range(0, CROWD, AT_ONCE):
        batch = range(start, min(CROWD, start + AT_ONCE))
        crowd += await asyncio.gather(*(_join(url) for _ in batch))

    served = [ws for ws, first, _ in crowd if first["type"] == "snapshot"]
    refused = [(first, code) for _, first, code in crowd if first["type"] != "snapshot"]
    assert len(served) == SOCKETS_PER_ADDRESS
    assert len(refused) == CROWD - SOCKETS_PER_ADDRESS
    for first, code in refused:
        assert first["type"] == "error" and first["data"]["code"] == "too_many_sockets", first
        assert first["data"]["message"]
        assert code == 4429

    # Another address: its snapshot and the next event arrive promptly.
    started = time.monotonic()
    neighbour = await _open(url, NEIGHBOUR_ADDRESS)
    snapshot = await _hello(neighbour)
    assert snapshot["type"] == "snapshot", snapshot
    assert time.monotonic() - started < PROMPTLY
    await _until(neighbour, lambda f: f["type"] == "heartbeat", PROMPTLY)

    console = await _open(
        f"{server.ws_url}/ws/console/{session.slug}/",
        "127.0.0.1",
        Cookie=f"sessionid={crew_cookie}",
        Origin=server.url,
    )
    question = session.pending[0]
    started = time.monotonic()
    await console.send(json.dumps({"type": "approve", "id": "a1", "data": {"question": question}}))
    shown = await _until(
        neighbour,
        lambda f: f["type"] == "question" and f["data"]["id"] == question,
        PROMPTLY,
    )
    assert shown["data"]["question"]["status"] == "approved"
    assert time.monotonic() - started < PROMPTLY
    # The crowd's served sockets are served as usual too.
    for ws in served[:5]:
        await _until(ws, lambda f: f["type"] == "question" and f["data"]["id"] == question, 10)

    # A closed socket gives its place back to its address.
    for ws in served[:10]:
        await ws.close()
    await asyncio.sleep(0.5)
    again = [await _open(url, CROWD_ADDRESS) for _ in range(10)]
    for ws in again:
        assert (await _hello(ws))["type"] == "snapshot"
    # ... and no more.
    ws, first, code = await _join(url)
    assert (first["data"].get("code"), code) == ("too_many_sockets", 4429)

    for ws in [*served, *again, neighbour, console]:
        with contextlib.suppress(ConnectionClosed):
            await ws.close()


def test_a_thousand_sockets_from_one_address_are_capped_and_others_are_served(proxied_studio):
    server, crew_cookie = proxied_studio
    created = json.loads(
        server.shell(NEW_SESSION.format(slug="socket-cap", approved=2, pending=1))
        .strip()
        .splitlines()[-1]
    )
    session = Session("socket-cap", created["id"], created["approved"], created["pending"])
    asyncio.run(_drill(server, crew_cookie, session))
    assert "Internal Server Error" not in server.log()
