"""Posting to a Bluesky account: ``com.atproto.server.createSession`` with the handle and an
app password, then ``com.atproto.repo.createRecord`` of an ``app.bsky.feed.post``.

The record key is chosen by the studio, derived from the post (a TID), so a retried create
names the same record: the server refuses it as existing (an error, whose code differs between
servers), and the studio then reads the record back with ``com.atproto.repo.getRecord``. Found,
the post was made: it counts as posted, once.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from live.posting.errors import TIMEOUT, Refused, RetryLater, raise_for
from live.posting.mastodon import Posted

COLLECTION = "app.bsky.feed.post"
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def tid(when: datetime, clock_id: int) -> str:
    """A TID (13 characters, base32-sortable): microseconds since the epoch and a 10-bit clock
    id, the top bit zero. The same inputs give the same key."""
    micros = int(when.timestamp() * 1_000_000)
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock_id & 0x3FF)
    out = []
    for _ in range(13):
        out.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def post_link(handle: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{rkey}"


def _xrpc(service: str, method: str) -> str:
    return f"{service.rstrip('/')}/xrpc/{method}"


def post_record(
    *,
    service: str,
    handle: str,
    password: str,
    text: str,
    rkey: str,
    created_at: datetime,
    language: str = "",
    client: httpx.Client | None = None,
) -> Posted:
    try:
        with client or httpx.Client(timeout=TIMEOUT) as http:
            return _post(http, service, handle, password, text, rkey, created_at, language)
    except httpx.HTTPError as exc:
        raise RetryLater(f"Bluesky: {exc.__class__.__name__}: {exc}") from exc
    except (KeyError, ValueError, TypeError) as exc:
        raise RetryLater("Bluesky: an answer without what it should hold") from exc


def _post(
    http: httpx.Client,
    service: str,
    handle: str,
    password: str,
    text: str,
    rkey: str,
    created_at: datetime,
    language: str,
) -> Posted:
    login = http.post(
        _xrpc(service, "com.atproto.server.createSession"),
        json={"identifier": handle, "password": password},
    )
    raise_for(login, "Bluesky createSession")
    session = login.json()
    did, token = session["did"], session["accessJwt"]
    shown_handle = session.get("handle") or handle
    auth = {"Authorization": f"Bearer {token}"}
    record: dict[str, object] = {
        "$type": COLLECTION,
        "text": text,
        "createdAt": created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    if language:
        record["langs"] = [language]
    created = http.post(
        _xrpc(service, "com.atproto.repo.createRecord"),
        json={"repo": did, "collection": COLLECTION, "rkey": rkey, "record": record},
        headers=auth,
    )
    if created.is_success:
        return Posted(remote_id=str(created.json()["uri"]), link=post_link(shown_handle, rkey))
    if created.status_code in (400, 409) or created.status_code >= 500:
        # Perhaps made by an earlier try whose answer was lost: then it is there to read.
        existing = http.get(
            _xrpc(service, "com.atproto.repo.getRecord"),
            params={"repo": did, "collection": COLLECTION, "rkey": rkey},
            headers=auth,
        )
        if existing.is_success:
            return Posted(remote_id=str(existing.json()["uri"]), link=post_link(shown_handle, rkey))
    raise_for(created, "Bluesky createRecord")
    raise Refused("Bluesky createRecord: unexpected answer")  # pragma: no cover
