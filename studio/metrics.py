"""The studio's Prometheus metrics, defined once, updated on the hot paths, exported by /metrics.

Every metric is created here at import, with its label children for the known label values
made up front where the set is small (socket kinds, streams): the hot paths then only call
``inc()`` or ``observe()`` on an object they already hold, with no lookup or allocation.

Several server processes: with ``PROMETHEUS_MULTIPROC_DIR`` set in the environment before the
processes start, prometheus-client keeps each process's values in files of that folder and
/metrics sums them (docs/deployment.md, "Metrics"). The open-socket gauge then counts only the
processes still alive (``livesum``).
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import os
import time
from collections.abc import Iterator

from prometheus_client import Counter, Gauge, Histogram, multiprocess

SOCKET_KINDS = ("console", "overlay", "wall", "audience")
STREAMS = ("crew", "public", "overlay")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

# Seconds: from a millisecond (a vote batch on a quiet studio, an event sent at once) to the
# seconds that mean trouble.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_SIZE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)

http_requests = Counter(
    "socialroom_http_requests",
    "HTTP requests answered, by method and status class (2xx, 3xx, 4xx, 5xx).",
    ["method", "status"],
)
socket_opened = Counter(
    "socialroom_socket_connections_opened",
    "Sockets accepted and authenticated, by kind (console, overlay, wall, audience).",
    ["kind"],
)
socket_closed = Counter(
    "socialroom_socket_connections_closed",
    "Accepted sockets closed, by kind.",
    ["kind"],
)
sockets_open = Gauge(
    "socialroom_sockets_open",
    "Sockets open now, by kind.",
    ["kind"],
    multiprocess_mode="livesum",
)
votes_acknowledged = Counter(
    "socialroom_votes_acknowledged",
    "Votes and withdrawals written and acknowledged (socket and HTTP).",
)
votes_refused = Counter(
    "socialroom_votes_refused",
    "Votes and withdrawals refused, by the refusal's code (busy, unavailable, ...).",
    ["code"],
)
vote_batch_size = Histogram(
    "socialroom_vote_batch_size",
    "Votes per batch handed to the database (group commit).",
    buckets=BATCH_SIZE_BUCKETS,
)
vote_batch_commit_seconds = Histogram(
    "socialroom_vote_batch_commit_seconds",
    "Time one vote batch transaction took, commit included.",
    buckets=LATENCY_BUCKETS,
)
event_send_lag_seconds = Histogram(
    "socialroom_event_send_lag_seconds",
    "From a transaction's commit to its event handed to the channel layer (group_send), by stream.",
    ["stream"],
    buckets=LATENCY_BUCKETS,
)
take_to_send_seconds = Histogram(
    "socialroom_take_to_send_seconds",
    "From the start of a take to its on_air frame handed to the channel layer.",
    buckets=LATENCY_BUCKETS,
)
ingest_messages = Counter(
    "socialroom_ingest_messages",
    "Messages received from the sources, by source (sms, web, social:<network>).",
    ["source"],
)
follower_errors = Counter(
    "socialroom_follower_errors",
    "Problems recorded by the stream followers, by feed kind (mastodon, bluesky).",
    ["kind"],
)

# The children of the small, known label sets, made once.
SOCKETS_OPENED = {kind: socket_opened.labels(kind=kind) for kind in SOCKET_KINDS}
SOCKETS_CLOSED = {kind: socket_closed.labels(kind=kind) for kind in SOCKET_KINDS}
SOCKETS_OPEN = {kind: sockets_open.labels(kind=kind) for kind in SOCKET_KINDS}
EVENT_LAG = {stream: event_send_lag_seconds.labels(stream=stream) for stream in STREAMS}
_HTTP = {
    (method, status): http_requests.labels(method=method, status=status)
    for method in (*METHODS, "other")
    for status in ("1xx", "2xx", "3xx", "4xx", "5xx")
}


def count_http(method: str, status_code: int) -> None:
    """One answered request; unknown methods are counted as ``other`` (a bounded label)."""
    status = f"{min(max(status_code // 100, 1), 5)}xx"
    child = _HTTP.get((method, status))
    if child is None:
        child = _HTTP[("other", status)]
    child.inc()


def socket_opened_now(kind: str) -> None:
    SOCKETS_OPENED[kind].inc()
    SOCKETS_OPEN[kind].inc()


def socket_closed_now(kind: str) -> None:
    SOCKETS_CLOSED[kind].inc()
    SOCKETS_OPEN[kind].dec()


def count_refused_vote(code: str) -> None:
    votes_refused.labels(code=code[:40]).inc()


def count_ingest(source: str) -> None:
    # The source is the studio's own name for it; cut all the same, to bound the label.
    ingest_messages.labels(source=source[:40]).inc()


# The start of the take running in this context (``time.perf_counter()``), read by the event
# stream when it sends the take's on_air event.
take_started: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "take_started", default=None
)


@contextlib.contextmanager
def timing_take() -> Iterator[None]:
    """Mark the code inside as a take: its on_air event's send time is measured from here."""
    token = take_started.set(time.perf_counter())
    try:
        yield
    finally:
        take_started.reset(token)


def multiprocess_dir() -> str:
    """The folder of the per-process metric files, or "" in single-process mode."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def _process_exits() -> None:
    # This process's open sockets leave the live gauge's sum (a killed process's stay until
    # the folder is emptied, as it must be when the servers start: docs/deployment.md).
    multiprocess.mark_process_dead(os.getpid())


if multiprocess_dir():
    atexit.register(_process_exits)
