"""Author names are untrusted text like the question: normalised to plain text, checked, and a
flagged name holds the question for a moderator whatever the mode, from every source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from questions.ingest.base import IncomingMessage, ingest
from questions.ingest.mastodon import status_to_message
from questions.ingest.sms import message_from_form
from questions.models import Author, Question
from questions.services import AuthorInfo, question_submit

pytestmark = pytest.mark.django_db

HOSTILE_NAME = "connard 06 12 34 56 78"
FIXTURES = Path(__file__).resolve().parents[1] / "ingest" / "fixtures"
ASK = "/api/public/sessions/live-a/questions/"


@pytest.fixture
def post_moderated(session_a):
    session_a.moderation_mode = "post"
    session_a.save()
    return session_a


def submit(session, *, name, text="What inspired the second album?", source="web", **kwargs):
    author = AuthorInfo(platform="web", external_id="b" * 64, display_name=name)
    return question_submit(
        session=session, text=text, source=source, author=author, author_name=name, **kwargs
    ).question


def name_flags(question: Question) -> list[dict]:
    return [flag for flag in question.flags if flag.get("field") == "name"]


def test_an_insult_and_a_phone_number_as_a_name_hold_the_question_in_post_moderation(
    post_moderated,
):
    question = submit(post_moderated, name=HOSTILE_NAME)

    assert question.status == "pending"
    assert [(f["code"], f["field"]) for f in name_flags(question)] == [
        ("profanity", "name"),
        ("personal_data", "name"),
    ]
    reasons = " ".join(f["reason"] for f in question.flags)
    assert "connard" not in reasons and "06 12 34 56 78" not in reasons  # masked in the reasons


def test_a_clean_name_leaves_a_clean_question_approved_on_arrival(post_moderated):
    question = submit(post_moderated, name="Camille 👩‍👩‍👧")

    assert question.status == "approved"
    assert question.flags == []
    assert question.author_name == "Camille 👩\u200d👩\u200d👧"


def test_under_the_reject_policy_a_flagged_name_is_held_not_rejected(session_a):
    session_a.flagged_policy = "reject"
    session_a.save()

    question = submit(session_a, name=HOSTILE_NAME)

    assert question.status == "pending"
    assert {f["code"] for f in name_flags(question)} == {"profanity", "personal_data"}


def test_the_station_blocked_words_apply_to_names(post_moderated):
    station = post_moderated.station
    station.blocked_words = ["Zorglub"]
    station.save()

    question = submit(post_moderated, name="Zorglub le grand")

    assert question.status == "pending"
    assert [f["code"] for f in name_flags(question)] == ["profanity"]


def test_a_name_is_stored_without_markup_and_the_markup_is_flagged(post_moderated):
    question = submit(post_moderated, name="<b>Camille</b> &lt;img src=x onerror=alert(1)&gt;")

    assert question.author_name == "Camille"
    assert "<" not in question.author.display_name
    assert question.status == "pending"
    assert [f["code"] for f in name_flags(question)] == ["markup"]


def test_the_ask_form_name_is_checked(api, post_moderated):
    response = api.post(
        ASK, {"text": "Is the tour coming to Lyon?", "name": HOSTILE_NAME}, format="json"
    )

    assert response.status_code == 201
    question = Question.objects.get(pk=response.json()["id"])
    assert question.status == "pending"
    assert {f["code"] for f in name_flags(question)} == {"profanity", "personal_data"}


def test_a_manual_crew_entry_with_a_flagged_name_is_held(post_moderated, moderator_a):
    question = submit(post_moderated, name=HOSTILE_NAME, source="manual", actor=moderator_a)

    assert question.status == "pending"
    assert name_flags(question)


def test_an_sms_with_a_flagged_name_is_held(post_moderated):
    message = IncomingMessage(
        source="sms",
        external_id="SM-replayed-1",
        text="Que prévoyez-vous pour les salles de concert ?",
        author_platform="sms",
        author_id="c" * 64,
        author_name=HOSTILE_NAME,
    )

    question = ingest(post_moderated, message).question

    assert question.status == "pending"
    assert {f["code"] for f in name_flags(question)} == {"profanity", "personal_data"}


def test_the_masked_number_an_sms_is_signed_with_is_no_personal_data(post_moderated):
    form = json.loads((FIXTURES / "twilio_inbound_sms.json").read_text())

    question = ingest(post_moderated, message_from_form(form)).question

    assert "••" in question.author_name
    assert question.status == "approved"
    assert question.flags == []


def test_a_mastodon_display_name_with_an_insult_and_a_number_is_held(post_moderated):
    status = json.loads((FIXTURES / "mastodon_status.json").read_text())
    status["account"]["display_name"] = f"<p>{HOSTILE_NAME}</p>"
    status["content"] = "<p>What inspired the second album?</p>"

    message = status_to_message(status, host="piaille.fr")
    assert message is not None
    question = ingest(post_moderated, message).question

    assert question.status == "pending"
    assert question.author_name == HOSTILE_NAME
    assert {f["code"] for f in name_flags(question)} == {"profanity", "personal_data", "markup"}
    assert Author.objects.get(pk=question.author_id).display_name == HOSTILE_NAME
