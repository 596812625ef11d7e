"""A load process: many websocket and HTTP clients in one event loop, driven by the orchestrator.

The orchestrator (bench/run.py) starts a few of these with ``python -m bench.load`` and talks to
each over stdin/stdout, one JSON object a line: a command ``{"rid": 1, "cmd": "voters.open", ...}``
gets a reply ``{"rid": 1, ...}``; events nobody asked for (``{"event": "fanout", ...}``) say that
every audience socket of the process received an on-air change. Times are CLOCK_MONOTONIC
nanoseconds, which every process of the machine shares.

Jobs:

- ``voters``: sockets that each carry their own ``sr_voter`` cookie and vote at an open-loop rate
  (round robin over the sockets, so each one stays far below the per-socket frame limit). Each
  vote is recorded as (question, sent, answered, votes after it, error code).
- ``audience``: idle sockets that follow the stream and note when each one first sees a new
  on-air question (fan-out), or just stay open (memory).
- ``http``: votes over HTTP at an open-loop rate, one voter token per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed

from bench.clients import (
    close_quietly,
    frame_type,
    hello,
    now_ns,
    on_air_id,
    open_many,
    open_socket,
)

# The first frame that says a socket follows the stream: the studio's heartbeat after hello, the
# naive peer's "subscribed", the floor's "ready".
READY_TYPES = frozenset({"heartbeat", "subscribed", "ready"})
TICK_SECONDS = 0.002


@dataclass
class Sock:
    ws: Any
    index: int
    server: int
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    pending: dict[str, tuple[int, int]] = field(default_factory=dict)
    sent: int = 0
    on_air: int | None = None
    closed: bool = False


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def _sleep_until(at_ns: int) -> None:
    delay = (at_ns - now_ns()) / 1e9
    if delay > 0:
        await asyncio.sleep(delay)


@dataclass
class Opened:
    sockets: list[Sock]
    readers: list[asyncio.Task]
    report: dict[str, Any]


async def open_sockets(
    spec: dict[str, Any],
    read: Callable[[Sock], Awaitable[None]],
    *,
    cookie: Callable[[int], str | None],
    says_hello: bool,
    wait_ready: bool,
) -> Opened:
    """Open ``spec["n"]`` sockets over ``spec["urls"]`` (socket i on url i % len), a few at a
    time like arriving browsers: each connects, starts its reader, says hello if asked, and
    waits for the end of its sync before the next one takes its place."""
    urls, first, seq = spec["urls"], spec.get("first_index", 0), spec.get("hello_seq")
    readers: list[asyncio.Task] = []
    sockets: list[Sock] = []
    not_ready = 0

    async def one(i: int) -> Sock:
        nonlocal not_ready
        server = i % len(urls)
        ws = await open_socket(urls[server], cookie=cookie(first + i))
        sock = Sock(ws=ws, index=first + i, server=server)
        sockets.append(sock)
        readers.append(asyncio.create_task(read(sock)))
        if says_hello:
            await ws.send(hello(seq))
        if wait_ready:
            try:
                await asyncio.wait_for(sock.ready.wait(), 30)
            except TimeoutError:
                not_ready += 1
        return sock

    coroutines = [one(i) for i in range(spec["n"])]
    try:
        results = await asyncio.wait_for(open_many(coroutines), spec.get("cap", 60))
    except TimeoutError:
        # Past the cap, sockets not yet open are given up ("failed" counts them).
        results = [TimeoutError(f"not open within {spec.get('cap', 60)} s")]
    errors = sorted({repr(r)[:200] for r in results if not isinstance(r, Sock)})[:3]
    report = {
        "opened": len(sockets),
        "failed": spec["n"] - len(sockets),
        "not_ready": not_ready,
        "errors": errors,
    }
    return Opened(sockets, readers, report)


class Voters:
    """Voter sockets; ``run`` sends votes at a fixed total rate and records every answer."""

    def __init__(self) -> None:
        self.sockets: list[Sock] = []
        self.records: list[tuple[int, int, int, int, str]] = []
        self.unmatched_errors: dict[str, int] = {}
        self.readers: list[asyncio.Task] = []

    async def open(self, spec: dict[str, Any]) -> dict[str, Any]:
        prefix = spec["token_prefix"]
        says_hello = spec.get("hello", False)
        opened = await open_sockets(
            spec,
            self._read,
            cookie=lambda i: f"sr_voter={prefix}{i:010d}voter",
            says_hello=says_hello,
            wait_ready=says_hello,
        )
        self.sockets, self.readers = opened.sockets, opened.readers
        return opened.report

    async def _read(self, sock: Sock) -> None:
        records, unmatched = self.records, self.unmatched_errors
        try:
            async for text in sock.ws:
                kind = frame_type(text)
                if kind == "ack" or kind == "error":
                    at = now_ns()
                    data = json.loads(text)["data"]
                    entry = sock.pending.pop(str(data.get("id")), None)
                    if entry is None:
                        code = data.get("code", kind)
                        unmatched[code] = unmatched.get(code, 0) + 1
                        continue
                    question, sent = entry
                    if kind == "ack":
                        records.append((question, sent, at, int(data.get("votes", -1)), ""))
                    else:
                        records.append((question, sent, at, -1, str(data.get("code"))))
                elif kind in READY_TYPES:
                    sock.ready.set()
        except ConnectionClosed:
            pass  # closed by us or by the server: its pending votes count as unanswered
        sock.closed = True

    async def run(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Send ``rate`` votes/s in total for ``seconds`` from ``start_ns``, then wait for answers.

        Socket k's n-th vote goes to pool[(k * 97 + n) % len(pool)]: a voter never votes twice for
        a question (the pool is far larger than any socket's number of votes).
        """
        server = spec.get("server")
        sockets = [s for s in self.sockets if server is None or s.server == server]
        pool: list[int] = spec["pool"]
        rate, cap = spec["rate"], spec["cap"]
        start, end = spec["start_ns"], spec["start_ns"] + int(spec["seconds"] * 1e9)
        # Cleared in place: the socket readers append to these very objects.
        self.records.clear()
        self.unmatched_errors.clear()
        sent = shed = broken = 0
        await _sleep_until(start)
        offered, last_tick, max_gap = 0, now_ns(), 0
        while (now := now_ns()) < end and sockets:
            # The longest gap between two ticks: how late this load process itself ran.
            max_gap, last_tick = max(max_gap, now - last_tick), now
            due = int((now - start) * rate / 1e9)
            while offered < due:
                sock = sockets[offered % len(sockets)]
                offered += 1
                if sock.closed:
                    broken += 1
                    continue
                if len(sock.pending) >= cap:
                    shed += 1
                    continue
                question = pool[(sock.index * 97 + sock.sent) % len(pool)]
                vote_id = f"v{sock.sent}"
                sock.sent += 1
                sock.pending[vote_id] = (question, now_ns())
                try:
                    await sock.ws.send(
                        f'{{"type": "vote", "id": "{vote_id}", "data": {{"question": {question}}}}}'
                    )
                except Exception:
                    sock.pending.pop(vote_id, None)
                    sock.closed = True
                    broken += 1
                    continue
                sent += 1
            await asyncio.sleep(TICK_SECONDS)
        deadline = now_ns() + int(spec["drain"] * 1e9)
        while now_ns() < deadline and any(s.pending for s in sockets):
            await asyncio.sleep(0.02)
        unanswered = 0
        for sock in sockets:
            for question, sent_at in sock.pending.values():
                self.records.append((question, sent_at, 0, -1, "unanswered"))
                unanswered += 1
            sock.pending.clear()
        with open(spec["out"], "w") as f:
            json.dump(
                {"records": self.records, "unmatched_errors": self.unmatched_errors},
                f,
            )
        return {
            "sockets": len(sockets),
            "offered": offered,
            "sent": sent,
            "shed": shed,
            "broken": broken,
            "unanswered": unanswered,
            "max_tick_gap_ms": round(max_gap / 1e6, 1),
        }

    async def close(self) -> None:
        await close_quietly([s.ws for s in self.sockets])
        for task in self.readers:
            task.cancel()
        self.sockets = []


