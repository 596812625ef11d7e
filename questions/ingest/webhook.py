"""A signed JSON webhook, for any system that can POST a message (docs/sources.md).

Body: ``{"id", "text", "author": {"id", "name"?, "handle"?}, "network"?}``. Header
``X-Socialroom-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body keyed with the feed's
secret. With an ``X-Socialroom-Timestamp: <unix seconds>`` header the signed string is
``"{timestamp}.{body}"`` instead, and a timestamp more than five minutes away from the studio's
clock is refused, so a captured request cannot be replayed later. The timestamp is read as ASCII
digits only, at most ``MAX_TIMESTAMP_DIGITS`` of them: anything else is ``bad_timestamp``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import Any

from questions.identity import opaque_id
from questions.ingest.base import IncomingMessage

SIGNATURE_HEADER = "X-Socialroom-Signature"
TIMESTAMP_HEADER = "X-Socialroom-Timestamp"
MAX_AGE_SECONDS = 300
# Unix seconds have 10 digits until the year 2286; milliseconds (13) are a sender's mistake. A
# number of any length must not reach the clock arithmetic: past 308 digits it is no float.
MAX_TIMESTAMP_DIGITS = 11
TIMESTAMP_RE = re.compile(rf"[0-9]{{1,{MAX_TIMESTAMP_DIGITS}}}")
DEFAULT_NETWORK = "webhook"
NETWORK_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,30}$")
MAX_ID_LENGTH = 255
MAX_NAME_LENGTH = 120
# Well above any session's limit (the pipeline shortens); beyond it the sender is confused.
MAX_TEXT_LENGTH = 10_000


class WebhookRefused(Exception):
    """A request the webhook refuses: HTTP status, error code, message and details."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


def sign(secret: str, body: bytes, timestamp: int | str | None = None) -> str:
    """The signature header's value for this body (and timestamp, when one is sent)."""
    signed = body if timestamp is None else f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def parse_timestamp(value: str) -> str:
    """The digits of a timestamp header; ``WebhookRefused`` (403 ``bad_timestamp``) if it is not
    a Unix time in seconds."""
    digits = value.strip()
    if not TIMESTAMP_RE.fullmatch(digits):
        raise WebhookRefused(
            403,
            "bad_timestamp",
            f"{TIMESTAMP_HEADER} must be a Unix time in seconds.",
            {"timestamp": f"1 to {MAX_TIMESTAMP_DIGITS} digits 0-9, the seconds since 1970"},
        )
    return digits


def verify(
    *,
    secret: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now: float | None = None,
) -> None:
    """Raise ``WebhookRefused`` (403) unless the body is signed with the secret, and fresh."""
    if not secret:
        raise WebhookRefused(
            403, "not_configured", "This feed has no secret: set one before sending to it."
        )
    if not signature:
        raise WebhookRefused(403, "missing_signature", f"The {SIGNATURE_HEADER} header is missing.")
    stamp = None if timestamp is None else parse_timestamp(timestamp)
    # The digits as sent are signed (a leading zero included).
    expected = sign(secret, body, stamp)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise WebhookRefused(403, "bad_signature", "The signature does not match the body.")
    if stamp is not None:
        age = (time.time() if now is None else now) - int(stamp)
        if abs(age) > MAX_AGE_SECONDS:
            raise WebhookRefused(
                403,
                "stale_timestamp",
                f"The timestamp is more than {MAX_AGE_SECONDS} seconds away from the studio's "
                "clock.",
                {"age_seconds": int(age)},
            )


def _id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str) and value.strip() and len(value.strip()) <= MAX_ID_LENGTH:
        return value.strip()
    return None


def _optional_text(value: Any, limit: int) -> str | None:
    if value is None:
        return ""
    if isinstance(value, str) and len(value) <= limit:
        return value.strip()
    return None


def parse(body: bytes) -> IncomingMessage:
    """The message in a webhook body; ``WebhookRefused`` (400) with every reason otherwise."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WebhookRefused(400, "malformed", "The body is not JSON.") from exc
    if not isinstance(data, dict):
        raise WebhookRefused(400, "malformed", "The body must be a JSON object.")

    errors: dict[str, str] = {}
    message_id = _id(data.get("id"))
    if message_id is None:
        errors["id"] = f"required: a string or integer of at most {MAX_ID_LENGTH} characters"
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        errors["text"] = "required: a non-empty string"
    elif len(text) > MAX_TEXT_LENGTH:
        errors["text"] = f"too long: at most {MAX_TEXT_LENGTH} characters"
    network = data.get("network") or DEFAULT_NETWORK
    if not isinstance(network, str) or not NETWORK_RE.match(network):
        errors["network"] = "lower-case letters, digits, '_', '.' or '-', at most 31 characters"
    author = data.get("author")
    author_id = name = handle = None
    if not isinstance(author, dict):
        errors["author"] = "required: an object with at least an id"
    else:
        author_id = _id(author.get("id"))
        if author_id is None:
            errors["author.id"] = "required: a string or integer"
        name = _optional_text(author.get("name"), MAX_NAME_LENGTH)
        if name is None:
            errors["author.name"] = f"a string of at most {MAX_NAME_LENGTH} characters"
        handle = _optional_text(author.get("handle"), MAX_NAME_LENGTH)
        if handle is None:
            errors["author.handle"] = f"a string of at most {MAX_NAME_LENGTH} characters"
    if errors:
        raise WebhookRefused(400, "invalid", "The message is not valid.", errors)

    assert message_id and author_id and isinstance(text, str)
    return IncomingMessage(
        source=f"social:{network}",
        external_id=message_id,
        text=text,
        author_platform=network,
        # The sender's ids may be e-mail addresses or phone numbers: only a keyed hash is kept.
        author_id=opaque_id(f"{network}:{author_id}", purpose="webhook"),
        author_name=name or "",
        author_handle=handle or "",
    )
