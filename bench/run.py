"""Run the benchmark: ``python -m bench.run [--quick] [--server daphne|uvicorn] [--servers N]
[--vote-rate R] [--repetitions N] [--compare-servers] [--profile]``.

Creates the database ``sr_bench`` (and uses Redis database 8), migrates and seeds it, starts the
studio (``--servers`` processes of ``--server``, Daphne by default), the naive peer (as many
Daphne processes) and the floor (one plain websockets process), starts the load processes,
measures each design in turn, then stops everything it started and drops the database, whatever
happened. The full run repeats the studio's and the floor's measurements three times (each
figure is the median; every repetition is kept), measures the audience paths (fan-out, memory,
votes, take -> overlay) under the other server too, and ends with the capacity model's check (a
smaller mixed load). Writes bench/results/latest.json (and a timestamped copy), prints the
table, draws docs/performance.png and regenerates the table and capacity plan in
docs/performance.md. The exit status is non-zero only when the bench itself breaks, never
because a target is missed.

Placement: clients are spread over the servers; the measuring consoles and overlays connect to
a different server than the voters and the console that takes (when there are two or more), so
every latency measured crosses processes through Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import figures, phases
from bench.config import (
    DATABASE_URL,
    FANOUT_SOCKETS,
    FULL,
    HTTP_VOTE_RATE,
    LARGE_FANOUT_SOCKETS,
    LOAD_PROCESSES,
    LOADED_VOTE_RATE,
    MAX_OUTSTANDING_PER_SOCKET,
    QUICK,
    REDIS_URL,
    RESULTS_DIR,
    ROOT,
    SECRET_KEY,
    VOTER_SOCKETS,
    Mode,
)
from bench.costs import STATS_SETTLE_SECONDS, Meter
from bench.database import check_votes, drop_database, flush_redis, recreate_database
from bench.probes import Design
from bench.processes import (
    LoadClient,
    Processes,
    Server,
    raise_open_files_limit,
    wait_http,
    wait_tcp,
)
from bench.report import capacity_markdown, heading, text_table
from bench.stats import percentile

STUDIO_APP = "socialroom.asgi:application"
SERVER_KINDS = ("daphne", "uvicorn")
# Open files a process needs for the large fan-out: its share of the sockets, and some spare.
FILES_NEEDED = LARGE_FANOUT_SOCKETS // LOAD_PROCESSES + 2048
LARGE_FANOUT_TIMEOUT = 10.0
PEER_APP = "bench.baselines.naive_asgi:application"
IDLE_TAKE_INTERVAL = 0.1
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
# No phase may run longer than this, whatever the servers do.
PHASE_GUARD_SECONDS = 300.0
TAKE_TIMEOUT = 2.0

METHOD = [
    "Every client runs in separate load processes (asyncio, websockets); times are "
    "CLOCK_MONOTONIC, shared by every process of the machine.",
    "Votes are open-loop: a fixed total rate, round robin over the voter sockets; a socket with "
    f"{MAX_OUTSTANDING_PER_SOCKET} votes unanswered sheds its next vote (counted as an error).",
    "The studio's voter sockets say hello and follow the public stream; the peer's do not "
    "subscribe (it would send them megabytes per vote), which favours the peer.",
    "Idle audience sockets join at the stream head (the studio) or as if they held the queue "
    "(the peer), so neither sends its whole state to them.",
    "The peer runs on its own session: the same 5,000 questions, copied; its servers are "
    "restarted between its loaded phase and its votes phase (a saturated peer keeps a backlog).",
    "Takes use questions no voter votes on; take -> overlay waits for each take's event.",
    "Sustained votes/s counts acknowledgements received while the phase was sending, "
    "leaving out its first 0.5 s (the first acknowledgements cannot have arrived yet).",
]


def server_env(work_dir: Path, redis_socket_timeout: float | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL"}
    }
    data_dir = work_dir / "data"
    data_dir.mkdir(exist_ok=True)
    return env | {
        "DJANGO_SETTINGS_MODULE": "socialroom.settings",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": redis_url(redis_socket_timeout),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "THROTTLE_VOTE_IP": "100000000/min",
        "THROTTLE_VOTE_VOTER": "100000000/min",
        # Every load client connects from 127.0.0.1: thousands of audience sockets, one address.
        "AUDIENCE_SOCKETS_PER_ADDRESS": "0",
        "DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(ROOT),
    }


def redis_url(socket_timeout: float | None) -> str:
    """REDIS_URL, optionally with a socket timeout longer than channels_redis's 5 s blocking
    reads: redis-py 8 reads with a 5 s socket timeout by default, so a server process whose
    channel layer stays idle that long loses a consumer to a TimeoutError."""
    if socket_timeout is None:
        return REDIS_URL
    return f"{REDIS_URL}?socket_timeout={socket_timeout:g}"


def git_commit() -> tuple[str, bool]:
    def git(*args: str) -> str:
        return subprocess.run(  # noqa: S603
            ["git", *args],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()

    return git("rev-parse", "HEAD") or "unknown", bool(git("status", "--porcelain"))


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.mode: Mode = QUICK if args.quick else FULL
        self.work_dir = Path(tempfile.mkdtemp(prefix="sr-bench-"))
        self.env = server_env(self.work_dir, args.redis_socket_timeout)
        self.processes = Processes(self.work_dir)
        self.loads: list[LoadClient] = []
        self.clock = time.monotonic()
        self.mode = replace(
            self.mode,
            repetitions=args.repetitions or self.mode.repetitions,
            compare_servers=self.mode.compare_servers
            if args.compare_servers is None
            else args.compare_servers,
        )
        self.repetitions: list[dict[str, dict[str, Any]]] = []
        self.outcomes: dict[str, dict[str, Any]] = self.new_repetition()
        self.peer_outcome: dict[str, Any] = {}
        self.ours_runs: list[phases.VoteRun] = []  # every vote on the studio's session
        self.mixed: dict[str, Any] = {}
        self.ctx: phases.Context | None = None
        self.failures: list[str] = []
        self.files_limit = raise_open_files_limit()

    def new_repetition(self) -> dict[str, dict[str, Any]]:
        outcomes: dict[str, dict[str, Any]] = {"ours": {}, "alt": {}, "floor": {}, "peer": {}}
        self.repetitions.append(outcomes)
        return outcomes

    @property
    def other_server(self) -> str:
        return next(kind for kind in SERVER_KINDS if kind != self.args.server)

    def log(self, text: str) -> None:
        print(f"[{time.monotonic() - self.clock:6.1f}s] {text}", file=sys.stderr, flush=True)

    # --- setup and teardown -------------------------------------------------------------------

    def python(self, *args: str, what: str) -> str:
        """Run Python from the repository in the servers' environment; its output."""
        result = subprocess.run(  # noqa: S603
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{what} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def manage(self, *args: str) -> str:
        return self.python("manage.py", *args, what=f"manage.py {' '.join(args)}")

    def seed(self) -> dict[str, Any]:
        return json.loads(self.python("-m", "bench.seed", what="seeding"))

    def daphne_options(self) -> list[str]:
        """No access log (one line per request would be the loudest thing measured). Daphne
        applies its message size limit (1 MiB by default) to the messages it sends too, and a
        console snapshot of 5,000 questions is about 2 MB: raised for the studio and the peer
        alike, unless --daphne-defaults."""
        options = ["-v", "0"]
        if not self.args.daphne_defaults:
            options += ["--websocket-max-message-size", str(MAX_MESSAGE_BYTES)]
        return options

    def start_servers(self, app: str, name: str, kind: str = "daphne") -> list[Server]:
        if kind == "uvicorn":
            return [
                self.processes.uvicorn(f"{name}-{i}", app, self.env)
                for i in range(self.args.servers)
            ]
        options = self.daphne_options()
        return [
            self.processes.daphne(f"{name}-{i}", app, self.env, options)
            for i in range(self.args.servers)
        ]

    async def wait_servers(self, servers: list[Server]) -> None:
        await asyncio.gather(*(asyncio.to_thread(wait_http, s) for s in servers))

    async def setup(self) -> None:
        """The servers start (import Django) while the database is migrated and seeded; none
        of them touches the database before it answers its first request."""
        soft, hard = self.files_limit
        self.log(
            f"database sr_bench (fresh), Redis database 8 (flushed); starting "
            f"{self.args.servers} studio ({self.args.server}) + {self.args.servers} peer "
            f"processes; migrate, seed; open files limit {soft}/{hard}"
        )
        if soft < FILES_NEEDED:
            self.failures.append(
                f"open files limit {soft} (hard {hard}) is below the {FILES_NEEDED} a process "
                f"needs for {LARGE_FANOUT_SOCKETS:,} sockets: raise the hard limit (ulimit -Hn)"
            )
        recreate_database()
        flush_redis()
        ours = self.start_servers(STUDIO_APP, f"studio-{self.args.server}", self.args.server)
        alt = (
            self.start_servers(STUDIO_APP, f"studio-{self.other_server}", self.other_server)
            if self.mode.compare_servers
            else []
        )
        peer = self.start_servers(PEER_APP, "peer")
        floor = self.processes.floor(self.env)
        self.loads = [
            await LoadClient.start(f"load-{i}", self.env, self.work_dir)
            for i in range(LOAD_PROCESSES)
        ]
        await asyncio.to_thread(self.manage, "migrate", "--noinput")
        seed = await asyncio.to_thread(self.seed)
        await asyncio.gather(
            self.wait_servers(ours + alt + peer), asyncio.to_thread(wait_tcp, floor)
        )
        self.ctx = phases.Context(self.loads, self.work_dir, self.mode.drain_seconds)
        self.ours = Design(
            "ours", ours, seed["ours"], seed["sessionid"], server_kind=self.args.server
        )
        self.alt = Design(
            "ours",
            alt,
            seed["ours"],
            seed["sessionid"],
            take_cursor=self.ours.take_cursor,
            slot="alt",
            server_kind=self.other_server,
        )
        self.peer = Design("peer", peer, seed["peer"], seed["sessionid"])
        self.floor = Design("floor", [floor])
        self.log("ready")

    async def teardown(self) -> None:
        for load in self.loads:
            with contextlib.suppress(Exception):
                await load.stop()

    def cleanup(self) -> None:
        """Runs whatever happened: every process stopped, the database dropped."""
        for load in self.loads:
            if load.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(load.process.pid, signal.SIGKILL)
        self.processes.stop_all()
        with contextlib.suppress(Exception):
            drop_database()
        with contextlib.suppress(Exception):
            flush_redis()
        if self.args.keep_logs:
            print(f"logs kept in {self.work_dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    # --- the designs ----------------------------------------------------------------------------

    async def attempt(
        self, design: Design, name: str, empty: Any, phase: Any, guard: float = 0.0
    ) -> Any:
        """Run one phase. A phase that the servers make fail (a connection refused, a sync that
        never ends) is recorded as failed, with ``empty`` as its outcome, and the run goes on:
        that is a finding about the servers, not a broken bench."""
        try:
            return await asyncio.wait_for(phase, guard or PHASE_GUARD_SECONDS)
        except Exception as exc:
            self.failures.append(f"{design.name} {name}: {type(exc).__name__}: {exc}"[:300])
            self.log(f"{design.name}: {name} FAILED: {type(exc).__name__}: {exc}"[:300])
            if isinstance(empty, phases.Fanout):
                empty.failed_because = str(exc)[:200]
            return empty

    async def fanout(
        self,
        design: Design,
        events: int,
        timeout: float,
        cap: float,
        sockets: int = FANOUT_SOCKETS,
        key: str = "fanout",
    ) -> None:
        """Memory per idle socket and fan-out to FANOUT_SOCKETS (``key`` "fanout"), or the
        large fan-out alone (``key`` "fanout_large": no idle sockets beyond its own)."""
        mode = self.mode
        idle = mode.idle_sockets if key == "fanout" else 0
        self.log(
            f"{design.name}: {f'memory of {idle:,} idle sockets, ' if idle else ''}fan-out to "
            f"{sockets:,} ({events} events, {cap:g} s at most)"
        )
        outcome = await self.attempt(
            design,
            key,
            phases.Fanout.failed(sockets),
            phases.memory_and_fanout(
                self.ctx,
                design,
                idle_sockets=idle,
                events=events,
                timeout=timeout,
                cap=cap,
                open_cap=mode.open_cap_seconds * max(1.0, sockets / FANOUT_SOCKETS),
                sockets=sockets,
                job=key,
                idle_window=mode.idle_cpu_window_seconds,
                profile=self.phase_profile(design, key),
            ),
            guard=PHASE_GUARD_SECONDS * max(1.0, sockets / 5000),
        )
        self.outcomes[design.slot][key] = outcome
        await self.settle(design, **{key: outcome})

    async def idle_takes_and_snapshots(
        self, design: Design, samples: int, snapshots: int, sync_timeout: float
    ) -> None:
        out = self.outcomes[design.slot]
        self.log(f"{design.name}: take -> overlay (no load), cold console snapshots")
        out["idle_takes"] = await self.attempt(
            design,
            "idle takes",
            phases.Takes(),
            phases.take_to_overlay(
                design,
                samples=samples,
                timeout=TAKE_TIMEOUT,
                interval=IDLE_TAKE_INTERVAL,
                # What a take costs PostgreSQL and Redis (the capacity model), the studio only.
                meter=Meter(design.pids) if design.key == "ours" else None,
                profile=self.phase_profile(design, "idle-takes"),
            ),
        )
        out["snapshots"] = await self.attempt(
            design,
            "snapshots",
            {"samples_ms": [], "bytes": 0, "timeouts": snapshots},
            phases.console_snapshots(design, repeats=snapshots, timeout=sync_timeout),
        )
        await self.settle(design, takes=out["idle_takes"], snapshots=out["snapshots"])

    async def votes(
        self, design: Design, seconds: float, profile: bool = False, settle: bool = True
    ) -> None:
        out, rate = self.outcomes[design.slot], self.args.vote_rate
        out["votes"] = phases.VoteRun(rate=rate, seconds=seconds, start_ns=0)
        try:
            opened = await phases.open_voters(self.ctx, design)
        except Exception as exc:
            self.failures.append(f"{design.name} votes: {type(exc).__name__}: {exc}"[:300])
            self.log(f"{design.name}: votes FAILED: {exc}"[:300])
            await phases.close_voters(self.ctx, design)
            return
        self.log(
            f"{design.name}: {opened['opened']} voter sockets; "
            f"votes at {rate:,.0f}/s for {seconds:g} s"
        )
        profilers = self.start_profile(design.servers[0]) if profile else []
        meter = Meter(design.pids) if design.key == "ours" else None
        start_reading = meter.read() if meter else None
        out["votes"] = await self.attempt(
            design,
            "votes",
            phases.VoteRun(rate=rate, seconds=seconds, start_ns=0),
            phases.run_votes(self.ctx, design, rate=rate, seconds=seconds),
        )
        if meter and start_reading:
            await asyncio.sleep(STATS_SETTLE_SECONDS)
            out["votes_costs"] = meter.read().minus(start_reading)
            out["votes_costs"]["vote_processes"] = len(design.servers)
        if design.key == "ours":
            self.ours_runs.append(out["votes"])
        for profiler in profilers:
            profiler.wait(60)
        await self.settle(design, wait=settle, votes=out["votes"])

    async def http_votes(self, design: Design) -> None:
        seconds = self.mode.http_seconds
        self.log(f"{design.name}: HTTP votes at {HTTP_VOTE_RATE:,.0f}/s for {seconds:g} s")
        meter = Meter(design.pids) if design.key == "ours" else None
        start_reading = meter.read() if meter else None
        outcome = await self.attempt(
            design,
            "http votes",
            phases.VoteRun(rate=HTTP_VOTE_RATE, seconds=seconds, start_ns=0),
            phases.http_votes(self.ctx, design, rate=HTTP_VOTE_RATE, seconds=seconds),
        )
        self.outcomes[design.slot]["http"] = outcome
        if meter and start_reading:
            await asyncio.sleep(STATS_SETTLE_SECONDS)
            self.outcomes[design.slot]["http_costs"] = meter.read().minus(start_reading)
            self.outcomes[design.slot]["http_costs"]["vote_processes"] = 1  # server 0 only
        if design.key == "ours":
            self.ours_runs.append(outcome)
        await self.settle(design, http=outcome)

    async def loaded(
        self,
        design: Design,
        seconds: float,
        takes: int,
        resyncs: int,
        sync_timeout: float,
        settle: bool = True,
    ) -> None:
        if not design.voters_open:
            try:
                await phases.open_voters(self.ctx, design)
            except Exception as exc:
                self.failures.append(f"{design.name} loaded: {type(exc).__name__}: {exc}"[:300])
                await phases.close_voters(self.ctx, design)
                self.outcomes[design.slot]["loaded"] = phases.Loaded.failed(
                    LOADED_VOTE_RATE, seconds
                )
                return
        self.log(
            f"{design.name}: {LOADED_VOTE_RATE:,.0f} votes/s for {seconds:.1f} s: vote -> "
            f"console, {takes} takes, {resyncs} console drops"
        )
        meter = Meter(design.pids) if design.key == "ours" else None
        start_reading = meter.read() if meter else None
        outcome = await self.attempt(
            design,
            "loaded",
            phases.Loaded.failed(LOADED_VOTE_RATE, seconds),
            phases.loaded(
                self.ctx,
                design,
                seconds=seconds,
                takes=takes,
                resyncs=resyncs,
                take_timeout=TAKE_TIMEOUT,
                sync_timeout=sync_timeout,
            ),
        )
        self.outcomes[design.slot]["loaded"] = outcome
        if meter and start_reading:
            # The window also holds the phase's takes, console drops and resyncs: the capacity
            # model subtracts the takes (their measured cost) and the idle baseline.
            await asyncio.sleep(STATS_SETTLE_SECONDS)
            self.outcomes[design.slot]["loaded_costs"] = meter.read().minus(start_reading)
            self.outcomes[design.slot]["loaded_costs"]["vote_processes"] = 1  # server 0 only
        if design.key == "ours":
            self.ours_runs.append(outcome.votes)
        await phases.close_voters(self.ctx, design)
        await self.settle(design, wait=settle, loaded=outcome)

    def check(self, design: Design, *runs: phases.VoteRun) -> Any:
        acked: Counter = Counter()
        for run in runs:
            acked += run.acked_per_question()
        check = check_votes(design.session["id"], acked)
        self.outcomes[design.slot]["check"] = check
        self.log(f"{design.name}: {check}")
        return check

    async def measure_ours(self) -> None:
        design, mode = self.ours, self.mode
        await self.fanout(
            design, mode.fanout_events, mode.fanout_timeout_seconds, mode.fanout_cap_seconds
        )
        await self.large_fanout(design)
        await self.idle_takes_and_snapshots(design, mode.idle_takes, mode.snapshots, 30)
        await self.votes(design, mode.vote_seconds, profile=self.args.profile)
        await self.http_votes(design)
        seconds = phases.loaded_seconds(mode.takes, mode.resyncs)
        await self.loaded(design, seconds, mode.takes, mode.resyncs, sync_timeout=30)

    async def large_fanout(self, design: Design) -> None:
        mode = self.mode
        if not mode.large_fanout_sockets:
            return
        await self.fanout(
            design,
            mode.large_fanout_events,
            LARGE_FANOUT_TIMEOUT,
            mode.fanout_cap_seconds * 2,
            sockets=mode.large_fanout_sockets,
            key="fanout_large",
        )

    async def measure_alt(self) -> None:
        """The studio's audience paths under the other server: fan-out and memory, take ->
        overlay with no load, votes (the voter sockets are audience sockets)."""
        design, mode = self.alt, self.mode
        await self.fanout(
            design, mode.fanout_events, mode.fanout_timeout_seconds, mode.fanout_cap_seconds
        )
        await self.idle_takes_and_snapshots(design, mode.idle_takes, 1, 30)
        await self.votes(design, mode.vote_seconds)
        await phases.close_voters(self.ctx, design)

    async def measure_mixed(self) -> None:
        """The capacity model's check, on the studio under the chosen server."""
        design, mode = self.ours, self.mode
        self.log(
            f"{design.name}: capacity check: {mode.mixed_sockets:,} listeners, "
            f"{mode.mixed_vote_rate:,.0f} votes/s, a take every {mode.mixed_take_interval:g} s, "
            f"for {mode.mixed_seconds:g} s"
        )
        await self.calibrate_batch(design)
        try:
            outcome = await asyncio.wait_for(
                phases.mixed(
                    self.ctx,
                    design,
                    sockets=mode.mixed_sockets,
                    vote_rate=mode.mixed_vote_rate,
                    take_interval=mode.mixed_take_interval,
                    seconds=mode.mixed_seconds,
                ),
                PHASE_GUARD_SECONDS,
            )
        except Exception as exc:
            self.failures.append(f"{design.name} capacity check: {type(exc).__name__}: {exc}"[:300])
            self.log(f"{design.name}: capacity check FAILED: {exc}"[:300])
            return
        self.ours_runs.append(outcome.pop("run"))
        self.mixed = outcome
        self.log(f"{design.name}: capacity check: {outcome['measured']}")

    async def calibrate_batch(self, design: Design) -> None:
        """The batch size (votes per vote transaction) at the capacity check's vote rate: the
        voter sockets alone at that rate, no listeners, no takes. The batch grows with how busy
        the vote writer is, not linearly with the rate, so the model reads it measured at each
        rate it predicts for. Goes into the first repetition (the one whose figures lead)."""
        mode, out = self.mode, self.repetitions[0][design.slot]
        seconds = mode.calibration_seconds
        rate = mode.mixed_vote_rate
        self.log(f"{design.name}: batch size at {rate:,.0f} votes/s for {seconds:g} s")
        try:
            await phases.open_voters(self.ctx, design)
            meter = Meter(design.pids)
            start_reading = meter.read()
            run = await asyncio.wait_for(
                phases.run_votes(self.ctx, design, rate=mode.mixed_vote_rate, seconds=seconds),
                PHASE_GUARD_SECONDS,
            )
            await asyncio.sleep(STATS_SETTLE_SECONDS)
            out["calibration_costs"] = meter.read().minus(start_reading)
            out["calibration_costs"]["vote_processes"] = len(design.servers)
            out["calibration"] = run
            self.ours_runs.append(run)
            self.log(f"{design.name}: calibration: {_summary(run)}; {out['calibration_costs']}")
        except Exception as exc:
            self.failures.append(f"{design.name} calibration: {type(exc).__name__}: {exc}"[:300])
        finally:
            await phases.close_voters(self.ctx, design)

    async def measure_floor(self) -> None:
        design, mode = self.floor, self.mode
        await self.fanout(
            design, mode.fanout_events, mode.fanout_timeout_seconds, mode.fanout_cap_seconds
        )
        await self.large_fanout(design)
        self.log("floor: trigger -> listener")
        takes = await self.attempt(
            design,
            "takes",
            phases.Takes(),
            phases.take_to_overlay(
                design,
                samples=max(mode.takes, mode.idle_takes),
                timeout=TAKE_TIMEOUT,
                interval=IDLE_TAKE_INTERVAL / 2,
            ),
        )
        self.outcomes["floor"]["takes"] = takes
        await self.settle(design, takes=takes)

    async def measure_peer(self) -> None:
        """The peer saturates: each phase is capped, and its servers are restarted between its
        loaded phase and its votes phase (a saturated peer keeps working through a backlog)."""
        design, mode, out = self.peer, self.mode, self.outcomes["peer"]
        cap = mode.peer_phase_cap_seconds
        if mode.peer_fanout_events:  # the quick run leaves it to the full one, to fit in 90 s
            await self.fanout(design, mode.peer_fanout_events, cap / 3, cap)  # 1 MB per socket
        else:
            out["fanout"] = _empty_peer()["fanout"]
        await self.idle_takes_and_snapshots(design, mode.peer_idle_takes, 1, sync_timeout=cap)
        seconds = min(phases.loaded_seconds(mode.peer_takes, mode.peer_resyncs), cap)
        # No waiting for the saturated peer between phases: it is restarted, then stopped.
        await self.loaded(
            design,
            seconds,
            mode.peer_takes,
            mode.peer_resyncs,
            sync_timeout=TAKE_TIMEOUT * 2,
            settle=False,
        )
        await self.restart_peer()
        await self.votes(design, mode.peer_vote_seconds, settle=False)
        await phases.close_voters(self.ctx, design)
        for server in design.servers:
            self.processes.stop(server.process, timeout=2)
        self.check(design, out["votes"], out["loaded"].votes)

    async def settle(self, design: Design, wait: bool = True, **outcomes: Any) -> None:
        """Log what the phase saw, then let the servers work off any backlog."""
        for name, outcome in outcomes.items():
            self.log(f"{design.name}: {name}: {_summary(outcome)}")
        if not wait:
            return
        waited = await phases.settle(design, self.mode.settle_cap_seconds)
        if waited > 1:
            self.log(f"{design.name}: servers busy for {waited:.1f} s after the phase")

    async def restart_peer(self) -> None:
        """A saturated peer keeps working through its backlog: start it afresh."""
        for server in self.peer.servers:
            self.processes.stop(server.process, timeout=2)
        self.peer.servers = self.start_servers(PEER_APP, "peer-again")
        await self.wait_servers(self.peer.servers)

    def phase_profile(self, design: Design, name: str) -> PhaseProfile | None:
        """With --profile: py-spy on every studio process over one phase's measured window
        (the fan-out's events, the idle takes), written to bench/results/profile-<name>-<i>.txt."""
        if not self.args.profile or design.key != "ours":
            return None
        return PhaseProfile(self.processes, self.env, name, design.servers)

    def start_profile(self, server: Server) -> list[subprocess.Popen]:
        """py-spy on one studio process for the votes phase: a flame graph and collapsed stacks."""
        spy = str(Path(sys.executable).parent / "py-spy")
        seconds = str(math.ceil(self.mode.vote_seconds + 0.5))
        common = [spy, "record", "--pid", str(server.pid), "--duration", seconds]
        common += ["--rate", "100", "--nonblocking", "--threads"]
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        started = []
        for fmt, path in (
            ("flamegraph", RESULTS_DIR / "profile-votes.svg"),
            ("raw", RESULTS_DIR / "profile-votes.txt"),
        ):
            process, _ = self.processes.popen(
                f"py-spy-{fmt}", [*common, "--format", fmt, "--output", str(path)], self.env
            )
            started.append(process)
        return started

    # --- results ----------------------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        commit, dirty = git_commit()
        mode = self.mode
        return {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "mode": mode.name,
            "git_commit": commit,
            "git_dirty": dirty,
            "servers": self.args.servers,
            "server": self.args.server,
            "compared_server": self.other_server if self.mode.compare_servers else None,
            "repetitions": self.mode.repetitions,
            "open_files_limit": list(self.files_limit),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "load_processes": LOAD_PROCESSES,
            "offered_rates": {
                "votes_per_second": self.args.vote_rate,
                "loaded_votes_per_second": LOADED_VOTE_RATE,
                "http_votes_per_second": HTTP_VOTE_RATE,
            },
            "durations_seconds": {
                "votes": mode.vote_seconds,
                "http_votes": mode.http_seconds,
                "loaded": phases.loaded_seconds(mode.takes, mode.resyncs),
                "peer_votes": mode.peer_vote_seconds,
                "drain": mode.drain_seconds,
            },
            "sockets": {
                "voters": VOTER_SOCKETS,
                "fanout": FANOUT_SOCKETS,
                "fanout_large": mode.large_fanout_sockets,
                "idle_for_memory": mode.idle_sockets,
            },
            "samples": {
                "takes": mode.takes,
                "idle_takes": mode.idle_takes,
                "fanout_events": mode.fanout_events,
                "fanout_large_events": mode.large_fanout_events,
                "peer_fanout_events": mode.peer_fanout_events,
                "resyncs": mode.resyncs,
                "snapshots": mode.snapshots,
            },
            "profiled": self.args.profile,
            "daphne_options": self.daphne_options(),
            "redis_url": redis_url(self.args.redis_socket_timeout),
            "method": METHOD,
            "phase_failures": self.failures,
            "server_errors": self.server_errors(),
            "wall_seconds": round(time.monotonic() - self.clock, 1),
        }

    def server_errors(self) -> dict[str, dict[str, int]]:
        """Exceptions the servers logged ("Exception inside application: ..."), per log."""
        errors: dict[str, dict[str, int]] = {}
        for log in sorted(self.work_dir.glob("*.log")):
            counts: Counter = Counter()
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith("Exception inside application:"):
                    counts[line.split(":", 1)[1].strip()[:120]] += 1
                elif "took too long to shut down and was killed" in line:
                    counts["application instance killed after its socket closed"] += 1
            if counts:
                errors[log.stem] = dict(counts)
        return errors

    def write(self) -> dict[str, Any]:
        built = figures.build_all(
            self.repetitions,
            self.mode,
            self.args.vote_rate,
            servers={"ours": self.args.server, "alt": self.other_server},
        )
        results = {
            "meta": self.meta(),
            **built.as_json(),
            "costs": figures.unit_costs(self.repetitions),
            "capacity_check": self.mixed,
        }
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        text = json.dumps(results, indent=1)
        (RESULTS_DIR / "latest.json").write_text(text)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        (RESULTS_DIR / f"{stamp}-{self.mode.name}.json").write_text(text)
        return results

    async def run_large_fanout_only(self) -> dict[str, Any]:
        """``--only large-fanout``: the 10,000-socket fan-out alone (the studio, then the floor,
        at the full run's size and events), after the usual setup; written to
        bench/results/<stamp>-large-fanout.json, never to latest.json or the docs."""
        self.mode = replace(self.mode, large_fanout_sockets=LARGE_FANOUT_SOCKETS)
        try:
            await self.setup()
            await self.large_fanout(self.ours)
            await self.large_fanout(self.floor)
        finally:
            await self.teardown()
        built = figures.build_all(
            self.repetitions,
            self.mode,
            self.args.vote_rate,
            servers={"ours": self.args.server, "alt": self.other_server},
            only=("fanout_large",),
        )
        results = {"meta": self.meta(), **built.as_json()}
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        (RESULTS_DIR / f"{stamp}-large-fanout.json").write_text(json.dumps(results, indent=1))
        return results

    async def run(self) -> dict[str, Any]:
        if self.args.only == "large-fanout":
            return await self.run_large_fanout_only()
        try:
            await self.setup()
            for n in range(self.mode.repetitions):
                if n:
                    self.outcomes = self.new_repetition()
                self.log(f"repetition {n + 1} of {self.mode.repetitions}")
                await self.measure_ours()
                if self.mode.compare_servers:
                    await self.measure_alt()
                await self.measure_floor()
            await self.measure_mixed()
            for server in self.floor.servers + self.alt.servers:
                self.processes.stop(server.process)
            check = self.check(self.ours, *self.ours_runs)
            if not self.args.skip_peer:
                self.outcomes = {"peer": {}}
                await self.measure_peer()
                peer = self.outcomes["peer"]
            else:
                peer = _empty_peer()
            for outcomes in self.repetitions:
                outcomes["peer"] = peer
                outcomes["ours"]["check"] = check
        finally:
            await self.teardown()
        return self.write()


class PhaseProfile:
    """py-spy (raw collapsed stacks, 250 Hz, non-blocking) on each server of a design, from
    ``start()`` to ``stop()`` (SIGINT: py-spy writes what it sampled)."""

    def __init__(self, processes: Processes, env: dict[str, str], name: str, servers: list) -> None:
        self.processes, self.env, self.name, self.servers = processes, env, name, servers
        self.started: list[subprocess.Popen] = []

    async def start(self) -> None:
        spy = str(Path(sys.executable).parent / "py-spy")
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        for i, server in enumerate(self.servers):
            path = RESULTS_DIR / f"profile-{self.name}-{i}.txt"
            args = [spy, "record", "--pid", str(server.pid), "--rate", "250", "--nonblocking"]
            args += ["--threads", "--format", "raw", "--output", str(path)]
            process, _ = self.processes.popen(f"py-spy-{self.name}-{i}", args, self.env)
            self.started.append(process)
        await asyncio.sleep(1.0)  # py-spy attaches

    async def stop(self) -> None:
        for process in self.started:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)
        for process in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(process.wait, 30)


def _empty_peer() -> dict[str, Any]:
    empty_run = phases.VoteRun(rate=0, seconds=1, start_ns=0)
    loaded = phases.Loaded(empty_run, [], 0, phases.Takes(), [], 0, [])
    fan = phases.Fanout(None, {}, [], [], {})
    return {
        "votes": empty_run,
        "loaded": loaded,
        "idle_takes": phases.Takes(),
        "fanout": fan,
        "snapshots": {"samples_ms": [], "timeouts": 0},
        "check": check_votes(0, Counter()),
    }


def _votes_summary(run: phases.VoteRun) -> str:
    latencies = run.latencies_ms()
    p50, p99 = percentile(latencies, 50) or 0, percentile(latencies, 99) or 0
    return (
        f"{run.acked_rate():,.0f} acked/s of {run.rate:,.0f} offered, "
        f"ack p50 {p50:.1f} ms, p99 {p99:.1f} ms, errors {dict(run.errors())}, "
        f"load process tick gap {run.max_tick_gap_ms:.0f} ms"
    )


def _loaded_summary(loaded: phases.Loaded) -> str:
    return (
        f"{_votes_summary(loaded.votes)}; vote->console p99 "
        f"{percentile(loaded.vote_to_console_ms, 99, loaded.never_shown) or 0:.1f} ms; "
        f"takes {_summary(loaded.takes)}; resync {[round(r) for r in loaded.resync_ms]} ms, "
        f"{loaded.resync_timeouts} timed out"
    )


def _summary(outcome: Any) -> str:
    if isinstance(outcome, phases.VoteRun):
        return _votes_summary(outcome)
    if isinstance(outcome, phases.Loaded):
        return _loaded_summary(outcome)
    if isinstance(outcome, phases.Takes):
        p99 = percentile(outcome.latencies_ms, 99, outcome.timeouts)
        order = [round(x) for x in outcome.latencies_ms[:5]]
        return (
            f"p99 {p99 or 0:.1f} ms, {outcome.timeouts} timed out, errors {outcome.errors}, "
            f"first samples in order {order} ms"
        )
    if isinstance(outcome, phases.Fanout):
        p99 = percentile(outcome.last_delivery_ms, 99, len(outcome.incomplete))
        return (
            f"{outcome.memory_per_socket_kib or 0:.1f} KiB/socket, opened {outcome.opened}, "
            f"last delivery p99 {p99 or 0:.1f} ms "
            f"(in order {[round(x) for x in outcome.last_delivery_ms[:8]]}), "
            f"incomplete {outcome.incomplete}, "
            f"lost {outcome.sockets_lost}, seconds {outcome.seconds}"
        )
    return str(outcome)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short phases (about 2 minutes)")
    parser.add_argument(
        "--server", choices=SERVER_KINDS, default="daphne", help="the studio's server"
    )
    parser.add_argument(
        "--repetitions", type=int, default=0, help="repetitions (default: full 3, quick 1)"
    )
    parser.add_argument(
        "--compare-servers",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="measure the audience paths under the other server too (default: full run)",
    )
    parser.add_argument("--servers", type=int, default=2, help="studio processes (default 2)")
    parser.add_argument("--vote-rate", type=float, default=5000.0, help="offered votes/s")
    parser.add_argument("--profile", action="store_true", help="py-spy on a studio process")
    parser.add_argument("--skip-peer", action="store_true", help="do not measure the peer")
    parser.add_argument(
        "--daphne-defaults",
        action="store_true",
        help="keep Daphne's 1 MiB message limit (a 5,000-question console snapshot is refused)",
    )
    parser.add_argument(
        "--redis-socket-timeout",
        type=float,
        default=None,
        help="add ?socket_timeout=N to the servers' REDIS_URL (see redis_url)",
    )
    parser.add_argument(
        "--only",
        choices=("large-fanout",),
        default=None,
        help="run one phase alone (large-fanout: 10,000 sockets, the studio and the floor); "
        "results go to a timestamped file, not latest.json",
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs")
    parser.add_argument("--no-plot", action="store_true", help="do not draw the PNG")
    parser.add_argument(
        "--no-docs", action="store_true", help="do not rewrite docs/performance.md's tables"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bench = Bench(args)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        results = asyncio.run(bench.run())
    except KeyboardInterrupt:
        print("interrupted: stopping everything", file=sys.stderr)
        return 130
    except Exception:
        import traceback

        traceback.print_exc()
        return 1
    finally:
        bench.cleanup()
    print()
    print(heading(results))
    print()
    print(text_table(results))
    if args.only:
        for failure in results["meta"]["phase_failures"]:
            print(f"phase failed: {failure}")
        return 0
    print()
    print(text_table(results, costs=True))
    print()
    print(capacity_markdown(results))
    for failure in results["meta"]["phase_failures"]:
        print(f"phase failed: {failure}")
    for log, errors in results["meta"]["server_errors"].items():
        for error, count in errors.items():
            print(f"server error ({log}): {count} x {error}")
    print(f"\n{RESULTS_DIR / 'latest.json'} ({results['meta']['wall_seconds']} s)")
    if not args.no_plot:
        from bench.plot import plot

        print(plot(results))
    if not args.no_docs and results["meta"]["mode"] == "full":
        from bench.report import update_docs

        print(update_docs(results))
    if args.profile:
        from bench.profile_summary import summarize

        print(summarize(RESULTS_DIR / "profile-votes.txt"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