class Audience:
    """Sockets that follow the stream; each notes when it first sees a new on-air question.

    When every open socket of this process has seen question q on air, the process emits
    ``{"event": "fanout", "job": ..., "q": q, "n": ..., "first_ns": ..., "last_ns": ...}``.
    """

    def __init__(self, job: str) -> None:
        self.job = job
        self.sockets: list[Sock] = []
        self.readers: list[asyncio.Task] = []
        self.seen: dict[int, list[int]] = {}  # question -> [count, first_ns, last_ns, reported]
        self.alive = 0
        self.frames = 0  # every frame the sockets received (on air, vote counts, heartbeats)

    async def open(self, spec: dict[str, Any]) -> dict[str, Any]:
        self.alive = spec["n"]  # lowered as sockets fail or close
        opened = await open_sockets(
            spec,
            self._read,
            cookie=lambda i: None,
            says_hello=spec.get("hello", True),
            wait_ready=True,
        )
        self.sockets, self.readers = opened.sockets, opened.readers
        self.alive -= opened.report["failed"]
        return opened.report

    async def _read(self, sock: Sock) -> None:
        try:
            async for text in sock.ws:
                self.frames += 1
                kind = frame_type(text)
                if kind == "on_air" or kind == "queue":
                    question = on_air_id(text)
                    if question is not None and question != sock.on_air:
                        sock.on_air = question
                        self._seen(question, now_ns())
                elif kind in READY_TYPES:
                    sock.ready.set()
        except ConnectionClosed:
            pass  # closed by us, or by the server: then counted as lost
        sock.closed = True
        self.alive -= 1
        for question, entry in self.seen.items():
            if not entry[3] and entry[0] >= self.alive:
                entry[3] = 1
                _emit({"event": "fanout", "job": self.job, **self.status(question)})

    def _seen(self, question: int, at: int) -> None:
        """Note that one more socket saw ``question`` on air; report when every socket still
        open has (a socket the server closed is not waited for: ``lost`` says how many)."""
        entry = self.seen.get(question)
        if entry is None:
            entry = self.seen[question] = [0, at, at, 0]
        entry[0] += 1
        entry[2] = max(entry[2], at)
        if entry[0] >= self.alive and not entry[3]:
            entry[3] = 1
            _emit({"event": "fanout", "job": self.job, **self.status(question)})

    def status(self, question: int) -> dict[str, Any]:
        count, first, last, _ = self.seen.get(question, [0, 0, 0, 0])
        return {
            "q": question,
            "n": count,
            "of": len(self.sockets),
            "lost": len(self.sockets) - self.alive,
            "first_ns": first,
            "last_ns": last,
        }

    async def close(self) -> None:
        await close_quietly([s.ws for s in self.sockets])
        for task in self.readers:
            task.cancel()
        self.sockets = []


