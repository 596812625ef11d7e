"""Group commit for votes arriving on a server process's event loop (sockets and HTTP).

Callers ``await submit(request)``. Requests gather while the previous batch is being written
(and for at most ``VOTE_BATCH_WINDOW_SECONDS`` when the writer is idle), then go to the
database together through ``questions.services.votes.vote_batch``. Each caller gets its own
result once the batch has committed, or the batch's refusal.

One writer per event loop. The batches run in a thread of their own (``VOTE_WRITER_THREAD``),
so a long snapshot or a slow command in the process's shared database thread never holds an
acknowledgement back; tests that keep data in an open transaction write in the shared thread.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from questions.services.votes import VoteRequest, VoteResult, vote_batch
from socialroom.errors import DomainError

logger = logging.getLogger(__name__)


class WriterUnavailable(DomainError):
    status_code = 503
    code = "unavailable"


@dataclass
class _Pending:
    request: VoteRequest
    future: asyncio.Future


_executor: ThreadPoolExecutor | None = None


def _thread() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vote-writer")
    return _executor


def _write_in_own_thread(requests: list[VoteRequest]) -> list[VoteResult | DomainError]:
    # The writer keeps its connection between batches; after a failure it takes a fresh one.
    try:
        return vote_batch(requests)
    except Exception:
        connection.close()
        raise


def _write_in_callers_thread(requests: list[VoteRequest]) -> list[VoteResult | DomainError]:
    try:
        return vote_batch(requests)
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
        future = self.loop.create_future()
        self.queue.append(_Pending(request, future))
        if not self.draining:
            self.draining = True
            self.loop.create_task(self._drain())
        return await future

    def _take_batch(self) -> list[_Pending]:
        """The oldest requests, at most one per voter and question, in arrival order."""
        batch, later, keys = [], [], set()
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
                    pending.future.set_exception(
                        WriterUnavailable("The vote could not be saved: please try again.")
                    )
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
    """Write one vote or withdrawal with the next batch; raises its refusal (a DomainError)."""
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = VoteWriter(loop)
    return await writer.submit(request)
