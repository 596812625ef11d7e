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
REDIS_URL = "redis://127.0.0.1:6379/12"
SECRET_KEY = "bench-secret-key-not-for-production-0123456789abcdefghijklmnop"
PASSWORD = "bench-producer-password"

SESSION_SLUG = "bench"
PEER_SESSION_SLUG = "bench-naive"
QUESTIONS = 5000
# The last questions of each session are kept for takes: voters never vote on them, so a take
# never turns a question a voter is about to vote on into an answered one.
TAKE_POOL = 600

LOAD_PROCESSES = 2
VOTER_SOCKETS = 500
FANOUT_SOCKETS = 1000
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


QUICK = Mode(
    name="quick",
    vote_seconds=3.0,
    http_seconds=3.0,
    drain_seconds=1.0,
    takes=10,
    idle_takes=5,
    fanout_events=4,
    fanout_timeout_seconds=1.5,
    fanout_cap_seconds=5.0,
    open_cap_seconds=12.0,
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
)

FULL = Mode(
    name="full",
    vote_seconds=30.0,
    http_seconds=10.0,
    drain_seconds=8.0,
    takes=200,
    idle_takes=50,
    fanout_events=50,
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
)
