"""Websocket client helpers shared by the load processes and the orchestrator's probes.

Clients classify a frame by its first characters (its ``type``, and the on-air question's id)
and parse JSON only for the frames they measure: a load generator that parsed every broadcast
would measure itself rather than the server. Every design under test puts these first:
``{"seq": 12, "type": "on_air", "data": {"question": {"id": 34, ...`` (the studio),
``{"type": "queue", "on_air": {"question": {"id": 34, ...`` (the naive peer),
``{"type": "on_air", "data": {"question": {"id": 34}}}`` (the floor).

Protocol 2: a take is one ``on_air`` event whose data also lists the questions it moved
(``"questions": [{"id": n, "question": {...}}]``), so the on-air id is read only where it
follows ``"data": {`` (or the peer's ``"on_air": {``), never from that list; a cleared air
(``"question": null``) has no id. Vote counts are volatile frames (``"seq": null``).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

_TYPE = re.compile(r'"type": "([a-z_]+)"')
_ON_AIR_ID = re.compile(r'(?:"data"|"on_air"): \{"question": (?:\{"id": (\d+)|null)')

# No compression (the servers under test do not use it), no proxy, no client pings, no size limit
# (a console snapshot of 5,000 questions is megabytes), a deep receive buffer.
CONNECT_OPTIONS: dict[str, Any] = {
    "compression": None,
    "proxy": None,
    "max_size": None,
    "max_queue": 4096,
    "ping_interval": None,
    "open_timeout": 30,
    "close_timeout": 2,
    "user_agent_header": None,
}


def now_ns() -> int:
    """CLOCK_MONOTONIC: one clock for every process of the machine, so times compare."""
    return time.monotonic_ns()


def frame_type(text: str) -> str | None:
    match = _TYPE.search(text, 0, 80)
    return match.group(1) if match else None


def on_air_id(text: str) -> int | None:
    """The on-air question's id in an on_air (or peer queue) frame; None when the air is clear.
    A frame whose keys come in another order is parsed (rare: takes, not votes)."""
    match = _ON_AIR_ID.search(text, 0, 400)
    if match is not None:
        return int(match.group(1)) if match.group(1) else None
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    holder = frame.get("data") if "data" in frame else frame.get("on_air")
    question = holder.get("question") if isinstance(holder, dict) else None
    return int(question["id"]) if isinstance(question, dict) and "id" in question else None


def message(type_: str, data: dict[str, Any] | None = None, id: str | int | None = None) -> str:
    frame: dict[str, Any] = {"type": type_, "data": data or {}}
    if id is not None:
        frame["id"] = id
    return json.dumps(frame)


def hello(seq: int | None) -> str:
    return message("hello", {"seq": seq})


async def open_socket(
    url: str, *, cookie: str | None = None, origin: str | None = None
) -> ClientConnection:
    headers = {"Cookie": cookie} if cookie else None
    return await connect(url, additional_headers=headers, origin=origin, **CONNECT_OPTIONS)


async def open_many(coroutines: list, concurrency: int = 16) -> list:
    """Run connection coroutines with at most ``concurrency`` handshakes at once; a failure is
    returned in place of its socket. Daphne drops a websocket whose application has not
    accepted it within 5 s (``--websocket_connect_timeout``), so a deeper queue of handshakes
    than the server can accept in that time only makes connections fail."""
    gate = asyncio.Semaphore(concurrency)

    async def one(coro):
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coroutines), return_exceptions=True)


async def close_quietly(
    sockets: list[ClientConnection], batch: int = 20, pause: float = 0.05
) -> None:
    """Drop sockets a batch at a time, without waiting for closing handshakes (a busy server
    answers them late). Each disconnect makes the server leave its channel-layer group (a Redis
    command), and the channels_redis connection pool is bounded (100 per process): hundreds of
    sockets gone at once make those commands fail and leave stale members in the group."""
    for start in range(0, len(sockets), batch):
        for ws in sockets[start : start + batch]:
            ws.transport.abort()
        if start + batch < len(sockets):
            await asyncio.sleep(pause)
