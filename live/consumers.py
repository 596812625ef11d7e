"""The three live sockets: console (crew), overlay (graphics, by key) and audience (public).

Each socket follows one session stream (see studio/events.py and docs/realtime.md): the client
says ``hello`` with the last ``seq`` it saw, gets the missing events or a snapshot, then every
event in order, and a heartbeat every few seconds. Commands on the console go through the same
services and permission checks as HTTP. Consumers hold no business logic.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar, cast
from urllib.parse import parse_qs

from channels.auth import get_user
from channels.consumer import get_handler_name
from channels.db import DatabaseSyncToAsync
from channels.db import database_sync_to_async as _database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from live import snapshots
from live.commands import SOCKET_COMMANDS, run_command
from live.socket_frames import (
    HELLO_SEQ_MESSAGE,
    Allowance,
    ClientMessage,
    read_client_frame,
    valid_hello_seq,
)
from live.socket_frames import error_data as _error
from live.wall import wall_snapshot
from questions.shapes import wall_shape
from studio import events, metrics
from studio.errors import DomainError, NotAllowed
from studio.models import LiveSession
from studio.roles import ROLE_CAPABILITIES, User, station_role
from studio.selectors import (
    overlay_key_for_session,
    overlay_key_matches,
    session_by_slug,
    session_for_overlay_key,
)

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def database_sync_to_async(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Channels' ``database_sync_to_async`` with its types (channels ships none)."""
    return cast("Callable[P, Awaitable[R]]", _database_sync_to_async(func))


_crew_thread: ThreadPoolExecutor | None = None


