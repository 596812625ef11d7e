"""Audience votes: one per voter per question, counted exactly once."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest

from questions.live import votes_changed
from questions.models import VOTABLE_STATUSES, Question, Vote
from socialroom.errors import Conflict, NotFound
from studio.models import SessionStatus


def _check_votable(question: Question) -> None:
    if question.session.status != SessionStatus.LIVE:
        raise Conflict("Voting is closed: the session is not live.", code="session_closed")
    if question.status not in VOTABLE_STATUSES:
        raise Conflict(
            "Only approved questions can be voted on.",
            code="not_votable",
            details={"status": question.status},
        )


def vote_cast(*, question: Question, voter: str) -> int:
    """Record the voter's vote and return the question's new count.

    A second vote by the same voter is refused (``already_voted``) and changes nothing;
    the database's unique constraint holds this even under concurrent requests. A vote for one
    question of a cluster of near-duplicates counts for the cluster, so a voter who voted for
    one of them is refused for the others too.
    """
    _check_votable(question)
    root = question.duplicate_of_id or question.pk
    in_cluster = Q(question_id=root) | Q(question__duplicate_of_id=root)
    if Vote.objects.filter(in_cluster, voter=voter).exclude(question=question).exists():
        raise Conflict(
            "You already voted for a question just like this one.",
            code="already_voted",
            details={"cluster": root},
        )
    try:
        with transaction.atomic():
            Vote.objects.create(question=question, voter=voter)
            _count(question, +1)
            _announce(question)
    except IntegrityError as exc:
        raise Conflict("You already voted for this question.", code="already_voted") from exc
    return Question.objects.values_list("vote_count", flat=True).get(pk=question.pk)


def _announce(question: Question) -> None:
    session_id, question_id = question.session_id, question.pk
    root_id = question.duplicate_of_id
    transaction.on_commit(lambda: votes_changed(session_id, question_id))
    if root_id:
        transaction.on_commit(lambda: votes_changed(session_id, root_id))


def _count(question: Question, delta: int) -> None:
    # The status is checked again in the same statement as the count, so a question rejected
    # since it was read takes no vote: the whole transaction rolls back.
    updated = Question.objects.filter(pk=question.pk, status__in=VOTABLE_STATUSES).update(
        vote_count=F("vote_count") + delta
    )
    if not updated:
        raise Conflict("Only approved questions can be voted on.", code="not_votable")
    if question.duplicate_of_id:
        # A near-duplicate's votes count for its cluster: the original ranks with them.
        Question.objects.filter(pk=question.duplicate_of_id).update(
            vote_count=Greatest(F("vote_count") + delta, 0)
        )


def vote_withdraw(*, question: Question, voter: str) -> int:
    """Remove the voter's vote and return the question's new count."""
    _check_votable(question)
    with transaction.atomic():
        deleted, _ = Vote.objects.filter(question=question, voter=voter).delete()
        if not deleted:
            raise NotFound("You have not voted for this question.", code="not_voted")
        _count(question, -1)
        _announce(question)
    return Question.objects.values_list("vote_count", flat=True).get(pk=question.pk)
