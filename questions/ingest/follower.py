"""What every stream follower (Mastodon, Bluesky) shares: its feed, backoff, status and ingestion.

A follower reads one feed's stream and hands each message to the same ``ingest_message`` task as
the webhooks, run in the follower's process; the feed's checkpoint moves only after its question
is in the database, so a crash re-reads the last messages (the unique message id absorbs them)
and never skips one. The process that runs the followers is ``questions.ingest.follow``.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from channels.db import database_sync_to_async
from django.utils import timezone

from questions.ingest.base import IncomingMessage
from questions.models import IngestFeed
from questions.services import feed_record_error, feed_record_message, feed_save_checkpoint
from questions.tasks import ingest_message
from studio import metrics

log = logging.getLogger("questions.ingest")


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


def feed_ingest(feed_id: int, message: IncomingMessage, *, checkpoint: str) -> int | None:
    """Ingest one message, then move the feed's checkpoint past it.

    The task runs here, in the follower's process: the checkpoint must not move before the
    question is stored. Returns the question's id (None when the studio dropped the message).
    """
    question_id = ingest_message(feed_id, message.to_dict())
    feed_record_message(feed_id=feed_id, checkpoint=checkpoint)
    return question_id


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
            await database_sync_to_async(feed_record_error)(feed_id=self.spec.id, error=text)
        except Exception as exc:
            # The database may be what failed: the follower goes on, and writes it next time.
            log.warning("%r could not record its status: %s", self, describe(exc))
            self._problem = None

    async def failed(self, exc: BaseException) -> None:
        # Every failure counts (the status is written only when it changes).
        metrics.follower_errors.labels(kind=self.spec.kind).inc()
        await self.set_status(describe(exc))

    async def ingest(self, message: IncomingMessage, *, checkpoint: str) -> int | None:
        question_id = await database_sync_to_async(feed_ingest)(
            self.spec.id, message, checkpoint=checkpoint
        )
        self.ingested += 1
        return question_id

    async def save_checkpoint(self, checkpoint: str) -> None:
        await database_sync_to_async(feed_save_checkpoint)(
            feed_id=self.spec.id, checkpoint=checkpoint
        )


class Follower(Protocol):
    spec: FeedSpec

    async def run(self) -> None:
        """Follow the feed until cancelled, keeping its checkpoint."""

    async def catch_up(self) -> int:
        """Ingest what was posted since the checkpoint, then return how many messages."""
