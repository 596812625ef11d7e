from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime

import pytest
from channels.db import database_sync_to_async
from django.db import connections

from questions.ingest.follower import Backoff, FeedSpec
from questions.models import IngestFeed, Question
from tests.ingest.fakes import FakeAppView, FakeJetstream, FakeMastodon

run = database_sync_to_async


@pytest.fixture
def live_session(session_a):
    """Session A, live since 2030 (after the fake statuses' default time), #SocialRoom."""
    session_a.hashtags = ["SocialRoom"]
    session_a.started_at = datetime(2029, 12, 31, tzinfo=UTC)
    session_a.save(update_fields=["hashtags", "started_at"])
    return session_a


@pytest.fixture
def fake_mastodon():
    fake = FakeMastodon().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_jetstream():
    fake = FakeJetstream().start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def fake_appview(monkeypatch):
    """Bluesky profiles come from this loopback AppView unless a feed names another: no test
    asks the real one."""
    from questions.ingest import appview

    fake = FakeAppView().start()
    monkeypatch.setattr(appview, "DEFAULT_APPVIEW", fake.url)
    yield fake
    fake.stop()


@pytest.fixture
def mastodon_feed(live_session, fake_mastodon):
    return IngestFeed.objects.create(
        session=live_session, kind="mastodon", config={"instance": fake_mastodon.url}
    )


@pytest.fixture
def bluesky_feed(live_session, fake_jetstream):
    return IngestFeed.objects.create(
        session=live_session, kind="bluesky", config={"endpoint": fake_jetstream.url}
    )


def fast_backoff(seed: int = 1) -> Backoff:
    import random

    return Backoff(base=0.05, cap=0.2, rng=random.Random(seed))


def assert_backing_off(gaps: list[float]) -> None:
    """The gaps between retries of a ``fast_backoff()`` follower: growing, then capped.

    Each delay is at least half its ceiling, whatever the machine's load; the upper bounds
    leave room for a slow machine.
    """
    for attempt, gap in enumerate(gaps):
        assert gap >= min(0.2, 0.05 * 2**attempt) / 2, gaps
    assert gaps[0] < 0.2, gaps
    assert max(gaps) < 0.6, gaps


def spec_of(feed_id: int) -> FeedSpec:
    return FeedSpec.of(IngestFeed.objects.select_related("session").get(pk=feed_id))


def questions(**filters) -> list[Question]:
    return list(Question.objects.filter(**filters).select_related("author").order_by("id"))


async def eventually(check, timeout: float = 8.0) -> None:
    """Wait until the sync ``check()`` (run on the database thread) is true."""
    deadline = time.monotonic() + timeout
    while not await run(check)():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the condition")
        await asyncio.sleep(0.03)


async def stop(task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.fixture
async def close_db_after():
    yield
    # The database thread keeps its connection; the test database can only be dropped at the
    # end of the run if it is closed.
    await run(connections.close_all)()


async def until(predicate, timeout: float = 8.0) -> None:
    """Wait until ``predicate()`` (no database) is true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the condition")
        await asyncio.sleep(0.02)
