"""The console's author reach and trending panel: what the page hands its script, what the crew
stream carries about followers, and what never leaves the crew."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch

from live.snapshots import audience_snapshot, console_snapshot, overlay_snapshot
from questions.models import QuestionStatus
from questions.shapes import air_question, public_question
from tests.factories import AuthorFactory, QuestionFactory
from tests.live.test_pages import Page, _client_for


def test_the_console_hands_its_script_the_sessions_trending_address(session_a, host_a):
    client = _client_for(host_a)
    page = Page(client.get("/studio/live-a/console/").content.decode())

    url = page.json_block("console-config")["trending_url"]
    assert url == f"/api/sessions/{session_a.pk}/trending/"
    assert page.by_id("trending") is not None
    assert page.by_id("trending-toggle")["aria-controls"] == "trending"
    # The address answers the crew member who has the page.
    response = client.get(url)
    assert response.status_code == 200
    assert response.json()["terms"] == []


def test_the_console_opens_without_the_panel_where_the_trending_route_is_missing(
    session_a, host_a, monkeypatch
):
    def missing(*args, **kwargs):
        raise NoReverseMatch("session-trending")

    monkeypatch.setattr("live.pages.reverse", missing)
    response = _client_for(host_a).get("/studio/live-a/console/")

    assert response.status_code == 200
    page = Page(response.content.decode())
    assert page.json_block("console-config")["trending_url"] is None
    assert page.by_id("trending") is None
    assert page.by_id("trending-toggle") is None
    assert page.by_id("queue") is not None


def test_the_console_speaks_french_about_followers_and_trends(session_a, producer_a):
    client = _client_for(producer_a, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    html = client.get("/studio/live-a/console/").content.decode()

    strings = Page(html).json_block("console-strings")
    assert strings["followers_one"] == "{n} abonné"
    assert strings["followers_other"] == "{n} abonnés"
    assert strings["trending_empty"] == "Pas encore de tendances"
    assert strings["trending_error"] == "Les tendances ne sont pas disponibles pour le moment."
    assert ">Tendances<" in html


@pytest.fixture
def reached_question(session_a):
    author = AuthorFactory(platform="mastodon", handle="@lea@mastodon.test", followers_count=48_213)
    return QuestionFactory(session=session_a, author=author, status=QuestionStatus.APPROVED)


def test_the_crew_stream_carries_the_authors_followers(session_a, reached_question):
    unknown = QuestionFactory(session=session_a, status=QuestionStatus.PENDING)
    questions = {q["id"]: q for q in console_snapshot(session_a)["data"]["questions"]}

    assert questions[reached_question.pk]["author_followers"] == 48_213
    assert questions[unknown.pk]["author_followers"] is None


def test_the_follower_count_never_reaches_the_audience_or_the_graphics(session_a, reached_question):
    shown = json.dumps(
        [
            audience_snapshot(session_a, voter=None),
            overlay_snapshot(session_a),
            public_question(reached_question),
            air_question(reached_question),
        ],
        default=str,
    )
    assert "followers" not in shown
    assert "48213" not in shown


def _snapshot_queries(session) -> int:
    with CaptureQueriesContext(connection) as queries:
        console_snapshot(session)
    return len(queries.captured_queries)


def test_the_follower_counts_cost_the_console_snapshot_no_query(session_a, reached_question):
    one_author = _snapshot_queries(session_a)
    for n in range(5):
        QuestionFactory(
            session=session_a,
            author=AuthorFactory(platform="bluesky", followers_count=n * 1000),
            status=QuestionStatus.PENDING,
        )
    assert _snapshot_queries(session_a) == one_author
