"""What a run does: the sizes, rates and durations of each phase, for quick and full runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
PLOT_PATH = ROOT / "docs" / "performance.png"

DATABASE = "sr_bench"
POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/8"
SECRET_KEY = "bench-secret-key-not-for-production-0123456789abcdefghijklmnop"
PASSWORD = "bench-producer-password"

SESSION_SLUG = "bench"
PEER_SESSION_SLUG = "bench-naive"
QUESTIONS = 5000
# The last questions of each session are kept for takes: voters never vote on them, so a take
# never turns a question a voter is about to vote on into an answered one.
TAKE_POOL = 3000

LOAD_PROCESSES = 2
VOTER_SOCKETS = 500
FANOUT_SOCKETS = 1000
# The large fan-out: 10,000 audience sockets, split over the load processes (each needs an open
# file per socket: bench/processes.py raises the soft limit up to the hard one).
LARGE_FANOUT_SOCKETS = 10_000
# A voter socket sends no new vote while this many of its votes wait for an answer (a person does
# not click on and on with nothing happening); a vote not sent for that is counted as shed. This
# bounds the backlog a saturated server is left with.
MAX_OUTSTANDING_PER_SOCKET = 2
LOADED_VOTE_RATE = 2000.0
HTTP_VOTE_RATE = 1500.0
TAKE_INTERVAL_SECONDS = 0.2
DROP_SECONDS = 5.0
RESYNC_STAGGER_SECONDS = 1.0
SAMPLE_CAP = 5000
# A p99 needs at least this many samples; with fewer, the maximum is reported (and flagged).
MIN_P99_SAMPLES = 100


@dataclass(frozen=True)
class Mode:
    """Sizes and durations of one kind of run."""

    name: str
    vote_seconds: float  # the sustained votes phase (offered --vote-rate)
    http_seconds: float
    drain_seconds: float  # how long answers are awaited after a phase stops sending
    takes: int  # take -> overlay samples under load
    idle_takes: int  # take -> overlay samples with no load
    fanout_events: int
    fanout_timeout_seconds: float  # an event not delivered to every socket by then: unfinished
    fanout_cap_seconds: float
    open_cap_seconds: float  # sockets not open by then are given up (and reported)
    resyncs: int
    snapshots: int
    idle_sockets: int  # for memory per idle socket
    settle_cap_seconds: float  # the longest wait for busy servers between phases
    # The peer saturates: fewer samples, and no phase of it runs longer than its cap.
    peer_vote_seconds: float
    peer_fanout_events: int
    peer_takes: int
    peer_idle_takes: int
    peer_resyncs: int
    peer_phase_cap_seconds: float
    repetitions: int = 1  # each figure is the median of this many repetitions
    compare_servers: bool = False  # the studio's audience paths under the other server too
    large_fanout_sockets: int = LARGE_FANOUT_SOCKETS
    large_fanout_events: int = 100
    idle_cpu_window_seconds: float = 2.0  # per-unit costs: server CPU of idle sockets
    # The capacity model's check: listeners, votes/s, a take every so often, for so long.
    mixed_sockets: int = 1000
    mixed_vote_rate: float = 1000.0
    mixed_take_interval: float = 0.5
    mixed_seconds: float = 10.0
    calibration_seconds: float = 5.0  # votes alone at the check's rate: the batch size there


QUICK = Mode(
    name="quick",
    vote_seconds=3.0,
    http_seconds=3.0,
    drain_seconds=1.0,
    takes=10,
    idle_takes=20,
    fanout_events=4,
    fanout_timeout_seconds=1.5,
    fanout_cap_seconds=5.0,
    open_cap_seconds=30.0,  # per 1,000 sockets: a phase whose sockets are not all open fails
    resyncs=2,
    snapshots=1,
    idle_sockets=1000,
    settle_cap_seconds=2.0,
    peer_vote_seconds=1.5,
    peer_fanout_events=0,  # full run only
    peer_takes=3,
    peer_idle_takes=2,
    peer_resyncs=1,
    peer_phase_cap_seconds=3.0,
    large_fanout_sockets=1500,  # the 10,000-socket phase is the full run's; this checks the path
    large_fanout_events=3,
    idle_cpu_window_seconds=1.0,
    mixed_sockets=500,
    mixed_vote_rate=500.0,
    mixed_seconds=4.0,
    calibration_seconds=3.0,
)

FULL = Mode(
    name="full",
    vote_seconds=20.0,
    http_seconds=10.0,
    drain_seconds=8.0,
    takes=200,
    idle_takes=120,
    fanout_events=110,
    fanout_timeout_seconds=3.0,
    fanout_cap_seconds=90.0,
    open_cap_seconds=60.0,
    resyncs=10,
    snapshots=5,
    idle_sockets=2000,
    settle_cap_seconds=20.0,
    peer_vote_seconds=15.0,
    peer_fanout_events=10,
    peer_takes=30,
    peer_idle_takes=15,
    peer_resyncs=3,
    peer_phase_cap_seconds=40.0,
    repetitions=3,
    compare_servers=True,
)
