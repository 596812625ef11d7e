"""Taking questions on air, clearing the screen, marking answered, and the as-run log."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from questions.models import ModerationLogEntry, Question
from questions.services import (
    question_mark_answered,
    session_clear_on_air,
    session_set_status,
    session_take_on_air,
)
from studio.errors import Conflict, NotFound
from studio.models import AsRunEntry
from tests.factories import LiveSessionFactory, QuestionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(session_a):
    def make(text=None, session=None):
        kwargs = {"text": text} if text else {}
        return QuestionFactory(session=session or session_a, status="approved", **kwargs)

    return make


def take(actor, question):
    return session_take_on_air(actor=actor, session=question.session, question=question)


def status_of(question):
    return Question.objects.get(pk=question.pk).status


def test_taking_a_question_puts_it_on_air_and_opens_an_as_run_entry(host_a, approved_question):
    before = timezone.now()

    take(host_a, approved_question)

    assert status_of(approved_question) == "on_air"
    entry = AsRunEntry.objects.get()
    assert entry.question == approved_question
    assert entry.session == approved_question.session
    assert entry.taken_by == host_a
    assert entry.taken_at >= before
    assert entry.ended_at is None
    assert entry.ended_by is None
    assert entry.outcome == ""
    log = ModerationLogEntry.objects.get(question=approved_question)
    assert (log.actor, log.action, log.from_status, log.to_status) == (
        host_a,
        "take",
        "approved",
        "on_air",
    )


def test_taking_a_second_question_marks_the_first_answered_as_replaced(host_a, approved):
    first, second = approved("First?"), approved("Second?")
    take(host_a, first)

    take(host_a, second)

    first.refresh_from_db()
    assert first.status == "answered"
    assert first.answered_at is not None
    assert status_of(second) == "on_air"
    ended = AsRunEntry.objects.get(question=first)
    assert ended.outcome == "replaced"
    assert ended.ended_at is not None
    assert ended.ended_by == host_a
    opened = AsRunEntry.objects.get(question=second)
    assert opened.ended_at is None
    assert opened.taken_at >= ended.ended_at
    log = ModerationLogEntry.objects.filter(question=first).latest("id")
    assert (log.action, log.from_status, log.to_status) == ("answer", "on_air", "answered")


def test_taking_the_question_already_on_air_again_changes_nothing(host_a, approved_question):
    take(host_a, approved_question)

    take(host_a, approved_question)

    assert status_of(approved_question) == "on_air"
    assert AsRunEntry.objects.count() == 1
    assert ModerationLogEntry.objects.filter(question=approved_question, action="take").count() == 1


def test_clearing_sends_the_question_back_to_the_approved_queue(host_a, approved_question):
    take(host_a, approved_question)

    cleared = session_clear_on_air(actor=host_a, session=approved_question.session)

    assert cleared.pk == approved_question.pk
    assert status_of(approved_question) == "approved"
    entry = AsRunEntry.objects.get()
    assert entry.outcome == "cleared"
    assert entry.ended_at is not None
    assert entry.ended_by == host_a
    log = ModerationLogEntry.objects.filter(question=approved_question).latest("id")
    assert (log.action, log.from_status, log.to_status) == ("clear", "on_air", "approved")


def test_a_cleared_question_can_be_taken_again(host_a, approved_question):
    take(host_a, approved_question)
    session_clear_on_air(actor=host_a, session=approved_question.session)

    take(host_a, approved_question)

    assert status_of(approved_question) == "on_air"
    outcomes = list(AsRunEntry.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["cleared", ""]


def test_clearing_when_nothing_is_on_air_does_nothing(host_a, session_a, approved_question):
    assert session_clear_on_air(actor=host_a, session=session_a) is None

    assert status_of(approved_question) == "approved"
    assert not AsRunEntry.objects.exists()
    assert not ModerationLogEntry.objects.exists()


def test_answering_the_question_on_air_ends_its_as_run_entry(host_a, approved_question):
    take(host_a, approved_question)

    answered = question_mark_answered(actor=host_a, question=approved_question)

    assert answered.status == "answered"
    row = Question.objects.get(pk=approved_question.pk)
    assert row.status == "answered"
    assert row.answered_at is not None
    entry = AsRunEntry.objects.get()
    assert entry.outcome == "answered"
    assert entry.ended_at is not None
    assert entry.ended_by == host_a
    assert not Question.objects.filter(status="on_air").exists()


def test_answering_a_question_that_is_not_on_air_leaves_the_on_air_one_alone(host_a, approved):
    on_air, offline = approved("On air?"), approved("Answered off air?")
    take(host_a, on_air)

    question_mark_answered(actor=host_a, question=offline)

    assert status_of(offline) == "answered"
    assert status_of(on_air) == "on_air"
    entry = AsRunEntry.objects.get()
    assert entry.question == on_air
    assert entry.ended_at is None


def test_a_question_of_another_session_cannot_be_taken(host_a, station_a, session_a, approved):
    other_session = LiveSessionFactory(station=station_a, status="live")
    stranger = approved(session=other_session)

    with pytest.raises(NotFound):
        session_take_on_air(actor=host_a, session=session_a, question=stranger)

    assert status_of(stranger) == "approved"
    assert not AsRunEntry.objects.exists()


def test_a_question_of_another_station_cannot_be_taken(host_a, session_a, session_b, approved):
    stranger = approved(session=session_b)

    with pytest.raises(NotFound):
        session_take_on_air(actor=host_a, session=session_a, question=stranger)

    assert status_of(stranger) == "approved"
    assert not AsRunEntry.objects.exists()


@pytest.mark.parametrize("status", ["draft", "ended"])
def test_only_a_live_session_can_put_a_question_on_air(
    host_a, session_a, approved_question, status
):
    session_a.status = status
    session_a.save()

    with pytest.raises(Conflict) as exc:
        take(host_a, Question.objects.get(pk=approved_question.pk))

    assert exc.value.code == "session_not_live"
    assert status_of(approved_question) == "approved"
    assert not AsRunEntry.objects.exists()


def test_a_run_of_takes_leaves_one_question_on_air_and_one_open_entry(host_a, session_a, approved):
    questions = [approved(f"Question {n}?") for n in range(5)]

    for question in questions:
        take(host_a, question)

    assert list(Question.objects.filter(status="on_air")) == [questions[-1]]
    assert AsRunEntry.objects.filter(ended_at__isnull=True).get().question == questions[-1]
    assert AsRunEntry.objects.filter(outcome="replaced").count() == 4
    assert Question.objects.filter(status="answered").count() == 4


def test_the_database_refuses_a_second_question_on_air(host_a, session_a, approved):
    on_air, other = approved("On air?"), approved("Other?")
    take(host_a, on_air)

    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.filter(pk=other.pk).update(status="on_air")

    assert status_of(other) == "approved"
    assert Question.objects.filter(session=session_a, status="on_air").count() == 1


def test_the_database_allows_one_question_on_air_in_each_session(host_a, station_a, approved):
    other_session = LiveSessionFactory(station=station_a, status="live")
    here, there = approved("Here?"), approved("There?", session=other_session)

    take(host_a, here)
    take(host_a, there)

    assert Question.objects.filter(status="on_air").count() == 2


def test_the_database_refuses_a_second_open_as_run_entry(host_a, session_a, approved):
    on_air, other = approved("On air?"), approved("Other?")
    take(host_a, on_air)

    with pytest.raises(IntegrityError), transaction.atomic():
        AsRunEntry.objects.create(session=session_a, question=other, taken_at=timezone.now())

    assert AsRunEntry.objects.filter(ended_at__isnull=True).count() == 1


def test_ending_the_session_takes_the_question_off_air_and_closes_the_as_run_entry(
    producer_a, session_a, approved
):
    question = approved()
    take(producer_a, question)

    session_set_status(actor=producer_a, session=session_a, status="ended")

    assert status_of(question) == "approved"
    entry = AsRunEntry.objects.get(question=question)
    assert entry.ended_at is not None
    assert entry.outcome == "cleared"
    assert not Question.objects.filter(session=session_a, status="on_air").exists()
