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

import json
import logging
import time
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


def _next_seq(session_id: int, stream: str) -> int:
    table = connection.ops.quote_name(EventStream._meta.db_table)
    sql = (
        f"UPDATE {table} SET last_seq = last_seq + 1 "  # noqa: S608 - a quoted table name only
        "WHERE session_id = %s AND stream = %s RETURNING last_seq"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_id, stream])
        row = cursor.fetchone()
        if row is None:  # the session's first event
            _create_heads(session_id)
            cursor.execute(sql, [session_id, stream])
            row = cursor.fetchone()
    return cast(int, row[0])


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
    if crew is None:
        lock_streams(session_id)  # the crew head is the session's one event lock, always first
    messages = []
    entries = []
    for stream, data in ((CREW, crew), (PUBLIC, public), (OVERLAY, overlay)):
        if data is None:
            continue
        seq = _next_seq(session_id, stream)
        entries.append(
            EventLogEntry(session_id=session_id, stream=stream, seq=seq, type=type, data=data)
        )
        if seq % settings.EVENT_PRUNE_EVERY == 0:
            prune(session_id, stream, seq)
        messages.append((session_id, stream, {"seq": seq, "type": type, "data": data}))
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


def send(messages: list[tuple[int, str, dict[str, Any]]]) -> None:
    """Send committed events to their groups. A failure is logged: clients catch up by replay."""
    if not messages:
        return
    # Graphics first: what is on air is what must not wait. Each stream keeps its own order.
    messages = sorted(messages, key=lambda m: m[1] != OVERLAY)
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


async def _send_all(messages: list[tuple[int, str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
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


def send_volatile(session_id: int, stream: str, type: str, data: dict[str, Any]) -> None:
    """Send a frame that is not an event of the stream: no sequence number, not in the replay
    log (``seq: null``). Vote counts go this way: each carries absolute counts with their
    ``versions``, so a later frame supersedes an earlier one and a socket that missed one is
    brought up to date by the next, or by the counts sent when it resumes (docs/realtime.md)."""
    message = {
        "type": GROUP_MESSAGE_TYPE,
        "seq": None,
        "event": type,
        "frame": frame_text(None, type, data),
    }
    try:
        async_to_sync(get_channel_layer().group_send)(group_name(session_id, stream), message)
    except Exception:
        logger.exception("could not send a %s frame to the channel layer", type)


async def asend_volatile(session_id: int, stream: str, type: str, data: dict[str, Any]) -> None:
    """``send_volatile`` from the event loop."""
    message = {
        "type": GROUP_MESSAGE_TYPE,
        "seq": None,
        "event": type,
        "frame": frame_text(None, type, data),
    }
    try:
        await get_channel_layer().group_send(group_name(session_id, stream), message)
    except Exception:
        logger.exception("could not send a %s frame to the channel layer", type)


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
