"""Mastodon: the session's hashtags followed on one instance.

Streaming first: ``GET /api/v1/streaming/hashtag?tag=<tag>`` answers server-sent events, an
``update`` event carrying each new status as JSON (``delete`` events and ``:thump`` heartbeats are
ignored). Before every connection, and whenever the instance refuses streaming (401, 404, 501…,
which many instances do without an access token) the follower polls
``GET /api/v1/timelines/tag/<tag>?any[]=<other tags>&since_id=<checkpoint>`` (newest first, so it
is processed in reverse); a backlog longer than a page is walked forward page by page with
``min_id``, so nothing between the checkpoint and now is skipped. Streaming is tried again after
``stream_retry`` seconds.

The checkpoint is the highest status id processed (ids are numeric strings compared as
integers), saved after the status's question is stored. Reblogs are skipped. Content is HTML:
normalisation strips the markup. The author's follower count comes with every status
(``account.followers_count``) and is stored on the author.

Feed settings: ``config = {"instance": "https://mastodon.example"}``, optionally ``"streaming"``
(the streaming server's base URL when it is elsewhere), ``"poll_interval"`` (seconds, 20) and
``"stream_retry"`` (seconds, 300); ``secret`` = an access token, sent as a Bearer token when set.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from httpx_sse import aconnect_sse

from questions.identity import opaque_id
from questions.ingest.base import IncomingMessage
from questions.ingest.follower import Backoff, FeedSpec, FollowerBase, StreamFailed
from questions.services.submission import followers_or_none

log = logging.getLogger("questions.ingest")

SOURCE = "social:mastodon"
PAGE_LIMIT = 40  # the most the timeline API gives in one page
# Answers meaning "no streaming here (for us)": fall back to polling for a while.
STREAM_UNSUPPORTED = frozenset({400, 401, 403, 404, 405, 406, 410, 422, 501})
# A stream that stayed up this long, or brought a status, was working: its next failure starts
# the backoff afresh.
STABLE_SECONDS = 30.0
USER_AGENT = "SocialRoomStudio (hashtag follower)"


class StreamUnsupported(StreamFailed):
    """The instance refuses streaming: poll instead, and try streaming again later."""


def base_url(value: Any) -> str:
    """``https://mastodon.example`` from the feed's config; ValueError when it is not a URL."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError('The feed\'s config needs "instance": "https://your.instance".')
    value = value.strip().rstrip("/")
    if "://" not in value:
        value = f"https://{value}"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"Not an instance URL: {value!r}.")
    return value


def status_to_message(status: dict[str, Any], *, host: str) -> IncomingMessage | None:
    """The question in a status, or None for a reblog or an empty status."""
    if status.get("reblog"):
        return None
    content = status.get("content")
    if not isinstance(content, str) or not content.strip():
        return None
    account = status.get("account") or {}
    acct = str(account.get("acct") or account.get("username") or "")
    handle = ("@" + (acct if "@" in acct else f"{acct}@{host}")) if acct else ""
    name = str(account.get("display_name") or account.get("username") or handle)
    external_id = str(status.get("uri") or f"{host}:{status['id']}")
    avatar = account.get("avatar")
    return IncomingMessage(
        source=SOURCE,
        external_id=external_id,
        text=content,
        author_platform="mastodon",
        author_id=opaque_id(f"{host}:{account.get('id', acct)}", purpose="mastodon"),
        author_name=name,
        author_handle=handle,
        author_avatar=avatar if isinstance(avatar, str) else "",
        # A number as the account's profile shows it; anything else is no count (unknown).
        author_followers=followers_or_none(account.get("followers_count")),
    )


def _created_at(status: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(status.get("created_at")))
    except ValueError:
        return None


