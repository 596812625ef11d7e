"""Votes on a server process's event loop: the batcher that writes them together, the coalescers
that announce new counts a few times a second.

The batcher (``VoteWriter``) gathers requests while the previous batch is being written and hands
them to a ``write`` function (``questions.vote_writer``: the vote service, in a thread of its
own). The coalescers collect the counts and versions the batches returned and send one volatile
``votes`` frame per session and stream at most every ``VOTES_COALESCE_SECONDS`` (crew) or
``VOTES_PUBLIC_COALESCE_SECONDS`` (audience): no database work, no event log.

Both run on the server's event loop (studio/loop.py): ``event_loop()`` is the loop the caller
runs on, or else the loop the server process serves sockets on (remembered by
``BindEventLoop``, the outermost ASGI wrapper), or ``None`` outside a server (a management
command, a worker, a synchronous test), where a coalescer flushes at once.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from django.conf import settings

from studio import events
from studio.errors import DomainError
from studio.loop import event_loop

logger = logging.getLogger(__name__)

# The event loop is found through studio/loop.py, as the event stream's sender finds it.

# ---------------------------------------------------------------------------------------------
# Coalescing: vote counts go out a few times a second per session, not once per vote.


# How soon counts the channel layer refused (Redis unreachable) are sent again; and, once it
# takes them, how soon they are sent once more (other processes resubscribe within about 1 s).
RESEND_SECONDS = 1.5


class VoteCount(NamedTuple):
    """A question's count as a batch's UPDATE returned it, with the version it set."""

    votes: int
    version: int
    public: bool  # the question's status is public (known from the row the batch locked)


def votes_frame(counts: dict[int, VoteCount]) -> dict[str, dict[str, int]]:
    """The data of a ``votes`` frame: the counts, and the versions that order them."""
    return {
        "counts": {str(qid): c.votes for qid, c in counts.items()},
        "versions": {str(qid): c.version for qid, c in counts.items()},
    }


class Coalescer:
    """Collects counts per session and sends them to ``stream`` as one volatile ``votes`` frame
    at most every ``delay``, keeping per question the count with the highest version.

    Inside a server process, the flush is scheduled on the process's event loop (the one serving
    sockets). Elsewhere (a management command, a worker, a synchronous test), there is no loop to
    wait on, so it flushes at once. A flush only sends what it was given: no database work.
    """

    def __init__(self, stream: str, delay: float, *, public_only: bool = False) -> None:
        self.stream = stream
        self.public_only = public_only
        self.delay = delay
        self._lock = threading.Lock()
        self._pending: dict[int, dict[int, VoteCount]] = {}
        self._scheduled: set[int] = set()
        self._failed: set[int] = set()  # sessions whose last frame the channel layer refused

    def add(self, session_id: int, counts: dict[int, VoteCount]) -> None:
        loop = event_loop()
        with self._lock:
            self._merge(session_id, counts)
            if loop is None:
                now = self._pending.pop(session_id)
                self._scheduled.discard(session_id)
            elif session_id in self._scheduled:
                return
            else:
                self._scheduled.add(session_id)
                now = {}
        if loop is None:
            self._send_now(session_id, now)
            return
        try:
            # A fresh context: the caller's (a request's or a consumer's worker thread) carries
            # asgiref's executor markers, and the flush outlives them.
            loop.call_soon_threadsafe(self._arm, loop, session_id, context=contextvars.Context())
        except RuntimeError:  # the loop closed meanwhile
            with self._lock:
                self._scheduled.discard(session_id)
                now = self._pending.pop(session_id, {})
            self._send_now(session_id, now)

    def _arm(self, loop: asyncio.AbstractEventLoop, session_id: int) -> None:
        loop.call_later(self.delay, lambda: loop.create_task(self._flush_due(session_id)))

    async def _flush_due(self, session_id: int) -> None:
        with self._lock:
            self._scheduled.discard(session_id)
            counts = self._pending.pop(session_id, {})
        data = self._frame(counts)
        if data is None:
            return
        if not await events.asend_volatile(session_id, self.stream, "votes", data):
            # The channel layer is unreachable (Redis down): no socket, here or in another
            # process, saw these counts, and no event will bring them. Keep them and try again.
            self._failed.add(session_id)
            self._keep(session_id, counts, RESEND_SECONDS)
        elif session_id in self._failed:
            # Back after an outage: once more in a moment, for the processes whose
            # subscriptions were still being restored when this one went out.
            self._failed.discard(session_id)
            self._keep(session_id, counts, RESEND_SECONDS)

    def _merge(self, session_id: int, counts: dict[int, VoteCount]) -> None:
        """Add counts to the session's pending ones, the newest version of each winning:
        batches of several threads may commit in one order and get here in another. Called
        with the lock held."""
        pending = self._pending.setdefault(session_id, {})
        for qid, entry in counts.items():
            held = pending.get(qid)
            if held is None or entry.version > held.version:
                pending[qid] = entry

    def _keep(self, session_id: int, counts: dict[int, VoteCount], delay: float) -> None:
        """Put counts back to be sent again (newer ones that came meanwhile win)."""
        with self._lock:
            self._merge(session_id, counts)
            if session_id in self._scheduled:
                return
            self._scheduled.add(session_id)
        loop = asyncio.get_running_loop()
        loop.call_later(delay, lambda: loop.create_task(self._flush_due(session_id)))

    def _send_now(self, session_id: int, counts: dict[int, VoteCount]) -> None:
        data = self._frame(counts)
        if data is not None:
            events.send_volatile(session_id, self.stream, "votes", data)

    def _frame(self, counts: dict[int, VoteCount]) -> dict[str, Any] | None:
        if self.public_only:
            # The status is the one the batch saw under its lock. A question hidden since is
            # hidden on the audience's page too, which ignores counts of questions it lacks.
            counts = {qid: c for qid, c in counts.items() if c.public}
        return votes_frame(counts) if counts else None


# ---------------------------------------------------------------------------------------------
# The batcher: votes arriving on the loop are written together (group commit).


class Request(Protocol):
    @property
    def key(self) -> tuple[int, str]: ...


WriteBatch = Callable[[list[Any]], Awaitable[list[Any]]]


@dataclass
class _Pending:
    request: Request
    future: asyncio.Future[Any]


class VoteWriter:
    """Group commit: requests gather while the previous batch is being written (and for at most
    ``VOTE_BATCH_WINDOW_SECONDS`` when idle), then ``write`` stores them together, in a worker
    thread, and each caller gets its own outcome."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        write: WriteBatch,
        unavailable: Callable[[], DomainError],
        busy: Callable[[], DomainError],
    ) -> None:
        self.loop = loop
        self.write = write
        self.unavailable = unavailable
        self.busy = busy
        self.queue: list[_Pending] = []
        self.draining = False
        self.in_flight = 0  # requests queued or in the batch being written

    async def submit(self, request: Request) -> Any:
        """The request's outcome once its batch is written; ``busy`` at once, without queuing,
        when ``VOTE_MAX_IN_FLIGHT`` requests are already queued or being written."""
        if self.in_flight >= settings.VOTE_MAX_IN_FLIGHT:
            raise self.busy()
        future: asyncio.Future[Any] = self.loop.create_future()
        self.queue.append(_Pending(request, future))
        self.in_flight += 1
        if not self.draining:
            self.draining = True
            self.loop.create_task(self._drain())
        return await future

    def _take_batch(self) -> list[_Pending]:
        """The oldest requests, at most one per voter and question, in arrival order."""
        batch: list[_Pending] = []
        later: list[_Pending] = []
        keys: set[tuple[int, str]] = set()
        limit = settings.VOTE_BATCH_MAX
        for pending in self.queue:
            if len(batch) < limit and pending.request.key not in keys:
                keys.add(pending.request.key)
                batch.append(pending)
            else:
                later.append(pending)
        self.queue = later
        return batch

    async def _drain(self) -> None:
        try:
            window = settings.VOTE_BATCH_WINDOW_SECONDS
            if window > 0:
                await asyncio.sleep(window)
            while self.queue:
                batch = self._take_batch()
                await self._write(batch)
        finally:
            self.draining = False

    async def _write(self, batch: list[_Pending]) -> None:
        requests = [p.request for p in batch]
        try:
            results = await self.write(requests)
        except Exception:
            logger.exception("could not write a batch of %d votes", len(batch))
            results = [self.unavailable() for _ in batch]
        finally:
            self.in_flight -= len(batch)
        for pending, result in zip(batch, results, strict=True):
            if pending.future.done():
                continue  # the caller went away; the vote is saved all the same
            if isinstance(result, DomainError):
                pending.future.set_exception(result)
            else:
                pending.future.set_result(result)


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, VoteWriter] = (
    weakref.WeakKeyDictionary()
)


