"""The report and trending endpoints: crew of the session's station only, the same 404 otherwise."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from questions.models import Question
from tests.factories import QuestionFactory
from tests.helpers import assert_error

ROUTES = ("session-report", "session-trending")


@pytest.mark.parametrize("name", ROUTES)
def test_the_routes_are_under_the_api(name):
    assert reverse(name, kwargs={"pk": 7}) == f"/api/sessions/7/{name.split('-')[1]}/"


def test_crew_read_the_report_of_their_session(api_as, report_session, viewer_a):
    response = api_as(viewer_a).get(reverse("session-report", kwargs={"pk": report_session.pk}))
    assert response.status_code == 200
    body = response.json()
    assert body["session"]["slug"] == "evening-debate"
    assert body["totals"]["questions"] == 10
    assert body["moderation"]["decision_seconds"] == {"count": 6, "median": 40.0, "p90": 110.0}
    assert [r["username"] for r in body["moderation"]["by_moderator"]] == [
        "mona",
        "nina",
        "",
        "alice",
    ]


def test_crew_read_the_trending_terms_of_their_live_session(api_as, session_a, host_a):
    for _ in range(2):
        question = QuestionFactory(session=session_a, text="Festival tickets", status="approved")
        Question.objects.filter(pk=question.pk).update(created_at=timezone.now())
    response = api_as(host_a).get(reverse("session-trending", kwargs={"pk": session_a.pk}))
    assert response.status_code == 200
    body = response.json()
    assert body["window_minutes"] == 10
    assert [(t["term"], t["count"]) for t in body["terms"]] == [("festival", 2), ("tickets", 2)]


@pytest.mark.parametrize("name", ROUTES)
def test_crew_of_another_station_get_the_same_404_as_for_a_missing_session(
    api_as, report_session, producer_b, name
):
    client = api_as(producer_b)
    other = client.get(reverse(name, kwargs={"pk": report_session.pk}))
    missing = client.get(reverse(name, kwargs={"pk": report_session.pk + 1000}))
    assert_error(other, 404, "not_found")
    assert_error(missing, 404, "not_found")
    assert other.json() == missing.json()
    assert "evening" not in other.content.decode().lower()


@pytest.mark.parametrize("name", ROUTES)
def test_an_anonymous_caller_gets_401(api, report_session, name):
    response = api.get(reverse(name, kwargs={"pk": report_session.pk}))
    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize("name", ROUTES)
def test_the_endpoints_only_read(api_as, report_session, producer_a, name):
    response = api_as(producer_a).post(reverse(name, kwargs={"pk": report_session.pk}))
    assert_error(response, 405, "method_not_allowed")
