"""Vote counts go out as volatile frames built from what the batch returned (no re-read)."""

from __future__ import annotations

import asyncio

import pytest
from django.test import override_settings

from questions import selectors, vote_stream, vote_writer
from questions.identity import voter_id
from questions.models import Question
from questions.services import question_reject, vote_cast, vote_withdraw
from questions.services.votes import VoteRequest
from questions.vote_stream import Coalescer, VoteCount, VoteWriter
from studio import events
from studio.errors import DomainError
from tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db

ANNA, BEN = voter_id("anna-token-0000000"), voter_id("ben-token-00000000")


@pytest.fixture
def volatile(monkeypatch):
    """Every volatile frame sent, as (session, stream, type, data)."""
    record: list[tuple[int, str, str, dict]] = []

    def send(session_id, stream, type, data):
        record.append((session_id, stream, type, data))

    async def asend(session_id, stream, type, data):
        record.append((session_id, stream, type, data))
        return True

    monkeypatch.setattr(events, "send_volatile", send)
    monkeypatch.setattr(events, "asend_volatile", asend)
    return record


def test_each_changed_count_goes_out_with_the_version_its_update_set(
    approved_question, volatile, django_capture_on_commit_callbacks
):
    for cast, voter in ((vote_cast, ANNA), (vote_cast, BEN), (vote_withdraw, ANNA)):
        with django_capture_on_commit_callbacks(execute=True):
            cast(question=approved_question, voter=voter)

    key = str(approved_question.pk)
    crew = [d for _, stream, t, d in volatile if stream == events.CREW]
    assert crew == [
        {"counts": {key: 1}, "versions": {key: 1}},
        {"counts": {key: 2}, "versions": {key: 2}},
        {"counts": {key: 1}, "versions": {key: 3}},
    ]
    assert [d for _, s, _, d in volatile if s == events.PUBLIC] == crew
    assert Question.objects.get(pk=approved_question.pk).vote_version == 3


def test_no_sequenced_votes_event_is_logged(approved_question, volatile):
    head = events.stream_head(approved_question.session_id, events.CREW)
    vote_cast(question=approved_question, voter=ANNA)
    assert events.stream_head(approved_question.session_id, events.CREW) == head


def test_a_flush_runs_no_query(django_assert_num_queries, volatile):
    coalescer = Coalescer(events.CREW, delay=0)
    with django_assert_num_queries(0):
        coalescer.add(7, {12: VoteCount(9, 345, True)})
    assert volatile == [(7, events.CREW, "votes", {"counts": {"12": 9}, "versions": {"12": 345}})]


async def test_a_lower_version_never_overwrites_a_higher_one(volatile):
    coalescer = Coalescer(events.CREW, delay=0.05)
    coalescer.add(7, {12: VoteCount(9, 345, True), 13: VoteCount(1, 2, True)})
    coalescer.add(7, {12: VoteCount(8, 344, True), 13: VoteCount(2, 3, True)})
    await asyncio.sleep(0.2)

    assert volatile == [
        (7, events.CREW, "votes", {"counts": {"12": 9, "13": 2}, "versions": {"12": 345, "13": 3}})
    ]


async def test_counts_the_channel_layer_refused_go_out_once_it_takes_them(monkeypatch):
    """Redis down: no socket saw the counts and no event will bring them, so they are kept and
    sent again (newer ones winning), and once more after the first that gets through."""
    monkeypatch.setattr(vote_stream, "RESEND_SECONDS", 0.05)
    attempts: list[tuple[bool, dict]] = []
    up = False

    async def asend(session_id, stream, type, data):
        attempts.append((up, data["counts"]))
        return up

    monkeypatch.setattr(events, "asend_volatile", asend)
    coalescer = Coalescer(events.CREW, delay=0.01)
    coalescer.add(7, {12: VoteCount(9, 345, True)})
    await asyncio.sleep(0.2)
    assert attempts and all(not ok for ok, _ in attempts)  # tried again while down
    coalescer.add(7, {13: VoteCount(1, 2, True), 12: VoteCount(8, 344, True)})
    up = True
    await asyncio.sleep(0.3)

    delivered = [counts for ok, counts in attempts if ok]
    assert delivered == [{"12": 9, "13": 1}] * 2  # once when Redis is back, once more after
    attempts.clear()
    await asyncio.sleep(0.2)
    assert attempts == []  # then nothing more


def test_the_public_frame_never_carries_a_question_the_audience_cannot_see(volatile):
    Coalescer(events.PUBLIC, delay=0, public_only=True).add(
        7, {12: VoteCount(9, 3, True), 13: VoteCount(4, 5, False)}
    )
    Coalescer(events.PUBLIC, delay=0, public_only=True).add(7, {13: VoteCount(5, 6, False)})

    assert volatile == [(7, events.PUBLIC, "votes", {"counts": {"12": 9}, "versions": {"12": 3}})]


def test_vote_counts_lists_the_streams_questions_ever_voted_on_in_one_query(
    session_a, approved_question, moderator_a, django_assert_num_queries
):
    hidden = QuestionFactory(session=session_a, text="Pending?", status="pending", vote_version=3)
    QuestionFactory(session=session_a, text="Never voted?", status="approved")
    vote_cast(question=approved_question, voter=ANNA)

    with django_assert_num_queries(1):
        public = selectors.vote_counts(session_a.pk, public=True)
    crew = selectors.vote_counts(session_a.pk, public=False)

    # A question never voted on counts 0 in every snapshot: no count to resume.
    a, h = str(approved_question.pk), str(hidden.pk)
    assert public == {"counts": {a: 1}, "versions": {a: 1}}
    assert crew == {"counts": {a: 1, h: 0}, "versions": {a: 1, h: 3}}
    question_reject(actor=moderator_a, question=approved_question)
    assert selectors.vote_counts(session_a.pk, public=True) == {"counts": {}, "versions": {}}


async def test_a_vote_is_refused_at_once_as_busy_at_the_limit():
    gate = asyncio.Event()

    async def write(requests):
        await gate.wait()
        return ["ok"] * len(requests)

    busy = vote_writer._busy
    writer = VoteWriter(asyncio.get_running_loop(), write, vote_writer._unavailable, busy)
    with override_settings(VOTE_MAX_IN_FLIGHT=2):
        first = asyncio.ensure_future(writer.submit(VoteRequest(1, 1, "a", add=True)))
        second = asyncio.ensure_future(writer.submit(VoteRequest(1, 2, "a", add=True)))
        await asyncio.sleep(0.01)
        with pytest.raises(DomainError) as refused:
            await asyncio.wait_for(writer.submit(VoteRequest(1, 3, "a", add=True)), 0.05)
        gate.set()
        assert await first == "ok" and await second == "ok"
        assert await writer.submit(VoteRequest(1, 3, "a", add=True)) == "ok"
    assert (refused.value.code, refused.value.status_code) == ("busy", 503)
    assert refused.value.message == "The studio is busy: please vote again in a moment."


@override_settings(VOTE_MAX_IN_FLIGHT=0)
def test_a_vote_over_http_at_the_limit_is_answered_503_busy(api, approved_question):
    response = api.post(
        f"/api/public/sessions/{approved_question.session.slug}/questions/"
        f"{approved_question.pk}/vote/"
    )

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "busy"
    assert Question.objects.get(pk=approved_question.pk).vote_count == 0
