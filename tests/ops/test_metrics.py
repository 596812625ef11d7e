"""/metrics: what the studio did, in Prometheus' text format, for the monitoring system only
(docs/deployment.md, "Metrics")."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from prometheus_client import REGISTRY

from questions.ingest.base import IncomingMessage, ingest
from questions.ingest.follower import FeedSpec, FollowerBase
from questions.models import FeedKind, IngestFeed
from questions.services import session_take_on_air
from tests.realtime.sockets import run
from tests.realtime.test_socket_votes import ANNA, approved, voter_socket

pytestmark = pytest.mark.django_db(transaction=True)


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(**extra) -> tuple[int, str]:
    response = Client().get("/metrics", **extra)
    return response.status_code, response.content.decode()


async def test_a_vote_and_a_socket_are_counted(audience, session_a):
    before = {
        "acked": value("socialroom_votes_acknowledged_total"),
        "refused": value("socialroom_votes_refused_total", code="already_voted"),
        "batches": value("socialroom_vote_batch_size_count"),
        "commits": value("socialroom_vote_batch_commit_seconds_count"),
        "opened": value("socialroom_socket_connections_opened_total", kind="audience"),
        "closed": value("socialroom_socket_connections_closed_total", kind="audience"),
        "open": value("socialroom_sockets_open", kind="audience"),
    }
    question = await run(approved)(session_a)
    socket = await voter_socket(audience, ANNA)
    assert value("socialroom_sockets_open", kind="audience") == before["open"] + 1

    await socket.command("vote", {"question": question.pk}, id="v1")
    await socket.until("ack")
    await socket.command("vote", {"question": question.pk}, id="v2")
    assert (await socket.error())["code"] == "already_voted"
    await socket.close()
    await asyncio.sleep(0.05)  # the app's cleanup after the disconnect

    assert value("socialroom_votes_acknowledged_total") == before["acked"] + 1
    refused = value("socialroom_votes_refused_total", code="already_voted")
    assert refused == before["refused"] + 1
    assert value("socialroom_vote_batch_size_count") == before["batches"] + 2
    assert value("socialroom_vote_batch_commit_seconds_count") == before["commits"] + 2
    opened = value("socialroom_socket_connections_opened_total", kind="audience")
    assert opened == before["opened"] + 1
    closed = value("socialroom_socket_connections_closed_total", kind="audience")
    assert closed == before["closed"] + 1
    assert value("socialroom_sockets_open", kind="audience") == before["open"]

    status, text = await sync_to_async(scrape)()
    assert status == 200
    for name in (
        "socialroom_votes_acknowledged_total",
        'socialroom_votes_refused_total{code="already_voted"}',
        "socialroom_vote_batch_size_bucket",
        "socialroom_vote_batch_commit_seconds_bucket",
        'socialroom_socket_connections_opened_total{kind="audience"}',
        'socialroom_socket_connections_closed_total{kind="audience"}',
        'socialroom_sockets_open{kind="audience"}',
    ):
        assert name in text, name


async def test_a_console_socket_is_counted_while_open(console, producer_a, session_a):
    before = value("socialroom_sockets_open", kind="console")
    socket = await console(producer_a)
    await socket.snapshot()
    assert value("socialroom_sockets_open", kind="console") == before + 1
    await socket.close()
    await asyncio.sleep(0.05)
    assert value("socialroom_sockets_open", kind="console") == before


async def test_a_refused_console_socket_is_not_counted(console, session_a):
    before = value("socialroom_socket_connections_opened_total", kind="console")
    socket = await console(None)  # not logged in: told why, then closed
    await socket.error()
    assert value("socialroom_socket_connections_opened_total", kind="console") == before


def test_a_take_measures_its_send_time_and_the_event_stream_lag(host_a, session_a):
    from questions.models import Question

    question = Question.objects.create(session=session_a, text="On air?", status="approved")
    before = {
        "take": value("socialroom_take_to_send_seconds_count"),
        "overlay": value("socialroom_event_send_lag_seconds_count", stream="overlay"),
        "crew": value("socialroom_event_send_lag_seconds_count", stream="crew"),
    }

    session_take_on_air(actor=host_a, session=session_a, question=question)

    assert value("socialroom_take_to_send_seconds_count") == before["take"] + 1
    lag = value("socialroom_event_send_lag_seconds_count", stream="overlay")
    assert lag == before["overlay"] + 1
    assert value("socialroom_event_send_lag_seconds_count", stream="crew") > before["crew"]
    status, text = scrape()
    assert status == 200
    assert "socialroom_take_to_send_seconds_bucket" in text
    assert 'socialroom_event_send_lag_seconds_bucket{le="0.001",stream="overlay"}' in text


def test_ingested_messages_are_counted_by_source(session_a):
    before = value("socialroom_ingest_messages_total", source="sms")
    message = IncomingMessage(
        source="sms", external_id="m-1", text="Hello?", author_platform="sms", author_id="x1"
    )
    ingest(session_a, message)
    assert value("socialroom_ingest_messages_total", source="sms") == before + 1
    assert 'socialroom_ingest_messages_total{source="sms"}' in scrape()[1]


async def test_follower_errors_are_counted_by_kind(session_a):
    feed = await run(IngestFeed.objects.create)(
        session=session_a, kind=FeedKind.MASTODON, config={"instance": "https://m.example"}
    )
    spec = await run(FeedSpec.of)(
        await run(IngestFeed.objects.select_related("session").get)(pk=feed.pk)
    )
    before = value("socialroom_follower_errors_total", kind="mastodon")
    follower = FollowerBase(spec)
    await follower.failed(ConnectionError("stream broke"))
    await follower.failed(ConnectionError("stream broke"))  # the same problem again counts
    assert value("socialroom_follower_errors_total", kind="mastodon") == before + 2


def test_http_requests_are_counted_by_method_and_status_class(client):
    before = value("socialroom_http_requests_total", method="GET", status="2xx")
    missing = value("socialroom_http_requests_total", method="GET", status="4xx")
    client.get("/healthz")
    client.get("/api/no-such-thing/")
    assert value("socialroom_http_requests_total", method="GET", status="2xx") == before + 1
    assert value("socialroom_http_requests_total", method="GET", status="4xx") == missing + 1
    assert 'socialroom_http_requests_total{method="GET",status="2xx"}' in scrape()[1]


def test_metrics_are_refused_to_an_address_not_allowed():
    status, text = scrape(REMOTE_ADDR="203.0.113.7")
    assert status == 403
    assert "socialroom_" not in text


def test_a_request_through_a_proxy_is_not_taken_for_a_local_one(settings):
    settings.NUM_PROXIES = 0
    assert scrape(HTTP_X_FORWARDED_FOR="203.0.113.7")[0] == 403
    settings.NUM_PROXIES = 1
    assert scrape(HTTP_X_FORWARDED_FOR="203.0.113.7")[0] == 403
    assert scrape(HTTP_X_FORWARDED_FOR="127.0.0.1")[0] == 200


def test_allowed_networks_and_the_bearer_token_open_the_page(settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert scrape(REMOTE_ADDR="10.1.2.3")[0] == 200
    assert scrape(REMOTE_ADDR="127.0.0.1")[0] == 403
    settings.METRICS_TOKEN = "s3cret-token"
    assert scrape(REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer s3cret-token")[0] == 200
    assert scrape(REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer wrong")[0] == 403
