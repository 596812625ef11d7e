"""Requests no client should send still get an answer in the error shape, never a 500."""

from __future__ import annotations

import json
import time

import pytest
from asgiref.sync import async_to_sync
from django.test import Client, RequestFactory

from questions.ingest import webhook as webhook_source
from questions.models import IngestFeed
from questions.public_apis import PublicVoteApi
from tests.helpers import assert_error
from tests.ingest.fakes import twilio_signature, webhook_signature

pytestmark = pytest.mark.django_db

SECRET = "whsec-0123456789abcdef0123456789abcdef"
MESSAGE = json.dumps({"id": "m-1", "text": "Quand revient la tournée ?", "author": {"id": 7}})


@pytest.fixture
def client():
    # A crash answers the 500 page here instead of raising into the test.
    return Client(raise_request_exception=False)


def _vote_url(question) -> str:
    return f"/api/public/sessions/live-a/questions/{question.pk}/vote/"


# The vote route -------------------------------------------------------------------------------


def test_options_on_the_vote_route_says_what_it_accepts(client, session_a, approved_question):
    response = client.options(_vote_url(approved_question))

    assert response.status_code == 200
    allowed = {m.strip() for m in response["Allow"].split(",")}
    assert {"POST", "DELETE", "OPTIONS"} <= allowed
    assert response.json()["name"]


@pytest.mark.parametrize("method", ["head", "get", "put", "patch"])
def test_other_methods_on_the_vote_route_are_not_allowed(
    client, session_a, approved_question, method
):
    response = getattr(client, method)(_vote_url(approved_question))

    assert response.status_code == 405
    if method != "head":
        assert_error(response, 405, "method_not_allowed")
    assert approved_question.votes.count() == 0


def test_the_documented_vote_view_votes_through_the_same_writer(session_a, approved_question):
    # The documented view is the routed one: an async view, its handlers the ones in the schema.
    view = async_to_sync(PublicVoteApi.as_view())
    factory = RequestFactory()
    headers = {"X-Voter-Token": "audience-token-0123456789abcdef"}

    voted = view(factory.post("/", headers=headers), slug="live-a", pk=approved_question.pk)
    again = view(factory.post("/", headers=headers), slug="live-a", pk=approved_question.pk)
    too_big = view(factory.delete("/", headers=headers), slug="live-a", pk=2**63)

    assert json.loads(voted.content) == {
        "question": approved_question.pk,
        "vote_count": 1,
        "voted": True,
    }
    assert (again.status_code, json.loads(again.content)["error"]["code"]) == (
        409,
        "already_voted",
    )
    assert (too_big.status_code, json.loads(too_big.content)["error"]["code"]) == (400, "invalid")


def test_the_schema_documents_the_vote_and_its_withdrawal_with_their_bodies(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    vote = schema["paths"]["/api/public/sessions/{slug}/questions/{id}/vote/"]
    for method in ("post", "delete"):
        responses = vote[method]["responses"]
        assert responses["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/VoteOutput"
        }
        assert {"400", "404", "409", "429", "503"} <= set(responses)
    assert set(schema["components"]["schemas"]["VoteOutput"]["properties"]) == {
        "question",
        "vote_count",
        "voted",
    }


# The audience page ----------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["0", "short", "x" * 129, "not a token!"])
def test_the_audience_page_is_served_whatever_voter_token_header_comes_with_it(
    client, session_a, token
):
    response = client.get("/s/live-a/", headers={"X-Voter-Token": token})

    assert response.status_code == 200
    assert "Live A" in response.content.decode()


# The signed JSON webhook's timestamp ------------------------------------------------------


@pytest.fixture
def webhook_feed(session_a):
    return IngestFeed.objects.create(session=session_a, kind="webhook", secret=SECRET)


def _send(client, feed, timestamp: str, *, signed: bool = True):
    body = MESSAGE.encode()
    headers = {"X-Socialroom-Timestamp": timestamp}
    if signed:
        headers["X-Socialroom-Signature"] = webhook_signature(SECRET, body, timestamp)
    else:
        headers["X-Socialroom-Signature"] = "sha256=" + "0" * 64
    return client.post(
        f"/ingest/webhook/{feed.token}/", body, content_type="application/json", headers=headers
    )


@pytest.mark.parametrize(
    "timestamp",
    [
        "99999999999999999999999",
        "9" * 400,  # beyond any float
        str(int(time.time() * 1000)),  # milliseconds, not seconds
        "²",  # a digit to str.isdigit(), not to int()
        " 17000 00000",
        "-1700000000",
        "1700000000.5",
        "1e9",
        "",
    ],
)
@pytest.mark.parametrize("signed", [True, False])
def test_a_timestamp_that_is_not_unix_seconds_is_a_bad_timestamp(
    client, webhook_feed, timestamp, signed
):
    response = _send(client, webhook_feed, timestamp, signed=signed)

    error = assert_error(response, 403, "bad_timestamp")
    digits = webhook_source.MAX_TIMESTAMP_DIGITS
    assert error["details"] == {"timestamp": f"1 to {digits} digits 0-9, the seconds since 1970"}
    assert not webhook_feed.session.questions.exists()


def test_a_fresh_timestamp_with_a_leading_zero_is_accepted_as_signed(client, webhook_feed):
    response = _send(client, webhook_feed, f"0{int(time.time())}")

    assert response.status_code == 202
    assert webhook_feed.session.questions.count() == 1


# The SMS webhook --------------------------------------------------------------------------


@pytest.fixture
def sms_feed(session_a):
    return IngestFeed.objects.create(session=session_a, kind="sms", secret="twilio-auth-token")


@pytest.mark.parametrize("host", ["localhost:99999", "localhost:0x50", "localhost:65536"])
def test_an_sms_to_a_host_with_an_impossible_port_is_refused_not_a_crash(client, sms_feed, host):
    params = {"From": "+33612345678", "Body": "Bonjour ?", "MessageSid": "SM1"}
    url = f"http://{host}/ingest/sms/{sms_feed.token}/"

    response = client.post(
        f"/ingest/sms/{sms_feed.token}/",
        params,
        headers={
            "Host": host,
            "X-Twilio-Signature": twilio_signature("twilio-auth-token", url, params),
        },
    )

    assert response.status_code in (400, 403)
    assert not sms_feed.session.questions.exists()


def test_an_sms_with_a_huge_signature_is_refused(client, sms_feed):
    params = {"From": "+33612345678", "Body": "Bonjour ?", "MessageSid": "SM1"}

    response = client.post(
        f"/ingest/sms/{sms_feed.token}/", params, headers={"X-Twilio-Signature": "A" * 100_000}
    )

    assert_error(response, 403, "bad_signature")
