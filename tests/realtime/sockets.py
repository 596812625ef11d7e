"""Helpers for the real-time tests: a socket as a client sees it, and the replay log."""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from socialroom.asgi import application
from studio.models import EventLogEntry

# Frames normally arrive within milliseconds; the margin is for a loaded CI machine and Redis.
TIMEOUT = 3

run = database_sync_to_async


class Socket:
    """One client connection through the whole ASGI stack, speaking docs/realtime.md."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]]) -> None:
        self.communicator = WebsocketCommunicator(application, path, headers=headers)
        self.accepted: bool | None = None

    async def connect(self) -> bool:
        self.accepted, _ = await self.communicator.connect(timeout=TIMEOUT)
        return self.accepted

    async def send(self, message: Any) -> None:
        await self.communicator.send_to(text_data=json.dumps(message))

    async def send_text(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def send_bytes(self, data: bytes) -> None:
        await self.communicator.send_to(bytes_data=data)

    async def raw(self, timeout: float = TIMEOUT) -> str:
        """The next frame's text, as it went over the wire."""
        return await self.communicator.receive_from(timeout=timeout)

    async def frame(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        frame = json.loads(await self.raw(timeout))
        assert set(frame) == {"seq", "type", "data"}, frame
        return frame

    async def frames(self, count: int) -> list[dict[str, Any]]:
        return [await self.frame() for _ in range(count)]

    async def until(self, type_: str) -> list[dict[str, Any]]:
        """Frames up to and including the next one of this type."""
        received: list[dict[str, Any]] = []
        while not received or received[-1]["type"] != type_:
            received.append(await self.frame())
        return received

    async def hello(self, seq: int | None = None) -> list[dict[str, Any]]:
        """Say hello; returns the server's answer up to and including its heartbeat."""
        await self.send({"type": "hello", "data": {"seq": seq}})
        return await self.until("heartbeat")

    async def snapshot(self) -> dict[str, Any]:
        """Hello from scratch: returns the snapshot (its heartbeat is checked, then dropped)."""
        answer = await self.hello()
        assert [f["type"] for f in answer] == ["snapshot", "heartbeat"], answer
        snapshot, heartbeat = answer
        assert heartbeat["seq"] == snapshot["seq"]
        return snapshot

    async def command(self, type_: str, data: dict[str, Any], id: str = "c1") -> None:
        await self.send({"type": type_, "id": id, "data": data})

    async def error(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The next frame, which must be an error in the protocol's shape; returns its data."""
        frame = await self.frame(timeout)
        assert frame["type"] == "error", frame
        assert frame["seq"] is None
        assert set(frame["data"]) == {"id", "code", "message", "details"}, frame
        assert frame["data"]["message"]
        return frame["data"]

    async def closed(self, timeout: float = TIMEOUT) -> int:
        """The server closed the socket: returns the close code."""
        output = await self.communicator.receive_output(timeout)
        assert output["type"] == "websocket.close", output
        return output.get("code", 1000)

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout=timeout)

    async def is_usable(self) -> bool:
        """A fresh hello still gets its snapshot and heartbeat."""
        answer = await self.hello()
        return [f["type"] for f in answer] == ["snapshot", "heartbeat"]

    async def close(self) -> None:
        # The consumer's own disconnect is immediate, but with Redis the last socket of the
        # process may wait for the layer's blocking read (5 s) to end: it is cut short.
        await self.communicator.disconnect(timeout=0.5)


@database_sync_to_async
def login_cookie(user) -> bytes:
    """The ``cookie`` header of a browser where ``user`` logged in."""
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def logged(session, stream: str) -> list[tuple[int, str, dict[str, Any]]]:
    """One stream's replay log, as ``(seq, type, data)``."""
    return [
        (e.seq, e.type, e.data)
        for e in EventLogEntry.objects.filter(session=session, stream=stream).order_by("seq")
    ]


def types(frames: list[dict[str, Any]]) -> list[str]:
    return [f["type"] for f in frames]