async def http_run(spec: dict[str, Any]) -> dict[str, Any]:
    """POST votes at an open-loop rate; each request is its own voter (X-Voter-Token)."""
    import aiohttp

    pool: list[int] = spec["pool"]
    url, rate = spec["url"], spec["rate"]
    first, max_in_flight = spec["first_index"], spec["max_in_flight"]
    start, end = spec["start_ns"], spec["start_ns"] + int(spec["seconds"] * 1e9)
    records: list[tuple[int, int, int, int, str]] = []
    in_flight: set[asyncio.Task] = set()
    connector = aiohttp.TCPConnector(limit=spec["connections"])
    async with aiohttp.ClientSession(connector=connector) as client:

        async def vote(question: int, token: str) -> None:
            sent = now_ns()
            try:
                async with client.post(
                    url.format(question=question), headers={"X-Voter-Token": token}
                ) as response:
                    body = await response.read()
                    at = now_ns()
                    if response.status == 200:
                        records.append(
                            (question, sent, at, int(json.loads(body)["vote_count"]), "")
                        )
                        return
                    code = str(response.status)
                    with contextlib.suppress(Exception):
                        code += ":" + str(json.loads(body).get("code", ""))
                    records.append((question, sent, at, -1, code))
            except asyncio.CancelledError:
                records.append((question, sent, 0, -1, "unanswered"))
            except Exception as exc:
                records.append((question, sent, now_ns(), -1, type(exc).__name__))

        await _sleep_until(start)
        offered = shed = 0
        while (now := now_ns()) < end:
            due = int((now - start) * rate / 1e9)
            while offered < due:
                n = first + offered
                offered += 1
                if len(in_flight) >= max_in_flight:
                    shed += 1
                    continue
                task = asyncio.create_task(vote(pool[n % len(pool)], f"bench-http-{n:010d}"))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            await asyncio.sleep(TICK_SECONDS)
        if in_flight:
            _, late = await asyncio.wait(set(in_flight), timeout=spec["drain"])
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=2)
    with open(spec["out"], "w") as f:
        json.dump({"records": records, "unmatched_errors": {}}, f)
    return {"offered": offered, "shed": shed, "sent": offered - shed}


class LoadProcess:
    def __init__(self) -> None:
        self.voters: dict[str, Voters] = {}
        self.audiences: dict[str, Audience] = {}

    async def handle(self, command: dict[str, Any]) -> dict[str, Any]:
        cmd, job = command["cmd"], command.get("job", "")
        if cmd == "voters.open":
            self.voters[job] = Voters()
            return await self.voters[job].open(command)
        if cmd == "voters.run":
            return await self.voters[job].run(command)
        if cmd == "voters.close":
            if job in self.voters:
                await self.voters.pop(job).close()
            return {}
        if cmd == "audience.open":
            self.audiences[job] = Audience(job)
            return await self.audiences[job].open(command)
        if cmd == "audience.status":
            return self.audiences[job].status(command["q"])
        if cmd == "audience.frames":
            audience = self.audiences.get(job)
            return {"frames": audience.frames if audience else 0}
        if cmd == "audience.close":
            if job in self.audiences:
                await self.audiences.pop(job).close()
            return {}
        if cmd == "http.run":
            return await http_run(command)
        if cmd == "ping":
            return {"now_ns": now_ns()}
        raise ValueError(f"unknown command {cmd!r}")

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        tasks: set[asyncio.Task] = set()
        while line := await reader.readline():
            task = asyncio.create_task(self._answer(json.loads(line)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        for job in list(self.voters.values()) + list(self.audiences.values()):
            await job.close()

    async def _answer(self, command: dict[str, Any]) -> None:
        try:
            reply = await self.handle(command)
        except Exception as exc:
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        _emit({"rid": command.get("rid"), **reply})


def main() -> None:
    from bench.processes import raise_open_files_limit

    raise_open_files_limit()  # 5,000 sockets and more per load process
    asyncio.run(LoadProcess().serve())


if __name__ == "__main__":
    main()
