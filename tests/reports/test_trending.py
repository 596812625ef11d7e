"""Trending terms: words and hashtags rising in the last minutes, against the half hour before."""

from __future__ import annotations

from datetime import timedelta

import pytest

from questions import trending
from questions.models import Ban, Question
from questions.trending import terms_of, trending_terms
from tests.factories import AuthorFactory, QuestionFactory
from tests.reports.conftest import T0

NOW = T0 + timedelta(minutes=45)


def say(session, text, minutes_ago, *, status="approved", author=None):
    """A message sent ``minutes_ago`` before NOW."""
    kwargs = {"author": author} if author is not None else {}
    question = QuestionFactory(session=session, text=text, status=status, **kwargs)
    Question.objects.filter(pk=question.pk).update(created_at=NOW - timedelta(minutes=minutes_ago))
    return question


def terms(session, **kwargs):
    return [(t["term"], t["count"]) for t in trending_terms(session, now=NOW, **kwargs)["terms"]]


def test_a_rising_term_ranks_above_a_steady_one(session_a):
    # "weather": 9 messages in the 30 minutes before (3 expected in 10), 4 in the window.
    for minute in range(11, 38, 3):
        say(session_a, "Weather again", minute)
    for minute in (1, 3, 5, 7):
        say(session_a, "Weather now", minute)
    # "election": never before, 3 in the window.
    for minute in (2, 4, 6):
        say(session_a, "The election", minute)
    result = trending_terms(session_a, now=NOW)
    assert result["window_minutes"] == 10
    assert result["as_of"] == NOW.isoformat()
    assert result["terms"] == [
        {"term": "election", "count": 3, "previous": 0, "score": 3.0},
        {"term": "weather", "count": 4, "previous": 9, "score": 0.5},
    ]


def test_a_term_falling_below_its_usual_rate_is_not_trending(session_a):
    for minute in range(11, 40, 2):
        say(session_a, "Traffic jams", minute)
    say(session_a, "Traffic jams", 1)
    say(session_a, "Traffic jams", 2)
    assert "traffic" not in dict(terms(session_a))


def test_stop_words_of_both_languages_and_social_noise_are_left_out(session_a):
    for minute in (1, 2):
        say(
            session_a,
            "RT what is the pension de la réforme via https://t.example/x @someone amp",
            minute,
        )
    assert terms(session_a) == [("pension", 2), ("réforme", 2)]


def test_hashtags_keep_their_sign_and_words_are_case_folded(session_a):
    say(session_a, "#Climat and CLIMAT", 1)
    say(session_a, "#climat, climat", 2)
    assert terms(session_a) == [("#climat", 2), ("climat", 2)]


def test_the_session_hashtags_short_words_and_numbers_are_left_out(session_a):
    session_a.hashtags = ["#LiveA"]
    session_a.save()
    for minute in (1, 2):
        say(session_a, "#livea ok go 2026 #42 l'orchestre", minute)
    assert terms(session_a) == [("orchestre", 2)]


def test_rejected_and_archived_messages_and_banned_authors_do_not_count(session_a, producer_a):
    troll = AuthorFactory(platform="mastodon")
    Ban.objects.create(station=session_a.station, author=troll, created_by=producer_a)
    for minute in (1, 2, 3):
        say(session_a, "Scandal", minute, status="rejected")
        say(session_a, "Giveaway", minute, status="archived")
        say(session_a, "Casino", minute, status="pending", author=troll)
    say(session_a, "Pending festival", 1, status="pending")
    say(session_a, "Festival on air", 2, status="on_air")
    say(session_a, "Festival answered", 3, status="answered")
    assert terms(session_a) == [("festival", 3)]


def test_a_term_of_a_single_message_is_not_trending(session_a):
    say(session_a, "Unique", 1)
    assert terms(session_a) == []


def test_messages_before_the_baseline_and_another_sessions_do_not_count(session_a, session_b):
    for minute in (41, 50):
        say(session_a, "Harbour", minute)
    for minute in (1, 2):
        say(session_a, "Harbour", minute)
        say(session_b, "Lighthouse", minute)
    assert trending_terms(session_a, now=NOW)["terms"] == [
        {"term": "harbour", "count": 2, "previous": 0, "score": 2.0}
    ]


def test_only_the_most_recent_messages_are_read(session_a, monkeypatch):
    monkeypatch.setattr(trending, "MAX_MESSAGES", 3)
    say(session_a, "Stale stale", 3)
    say(session_a, "Stale", 2.5)
    for minute in (1, 1.5, 2):
        say(session_a, "Fresh", minute)
    assert terms(session_a) == [("fresh", 3)]


def test_the_window_and_the_limit_can_be_chosen(session_a):
    for word in ("alpha", "bravo", "charlie"):
        say(session_a, word, 1)
        say(session_a, word, 4)
    assert terms(session_a, window_minutes=3) == []
    assert terms(session_a, limit=2) == [("alpha", 2), ("bravo", 2)]


def test_trending_reads_the_database_once(session_a, django_assert_num_queries):
    say(session_a, "Once", 1)
    with django_assert_num_queries(1):
        trending_terms(session_a, now=NOW)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("L'album d'automne", {"album", "automne"}),
        ("the children's choir", {"children", "choir"}),
        ("Visit www.example.org now", {"visit"}),
        ("Aujourd\u2019hui, qu\u2019est-ce que la presqu'île ?", {"presqu'île"}),
    ],
)
def test_a_message_is_split_into_terms(text, found):
    assert terms_of(text) == found
