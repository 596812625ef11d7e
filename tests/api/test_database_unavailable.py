"""The database unreachable: the API, pages and feeds answer 503 ``unavailable``, never a 500.

(tests/resilience/test_postgres_outage.py takes a real PostgreSQL away from a real server.)
"""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from live import audience_page as pages
from live import feeds
from questions import public_apis

MIDDLEWARE = "socialroom.middleware.DatabaseUnavailableMiddleware"


@pytest.fixture(autouse=True)
def _middleware(settings):
    # Installed with PostgreSQL only (settings.py): a SQLite file is never unreachable.
    if MIDDLEWARE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]


def unreachable(*args, **kwargs):
    raise OperationalError("connection failed: Connection refused")


def assert_unavailable(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "unavailable"
    assert "connection" not in error["message"].lower()  # said for a person, not the driver's text


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_the_api_answers_503_unavailable(api, session_a, monkeypatch, error):
    def down(*args, **kwargs):
        raise error("connection already closed")

    monkeypatch.setattr(public_apis, "public_session", down)

    assert_unavailable(api.get("/api/public/sessions/live-a/"))
    assert_unavailable(api.post("/api/public/sessions/live-a/questions/", {"text": "Hi?"}))


def test_the_audience_page_answers_503_unavailable(session_a, monkeypatch):
    monkeypatch.setattr(pages, "public_session", unreachable)

    assert_unavailable(Client().get("/s/live-a/"))


def test_a_graphics_feed_answers_503_unavailable(session_a, monkeypatch):
    monkeypatch.setattr(feeds, "session_for_overlay_key", unreachable)

    assert_unavailable(Client().get(f"/feeds/live-a/on-air.json?key={session_a.overlay_key}"))


def test_other_errors_are_left_to_the_usual_handling(session_a, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(pages, "public_session", broken)

    with pytest.raises(RuntimeError):
        Client().get("/s/live-a/")
