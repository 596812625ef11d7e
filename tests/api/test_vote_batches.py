"""One bad vote never sinks the others written with it (group commit, questions/vote_writer.py)."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator
from django.db import DataError, OperationalError, connections, transaction
from django.test import override_settings
from django.utils import timezone

from questions import vote_writer
from questions.identity import voter_id
from questions.models import Question, Vote
from questions.services import votes as vote_service
from questions.services.votes import VoteRequest, VoteResult, vote_batch
from socialroom.asgi import application
from studio.api import MAX_ID
from studio.errors import DomainError
from tests.factories import QuestionFactory
from tests.helpers import assert_error

TOKEN = "audience-token-0123456789abcdef"
TOO_BIG = MAX_ID + 1  # 2**63: no database integer holds it


def _vote_url(pk: int) -> str:
    return f"/api/public/sessions/live-a/questions/{pk}/vote/"


def _approved(session, n: int = 0) -> Question:
    return QuestionFactory(
        session=session, status="approved", text=f"Question {n}?", approved_at=timezone.now()
    )


def _stored(question: Question) -> tuple[int, int]:
    """(the question's vote count, the vote rows it has)."""
    count = Question.objects.values_list("vote_count", flat=True).get(pk=question.pk)
    return count, Vote.objects.filter(question=question).count()


def _mixed(session, question: Question, voters: int) -> tuple[list[VoteRequest], list[bool]]:
    """Good votes for ``question`` and bad ones (ids no database holds), interleaved."""
    requests, good = [], []
    for n in range(voters):
        requests.append(VoteRequest(session.pk, question.pk, f"good-voter-{n}", add=True))
        good.append(True)
        bad_id = (TOO_BIG, 0, -1, 2**70)[n % 4]
        requests.append(VoteRequest(session.pk, bad_id, f"bad-voter-{n}", add=True))
        good.append(False)
    return requests, good


# Over HTTP ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "delete"])
@pytest.mark.parametrize("pk", [TOO_BIG, 2**70, 10**30])
def test_an_http_vote_for_an_id_no_database_holds_is_refused_with_a_reason(
    api, session_a, approved_question, method, pk
):
    response = getattr(api, method)(_vote_url(pk), HTTP_X_VOTER_TOKEN=TOKEN)

    error = assert_error(response, 400, "invalid")
    assert str(MAX_ID) in error["message"]
    assert error["details"] == {"question": "not a question id"}
    assert _stored(approved_question) == (0, 0)


@pytest.mark.django_db
def test_after_a_refused_id_the_same_voter_votes_normally(api, session_a, approved_question):
    api.post(_vote_url(TOO_BIG), HTTP_X_VOTER_TOKEN=TOKEN)

    response = api.post(_vote_url(approved_question.pk), HTTP_X_VOTER_TOKEN=TOKEN)

    assert response.status_code == 200
    assert response.json() == {"question": approved_question.pk, "vote_count": 1, "voted": True}


@pytest.fixture
async def closes_connections():
    yield
    # The requests' database thread keeps its connection; the test database can only be dropped
    # at the end of the run if it is closed.
    await database_sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
async def test_bad_and_good_http_votes_sent_together_store_every_good_vote(
    session_a, closes_connections
):
    question = await database_sync_to_async(_approved)(session_a)
    listeners = [f"listener-{n:03d}-0123456789abcdef" for n in range(60)]

    async def vote(pk: int, token: str) -> dict:
        http = HttpCommunicator(
            application,
            "POST",
            _vote_url(pk),
            headers=[(b"host", b"localhost"), (b"x-voter-token", token.encode())],
        )
        return await http.get_response(timeout=30)

    # A window long enough for every request to join the first batch.
    with override_settings(VOTE_BATCH_WINDOW_SECONDS=0.5):
        responses = await asyncio.gather(
            *(vote(pk, token) for token in listeners for pk in (TOO_BIG, question.pk))
        )

    bad, good = responses[0::2], responses[1::2]
    assert [r["status"] for r in good] == [200] * 60
    assert {r["status"] for r in bad} == {400}
    assert all(b'"invalid"' in r["body"] for r in bad)
    assert await database_sync_to_async(_stored)(question) == (60, 60)
    voters = await database_sync_to_async(
        lambda: set(Vote.objects.filter(question=question).values_list("voter", flat=True))
    )()
    assert voters == {voter_id(token) for token in listeners}


# The batch itself ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_of_bad_and_good_votes_stores_every_good_vote(session_a):
    question = _approved(session_a)
    requests, good = _mixed(session_a, question, voters=8)

    outcome = vote_batch(requests)

    for result, is_good in zip(outcome, good, strict=True):
        if is_good:
            assert isinstance(result, VoteResult) and result.voted
        else:
            assert isinstance(result, DomainError)
            assert (result.status_code, result.code) == (400, "invalid")
    assert _stored(question) == (8, 8)


@pytest.mark.django_db
def test_the_writer_stores_every_good_vote_of_a_batch_with_bad_ones(session_a):
    question = _approved(session_a)
    requests, good = _mixed(session_a, question, voters=8)

    outcome = vote_writer.write_batch(requests)

    assert [isinstance(r, VoteResult) for r in outcome] == good
    assert {r.code for r in outcome if isinstance(r, DomainError)} == {"invalid"}
    assert _stored(question) == (8, 8)


def _refusing(poisoned: set[str], after_writing: bool = False):
    """``vote_batch`` with a database that refuses the votes of ``poisoned`` voters: the whole
    transaction fails, after the others were written when ``after_writing``."""

    def write(requests):
        bad = any(r.voter in poisoned for r in requests)
        if bad and not after_writing:
            raise DataError("value out of range for type bigint")
        with transaction.atomic():
            results = vote_batch(requests)
            if bad:
                raise DataError("value out of range for type bigint")
        return results

    return write


@pytest.mark.django_db
@pytest.mark.parametrize("after_writing", [False, True])
def test_a_batch_the_database_refuses_is_split_and_only_the_bad_vote_is_refused(
    session_a, monkeypatch, after_writing
):
    questions = [_approved(session_a, n) for n in range(3)]
    requests = [
        VoteRequest(session_a.pk, q.pk, f"voter-{n}", add=True)
        for n in range(20)
        for q in questions
    ]
    poisoned = {"voter-3", "voter-17"}
    monkeypatch.setattr(vote_writer, "vote_batch", _refusing(poisoned, after_writing))

    outcome = vote_writer.write_batch(requests)

    for request, result in zip(requests, outcome, strict=True):
        if request.voter in poisoned:
            assert isinstance(result, DomainError)
            assert (result.status_code, result.code) == (400, "not_saved")
        else:
            assert isinstance(result, VoteResult), result
    # Each good vote counted exactly once, though its half was written again.
    for question in questions:
        assert _stored(question) == (18, 18)


@pytest.mark.django_db
def test_with_the_database_down_every_vote_is_unavailable_after_one_try(session_a, monkeypatch):
    question = _approved(session_a)
    tries = []

    def down(requests):
        tries.append(len(requests))
        raise OperationalError("connection refused")

    monkeypatch.setattr(vote_writer, "vote_batch", down)
    requests = [VoteRequest(session_a.pk, question.pk, f"voter-{n}", add=True) for n in range(50)]

    outcome = vote_writer.write_batch(requests)

    assert {(r.status_code, r.code) for r in outcome} == {(503, "unavailable")}
    assert tries == [50]
    assert _stored(question) == (0, 0)


@pytest.mark.django_db
def test_a_batch_failing_for_every_vote_gives_up_after_a_few_tries(session_a, monkeypatch):
    question = _approved(session_a)
    tries = []

    def broken(requests):
        tries.append(len(requests))
        raise DataError("every value refused")

    monkeypatch.setattr(vote_writer, "vote_batch", broken)
    requests = [VoteRequest(session_a.pk, question.pk, f"voter-{n}", add=True) for n in range(500)]

    outcome = vote_writer.write_batch(requests)

    assert all(isinstance(r, DomainError) for r in outcome)
    assert {r.code for r in outcome} <= {"not_saved", "unavailable"}
    assert len(tries) < 100  # not one transaction per vote, and not forever
    assert _stored(question) == (0, 0)


@pytest.mark.django_db
def test_a_refusal_before_the_batch_keeps_the_vote_out_of_it(session_a, monkeypatch):
    question = _approved(session_a)
    batches = []
    original = vote_service.vote_batch

    def counting(requests):
        batches.append(list(requests))
        return original(requests)

    monkeypatch.setattr(vote_writer, "vote_batch", counting)

    async def both():
        good = vote_writer.submit(VoteRequest(session_a.pk, question.pk, "voter-a", add=True))
        bad = vote_writer.submit(VoteRequest(session_a.pk, TOO_BIG, "voter-b", add=True))
        return await asyncio.gather(good, bad, return_exceptions=True)

    good, bad = async_to_sync(both)()

    assert isinstance(good, VoteResult) and good.votes == 1
    assert isinstance(bad, DomainError) and bad.code == "invalid"
    assert [[r.question_id for r in batch] for batch in batches] == [[question.pk]]