def crew_database_sync_to_async(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """For the console, the overlay and the wall: a database thread of their own.

    The audience's sockets and HTTP requests share the process's database thread; under a
    burst of listeners a take queued behind them would wait. With ``CREW_DATABASE_THREAD`` off
    (tests that keep their data in an open transaction, which only that thread sees), the
    shared thread is used.
    """
    global _crew_thread
    if not settings.CREW_DATABASE_THREAD:
        return database_sync_to_async(func)
    if _crew_thread is None:
        _crew_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crew-database")
    wrapped = DatabaseSyncToAsync(func, thread_sensitive=False, executor=_crew_thread)
    return cast("Callable[P, Awaitable[R]]", wrapped)


# Close codes a client must not retry blindly (see docs/realtime.md).
CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404

# The database unreachable (down, restarting, out of connections, a timeout): "unavailable".
DATABASE_DOWN = (OperationalError, InterfaceError)

# With Redis, sockets read their stream's head from the cache at each heartbeat, and from the
# database every this many heartbeats.
HEAD_FROM_DATABASE_EVERY = 5


def _failure(exc: Exception, type_: str) -> tuple[str, str]:
    """The error code and message for a client message the server failed to handle."""
    if isinstance(exc, DATABASE_DOWN):
        logger.warning("socket message %r: database unavailable: %s", type_[:40], exc)
        return "unavailable", "The studio cannot reach its database: try again in a moment."
    logger.exception("socket message %r failed", type_[:40])
    return "internal", "The server could not handle this message: try again."


class Denied(Exception):
    def __init__(self, close_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.close_code, self.code, self.message = close_code, code, message


# channels ships no type information: its consumer classes are Any to mypy.
class StreamConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    stream: str = ""
    kind: str = ""  # the socket kind in the metrics (studio/metrics.py)
    # Whether a socket resuming by replay is sent the current vote counts (volatile frames
    # are not in the log): None for streams without counts, else whether only public ones.
    resume_votes_public: bool | None = None

    @staticmethod
    def db(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
        """How this socket reaches the database: the shared thread, unless overridden."""
        return database_sync_to_async(func)

    # --- connection ---------------------------------------------------------------------------

    async def connect(self) -> None:
        self.session: LiveSession | None = None
        self.ready = False
        self.shut_down = False
        self.last_sent = 0
        self.lag_ticks = 0
        self.heartbeat_task: asyncio.Task[None] | None = None
        self.send_lock = asyncio.Lock()
        self.allowance = Allowance()
        self.counted = False
        try:
            self.session = await self.authenticate()
        except Denied as denied:
            # Accept, say why, then close: a browser cannot read the reason of a refused handshake.
            await self.accept()
            await self.send_error(denied.code, denied.message)
            await self.close(code=denied.close_code)
            return
        self.group = events.group_name(self.session.pk, self.stream)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.joined_at = time.monotonic()  # every frame sent to the group from now reaches it
        await self.accept()
        metrics.socket_opened_now(self.kind)
        self.counted = True
        self.heartbeat_task = asyncio.create_task(self.heartbeat())

    @property
    def live_session(self) -> LiveSession:
        """The session this socket follows: set by ``connect`` before anything else reads it."""
        if self.session is None:
            raise RuntimeError("The socket has no session: it was not authenticated.")
        return self.session

    async def disconnect(self, code: int) -> None:
        if getattr(self, "counted", False):
            self.counted = False
            metrics.socket_closed_now(self.kind)
        if self.heartbeat_task is not None:
            self.heartbeat_task.cancel()
        if self.session is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def authenticate(self) -> LiveSession:
        raise NotImplementedError

    async def build_snapshot(self) -> dict[str, Any]:
        raise NotImplementedError

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch, without its stale-connection sweep before every message.

        That sweep is a round trip to the process's database thread for each frame and each
        group event, per socket: with a thousand listeners, one event cost a thousand of them.
        These consumers touch the database only through ``database_sync_to_async``, which
        sweeps in that thread around each call anyway.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- frames to the client ----------------------------------------------------------------

    async def send_frame(self, type: str, data: dict[str, Any], seq: int | None = None) -> None:
        if self.shut_down:
            return  # closed: nothing may follow the close frame
        await self.send(text_data=events.frame_text(seq, type, data))

    async def send_error(
        self,
        code: str,
        message: str,
        *,
        id: str | int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        await self.send_frame("error", _error(code, message, id=id, details=details))

    # --- frames from the client --------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session is None or self.shut_down:
            return
        if not self.take_allowance():
            await self.send_error("rate_limited", "Too many messages: slow down.")
            return
        parsed = read_client_frame(text_data, bytes_data)  # shared with live/audience_app.py
        if not isinstance(parsed, ClientMessage):
            await self.send_frame("error", parsed)
            return
        type_, client_id, data = parsed
        try:
            if type_ in ("hello", "resync"):
                await self.on_hello(client_id, data if type_ == "hello" else {"seq": None})
                return
            await self.on_message(type_, client_id, data)
        except LiveSession.DoesNotExist:
            # Deleted (in the admin) while this socket was open.
            await self.shut(CLOSE_NOT_FOUND, "not_found", "This session no longer exists.")
        except Exception as exc:
            # Every message gets an answer and the socket stays open, whatever went wrong on
            # the server: the client may try again (the database may be back by then).
            code, message = _failure(exc, type_)
            await self.send_error(code, message, id=client_id)

    async def on_message(self, type_: str, client_id: Any, data: dict[str, Any]) -> None:
        await self.send_error(
            "unknown_type",
            f"Unknown message type {type_[:40]!r}: this socket accepts hello and resync.",
            id=client_id,
        )

    def take_allowance(self) -> bool:
        return self.allowance.take()

    # --- the stream ---------------------------------------------------------------------------

    async def on_hello(self, client_id: Any, data: dict[str, Any]) -> None:
        seq = data.get("seq")
        if not valid_hello_seq(seq):
            await self.send_error("malformed", HELLO_SEQ_MESSAGE, id=client_id)
            return
        # Access is checked again before handing out the whole state: a membership or an
        # overlay key may have changed since the last periodic check (and the role with it).
        if not await self.still_allowed():
            return
        async with self.send_lock:
            await self.sync_from(seq)
            self.ready = True
            await self.send_heartbeat()

    async def sync_from(self, seq: int | None) -> None:
        """Send the events after ``seq`` from the replay log, or a snapshot if it cannot."""
        replayed = None
        if seq is not None:
            replayed = await self.db(events.replay)(
                self.live_session.pk, self.stream, seq, settings.EVENT_REPLAY_MAX
            )
        if seq is None or replayed is None:
            snapshot = await self.build_snapshot()
            self.last_sent = snapshot["seq"]
            await self.send_frame("snapshot", snapshot["data"], seq=snapshot["seq"])
            return
        self.last_sent = seq
        for event in replayed:
            await self.send_frame(event["type"], event["data"], seq=event["seq"])
            self.last_sent = event["seq"]
        if self.resume_votes_public is not None:
            await self.send_resume_votes()

    async def send_resume_votes(self) -> None:
        """The counts of the questions ever voted on, as one volatile frame: a socket that was
        away missed the volatile frames, which the replay log does not keep."""
        public = self.resume_votes_public
        if public is None:
            return
        text = await self.db(snapshots.resume_votes_frame)(
            self.live_session.pk, public=public, not_before=self.joined_at
        )
        if text is not None and not self.shut_down:
            await self.send(text_data=text)

    async def stream_event(self, message: dict[str, Any]) -> None:
        """An event of this socket's stream, from the channel layer."""
        if not self.ready:
            return  # the client's hello will bring it from the log
        async with self.send_lock:
            seq = message["seq"]
            if seq is None:
                # A volatile frame (vote counts): outside the stream's order, sent as it comes.
                if not self.shut_down:
                    await self.send(text_data=message["frame"])
                return
            if seq <= self.last_sent:
                return
            if seq > self.last_sent + 1:
                # An earlier event has not reached this process yet (or was dropped): the log
                # has it, because events are committed before they are sent.
                try:
                    await self.sync_from(self.last_sent)
                except DATABASE_DOWN:
                    # The log cannot be read now; the next event or heartbeat tries again
                    # (nothing is skipped: last_sent has not moved).
                    logger.warning("could not fill a gap from the event log", exc_info=True)
                return
            if not self.shut_down:
                await self.send(text_data=message["frame"])
            self.last_sent = seq

    async def stream_control(self, message: dict[str, Any]) -> None:
        pass

    async def heartbeat(self) -> None:
        interval = self.heartbeat_seconds()
        beats = 0
        try:
            while True:
                await asyncio.sleep(interval)
                if self.shut_down:
                    return
                if not self.ready:
                    continue
                beats += 1
                if beats % 15 == 0 and not await self.still_allowed():
                    return
                async with self.send_lock:
                    await self.check_lag(database=beats % HEAD_FROM_DATABASE_EVERY == 0)
                    await self.send_heartbeat()
        except asyncio.CancelledError:
            pass
        except Exception:  # the socket closed under us
            logger.debug("heartbeat stopped", exc_info=True)

    async def check_lag(self, *, database: bool = False) -> None:
        """Catch up from the log if the stream's head stayed ahead of this socket for two beats
        (a message the channel layer dropped, or one that is very late)."""
        if settings.EVENT_HEAD_FROM_DATABASE or database:
            # Embedded mode: the cache and the channel layer are this process's own, so a change
            # written by another process (a management command, a replay) is seen in the
            # database. With Redis, every few beats too: an event committed by a process that
            # died before sending it is in the database only. The head is authoritative there:
            # catch up at once.
            head = await events.cached_database_head(
                self.live_session.pk, self.stream, max_age=self.heartbeat_seconds() / 2
            )
            if head is not None and head > self.last_sent:
                await self.sync_from(self.last_sent)
            return
        try:
            head = await events.cached_head(
                self.live_session.pk, self.stream, max_age=self.heartbeat_seconds() / 2
            )
        except Exception:
            # Redis is down: events may not be reaching this process at all, so the database,
            # where every committed event is, says what this socket is missing.
            await self.check_lag(database=True)
            return
        if head is not None and head > self.last_sent:
            self.lag_ticks += 1
            if self.lag_ticks >= 2:
                self.lag_ticks = 0
                await self.sync_from(self.last_sent)
        else:
            self.lag_ticks = 0

    def heartbeat_seconds(self) -> float:
        seconds: float = settings.EVENT_HEARTBEAT_SECONDS
        return seconds

    async def send_heartbeat(self) -> None:
        await self.send_frame(
            "heartbeat",
            {
                "time": timezone.now().isoformat(),
                "interval": self.heartbeat_seconds(),
                "protocol": events.PROTOCOL_VERSION,
            },
            seq=self.last_sent,
        )

    async def still_allowed(self) -> bool:
        return True

    async def shut(self, close_code: int, code: str, message: str) -> None:
        """Access ended while connected: leave the stream, say why, close; send nothing after.

        The client may take a while to answer the close: until then, no event, heartbeat or
        replay may reach it.
        """
        if self.shut_down:
            return
        self.shut_down = True
        self.ready = False
        await self.send(text_data=events.frame_text(None, "error", _error(code, message)))
        await self.close(code=close_code)
        await self.channel_layer.group_discard(self.group, self.channel_name)


class ConsoleConsumer(StreamConsumer):
    """Crew only: session login, origin checked, the crew member's own station, per role."""

    stream = events.CREW
    kind = "console"
    resume_votes_public = False
    db = staticmethod(crew_database_sync_to_async)

    async def authenticate(self) -> LiveSession:
        self.user: User = await get_user(self.scope)
        if not self.user.is_authenticated:
            raise Denied(CLOSE_NOT_AUTHENTICATED, "not_authenticated", "Log in to use the console.")
        slug = self.scope["url_route"]["kwargs"]["slug"]
        session, role = await self.db(self._session_and_role)(slug)
        if session is None or role is None:
            raise Denied(CLOSE_NOT_FOUND, "not_found", "No such session.")
        self.role = role
        return session

    def _session_and_role(self, slug: str) -> tuple[LiveSession | None, str | None]:
        session = session_by_slug(slug=slug)
        if session is None:
            return None, None
        return session, station_role(self.user, session.station_id)

    async def still_allowed(self) -> bool:
        role = await self.db(station_role)(self.user, self.live_session.station_id)
        if role is None:
            await self.shut(CLOSE_FORBIDDEN, "forbidden", "You are no longer crew of this station.")
            return False
        self.role = role
        return True

    async def build_snapshot(self) -> dict[str, Any]:
        snapshot = await self.db(snapshots.console_snapshot)(self.live_session)
        capabilities = sorted(c.value for c in ROLE_CAPABILITIES[self.role])
        snapshot["data"]["me"] = {
            "username": self.user.get_username(),
            "role": self.role,
            "capabilities": capabilities,
        }
        return snapshot

    async def on_message(self, type_: str, client_id: Any, data: dict[str, Any]) -> None:
        if type_ not in SOCKET_COMMANDS:
            await self.send_error(
                "unknown_type",
                f"Unknown message type {type_[:40]!r}.",
                id=client_id,
                details={"accepted": ["hello", "resync", *sorted(SOCKET_COMMANDS)]},
            )
            return
        try:
            result = await self.db(run_command)(
                type_, user=self.user, session=self.live_session, data=data
            )
        except DomainError as exc:
            # The socket protocol names a role refusal "forbidden" (HTTP: 403 permission_denied).
            code = "forbidden" if isinstance(exc, NotAllowed) else exc.code
            await self.send_error(code, exc.message, id=client_id, details=exc.details)
            return
        await self.send_frame("ack", {"id": client_id, "action": type_, **result})


class OverlayConsumer(StreamConsumer):
    """Graphics: read-only, authenticated by the session's overlay key; on-air state only."""

    stream = events.OVERLAY
    kind = "overlay"
    db = staticmethod(crew_database_sync_to_async)

    async def authenticate(self) -> LiveSession:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.key = (query.get("key") or [""])[0]
        slug = self.scope["url_route"]["kwargs"]["slug"]
        session = await self.db(session_for_overlay_key)(slug, self.key)
        if session is None:
            # The same answer for an unknown session and a wrong key.
            raise Denied(CLOSE_NOT_AUTHENTICATED, "bad_key", "Unknown session or overlay key.")
        return session

    async def build_snapshot(self) -> dict[str, Any]:
        return await self.db(snapshots.overlay_snapshot)(self.live_session)

    async def stream_control(self, message: dict[str, Any]) -> None:
        if message.get("action") == "key_rotated":
            await self.still_allowed()

    async def still_allowed(self) -> bool:
        key = await self.db(overlay_key_for_session)(session_id=self.live_session.pk)
        if not overlay_key_matches(self.key, key):
            await self.shut(CLOSE_NOT_AUTHENTICATED, "bad_key", "The overlay key was changed.")
            return False
        return True


class WallConsumer(OverlayConsumer):
    """The social wall page: authenticated by the overlay key, following the public stream
    (nothing there was not approved). Its snapshot is the wall; a ``wall`` event brings the
    whole wall again, and after a ``question`` or ``on_air`` event the page asks for it
    (message ``wall``, answered by an ack carrying the wall)."""

    stream = events.PUBLIC
    kind = "wall"

    async def build_snapshot(self) -> dict[str, Any]:
        return await self.db(wall_snapshot)(self.live_session)

    def heartbeat_seconds(self) -> float:
        seconds: float = settings.EVENT_PUBLIC_HEARTBEAT_SECONDS
        return seconds

    async def on_message(self, type_: str, client_id: Any, data: dict[str, Any]) -> None:
        if type_ != "wall":
            await self.send_error(
                "unknown_type",
                f"Unknown message type {type_[:40]!r}.",
                id=client_id,
                details={"accepted": ["hello", "resync", "wall"]},
            )
            return
        wall = await self.db(wall_shape)(self.live_session)
        await self.send_frame("ack", {"id": client_id, "action": "wall", **wall})
