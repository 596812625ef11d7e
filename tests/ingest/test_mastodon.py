"""Mastodon: hashtag streaming, polling as fallback and catch-up, checkpoints, backoff."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from questions.identity import opaque_id
from questions.ingest.mastodon import MastodonFollower, status_to_message
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


async def follower(feed, **overrides) -> MastodonFollower:
    options = {
        "poll_interval": 0.1,
        "stream_retry": 60,
        "read_timeout": 5,
        "backoff": fast_backoff(1),
        "stream_backoff": fast_backoff(2),
        **overrides,
    }
    return MastodonFollower(await run(spec_of)(feed.pk), **options)


def count() -> int:
    return Question.objects.count()


def feed_state(feed_id: int) -> IngestFeed:
    return IngestFeed.objects.get(pk=feed_id)


async def test_a_status_on_the_stream_becomes_one_question(mastodon_feed, fake_mastodon):
    task = asyncio.create_task((await follower(mastodon_feed)).run())
    try:
        await until(lambda: fake_mastodon.open_streams == 1)
        status = fake_mastodon.post("Aya, comment est née la chanson « Minuit » ?")
        await eventually(lambda: count() == 1)
        fake_mastodon.resend(status)
        fake_mastodon.delete(status)
        fake_mastodon.post("Shared again", reblog=True)
        last = fake_mastodon.post(
            "Claire Morel, where does the music fund go?", username="sam", account_id="42"
        )
        await eventually(lambda: count() == 2)
    finally:
        await stop(task)

    first, second = await run(questions)()
    assert first.source == "social:mastodon"
    assert first.external_id == status["uri"]
    assert "Aya, comment est née la chanson « Minuit » ?" in first.text
    assert first.status == "pending"
    assert first.author_name == "Lea"
    host = fake_mastodon.url.removeprefix("http://")
    assert first.author.handle == f"@lea@{host}"
    assert first.author.external_id == opaque_id(f"{host}:109876543210987654", purpose="mastodon")
    assert first.author.avatar_url.startswith("https://files.mastodon.test/")
    assert "where does the music fund go?" in second.text
    # Delivered by the stream: the timeline was read once, at start.
    assert len(fake_mastodon.timeline_requests()) == 1
    state = await run(feed_state)(mastodon_feed.pk)
    assert state.checkpoint == last["id"]
    assert state.last_message_at is not None
    assert state.last_error == ""


@pytest.mark.parametrize("refusal", [401, 404, 501])
async def test_when_streaming_is_refused_the_follower_polls(mastodon_feed, fake_mastodon, refusal):
    fake_mastodon.streaming_status = refusal
    task = asyncio.create_task((await follower(mastodon_feed, stream_retry=0.6)).run())
    try:
        await until(lambda: len(fake_mastodon.timeline_requests()) >= 2)
        status = fake_mastodon.post("Minister, a question about rural cinemas?")
        await eventually(lambda: count() == 1)
        state = await run(feed_state)(mastodon_feed.pk)
        assert f"HTTP {refusal}" in state.last_error
        assert "Polling every" in state.last_error

        # Streaming is tried again later, and used once it works.
        fake_mastodon.streaming_status = 200
        await until(lambda: fake_mastodon.open_streams == 1)
        polls = len(fake_mastodon.timeline_requests())
        fake_mastodon.post("And one for Aya: new album when?")
        await eventually(lambda: count() == 2)
        assert len(fake_mastodon.timeline_requests()) == polls
        await eventually(lambda: feed_state(mastodon_feed.pk).last_error == "")
    finally:
        await stop(task)

    first = (await run(questions)())[0]
    assert first.external_id == status["uri"]


async def test_when_the_streaming_server_is_unreachable_polling_brings_the_statuses(
    mastodon_feed, fake_mastodon, unused_tcp_port
):
    mastodon_feed.config["streaming"] = f"http://127.0.0.1:{unused_tcp_port}"
    await run(mastodon_feed.save)()
    task = asyncio.create_task((await follower(mastodon_feed)).run())
    try:
        fake_mastodon.post("Aya, who produced the album?")
        fake_mastodon.post("Claire Morel, quid des festivals ?")
        await eventually(lambda: count() == 2)
        await eventually(lambda: "ConnectError" in feed_state(mastodon_feed.pk).last_error)
    finally:
        await stop(task)
    assert fake_mastodon.stream_connections == 0


async def test_a_restart_resumes_from_the_checkpoint_with_nothing_lost_or_doubled(
    mastodon_feed, fake_mastodon
):
    task = asyncio.create_task((await follower(mastodon_feed)).run())
    await until(lambda: fake_mastodon.open_streams == 1)
    before = [fake_mastodon.post(f"Question {n} before the restart?") for n in range(3)]
    await eventually(lambda: count() == 3)
    await stop(task)
    assert (await run(feed_state)(mastodon_feed.pk)).checkpoint == before[-1]["id"]

    # Posted while the follower is down, then the same statuses stream again after it.
    during = [fake_mastodon.post(f"Question {n} while down?") for n in range(2)]
    task = asyncio.create_task((await follower(mastodon_feed)).run())
    try:
        await eventually(lambda: count() == 5)
        await until(lambda: fake_mastodon.open_streams == 1)
        after = fake_mastodon.post("Question after the restart?")
        for status in during:
            fake_mastodon.resend(status)
        await eventually(lambda: count() == 6)
        await asyncio.sleep(0.2)
    finally:
        await stop(task)

    stored = [q.external_id for q in await run(questions)()]
    assert stored == [s["uri"] for s in [*before, *during, after]]
    catch_up = fake_mastodon.timeline_requests()[-1]
    assert catch_up["since_id"] == [before[-1]["id"]]


async def test_a_backlog_longer_than_a_page_is_caught_up_whole(mastodon_feed, fake_mastodon):
    first = fake_mastodon.post("Already seen?")
    mastodon_feed.checkpoint = first["id"]
    await run(mastodon_feed.save)()
    backlog = [fake_mastodon.post(f"Missed question number {n}?") for n in range(95)]

    ingested = await (await follower(mastodon_feed)).catch_up()

    assert ingested == 95
    stored = [q.external_id for q in await run(questions)()]
    assert stored == [s["uri"] for s in backlog]
    requests = fake_mastodon.timeline_requests()
    assert "since_id" in requests[0]
    assert any("min_id" in q for q in requests[1:])
    assert (await run(feed_state)(mastodon_feed.pk)).checkpoint == backlog[-1]["id"]
    # A second catch-up finds nothing new.
    assert await (await follower(mastodon_feed)).catch_up() == 0
    assert await run(count)() == 95


async def test_the_first_start_skips_what_was_posted_before_the_session(
    mastodon_feed, fake_mastodon
):
    fake_mastodon.post("Last year's show?", created_at="2029-06-01T20:00:00.000Z")
    today = fake_mastodon.post("Tonight's question?")

    assert await (await follower(mastodon_feed)).catch_up() == 1

    (question,) = await run(questions)()
    assert question.external_id == today["uri"]
    assert (await run(feed_state)(mastodon_feed.pk)).checkpoint == today["id"]


async def test_every_hashtag_of_the_session_is_followed(mastodon_feed, fake_mastodon):
    session = mastodon_feed.session
    session.hashtags = ["SocialRoom", "RadioDemo"]
    await run(session.save)()
    fake_mastodon.post("Polled, second tag?", tags=("RadioDemo",))
    task = asyncio.create_task((await follower(mastodon_feed)).run())
    try:
        await eventually(lambda: count() == 1)
        await until(lambda: fake_mastodon.open_streams == 2)
        fake_mastodon.post("Streamed, second tag?", tags=("RadioDemo",))
        fake_mastodon.post("Both tags, one question?", tags=("SocialRoom", "RadioDemo"))
        fake_mastodon.post("Another show?", tags=("OtherShow",))
        await eventually(lambda: count() == 3)
        await asyncio.sleep(0.2)
    finally:
        await stop(task)
    assert await run(count)() == 3
    assert fake_mastodon.timeline_requests()[0]["any[]"] == ["RadioDemo"]


async def test_a_failing_instance_is_retried_with_growing_delays(mastodon_feed, fake_mastodon):
    fake_mastodon.failing = True
    task = asyncio.create_task((await follower(mastodon_feed)).run())
    try:
        await asyncio.sleep(1.2)
        times = [t for t, path, _ in fake_mastodon.requests]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        # Without backoff this would be hundreds of requests.
        assert 4 <= len(times) <= 15
        assert_backing_off(gaps)
        assert "503" in (await run(feed_state)(mastodon_feed.pk)).last_error

        fake_mastodon.failing = False
        fake_mastodon.post("Back on air?")
        await eventually(lambda: count() == 1)
        await eventually(lambda: feed_state(mastodon_feed.pk).last_error == "")
    finally:
        await stop(task)


async def test_a_feed_without_an_instance_says_so(mastodon_feed, fake_mastodon):
    mastodon_feed.config = {}
    await run(mastodon_feed.save)()
    task = asyncio.create_task((await follower(mastodon_feed)).run())
    try:
        await eventually(lambda: "instance" in feed_state(mastodon_feed.pk).last_error)
    finally:
        await stop(task)
    assert fake_mastodon.requests == []


def test_a_status_reads_as_a_message():
    status = fixture("mastodon_status.json")

    message = status_to_message(status, host="mastodon.test")

    assert message is not None
    assert message.source == "social:mastodon"
    assert message.external_id == status["uri"]
    assert message.text == status["content"]  # markup is stripped by normalisation
    assert (message.author_name, message.author_handle) == ("Léa ✨", "@lea@mastodon.test")
    assert status_to_message({**status, "reblog": dict(status)}, host="mastodon.test") is None
    remote = {**status, "account": {**status["account"], "acct": "nina@piaille.test"}}
    assert status_to_message(remote, host="mastodon.test").author_handle == "@nina@piaille.test"
