"""The lists the crew and the audience poll stay at a fixed number of queries, however long."""

from __future__ import annotations

import pytest
from django.urls import reverse

from questions import selectors
from questions.identity import voter_id
from questions.models import FeedKind, IngestFeed, Vote
from studio.errors import NotFound
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


# A question named by id within a session ----------------------------------------------------------


def test_question_in_session_finds_it_with_its_session_in_one_query(
    session_a, pending_question, django_assert_num_queries
):
    with django_assert_num_queries(1):
        found = selectors.question_in_session(
            session_id=session_a.pk, question_id=pending_question.pk
        )
        assert found.session == session_a  # loaded with it: no further query

    assert found == pending_question


def test_question_in_session_refuses_a_question_of_another_session(
    session_a, session_b, django_assert_num_queries
):
    other = QuestionFactory(session=session_b, status="approved")

    with django_assert_num_queries(1), pytest.raises(NotFound) as exc:
        selectors.question_in_session(session_id=session_a.pk, question_id=other.pk)

    assert exc.value.code == "not_found"
    assert exc.value.message == "That question is not in this session."


@pytest.mark.parametrize("question_id", [987_654, 2**63 - 1])
def test_question_in_session_refuses_an_id_no_question_has(session_a, question_id):
    with pytest.raises(NotFound):
        selectors.question_in_session(session_id=session_a.pk, question_id=question_id)


# The feed an inbound webhook names by its token ---------------------------------------------------


def test_feed_for_token_finds_the_enabled_feed_with_its_session_in_one_query(
    session_a, django_assert_num_queries
):
    feed = IngestFeed.objects.create(session=session_a, kind=FeedKind.SMS)

    with django_assert_num_queries(1):
        found = selectors.feed_for_token(token=feed.token, kind=FeedKind.SMS)
        assert found is not None
        assert found.session == session_a  # loaded with it: no further query

    assert found == feed


def test_feed_for_token_is_none_for_another_kind_a_disabled_feed_or_an_unknown_token(
    session_a, django_assert_num_queries
):
    feed = IngestFeed.objects.create(session=session_a, kind=FeedKind.SMS)
    disabled = IngestFeed.objects.create(session=session_a, kind=FeedKind.SMS, enabled=False)

    with django_assert_num_queries(1):
        assert selectors.feed_for_token(token=feed.token, kind=FeedKind.WEBHOOK) is None
    assert selectors.feed_for_token(token=disabled.token, kind=FeedKind.SMS) is None
    assert selectors.feed_for_token(token="no-such-token", kind=FeedKind.SMS) is None
