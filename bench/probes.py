"""The measuring sockets that live in the orchestrator: console, overlay, triggers.

A probe reads every frame of its socket as it arrives and keeps only what a phase asks for:
when each on-air question first appears, the vote counts it was shown (and when), and the
stream position. Each design under test (the studio, the naive peer, the floor) says how its
sockets are reached and how a take is sent (see ``Design``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed

from bench.clients import close_quietly, frame_type, hello, message, now_ns, on_air_id, open_socket
from bench.processes import Server

_SEQ = re.compile(r'^\{"seq": (\d+)')
# The frame that ends a sync: the studio's heartbeat (sent right after the replayed events or
# the snapshot), the peer's whole queue or subscription, the floor's welcome.
READY_TYPES = frozenset({"heartbeat", "subscribed", "ready", "queue"})


class Probe:
    """One socket, read continuously; ``ready`` is set by the frame that ends a sync."""

    def __init__(self, ws: Any, *, track_votes: bool = False) -> None:
        self.ws = ws
        self.opened_ns = 0
        self.last_seq: int | None = None
        self.ready = asyncio.Event()
        self.ready_ns = 0
        self.frames_before_ready = 0
        self.snapshot_bytes = 0
        self.on_air_waiters: dict[int, asyncio.Future] = {}
        self.errors: Counter = Counter()
        self.track_votes = track_votes
        # question -> [(received_ns, count shown), ...], in the order received
        self.shown: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self._last_counts: dict[int, int] = {}
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls, url: str, *, cookie: str | None = None, origin: str | None = None, **kwargs: Any
    ) -> Probe:
        started = now_ns()
        probe = cls(await open_socket(url, cookie=cookie, origin=origin), **kwargs)
        probe.opened_ns = started
        return probe

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for text in self.ws:
                self._frame(text, now_ns())

    def _frame(self, text: str, at: int) -> None:
        kind = frame_type(text)
        if (seq := _SEQ.match(text)) is not None:
            self.last_seq = int(seq.group(1))
        if not self.ready.is_set():
            if kind == "snapshot" or kind == "queue":
                self.snapshot_bytes = len(text)
            if kind in READY_TYPES:
                self.ready_ns = at
                self.ready.set()
            else:
                self.frames_before_ready += 1
        if kind == "error":
            self.errors[json.loads(text)["data"].get("code", "?")] += 1
        elif kind == "on_air" or kind == "queue":
            question = on_air_id(text)
            waiter = self.on_air_waiters.pop(question, None) if question is not None else None
            if waiter is not None and not waiter.done():
                waiter.set_result(at)
        if self.track_votes:
            if kind == "votes":
                for question, count in json.loads(text)["data"]["counts"].items():
                    self.shown[int(question)].append((at, count))
            elif kind == "queue":
                self._queue_counts(json.loads(text)["questions"], at)

    def _queue_counts(self, questions: list[dict[str, Any]], at: int) -> None:
        counts = {q["id"]: q["votes"] for q in questions}
        for question, count in counts.items():
            if self._last_counts.get(question) != count:
                self.shown[question].append((at, count))
        self._last_counts = counts

    def expect_on_air(self, question: int) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.on_air_waiters[question] = future
        return future

    async def send(self, text: str) -> int:
        sent = now_ns()
        await self.ws.send(text)
        return sent

    async def sync(self, seq: int | None, timeout: float) -> int:
        """Say hello and wait for the end of the sync; returns when it ended."""
        self.ready.clear()
        self.frames_before_ready = 0
        await self.ws.send(hello(seq))
        await asyncio.wait_for(self.ready.wait(), timeout)
        return self.ready_ns

    async def close(self) -> None:
        await close_quietly([self.ws])
        self.reader.cancel()


@dataclass
class Design:
    """A system under test: its servers, its session and how its clients talk to it."""

    key: str  # "ours", "peer" or "floor"
    servers: list[Server]
    session: dict[str, Any] = field(default_factory=dict)
    sessionid: str = ""
    # Shared by the designs that run on one session (the studio under Daphne and Uvicorn), so
    # that no question is taken twice.
    take_cursor: list[int] = field(default_factory=lambda: [0])
    voters_open: bool = False
    slot: str = ""  # where its outcomes go: "ours", "alt" (the other server), "floor", "peer"
    server_kind: str = "daphne"
    voter_rounds: int = 0  # voter sockets opened so far: each round has voters of its own
    http_rounds: int = 0

    def __post_init__(self) -> None:
        self.slot = self.slot or self.key

    @property
    def name(self) -> str:
        return f"{self.slot} ({self.server_kind})" if self.key == "ours" else self.slot

    @property
    def pids(self) -> list[int]:
        return [s.pid for s in self.servers]

    def server(self, index: int) -> Server:
        return self.servers[index % len(self.servers)]

    def base(self, index: int) -> str:
        return f"ws://127.0.0.1:{self.server(index).port}"

    def audience_url(self, index: int) -> str:
        if self.key == "ours":
            return f"{self.base(index)}/ws/audience/{self.session['slug']}/"
        if self.key == "peer":
            return f"{self.base(index)}/ws/naive/{self.session['slug']}/"
        return f"{self.base(index)}/"

    @property
    def vote_pool(self) -> list[int]:
        from bench.config import TAKE_POOL

        return self.session["questions"][:-TAKE_POOL]

    def next_take(self) -> int:
        from bench.config import TAKE_POOL

        pool = self.session["questions"][-TAKE_POOL:] if self.session else None
        self.take_cursor[0] += 1
        if pool is None:
            return self.take_cursor[0]  # the floor: any id
        return pool[(self.take_cursor[0] - 1) % len(pool)]

    async def console(self, index: int, **kwargs: Any) -> Probe:
        """A console (the studio), or a plain session socket (the peer), or a client (floor)."""
        if self.key == "ours":
            port = self.server(index).port
            return await Probe.open(
                f"{self.base(index)}/ws/console/{self.session['slug']}/",
                cookie=f"sessionid={self.sessionid}",
                origin=f"http://127.0.0.1:{port}",
                **kwargs,
            )
        return await Probe.open(self.audience_url(index), **kwargs)

    async def overlay(self, index: int) -> Probe:
        """A socket that follows what is on air, synced and ready."""
        if self.key == "ours":
            probe = await Probe.open(
                f"{self.base(index)}/ws/overlay/{self.session['slug']}/"
                f"?key={self.session['overlay_key']}"
            )
            await probe.sync(None, 30)
        elif self.key == "peer":
            probe = await Probe.open(self.audience_url(index))
            await probe.sync(0, 30)
        else:
            probe = await Probe.open(self.audience_url(index))
            await asyncio.wait_for(probe.ready.wait(), 30)
        return probe

    async def take(self, sender: Probe, question: int, id: str) -> int:
        """Put ``question`` on air from ``sender``; returns when the command was sent."""
        if self.key == "floor":
            return await sender.send(
                json.dumps({"type": "on_air", "data": {"question": {"id": question}}})
            )
        return await sender.send(message("take", {"question": question}, id=id))

    def console_head(self) -> int | None:
        """Where a console that already holds the state joins its stream: the studio's crew
        head (it gets the events after it, not the snapshot); the peer has no such thing."""
        if self.key == "ours":
            from bench.database import stream_head

            return stream_head(self.session["id"], "crew")
        return None

    def idle_hello(self) -> tuple[bool, int | None]:
        """How an idle audience socket joins the stream without the whole state: (hello?, seq)."""
        if self.key == "ours":
            from bench.database import stream_head

            return True, stream_head(self.session["id"], "public")
        if self.key == "peer":
            return True, 0
        return False, None
