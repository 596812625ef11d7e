"""The long-running process that follows the Mastodon and Bluesky feeds of live sessions.

``python manage.py follow_feeds`` runs one ``Runner``: every enabled Mastodon and Bluesky feed of
a live session is followed in its own asyncio task; feeds added, changed, disabled or whose
session ended are picked up by a re-scan every ``RESCAN_SECONDS``. SIGTERM or SIGINT stops every
follower and saves its checkpoint before the process exits.

Followers are a managed process (systemd, supervisor, a container) rather than Celery tasks: a
stream is one connection held open for hours, which fits neither a task's time limits nor
``acks_late`` redelivery, and a worker pool would hold a slot per stream. What a follower does
with each message, and when its checkpoint moves, is in ``questions.ingest.follower``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from channels.db import database_sync_to_async

from questions import selectors
from questions.ingest.bluesky import BlueskyFollower
from questions.ingest.follower import FeedSpec, Follower, describe
from questions.ingest.mastodon import MastodonFollower
from questions.models import FeedKind

log = logging.getLogger("questions.ingest")

FOLLOWED_KINDS = (FeedKind.MASTODON, FeedKind.BLUESKY)
RESCAN_SECONDS = 30.0


def followed_feeds(session_slug: str | None = None) -> list[FeedSpec]:
    """The feeds to follow now: enabled, of a followed kind, in a live session (or this one)."""
    feeds = selectors.live_feeds(kinds=FOLLOWED_KINDS, session_slug=session_slug)
    return [FeedSpec.of(feed) for feed in feeds]


def follower_for(spec: FeedSpec) -> Follower:
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
