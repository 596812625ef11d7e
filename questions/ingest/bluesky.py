"""Bluesky: posts carrying the session's hashtags, from a Jetstream websocket.

Jetstream turns the network's firehose into JSON: the follower connects to
``<endpoint>?wantedCollections=app.bsky.feed.post&cursor=<µs>`` and reads one event per frame,
``{"did", "time_us", "kind": "commit", "commit": {"operation": "create", "collection":
"app.bsky.feed.post", "rkey", "record": {"text", "createdAt", "facets"?}}}``. It keeps the creates
whose text or tag facets name one of the session's hashtags (case-insensitive).

The checkpoint is the ``time_us`` cursor: saved after each kept post's question is stored, and
every ``save_every`` seconds for the events skipped in between. A reconnection asks for the cursor
minus ``CURSOR_MARGIN_US``; the few posts seen twice are absorbed by their unique id
``at://<did>/app.bsky.feed.post/<rkey>``.

Jetstream gives only the author's DID: their handle, display name and follower count come from
an AppView (``questions.ingest.appview``), at most once per author per hour, never holding a
message back.

Feed settings: ``config = {"endpoint": "wss://…/subscribe"}`` (default: a public Jetstream) and
``"appview"`` (an https:// base URL; default ``https://public.api.bsky.app``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import connect

from questions.identity import opaque_id
from questions.ingest.appview import (
    PROFILE_PAUSE,
    PROFILE_TIMEOUT,
    PROFILE_TTL,
    Profiles,
    appview_url,
)
from questions.ingest.base import IncomingMessage
from questions.ingest.follower import Backoff, FeedSpec, FollowerBase

log = logging.getLogger("questions.ingest")

SOURCE = "social:bluesky"
DEFAULT_ENDPOINT = "wss://jetstream2.us-east.bsky.network/subscribe"
COLLECTION = "app.bsky.feed.post"
TAG_FEATURE = "app.bsky.richtext.facet#tag"
CURSOR_MARGIN_US = 5_000_000
STABLE_SECONDS = 30.0
# Jetstream events are a few kilobytes; a frame far larger is not one of them.
MAX_FRAME_BYTES = 1 << 20
# The full-width number sign (U+FF03) starts a hashtag too, as on Bluesky itself.
_HASHTAG = re.compile("(?<![\\w&#])[#\uff03](\\w+)")


def endpoint_url(value: Any) -> str:
    if value is None or value == "":
        return DEFAULT_ENDPOINT
    if not isinstance(value, str) or urlsplit(value.strip()).scheme not in ("ws", "wss"):
        raise ValueError(f'"endpoint" must be a ws:// or wss:// URL, not {value!r}.')
    return value.strip()


def post_tags(record: dict[str, Any]) -> set[str]:
    """The hashtags of a post, case-folded: its tag facets and the #words of its text."""
    tags: set[str] = set()
    for facet in record.get("facets") or ():
        if not isinstance(facet, dict):
            continue
        for feature in facet.get("features") or ():
            if isinstance(feature, dict) and feature.get("$type") == TAG_FEATURE:
                tags.add(str(feature.get("tag", "")).lstrip("#").casefold())
    for tag in record.get("tags") or ():  # tags set outside the text
        tags.add(str(tag).lstrip("#").casefold())
    text = record.get("text")
    if isinstance(text, str):
        tags.update(match.casefold() for match in _HASHTAG.findall(text))
    return tags


def event_to_message(event: dict[str, Any], tags: frozenset[str]) -> IncomingMessage | None:
    """The question in a Jetstream event: a new post with one of ``tags`` (case-folded)."""
    if event.get("kind") != "commit":
        return None
    commit = event.get("commit")
    if not isinstance(commit, dict):
        return None
    if commit.get("operation") != "create" or commit.get("collection") != COLLECTION:
        return None
    record = commit.get("record")
    did, rkey = event.get("did"), commit.get("rkey")
    if not isinstance(record, dict) or not isinstance(did, str) or not isinstance(rkey, str):
        return None
    text = record.get("text")
    if not isinstance(text, str) or not text.strip() or not post_tags(record) & tags:
        return None
    return IncomingMessage(
        source=SOURCE,
        external_id=f"at://{did}/{COLLECTION}/{rkey}",
        text=text,
        author_platform="bluesky",
        author_id=opaque_id(did, purpose="bluesky"),
        # Jetstream gives the account's DID only; resolving its handle would be one more
        # request per author.
        author_name="",
        author_handle=did,
    )


