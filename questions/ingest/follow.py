"""Followed streams (Mastodon, Bluesky) and the long-running process that follows them.

``python manage.py follow_feeds`` runs one ``Runner``: every enabled Mastodon and Bluesky feed of
a live session is followed in its own asyncio task; feeds added, changed, disabled or whose
session ended are picked up by a re-scan every ``RESCAN_SECONDS``. SIGTERM or SIGINT stops every
follower and saves its checkpoint before the process exits.

Followers are a managed process (systemd, supervisor, a container) rather than Celery tasks: a
stream is one connection held open for hours, which fits neither a task's time limits nor
``acks_late`` redelivery, and a worker pool would hold a slot per stream. Each message a
follower receives goes through the same ``ingest_message`` task as the webhooks, run in the
follower's process, and the feed's checkpoint moves only after its question is in the database:
a crash re-reads the last messages (the unique message id absorbs them) and never skips one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from channels.db import database_sync_to_async
from django.utils import timezone

from questions.ingest.base import IncomingMessage
from questions.models import FeedKind, IngestFeed
from studio.models import SessionStatus

log = logging.getLogger("questions.ingest")

FOLLOWED_KINDS = (FeedKind.MASTODON, FeedKind.BLUESKY)
RESCAN_SECONDS = 30.0


@dataclass
class Backoff:
    """Exponential backoff with jitter, capped; ``reset()`` after a success.

    The n-th delay is drawn between half and all of ``min(cap, base * factor**n)``, so many
    followers failing together do not retry in step.
    """

    base: float = 1.0
    cap: float = 300.0
    factor: float = 2.0
    attempts: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * self.factor ** min(self.attempts, 64))
        self.attempts += 1
        return ceiling * (0.5 + 0.5 * self.rng.random())

    def reset(self) -> None:
        self.attempts = 0


@dataclass(frozen=True)
class FeedSpec:
    """What a follower needs to know of its feed, read once when it starts."""

    id: int
    kind: str
    session_id: int
    session_slug: str
    session_started_at: datetime | None
    hashtags: tuple[str, ...]
    config: dict[str, Any]
    secret: str
    checkpoint: str
    last_error: str = ""

    @classmethod
    def of(cls, feed: IngestFeed) -> FeedSpec:
        session = feed.session
        tags = tuple(str(t).lstrip("#") for t in session.hashtags or () if str(t).lstrip("#"))
        return cls(
            id=feed.pk,
            kind=feed.kind,
            session_id=session.pk,
            session_slug=session.slug,
            session_started_at=session.started_at,
            hashtags=tags,
            config=dict(feed.config or {}),
            secret=feed.secret,
            checkpoint=feed.checkpoint,
            last_error=feed.last_error,
        )

    def identity(self) -> str:
        """Changes when the feed must be followed differently: a follower is then restarted."""
        return json.dumps(
            [self.kind, self.config, self.secret, self.hashtags], sort_keys=True, default=str
        )


def followed_feeds(session_slug: str | None = None) -> list[FeedSpec]:
    feeds = IngestFeed.objects.select_related("session").filter(
        enabled=True, kind__in=FOLLOWED_KINDS, session__status=SessionStatus.LIVE
    )
    if session_slug:
        feeds = feeds.filter(session__slug=session_slug)
    return [FeedSpec.of(feed) for feed in feeds]


def feed_ingest(feed_id: int, message: IncomingMessage, *, checkpoint: str) -> int | None:
    """Ingest one message, then move the feed's checkpoint past it.

    The task runs here, in the follower's process: the checkpoint must not move before the
    question is stored. Returns the question's id (None when the studio dropped the message).
    """
    from questions.tasks import ingest_message

    question_id = ingest_message(feed_id, message.to_dict())
    IngestFeed.objects.filter(pk=feed_id).update(
        checkpoint=checkpoint, last_message_at=timezone.now()
    )
    return question_id


def feed_save_checkpoint(feed_id: int, checkpoint: str) -> None:
    IngestFeed.objects.filter(pk=feed_id).update(checkpoint=checkpoint)


def feed_set_error(feed_id: int, error: str) -> None:
    IngestFeed.objects.filter(pk=feed_id).update(last_error=error[:500])


def describe(exc: BaseException) -> str:
    """One line for the feed's ``last_error``: the error's class and first line."""
    text = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
    if exc.__class__.__name__ not in text:
        text = f"{exc.__class__.__name__}: {text}"
    return text


class StreamFailed(Exception):
    """The stream broke or ended; the follower catches up and reconnects after a delay."""


class FollowerBase:
    """Shared by the followers: the feed's error status, ingestion, counting."""

    def __init__(self, spec: FeedSpec, *, backoff: Backoff | None = None) -> None:
        self.spec = spec
        self.backoff = backoff or Backoff()
        self.ingested = 0
        # The problem last recorded in ``last_error``; whatever a previous run left there is
        # cleared at the first success. None: unknown, write the next status whatever it is.
        self._problem: str | None = spec.last_error

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} feed={self.spec.id} session={self.spec.session_slug}>"

    async def set_status(self, problem: str) -> None:
        """Record the feed's health in ``last_error`` ("" = healthy), writing only changes."""
        if problem == self._problem:
            return
        self._problem = problem
        text = ""
        if problem:
            log.warning("%r: %s", self, problem)
            text = f"{timezone.now():%Y-%m-%d %H:%M:%S} UTC: {problem}"
        try:
            await database_sync_to_async(feed_set_error)(self.spec.id, text)
        except Exception as exc:
            # The database may be what failed: the follower goes on, and writes it next time.
            log.warning("%r could not record its status: %s", self, describe(exc))
            self._problem = None

    async def failed(self, exc: BaseException) -> None:
        await self.set_status(describe(exc))

    async def ingest(self, message: IncomingMessage, *, checkpoint: str) -> int | None:
        question_id = await database_sync_to_async(feed_ingest)(
            self.spec.id, message, checkpoint=checkpoint
        )
        self.ingested += 1
        return question_id

    async def save_checkpoint(self, checkpoint: str) -> None:
        await database_sync_to_async(feed_save_checkpoint)(self.spec.id, checkpoint)


