"""What fits the overlay's lower third at its readable floor, and the on-air wording and name."""

from __future__ import annotations

import pytest

from questions.fit import count_lines, fits_on_air, line_budget
from questions.models import ModerationLogEntry, QuestionStatus
from questions.services import question_rename, question_reword, session_take_on_air
from questions.shapes import crew_question, on_air_shape
from studio.errors import InvalidTransition, ValidationFailed
from tests.factories import QuestionFactory

EN = (
    "How do you decide which songs make it onto an album when you have written far more than "
    "you can record, and do the ones left out ever come back later in another form, maybe on "
    "stage or for another artist, or are they simply gone for good after the studio sessions "
    "end, never to be heard by anyone outside the band?"
)
FR = (
    "Comment choisissez-vous les chansons qui figurent sur un album quand vous en avez écrit "
    "bien plus que vous ne pouvez en enregistrer, et celles qui restent de côté reviennent-elles "
    "un jour sous une autre forme, sur scène ou pour un autre artiste, ou disparaissent-elles ?"
)


def test_the_budget_is_the_overlay_box_at_its_floor():
    budget = line_budget()
    assert budget.floor_px == 30
    assert budget.max_lines == 4
    assert 1400 < budget.width_px < 1560
    assert 60 <= budget.chars_per_line <= 90


@pytest.mark.parametrize("text", [EN[:60], EN[:200], EN[:280], FR[:280]])
def test_questions_up_to_280_characters_of_prose_fit(text):
    assert fits_on_air(text=text, name="Zoé", session=None)


def test_prose_past_four_lines_does_not_fit():
    long = EN + " " + FR
    assert count_lines(long, width_px=line_budget().width_px, size_px=30) > 4
    assert not fits_on_air(text=long, name="Zoé", session=None)


def test_wide_capitals_count_wider_than_prose():
    assert fits_on_air(text="a" * 200, name="", session=None)
    assert not fits_on_air(text="W" * 200, name="", session=None)


def test_an_unbroken_word_wraps_anywhere_and_is_counted():
    budget = line_budget()
    assert count_lines("x" * 90, width_px=budget.width_px, size_px=30) == 2
    assert count_lines("short", width_px=budget.width_px, size_px=30) == 1


def test_a_name_must_fit_its_line():
    assert fits_on_air(text="Why?", name="Camille Martin-Dubois", session=None)
    assert not fits_on_air(text="Why?", name="M" * 120, session=None)


# --- on-air wording and name ---------------------------------------------------------------


@pytest.mark.django_db
def test_reword_keeps_the_text_and_the_approval_and_is_logged(moderator_a, approved_question):
    original = approved_question.text
    q = question_reword(actor=moderator_a, question=approved_question, text="  Short   one? ")

    q.refresh_from_db()
    assert q.air_text == "Short one?"
    assert q.text == original
    assert q.status == QuestionStatus.APPROVED
    entry = ModerationLogEntry.objects.filter(question=q).latest("id")
    assert entry.details["field"] == "air_text"
    assert crew_question(q)["air_text"] == "Short one?"

    question_reword(actor=moderator_a, question=q, text="")
    q.refresh_from_db()
    assert q.air_text == ""


@pytest.mark.django_db
def test_reword_refuses_a_wording_past_the_session_limit(moderator_a, approved_question):
    with pytest.raises(ValidationFailed) as exc:
        question_reword(actor=moderator_a, question=approved_question, text="x" * 281)
    assert exc.value.code == "too_long"


@pytest.mark.django_db
def test_rename_sets_and_resets_the_aired_name(moderator_a, approved_question):
    q = question_rename(actor=moderator_a, question=approved_question, name=" C.  M. ")
    q.refresh_from_db()
    assert q.air_name == "C. M."
    entry = ModerationLogEntry.objects.filter(question=q).latest("id")
    assert entry.details == {"field": "air_name", "air_name": "C. M."}
    question_rename(actor=moderator_a, question=q, name="")
    q.refresh_from_db()
    assert q.air_name == ""


@pytest.mark.django_db
def test_what_airs_is_the_wording_and_the_name_when_set(
    moderator_a, producer_a, session_a, approved_question
):
    question_reword(actor=moderator_a, question=approved_question, text="Short one?")
    question_rename(actor=moderator_a, question=approved_question, name="C. M.")
    approved_question.refresh_from_db()
    session_take_on_air(actor=producer_a, session=session_a, question=approved_question)

    shown = on_air_shape(session_a.pk)["question"]
    assert (shown["text"], shown["author_name"]) == ("Short one?", "C. M.")
    approved_question.refresh_from_db()
    with pytest.raises(InvalidTransition):
        question_reword(actor=moderator_a, question=approved_question, text="Other?")


@pytest.mark.django_db
def test_the_crew_shape_says_whether_what_would_air_fits(moderator_a, session_a):
    q = QuestionFactory(session=session_a, status=QuestionStatus.APPROVED, text="W" * 250)
    assert crew_question(q)["fits"] is False
    q = question_reword(actor=moderator_a, question=q, text="Shorter?")
    assert crew_question(q)["fits"] is True
