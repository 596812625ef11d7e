"""Writing the votes that arrive on a server process's event loop (sockets and HTTP), batched by
the loop's ``VoteWriter`` (questions/vote_stream.py).

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
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils.translation import gettext as _

from questions.services.votes import VoteRequest, VoteResult, vote_batch, vote_refusal
from questions.vote_stream import writer_for_loop
from studio import metrics
from studio.errors import DomainError

logger = logging.getLogger(__name__)


class WriterUnavailable(DomainError):
    status_code = 503
    code = "unavailable"


class WriterBusy(DomainError):
    """The process already holds ``VOTE_MAX_IN_FLIGHT`` votes: refused at once, not queued."""

    status_code = 503
    code = "busy"


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


def _busy() -> WriterBusy:
    return WriterBusy(_("The studio is busy: please vote again in a moment."))


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
    if requests:
        metrics.vote_batch_size.observe(len(requests))
    while todo:
        start, end = todo.pop(0)
        if down or tries_left <= 0:
            outcome[start:end] = [_unavailable() for _ in range(start, end)]
            continue
        tries_left -= 1
        began = time.perf_counter()
        try:
            outcome[start:end] = vote_batch(requests[start:end])
            metrics.vote_batch_commit_seconds.observe(time.perf_counter() - began)
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


async def _write(requests: list[VoteRequest]) -> list[Outcome]:
    if settings.VOTE_WRITER_THREAD:
        return await asyncio.get_running_loop().run_in_executor(
            _thread(), _write_in_own_thread, requests
        )
    return await sync_to_async(_write_in_callers_thread)(requests)


async def submit(request: VoteRequest) -> VoteResult:
    """Write one vote or withdrawal with the next batch; raises its refusal (a DomainError).

    A vote the database could not store is refused here, before it joins a batch; a vote
    arriving while the process already holds ``VOTE_MAX_IN_FLIGHT`` is refused as ``busy``.
    """
    refusal = vote_refusal(request)
    if refusal is not None:
        metrics.count_refused_vote(refusal.code)
        raise refusal
    try:
        result: VoteResult = await writer_for_loop(_write, _unavailable, _busy).submit(request)
    except DomainError as refused:
        metrics.count_refused_vote(refused.code)
        raise
    metrics.votes_acknowledged.inc()
    return result
