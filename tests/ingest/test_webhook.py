"""The signed JSON webhook: HMAC-SHA256 of the body (optionally timestamped), one question."""

from __future__ import annotations

import json
import time

import pytest

from questions.identity import opaque_id
from questions.ingest import webhook as webhook_source
from questions.models import Author, IngestFeed, Question
from tests.helpers import assert_error
from tests.ingest.fakes import fixture, webhook_signature

pytestmark = pytest.mark.django_db

SECRET = "whsec-0123456789abcdef0123456789abcdef"
# docs/sources.md: secret "s3cret", timestamp 1700000000, its example body.
DOC_EXAMPLE_SIGNATURE = "ea539b61d66d36ce2168248f30421db18d8ef6d7468224c46cf4616fa99e2b8d"


@pytest.fixture
def feed(session_a):
    return IngestFeed.objects.create(session=session_a, kind="webhook", secret=SECRET)


@pytest.fixture
def send(client):
    """``send(feed, message_or_bytes, ...)``: a POST signed as the docs tell senders to sign."""

    def send_(feed, message=None, *, secret=SECRET, timestamp=None, signature=None, headers=None):
        if message is None:
            message = fixture("webhook_message.json")
        body = message if isinstance(message, bytes) else json.dumps(message).encode()
        all_headers = dict(headers or {})
        if timestamp is not None:
            all_headers["X-Socialroom-Timestamp"] = str(timestamp)
        if signature is None:
            signature = webhook_signature(secret, body, timestamp)
        if signature:
            all_headers["X-Socialroom-Signature"] = signature
        return client.post(
            f"/ingest/webhook/{feed.token}/",
            body,
            content_type="application/json",
            headers=all_headers,
        )

    return send_


def test_a_signed_message_is_accepted_and_becomes_one_question(send, feed):
    response = send(feed)

    assert response.status_code == 202
    assert response.json() == {"accepted": True}
    (question,) = Question.objects.filter(session=feed.session)
    assert question.text == "Aya, tu reviens quand à Lyon ?"
    assert question.source == "social:instagram"
    assert question.external_id == "ig-17986543210987654"
    assert question.author_name == "Nina R."
    assert question.author.platform == "instagram"
    assert question.author.handle == "@nina.r"
    # The sender's account id is kept only as a keyed hash.
    assert question.author.external_id == opaque_id(
        "instagram:17841400000000001", purpose="webhook"
    )


def test_the_same_message_sent_again_changes_nothing(send, feed):
    assert send(feed).status_code == 202
    assert send(feed).status_code == 202

    assert Question.objects.count() == 1
    assert Author.objects.count() == 1


def test_without_a_network_the_source_is_social_webhook(send, feed):
    message = {"id": 42, "text": "Claire Morel, quel budget pour 2026 ?", "author": {"id": 7}}

    assert send(feed, message).status_code == 202

    question = Question.objects.get()
    assert (question.source, question.external_id) == ("social:webhook", "42")
    assert question.author.platform == "webhook"


def test_a_fresh_timestamped_signature_is_accepted(send, feed):
    assert send(feed, timestamp=int(time.time()) - 60).status_code == 202
    assert Question.objects.count() == 1


def test_a_timestamp_older_than_five_minutes_is_refused(send, feed):
    error = assert_error(send(feed, timestamp=int(time.time()) - 301), 403, "stale_timestamp")

    assert error["details"]["age_seconds"] >= 301
    assert not Question.objects.exists()


def test_a_timestamp_is_part_of_what_is_signed(send, feed):
    body = json.dumps(fixture("webhook_message.json")).encode()
    # Signed without the timestamp, sent with one: a replayed body with a fresh time.
    response = send(
        feed,
        body,
        signature=webhook_signature(SECRET, body),
        headers={"X-Socialroom-Timestamp": str(int(time.time()))},
    )

    assert_error(response, 403, "bad_signature")


def test_a_timestamp_that_is_not_a_number_is_refused(send, feed):
    assert_error(send(feed, timestamp="yesterday"), 403, "bad_timestamp")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"signature": ""}, "missing_signature"),
        ({"secret": "another-secret"}, "bad_signature"),
        ({"signature": "sha1=0123456789abcdef"}, "bad_signature"),
        ({"signature": "sha256=" + "0" * 64}, "bad_signature"),
    ],
)
def test_a_missing_or_wrong_signature_is_refused(send, feed, kwargs, code):
    assert_error(send(feed, **kwargs), 403, code)
    assert not Question.objects.exists()


def test_a_feed_without_a_secret_accepts_nothing(send, feed):
    feed.secret = ""
    feed.save()

    assert_error(send(feed, secret=""), 403, "not_configured")


def test_invalid_messages_are_refused_with_every_reason(send, feed):
    message = {"id": "", "text": "  ", "network": "Not A Network!", "author": {"name": 12}}

    error = assert_error(send(feed, message), 400, "invalid")

    assert set(error["details"]) == {"id", "text", "network", "author.id", "author.name"}
    assert not Question.objects.exists()


def test_a_message_without_an_author_is_refused(send, feed):
    error = assert_error(send(feed, {"id": "1", "text": "Hello?"}), 400, "invalid")

    assert set(error["details"]) == {"author"}


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_refused(send, feed, body):
    assert_error(send(feed, body), 400, "malformed")


def test_a_body_over_the_upload_limit_is_refused(send, feed, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    message = {**fixture("webhook_message.json"), "text": "x" * 2000}

    assert_error(send(feed, message), 413, "too_large")


def test_a_message_to_a_closed_session_is_refused(send, feed):
    feed.session.submissions_open = False
    feed.session.save()

    assert_error(send(feed), 409, "session_closed")


def test_unknown_disabled_or_other_kind_feeds_are_not_found(send, feed, session_a):
    sms = IngestFeed.objects.create(session=session_a, kind="sms", secret=SECRET)
    assert_error(send(sms), 404, "not_found")
    feed.enabled = False
    feed.save()
    assert_error(send(feed), 404, "not_found")
    assert not Question.objects.exists()


def test_the_documented_signature_examples_agree():
    body = b'{"id":"m-1","text":"Hello?","author":{"id":"u-1"}}'

    assert webhook_source.sign("s3cret", body) == webhook_signature("s3cret", body)
    assert webhook_source.sign("s3cret", body, 1700000000) == webhook_signature(
        "s3cret", body, 1700000000
    )
    # The value the examples in docs/sources.md print.
    assert webhook_source.sign("s3cret", body, 1700000000) == ("sha256=" + DOC_EXAMPLE_SIGNATURE)
