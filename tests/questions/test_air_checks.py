"""The last look before a question airs: each reason a take is refused, and what may air."""

from __future__ import annotations

import pytest
from django.utils import translation

from questions.models import Ban
from questions.services import AuthorInfo, question_approve, question_submit
from questions.services.air_checks import NotAirable, air_refusal
from tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db


def approved(session, **fields):
    fields.setdefault("text", "What inspired the second album?")
    return QuestionFactory(session=session, status="approved", **fields)


def refusal_code(question) -> str | None:
    question.refresh_from_db()
    refusal = air_refusal(question)
    return None if refusal is None else refusal.code


def test_a_clean_approved_question_may_air(session_a):
    assert air_refusal(approved(session_a)) is None


@pytest.mark.parametrize("status", ["pending", "rejected", "archived", "answered"])
def test_only_an_approved_question_may_air(session_a, status):
    question = QuestionFactory(session=session_a, status=status)

    refusal = air_refusal(question)

    assert isinstance(refusal, NotAirable)
    assert (refusal.code, refusal.status_code) == ("not_approved", 409)
    assert "approve" in refusal.message


def test_an_author_banned_since_approval_may_not_air(session_a, producer_a):
    question = approved(session_a)
    Ban.objects.create(station=session_a.station, author=question.author, created_by=producer_a)

    assert refusal_code(question) == "author_banned"


def test_a_ban_at_another_station_does_not_matter(session_a, station_b, producer_b):
    question = approved(session_a)
    Ban.objects.create(station=station_b, author=question.author, created_by=producer_b)

    assert refusal_code(question) is None


def test_a_word_the_station_blocked_since_approval_keeps_the_text_off_air(session_a):
    question = approved(session_a, text="Will Zorglub play at the festival?")
    assert refusal_code(question) is None

    session_a.station.blocked_words = ["zorglub"]
    session_a.station.save()

    question.refresh_from_db()
    refusal = air_refusal(question)
    assert refusal is not None and refusal.code == "text_flagged"
    assert refusal.details["flags"][0]["code"] == "profanity"


def test_the_on_air_wording_is_what_is_checked(session_a):
    question = approved(session_a, air_text="Call Léa on 06 12 34 56 78, what now?")

    assert refusal_code(question) == "text_flagged"


def test_flags_a_moderator_approved_with_are_settled(session_a, moderator_a):
    author = AuthorInfo(platform="web", external_id="d" * 64, display_name="Léa")
    question = question_submit(
        session=session_a,
        text="Why is this concert so f*cking expensive?",
        source="web",
        author=author,
    ).question
    assert question.status == "pending"
    question_approve(actor=moderator_a, question=question)

    assert refusal_code(question) is None


def test_a_name_flagged_since_approval_keeps_the_question_off_air(session_a):
    question = approved(session_a)
    question.author_name = "Zorglub"
    question.save()
    session_a.station.blocked_words = ["zorglub"]
    session_a.station.save()

    assert refusal_code(question) == "name_flagged"


def test_the_aired_name_is_what_is_checked(session_a):
    question = approved(session_a, author_name="Camille", air_name="connard 06 12 34 56 78")

    refusal = air_refusal(question)

    assert refusal is not None and refusal.code == "name_flagged"
    assert {f["field"] for f in refusal.details["flags"]} == {"name"}
    assert "connard" not in refusal.message


def test_a_clean_aired_name_replaces_a_flagged_one(session_a, moderator_a):
    author = AuthorInfo(platform="web", external_id="e" * 64, display_name="connard")
    question = question_submit(
        session=session_a, text="What inspired the second album?", source="web", author=author
    ).question
    question_approve(actor=moderator_a, question=question)
    question.refresh_from_db()
    question.author_name = "connard 06 12 34 56 78"  # changed since: the number is new
    question.save()
    assert refusal_code(question) == "name_flagged"

    question.air_name = "C."
    question.save()
    assert refusal_code(question) is None


def test_a_question_too_long_for_the_graphics_may_not_air(session_a):
    question = approved(session_a, air_text=" ".join(["Pourquoi"] * 200) + " ?")

    assert refusal_code(question) == "too_long"


def test_the_refusal_says_what_to_do_in_the_crew_members_language(session_a):
    question = QuestionFactory(session=session_a, status="pending")

    with translation.override("fr"):
        refusal = air_refusal(question)

    assert refusal is not None
    assert refusal.message == (
        "Seule une question approuvée peut passer à l'antenne : approuvez-la d'abord."
    )