def writer_for_loop(
    write: WriteBatch,
    unavailable: Callable[[], DomainError],
    busy: Callable[[], DomainError],
) -> VoteWriter:
    """The batcher of the loop the caller runs on (one per loop)."""
    loop = event_loop()
    if loop is None:
        raise RuntimeError("votes are batched on an event loop")
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = VoteWriter(loop, write, unavailable, busy)
    return writer


# ---------------------------------------------------------------------------------------------
# Announcing new counts


# The host's queue follows votes closely; the audience sees counts move once a second, which is
# as fresh as a listener needs and keeps the fan-out to thousands of phones small. Counts are
# volatile frames (no sequence number, no event log): each carries absolute counts with their
# versions, so the next frame, or the counts sent when a socket resumes, makes up for a lost one.
votes_coalescer = Coalescer(events.CREW, delay=settings.VOTES_COALESCE_SECONDS)
public_votes_coalescer = Coalescer(
    events.PUBLIC, delay=settings.VOTES_PUBLIC_COALESCE_SECONDS, public_only=True
)


def votes_changed(session_id: int, counts: dict[int, VoteCount]) -> None:
    """After votes commit: the counts the batch returned go out with the next ``votes`` frames."""
    votes_coalescer.add(session_id, counts)
    public_votes_coalescer.add(session_id, counts)
