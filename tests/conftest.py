"""The cast every test can use: crew of station A and station B, and the audience."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from studio.models import Role
from tests.factories import (
    GuestFactory,
    LiveSessionFactory,
    MembershipFactory,
    QuestionFactory,
    StationFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _default_language():
    # A request in French (the test client runs it in this thread) leaves French active here:
    # every test starts and ends in the default language.
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters live in the cache: every test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def station_a(db):
    return StationFactory(name="Radio A", slug="radio-a")


@pytest.fixture
def station_b(db):
    return StationFactory(name="Radio B", slug="radio-b")


def _crew(station, role, username):
    user = UserFactory(username=username)
    MembershipFactory(station=station, user=user, role=role)
    return user


@pytest.fixture
def producer_a(station_a):
    return _crew(station_a, Role.PRODUCER, "alice")


@pytest.fixture
def moderator_a(station_a):
    return _crew(station_a, Role.MODERATOR, "mona")


@pytest.fixture
def host_a(station_a):
    return _crew(station_a, Role.HOST, "hugo")


@pytest.fixture
def viewer_a(station_a):
    return _crew(station_a, Role.VIEWER, "victor")


@pytest.fixture
def producer_b(station_b):
    return _crew(station_b, Role.PRODUCER, "bob")


@pytest.fixture
def session_a(station_a, producer_a):
    """A live, pre-moderated session of station A with one guest."""
    session = LiveSessionFactory(station=station_a, title="Live A", slug="live-a", status="live")
    GuestFactory(session=session, name="Aya Lune", order=0)
    return session


@pytest.fixture
def session_b(station_b, producer_b):
    return LiveSessionFactory(station=station_b, title="Live B", slug="live-b", status="live")


@pytest.fixture
def pending_question(session_a):
    return QuestionFactory(session=session_a, text="Pending question?", status="pending")


@pytest.fixture
def approved_question(session_a):
    return QuestionFactory(session=session_a, text="Approved question?", status="approved")


@pytest.fixture
def api():
    """An anonymous API client (the audience)."""
    return APIClient()


@pytest.fixture
def api_as():
    """``api_as(user)`` gives a client logged in as that user (token auth)."""

    def make(user):
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail("REQUIRE_POSTGRES is set but the tests are not running on PostgreSQL")
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
