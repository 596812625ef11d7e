"""The follower process: feeds picked up and dropped, clean stop, ``--once``, backoff."""

from __future__ import annotations

import asyncio
import os
import random
import signal

import pytest
from django.core.management import call_command

from questions.ingest.bluesky import BlueskyFollower
from questions.ingest.follow import Runner, serve
from questions.ingest.follower import Backoff, FeedSpec
from questions.ingest.mastodon import MastodonFollower
from questions.models import IngestFeed, Question
from tests.factories import LiveSessionFactory
from tests.ingest.conftest import eventually, fast_backoff, run, until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_after")]


def fast_follower(spec: FeedSpec):
    if spec.kind == "mastodon":
        return MastodonFollower(
            spec, poll_interval=0.1, backoff=fast_backoff(), stream_backoff=fast_backoff()
        )
    # The cursor of skipped events is saved only at the stop, to see that it is.
    return BlueskyFollower(spec, backoff=fast_backoff(), save_every=3600)


def count(**filters) -> int:
    return Question.objects.filter(**filters).count()


def checkpoint(feed_id: int) -> str:
    return IngestFeed.objects.get(pk=feed_id).checkpoint


async def test_the_runner_follows_feeds_as_they_come_and_go(
    mastodon_feed, bluesky_feed, fake_mastodon, fake_jetstream, station_a
):
    draft = await run(LiveSessionFactory)(station=station_a, status="draft", hashtags=["x"])
    await run(IngestFeed.objects.create)(
        session=draft, kind="mastodon", config={"instance": fake_mastodon.url}
    )
    runner = Runner(rescan_seconds=0.1, make_follower=fast_follower)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await until(lambda: set(runner.tasks) == {mastodon_feed.pk, bluesky_feed.pk})
        await until(lambda: fake_mastodon.open_streams == 1 and fake_jetstream.cursors)
        fake_mastodon.post("From Mastodon?")
        fake_jetstream.post("From Bluesky? #SocialRoom")
        await eventually(lambda: count() == 2)

        # Disabled: no longer followed.
        await run(IngestFeed.objects.filter(pk=mastodon_feed.pk).update)(enabled=False)
        await until(lambda: set(runner.tasks) == {bluesky_feed.pk})
        fake_mastodon.post("Nobody listens?")

        # Added, in another live session: followed.
        other = await run(LiveSessionFactory)(
            station=station_a, status="live", hashtags=["SocialRoom"]
        )
        added = await run(IngestFeed.objects.create)(
            session=other, kind="bluesky", config={"endpoint": fake_jetstream.url}
        )
        await until(lambda: added.pk in runner.tasks)
        await until(lambda: len(fake_jetstream.cursors) == 2)
        fake_jetstream.post("For both sessions #SocialRoom")
        await eventually(lambda: count(session=other) == 1)
        await eventually(lambda: count() == 4)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    assert runner.tasks == {}
    assert await run(count)() == 4


async def test_a_changed_feed_is_followed_again_with_its_new_settings(bluesky_feed, fake_jetstream):
    second = type(fake_jetstream)().start()
    try:
        runner = Runner(rescan_seconds=0.1, make_follower=fast_follower)
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        await until(lambda: len(fake_jetstream.cursors) == 1)
        bluesky_feed.config = {"endpoint": second.url}
        await run(bluesky_feed.save)()
        await until(lambda: len(second.cursors) == 1)
        second.post("On the new endpoint #SocialRoom")
        await eventually(lambda: count() == 1)
        stop.set()
        await asyncio.wait_for(task, 5)
    finally:
        second.stop()


async def test_sigterm_stops_the_followers_and_saves_their_checkpoints(
    bluesky_feed, fake_jetstream
):
    runner = Runner(rescan_seconds=0.1, make_follower=fast_follower)
    task = asyncio.create_task(serve(runner))
    await until(lambda: len(fake_jetstream.cursors) == 1)
    fake_jetstream.post("Before the stop #SocialRoom")
    await eventually(lambda: count() == 1)
    last = fake_jetstream.post("Not for us #OtherShow")
    await asyncio.sleep(0.2)

    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(task, 5)

    assert runner.tasks == {}
    assert await run(checkpoint)(bluesky_feed.pk) == str(last["time_us"])


def test_follow_feeds_once_catches_up_and_exits(mastodon_feed, bluesky_feed, fake_mastodon, capsys):
    seen = fake_mastodon.post("Seen?")
    IngestFeed.objects.filter(pk=mastodon_feed.pk).update(checkpoint=seen["id"])
    missed = [fake_mastodon.post(f"Missed {n}?") for n in range(3)]

    call_command("follow_feeds", "--once", "--session", "live-a")

    out = capsys.readouterr().out
    assert f"feed {mastodon_feed.pk}: 3 message(s) ingested" in out
    assert f"feed {bluesky_feed.pk}: 0 message(s) ingested" in out  # no cursor yet: live only
    assert [q.external_id for q in Question.objects.order_by("id")] == [s["uri"] for s in missed]
    assert IngestFeed.objects.get(pk=mastodon_feed.pk).checkpoint == missed[-1]["id"]
    assert fake_mastodon.stream_connections == 0


def test_follow_feeds_once_fails_when_a_feed_cannot_catch_up(mastodon_feed, fake_mastodon):
    IngestFeed.objects.filter(pk=mastodon_feed.pk).update(checkpoint="1")
    fake_mastodon.failing = True

    with pytest.raises(Exception, match="could not catch up"):
        call_command("follow_feeds", "--once")

    assert "503" in IngestFeed.objects.get(pk=mastodon_feed.pk).last_error


def test_backoff_grows_exponentially_with_jitter_up_to_its_cap_and_resets():
    backoff = Backoff(base=1, cap=30, rng=random.Random(3))

    delays = [backoff.next_delay() for _ in range(8)]

    for n, delay in enumerate(delays):
        ceiling = min(30, 2**n)
        assert ceiling / 2 <= delay <= ceiling
    backoff.reset()
    assert backoff.next_delay() <= 1
