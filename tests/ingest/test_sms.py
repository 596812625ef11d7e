"""SMS through the Twilio-compatible webhook: signed as Twilio signs, stored once, masked."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from questions.identity import opaque_id
from questions.ingest.sms import country_code, mask_number
from questions.models import Author, IngestFeed, Question
from tests.helpers import assert_error
from tests.ingest.fakes import fixture, twilio_signature

pytestmark = pytest.mark.django_db

AUTH_TOKEN = "twilio-auth-token-0123456789abcdef"
NUMBER = "+33639980078"


@pytest.fixture
def sms_feed(session_a):
    return IngestFeed.objects.create(session=session_a, kind="sms", secret=AUTH_TOKEN)


@pytest.fixture
def send(client):
    """``send(feed, **overrides)``: Twilio's inbound-message POST, signed for the test server."""

    def send_(feed, *, signature=None, url=None, params=None, **overrides):
        params = dict(params or fixture("twilio_inbound_sms.json"), **overrides)
        path = f"/ingest/sms/{feed.token}/"
        if signature is None:
            signature = twilio_signature(AUTH_TOKEN, url or f"http://testserver{path}", params)
        return client.post(
            path,
            urlencode(params),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": signature} if signature else {},
        )

    return send_


def test_a_signed_sms_becomes_one_pending_question(send, sms_feed):
    response = send(sms_feed)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode().endswith("<Response></Response>")
    (question,) = Question.objects.filter(session=sms_feed.session)
    assert question.source == "sms"
    assert question.status == "pending"
    assert question.text.startswith("Madame la Ministre, que prévoyez-vous")
    assert question.external_id == "SM4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99"
    assert question.author_name == "+33 6•• •• •• 78"


def test_the_phone_number_is_stored_only_as_a_hash_and_shown_masked(send, sms_feed):
    send(sms_feed)

    author = Author.objects.get()
    assert author.platform == "sms"
    assert author.external_id == opaque_id(NUMBER, purpose="sms")
    assert author.display_name == author.handle == "+33 6•• •• •• 78"
    rows = [*Author.objects.values_list(), *Question.objects.values_list()]
    stored = " ".join(str(value) for row in rows for value in row)
    assert "639980078" not in stored.replace(" ", "")


def test_twilio_retrying_the_same_message_makes_no_second_question(send, sms_feed):
    assert send(sms_feed).status_code == 200
    assert send(sms_feed).status_code == 200

    assert Question.objects.count() == 1


def test_two_messages_from_one_phone_share_one_author(send, sms_feed):
    send(sms_feed)
    send(sms_feed, MessageSid="SM0000000000000000000000000000002", Body="Et pour Aya ?")

    assert Question.objects.count() == 2
    assert Author.objects.count() == 1


@pytest.mark.parametrize("signature", ["", "bm90IHRoZSBzaWduYXR1cmU="])
def test_a_missing_or_wrong_signature_is_refused(send, sms_feed, signature):
    response = send(sms_feed, signature=signature or "")

    assert_error(response, 403, "bad_signature")
    assert not Question.objects.exists()


def test_a_signature_made_with_another_auth_token_is_refused(client, sms_feed):
    params = fixture("twilio_inbound_sms.json")
    path = f"/ingest/sms/{sms_feed.token}/"
    response = client.post(
        path,
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={
            "X-Twilio-Signature": twilio_signature("other", f"http://testserver{path}", params)
        },
    )

    assert_error(response, 403, "bad_signature")


def test_a_body_changed_after_signing_is_refused(client, sms_feed):
    params = fixture("twilio_inbound_sms.json")
    path = f"/ingest/sms/{sms_feed.token}/"
    signature = twilio_signature(AUTH_TOKEN, f"http://testserver{path}", params)
    response = client.post(
        path,
        urlencode({**params, "Body": "Something else"}),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )

    assert_error(response, 403, "bad_signature")


def test_the_public_url_setting_is_what_the_signature_covers(send, sms_feed, settings):
    settings.INGEST_PUBLIC_BASE_URL = "https://studio.example.org/"
    public = f"https://studio.example.org/ingest/sms/{sms_feed.token}/"

    assert send(sms_feed, url=f"http://testserver/ingest/sms/{sms_feed.token}/").status_code == 403
    assert send(sms_feed, url=public).status_code == 200
    assert Question.objects.count() == 1


def test_a_feed_without_an_auth_token_accepts_nothing(send, sms_feed):
    sms_feed.secret = ""
    sms_feed.save()

    assert_error(send(sms_feed), 403, "bad_signature")


def test_unknown_disabled_or_other_kind_feeds_are_not_found(send, sms_feed, session_a):
    unknown = IngestFeed(token="no-such-token")
    assert_error(send(unknown), 404, "not_found")

    webhook = IngestFeed.objects.create(session=session_a, kind="webhook", secret=AUTH_TOKEN)
    assert_error(send(webhook), 404, "not_found")

    sms_feed.enabled = False
    sms_feed.save()
    assert_error(send(sms_feed), 404, "not_found")
    assert not Question.objects.exists()


@pytest.mark.parametrize("field", ["From", "Body", "MessageSid"])
def test_a_message_without_a_required_field_is_refused(send, sms_feed, field):
    params = fixture("twilio_inbound_sms.json")
    del params[field]

    error = assert_error(send(sms_feed, params=params), 400, "invalid")

    assert error["details"] == {field: "required"}


def test_a_picture_message_without_text_is_accepted_and_dropped(send, sms_feed):
    response = send(sms_feed, Body="", NumMedia="1")

    assert response.status_code == 200
    assert not Question.objects.exists()


def test_a_message_to_a_closed_session_is_answered_and_dropped(send, sms_feed):
    sms_feed.session.submissions_open = False
    sms_feed.session.save()

    assert send(sms_feed).status_code == 200
    assert not Question.objects.exists()


def test_only_post_is_accepted(client, sms_feed):
    response = client.get(f"/ingest/sms/{sms_feed.token}/")

    assert_error(response, 405, "method_not_allowed")


def test_a_body_over_the_upload_limit_is_refused(send, sms_feed, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000

    assert_error(send(sms_feed, Body="x" * 3000), 413, "too_large")


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+33639980078", "+33 6•• •• •• 78"),
        ("+33 6 39 98 00 78", "+33 6•• •• •• 78"),
        ("+447700900123", "+44 7• •• •• •• 23"),
        ("+12025550143", "+1 2• •• •• •• 43"),
        ("+2250700000091", "+225 0• •• •• •• 91"),
        ("+79161234567", "+7 9• •• •• •• 67"),
        ("36111", "••• 11"),
        ("Infos", "Infos"),
    ],
)
def test_numbers_are_masked_but_for_the_country_code_and_last_digits(number, masked):
    assert mask_number(number) == masked


@pytest.mark.parametrize(
    ("digits", "code"),
    [("33612", "33"), ("14155", "1"), ("79161", "7"), ("35312", "353"), ("22507", "225")],
)
def test_country_codes_are_one_to_three_digits(digits, code):
    assert country_code(digits) == code
