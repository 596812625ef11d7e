"""Votes on a server process's event loop: the batcher that writes them together, the coalescers
that announce new counts a few times a second, and the one way both find the loop.

The batcher (``VoteWriter``) gathers requests while the previous batch is being written and hands
them to a ``write`` function (``questions.vote_writer``: the vote service, in a thread of its
own). The coalescers collect the questions whose counts changed and send one ``votes`` event per
session and stream at most every ``VOTES_COALESCE_SECONDS`` (crew) or
``VOTES_PUBLIC_COALESCE_SECONDS`` (audience).

Both run on the server's event loop: ``event_loop()`` is the loop the caller runs on, or else the
loop the server process serves sockets on (remembered by ``BindEventLoop``, the outermost ASGI
wrapper), or ``None`` outside a server (a management command, a worker, a synchronous test),
where a coalescer flushes at once.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, cast

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction

from questions.models import PUBLIC_STATUSES, Question
from studio import events
from studio.errors import DomainError

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# The event loop


_bound_loop: asyncio.AbstractEventLoop | None = None


def event_loop() -> asyncio.AbstractEventLoop | None:
    """The running loop when called on one; else the server's loop while it runs; else None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    loop = _bound_loop
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    return loop


class BindEventLoop:
    """ASGI wrapper that remembers the server's event loop, where coalesced flushes run."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        global _bound_loop
        loop = asyncio.get_running_loop()
        if _bound_loop is not loop:
            _bound_loop = loop
        return await self.app(scope, receive, send)


# ---------------------------------------------------------------------------------------------
# Coalescing: vote-driven updates go out a few times a second per session, not once per vote.


class Coalescer:
    """Collects ids per session and calls ``flush(session_id, ids)`` at most every ``delay``.

    Inside a server process, the flush is scheduled on the process's event loop (the one serving
    sockets). Elsewhere (a management command, a worker, a synchronous test), there is no loop to
    wait on, so it flushes at once.
    """

    def __init__(self, flush: Callable[[int, set[int]], None], delay: float) -> None:
        self._flush = flush
        self.delay = delay
        self._lock = threading.Lock()
        self._pending: dict[int, set[int]] = {}
        self._scheduled: set[int] = set()

    def add(self, session_id: int, ids: Iterable[int]) -> None:
        loop = event_loop()
        with self._lock:
            self._pending.setdefault(session_id, set()).update(ids)
            if loop is None:
                ids_now = self._pending.pop(session_id)
                self._scheduled.discard(session_id)
            elif session_id in self._scheduled:
                return
            else:
                self._scheduled.add(session_id)
                ids_now = None
        if loop is None:
            # Popped above when there is no loop: never None here.
            self._run(session_id, cast("set[int]", ids_now))
            return
        try:
            # A fresh context: the caller's (a request's or a consumer's worker thread) carries
            # asgiref's executor markers, and the flush outlives them.
            loop.call_soon_threadsafe(self._arm, loop, session_id, context=contextvars.Context())
        except RuntimeError:  # the loop closed meanwhile
            with self._lock:
                self._scheduled.discard(session_id)
                ids_now = self._pending.pop(session_id, set())
            self._run(session_id, ids_now)

    def _arm(self, loop: asyncio.AbstractEventLoop, session_id: int) -> None:
        loop.call_later(self.delay, lambda: loop.create_task(self._flush_async(session_id)))

    async def _flush_async(self, session_id: int) -> None:
        with self._lock:
            self._scheduled.discard(session_id)
            ids = self._pending.pop(session_id, set())
        await database_sync_to_async(self._run)(session_id, ids)

    def _run(self, session_id: int, ids: set[int]) -> None:
        if not ids:
            return
        try:
            self._flush(session_id, ids)
        except Exception:
            logger.exception("coalesced flush failed for session %s", session_id)


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
    ) -> None:
        self.loop = loop
        self.write = write
        self.unavailable = unavailable
        self.queue: list[_Pending] = []
        self.draining = False

    async def submit(self, request: Request) -> Any:
        future: asyncio.Future[Any] = self.loop.create_future()
        self.queue.append(_Pending(request, future))
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
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(self.unavailable())
            return
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


def writer_for_loop(write: WriteBatch, unavailable: Callable[[], DomainError]) -> VoteWriter:
    """The batcher of the loop the caller runs on (one per loop)."""
    loop = event_loop()
    if loop is None:
        raise RuntimeError("votes are batched on an event loop")
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = VoteWriter(loop, write, unavailable)
    return writer


# ---------------------------------------------------------------------------------------------
# Announcing new counts


def _flush_votes(session_id: int, ids: set[int], *, public: bool) -> None:
    with transaction.atomic():
        # The stream lock first, then the counts: read after every earlier ``votes`` event
        # committed, they are never older than what a lower seq carried (several processes
        # flush the same session).
        events.lock_streams(session_id)
        rows = Question.objects.filter(session_id=session_id, pk__in=ids).values_list(
            "pk", "vote_count", "status"
        )
        if public:
            counts = {str(pk): n for pk, n, status in rows if status in PUBLIC_STATUSES}
            if counts:
                events.emit(session_id, "votes", crew=None, public={"counts": counts})
        else:
            counts = {str(pk): n for pk, n, _ in rows}
            if counts:
                events.emit(session_id, "votes", crew={"counts": counts})


# The host's queue follows votes closely; the audience sees counts move once a second, which is
# as fresh as a listener needs and keeps the fan-out to thousands of phones small.
votes_coalescer = Coalescer(
    lambda session_id, ids: _flush_votes(session_id, ids, public=False),
    delay=settings.VOTES_COALESCE_SECONDS,
)
public_votes_coalescer = Coalescer(
    lambda session_id, ids: _flush_votes(session_id, ids, public=True),
    delay=settings.VOTES_PUBLIC_COALESCE_SECONDS,
)


def votes_changed(session_id: int, question_ids: Iterable[int]) -> None:
    """After votes commit: the new counts go out with the next coalesced ``votes`` events."""
    ids = list(question_ids)
    votes_coalescer.add(session_id, ids)
    public_votes_coalescer.add(session_id, ids)
