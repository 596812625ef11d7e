"""vote_cast and vote_withdraw: one vote per voter per question, counted exactly once."""

from __future__ import annotations

import pytest

from questions.identity import voter_id
from questions.models import Question, Vote
from questions.services import question_reject, session_take_on_air, vote_cast, vote_withdraw
from studio.errors import Conflict, NotFound
from tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db

ANNA, BEN, CLEO = voter_id("anna-token-0000000"), voter_id("ben-token-00000000"), voter_id("cleo")


def fresh(question):
    """The question as the next request would load it."""
    return Question.objects.select_related("session").get(pk=question.pk)


def count_of(question):
    return Question.objects.get(pk=question.pk).vote_count


def test_a_vote_is_recorded_and_counted(approved_question):
    assert vote_cast(question=approved_question, voter=ANNA) == 1

    assert count_of(approved_question) == 1
    assert Vote.objects.filter(question=approved_question, voter=ANNA).exists()


def test_votes_from_different_voters_add_up(approved_question):
    vote_cast(question=approved_question, voter=ANNA)
    vote_cast(question=approved_question, voter=BEN)

    assert vote_cast(question=approved_question, voter=CLEO) == 3
    assert count_of(approved_question) == 3


def test_it_rejects_a_second_vote_from_the_same_voter(approved_question):
    vote_cast(question=approved_question, voter=ANNA)

    with pytest.raises(Conflict) as exc:
        vote_cast(question=approved_question, voter=ANNA)

    assert exc.value.code == "already_voted"
    assert count_of(approved_question) == 1
    assert Vote.objects.filter(question=approved_question).count() == 1


def test_one_voter_may_vote_for_several_questions(session_a, approved_question):
    other = QuestionFactory(session=session_a, status="approved")

    vote_cast(question=approved_question, voter=ANNA)
    vote_cast(question=other, voter=ANNA)

    assert count_of(approved_question) == 1
    assert count_of(other) == 1


def test_a_question_on_air_can_still_be_voted_for(host_a, approved_question):
    session_take_on_air(actor=host_a, session=approved_question.session, question=approved_question)

    assert vote_cast(question=fresh(approved_question), voter=ANNA) == 1


def test_withdrawing_removes_the_vote_and_lowers_the_count(approved_question):
    vote_cast(question=approved_question, voter=ANNA)
    vote_cast(question=approved_question, voter=BEN)

    assert vote_withdraw(question=approved_question, voter=ANNA) == 1

    assert count_of(approved_question) == 1
    assert list(Vote.objects.values_list("voter", flat=True)) == [BEN]


def test_a_withdrawn_vote_can_be_cast_again(approved_question):
    vote_cast(question=approved_question, voter=ANNA)
    vote_withdraw(question=approved_question, voter=ANNA)

    assert vote_cast(question=approved_question, voter=ANNA) == 1


def test_withdrawing_without_a_vote_is_not_found(approved_question):
    vote_cast(question=approved_question, voter=BEN)

    with pytest.raises(NotFound) as exc:
        vote_withdraw(question=approved_question, voter=ANNA)

    assert exc.value.code == "not_voted"
    assert count_of(approved_question) == 1


def test_withdrawing_twice_is_refused_the_second_time(approved_question):
    vote_cast(question=approved_question, voter=ANNA)
    vote_withdraw(question=approved_question, voter=ANNA)

    with pytest.raises(NotFound):
        vote_withdraw(question=approved_question, voter=ANNA)

    assert count_of(approved_question) == 0


@pytest.mark.parametrize("status", ["pending", "rejected", "answered", "archived"])
def test_a_question_that_is_not_approved_cannot_be_voted_for(session_a, status):
    question = QuestionFactory(session=session_a, status=status)

    with pytest.raises(Conflict) as exc:
        vote_cast(question=question, voter=ANNA)

    assert exc.value.code == "not_votable"
    assert exc.value.details == {"status": status}
    assert count_of(question) == 0
    assert not Vote.objects.exists()


@pytest.mark.parametrize("status", ["draft", "ended"])
def test_voting_is_closed_when_the_session_is_not_live(session_a, approved_question, status):
    vote_cast(question=approved_question, voter=BEN)
    session_a.status = status
    session_a.save()

    with pytest.raises(Conflict) as exc:
        vote_cast(question=fresh(approved_question), voter=ANNA)
    with pytest.raises(Conflict):
        vote_withdraw(question=fresh(approved_question), voter=BEN)

    assert exc.value.code == "session_closed"
    assert count_of(approved_question) == 1
    assert Vote.objects.count() == 1


def test_the_count_matches_the_votes_after_a_mix_of_casts_and_withdrawals(
    session_a, approved_question
):
    other = QuestionFactory(session=session_a, status="approved")
    voters = [voter_id(f"listener-{n:02d}-token") for n in range(6)]
    for voter in voters:
        vote_cast(question=approved_question, voter=voter)
    for voter in voters[:3]:
        vote_cast(question=other, voter=voter)
    for voter in voters[::2]:
        vote_withdraw(question=approved_question, voter=voter)
    with pytest.raises(Conflict):
        vote_cast(question=approved_question, voter=voters[1])
    with pytest.raises(NotFound):
        vote_withdraw(question=approved_question, voter=voters[0])
    vote_cast(question=approved_question, voter=voters[0])

    for question in (approved_question, other):
        assert count_of(question) == Vote.objects.filter(question=question).count()
    assert count_of(approved_question) == 4
    assert count_of(other) == 3


def test_a_question_rejected_after_it_was_loaded_takes_no_vote(moderator_a, approved_question):
    loaded = fresh(approved_question)  # the vote request read it while it was approved
    question_reject(actor=moderator_a, question=fresh(approved_question))

    with pytest.raises(Conflict) as caught:
        vote_cast(question=loaded, voter=ANNA)

    assert caught.value.code == "not_votable"
    assert count_of(approved_question) == 0
    assert not Vote.objects.filter(question=approved_question).exists()
