"""The vote throttles on the event loop: DRF's keys, rates and histories, without blocking."""

from __future__ import annotations

import asyncio

import pytest
from django.conf import settings
from django.test import RequestFactory, override_settings
from rest_framework.request import Request

from questions import async_throttles
from questions.throttles import VoteIpThrottle, VoteVoterThrottle, counters

TOKEN = "throttle-voter-token-0123"


def _rates(**rates):
    current = settings.REST_FRAMEWORK
    return override_settings(
        REST_FRAMEWORK={
            **current,
            "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **rates},
        }
    )


def _request(token: str = TOKEN, ip: str = "203.0.113.9") -> Request:
    return Request(RequestFactory().post("/vote/", HTTP_X_VOTER_TOKEN=token, REMOTE_ADDR=ip))


async def _check(token: str = TOKEN, ip: str = "203.0.113.9"):
    throttles = [VoteVoterThrottle(), VoteIpThrottle()]
    return await async_throttles.refusing_throttle(_request(token, ip), throttles)


async def test_votes_arriving_together_from_one_voter_get_exactly_the_rate():
    with _rates(vote_voter="5/min", vote_ip="1000/min"):
        outcomes = await asyncio.gather(*(_check() for _ in range(12)))

    refused = [t for t in outcomes if t is not None]
    assert len(refused) == 7
    assert all(isinstance(t, VoteVoterThrottle) for t in refused)
    assert all(0 < t.wait() <= 60 for t in refused)


async def test_a_refusal_by_the_ip_throttle_names_it_and_tells_when_to_retry():
    with _rates(vote_voter="100/min", vote_ip="2/min"):
        outcomes = [await _check(f"voter-token-number-{n:05d}") for n in range(3)]

    assert outcomes[:2] == [None, None]
    assert isinstance(outcomes[2], VoteIpThrottle)
    assert 20 <= outcomes[2].wait() <= 60


async def test_the_counts_are_the_ones_drfs_throttles_keep():
    with _rates(vote_voter="3/min", vote_ip="1000/min"):
        assert [await _check() for _ in range(2)] == [None, None]
        # The synchronous throttle reads the same key and history, and counts on from there.
        sync = VoteVoterThrottle()
        assert sync.allow_request(_request(), None)
        assert not sync.allow_request(_request(), None)
        assert len(counters.get(sync.key, [])) == 3


@pytest.mark.skipif(not settings.REDIS_URL, reason="Redis is not configured")
async def test_without_redis_the_votes_are_throttled_in_the_process(caplog):
    unreachable = {
        **settings.CACHES["default"],
        "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
    }
    with (
        override_settings(CACHES={"default": unreachable}),
        _rates(vote_voter="2/min", vote_ip="1000/min"),
    ):
        outcomes = [await _check("fallback-voter-token-01") for _ in range(3)]

    assert outcomes[:2] == [None, None]
    assert isinstance(outcomes[2], VoteVoterThrottle)
    assert "fall back to this process" in caplog.text
