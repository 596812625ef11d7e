"""Author reach: follower counts stored at ingest, from Mastodon statuses and Bluesky profiles."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time

import pytest

from questions.identity import opaque_id
from questions.ingest.base import IncomingMessage
from questions.ingest.bluesky import BlueskyFollower
from questions.ingest.mastodon import MastodonFollower, status_to_message
from questions.models import Author, Question
from tests.ingest.conftest import eventually, fast_backoff, questions, run, spec_of, stop, until
from tests.ingest.fakes import fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("close_db_after")]

DID = "did:plc:eygmaihciaxprqvxpfvl6flk"
OTHER_DID = "did:plc:ufbl4k27gp6kzas5glhz7fim"


def count() -> int:
    return Question.objects.count()


def author_of(did: str) -> Author:
    return Author.objects.get(platform="bluesky", external_id=opaque_id(did, purpose="bluesky"))


# The message as the task queue carries it


def test_the_follower_count_survives_the_task_queue():
    message = IncomingMessage(
        source="social:mastodon",
        external_id="x",
        text="Hello",
        author_platform="mastodon",
        author_id="a",
        author_followers=12_345,
    )
    data = json.loads(json.dumps(message.to_dict()))
    assert IncomingMessage.from_dict(data) == message
    assert IncomingMessage.from_dict(data | {"author_followers": "12345"}).author_followers is None
    assert IncomingMessage.from_dict(data | {"author_followers": -3}).author_followers is None
    del data["author_followers"]  # a message queued before counts were carried
    assert IncomingMessage.from_dict(data).author_followers is None


# Mastodon: the count comes with every status


@pytest.mark.parametrize(
    ("given", "kept"),
    [(120, 120), (0, 0), (-1, None), (10**12, None), ("120", None), (True, None), (None, None)],
)
def test_a_status_carries_its_author_follower_count_when_it_is_a_sane_one(given, kept):
    status = copy.deepcopy(fixture("mastodon_status.json"))
    status["account"]["followers_count"] = given
    message = status_to_message(status, host="mastodon.test")
    assert message is not None
    assert message.author_followers == kept


async def test_the_mastodon_follower_count_is_stored_on_the_author(mastodon_feed, fake_mastodon):
    fake_mastodon.streaming_status = 401  # polling only: one pass reads every status
    follower = MastodonFollower(
        await run(spec_of)(mastodon_feed.pk), poll_interval=0.05, backoff=fast_backoff()
    )
    fake_mastodon.post("First question #SocialRoom", followers=4321)
    await follower.catch_up()
    (question,) = await run(questions)()
    assert question.author.followers_count == 4321
    checked = question.author.followers_checked_at
    assert checked is not None

    # A later status without a usable count leaves the stored one.
    fake_mastodon.post("Second question", followers="lots")
    await follower.catch_up()
    first, second = await run(questions)()
    assert second.author_id == first.author_id
    assert second.author.followers_count == 4321
    assert second.author.followers_checked_at == checked

    fake_mastodon.post("Third question", followers=5000)
    await follower.catch_up()
    third = (await run(questions)())[-1]
    assert third.author.followers_count == 5000
    assert third.author.followers_checked_at > checked


# Bluesky: the profile is read from the AppView, once per author per hour


async def bluesky_follower(feed, **overrides) -> BlueskyFollower:
    options = {"backoff": fast_backoff(), "save_every": 0.05, "idle_timeout": 0.5, **overrides}
    return BlueskyFollower(await run(spec_of)(feed.pk), **options)


async def test_a_bluesky_profile_is_read_once_per_author_and_stored(
    bluesky_feed, fake_jetstream, fake_appview
):
    fake_appview.add_profile(DID, handle="lea.bsky.social", display_name="Léa", followers=12_345)
    task = asyncio.create_task((await bluesky_follower(bluesky_feed)).run())
    try:
        await until(lambda: len(fake_jetstream.cursors) == 1)
        fake_jetstream.post("Minister, what will the fund pay for? #SocialRoom")
        fake_jetstream.post("And when? #SocialRoom")
        fake_jetstream.post("Nobody knows this one #SocialRoom", did=OTHER_DID)
        fake_jetstream.post("One more from Léa #SocialRoom")
        await eventually(lambda: count() == 4)
    finally:
        await stop(task)

    # The unknown profile (the AppView answers 400) was asked for once, like Léa's.
    assert sorted(fake_appview.requests) == sorted([DID, OTHER_DID])
    stored = await run(questions)()
    lea = stored[0].author
    assert [q.author_id for q in stored] == [lea.pk, lea.pk, stored[2].author_id, lea.pk]
    assert lea.followers_count == 12_345
    assert lea.followers_checked_at is not None
    assert lea.handle == "@lea.bsky.social"
    assert lea.display_name == "Léa"
    assert [q.author_name for q in stored] == ["Léa", "Léa", "", "Léa"]
    other = stored[2].author
    assert other.followers_count is None
    assert other.handle == OTHER_DID


async def test_a_profile_is_read_again_after_the_hour_and_not_before_even_after_a_restart(
    bluesky_feed, fake_appview
):
    fake_appview.add_profile(DID, followers=100)
    follower = await bluesky_follower(bluesky_feed, profile_ttl=0.5)
    await follower.on_frame(json.dumps(jetstream_event("Q1 #SocialRoom", rkey="3a")))

    # A follower started again within the hour finds the stored profile: no request.
    again = await bluesky_follower(bluesky_feed, profile_ttl=0.5)
    fake_appview.add_profile(DID, display_name="Léa M.", followers=150)
    await again.on_frame(json.dumps(jetstream_event("Q2 #SocialRoom", rkey="3b")))
    assert fake_appview.requests == [DID]
    author = await run(author_of)(DID)
    assert author.followers_count == 100
    assert [q.author_name for q in await run(questions)()] == ["Léa", "Léa"]

    await asyncio.sleep(0.6)  # the "hour" is over
    await again.on_frame(json.dumps(jetstream_event("Q3 #SocialRoom", rkey="3c")))
    assert fake_appview.requests == [DID, DID]
    author = await run(author_of)(DID)
    assert author.followers_count == 150
    assert author.display_name == "Léa M."


def jetstream_event(text: str, *, did: str = DID, rkey: str = "3l3qo2vutsw2b") -> dict:
    event = copy.deepcopy(fixture("jetstream_post.json"))
    event["did"] = did
    event["time_us"] = int(time.time() * 1_000_000)
    event["commit"]["rkey"] = rkey
    event["commit"]["record"]["text"] = text
    event["commit"]["record"]["facets"] = []
    return event


@pytest.mark.parametrize(
    "failure",
    ["http_500", "timeout", "malformed_json", "not_an_object", "profile_not_found"],
)
async def test_a_profile_that_cannot_be_read_never_holds_the_message_back(
    bluesky_feed, fake_appview, failure, caplog
):
    fake_appview.add_profile(DID, followers=999)
    if failure == "http_500":
        fake_appview.status = 500
    elif failure == "timeout":
        fake_appview.delay = 1.5
    elif failure == "malformed_json":
        fake_appview.body = b'{"handle": "lea.bsky.social", "followersCount": 9'
    elif failure == "not_an_object":
        fake_appview.body = b"[1, 2, 3]"
    else:
        fake_appview.profiles.clear()
    follower = await bluesky_follower(bluesky_feed, profile_timeout=0.3)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="questions.ingest"):
        await follower.on_frame(json.dumps(jetstream_event("Still a question? #SocialRoom")))
        # During the pause that follows a failure, the next message does not wait either.
        await follower.on_frame(
            json.dumps(jetstream_event("Me too #SocialRoom", did=OTHER_DID, rkey="3z"))
        )
    assert time.monotonic() - started < 1.2
    first, second = await run(questions)()
    assert first.text == "Still a question? #SocialRoom"
    assert first.author.followers_count is None
    assert first.author.followers_checked_at is None
    assert first.author.handle == DID
    assert second.author.followers_count is None
    assert fake_appview.requests == [DID]
    assert f"could not read the profile of {DID}" in caplog.text


@pytest.mark.parametrize("followers", [-5, 10**12, "1234", 12.5, True, None])
async def test_a_follower_count_that_is_not_a_sane_number_is_not_stored(
    bluesky_feed, fake_appview, followers
):
    fake_appview.add_profile(DID, handle="lea.bsky.social", followers=followers)
    follower = await bluesky_follower(bluesky_feed)
    await follower.on_frame(json.dumps(jetstream_event("How many? #SocialRoom")))
    (question,) = await run(questions)()
    assert question.author.followers_count is None
    assert question.author.handle == "@lea.bsky.social"  # the rest of the profile is used


async def test_a_hostile_profile_is_stored_as_plain_text(bluesky_feed, fake_appview):
    fake_appview.add_profile(
        DID, handle="<script>alert(1)</script>.bsky.social", display_name="<b>x</b>", followers=7
    )
    follower = await bluesky_follower(bluesky_feed)
    await follower.on_frame(json.dumps(jetstream_event("Who am I? #SocialRoom")))
    (question,) = await run(questions)()
    assert question.author_name == "x"
    assert question.author.display_name == "x"
    assert question.author.handle == DID  # a handle that is not a domain name is not used
    assert question.author.followers_count == 7


def test_an_appview_that_is_not_an_http_url_is_a_configuration_error(live_session):
    from questions.ingest.follower import FeedSpec

    spec = FeedSpec(
        id=1,
        kind="bluesky",
        session_id=live_session.pk,
        session_slug=live_session.slug,
        session_started_at=None,
        hashtags=("SocialRoom",),
        config={"appview": "wss://appview.example"},
        secret="",
        checkpoint="",
    )
    assert '"appview" must be an http:// or https:// URL' in BlueskyFollower(spec).config_error


def test_the_service_stores_a_count_within_bounds_and_keeps_it_when_unknown(live_session):
    from questions.services import AuthorInfo, question_submit
    from questions.services.submission import FOLLOWERS_CEILING

    def submit(n: int, followers) -> Author:
        author = AuthorInfo(platform="mastodon", external_id="acct-1", followers=followers)
        result = question_submit(
            session=live_session,
            text=f"Question {n}?",
            source="social:mastodon",
            author=author,
            external_id=f"m-{n}",
        )
        return Author.objects.get(pk=result.question.author_id)

    assert submit(1, 5_000_000_000).followers_count == FOLLOWERS_CEILING
    assert submit(2, -3).followers_count == 0
    kept = submit(3, 250)
    assert kept.followers_count == 250
    unknown = submit(4, None)
    assert unknown.followers_count == 250
    assert unknown.followers_checked_at == kept.followers_checked_at
