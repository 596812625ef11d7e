"""Holding a question's place in the host's queue, and the host's undo of "answered"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from questions.models import ModerationLogEntry
from questions.selectors import ranked_queue
from questions.services import question_hold, question_mark_answered, question_requeue
from studio.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db


def _approved(session, text, votes, minutes_ago=1):
    return QuestionFactory(
        session=session,
        text=text,
        status="approved",
        vote_count=votes,
        approved_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_a_held_question_keeps_its_place_whatever_the_votes(session_a, host_a):
    top = _approved(session_a, "Most voted?", 50)
    middle = _approved(session_a, "Some votes?", 10)
    quiet = _approved(session_a, "No votes yet?", 0)

    question_hold(actor=host_a, question=quiet, position=1)

    assert [q.text for q in ranked_queue(session_a)] == [quiet.text, top.text, middle.text]
    entry = ModerationLogEntry.objects.get(question=quiet, action="hold")
    assert entry.details == {"position": 1} and entry.actor == host_a


def test_releasing_a_held_place_lets_votes_rank_the_question_again(session_a, moderator_a):
    top = _approved(session_a, "Most voted?", 50)
    quiet = _approved(session_a, "No votes yet?", 0)
    question_hold(actor=moderator_a, question=quiet, position=1)

    question_hold(actor=moderator_a, question=quiet, position=None)

    assert [q.text for q in ranked_queue(session_a)] == [top.text, quiet.text]


def test_only_an_approved_question_can_hold_a_place(session_a, host_a, pending_question):
    with pytest.raises(InvalidTransition):
        question_hold(actor=host_a, question=pending_question, position=1)
    pending_question.refresh_from_db()
    assert pending_question.hold_position is None


@pytest.mark.parametrize("position", [0, 51])
def test_a_held_place_is_between_1_and_50(session_a, host_a, approved_question, position):
    with pytest.raises(ValidationFailed):
        question_hold(actor=host_a, question=approved_question, position=position)


def test_a_viewer_cannot_hold_a_place(viewer_a, approved_question):
    with pytest.raises(NotAllowed):
        question_hold(actor=viewer_a, question=approved_question, position=1)


def test_crew_of_another_station_cannot_hold_a_place(producer_b, approved_question):
    with pytest.raises(NotFound):
        question_hold(actor=producer_b, question=approved_question, position=1)


def test_a_host_puts_an_answered_question_back_in_the_queue(session_a, host_a, approved_question):
    question_mark_answered(actor=host_a, question=approved_question)

    question = question_requeue(actor=host_a, question=approved_question)

    assert question.status == "approved" and question.answered_at is None
    assert approved_question.pk in [q.pk for q in ranked_queue(session_a)]
    assert ModerationLogEntry.objects.filter(question=question, action="requeue").exists()


def test_only_an_answered_question_can_be_put_back(host_a, pending_question):
    with pytest.raises(InvalidTransition):
        question_requeue(actor=host_a, question=pending_question)


def test_a_viewer_cannot_put_an_answered_question_back(viewer_a, session_a):
    answered = QuestionFactory(session=session_a, status="answered")
    with pytest.raises(NotAllowed):
        question_requeue(actor=viewer_a, question=answered)


def test_starred_first_then_decayed_score_then_earlier_approval(session_a):
    session_a.rank_half_life_minutes = 10
    _approved(session_a, "Old and popular?", 10, minutes_ago=40)
    _approved(session_a, "Fresh?", 2, minutes_ago=1)
    starred = _approved(session_a, "Starred?", 0, minutes_ago=5)
    starred.starred = True
    starred.save()
    tie_a = _approved(session_a, "Tie A?", 1, minutes_ago=3)
    tie_b = _approved(session_a, "Tie B?", 1, minutes_ago=3)
    tie_b.approved_at = tie_a.approved_at
    tie_b.save()

    order = [q.text for q in ranked_queue(session_a)]

    # (10 + 1) * 0.5^4 = 0.69 for the old one; (2 + 1) * 0.5^0.1 = 2.8 for the fresh one.
    assert order == ["Starred?", "Fresh?", "Tie A?", "Tie B?", "Old and popular?"]


def test_without_decay_the_queue_is_ordered_by_votes(session_a):
    session_a.rank_half_life_minutes = 0
    session_a.save()
    _approved(session_a, "Old and popular?", 10, minutes_ago=40)
    _approved(session_a, "Fresh?", 2, minutes_ago=1)

    assert [q.text for q in ranked_queue(session_a)] == ["Old and popular?", "Fresh?"]