class MastodonFollower(FollowerBase):
    def __init__(
        self,
        spec: FeedSpec,
        *,
        poll_interval: float | None = None,
        stream_retry: float | None = None,
        read_timeout: float = 60.0,
        connect_timeout: float = 10.0,
        backoff: Backoff | None = None,
        stream_backoff: Backoff | None = None,
    ) -> None:
        super().__init__(spec, backoff=backoff)
        config = spec.config
        self.config_error = ""
        try:
            self.instance = base_url(config.get("instance"))
            self.streaming = base_url(config.get("streaming") or self.instance)
        except ValueError as exc:
            self.instance = self.streaming = ""
            self.config_error = str(exc)
        if not spec.hashtags:
            self.config_error = "The session has no hashtags to follow."
        self.host = urlsplit(self.instance).netloc
        self.tags = spec.hashtags
        self.poll_interval = float(
            poll_interval if poll_interval is not None else config.get("poll_interval", 20)
        )
        self.stream_retry = float(
            stream_retry if stream_retry is not None else config.get("stream_retry", 300)
        )
        self.timeout = httpx.Timeout(connect_timeout, read=read_timeout)
        self.stream_backoff = stream_backoff or Backoff()
        self.checkpoint: int | None = int(spec.checkpoint) if spec.checkpoint.isdigit() else None
        self._saved = self.checkpoint
        self._stream_after = 0.0  # monotonic time from which streaming may be tried again
        self._fallback_note = ""
        self._lock = asyncio.Lock()

    def client(self) -> httpx.AsyncClient:
        headers = {"User-Agent": USER_AGENT}
        if self.spec.secret:
            headers["Authorization"] = f"Bearer {self.spec.secret}"
        return httpx.AsyncClient(headers=headers, timeout=self.timeout, follow_redirects=True)

    async def run(self) -> None:
        if self.config_error:
            await self.set_status(self.config_error)
            await asyncio.Event().wait()  # until the runner restarts it with a new config
        async with self.client() as client:
            while True:
                try:
                    await self.poll(client)
                except Exception as exc:
                    await self.failed(exc)
                    await asyncio.sleep(self.backoff.next_delay())
                    continue
                self.backoff.reset()
                streaming_allowed = time.monotonic() >= self._stream_after
                await self.set_status("" if streaming_allowed else self._fallback_note)
                if not streaming_allowed:
                    await asyncio.sleep(self.poll_interval)
                    continue
                try:
                    await self.stream(client)
                except StreamUnsupported as exc:
                    self._stream_after = time.monotonic() + self.stream_retry
                    self._fallback_note = (
                        f"{exc} Polling every {self.poll_interval:g} s; streaming is tried "
                        f"again in {self.stream_retry:g} s."
                    )
                    await self.set_status(self._fallback_note)
                except Exception as exc:
                    await self.failed(exc)
                    await asyncio.sleep(self.stream_backoff.next_delay())

    async def catch_up(self) -> int:
        if self.config_error:
            await self.set_status(self.config_error)
            raise ValueError(self.config_error)
        async with self.client() as client:
            try:
                await self.poll(client)
            except Exception as exc:
                await self.failed(exc)
                raise
        await self.set_status("")
        return self.ingested

    # Polling

    async def timeline(self, client: httpx.AsyncClient, **bound: int) -> list[dict[str, Any]]:
        """One page of the hashtag timeline (newest first), bounded by since_id/min_id/max_id."""
        url = f"{self.instance}/api/v1/timelines/tag/{quote(self.tags[0], safe='')}"
        params: list[tuple[str, str]] = [("limit", str(PAGE_LIMIT))]
        params += [("any[]", tag) for tag in self.tags[1:]]
        params += [(name, str(value)) for name, value in bound.items()]
        # httpx's params type is invariant; list[tuple[str, str]] is valid.
        response = await client.get(url, params=params)  # type: ignore[arg-type]
        response.raise_for_status()
        page = response.json()
        if not isinstance(page, list) or not all(
            isinstance(s, dict) and str(s.get("id", "")).isdigit() for s in page
        ):
            raise ValueError("The timeline is not a list of statuses.")
        return page

    async def poll(self, client: httpx.AsyncClient) -> None:
        """Ingest every status posted since the checkpoint, oldest first."""
        if self.checkpoint is None:
            # First start: the newest page, without what was posted before the session began.
            await self.process(await self.timeline(client), not_before=self.spec.session_started_at)
            return
        page = await self.timeline(client, since_id=self.checkpoint)
        if len(page) < PAGE_LIMIT:
            await self.process(page)
            return
        # More than a page since the checkpoint: walk forward from it, page by page.
        while True:
            before = self.checkpoint
            page = await self.timeline(client, min_id=self.checkpoint)
            await self.process(page)
            if len(page) < PAGE_LIMIT or self.checkpoint == before:
                return

    async def process(
        self, statuses: list[dict[str, Any]], *, not_before: datetime | None = None
    ) -> None:
        for status in sorted(statuses, key=lambda s: int(s["id"])):
            if self.checkpoint is not None and int(status["id"]) <= self.checkpoint:
                continue  # the server did not apply since_id/min_id
            created = _created_at(status)
            skip = not_before is not None and (created is None or created < not_before)
            await self.handle(status, skip=skip)
        if self.checkpoint is not None and self.checkpoint != self._saved:
            await self.save_checkpoint(str(self.checkpoint))
            self._saved = self.checkpoint

    async def handle(self, status: dict[str, Any], *, skip: bool = False) -> None:
        """Ingest one status unless it is skipped; the checkpoint moves past it either way."""
        status_id = int(status["id"])
        async with self._lock:  # the streams of several hashtags share one checkpoint
            message = None if skip else status_to_message(status, host=self.host)
            # Never backwards: a status that federated late may have a lower id. The unique
            # message id keeps a status seen twice from making two questions.
            checkpoint = max(status_id, self.checkpoint or 0)
            if message is not None:
                await self.ingest(message, checkpoint=str(checkpoint))
                self._saved = checkpoint
            self.checkpoint = checkpoint

    # Streaming

    async def stream(self, client: httpx.AsyncClient) -> None:
        """Follow every hashtag's stream until one of them fails; always ends by raising."""
        tasks = [asyncio.create_task(self.stream_tag(client, tag)) for tag in self.tags]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        raise StreamFailed("The streaming API closed the connection.")

    async def stream_tag(self, client: httpx.AsyncClient, tag: str) -> None:
        url = f"{self.streaming}/api/v1/streaming/hashtag"
        started = time.monotonic()
        received = False
        try:
            async with aconnect_sse(client, "GET", url, params={"tag": tag}) as source:
                response = source.response
                content_type = response.headers.get("content-type", "")
                if response.status_code in STREAM_UNSUPPORTED or (
                    response.is_success and "text/event-stream" not in content_type
                ):
                    raise StreamUnsupported(
                        f"The instance refused streaming (HTTP {response.status_code})."
                    )
                if not response.is_success:
                    raise StreamFailed(f"The streaming API answered HTTP {response.status_code}.")
                await self.set_status("")
                async for event in source.aiter_sse():
                    if event.event == "update":
                        status = json.loads(event.data)
                        if isinstance(status, dict) and str(status.get("id", "")).isdigit():
                            await self.handle(status)
                            received = True
            raise StreamFailed("The streaming API closed the connection.")
        finally:
            if received or time.monotonic() - started >= STABLE_SECONDS:
                self.stream_backoff.reset()
