"""The phases of a run. Each measures one thing on one design and returns what it saw.

Every phase has a hard time limit: a design that cannot keep up is reported as far as it got
(samples that timed out, sockets never reached), never waited for without end.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.clients import now_ns
from bench.config import (
    DROP_SECONDS,
    FANOUT_SOCKETS,
    LOADED_VOTE_RATE,
    MAX_OUTSTANDING_PER_SOCKET,
    RESYNC_STAGGER_SECONDS,
    TAKE_INTERVAL_SECONDS,
    VOTER_SOCKETS,
)
from bench.costs import STATS_SETTLE_SECONDS, Meter
from bench.probes import Design, Probe
from bench.processes import LoadClient, rss_kib

NS = 1_000_000_000
VOTERS_OPEN_CAP_SECONDS = 20.0
# Sustained votes/s leaves out the phase's first half second (see VoteRun.acked_rate).
RAMP_SECONDS = 0.5


class SocketsMissing(RuntimeError):
    """A phase whose planned sockets were not all open (and synced) in time: it is not run on
    a partial set, it fails, and the message says how many were missing."""


def require_open(what: str, planned: int, opened: dict) -> None:
    ready = opened["opened"] - opened.get("not_ready", 0)
    if ready < planned:
        errors = "; ".join(opened.get("errors", [])[:2])
        raise SocketsMissing(
            f"{planned - ready:,} of {planned:,} {what} sockets not open and synced "
            f"({opened['opened']:,} open, {opened.get('not_ready', 0):,} not synced)"
            + (f": {errors}" if errors else "")
        )


@dataclass
class Context:
    loads: list[LoadClient]
    work_dir: Path
    drain_seconds: float


async def settle(design: Design, cap: float = 20.0) -> float:
    """Until a fresh audience socket on every server of the design joins the stream within
    300 ms again (a saturated server keeps working through its backlog after a phase: votes,
    requests, events still queued); returns how long it waited."""
    if design.key == "floor":
        return 0.0
    started = now_ns()
    deadline = started + int(cap * NS)
    _, seq = design.idle_hello()
    for index in range(len(design.servers)):
        while now_ns() < deadline:
            with contextlib.suppress(Exception):  # refused or timed out: still busy
                probe = await asyncio.wait_for(Probe.open(design.audience_url(index)), 5)
                try:
                    await probe.sync(seq, 5)
                finally:
                    await probe.close()
                if (probe.ready_ns - probe.opened_ns) < NS * 3 // 10:
                    break
            await asyncio.sleep(0.3)
    return (now_ns() - started) / NS


async def sleep_until(at_ns: int) -> None:
    delay = (at_ns - now_ns()) / NS
    if delay > 0:
        await asyncio.sleep(delay)


def _split(total: int, parts: int) -> list[tuple[int, int]]:
    """(first index, count) of each of ``parts`` shares of ``total``."""
    shares, first = [], 0
    for i in range(parts):
        count = total // parts + (1 if i < total % parts else 0)
        shares.append((first, count))
        first += count
    return shares


async def open_probe(factory: Any, attempts: int = 3) -> Probe:
    """A measuring socket a phase needs before it starts; a refusal is retried (the previous
    phase may have left a server briefly busy), the last one raised."""
    for attempt in range(attempts):
        try:
            return await factory()
        except Exception:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(1.0)
    raise AssertionError("unreachable")


# --- votes --------------------------------------------------------------------------------------


@dataclass
class VoteRun:
    """The merged records of one vote phase: (question, sent, answered, votes after, code)."""

    rate: float
    seconds: float
    start_ns: int
    offered: int = 0
    sent: int = 0
    shed: int = 0
    broken: int = 0
    max_tick_gap_ms: float = 0.0
    records: list[list] = field(default_factory=list)
    unmatched_errors: Counter = field(default_factory=Counter)

    @property
    def acked(self) -> list[list]:
        return [r for r in self.records if r[4] == ""]

    def acked_rate(self) -> float:
        """Votes acknowledged per second while the phase was sending, in its steady state: from
        RAMP_SECONDS after the first vote (at most a quarter of the phase) to the last. Counted
        from the first vote, the first acknowledgement latency's worth of the phase has no
        acknowledgement in it by construction, and a server that keeps up exactly with the
        offered rate would read (1 - latency / phase) of it."""
        ramp = min(RAMP_SECONDS, self.seconds / 4)
        begin = self.start_ns + int(ramp * NS)
        end = self.start_ns + int(self.seconds * NS)
        return sum(1 for r in self.acked if begin < r[2] <= end) / (self.seconds - ramp)

    @property
    def unanswered(self) -> int:
        return sum(1 for r in self.records if r[4] == "unanswered")

    def latencies_ms(self) -> list[float]:
        return [(r[2] - r[1]) / 1e6 for r in self.acked]

    def errors(self) -> Counter:
        codes = Counter(r[4] for r in self.records if r[4])
        if self.shed:
            codes["shed_by_client"] = self.shed
        if self.broken:
            codes["socket_closed"] = self.broken
        return codes + self.unmatched_errors

    def acked_per_question(self) -> Counter:
        return Counter(r[0] for r in self.acked)

    def summary(self) -> dict:
        return {
            "offered_rate": self.rate,
            "seconds": self.seconds,
            "offered": self.offered,
            "sent": self.sent,
            "acknowledged": len(self.acked),
            "errors": dict(self.errors()),
            "load_process_max_tick_gap_ms": self.max_tick_gap_ms,
        }


def _merge(run: VoteRun, replies: list[dict], files: list[Path]) -> VoteRun:
    for reply, path in zip(replies, files, strict=True):
        run.offered += reply.get("offered", 0)
        run.sent += reply.get("sent", 0)
        run.shed += reply.get("shed", 0)
        run.broken += reply.get("broken", 0)
        run.max_tick_gap_ms = max(run.max_tick_gap_ms, reply.get("max_tick_gap_ms", 0.0))
        data = json.loads(path.read_text())
        run.records.extend(data["records"])
        run.unmatched_errors.update(data["unmatched_errors"])
        path.unlink()
    return run


async def open_voters(ctx: Context, design: Design, subscribe: bool | None = None) -> dict:
    """VOTER_SOCKETS voter sockets spread over the design's servers, each with its own token.

    The studio's voters say hello at the stream's head, so they follow the public stream (vote
    counts, on air) like a browser would. The peer's voters never say hello: subscribed, each
    would receive the whole queue after every vote (megabytes a vote), which no machine could
    sustain; this favours the peer.
    """
    says_hello, seq = design.idle_hello()
    says_hello = says_hello and (design.key == "ours" if subscribe is None else subscribe)
    urls = [design.audience_url(i) for i in range(len(design.servers))]
    replies = await asyncio.gather(
        *(
            load.call(
                "voters.open",
                job="voters",
                urls=urls,
                n=count,
                first_index=first,
                token_prefix=f"{design.slot}{design.voter_rounds:02d}{i}",
                hello=says_hello,
                hello_seq=seq,
                cap=VOTERS_OPEN_CAP_SECONDS,
                timeout=VOTERS_OPEN_CAP_SECONDS + 60,
            )
            for i, (load, (first, count)) in enumerate(
                zip(ctx.loads, _split(VOTER_SOCKETS, len(ctx.loads)), strict=True)
            )
        )
    )
    design.voters_open = True
    design.voter_rounds += 1
    opened = {
        "opened": sum(r["opened"] for r in replies),
        "failed": sum(r["failed"] for r in replies),
        "not_ready": sum(r.get("not_ready", 0) for r in replies),
        "errors": [e for r in replies for e in r["errors"]],
    }
    require_open("voter", VOTER_SOCKETS, opened)
    return opened


async def close_voters(ctx: Context, design: Design) -> None:
    await asyncio.gather(*(load.call("voters.close", job="voters") for load in ctx.loads))
    design.voters_open = False


async def run_votes(
    ctx: Context,
    design: Design,
    *,
    rate: float,
    seconds: float,
    server: int | None = None,
    start_ns: int | None = None,
) -> VoteRun:
    """Open-loop votes over the voter sockets (of one server, or all) at ``rate`` in total."""
    start = start_ns or now_ns() + NS // 2
    files = [ctx.work_dir / f"votes-{design.key}-{i}-{start}.json" for i in range(len(ctx.loads))]
    replies = await asyncio.gather(
        *(
            load.call(
                "voters.run",
                job="voters",
                rate=rate / len(ctx.loads),
                seconds=seconds,
                start_ns=start,
                cap=MAX_OUTSTANDING_PER_SOCKET,
                drain=ctx.drain_seconds,
                server=server,
                pool=design.vote_pool,
                out=str(path),
                timeout=seconds + ctx.drain_seconds + 60,
            )
            for load, path in zip(ctx.loads, files, strict=True)
        )
    )
    return _merge(VoteRun(rate=rate, seconds=seconds, start_ns=start), replies, files)


async def http_votes(ctx: Context, design: Design, *, rate: float, seconds: float) -> VoteRun:
    """Open-loop votes over HTTP (POST with X-Voter-Token), one voter per request, all to the
    design's first server: the target is a single process's."""
    start = now_ns() + NS // 2
    files = [ctx.work_dir / f"http-{i}-{start}.json" for i in range(len(ctx.loads))]
    design.http_rounds += 1  # each round's requests are voters of their own
    slug = design.session["slug"]
    replies = await asyncio.gather(
        *(
            load.call(
                "http.run",
                url=f"http://127.0.0.1:{design.server(0).port}/api/public/sessions/{slug}"
                "/questions/{question}/vote/",
                rate=rate / len(ctx.loads),
                seconds=seconds,
                start_ns=start,
                drain=ctx.drain_seconds,
                pool=design.vote_pool,
                first_index=design.http_rounds * 100_000_000 + i * 10_000_000,
                max_in_flight=100,
                connections=100,
                out=str(path),
                timeout=seconds + ctx.drain_seconds + 60,
            )
            for i, (load, path) in enumerate(zip(ctx.loads, files, strict=True))
        )
    )
    return _merge(VoteRun(rate=rate, seconds=seconds, start_ns=start), replies, files)


def vote_to_console_ms(run: VoteRun, console: Probe) -> tuple[list[float], int]:
    """For each acknowledged vote (count c after it): from its sending to the first count >= c
    the console was shown for that question. Returns the latencies and the votes never shown."""
    latencies: list[float] = []
    missing = 0
    cache: dict[int, tuple[list[int], list[int]]] = {}
    for question, sent, _, votes, _ in run.acked:
        if question not in cache:
            shown = console.shown.get(question, [])
            highest, running = [], 0
            for _, count in shown:
                running = max(running, count)
                highest.append(running)
            cache[question] = ([at for at, _ in shown], highest)
        times, highest = cache[question]
        i = bisect.bisect_left(highest, votes)
        if i == len(highest):
            missing += 1
        else:
            latencies.append((times[i] - sent) / 1e6)
    return latencies, missing


# --- audience sockets: memory and fan-out ------------------------------------------------------


async def open_audience(
    ctx: Context, design: Design, job: str, total: int, cap: float = 60.0
) -> dict:
    says_hello, seq = design.idle_hello()
    urls = [design.audience_url(i) for i in range(len(design.servers))]
    replies = await asyncio.gather(
        *(
            load.call(
                "audience.open",
                job=job,
                urls=urls,
                n=count,
                first_index=first,
                hello=says_hello,
                hello_seq=seq,
                cap=cap,
                timeout=cap + 60,
            )
            for load, (first, count) in zip(ctx.loads, _split(total, len(ctx.loads)), strict=True)
        )
    )
    opened = {key: sum(r[key] for r in replies) for key in ("opened", "failed", "not_ready")}
    return opened | {"errors": [e for r in replies for e in r["errors"]]}


async def audience_frames(ctx: Context, job: str) -> int:
    """Frames the audience sockets of ``job`` have received so far, over every load process."""
    replies = await asyncio.gather(*(load.call("audience.frames", job=job) for load in ctx.loads))
    return sum(r["frames"] for r in replies)


async def close_audience(ctx: Context, *jobs: str) -> None:
    """Close the audience sockets of these jobs (a job that is not open is skipped)."""
    await asyncio.gather(
        *(load.call("audience.close", job=job) for load in ctx.loads for job in jobs)
    )


async def await_fanout(
    ctx: Context, job: str, question: int, timeout: float, sent_ns: int = 0
) -> tuple[int | None, int, int]:
    """When the last open audience socket of ``job`` saw ``question`` on air (None if not all
    did in time), how many sockets saw it, and how many the servers had closed. A report whose
    last delivery is before ``sent_ns`` is a stale one (an earlier phase's), never this take's:
    skipped (a quick run once paired such a report with a floor event: a negative latency)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    lasts: list[int] = []
    reached = lost = 0
    for load in ctx.loads:
        while (remaining := deadline - loop.time()) > 0:
            try:
                event = await asyncio.wait_for(load.events.get(), remaining)
            except TimeoutError:
                break
            if (
                event.get("job") == job
                and event.get("q") == question
                and event.get("last_ns", 0) >= sent_ns
            ):
                lasts.append(event["last_ns"])
                reached += event["n"]
                lost += event["lost"]
                break
    if len(lasts) == len(ctx.loads):
        return max(lasts), reached, lost
    statuses = await asyncio.gather(
        *(load.call("audience.status", job=job, q=question) for load in ctx.loads)
    )
    return None, sum(s["n"] for s in statuses), sum(s["lost"] for s in statuses)


@dataclass
class Fanout:
    memory_per_socket_kib: float | None
    memory: dict
    last_delivery_ms: list[float]
    incomplete: list[int]  # sockets reached by each event that did not reach all in time
    opened: dict
    sockets_lost: int = 0  # closed by the servers during the phase
    seconds: dict[str, float] = field(default_factory=dict)  # open, events, close
    sockets: int = FANOUT_SOCKETS
    # Server CPU: idle (no sockets, then every socket open) and during the events.
    cpu: dict[str, float] = field(default_factory=dict)
    failed_because: str = ""

    @classmethod
    def failed(cls, sockets: int = FANOUT_SOCKETS, why: str = "") -> Fanout:
        return cls(None, {}, [], [], {}, sockets=sockets, failed_because=why)


async def _idle_cpu(meter: Meter, seconds: float, into: dict, name: str) -> float:
    """Server CPU seconds per second over an idle window; into[f"idle_{name}"] gets the whole
    reading (PostgreSQL transactions and Redis PUBLISH with no load: the capacity model's
    baseline of read-only transactions and periodic messages)."""
    start = meter.read()
    await asyncio.sleep(seconds)
    delta = meter.read().minus(start)
    into[f"idle_{name}"] = delta
    return delta["server_cpu_seconds"] / max(delta["seconds"], 1e-9)


async def memory_and_fanout(
    ctx: Context,
    design: Design,
    *,
    idle_sockets: int,
    events: int,
    timeout: float,
    cap: float,
    open_cap: float,
    sockets: int = FANOUT_SOCKETS,
    job: str = "fan",
    idle_window: float = 2.0,
    profile: Any = None,
) -> Fanout:
    """Memory per idle audience socket, then fan-out of one on-air change to ``sockets`` of
    them. Every planned socket must be open and synced, or the phase fails (SocketsMissing).

    Memory: the resident memory of the design's server processes before and after opening
    ``idle_sockets`` audience sockets that joined the stream without its state (the studio's
    at the stream head, the peer's as if they had the queue), divided by their number (0: no
    memory figure, the fan-out sockets only).

    CPU (per-unit costs): the servers' CPU per second with no socket open and with every socket
    open (idle: heartbeats), over ``idle_window`` seconds each; then over the events, with the
    frames the sockets received (each take's event, and whatever else the servers sent).

    Fan-out: a take (the floor: one message from a trigger client) is sent; the time is from
    sending it to the moment the LAST socket received the on-air change.
    """
    meter = Meter(design.pids)
    # The sender first: a server busy with a thousand sockets may not accept a console in time.
    sender = await design.console(0)
    cpu: dict[str, float] = {}
    per_socket = None
    before = after = 0
    try:
        if design.key == "floor":
            await asyncio.wait_for(sender.ready.wait(), 10)
        await open_audience(ctx, design, "warm", 20)  # first-use costs are not per-socket costs
        await close_audience(ctx, "warm")
        await asyncio.sleep(0.5)
        before = sum(rss_kib(pid) for pid in design.pids)
        cpu["idle_cpu_per_second_no_sockets"] = await _idle_cpu(
            meter, idle_window, cpu, "no_sockets"
        )
        began = now_ns()
        opened = await open_audience(ctx, design, job, sockets, open_cap)
        require_open("audience", sockets, opened)
        extra = idle_sockets - sockets
        if extra > 0:
            more = await open_audience(ctx, design, "idle", extra, open_cap)
            opened = {k: opened[k] + more[k] for k in ("opened", "failed", "not_ready")}
            require_open("idle audience", extra, more)
        seconds = {"open": (now_ns() - began) / NS}
        await asyncio.sleep(1.0)
        held = max(idle_sockets, sockets)
        cpu["idle_cpu_per_second_all_sockets"] = await _idle_cpu(
            meter, idle_window, cpu, "all_sockets"
        )
        cpu["idle_sockets"] = held
        after = sum(rss_kib(pid) for pid in design.pids)
        per_socket = (
            (after - before) / opened["opened"] if idle_sockets and opened["opened"] else None
        )
        await close_audience(ctx, "idle")

        samples: list[float] = []
        incomplete: list[int] = []
        lost = 0
        if profile is not None:
            await profile.start()
        frames_before = await audience_frames(ctx, job)
        at, cpu_before = meter.cpu()
        began = now_ns()
        phase_end = began + int(cap * NS)
        for k in range(events):
            if now_ns() > phase_end:
                break
            question = design.next_take()
            sent = await design.take(sender, question, f"f{k}")
            last, reached, lost = await await_fanout(ctx, job, question, timeout, sent)
            if last is None:
                incomplete.append(reached)
            else:
                samples.append((last - sent) / 1e6)
            await asyncio.sleep(0.1)
        at2, cpu_after = meter.cpu()
        if profile is not None:
            await profile.stop()
        seconds["events"] = (now_ns() - began) / NS
        cpu["events_cpu_seconds"] = round(cpu_after - cpu_before, 3)
        cpu["events_seconds"] = round(at2 - at, 3)
        cpu["events"] = len(samples) + len(incomplete)
        cpu["frames_delivered"] = await audience_frames(ctx, job) - frames_before
        cpu["sockets"] = sockets
    finally:
        began = now_ns()
        await sender.close()
        await close_audience(ctx, "warm", job, "idle")
    seconds["close"] = (now_ns() - began) / NS
    return Fanout(
        memory_per_socket_kib=per_socket,
        memory={"before_kib": before, "after_kib": after, "sockets": opened["opened"]},
        last_delivery_ms=samples,
        incomplete=incomplete,
        opened=opened,
        sockets_lost=lost,
        seconds={k: round(v, 1) for k, v in seconds.items()},
        sockets=sockets,
        cpu={k: round(v, 6) if isinstance(v, float) else v for k, v in cpu.items()},
    )


# --- take -> overlay, snapshots, resync ----------------------------------------------------------


@dataclass
class Takes:
    latencies_ms: list[float] = field(default_factory=list)
    timeouts: int = 0
    errors: dict = field(default_factory=dict)
    # A Meter delta from the first take to the last one's event (+ the stats' settling time),
    # the console and overlay already open: what the takes cost PostgreSQL and Redis.
    costs: dict = field(default_factory=dict)


async def take_to_overlay(
    design: Design,
    *,
    samples: int,
    timeout: float,
    interval: float = TAKE_INTERVAL_SECONDS,
    start_ns: int | None = None,
    end_ns: int | None = None,
    meter: Meter | None = None,
    profile: Any = None,
) -> Takes:
    """Take a different question every ``interval`` seconds from a console on the first server;
    the time is from sending the take to the on-air event on an overlay on the second server
    (the floor: a trigger client's message to one listener). The next take waits for the
    previous one's event (or its timeout)."""
    sender = await design.console(0)
    listener: Probe | None = None
    takes = Takes()
    try:
        if design.key == "floor":
            await asyncio.wait_for(sender.ready.wait(), 10)
        listener = await design.overlay(1)
        if start_ns is not None:
            await sleep_until(start_ns)
        if profile is not None:
            await profile.start()
        if meter is not None:
            await asyncio.sleep(STATS_SETTLE_SECONDS)  # the probes' own reads counted before
            first = meter.read()
        for k in range(samples):
            if end_ns is not None and now_ns() > end_ns:
                break
            question = design.next_take()
            arrived = listener.expect_on_air(question)
            sent = await design.take(sender, question, f"t{k}")
            try:
                takes.latencies_ms.append((await asyncio.wait_for(arrived, timeout) - sent) / 1e6)
            except TimeoutError:
                takes.timeouts += 1
            await sleep_until(sent + int(interval * NS))
        if profile is not None:
            await profile.stop()
        if meter is not None:
            await asyncio.sleep(STATS_SETTLE_SECONDS)
            takes.costs = meter.read().minus(first)
    finally:
        takes.errors = dict(sender.errors)
        await sender.close()
        if listener is not None:
            await listener.close()
    return takes


async def console_snapshots(design: Design, *, repeats: int, timeout: float) -> dict:
    """A console connecting cold (hello with no seq): from opening the socket to the end of the
    sync (the heartbeat after the snapshot; the peer: its whole queue)."""
    samples, size = [], 0
    for _ in range(repeats):
        probe = await design.console(1)
        try:
            ready = await probe.sync(None, timeout)
            samples.append((ready - probe.opened_ns) / 1e6)
            size = probe.snapshot_bytes
        except TimeoutError:
            pass
        await probe.close()
    return {"samples_ms": samples, "bytes": size, "timeouts": repeats - len(samples)}


class Resync:
    """A console that is synced, dropped for DROP_SECONDS while the load goes on, and reconnects
    with ``hello {seq: last seen}``; the time is from starting the reconnection to the end of the
    sync (the heartbeat after the replayed events). The peer has no replay: it reconnects with
    hello and waits for the whole queue."""

    def __init__(self, design: Design) -> None:
        self.design = design
        self.probe: Probe | None = None
        self.result_ms: float | None = None
        self.replayed = 0
        self.snapshot = False

    async def prepare(self, timeout: float) -> None:
        self.probe = await open_probe(lambda: self.design.console(1))
        await self.probe.sync(self.design.console_head(), timeout)

    async def run(self, drop_at_ns: int, timeout: float) -> None:
        assert self.probe is not None
        await sleep_until(drop_at_ns)
        last = self.probe.last_seq
        await self.probe.close()
        await asyncio.sleep(DROP_SECONDS)
        again = await self.design.console(1)
        try:
            ready = await again.sync(last if self.design.key == "ours" else None, timeout)
            self.result_ms = (ready - again.opened_ns) / 1e6
            self.replayed = again.frames_before_ready
            self.snapshot = again.snapshot_bytes > 0
        except TimeoutError:
            pass
        await again.close()


@dataclass
class Loaded:
    votes: VoteRun
    vote_to_console_ms: list[float]
    never_shown: int
    takes: Takes
    resync_ms: list[float]
    resync_timeouts: int
    resync_detail: list[dict]

    @classmethod
    def failed(cls, rate: float, seconds: float) -> Loaded:
        return cls(VoteRun(rate=rate, seconds=seconds, start_ns=0), [], 0, Takes(), [], 0, [])


def loaded_seconds(takes: int, resyncs: int) -> float:
    return 0.5 + max(takes * TAKE_INTERVAL_SECONDS, (resyncs - 1) * RESYNC_STAGGER_SECONDS + 6.5)


async def loaded(
    ctx: Context,
    design: Design,
    *,
    seconds: float,
    takes: int,
    resyncs: int,
    take_timeout: float,
    sync_timeout: float,
) -> Loaded:
    """2,000 votes/s from the voter sockets of the first server while, on the second server, a
    console records every vote count it is shown (vote -> console), an overlay receives takes
    (take -> overlay under load) and consoles drop and come back (resync)."""
    watcher = await open_probe(lambda: design.console(1, track_votes=True))
    try:
        return await _loaded(
            ctx, design, watcher, seconds, takes, resyncs, take_timeout, sync_timeout
        )
    finally:
        await watcher.close()


async def _loaded(
    ctx: Context,
    design: Design,
    watcher: Probe,
    seconds: float,
    takes: int,
    resyncs: int,
    take_timeout: float,
    sync_timeout: float,
) -> Loaded:
    # Synced at the stream head: what it is shown from then on is what is measured.
    await watcher.sync(design.console_head(), sync_timeout)
    cycles = [Resync(design) for _ in range(resyncs)]
    try:
        for cycle in cycles:
            await cycle.prepare(sync_timeout)
        return await _loaded_run(
            ctx, design, watcher, cycles, seconds, takes, take_timeout, sync_timeout
        )
    finally:
        for cycle in cycles:
            if cycle.probe is not None:
                await cycle.probe.close()


async def _loaded_run(
    ctx: Context,
    design: Design,
    watcher: Probe,
    cycles: list[Resync],
    seconds: float,
    takes: int,
    take_timeout: float,
    sync_timeout: float,
) -> Loaded:
    start = now_ns() + NS // 2
    begin = start + NS // 2
    end = start + int(seconds * NS)
    vote_run, take_result, *_ = await asyncio.gather(
        run_votes(ctx, design, rate=LOADED_VOTE_RATE, seconds=seconds, server=0, start_ns=start),
        take_to_overlay(design, samples=takes, timeout=take_timeout, start_ns=begin, end_ns=end),
        *(
            cycle.run(begin + int(i * RESYNC_STAGGER_SECONDS * NS), sync_timeout)
            for i, cycle in enumerate(cycles)
        ),
    )
    await asyncio.sleep(1.0)  # counts of the last votes still on their way
    latencies, never_shown = vote_to_console_ms(vote_run, watcher)
    return Loaded(
        votes=vote_run,
        vote_to_console_ms=latencies,
        never_shown=never_shown,
        takes=take_result,
        resync_ms=[c.result_ms for c in cycles if c.result_ms is not None],
        resync_timeouts=sum(1 for c in cycles if c.result_ms is None),
        resync_detail=[
            {"ms": c.result_ms, "replayed_events": c.replayed, "snapshot": c.snapshot}
            for c in cycles
        ],
    )


# --- the capacity model's check: a smaller mixed load --------------------------------------------


async def mixed(
    ctx: Context,
    design: Design,
    *,
    sockets: int,
    vote_rate: float,
    take_interval: float,
    seconds: float,
) -> dict:
    """Listeners, votes and takes at once, at rates the servers keep up with: the audience
    sockets (job "mixed") follow the stream, the voter sockets vote at ``vote_rate``, a console
    takes a question every ``take_interval`` seconds. Returns the work done (votes acknowledged,
    frames the listeners received) and what it cost (a Meter delta over the whole window), for
    the capacity model to predict from its per-unit costs and compare."""
    meter = Meter(design.pids)
    opened = await open_audience(ctx, design, "mixed", sockets)
    try:
        require_open("listener", sockets, opened)
        if not design.voters_open:
            await open_voters(ctx, design)
        sender = await open_probe(lambda: design.console(0))
        takes = 0
        try:
            await asyncio.sleep(STATS_SETTLE_SECONDS)
            frames_before = await audience_frames(ctx, "mixed")
            start_reading = meter.read()
            start = now_ns() + NS // 4
            end = start + int(seconds * NS)

            async def take_loop() -> None:
                nonlocal takes
                await sleep_until(start)
                while now_ns() < end:
                    sent = await design.take(sender, design.next_take(), f"m{takes}")
                    takes += 1
                    await sleep_until(sent + int(take_interval * NS))

            run, _ = await asyncio.gather(
                run_votes(ctx, design, rate=vote_rate, seconds=seconds, start_ns=start),
                take_loop(),
            )
            await asyncio.sleep(STATS_SETTLE_SECONDS)
            end_reading = meter.read()
            frames = await audience_frames(ctx, "mixed") - frames_before
        finally:
            await sender.close()
    finally:
        await close_audience(ctx, "mixed")
        await close_voters(ctx, design)
    return {
        "sockets": sockets,
        "offered_vote_rate": vote_rate,
        "take_interval_seconds": take_interval,
        "seconds": seconds,
        "acknowledged": len(run.acked),
        "errors": dict(run.errors()),
        "takes": takes,
        "frames_delivered": frames,
        "measured": end_reading.minus(start_reading),
        "run": run,
    }
