"""The air: locked, it shows nothing and refuses every take; cue and take next; every act in the
air log with who and when; every refused take kept there with its reason."""

from __future__ import annotations

import pytest
from django.utils import timezone

from questions.models import AirLogEntry, Question
from questions.selectors import air_log_for_session
from questions.services import (
    air_lock,
    air_unlock,
    question_archive,
    question_cue,
    question_mark_answered,
    question_reject,
    session_clear_on_air,
    session_take_next,
    session_take_on_air,
    session_uncue,
)
from questions.shapes import cue_shape, on_air_shape
from studio.errors import Conflict, NotAllowed
from studio.models import AsRunEntry, LiveSession
from studio.publish import session_shape
from tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db


def approved(session, text="What is next?", **kwargs):
    return QuestionFactory(
        session=session, text=text, status="approved", approved_at=timezone.now(), **kwargs
    )


def status_of(question):
    return Question.objects.values_list("status", flat=True).get(pk=question.pk)


def cued_at(question):
    return Question.objects.values_list("cued_at", flat=True).get(pk=question.pk)


def air_log(session):
    return [
        (e.action, e.actor.username if e.actor else None, e.question_id)
        for e in AirLogEntry.objects.filter(session=session).order_by("created_at", "id")
    ]


def locked(session):
    return LiveSession.objects.values_list("air_locked", flat=True).get(pk=session.pk)


# --- the lock ---------------------------------------------------------------------------------


def test_locking_clears_the_air_and_the_overlay_shows_nothing(session_a, host_a):
    question = approved(session_a, "On air now?")
    session_take_on_air(actor=host_a, session=session_a, question=question)
    assert on_air_shape(session_a.pk)["question"]["text"] == "On air now?"

    air_lock(actor=host_a, session=session_a)

    assert locked(session_a)
    assert on_air_shape(session_a.pk)["question"] is None
    assert status_of(question) == "approved"
    entry = AsRunEntry.objects.get(question=question)
    assert (entry.outcome, entry.ended_by) == ("cleared", host_a)
    assert ("lock", "hugo", None) in air_log(session_a)


def test_while_locked_no_take_airs_and_the_refusal_is_logged(session_a, host_a, producer_a):
    question = approved(session_a)
    air_lock(actor=host_a, session=session_a)

    for actor in (host_a, producer_a):
        with pytest.raises(Conflict) as refused:
            session_take_on_air(actor=actor, session=session_a, question=question)
        assert refused.value.code == "air_locked"
        assert refused.value.status_code == 409
        assert refused.value.message == "The air is locked: a producer must unlock it first."

    assert status_of(question) == "approved"
    assert on_air_shape(session_a.pk)["question"] is None
    refusals = AirLogEntry.objects.filter(session=session_a, action="refuse").order_by("id")
    assert [(r.actor.username, r.question_id, r.details["code"]) for r in refusals] == [
        ("hugo", question.pk, "air_locked"),
        ("alice", question.pk, "air_locked"),
    ]
    assert refusals[0].reason == "The air is locked: a producer must unlock it first."


def test_the_session_shape_tells_the_crew_and_the_audience_the_air_is_locked(session_a, host_a):
    assert session_shape(session_a, crew=True)["air_locked"] is False

    session = air_lock(actor=host_a, session=session_a)

    assert session_shape(session, crew=True)["air_locked"] is True
    assert session_shape(session, crew=False)["air_locked"] is True


def test_hosts_may_lock_but_only_a_producer_unlocks(session_a, host_a, moderator_a, producer_a):
    question = approved(session_a)
    air_lock(actor=host_a, session=session_a)

    for crew in (host_a, moderator_a):
        with pytest.raises(NotAllowed) as refused:
            air_unlock(actor=crew, session=session_a)
        assert refused.value.details["needs"] == "manage"
    assert locked(session_a)

    air_unlock(actor=producer_a, session=session_a)

    assert not locked(session_a)
    session_take_on_air(actor=host_a, session=session_a, question=question)
    assert status_of(question) == "on_air"


def test_a_viewer_cannot_lock(session_a, viewer_a):
    with pytest.raises(NotAllowed):
        air_lock(actor=viewer_a, session=session_a)
    assert not locked(session_a)


# --- cue and take next ------------------------------------------------------------------------


def test_take_next_airs_the_cued_question_and_clears_its_cue(session_a, host_a):
    first, second = approved(session_a, "First?"), approved(session_a, "Second?")

    question_cue(actor=host_a, question=second)
    assert cue_shape(session_a.pk)["question"]["text"] == "Second?"
    taken = session_take_next(actor=host_a, session=session_a)

    assert taken.pk == second.pk
    assert status_of(second) == "on_air"
    assert status_of(first) == "approved"
    assert on_air_shape(session_a.pk)["question"]["text"] == "Second?"
    assert cue_shape(session_a.pk)["question"] is None
    assert cued_at(second) is None


