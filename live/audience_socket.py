"""One audience socket (live/audience_app.py serves them): what it has been sent, its outbox
and the worker task that drains it, its answers to the client's messages.

A socket has no task of its own while idle. Frames go to its bounded outbox, which a short-lived
worker task drains; a slow client holds up only its own worker. When its outbox is full, its
queued stream frames are dropped and it is brought back from the replay log (or a snapshot),
never left behind. Replays, snapshots and the hello's answer run in that worker too, so a
socket's frames always leave in order; events arriving meanwhile wait in ``held``. The rules
for each event (seq already sent, a gap, a volatile frame) are those of the Channels sockets
(live/consumers.py, ``StreamConsumer.stream_event``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings
from django.utils import timezone

from live import snapshots
from live.consumers import CLOSE_NOT_FOUND, DATABASE_DOWN, _failure, database_sync_to_async
from live.socket_frames import (
    HELLO_SEQ_MESSAGE,
    Allowance,
    ClientMessage,
    error_data,
    read_client_frame,
    valid_hello_seq,
)
from questions import vote_writer
from questions.services.votes import VoteRequest, question_id_refusal
from studio import events, metrics
from studio.errors import DomainError
from studio.models import LiveSession

logger = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]

# Stream frames a socket may have queued before it counts as unable to keep up. Replies to the
# client's own messages are kept when stream frames are dropped, up to ANSWERS_MAX.
OUTBOX_MAX = 256
ANSWERS_MAX = 4 * OUTBOX_MAX

# Outbox entries: (kind, seq of the event it carries or None, text or close code).
STREAM, ANSWER, CLOSE = 0, 1, 2
Entry = tuple[int, int | None, Any]


def _snapshot(session_id: int, voter: str | None) -> dict[str, Any]:
    # Raises LiveSession.DoesNotExist when the session was deleted.
    return snapshots.audience_snapshot(LiveSession.objects.get(pk=session_id), voter)


def heartbeat_data() -> dict[str, Any]:
    return {
        "time": timezone.now().isoformat(),
        "interval": settings.EVENT_PUBLIC_HEARTBEAT_SECONDS,
        "protocol": events.PROTOCOL_VERSION,
    }


class AudienceSocket:
    """One audience connection: a few fields, no task while idle."""

    __slots__ = (
        "__weakref__",
        "allowance",
        "beat_after",
        "closed",
        "held",
        "hello",
        "joined_at",
        "lag_ticks",
        "last_sent",
        "outbox",
        "ready",
        "resync",
        "send",
        "sent_seq",
        "session_id",
        "syncing",
        "voter",
        "worker",
    )

    def __init__(self, send: Send, session_id: int, voter: str | None) -> None:
        self.send = send
        self.session_id = session_id
        self.voter = voter
        self.ready = False  # a hello was answered: stream frames may go out
        self.closed = False  # nothing more may be queued
        self.syncing = False  # a replay or snapshot is due or under way: events wait in held
        self.resync = False  # catch up from last_sent (a gap, lag, a full outbox)
        self.beat_after = False  # send a heartbeat after that catch-up
        self.last_sent = 0  # the last event queued
        self.sent_seq = 0  # the last event handed to the server
        self.lag_ticks = 0
        self.outbox: deque[Entry] | None = None
        self.held: list[tuple[int | None, str]] | None = None
        self.hello: tuple[int | None, asyncio.Future[None]] | None = None
        self.worker: asyncio.Task[None] | None = None
        self.allowance = Allowance()
        # Set when the hub has the socket in its room: every frame of the session from then on
        # reaches it.
        self.joined_at = float("inf")

    # --- frames to the client (never awaited by the caller) -----------------------------------

    def push(self, kind: int, seq: int | None, text: Any, *, bounded: bool = True) -> bool:
        if self.closed:
            return False
        box = self.outbox
        if box is None:
            box = self.outbox = deque()
        if bounded and len(box) >= (OUTBOX_MAX if kind == STREAM else ANSWERS_MAX):
            if kind != STREAM:
                logger.warning("audience socket: a reply dropped, the client reads nothing")
                return False
            self.overflow()
            return False
        box.append((kind, seq, text))
        self.wake()
        return True

    def answer(self, type_: str, data: dict[str, Any]) -> None:
        self.push(ANSWER, None, events.frame_text(None, type_, data))

    def error(self, code: str, message: str, **kwargs: Any) -> None:
        self.answer("error", error_data(code, message, **kwargs))

    def heartbeat(self, data: dict[str, Any], text: str | None = None) -> None:
        self.push(STREAM, None, text or events.frame_text(self.last_sent, "heartbeat", data))

    def overflow(self) -> None:
        """The client does not keep up: drop its queued stream frames, catch up from the log."""
        assert self.outbox is not None
        kept = [entry for entry in self.outbox if entry[0] != STREAM]
        self.outbox.clear()
        self.outbox.extend(kept)
        self.last_sent = self.sent_seq
        self.request_sync()

    def request_sync(self, *, beat: bool = False) -> None:
        if self.closed:
            return
        self.syncing = self.resync = True
        self.beat_after = self.beat_after or beat
        if self.held is None:
            self.held = []
        self.wake()

    def wake(self) -> None:
        if self.worker is None:
            self.worker = asyncio.get_running_loop().create_task(self.work())

    # --- the stream ----------------------------------------------------------------------------

    def deliver(self, seq: int | None, frame: str) -> None:
        """An event (or a volatile frame, seq None) of the session's public stream."""
        if self.closed or not (self.ready or self.syncing):
            return  # the client's hello will bring it from the log
        if self.syncing:
            held = self.held
            assert held is not None
            if len(held) >= OUTBOX_MAX:
                held.clear()
                self.resync = True  # catch up again once the current sync is done
            else:
                held.append((seq, frame))
            return
        if seq is None:
            # A volatile frame (vote counts): outside the stream's order, sent as it comes.
            self.push(STREAM, None, frame)
            return
        if seq <= self.last_sent:
            return
        if seq > self.last_sent + 1:
            # An earlier event has not reached this process yet (or was dropped): the log has
            # it, because events are committed before they are sent.
            self.request_sync()
            return
        if self.push(STREAM, seq, frame):
            self.last_sent = seq

    async def sync_from(self, seq: int | None, *, hello: bool = False) -> None:
        """Queue the events after ``seq`` from the replay log, or a snapshot if it cannot.

        Catching up on its own (a gap, lag, a full outbox), a socket gets a snapshot rather than
        more replayed events than its outbox holds: one frame instead of a backlog.
        """
        self.syncing = True
        if self.held is None:
            self.held = []
        done = False
        try:
            replayed = None
            if seq is not None:
                replayed = await database_sync_to_async(events.replay)(
                    self.session_id, events.PUBLIC, seq, settings.EVENT_REPLAY_MAX
                )
            backlog = len(self.outbox or ())
            if (
                seq is None
                or replayed is None
                or (not hello and len(replayed) + backlog > OUTBOX_MAX)
            ):
                snapshot = await database_sync_to_async(_snapshot)(self.session_id, self.voter)
                text = events.frame_text(snapshot["seq"], "snapshot", snapshot["data"])
                self.push(STREAM, snapshot["seq"], text, bounded=False)
                self.last_sent = snapshot["seq"]
            else:
                self.last_sent = seq
                for event in replayed:
                    text = events.frame_text(event["seq"], event["type"], event["data"])
                    self.push(STREAM, event["seq"], text, bounded=False)
                    self.last_sent = event["seq"]
                # The counts it missed (volatile frames are not in the log), as the Channels
                # sockets send them after a replay; one read for a burst of sockets.
                counts = await database_sync_to_async(snapshots.resume_votes_frame)(
                    self.session_id, public=True, not_before=self.joined_at
                )
                if counts is not None:
                    self.push(STREAM, None, counts, bounded=False)
            done = True
        finally:
            held, self.held = self.held, None
            self.syncing = False
            if done:
                for held_seq, frame in held or ():
                    self.deliver(held_seq, frame)

    async def work(self) -> None:
        """Answer a hello, catch up, and send what is queued, in that order; then end."""
        try:
            while True:
                if self.hello is not None and not self.closed:
                    seq, answered = self.hello
                    self.hello = None
                    try:
                        await self.sync_from(seq, hello=True)
                    except Exception as exc:
                        self.resync = False
                        if not answered.done():
                            answered.set_exception(exc)
                        continue
                    self.ready = True
                    self.heartbeat(heartbeat_data())
                    if not answered.done():
                        answered.set_result(None)
                    continue
                if self.resync and self.ready and not self.closed:
                    self.resync = False
                    try:
                        await self.sync_from(self.last_sent)
                    except LiveSession.DoesNotExist:
                        self.shut(CLOSE_NOT_FOUND, "not_found", "This session no longer exists.")
                    except DATABASE_DOWN:
                        # The log cannot be read now; the next event or heartbeat tries again
                        # (nothing is skipped: last_sent has not moved).
                        logger.warning("could not fill a gap from the event log", exc_info=True)
                    except Exception:
                        logger.exception("audience socket: could not catch up")
                    if self.beat_after:
                        self.beat_after = False
                        self.heartbeat(heartbeat_data())
                    continue
                box = self.outbox
                if not box:
                    return
                kind, seq, text = box.popleft()
                if seq is not None:
                    self.sent_seq = seq
                if kind == CLOSE:
                    box.clear()
                    await self.send({"type": "websocket.close", "code": text})
                    return
                await self.send({"type": "websocket.send", "text": text})
        except Exception:  # the connection is gone
            logger.debug("audience socket: send failed", exc_info=True)
            self.closed = True
        finally:
            self.worker = None
            if self.hello is not None:
                if not self.hello[1].done():
                    self.hello[1].set_exception(ConnectionError("the socket closed"))
                self.hello = None

    def shut(self, close_code: int, code: str, message: str) -> None:
        """Say why and close; nothing is sent after the close frame."""
        if self.closed:
            return
        self.ready = False
        if self.outbox is not None:
            self.outbox.clear()
        self.push(ANSWER, None, events.frame_text(None, "error", error_data(code, message)))
        self.push(CLOSE, None, close_code)
        self.closed = True

    # --- frames from the client ---------------------------------------------------------------

    async def receive(self, text_data: str | None, bytes_data: bytes | None) -> None:
        if self.closed:
            return
        if not self.allowance.take():
            self.error("rate_limited", "Too many messages: slow down.")
            return
        message = read_client_frame(text_data, bytes_data)
        if not isinstance(message, ClientMessage):
            self.answer("error", message)
            return
        try:
            if message.type in ("hello", "resync"):
                seq = message.data.get("seq") if message.type == "hello" else None
                await self.on_hello(message.id, seq)
                return
            await self.on_message(message)
        except LiveSession.DoesNotExist:
            # Deleted (in the admin) while this socket was open.
            self.shut(CLOSE_NOT_FOUND, "not_found", "This session no longer exists.")
        except Exception as exc:
            # Every message gets an answer and the socket stays open, whatever went wrong on
            # the server: the client may try again (the database may be back by then).
            code, text = _failure(exc, message.type)
            self.error(code, text, id=message.id)

    async def on_hello(self, client_id: Any, seq: Any) -> None:
        if not valid_hello_seq(seq):
            self.error("malformed", HELLO_SEQ_MESSAGE, id=client_id)
            return
        answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.hello = (seq, answered)
        self.syncing = True
        if self.held is None:
            self.held = []
        self.wake()
        await answered

    async def on_message(self, message: ClientMessage) -> None:
        """``vote`` and ``unvote``: acknowledged once the vote is committed (group commit)."""
        type_, client_id, data = message
        if type_ not in ("vote", "unvote"):
            self.error(
                "unknown_type",
                f"Unknown message type {type_[:40]!r}.",
                id=client_id,
                details={"accepted": ["hello", "resync", "unvote", "vote"]},
            )
            return
        question = data.get("question")
        refusal = question_id_refusal(question)  # the same check as the HTTP vote's
        if refusal is not None:
            metrics.count_refused_vote(refusal.code)
            self.error(refusal.code, refusal.message, id=client_id, details=refusal.details)
            return
        assert isinstance(question, int)  # question_id_refusal refuses anything but an int
        if self.voter is None:
            metrics.count_refused_vote("no_voter")
            self.error(
                "no_voter",
                "Voting needs the voter cookie: load the audience page first.",
                id=client_id,
            )
            return
        request = VoteRequest(self.session_id, question, self.voter, add=type_ == "vote")
        try:
            result = await vote_writer.submit(request)
        except DomainError as exc:
            self.error(exc.code, exc.message, id=client_id, details=exc.details)
            return
        self.answer(
            "ack",
            {
                "id": client_id,
                "action": type_,
                "question": result.question,
                "votes": result.votes,
                "voted": result.voted,
            },
        )
