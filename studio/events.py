"""The event streams of live sessions: appended inside the writer's transaction, sent after commit.

Each session has three streams, each with its own gap-free sequence number:

- ``crew``: everything the console shows (every event is on this stream);
- ``public``: what the audience may see (approved questions, votes, on air, guests);
- ``overlay``: the on-air state only.

``emit`` appends an event to the streams it names, in the caller's transaction, and sends it to
the stream's channel-layer group once that transaction commits. Because the stream's head row is
locked while the event is appended, sequence numbers follow commit order even with several server
processes, and a change that rolls back is never announced.

Lock order. Every transaction that touches a session's rows takes its row locks in this order,
so that no two of them ever wait for each other:

1. the session row (``LiveSession``);
2. question rows, by ascending id;
3. the stream heads, ``crew`` then ``public`` then ``overlay`` (``emit`` and ``lock_streams``:
   always after every other row lock of the transaction).

A transaction may skip a step, never come back to an earlier one. Locks on rows whose keys do
not change are FOR NO KEY UPDATE (``select_for_update(no_key=True)``): PostgreSQL checks a new
row's foreign keys (at commit: Django makes them ``DEFERRABLE INITIALLY DEFERRED``) with FOR
KEY SHARE on the rows referred to, which FOR UPDATE would block. So a submission, which locks no
session or question row but inserts rows that refer to them after it took the stream heads,
never waits for a take, an approval or a vote batch holding those rows while they wait for the
stream heads it holds. Only deleting a session or changing its slug or overlay key locks its
row FOR UPDATE. A deadlock or serialization failure that can still happen is run again by the
service (``studio.transactions.retry_on_deadlock``).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, cast

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from studio import metrics
from studio.loop import server_loop
from studio.models import EventLogEntry, EventStream

logger = logging.getLogger(__name__)

# The socket protocol's version (docs/realtime.md), in every snapshot and heartbeat. Version 2:
# a take, a clear or an answer on air is one ``on_air`` event carrying the questions it changed;
# vote counts are volatile frames with versions.
PROTOCOL_VERSION = 2

CREW = "crew"
PUBLIC = "public"
OVERLAY = "overlay"
STREAMS = (CREW, PUBLIC, OVERLAY)

# Group message type: Channels calls the consumer method ``stream_event``.
GROUP_MESSAGE_TYPE = "stream.event"
CONTROL_MESSAGE_TYPE = "stream.control"


def group_name(session_id: int, stream: str) -> str:
    return f"session.{session_id}.{stream}"


def head_cache_key(session_id: int, stream: str) -> str:
    return f"events:head:{session_id}:{stream}"


_STREAM_RANK = "CASE stream WHEN 'crew' THEN 0 WHEN 'public' THEN 1 ELSE 2 END"


def _next_seqs(session_id: int, streams: list[str]) -> dict[str, int]:
    """Advance the heads of ``streams`` by one, in one statement; returns each new head.

    On PostgreSQL the heads are locked in the lock order (crew, public, overlay), the crew head
    always, even when the event is not for the crew: it is the session's one event lock.
    """
    table = connection.ops.quote_name(EventStream._meta.db_table)
    if connection.vendor == "postgresql":
        locked = [CREW, *(s for s in streams if s != CREW)]
        # MATERIALIZED: the locking subquery runs once, in its ORDER BY, before the update.
        sql = (
            f"WITH locked AS MATERIALIZED (SELECT id, stream FROM {table} "  # noqa: S608 - quoted table names only
            f"WHERE session_id = %s AND stream = ANY(%s) ORDER BY {_STREAM_RANK} "
            f"FOR NO KEY UPDATE) UPDATE {table} AS head SET last_seq = head.last_seq + 1 "
            "FROM locked WHERE head.id = locked.id AND locked.stream = ANY(%s) "
            "RETURNING head.stream, head.last_seq"
        )
        params: list[Any] = [session_id, locked, streams]
    else:
        marks = ", ".join(["%s"] * len(streams))
        sql = (
            f"UPDATE {table} SET last_seq = last_seq + 1 "  # noqa: S608 - a quoted table name only
            f"WHERE session_id = %s AND stream IN ({marks}) RETURNING stream, last_seq"
        )
        params = [session_id, *streams]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if not rows:  # the session's first event
            _create_heads(session_id)
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    heads = {stream: int(seq) for stream, seq in rows}
    if len(heads) != len(streams):
        raise RuntimeError(f"session {session_id} lacks some of its stream heads")
    return heads


def _create_heads(session_id: int) -> None:
    """Create the session's three stream heads that do not exist yet, in stream order.

    All three at once and in one order: two first events of a session (each creating the heads
    it needs, in whatever order) would otherwise each wait for a head the other inserted. A
    concurrent creator's heads are waited for, then skipped.
    """
    EventStream.objects.bulk_create(
        [EventStream(session_id=session_id, stream=stream) for stream in STREAMS],
        ignore_conflicts=True,
    )


def lock_streams(session_id: int) -> None:
    """Take the session's event lock (its crew head row) now, before reading what to emit."""
    crew_head = EventStream.objects.select_for_update(no_key=True).filter(
        session_id=session_id, stream=CREW
    )
    if not list(crew_head.values_list("pk", flat=True)):
        _create_heads(session_id)
        list(crew_head.values_list("pk", flat=True))


