"""What the automatic checks do to an arriving question: flags for the moderator, the session's
policy, clusters of near-duplicates."""

from __future__ import annotations

import pytest

from questions.models import ModerationLogEntry, Question
from questions.services import AuthorInfo, question_approve, question_submit, vote_cast

pytestmark = pytest.mark.django_db


def submit(session, text, *, who="a" * 64, **kwargs):
    kwargs.setdefault("source", "web")
    author = AuthorInfo(platform="web", external_id=who, display_name="Léa")
    return question_submit(session=session, text=text, author=author, **kwargs).question


def codes(question: Question) -> list[str]:
    return [flag["code"] for flag in question.flags]


@pytest.fixture
def post_moderated(session_a):
    session_a.moderation_mode = "post"
    session_a.save()
    return session_a


def test_a_clean_question_is_approved_on_arrival_in_post_moderation(post_moderated):
    question = submit(post_moderated, "What inspired the second album?")

    assert question.status == "approved"
    assert question.flags == []
    assert question.language == "en"
    assert question.is_question is True


def test_a_flagged_question_waits_for_a_moderator_even_in_post_moderation(post_moderated):
    question = submit(post_moderated, "Why is this concert so f*cking expensive?")

    assert question.status == "pending"
    assert codes(question) == ["profanity"]
    assert "f**k" in question.flags[0]["reason"]


def test_with_the_reject_policy_a_flagged_question_is_rejected_with_its_reasons(session_a):
    session_a.flagged_policy = "reject"
    session_a.save()

    question = submit(session_a, "Call me on 06 12 34 56 78 for the tickets")

    assert question.status == "rejected"
    assert codes(question) == ["personal_data"]
    entry = ModerationLogEntry.objects.get(question=question, action="submit")
    assert entry.reason.startswith("Personal data")
    assert "06 12 34 56 78" not in entry.reason  # the number itself is not kept in the log


def test_markup_is_stripped_and_the_guest_named_is_found(session_a):
    question = submit(
        session_a,
        '<p>Question pour <span class="h-card"><a href="https://x.example/@aya">Aya</a></span>'
        " : pourquoi&nbsp;Lisbonne ?</p>",
    )

    assert question.text == "Question pour Aya : pourquoi Lisbonne ?"
    assert question.target_guest.name == "Aya Lune"
    assert question.language == "fr"


def test_a_source_that_cannot_shorten_is_cut_to_the_session_limit(session_a):
    session_a.max_question_length = 40
    session_a.save()

    question = submit(session_a, "Why " * 30 + "?", source="sms", truncate=True)

    assert len(question.text) == 40
    assert question.text.endswith("…")


def test_one_author_sending_too_often_is_flagged_as_a_flood(session_a, settings):
    settings.FLOOD_MAX_QUESTIONS = 3
    texts = [
        "When does the tour start?",
        "Is there a vinyl edition?",
        "Who produced the record?",
        "Will you play in Lyon?",
    ]
    questions = [submit(session_a, text) for text in texts]

    assert [codes(q) for q in questions[:3]] == [[], [], []]
    assert codes(questions[3]) == ["flood"]
    # Another listener is not affected.
    assert codes(submit(session_a, "Any plans for Brussels?", who="b" * 64)) == []


def test_a_banned_authors_question_is_rejected_and_says_why(session_a, producer_a):
    from questions.services import ban_create

    first = submit(session_a, "Is the album out on Friday?")
    ban_create(actor=producer_a, question=first)

    question = submit(session_a, "And what about the vinyl?")

    assert question.status == "rejected"
    assert "banned" in codes(question)


def test_a_near_duplicate_joins_the_originals_cluster(session_a):
    original = submit(session_a, "Pourquoi avez-vous enregistré l'album à Lisbonne ?")

    duplicate = submit(session_a, "pourquoi avez vous enregistre l album a Lisbonne", who="c" * 64)
    other = submit(session_a, "Quel est votre prochain concert ?", who="d" * 64)

    assert duplicate.duplicate_of == original
    assert codes(duplicate) == ["duplicate"]
    assert f"#{original.pk}" in duplicate.flags[0]["reason"]
    assert other.duplicate_of is None


def test_a_duplicate_of_a_duplicate_joins_the_same_original(session_a):
    original = submit(session_a, "Will you tour in Canada next year?")
    second = submit(session_a, "will you tour in canada next year", who="c" * 64)
    third = submit(session_a, "Will you tour in Canada next year ??", who="e" * 64)

    assert second.duplicate_of == original
    assert third.duplicate_of == original


def test_votes_on_a_duplicate_count_for_its_cluster(session_a, producer_a):
    original = submit(session_a, "Will you tour in Canada next year?")
    duplicate = submit(session_a, "will you tour in canada next year", who="c" * 64)
    for q in (original, duplicate):
        question_approve(actor=producer_a, question=q)

    vote_cast(question=Question.objects.get(pk=original.pk), voter="1" * 64)
    vote_cast(question=Question.objects.get(pk=duplicate.pk), voter="2" * 64)
    vote_cast(question=Question.objects.get(pk=duplicate.pk), voter="3" * 64)

    original.refresh_from_db()
    duplicate.refresh_from_db()
    assert original.vote_count == 3  # its own vote and the cluster's two
    assert duplicate.vote_count == 2


def test_station_word_lists_add_and_allow_words(session_a):
    station = session_a.station
    station.blocked_words = ["navet"]
    station.allowed_words = ["damn"]
    station.save()

    assert codes(submit(session_a, "Ce film est un navet, non ?")) == ["profanity"]
    assert codes(submit(session_a, "Is Damn Yankees your favourite band?", who="f" * 64)) == []


def test_crew_added_questions_are_not_held_by_flags(session_a, moderator_a, post_moderated):
    question = question_submit(
        session=post_moderated,
        text="A listener asks: see www.example.com for the tour dates?",
        source="manual",
        actor=moderator_a,
    ).question

    assert "link" in codes(question)
    assert question.status == "approved"


def test_the_crew_list_filters_flagged_questions(session_a, api_as, moderator_a):
    submit(session_a, "When is the next tour?")
    submit(session_a, "Visit www.cheap-tickets.example for seats?", who="b" * 64)
    client = api_as(moderator_a)
    url = f"/api/sessions/{session_a.pk}/questions/"

    flagged = client.get(url, {"flagged": "true"}).json()["results"]
    links = client.get(url, {"flag": "link"}).json()["results"]
    clean = client.get(url, {"flagged": "false"}).json()["results"]

    assert [q["text"] for q in flagged] == ["Visit www.cheap-tickets.example for seats?"]
    assert [q["flags"][0]["code"] for q in links] == ["link"]
    assert [q["text"] for q in clean] == ["When is the next tour?"]


def test_a_voter_counts_once_per_cluster(session_a, producer_a):
    from studio.errors import Conflict

    original = submit(session_a, "Will you tour in Canada next year?")
    duplicate = submit(session_a, "will you tour in canada next year", who="c" * 64)
    for q in (original, duplicate):
        question_approve(actor=producer_a, question=q)
    vote_cast(question=Question.objects.get(pk=duplicate.pk), voter="1" * 64)

    with pytest.raises(Conflict) as refused:
        vote_cast(question=Question.objects.get(pk=original.pk), voter="1" * 64)

    assert refused.value.code == "already_voted"
    original.refresh_from_db()
    assert original.vote_count == 1  # the one vote, through the duplicate
