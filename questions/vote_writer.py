"""Group commit for votes arriving on a server process's event loop (sockets and HTTP).

Callers ``await submit(request)``. Requests gather while the previous batch is being written
(and for at most ``VOTE_BATCH_WINDOW_SECONDS`` when the writer is idle), then go to the
database together through ``questions.services.votes.vote_batch``. Each caller gets its own
result once the batch has committed, or the batch's refusal.

One writer per event loop. The batches run in a thread of their own (``VOTE_WRITER_THREAD``),
so a long snapshot or a slow command in the process's shared database thread never holds an
acknowledgement back; tests that keep data in an open transaction write in the shared thread.

One bad vote never fails the others: a vote the database could not store is refused before it
joins a batch (``vote_refusal``), and a batch whose transaction fails all the same is written
again in halves, down to the one vote that fails alone, which alone is refused. A failed
transaction wrote nothing, so a half written again is counted once (and the unique constraint
would refuse a repeat anyway). When the database itself is down (``OperationalError``,
``InterfaceError``), every vote would fail alike: the batch is answered ``unavailable`` at once.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

from questions.services.votes import VoteRequest, VoteResult, vote_batch, vote_refusal
from studio.errors import DomainError

logger = logging.getLogger(__name__)


class WriterUnavailable(DomainError):
    status_code = 503
    code = "unavailable"


class VoteNotSaved(DomainError):
    """The database refused this one vote, written alone (the others of its batch were saved)."""

    status_code = 400
    code = "not_saved"


# The database itself failing (down, unreachable, locked, out of connections): every vote would
# fail alike, so none is tried again.
DATABASE_DOWN = (OperationalError, InterfaceError)

Outcome = VoteResult | DomainError


def _unavailable() -> WriterUnavailable:
    return WriterUnavailable("The vote could not be saved: please try again.")


def write_batch(
    requests: list[VoteRequest], *, after_failure: Callable[[], None] = lambda: None
) -> list[Outcome]:
    """One result or refusal per request, written in as few transactions as possible.

    A transaction that fails is split in halves, each written on its own, so a vote the database
    refuses takes no other vote down with it; the database being down answers ``unavailable``
    for every vote not yet written, without another try. The tries are bounded: a batch whose
    every vote fails for some other reason gives up after a few halvings, as ``unavailable``.
    """
    outcome: list[Outcome | None] = [None] * len(requests)
    todo = [(0, len(requests))] if requests else []  # ranges still to write, oldest first
    tries_left = 8 * max(len(requests), 1).bit_length()
    down = False
    while todo:
        start, end = todo.pop(0)
        if down or tries_left <= 0:
            outcome[start:end] = [_unavailable() for _ in range(start, end)]
            continue
        tries_left -= 1
        try:
            outcome[start:end] = vote_batch(requests[start:end])
        except DATABASE_DOWN:
            logger.exception("could not write a batch of %d votes", end - start)
            after_failure()
            down = True
            outcome[start:end] = [_unavailable() for _ in range(start, end)]
        except Exception:
            if end - start == 1:
                logger.exception(
                    "the database refused a vote on question %s", requests[start].question_id
                )
                outcome[start] = VoteNotSaved(
                    "This vote cannot be saved.",
                    details={"question": requests[start].question_id},
                )
            else:
                logger.warning(
                    "a batch of %d votes failed: writing it in halves", end - start, exc_info=True
                )
                middle = (start + end) // 2
                todo[:0] = [(start, middle), (middle, end)]
    return outcome  # type: ignore[return-value]


@dataclass
class _Pending:
    request: VoteRequest
    future: asyncio.Future[VoteResult]


_executor: ThreadPoolExecutor | None = None


def _thread() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vote-writer")
    return _executor


def _write_in_own_thread(requests: list[VoteRequest]) -> list[Outcome]:
    # The writer keeps its connection between batches; after the database failed it takes a
    # fresh one. (A transaction refused for one vote is rolled back: the connection is sound.)
    return write_batch(requests, after_failure=connection.close)


def _write_in_callers_thread(requests: list[VoteRequest]) -> list[Outcome]:
    try:
        return write_batch(requests)
    finally:
        if not connection.in_atomic_block:
            # This thread may be a request's own, gone with the request: leave no connection.
            connection.close()


class VoteWriter:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: list[_Pending] = []
        self.draining = False

    async def submit(self, request: VoteRequest) -> VoteResult:
        future: asyncio.Future[VoteResult] = self.loop.create_future()
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
            if settings.VOTE_WRITER_THREAD:
                results = await self.loop.run_in_executor(_thread(), _write_in_own_thread, requests)
            else:
                results = await sync_to_async(_write_in_callers_thread)(requests)
        except Exception:
            logger.exception("could not write a batch of %d votes", len(batch))
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(_unavailable())
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


async def submit(request: VoteRequest) -> VoteResult:
    """Write one vote or withdrawal with the next batch; raises its refusal (a DomainError).

    A vote the database could not store is refused here, before it joins a batch.
    """
    refusal = vote_refusal(request)
    if refusal is not None:
        raise refusal
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = VoteWriter(loop)
    return await writer.submit(request)