def emit(
    session_id: int,
    type: str,
    *,
    crew: dict[str, Any] | None,
    public: dict[str, Any] | None = None,
    overlay: dict[str, Any] | None = None,
) -> None:
    """Append one event to the session's streams; it is sent to sockets after commit.

    ``crew``, ``public`` and ``overlay`` are the event's data as that audience may see it, or
    None when the event is not for them. The crew stream carries every event but the audience's
    slower vote counts. Must be called inside ``transaction.atomic``, after the transaction's
    other row locks.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("events.emit must be called inside transaction.atomic")
    named = [
        (stream, data) for stream, data in ((CREW, crew), (PUBLIC, public), (OVERLAY, overlay))
    ]
    wanted = [(stream, data) for stream, data in named if data is not None]
    if not wanted:
        return
    seqs = _next_seqs(session_id, [stream for stream, _ in wanted])
    # A take's on_air event carries when the take began, for the take -> send time (metrics).
    take_started = metrics.take_started.get() if type == "on_air" else None
    messages = []
    entries = []
    for stream, data in wanted:
        seq = seqs[stream]
        entries.append(
            EventLogEntry(session_id=session_id, stream=stream, seq=seq, type=type, data=data)
        )
        if seq % settings.EVENT_PRUNE_EVERY == 0:
            prune(session_id, stream, seq)
        message: dict[str, Any] = {"seq": seq, "type": type, "data": data}
        if take_started is not None:
            message["take_started"] = take_started
        messages.append((session_id, stream, message))
    EventLogEntry.objects.bulk_create(entries)
    transaction.on_commit(lambda: send(messages))


def prune(session_id: int, stream: str, head: int) -> None:
    """Keep the replay log bounded: the last minutes, and at most EVENT_REPLAY_MAX events."""
    cutoff = timezone.now() - timedelta(seconds=settings.EVENT_REPLAY_SECONDS)
    EventLogEntry.objects.filter(session_id=session_id, stream=stream).filter(
        seq__lte=head - settings.EVENT_REPLAY_MAX
    ).delete()
    EventLogEntry.objects.filter(
        session_id=session_id, stream=stream, created_at__lt=cutoff
    ).delete()


def prune_expired() -> int:
    """Delete every replay-log event past EVENT_REPLAY_SECONDS; returns how many."""
    cutoff = timezone.now() - timedelta(seconds=settings.EVENT_REPLAY_SECONDS)
    deleted, _ = EventLogEntry.objects.filter(created_at__lt=cutoff).delete()
    return deleted


Messages = list[tuple[int, str, dict[str, Any]]]


class _Outbox:
    """Committed events on their way to the channel layer from a server's database threads.

    The thread that committed hands the events to the server's event loop and goes on: a
    command's acknowledgement does not wait for Redis. One task per loop sends them in the
    order they were committed, so each stream keeps its order.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: deque[Messages] = deque()
        self.task: asyncio.Task[None] | None = None

    def put(self, messages: Messages) -> None:
        # A fresh context: the caller's (a database thread's) carries asgiref's executor
        # markers, and the sending outlives them.
        self.loop.call_soon_threadsafe(self._put, messages, context=contextvars.Context())

    def _put(self, messages: Messages) -> None:
        self.queue.append(messages)
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._run())

    async def _run(self) -> None:
        while self.queue:
            messages = self.queue.popleft()
            try:
                await _send_all(messages)
            except Exception:
                logger.exception("could not send %d events to the channel layer", len(messages))


