"""How a network's answer is classed: worth retrying later, or final."""

from __future__ import annotations

import httpx

# A network slower than this is tried again later; the task's own time limit is 30 s.
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class PostError(Exception):
    """The network did not take the post."""


class RetryLater(PostError):
    """A network error, a 5xx or a 429: the same request may succeed later."""


class Refused(PostError):
    """A 4xx other than 429 (bad credentials, a refused text): retrying would not help."""


def raise_for(response: httpx.Response, what: str) -> None:
    """Raise the error a non-2xx answer means; return on 2xx."""
    if response.is_success:
        return
    reason = _reason(response)
    message = f"{what}: HTTP {response.status_code}{': ' + reason if reason else ''}"
    if response.status_code in (408, 425, 429) or response.status_code >= 500:
        raise RetryLater(message)
    raise Refused(message)


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        parts = [str(body.get(k)) for k in ("error", "message") if body.get(k)]
        return ": ".join(parts)[:200]
    return ""
