"""The asker is told: GET /api/public/sessions/<slug>/mine/ lists this voter's own questions."""

from __future__ import annotations

import pytest

from questions import services
from questions.models import Question
from tests.factories import LiveSessionFactory, QuestionFactory

TOKEN = "asker-token-0123456789abcdef"
OTHER_TOKEN = "other-asker-token-9876543210"


def _ask(api, text, token=TOKEN, slug="live-a"):
    response = api.post(
        f"/api/public/sessions/{slug}/questions/",
        {"text": text},
        format="json",
        HTTP_X_VOTER_TOKEN=token,
    )
    assert response.status_code == 201, response.content
    return Question.objects.get(pk=response.json()["id"])


def _mine(api, token=TOKEN, slug="live-a"):
    response = api.get(f"/api/public/sessions/{slug}/mine/", HTTP_X_VOTER_TOKEN=token)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_it_lists_only_the_voters_own_questions_of_this_session(api, session_a, station_a):
    LiveSessionFactory(station=station_a, slug="other-live", status="live")
    mine = _ask(api, "Will the tour stop in Lyon?")
    _ask(api, "Someone else asks about Nantes?", token=OTHER_TOKEN)
    _ask(api, "Same voter, other session?", slug="other-live")
    QuestionFactory(session=session_a, text="A crew question?", status="approved")

    body = _mine(api)

    assert [(q["id"], q["text"], q["state"]) for q in body] == [
        (mine.pk, "Will the tour stop in Lyon?", "waiting")
    ]
    assert [q["text"] for q in _mine(api, token=OTHER_TOKEN)] == ["Someone else asks about Nantes?"]


@pytest.mark.django_db
def test_a_new_browser_has_no_questions(api, session_a):
    _ask(api, "Is anyone listening?")

    assert api.get("/api/public/sessions/live-a/mine/").json() == []


@pytest.mark.django_db
def test_it_shows_the_text_as_sent_even_when_the_crew_rewords_it(api, session_a):
    question = _ask(api, "Why is the  bridge closed, again?")
    Question.objects.filter(pk=question.pk).update(
        air_text="Why is the bridge closed?", status="approved"
    )

    assert _mine(api)[0]["text"] == question.text
    assert _mine(api)[0]["state"] == "approved"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("pending", "waiting"),
        ("approved", "approved"),
        ("on_air", "on_air"),
        ("answered", "answered"),
        ("rejected", "not_selected"),
        ("archived", "not_selected"),
    ],
)
def test_each_status_is_told_in_the_askers_words(api, session_a, status, state):
    question = _ask(api, "What is the state of my question?")
    Question.objects.filter(pk=question.pk).update(status=status)

    assert _mine(api)[0]["state"] == state


@pytest.mark.django_db
def test_a_banned_author_is_not_told_their_question_was_rejected(api, session_a):
    question = _ask(api, "Banned, am I?")
    Question.objects.filter(pk=question.pk).update(
        status="rejected", flags=[{"code": "banned", "reason": "Author is banned."}]
    )

    assert _mine(api)[0]["state"] == "waiting"


@pytest.mark.django_db
def test_the_asker_sees_on_air_when_the_host_takes_their_question(
    api, session_a, moderator_a, host_a
):
    question = _ask(api, "Will you play the new single tonight?")
    services.question_approve(actor=moderator_a, question=question)
    services.session_take_on_air(actor=host_a, session=session_a, question=question)

    assert _mine(api)[0]["state"] == "on_air"


@pytest.mark.django_db
def test_a_draft_session_has_no_mine_list(api, station_a):
    LiveSessionFactory(station=station_a, slug="not-yet", status="draft")

    response = api.get("/api/public/sessions/not-yet/mine/", HTTP_X_VOTER_TOKEN=TOKEN)

    assert response.status_code == 404
