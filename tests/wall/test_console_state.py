"""What the console knows of an item's wall state and of listeners' reports: the crew question
carries them, every public shape leaves them out, and a report under the threshold reaches the
crew stream only."""

from __future__ import annotations

import pytest

from live.snapshots import audience_snapshot, console_snapshot, overlay_snapshot
from questions.services.reports import question_report
from questions.services.wall import wall_set
from questions.shapes import crew_question, public_question, wall_shape
from studio.models import EventLogEntry
from tests.wall.conftest import wall_question

CREW_ONLY = {"wall_state", "wall_position", "report_count"}


def _keys(value) -> set[str]:
    """Every key of every dict nested in ``value``."""
    if isinstance(value, dict):
        return set(value).union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value))
    return set()


@pytest.fixture
def pinned_and_reported(session_a, producer_a):
    pinned = wall_question(session_a, "Pinned one?")
    reported = wall_question(session_a, "Reported one?")
    wall_question(session_a, "Pin me too?")
    wall_set(actor=producer_a, question=pinned, state="pinned")
    wall_set(actor=producer_a, question=reported, state="hidden")
    for n in (1, 2):
        question_report(session=session_a, question=reported, reporter=f"listener-{n}")
    return pinned, reported


@pytest.mark.django_db
def test_the_console_sees_each_items_wall_state_and_reports(session_a, pinned_and_reported):
    pinned, reported = pinned_and_reported

    shown = {q["id"]: q for q in console_snapshot(session_a)["data"]["questions"]}

    assert {k: shown[pinned.pk][k] for k in CREW_ONLY} == {
        "wall_state": "pinned",
        "wall_position": 1,
        "report_count": 0,
    }
    assert {k: shown[reported.pk][k] for k in CREW_ONLY} == {
        "wall_state": "hidden",
        "wall_position": None,
        "report_count": 2,
    }


@pytest.mark.django_db
def test_no_public_shape_tells_the_wall_state_or_the_reports(session_a, pinned_and_reported):
    _pinned, reported = pinned_and_reported
    reported.refresh_from_db()

    assert set(crew_question(reported)) >= CREW_ONLY
    assert not CREW_ONLY & set(public_question(reported))
    assert not CREW_ONLY & _keys(audience_snapshot(session_a, voter=None))
    assert not CREW_ONLY & _keys(overlay_snapshot(session_a))
    # The wall says where an item is pinned in its own words, never how often it was reported.
    assert "report_count" not in _keys(wall_shape(session_a))


@pytest.mark.django_db
def test_a_report_under_the_threshold_is_shown_to_the_crew_only(session_a):
    question = wall_question(session_a, "Fine question?")
    before = EventLogEntry.objects.filter(session=session_a).count()

    question_report(session=session_a, question=question, reporter="listener-1")

    events = EventLogEntry.objects.filter(session=session_a).order_by("pk")[before:]
    assert [(e.stream, e.type) for e in events] == [("crew", "question")]
    data = events[0].data
    assert data["id"] == question.pk
    assert data["question"]["report_count"] == 1
    assert data["question"]["status"] == "approved"


@pytest.mark.django_db
def test_a_repeated_report_announces_nothing(session_a):
    question = wall_question(session_a, "Fine question?")
    question_report(session=session_a, question=question, reporter="listener-1")
    before = EventLogEntry.objects.filter(session=session_a).count()

    question_report(session=session_a, question=question, reporter="listener-1")

    assert EventLogEntry.objects.filter(session=session_a).count() == before


@pytest.mark.django_db
def test_a_report_of_the_question_on_air_is_shown_to_the_crew_only(session_a):
    session_a.report_threshold = 1
    session_a.save(update_fields=["report_threshold"])
    question = wall_question(session_a, "On air now?", status="on_air")
    before = EventLogEntry.objects.filter(session=session_a).count()

    question_report(session=session_a, question=question, reporter="listener-1")

    events = EventLogEntry.objects.filter(session=session_a).order_by("pk")[before:]
    assert [(e.stream, e.type) for e in events] == [("crew", "question")]
    assert events[0].data["question"]["status"] == "on_air"
    assert events[0].data["question"]["report_count"] == 1
