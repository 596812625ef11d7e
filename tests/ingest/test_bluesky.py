"""Bluesky: Jetstream posts filtered by the session's hashtags, a cursor that survives restarts."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from questions.identity import opaque_id
from questions.ingest.bluesky import (
    CURSOR_MARGIN_US,
    BlueskyFollower,
    event_to_message,
    post_tags,
)
from questions.models import IngestFeed, Question
from tests.ingest.conftest import (
    assert_backing_off,
    eventually,
    fast_backoff,
    questions,
    run,
    spec_of,
    stop,
    until,
)
from tests.ingest.fakes import fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_after")]

OTHER_DID = "did:plc:ufbl4k27gp6kzas5glhz7fim"


async def follower(feed, **overrides) -> BlueskyFollower:
    options = {"backoff": fast_backoff(), "save_every": 0.05, "idle_timeout": 0.5, **overrides}
    return BlueskyFollower(await run(spec_of)(feed.pk), **options)


def count() -> int:
    return Question.objects.count()


def feed_state(feed_id: int) -> IngestFeed:
    return IngestFeed.objects.get(pk=feed_id)


def publish_other_events(fake) -> None:
    """A like, a deleted post, an identity and an account event: none is a question."""
    for event in fixture("jetstream_other_events.jsonl"):
        fake.publish({**event, "time_us": fake.tick()})


async def test_posts_with_the_session_hashtag_become_questions_once(bluesky_feed, fake_jetstream):
    task = asyncio.create_task((await follower(bluesky_feed)).run())
    try:
        await until(lambda: len(fake_jetstream.cursors) == 1)
        tagged = fake_jetstream.post("Minister, what will the new music fund pay for? #SocialRoom")
        faceted = fake_jetstream.post(
            "Aya, will you sing Minuit tonight?", did=OTHER_DID, facet_tags=("socialroom",)
        )
        fake_jetstream.post("Nothing to do with the show #OtherShow")
        fake_jetstream.post("A #SocialRoomFan is not the hashtag")
        publish_other_events(fake_jetstream)
        fake_jetstream.publish(tagged)  # the same event again
        last = fake_jetstream.post("lower-case counts too #socialroom")
        await eventually(lambda: count() == 3)
        await asyncio.sleep(0.2)
    finally:
        await stop(task)

    stored = await run(questions)()
    assert [q.external_id for q in stored] == [
        f"at://{e['did']}/app.bsky.feed.post/{e['commit']['rkey']}" for e in (tagged, faceted, last)
    ]
    first = stored[0]
    assert first.source == "social:bluesky"
    assert first.text == "Minister, what will the new music fund pay for? #SocialRoom"
    assert first.author.platform == "bluesky"
    assert first.author.external_id == opaque_id(tagged["did"], purpose="bluesky")
    assert first.author.handle == tagged["did"]
    state = await run(feed_state)(bluesky_feed.pk)
    assert int(state.checkpoint) == last["time_us"]
    assert state.last_message_at is not None


async def test_a_restart_resumes_from_the_cursor_with_nothing_lost_or_doubled(
    bluesky_feed, fake_jetstream
):
    task = asyncio.create_task((await follower(bluesky_feed)).run())
    await until(lambda: len(fake_jetstream.cursors) == 1)
    before = [fake_jetstream.post(f"Question {n} #SocialRoom") for n in range(3)]
    await eventually(lambda: count() == 3)
    publish_other_events(fake_jetstream)
    await asyncio.sleep(0.2)  # the skipped events' cursor is saved too
    await stop(task)
    saved = int((await run(feed_state)(bluesky_feed.pk)).checkpoint)
    assert saved > before[-1]["time_us"]

    during = [fake_jetstream.post(f"Question {n} while down #SocialRoom") for n in range(2)]
    task = asyncio.create_task((await follower(bluesky_feed)).run())
    try:
        await eventually(lambda: count() == 5)
        after = fake_jetstream.post("After the restart #SocialRoom")
        await eventually(lambda: count() == 6)
        await asyncio.sleep(0.2)
    finally:
        await stop(task)

    # The reconnection asked for a little before the saved cursor: a post or two is read
    # again and absorbed.
    assert fake_jetstream.cursors[-1] == saved - CURSOR_MARGIN_US
    stored = [q.external_id for q in await run(questions)()]
    expected = [
        f"at://{e['did']}/app.bsky.feed.post/{e['commit']['rkey']}"
        for e in [*before, *during, after]
    ]
    assert stored == expected


async def test_a_dropped_connection_reconnects_from_the_cursor(bluesky_feed, fake_jetstream):
    task = asyncio.create_task((await follower(bluesky_feed)).run())
    try:
        await until(lambda: len(fake_jetstream.cursors) == 1)
        first = fake_jetstream.post("Before the drop #SocialRoom")
        await eventually(lambda: count() == 1)
        fake_jetstream.drop_connections()
        await until(lambda: len(fake_jetstream.cursors) == 2)
        fake_jetstream.post("After the drop #SocialRoom")
        await eventually(lambda: count() == 2)
    finally:
        await stop(task)
    assert fake_jetstream.cursors[1] == first["time_us"] - CURSOR_MARGIN_US


async def test_a_refusing_server_is_retried_with_growing_delays(bluesky_feed, fake_jetstream):
    fake_jetstream.refusing = True
    task = asyncio.create_task((await follower(bluesky_feed)).run())
    try:
        await asyncio.sleep(1.2)
        times = list(fake_jetstream.attempts)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert 4 <= len(times) <= 15
        assert_backing_off(gaps)
        assert "503" in (await run(feed_state)(bluesky_feed.pk)).last_error

        fake_jetstream.refusing = False
        await until(lambda: len(fake_jetstream.cursors) == 1)
        fake_jetstream.post("Back on air #SocialRoom")
        await eventually(lambda: count() == 1)
        await eventually(lambda: feed_state(bluesky_feed.pk).last_error == "")
    finally:
        await stop(task)


async def test_catching_up_reads_from_the_cursor_to_now_and_stops(bluesky_feed, fake_jetstream):
    seen = fake_jetstream.post("Seen before #SocialRoom")
    bluesky_feed.checkpoint = str(seen["time_us"] - 1)
    await run(bluesky_feed.save)()
    assert await (await follower(bluesky_feed)).catch_up() == 1
    missed = [fake_jetstream.post(f"Missed {n} #SocialRoom") for n in range(4)]
    skipped = fake_jetstream.post("Missed, but without the hashtag", did=OTHER_DID)

    ingested = await (await follower(bluesky_feed)).catch_up()

    assert ingested == 5  # the four missed, and the one read again within the cursor margin
    stored = [q.external_id for q in await run(questions)()]
    assert stored == [
        f"at://{e['did']}/app.bsky.feed.post/{e['commit']['rkey']}" for e in [seen, *missed]
    ]
    state = await run(feed_state)(bluesky_feed.pk)
    assert int(state.checkpoint) == skipped["time_us"]


def test_hashtags_come_from_the_text_and_the_tag_facets():
    record = fixture("jetstream_post.json")["commit"]["record"]

    assert post_tags(record) == {"socialroom"}
    assert post_tags({"text": "Deux tags #RadioDémo et \uff03SocialRoom, pas mail@x.fr#y"}) == {
        "radiodémo",
        "socialroom",
    }
    assert event_to_message(fixture("jetstream_post.json"), frozenset({"radiodemo"})) is None
    message = event_to_message(fixture("jetstream_post.json"), frozenset({"socialroom"}))
    assert message is not None
    assert message.external_id == (
        "at://did:plc:eygmaihciaxprqvxpfvl6flk/app.bsky.feed.post/3l3qo2vutsw2b"
    )