_outboxes_lock = threading.Lock()
_outboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Outbox] = (
    weakref.WeakKeyDictionary()
)


def send(messages: Messages) -> None:
    """Send committed events to their groups. A failure is logged: clients catch up by replay.

    In a server process, from a database thread, the events go to the server's event loop and
    this returns at once; elsewhere (a worker, a command, a test) it sends them and waits.
    """
    if not messages:
        return
    # Runs right after the commit (on_commit): the event stream lag is measured from here to
    # each group_send.
    committed = time.perf_counter()
    for _, _, msg in messages:
        msg["committed"] = committed
    # Graphics first: what is on air is what must not wait. Each stream keeps its own order.
    messages = sorted(messages, key=lambda m: m[1] != OVERLAY)
    loop = server_loop()
    handed_over = False
    if loop is not None:
        with _outboxes_lock:  # several database threads: one outbox per loop all the same
            outbox = _outboxes.get(loop)
            if outbox is None:
                outbox = _outboxes[loop] = _Outbox(loop)
        try:
            outbox.put(messages)
            handed_over = True
        except RuntimeError:  # the loop closed meanwhile: send from here
            pass
    if not handed_over:
        try:
            async_to_sync(_send_all)(messages)
        except Exception:
            logger.exception("could not send %d events to the channel layer", len(messages))
    # The heads, for sockets checking their lag at each heartbeat (after the events: nothing
    # waits on them).
    heads = {head_cache_key(sid, stream): msg["seq"] for sid, stream, msg in messages}
    try:
        cache.set_many(heads, timeout=settings.EVENT_REPLAY_SECONDS)
    except Exception:  # a cache outage must not undo a committed change
        logger.exception("could not record event stream heads")


async def _send_all(messages: Messages) -> None:
    layer = get_channel_layer()
    take_measured = False
    for session_id, stream, msg in messages:
        await layer.group_send(
            group_name(session_id, stream),
            {
                "type": GROUP_MESSAGE_TYPE,
                "seq": msg["seq"],
                "event": msg["type"],
                # The frame as sockets send it, serialised once here rather than once per socket.
                "frame": frame_text(msg["seq"], msg["type"], msg["data"]),
            },
        )
        committed = msg.get("committed")
        if committed is not None:
            now = time.perf_counter()
            lag = metrics.EVENT_LAG.get(stream)
            if lag is not None:
                lag.observe(now - committed)
            take_started = msg.get("take_started")
            if take_started is not None and not take_measured:
                # The take's first on_air frame (the overlay's: graphics go first).
                metrics.take_to_send_seconds.observe(now - take_started)
                take_measured = True


def _volatile_message(type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": GROUP_MESSAGE_TYPE,
        "seq": None,
        "event": type,
        "frame": frame_text(None, type, data),
    }


