"""Bans that bite: a ban pulls its author's questions out of the queue and off air, a take of
them is refused, and lifting the ban puts back what it pulled."""

from __future__ import annotations

import pytest
from django.utils import timezone

from questions.models import AirLogEntry, Ban, ModerationLogEntry, Question
from questions.services import (
    ban_create,
    ban_delete,
    question_approve,
    question_cue,
    session_set_status,
    session_take_on_air,
)
from questions.shapes import cue_shape, on_air_shape
from studio.errors import Conflict
from studio.models import AsRunEntry
from tests.factories import AuthorFactory, LiveSessionFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def by(author, session, status="approved", text="A question?"):
    return QuestionFactory(
        session=session,
        author=author,
        status=status,
        text=text,
        approved_at=timezone.now() if status != "pending" else None,
    )


def status_of(question):
    return Question.objects.values_list("status", flat=True).get(pk=question.pk)


@pytest.fixture
def troll():
    return AuthorFactory(display_name="Troll")


def test_a_ban_pulls_the_authors_approved_cued_and_on_air_questions(
    session_a, station_a, producer_a, moderator_a, troll
):
    other_live = LiveSessionFactory(station=station_a, slug="also-live", status="live")
    on_air = by(troll, session_a, text="On air?")
    session_take_on_air(actor=producer_a, session=session_a, question=on_air)
    cued = by(troll, session_a, text="Cued?")
    question_cue(actor=producer_a, question=cued)
    queued = by(troll, other_live, text="Queued elsewhere?")
    rejected = by(troll, session_a, status="rejected")
    someone_else = by(AuthorFactory(), session_a, text="Someone else?")

    ban = ban_create(actor=moderator_a, question=queued, reason="Spam")

    assert [status_of(q) for q in (on_air, cued, queued)] == ["pending"] * 3
    assert status_of(rejected) == "rejected"
    assert status_of(someone_else) == "approved"
    assert on_air_shape(session_a.pk)["question"] is None
    assert cue_shape(session_a.pk)["question"] is None
    assert AsRunEntry.objects.get(question=on_air).outcome == "cleared"
    pulls = ModerationLogEntry.objects.filter(reason="author_banned", to_status="pending")
    assert {entry.question_id for entry in pulls} == {on_air.pk, cued.pk, queued.pk}
    assert all(entry.details == {"ban": ban.pk} for entry in pulls)
    assert all(entry.actor == moderator_a for entry in pulls)
    assert AirLogEntry.objects.filter(question=on_air, action="clear").exists()


def test_a_ban_leaves_sessions_that_are_not_live_alone(station_a, moderator_a, troll):
    ended = LiveSessionFactory(station=station_a, slug="was-live", status="ended")
    old = by(troll, ended)

    ban_create(actor=moderator_a, question=old)

    assert status_of(old) == "approved"


def test_a_banned_authors_question_is_refused_at_take(session_a, producer_a, host_a, troll):
    question = by(troll, session_a)
    # Banned by hand, as a ban entered outside the crew API would be: nothing pulled it.
    Ban.objects.create(station=session_a.station, author=troll, created_by=producer_a)

    with pytest.raises(Conflict) as refused:
        session_take_on_air(actor=host_a, session=session_a, question=question)

    assert refused.value.code == "author_banned"
    assert status_of(question) == "approved"
    refusal = AirLogEntry.objects.get(action="refuse")
    assert refusal.details["code"] == "author_banned"


def test_lifting_the_ban_puts_back_what_it_pulled_and_is_logged(
    session_a, producer_a, moderator_a, troll
):
    first = by(troll, session_a, text="First?")
    second = by(troll, session_a, text="Second?")
    ban = ban_create(actor=moderator_a, question=first)
    # Meanwhile a moderator rejected one of them: lifting the ban leaves that decision alone.
    Question.objects.filter(pk=second.pk).update(status="rejected")
    waiting = by(troll, session_a, status="pending", text="Sent while banned?")
    ban_id = ban.pk

    ban_delete(actor=producer_a, ban=ban)

    assert status_of(first) == "approved"
    assert status_of(second) == "rejected"
    assert status_of(waiting) == "pending"
    put_back = ModerationLogEntry.objects.get(question=first, reason="author_unbanned")
    assert (put_back.from_status, put_back.to_status) == ("pending", "approved")
    assert put_back.details == {"ban": ban_id}
    assert put_back.actor == producer_a
    assert ModerationLogEntry.objects.filter(action="unban").exists()
    # Back in the queue, the question can air again.
    session_take_on_air(actor=producer_a, session=session_a, question=first)
    assert status_of(first) == "on_air"


def test_a_pulled_question_approved_again_by_hand_is_not_touched_on_unban(
    session_a, producer_a, moderator_a, troll
):
    question = by(troll, session_a)
    ban = ban_create(actor=moderator_a, question=question)
    question_approve(actor=moderator_a, question=question)

    ban_delete(actor=producer_a, ban=ban)

    assert status_of(question) == "approved"
    assert not ModerationLogEntry.objects.filter(reason="author_unbanned").exists()


def test_ending_the_session_after_a_ban_changes_nothing_more(session_a, producer_a, troll):
    question = by(troll, session_a)
    ban_create(actor=producer_a, question=question)

    session_set_status(actor=producer_a, session=session_a, status="ended")

    assert status_of(question) == "pending"
