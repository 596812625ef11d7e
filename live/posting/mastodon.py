"""Posting a status to a Mastodon account (``POST /api/v1/statuses``).

The request carries an ``Idempotency-Key``: Mastodon keeps the key for an hour per account and
answers a repeated request with the status the first one made, so a retried post is never
doubled.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from live.posting.errors import TIMEOUT, RetryLater, raise_for


@dataclass(frozen=True)
class Posted:
    remote_id: str
    link: str


def post_status(
    *,
    service: str,
    token: str,
    text: str,
    idempotency_key: str,
    language: str = "",
    client: httpx.Client | None = None,
) -> Posted:
    data = {"status": text, "visibility": "public"}
    if language:
        data["language"] = language
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": idempotency_key}
    url = service.rstrip("/") + "/api/v1/statuses"
    try:
        with client or httpx.Client(timeout=TIMEOUT) as http:
            response = http.post(url, data=data, headers=headers)
    except httpx.HTTPError as exc:
        raise RetryLater(f"Mastodon: {exc.__class__.__name__}: {exc}") from exc
    raise_for(response, "Mastodon")
    try:
        status = response.json()
        return Posted(remote_id=str(status["id"]), link=str(status.get("url") or status["uri"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise RetryLater("Mastodon: an answer without a status") from exc