def test_take_next_with_nothing_cued_is_refused(session_a, host_a):
    approved(session_a)

    with pytest.raises(Conflict) as refused:
        session_take_next(actor=host_a, session=session_a)

    assert (refused.value.code, refused.value.status_code) == ("nothing_cued", 409)
    assert on_air_shape(session_a.pk)["question"] is None


def test_take_next_is_refused_while_locked_and_the_cue_stays(session_a, host_a):
    question = approved(session_a)
    question_cue(actor=host_a, question=question)
    air_lock(actor=host_a, session=session_a)

    with pytest.raises(Conflict) as refused:
        session_take_next(actor=host_a, session=session_a)

    assert refused.value.code == "air_locked"
    assert status_of(question) == "approved"
    assert cued_at(question) is not None


def test_a_new_cue_replaces_the_old_one(session_a, host_a):
    first, second = approved(session_a, "First?"), approved(session_a, "Second?")

    question_cue(actor=host_a, question=first)
    question_cue(actor=host_a, question=second)

    assert cued_at(first) is None
    assert cued_at(second) is not None
    assert cue_shape(session_a.pk)["question"]["id"] == second.pk


@pytest.mark.parametrize("status", ["pending", "rejected", "answered", "archived", "on_air"])
def test_only_an_approved_question_can_be_cued(session_a, host_a, status):
    question = QuestionFactory(session=session_a, status=status)

    with pytest.raises(Conflict) as refused:
        question_cue(actor=host_a, question=question)

    assert refused.value.code == "not_approved"
    assert cued_at(question) is None


@pytest.mark.parametrize(
    "stop",
    [
        lambda crew, q: question_reject(actor=crew, question=q, reason="Off topic"),
        lambda crew, q: question_archive(actor=crew, question=q),
        lambda crew, q: question_mark_answered(actor=crew, question=q),
        lambda crew, q: session_take_on_air(actor=crew, session=q.session, question=q),
    ],
    ids=["rejected", "archived", "answered", "taken directly"],
)
def test_a_cued_question_that_stops_being_approved_loses_its_cue(session_a, producer_a, stop):
    question = approved(session_a)
    question_cue(actor=producer_a, question=question)

    stop(producer_a, question)

    assert cued_at(question) is None
    assert cue_shape(session_a.pk)["question"] is None


def test_uncue(session_a, host_a):
    question = approved(session_a)
    question_cue(actor=host_a, question=question)

    assert session_uncue(actor=host_a, session=session_a).pk == question.pk

    assert cued_at(question) is None
    assert session_uncue(actor=host_a, session=session_a) is None


# --- the air log ------------------------------------------------------------------------------


def test_the_air_log_holds_every_act_with_who_and_when(session_a, host_a, producer_a):
    first, second = approved(session_a, "First?"), approved(session_a, "Second?")
    before = timezone.now()

    question_cue(actor=host_a, question=first)
    session_uncue(actor=host_a, session=session_a)
    question_cue(actor=producer_a, question=first)
    session_take_next(actor=host_a, session=session_a)
    session_clear_on_air(actor=host_a, session=session_a)
    session_take_on_air(actor=host_a, session=session_a, question=second)
    question_mark_answered(actor=host_a, question=second)
    air_lock(actor=host_a, session=session_a)
    air_unlock(actor=producer_a, session=session_a)

    assert air_log(session_a) == [
        ("cue", "hugo", first.pk),
        ("uncue", "hugo", first.pk),
        ("cue", "alice", first.pk),
        ("take", "hugo", first.pk),
        ("clear", "hugo", first.pk),
        ("take", "hugo", second.pk),
        ("answer", "hugo", second.pk),
        ("lock", "hugo", None),
        ("unlock", "alice", None),
    ]
    times = [e.created_at for e in AirLogEntry.objects.filter(session=session_a)]
    assert all(before <= t <= timezone.now() for t in times)
    # Newest first for the crew.
    assert air_log_for_session(session_a)[0].action == "unlock"


def test_a_refused_take_changes_nothing_but_the_air_log(session_a, host_a):
    on_air = approved(session_a, "On air now?")
    session_take_on_air(actor=host_a, session=session_a, question=on_air)
    too_long = approved(session_a, "word " * 400)

    with pytest.raises(Conflict) as refused:
        session_take_on_air(actor=host_a, session=session_a, question=too_long)

    assert refused.value.code == "too_long"
    assert status_of(on_air) == "on_air"
    assert status_of(too_long) == "approved"
    entry = AirLogEntry.objects.get(session=session_a, action="refuse")
    assert (entry.question_id, entry.details["code"]) == (too_long.pk, "too_long")
    assert entry.reason == refused.value.message