class Follower(Protocol):
    spec: FeedSpec

    async def run(self) -> None:
        """Follow the feed until cancelled, keeping its checkpoint."""

    async def catch_up(self) -> int:
        """Ingest what was posted since the checkpoint, then return how many messages."""


def follower_for(spec: FeedSpec) -> Follower:
    # Imported here: the follower modules import this one.
    from questions.ingest.bluesky import BlueskyFollower
    from questions.ingest.mastodon import MastodonFollower

    if spec.kind == FeedKind.MASTODON:
        return MastodonFollower(spec)
    if spec.kind == FeedKind.BLUESKY:
        return BlueskyFollower(spec)
    raise ValueError(f"Feeds of kind {spec.kind!r} are not followed.")


class Runner:
    """Follows every enabled stream feed of the live sessions (or of one session)."""

    def __init__(
        self,
        *,
        session_slug: str | None = None,
        rescan_seconds: float = RESCAN_SECONDS,
        make_follower: Callable[[FeedSpec], Follower] = follower_for,
    ) -> None:
        self.session_slug = session_slug
        self.rescan_seconds = rescan_seconds
        self.make_follower = make_follower
        self.tasks: dict[int, tuple[str, asyncio.Task[None]]] = {}

    async def feeds(self) -> list[FeedSpec]:
        return await database_sync_to_async(followed_feeds)(self.session_slug)

    async def run(self, stop: asyncio.Event) -> None:
        """Follow until ``stop`` is set, then stop every follower."""
        try:
            while not stop.is_set():
                try:
                    await self.rescan()
                except Exception:
                    # The database may be away for a moment: followers keep going meanwhile.
                    log.exception("Could not scan the feeds; trying again later.")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.rescan_seconds)
        finally:
            await self.stop_all()

    async def rescan(self) -> None:
        specs = {spec.id: spec for spec in await self.feeds()}
        for feed_id, (identity, task) in list(self.tasks.items()):
            spec = specs.get(feed_id)
            if task.done() and not task.cancelled() and task.exception() is not None:
                log.error("Follower of feed %s stopped", feed_id, exc_info=task.exception())
            if spec is None or spec.identity() != identity or task.done():
                await self.stop_one(feed_id)
        for feed_id, spec in specs.items():
            if feed_id in self.tasks:
                continue
            try:
                follower = self.make_follower(spec)
            except ValueError as exc:
                log.error("Feed %s cannot be followed: %s", feed_id, exc)
                continue
            log.info("Following feed %s (%s) of session %s", feed_id, spec.kind, spec.session_slug)
            task = asyncio.create_task(follower.run(), name=f"feed-{feed_id}")
            self.tasks[feed_id] = (spec.identity(), task)

    async def stop_one(self, feed_id: int) -> None:
        _, task = self.tasks.pop(feed_id)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        log.info("Stopped following feed %s", feed_id)

    async def stop_all(self) -> None:
        for feed_id in list(self.tasks):
            await self.stop_one(feed_id)

    async def once(self) -> dict[int, int | BaseException]:
        """Catch every feed up from its checkpoint, one after the other; no streaming."""
        results: dict[int, int | BaseException] = {}
        for spec in await self.feeds():
            try:
                results[spec.id] = await self.make_follower(spec).catch_up()
            except Exception as exc:
                log.warning("Feed %s could not catch up: %s", spec.id, describe(exc))
                results[spec.id] = exc
        return results


async def serve(runner: Runner) -> None:
    """Run until SIGTERM or SIGINT, then stop the followers cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await runner.run(stop)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
