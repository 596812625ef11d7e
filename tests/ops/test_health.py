"""/healthz answers whenever the process does; /readyz checks every dependency and says which
one is down (docs/deployment.md, "Health")."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from channels.layers import get_channel_layer
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import OperationalError, connections
from django.utils import timezone
from health_check import checks as library_checks

from questions.models import FeedKind, IngestFeed
from socialroom import health
from tests.factories import LiveSessionFactory

pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = {"database", "channel_layer", "cache", "broker", "followers"}


def ready(client):
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


def test_liveness_answers_without_touching_any_dependency(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


def test_readiness_is_200_with_every_dependency_up(client):
    status, body = ready(client)
    assert status == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == CHECKS
    assert {check["status"] for check in body["checks"].values()} == {"ok"}


def test_the_broker_is_not_applicable_when_tasks_run_in_process(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    _, body = ready(client)
    assert body["checks"]["broker"]["status"] == "ok"
    assert "not applicable" in body["checks"]["broker"]["detail"]


class _BrokenConnection:
    """The default database, unreachable."""

    def __init__(self, real):
        self.ops = real.ops

    def temporary_connection(self):
        raise OperationalError("connection refused")


def test_readiness_is_503_naming_the_database_when_it_is_down(client, monkeypatch):
    broken = {"default": _BrokenConnection(connections["default"])}
    monkeypatch.setattr(library_checks, "connections", broken)

    status, body = ready(client)

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["status"] == "unavailable"
    assert body["checks"]["database"]["error"]
    assert body["checks"]["cache"]["status"] == "ok"


def test_readiness_is_503_naming_the_channel_layer_when_it_fails(client, monkeypatch):
    layer = get_channel_layer()

    async def send(channel, message):
        raise ConnectionError("layer down")

    monkeypatch.setattr(layer, "send", send)

    status, body = ready(client)

    assert status == 503
    assert body["checks"]["channel_layer"]["status"] == "unavailable"
    assert body["checks"]["database"]["status"] == "ok"


def test_a_channel_layer_that_loses_the_message_fails_within_the_timeout(
    client, monkeypatch, settings
):
    settings.HEALTH_TIMEOUT_SECONDS = 0.2
    layer = get_channel_layer()

    async def send(channel, message):
        pass  # accepted, never delivered

    monkeypatch.setattr(layer, "send", send)

    status, body = ready(client)

    assert status == 503
    assert body["checks"]["channel_layer"]["status"] == "unavailable"
    assert body["checks"]["channel_layer"]["seconds"] < 2


def test_readiness_is_503_naming_the_cache_when_it_fails(client, monkeypatch):
    async def aset(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(caches["default"], "aset", aset)

    status, body = ready(client)

    assert status == 503
    assert body["checks"]["cache"]["status"] == "unavailable"
    assert body["checks"]["channel_layer"]["status"] == "ok"


def test_readiness_is_503_naming_the_broker_when_redis_does_not_answer(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    status, body = ready(client)

    assert status == 503
    assert body["checks"]["broker"]["status"] == "unavailable"
    assert "127.0.0.1" not in json.dumps(body)


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="Redis is not configured")
def test_the_broker_answers_a_ping_when_it_is_redis(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = settings.REDIS_URL

    status, body = ready(client)

    assert status == 200, body
    assert body["checks"]["broker"] == {
        "status": "ok",
        "seconds": body["checks"]["broker"]["seconds"],
    }


def test_an_answer_is_kept_for_a_moment_and_no_longer(client, settings, monkeypatch):
    settings.HEALTH_CACHE_SECONDS = 60
    assert ready(client)[0] == 200
    broken = {"default": _BrokenConnection(connections["default"])}
    monkeypatch.setattr(library_checks, "connections", broken)

    assert ready(client)[0] == 200  # the answer of a moment ago

    health.recent.until = 0.0  # the moment has passed
    assert ready(client)[0] == 503


def _feed(session, **fields):
    return IngestFeed.objects.create(
        session=session,
        kind=fields.pop("kind", FeedKind.MASTODON),
        config={"instance": "https://mastodon.example"},
        secret="feed-secret-value",
        **fields,
    )


def _error_at(moment: datetime, problem: str) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC: {problem}"


def test_a_follower_failing_since_its_last_message_makes_readiness_degraded(client, station_a):
    session = LiveSessionFactory(station=station_a, status="live", started_at=timezone.now())
    now = timezone.now()
    healthy = _feed(session, last_message_at=now)
    failing = _feed(
        session,
        kind=FeedKind.BLUESKY,
        last_message_at=now - timedelta(minutes=5),
        last_error=_error_at(now - timedelta(minutes=1), "ConnectError: token=hunter2"),
    )

    status, body = ready(client)

    assert status == 200  # degraded, not down: see socialroom/health.py
    assert body["status"] == "degraded"
    followers = body["checks"]["followers"]
    assert followers["status"] == "degraded"
    feeds = {feed["id"]: feed for feed in followers["feeds"]}
    assert feeds[healthy.pk]["failing"] is False
    assert feeds[failing.pk]["failing"] is True
    assert feeds[failing.pk]["kind"] == "bluesky"
    assert feeds[failing.pk]["last_error_at"].startswith(f"{now - timedelta(minutes=1):%Y-%m-%d}")
    assert feeds[failing.pk]["last_message_at"] is not None
    text = json.dumps(body)
    assert "hunter2" not in text and "feed-secret-value" not in text
    assert "mastodon.example" not in text and session.slug not in text


def test_an_error_older_than_the_last_message_is_not_reported(client, station_a):
    session = LiveSessionFactory(station=station_a, status="live", started_at=timezone.now())
    now = timezone.now()
    _feed(
        session,
        last_message_at=now,
        last_error=_error_at(now - timedelta(minutes=3), "a blip"),
    )

    status, body = ready(client)

    assert status == 200
    assert body["checks"]["followers"]["status"] == "ok"


def test_a_follower_silent_too_long_in_a_live_session_is_reported(client, station_a, settings):
    settings.FOLLOWER_SILENCE_SECONDS = 600
    started = timezone.now() - timedelta(hours=1)
    live = LiveSessionFactory(station=station_a, status="live", started_at=started)
    ended = LiveSessionFactory(station=station_a, status="ended", started_at=started)
    silent = _feed(live, last_message_at=timezone.now() - timedelta(minutes=20))
    _feed(ended, last_message_at=timezone.now() - timedelta(hours=2))

    status, body = ready(client)

    assert status == 200
    feeds = body["checks"]["followers"]["feeds"]
    assert [(feed["id"], feed["silent"]) for feed in feeds] == [(silent.pk, True)]
    assert body["checks"]["followers"]["status"] == "degraded"

    settings.FOLLOWER_SILENCE_SECONDS = 0  # no bound
    assert ready(client)[1]["checks"]["followers"]["status"] == "ok"
