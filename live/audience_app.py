"""The audience socket as a plain ASGI application: the protocol of docs/realtime.md (public
stream), without a Channels consumer per socket.

Per server process and event loop, a ``Hub`` keeps a ``Room`` per followed session: the room's
sockets (live/audience_socket.py), ONE channel of the channel layer in the session's public
group (so one Redis subscription per process and session, whatever the number of sockets) and
one reader task that hands each event's frame, encoded once by the sender, to every socket of
the room. One ticker per process walks the rooms at each public heartbeat: it renews the group
membership (channel layers expire it), checks the sockets' lag against the stream head and
sends the heartbeats, each distinct one encoded once.

Each process serves at most ``AUDIENCE_SOCKETS_PER_ADDRESS`` open sockets per client address
(``client_address``); one more is told ``too_many_sockets`` and closed with 4429.

The group messages carry no session id, so a process's channel is per session rather than one
for all sessions: the layer's group tells the reader which room an event is for.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.http.cookie import parse_cookie

from live.audience_socket import AudienceSocket, Send, heartbeat_data
from live.consumers import (
    CLOSE_NOT_FOUND,
    DATABASE_DOWN,
    HEAD_FROM_DATABASE_EVERY,
    _failure,
    database_sync_to_async,
)
from live.socket_frames import error_data
from questions.voters import COOKIE as VOTER_COOKIE
from questions.voters import voter_from_token
from studio import events, metrics
from studio.selectors import audience_session_by_slug

logger = logging.getLogger(__name__)

Receive = Callable[[], Awaitable[dict[str, Any]]]


class Room:
    """A followed session in this process: its sockets, its channel, its reader."""

    __slots__ = ("channel", "group", "joined", "reader", "session_id", "sockets")

    def __init__(self, session_id: int) -> None:
        self.session_id = session_id
        self.group = events.group_name(session_id, events.PUBLIC)
        self.sockets: set[AudienceSocket] = set()
        self.channel = ""
        self.reader: asyncio.Task[None] | None = None
        self.joined = asyncio.get_running_loop().create_future()


class Hub:
    """This process's audience sockets, by session, on one event loop and channel layer."""

    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self.rooms: dict[int, Room] = {}
        self.ticker: asyncio.Task[None] | None = None
        self.beats = 0

    async def join(self, socket: AudienceSocket) -> None:
        try:
            await self._join(socket)
        finally:
            socket.joined_at = time.monotonic()

    async def _join(self, socket: AudienceSocket) -> None:
        room = self.rooms.get(socket.session_id)
        if room is None:
            room = self.rooms[socket.session_id] = Room(socket.session_id)
            room.sockets.add(socket)
            try:
                # The "audience." prefix lets a deployment give this channel, which carries
                # every event of the session for all its sockets, a capacity of its own.
                room.channel = await self.layer.new_channel(prefix="audience.")
                await self.layer.group_add(room.group, room.channel)
                room.reader = asyncio.get_running_loop().create_task(self.read(room))
            finally:
                room.joined.set_result(None)
        else:
            room.sockets.add(socket)
            await room.joined
        if self.ticker is None or self.ticker.done():
            self.ticker = asyncio.get_running_loop().create_task(self.tick())

    async def leave(self, socket: AudienceSocket) -> None:
        room = self.rooms.get(socket.session_id)
        if room is None:
            return
        room.sockets.discard(socket)
        if room.sockets:
            return
        del self.rooms[socket.session_id]
        await room.joined
        if room.reader is not None:
            room.reader.cancel()
        if room.channel:
            try:
                await self.layer.group_discard(room.group, room.channel)
            except Exception:
                logger.warning("could not leave group %s", room.group, exc_info=True)

    async def read(self, room: Room) -> None:
        """The session's events from the channel layer, to every socket of the room."""
        while True:
            try:
                message = await self.layer.receive(room.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("audience: channel layer receive failed", exc_info=True)
                await asyncio.sleep(1)
                continue
            # stream.control messages are for the wall (overlay key); none is for the audience.
            if message.get("type") != events.GROUP_MESSAGE_TYPE:
                continue
            seq, frame = message["seq"], message["frame"]
            for socket in room.sockets:
                socket.deliver(seq, frame)
            # Let the sockets' workers send it before the next one: a burst already queued in
            # the layer would otherwise fill every outbox before any of them runs.
            await asyncio.sleep(0)

    async def tick(self) -> None:
        """One heartbeat round per process for every socket; ends with the last room."""
        while self.rooms:
            interval: float = settings.EVENT_PUBLIC_HEARTBEAT_SECONDS
            await asyncio.sleep(interval)
            self.beats += 1
            for room in list(self.rooms.values()):
                try:
                    await self.beat(room, interval)
                except Exception:
                    logger.exception("audience heartbeat failed")

    async def beat(self, room: Room, interval: float) -> None:
        if not room.joined.done() or not room.channel:
            return
        try:
            # Channel layers forget a group membership after a while (group_expiry): renew it.
            await self.layer.group_add(room.group, room.channel)
        except Exception:
            logger.warning("could not renew group %s", room.group, exc_info=True)
        head, authoritative = await self.head(room.session_id, interval)
        data = heartbeat_data()
        texts: dict[int, str] = {}  # each distinct heartbeat encoded once
        for socket in list(room.sockets):
            if not socket.ready or socket.closed or socket.syncing:
                continue
            # Catch up if the stream's head stayed ahead of this socket for two beats (a message
            # the channel layer dropped, or one that is very late); at once if the head comes
            # from the database, where every committed event is.
            if head is not None and head > socket.last_sent:
                socket.lag_ticks += 1
                if authoritative or socket.lag_ticks >= 2:
                    socket.lag_ticks = 0
                    socket.request_sync(beat=True)
                    continue
            elif not authoritative:
                socket.lag_ticks = 0
            text = texts.get(socket.last_sent)
            if text is None:
                text = texts[socket.last_sent] = events.frame_text(
                    socket.last_sent, "heartbeat", data
                )
            socket.heartbeat(data, text)

    async def head(self, session_id: int, interval: float) -> tuple[int | None, bool]:
        """The stream head, and whether it came from the database (authoritative)."""
        database = settings.EVENT_HEAD_FROM_DATABASE or self.beats % HEAD_FROM_DATABASE_EVERY == 0
        try:
            if not database:
                try:
                    head = await events.cached_head(session_id, events.PUBLIC, max_age=interval / 2)
                    return head, False
                except Exception:
                    # Redis is down: the database says what the sockets are missing.
                    logger.debug("audience: the cached head could not be read", exc_info=True)
            head = await events.cached_database_head(
                session_id, events.PUBLIC, max_age=interval / 2
            )
            return head, True
        except Exception:
            logger.warning("audience: the stream head could not be read", exc_info=True)
            return None, False


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This event loop's hub (a new one if the channel layer was replaced, as tests do)."""
    loop = asyncio.get_running_loop()
    layer = get_channel_layer()
    current = _hubs.get(loop)
    if current is None or current.layer is not layer:
        current = _hubs[loop] = Hub(layer)
    return current


def _voter(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            token = parse_cookie(value.decode("latin-1")).get(VOTER_COOKIE, "")
            return voter_from_token(token)
    return None


# A socket refused because its address holds too many (HTTP's 429, in the 4xxx range).
CLOSE_TOO_MANY_SOCKETS = 4429

# Open audience sockets per client address in this process (AUDIENCE_SOCKETS_PER_ADDRESS).
_open_by_address: dict[str, int] = {}


def client_address(scope: dict[str, Any]) -> str:
    """The client's address: as the ``NUM_PROXIES`` proxies in front recorded it in
    ``X-Forwarded-For``, else the connection's (the header is ignored without proxies, so a
    client cannot choose its own)."""
    proxies = settings.NUM_PROXIES
    if proxies:
        for name, value in scope.get("headers", ()):
            if name == b"x-forwarded-for":
                hops = [hop.strip() for hop in value.decode("latin-1").split(",") if hop.strip()]
                if hops:
                    return hops[-min(proxies, len(hops))]
    client = scope.get("client")
    return str(client[0]) if client else ""


def _take_address_slot(address: str) -> bool:
    limit: int = settings.AUDIENCE_SOCKETS_PER_ADDRESS
    held = _open_by_address.get(address, 0)
    # A server on a Unix socket with no proxy header knows no address: nothing to cap by.
    if limit and address and held >= limit:
        return False
    _open_by_address[address] = held + 1
    return True


def _free_address_slot(address: str) -> None:
    held = _open_by_address.get(address, 0) - 1
    if held > 0:
        _open_by_address[address] = held
    else:
        _open_by_address.pop(address, None)


async def _refuse(send: Send, close_code: int, code: str, message: str) -> None:
    # Accept, say why, then close: a browser cannot read the reason of a refused handshake.
    await send({"type": "websocket.accept"})
    text = events.frame_text(None, "error", error_data(code, message))
    await send({"type": "websocket.send", "text": text})
    await send({"type": "websocket.close", "code": close_code})


async def audience_app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """ASGI 3: the audience socket of the session ``scope["url_route"]["kwargs"]["slug"]``."""
    if scope["type"] != "websocket":
        raise ValueError(f"The audience socket serves websockets, not {scope['type']!r}.")
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    address = client_address(scope)
    if not _take_address_slot(address):
        logger.info("audience socket refused: %s holds too many", address)
        await _refuse(
            send,
            CLOSE_TOO_MANY_SOCKETS,
            "too_many_sockets",
            "Too many open audience sockets from your address: close some and try again.",
        )
        return
    try:
        await _serve(scope, receive, send)
    finally:
        _free_address_slot(address)


async def _serve(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    slug = scope["url_route"]["kwargs"]["slug"]
    try:
        session = await database_sync_to_async(audience_session_by_slug)(slug=slug)
    except DATABASE_DOWN as exc:
        await _refuse(send, 1011, *_failure(exc, "connect"))
        return
    if session is None:
        await _refuse(send, CLOSE_NOT_FOUND, "not_found", "No such session.")
        return
    socket = AudienceSocket(send, session.pk, _voter(scope))
    hub_ = hub()
    await hub_.join(socket)
    accepted = False
    try:
        await send({"type": "websocket.accept"})
        metrics.socket_opened_now("audience")
        accepted = True
        while True:
            message = await receive()
            if message["type"] == "websocket.receive":
                await socket.receive(message.get("text"), message.get("bytes"))
            elif message["type"] == "websocket.disconnect":
                return
    finally:
        if accepted:
            metrics.socket_closed_now("audience")
        socket.closed = True
        if socket.worker is not None:
            socket.worker.cancel()
        await hub_.leave(socket)
