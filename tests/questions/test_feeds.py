"""A followed feed's state as its services store it, and the feeds the follower process reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from questions import selectors
from questions.models import FeedKind, IngestFeed
from questions.services import feed_record_error, feed_record_message, feed_save_checkpoint
from tests.factories import LiveSessionFactory

pytestmark = pytest.mark.django_db

EARLIER = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def feed(session_a):
    return IngestFeed.objects.create(
        session=session_a,
        kind=FeedKind.MASTODON,
        checkpoint="100",
        last_error="old problem",
        last_message_at=EARLIER,
    )


def test_recording_a_message_moves_the_checkpoint_and_notes_its_time(feed):
    before = timezone.now()
    feed_record_message(feed_id=feed.pk, checkpoint="120")
    feed.refresh_from_db()
    assert feed.checkpoint == "120"
    assert feed.last_message_at is not None
    assert before <= feed.last_message_at <= timezone.now()
    assert feed.last_error == "old problem"


def test_saving_a_checkpoint_changes_nothing_else(feed):
    feed_save_checkpoint(feed_id=feed.pk, checkpoint="130")
    feed.refresh_from_db()
    assert feed.checkpoint == "130"
    assert feed.last_message_at == EARLIER
    assert feed.last_error == "old problem"


def test_an_error_is_stored_cut_to_the_field_and_cleared_with_nothing(feed):
    feed_record_error(feed_id=feed.pk, error="x" * 600)
    feed.refresh_from_db()
    assert feed.last_error == "x" * 500
    assert feed.checkpoint == "100"

    feed_record_error(feed_id=feed.pk, error="")
    feed.refresh_from_db()
    assert feed.last_error == ""


def test_a_deleted_feed_is_left_alone(feed):
    feed_id = feed.pk
    feed.delete()
    feed_record_message(feed_id=feed_id, checkpoint="1")
    feed_save_checkpoint(feed_id=feed_id, checkpoint="1")
    feed_record_error(feed_id=feed_id, error="gone")
    assert not IngestFeed.objects.filter(pk=feed_id).exists()


def test_live_feeds_are_the_enabled_feeds_of_these_kinds_in_live_sessions(
    session_a, station_a, django_assert_num_queries
):
    wanted = IngestFeed.objects.create(session=session_a, kind=FeedKind.MASTODON)
    IngestFeed.objects.create(session=session_a, kind=FeedKind.BLUESKY, enabled=False)
    IngestFeed.objects.create(session=session_a, kind=FeedKind.SMS)
    draft = LiveSessionFactory(station=station_a, status="draft")
    IngestFeed.objects.create(session=draft, kind=FeedKind.MASTODON)
    other = LiveSessionFactory(station=station_a, status="live")
    elsewhere = IngestFeed.objects.create(session=other, kind=FeedKind.BLUESKY)
    kinds = (FeedKind.MASTODON, FeedKind.BLUESKY)

    with django_assert_num_queries(1):
        feeds = selectors.live_feeds(kinds=kinds)
        slugs = {feed.pk: feed.session.slug for feed in feeds}
    assert slugs == {wanted.pk: session_a.slug, elsewhere.pk: other.slug}
    only = selectors.live_feeds(kinds=kinds, session_slug=other.slug)
    assert [feed.pk for feed in only] == [elsewhere.pk]