class BlueskyFollower(FollowerBase):
    def __init__(
        self,
        spec: FeedSpec,
        *,
        backoff: Backoff | None = None,
        save_every: float = 10.0,
        open_timeout: float = 10.0,
        idle_timeout: float = 10.0,
        margin_us: int = CURSOR_MARGIN_US,
        profile_timeout: float = PROFILE_TIMEOUT,
        profile_ttl: float = PROFILE_TTL,
        profile_pause: float = PROFILE_PAUSE,
    ) -> None:
        super().__init__(spec, backoff=backoff)
        self.config_error = ""
        try:
            self.endpoint = endpoint_url(spec.config.get("endpoint"))
            appview = appview_url(spec.config.get("appview"))
        except ValueError as exc:
            self.endpoint = appview = ""
            self.config_error = str(exc)
        if not spec.hashtags:
            self.config_error = "The session has no hashtags to follow."
        self.tags = frozenset(tag.casefold() for tag in spec.hashtags)
        self.save_every = save_every
        self.open_timeout = open_timeout
        self.idle_timeout = idle_timeout
        self.margin_us = margin_us
        self.cursor: int | None = int(spec.checkpoint) if spec.checkpoint.isdigit() else None
        self._saved = self.cursor
        self._saved_at = time.monotonic()
        self.profiles = Profiles(
            appview, timeout=profile_timeout, ttl=profile_ttl, pause=profile_pause, owner=repr(self)
        )

    def url(self) -> str:
        parts = urlsplit(self.endpoint)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("cursor",)]
        if ("wantedCollections", COLLECTION) not in query:
            query.append(("wantedCollections", COLLECTION))
        if self.cursor is not None:
            query.append(("cursor", str(max(0, self.cursor - self.margin_us))))
        return urlunsplit(parts._replace(query=urlencode(query)))

    async def run(self) -> None:
        if self.config_error:
            await self.set_status(self.config_error)
            await asyncio.Event().wait()  # until the runner restarts it with a new config
        try:
            while True:
                try:
                    await self.read()
                except Exception as exc:
                    await self.failed(exc)
                    await asyncio.sleep(self.backoff.next_delay())
        finally:
            await self.flush()

    async def catch_up(self) -> int:
        """Read from the checkpoint up to now (or until the stream goes quiet), then stop."""
        if self.config_error:
            await self.set_status(self.config_error)
            raise ValueError(self.config_error)
        if self.cursor is None:
            log.info("%r has no cursor yet: following starts from live.", self)
            return 0
        try:
            await self.read(until_us=int(time.time() * 1_000_000))
        except TimeoutError:
            pass  # nothing more came: caught up
        except Exception as exc:
            await self.failed(exc)
            raise
        finally:
            await self.flush()
        await self.set_status("")
        return self.ingested

    async def read(self, *, until_us: int | None = None) -> None:
        """One connection: events until it closes (raised as an error), or up to ``until_us``."""
        started = time.monotonic()
        received = False
        try:
            async with connect(
                self.url(),
                open_timeout=self.open_timeout,
                max_size=MAX_FRAME_BYTES,
                user_agent_header="SocialRoomStudio (hashtag follower)",
            ) as socket:
                await self.set_status("")
                while True:
                    if until_us is None:
                        frame = await socket.recv()
                    else:
                        frame = await asyncio.wait_for(socket.recv(), self.idle_timeout)
                    time_us = await self.on_frame(frame)
                    received = True
                    if until_us is not None and time_us is not None and time_us >= until_us:
                        return
        finally:
            if received or time.monotonic() - started >= STABLE_SECONDS:
                self.backoff.reset()

    async def on_frame(self, frame: str | bytes) -> int | None:
        try:
            event = json.loads(frame)
            time_us = int(event["time_us"])
        except (ValueError, TypeError, KeyError):
            log.debug("%r: skipped a frame that is not a Jetstream event", self)
            return None
        message = event_to_message(event, self.tags)
        cursor = max(time_us, self.cursor or 0)
        if message is not None:
            message = await self.profiles.complete(message, str(event["did"]))
            await self.ingest(message, checkpoint=str(cursor))
            self._saved, self._saved_at = cursor, time.monotonic()
        self.cursor = cursor
        if time.monotonic() - self._saved_at >= self.save_every:
            await self.flush()
        return time_us

    async def flush(self) -> None:
        """Save the cursor of the events read since the last save."""
        if self.cursor is None or self.cursor == self._saved:
            return
        cursor = self.cursor
        try:
            await self.save_checkpoint(str(cursor))
        except Exception as exc:
            # Only skipped events are behind this cursor: a restart reads them again.
            log.warning("%r could not save its cursor: %s", self, exc)
            return
        self._saved, self._saved_at = cursor, time.monotonic()