def send_volatile(session_id: int, stream: str, type: str, data: dict[str, Any]) -> None:
    """Send a frame that is not an event of the stream: no sequence number, not in the replay
    log (``seq: null``). Vote counts go this way: each carries absolute counts with their
    ``versions``, so a later frame supersedes an earlier one and a socket that missed one is
    brought up to date by the next, or by the counts sent when it resumes (docs/realtime.md)."""
    async_to_sync(_send_volatile)(session_id, stream, type, data)


async def asend_volatile(session_id: int, stream: str, type: str, data: dict[str, Any]) -> bool:
    """``send_volatile`` from the event loop; False when the channel layer refused the frame."""
    return await _send_volatile(session_id, stream, type, data)


async def _send_volatile(session_id: int, stream: str, type: str, data: dict[str, Any]) -> bool:
    # A failure is logged: the next frame, or the counts sent on resume, make up for it.
    try:
        await get_channel_layer().group_send(
            group_name(session_id, stream), _volatile_message(type, data)
        )
    except Exception:
        logger.exception("could not send a %s frame to the channel layer", type)
        return False
    return True


def frame_text(seq: int | None, type: str, data: dict[str, Any]) -> str:
    """A server frame of the socket protocol (docs/realtime.md)."""
    return json.dumps({"seq": seq, "type": type, "data": data})


def send_control(session_id: int, stream: str, action: str) -> None:
    """A message to the stream's sockets that is not an event (e.g. the overlay key changed)."""

    def _send() -> None:
        try:
            async_to_sync(get_channel_layer().group_send)(
                group_name(session_id, stream), {"type": CONTROL_MESSAGE_TYPE, "action": action}
            )
        except Exception:
            logger.exception("could not send control message %s", action)

    transaction.on_commit(_send)


class _RecentHeads:
    """Stream heads read at most once per ``max_age`` per server process: thousands of idle
    sockets checking their lag cost one lookup, not thousands."""

    def __init__(self, read: Callable[[int, str], Awaitable[int | None]]) -> None:
        self.read = read
        self.seen: dict[tuple[int, str], tuple[float, int | None]] = {}

    async def get(self, session_id: int, stream: str, max_age: float) -> int | None:
        now = time.monotonic()
        key = (session_id, stream)
        hit = self.seen.get(key)
        if hit is not None and now - hit[0] < max_age:
            return hit[1]
        head = await self.read(session_id, stream)
        if len(self.seen) > 10_000:
            self.seen.clear()
        self.seen[key] = (now, head)
        return head


async def _head_from_cache(session_id: int, stream: str) -> int | None:
    return cast("int | None", await cache.aget(head_cache_key(session_id, stream)))


async def _head_from_database(session_id: int, stream: str) -> int:
    return cast(int, await database_sync_to_async(stream_head)(session_id, stream))


# The head as last sent (recorded in the cache), and the committed head (in the database).
cached_head = _RecentHeads(_head_from_cache).get
cached_database_head = _RecentHeads(_head_from_database).get


def stream_head(session_id: int, stream: str) -> int:
    return (
        EventStream.objects.filter(session_id=session_id, stream=stream)
        .values_list("last_seq", flat=True)
        .first()
        or 0
    )


def replay(session_id: int, stream: str, after: int, limit: int) -> list[dict[str, Any]] | None:
    """Events after ``after``, in order, or None when the log no longer holds all of them."""
    head = stream_head(session_id, stream)
    if after > head:
        return None  # the client comes from another life of this session's stream
    if after == head:
        return []
    if head - after > limit:
        return None
    rows = list(
        EventLogEntry.objects.filter(session_id=session_id, stream=stream, seq__gt=after)
        .order_by("seq")
        .values("seq", "type", "data")[: head - after]
    )
    if len(rows) != head - after or (rows and rows[0]["seq"] != after + 1):
        return None
    return cast("list[dict[str, Any]]", rows)
