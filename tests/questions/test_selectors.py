"""The lists the crew and the audience poll stay at a fixed number of queries, however long."""

from __future__ import annotations

import pytest
from django.urls import reverse

from questions import selectors
from questions.identity import voter_id
from questions.models import Vote
from tests.factories import GuestFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def _fill(session, n, status="approved"):
    guest = GuestFactory(session=session)
    return [
        QuestionFactory(session=session, status=status, target_guest=guest if i % 2 else None)
        for i in range(n)
    ]


@pytest.mark.parametrize("n", [3, 30])
def test_the_crew_question_list_costs_the_same_queries_for_3_or_30_questions(
    n, session_a, producer_a, api_as, django_assert_num_queries
):
    _fill(session_a, n)
    client = api_as(producer_a)
    url = reverse("question-list", args=[session_a.pk])
    # session lookup, count, page of questions with author and guest joined
    with django_assert_num_queries(3):
        response = client.get(url)
    assert response.status_code == 200
    assert response.json()["count"] == n
    assert all("author" in q for q in response.json()["results"])


@pytest.mark.parametrize("n", [3, 30])
def test_the_audience_list_costs_the_same_queries_for_3_or_30_questions(
    n, session_a, api, django_assert_num_queries
):
    _fill(session_a, n)
    url = reverse("public-question-list", args=[session_a.slug])
    # session lookup, count, page of questions with guest and the caller's votes
    with django_assert_num_queries(3):
        response = api.get(url, HTTP_X_VOTER_TOKEN="a" * 24)
    assert response.status_code == 200
    assert response.json()["count"] == n


def test_the_audience_list_marks_the_questions_this_voter_voted_for(session_a):
    first, second = _fill(session_a, 2)
    voter = voter_id("b" * 24)
    Vote.objects.create(question=second, voter=voter)
    listed = {q.pk: q.voted for q in selectors.public_questions(session_a, voter=voter)}
    assert listed == {first.pk: False, second.pk: True}


def test_the_audience_list_never_contains_unapproved_questions(session_a):
    shown = _fill(session_a, 1, "approved") + _fill(session_a, 1, "on_air")
    shown += _fill(session_a, 1, "answered")
    for status in ("pending", "rejected", "archived"):
        _fill(session_a, 1, status)
    listed = set(selectors.public_questions(session_a).values_list("pk", flat=True))
    assert listed == {q.pk for q in shown}


def test_the_audience_list_ranks_by_votes_then_age(session_a):
    old, new, top = _fill(session_a, 3)
    type(top).objects.filter(pk=top.pk).update(vote_count=5)
    ordered = list(selectors.public_questions(session_a).values_list("pk", flat=True))
    assert ordered == [top.pk, old.pk, new.pk]
