"""Reading a client's frame, shared by the Channels sockets (live/consumers.py) and the audience
socket (live/audience_app.py): the same checks, the same error frames, in the same order."""

from __future__ import annotations

import json
import time
from typing import Any, NamedTuple

from django.conf import settings

# Client frames allowed per second before they are refused (a burst of twice as many is allowed).
FRAMES_PER_SECOND = 20
MAX_CLIENT_ID_LENGTH = 64


def error_data(
    code: str,
    message: str,
    *,
    id: str | int | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The data of an ``error`` frame (docs/realtime.md)."""
    return {"id": id, "code": code, "message": message, "details": details or {}}


class ClientMessage(NamedTuple):
    type: str
    id: str | int | None
    data: dict[str, Any]


def read_client_frame(
    text_data: str | None, bytes_data: bytes | None
) -> ClientMessage | dict[str, Any]:
    """The client's message, or the data of the error frame that refuses it."""
    if bytes_data is not None:
        return error_data("unsupported", "Send JSON text frames, not binary ones.")
    text = text_data or ""
    if len(text) > settings.WS_MAX_FRAME_BYTES or (
        len(text.encode("utf-8", "surrogatepass")) > settings.WS_MAX_FRAME_BYTES
    ):
        return error_data(
            "too_large",
            f"Messages are limited to {settings.WS_MAX_FRAME_BYTES} bytes.",
            details={"max_bytes": settings.WS_MAX_FRAME_BYTES},
        )
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return error_data("malformed", "The message is not valid JSON.")
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return error_data("malformed", 'A message is an object with a "type".')
    client_id = message.get("id")
    if client_id is not None and not (
        (isinstance(client_id, str) and len(client_id) <= MAX_CLIENT_ID_LENGTH)
        or (isinstance(client_id, int) and not isinstance(client_id, bool))
    ):
        return error_data(
            "malformed", f'"id" is a string of at most {MAX_CLIENT_ID_LENGTH} characters.'
        )
    data = message.get("data", {})
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return error_data("malformed", '"data" must be an object.', id=client_id)
    return ClientMessage(message["type"], client_id, data)


def valid_hello_seq(seq: object) -> bool:
    """A hello's ``seq``: the last sequence number the client saw, or null."""
    return seq is None or (isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq < 2**63)


HELLO_SEQ_MESSAGE = '"seq" is the last sequence number you saw, or null.'


class Allowance:
    """A token bucket of client frames: FRAMES_PER_SECOND, bursts of twice as many."""

    __slots__ = ("at", "tokens")

    def __init__(self) -> None:
        self.tokens = float(FRAMES_PER_SECOND * 2)
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(
            FRAMES_PER_SECOND * 2.0, self.tokens + (now - self.at) * FRAMES_PER_SECOND
        )
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
