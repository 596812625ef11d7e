"""Limits come before work: a text or a name too long is refused or cut before anything reads it,
and the automatic checks of a question run within a time budget."""

from __future__ import annotations

import pytest

from questions.automod.normalise import RAW_LENGTH_CEILING, raw_length_cap
from questions.ingest.base import IncomingMessage, ingest
from questions.models import Author, ModerationLogEntry
from questions.services import AuthorInfo, question_submit
from studio.errors import ValidationFailed

pytestmark = pytest.mark.django_db

UNCHECKED = {"code": "unchecked", "reason": "Automatic checks did not finish: review by hand."}


def submit(session, text, *, source="web", **kwargs):
    author = AuthorInfo(platform="web", external_id="v" * 64, display_name="Léa")
    kwargs.setdefault("author", author)
    return question_submit(session=session, text=text, source=source, **kwargs).question


@pytest.fixture
def no_analysis(monkeypatch):
    """Fails the test if the text reaches normalisation or any check."""

    def refuse(*args, **kwargs):
        raise AssertionError("the text was analysed")

    monkeypatch.setattr("questions.services.submission.analyse", refuse)


@pytest.fixture
def no_checks(monkeypatch):
    """Fails the test if a content check runs (normalisation is allowed)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a check ran")

    for name in ("detect_language", "is_question", "find_profanity", "find_phone_numbers"):
        monkeypatch.setattr(f"questions.automod.{name}", refuse)


@pytest.fixture
def post_moderated(session_a):
    session_a.moderation_mode = "post"
    session_a.save()
    return session_a


def test_a_raw_text_far_past_the_limit_is_refused_before_it_is_even_normalised(
    session_a, no_analysis
):
    text = "a" * (raw_length_cap(session_a.max_question_length) + 1)

    with pytest.raises(ValidationFailed) as refused:
        submit(session_a, text)

    assert refused.value.code == "too_long"
    assert refused.value.details == {"text": "too_long", "max_length": 280}
    assert refused.value.message == (
        f"The question is too long: {len(text)} characters, at most 280."
    )


def test_a_text_too_long_once_normalised_is_refused_before_any_check(session_a, no_checks):
    with pytest.raises(ValidationFailed) as refused:
        submit(session_a, "<p>Call 06 12 34 56 78 now!</p> " * 20)

    assert refused.value.code == "too_long"
    assert refused.value.details["max_length"] == 280


def test_markup_heavy_text_within_the_raw_cap_is_accepted(session_a):
    mention = (
        '<span class="h-card"><a href="https://piaille.fr/@aya" class="u-url mention">'
        "@<span>aya</span></a></span>"
    )
    text = f"<p>{mention} " * 40 + "pourquoi Lisbonne ?</p>"
    assert len(text) > 10 * session_a.max_question_length

    question = submit(session_a, text)

    assert question.text.endswith("pourquoi Lisbonne ?")
    assert len(question.text) <= session_a.max_question_length


def test_a_source_that_truncates_is_cut_at_the_raw_cap_before_normalising(session_a):
    cap = raw_length_cap(session_a.max_question_length)
    within = "Pourquoi Lisbonne ? " + "x" * 400 + " appelez le 06 12 34 56 78"
    past = " 07 81 22 33 44"
    text = within + " " * (cap - len(within)) + past

    question = submit(session_a, text, source="sms", truncate=True)

    assert len(question.text) == session_a.max_question_length
    assert question.text.endswith("…")
    # The checks read past the cut (the first number) but not past the raw cap (the second).
    assert question.flags == [
        {"code": "personal_data", "reason": 'Personal data: phone number "•• •• •• •• 78"'}
    ]


def test_names_and_handles_are_cut_to_their_field_length(session_a):
    author = AuthorInfo(
        platform="web",
        external_id="w" * 64,
        display_name="N" * 100_000,
        handle="@" + "h" * 100_000,
        avatar_url="https://cdn.example/" + "a" * 500,
    )

    question = submit(session_a, "Why Lisbon?", author=author, author_name="Z" * 100_000)

    assert question.author_name == "Z" * 120
    stored = Author.objects.get(pk=question.author_id)
    assert stored.display_name == "N" * 120
    assert stored.handle == "@" + "h" * 119
    assert stored.avatar_url == ""  # cut, it would be a broken address


def test_an_ingested_message_is_cut_to_the_limits_when_it_is_built():
    message = IncomingMessage(
        source="sms",
        external_id="SM1",
        text="a" * (RAW_LENGTH_CEILING + 10),
        author_platform="sms",
        author_id="x",
        author_name="n" * 5000,
        author_handle="h" * 5000,
    )

    assert len(message.text) == RAW_LENGTH_CEILING
    assert message.author_name == "n" * 120
    assert message.author_handle == "h" * 120
    assert IncomingMessage.from_dict(message.to_dict()) == message


def test_a_huge_ingested_message_becomes_a_cut_question(session_a):
    message = IncomingMessage(
        source="social:mastodon",
        external_id="https://piaille.fr/@x/1",
        text="<p>Pourquoi Lisbonne ?" + " bla" * 200_000 + "</p>",
        author_platform="mastodon",
        author_id="x",
        author_name="X" * 200_000,
    )

    question = ingest(session_a, message).question

    assert question.text.startswith("Pourquoi Lisbonne ?")
    assert len(question.text) == session_a.max_question_length
    assert question.author_name == "X" * 120


def test_a_question_whose_checks_ran_out_of_time_waits_for_a_moderator(post_moderated, settings):
    settings.AUTOMOD_BUDGET_SECONDS = 0

    question = submit(post_moderated, "What inspired the second album?")

    assert question.status == "pending"  # clean questions are approved on arrival here
    assert question.flags == [UNCHECKED]
    entry = ModerationLogEntry.objects.get(question=question, action="submit")
    assert entry.details == {"flags": ["unchecked"]}
    assert entry.reason == UNCHECKED["reason"]


def test_an_unchecked_question_waits_for_a_moderator_even_where_flagged_ones_are_rejected(
    session_a, settings
):
    settings.AUTOMOD_BUDGET_SECONDS = 0
    session_a.flagged_policy = "reject"
    session_a.save()

    question = submit(session_a, "What inspired the second album?")

    assert question.status == "pending"
    assert question.flags == [UNCHECKED]


def test_the_budget_covers_the_search_for_duplicates(post_moderated, settings):
    submit(post_moderated, "Pourquoi avez-vous enregistré l'album à Lisbonne ?")
    settings.AUTOMOD_BUDGET_SECONDS = 0

    repeat = submit(post_moderated, "pourquoi avez vous enregistre l album a Lisbonne")

    assert repeat.duplicate_of is None  # not compared: no time left
    assert repeat.flags == [UNCHECKED]
    assert repeat.status == "pending"


def test_with_time_to_spare_a_clean_question_is_approved_as_before(post_moderated, settings):
    settings.AUTOMOD_BUDGET_SECONDS = 60

    question = submit(post_moderated, "What inspired the second album?")

    assert question.status == "approved"
    assert question.flags == []
