"""question_submit: what a question looks like when it arrives, and when it is refused."""

from __future__ import annotations

import pytest

from questions.models import Author, Ban, ModerationLogEntry, Question
from questions.services import AuthorInfo, question_edit, question_submit
from studio.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from tests.factories import AuthorFactory, GuestFactory, LiveSessionFactory

pytestmark = pytest.mark.django_db


def submit(session, text="What is the plan for the bridge?", **kwargs):
    kwargs.setdefault("source", "web")
    return question_submit(session=session, text=text, **kwargs)


def listener(external_id="a" * 64, **kwargs):
    return AuthorInfo(platform="web", external_id=external_id, **kwargs)


# Normalisation


def test_it_stores_the_text_in_nfc_form(session_a):
    # "e" followed by a combining acute accent: two code points that read as one letter.
    result = submit(session_a, text="Cafe\u0301 or tea?")

    question = Question.objects.get(pk=result.question.pk)
    assert question.text == "Caf\u00e9 or tea?"
    assert question.original_text == "Caf\u00e9 or tea?"


def test_it_collapses_runs_of_whitespace_and_trims_the_ends(session_a):
    result = submit(session_a, text="  Why \n\n  now,\t\tand  why   here?  \r\n")

    assert Question.objects.get(pk=result.question.pk).text == "Why now, and why here?"


def test_it_removes_control_and_invisible_characters(session_a):
    result = submit(session_a, text="Hel\x00lo\x07 the\u200bre\u202e, \ufeffguest\x7f?")

    assert Question.objects.get(pk=result.question.pk).text == "Hello there, guest?"


def test_it_measures_the_length_after_normalisation(session_a):
    session_a.max_question_length = 20
    session_a.save()
    typed = "  Is      it   true\n\n that     tax?  "
    assert len(typed) > 20

    result = submit(session_a, text=typed)

    assert Question.objects.get(pk=result.question.pk).text == "Is it true that tax?"


@pytest.mark.parametrize("text", ["", "   \n\t ", "\u200b\x00\ufeff"])
def test_it_rejects_a_question_that_is_empty_once_normalised(session_a, text):
    with pytest.raises(ValidationFailed) as exc:
        submit(session_a, text=text)

    assert exc.value.code == "invalid"
    assert exc.value.details == {"text": "empty"}
    assert not Question.objects.exists()


def test_it_rejects_a_question_longer_than_the_session_allows(session_a):
    session_a.max_question_length = 20
    session_a.save()

    with pytest.raises(ValidationFailed) as exc:
        submit(session_a, text="x" * 21)

    assert exc.value.code == "too_long"
    assert exc.value.details == {"text": "too_long", "max_length": 20}
    assert not Question.objects.exists()


def test_it_accepts_a_question_of_exactly_the_session_limit(session_a):
    session_a.max_question_length = 20
    session_a.save()

    result = submit(session_a, text="x" * 20)

    assert Question.objects.get(pk=result.question.pk).text == "x" * 20


# Session state


@pytest.mark.parametrize("status", ["draft", "ended"])
def test_the_audience_cannot_submit_to_a_session_that_is_not_live(session_a, status):
    session_a.status = status
    session_a.save()

    with pytest.raises(Conflict) as exc:
        submit(session_a)

    assert exc.value.code == "session_closed"
    assert not Question.objects.exists()


def test_the_audience_cannot_submit_when_submissions_are_closed(session_a):
    session_a.submissions_open = False
    session_a.save()

    with pytest.raises(Conflict) as exc:
        submit(session_a, source="sms", external_id="sms-1")

    assert exc.value.code == "session_closed"
    assert not Question.objects.exists()


def test_crew_can_add_a_question_to_a_draft_session_or_with_submissions_closed(
    session_a, moderator_a
):
    session_a.status = "draft"
    session_a.submissions_open = False
    session_a.save()

    result = submit(session_a, source="manual", actor=moderator_a)

    assert result.created
    assert Question.objects.filter(session=session_a, source="manual").count() == 1


def test_crew_cannot_add_a_question_to_an_ended_session(session_a, moderator_a):
    session_a.status = "ended"
    session_a.save()

    with pytest.raises(Conflict) as exc:
        submit(session_a, source="manual", actor=moderator_a)

    assert exc.value.code == "session_closed"
    assert not Question.objects.exists()


# Sources and who may use them


@pytest.mark.parametrize("source", ["manual", "import"])
@pytest.mark.parametrize("crew", ["producer_a", "moderator_a"])
def test_a_producer_or_moderator_can_add_crew_sourced_questions(request, session_a, source, crew):
    actor = request.getfixturevalue(crew)

    result = submit(session_a, source=source, actor=actor)

    question = Question.objects.get(pk=result.question.pk)
    assert question.source == source
    entry = ModerationLogEntry.objects.get(question=question)
    assert entry.actor == actor


@pytest.mark.parametrize("source", ["manual", "import"])
@pytest.mark.parametrize("crew", ["host_a", "viewer_a"])
def test_a_host_or_viewer_cannot_add_crew_sourced_questions(request, session_a, source, crew):
    actor = request.getfixturevalue(crew)

    with pytest.raises(NotAllowed) as exc:
        submit(session_a, source=source, actor=actor)

    assert exc.value.code == "permission_denied"
    assert not Question.objects.exists()


@pytest.mark.parametrize("source", ["manual", "import"])
def test_crew_of_another_station_gets_not_found_for_crew_sourced_questions(
    session_a, producer_b, source
):
    with pytest.raises(NotFound):
        submit(session_a, source=source, actor=producer_b)

    assert not Question.objects.exists()


def test_the_audience_cannot_use_a_crew_source(session_a):
    with pytest.raises(NotFound):
        submit(session_a, source="manual", actor=None)

    assert not Question.objects.exists()


@pytest.mark.parametrize("source", ["", "email", "WEB", "social:", "social:Mastodon", "sms "])
def test_it_rejects_an_unknown_source(session_a, source):
    with pytest.raises(ValidationFailed) as exc:
        submit(session_a, source=source)

    assert exc.value.details == {"source": source}
    assert not Question.objects.exists()


@pytest.mark.parametrize("source", ["web", "sms", "social:mastodon", "social:bsky.app"])
def test_it_accepts_the_audience_sources(session_a, source):
    result = submit(session_a, source=source)

    assert Question.objects.get(pk=result.question.pk).source == source


# Moderation mode


def test_a_pre_moderated_session_leaves_new_questions_pending(session_a):
    result = submit(session_a)

    question = Question.objects.get(pk=result.question.pk)
    assert question.status == "pending"
    assert question.approved_at is None


def test_a_post_moderated_session_approves_questions_on_arrival(session_a):
    session_a.moderation_mode = "post"
    session_a.save()

    result = submit(session_a)

    question = Question.objects.get(pk=result.question.pk)
    assert question.status == "approved"
    assert question.approved_at is not None


def test_it_writes_a_submit_entry_to_the_moderation_log(session_a):
    result = submit(session_a)

    entry = ModerationLogEntry.objects.get(question=result.question)
    assert entry.session == session_a
    assert entry.action == "submit"
    assert entry.actor is None
    assert entry.from_status == ""
    assert entry.to_status == "pending"
    assert entry.reason == ""


def test_the_submit_entry_records_the_status_a_post_moderated_question_got(session_a):
    session_a.moderation_mode = "post"
    session_a.save()

    result = submit(session_a)

    entry = ModerationLogEntry.objects.get(question=result.question)
    assert (entry.action, entry.to_status) == ("submit", "approved")


# Idempotency


def test_a_repeated_message_returns_the_first_question_and_adds_no_row(session_a):
    first = submit(session_a, source="sms", external_id="msg-42")
    again = submit(session_a, source="sms", external_id="msg-42")

    assert first.created is True
    assert again.created is False
    assert again.question.pk == first.question.pk
    assert Question.objects.filter(session=session_a).count() == 1
    assert ModerationLogEntry.objects.filter(action="submit").count() == 1


def test_a_repeat_that_differs_only_in_spacing_is_the_same_message(session_a):
    first = submit(session_a, text="Where is it?", source="sms", external_id="msg-42")
    again = submit(session_a, text="  Where   is it? ", source="sms", external_id="msg-42")

    assert again.created is False
    assert again.question.pk == first.question.pk
    assert Question.objects.count() == 1


def test_a_repeat_still_matches_after_a_moderator_edited_the_question(session_a, moderator_a):
    first = submit(session_a, text="Wher is it?", source="sms", external_id="msg-42")
    question_edit(actor=moderator_a, question=first.question, text="Where is it?")

    again = submit(session_a, text="Wher is it?", source="sms", external_id="msg-42")

    assert again.created is False
    assert again.question.pk == first.question.pk
    assert Question.objects.get().text == "Where is it?"


def test_the_same_message_id_with_another_text_is_refused(session_a):
    first = submit(session_a, text="First text?", source="sms", external_id="msg-42")

    with pytest.raises(Conflict) as exc:
        submit(session_a, text="Second text?", source="sms", external_id="msg-42")

    assert exc.value.code == "idempotency_key_reused"
    assert exc.value.details == {"question": first.question.pk}
    assert Question.objects.count() == 1
    assert Question.objects.get().text == "First text?"


def test_the_same_message_id_from_another_source_is_another_question(session_a):
    by_sms = submit(session_a, source="sms", external_id="42")
    by_web = submit(session_a, source="web", external_id="42")

    assert by_web.created is True
    assert by_web.question.pk != by_sms.question.pk
    assert Question.objects.count() == 2


def test_the_same_message_id_in_another_session_is_another_question(session_a, station_a):
    other = LiveSessionFactory(station=station_a, status="live")

    first = submit(session_a, source="sms", external_id="42")
    second = submit(other, source="sms", external_id="42")

    assert second.created is True
    assert second.question.pk != first.question.pk


def test_questions_without_a_message_id_are_never_merged(session_a):
    submit(session_a, text="Same words?")
    submit(session_a, text="Same words?")

    assert Question.objects.filter(session=session_a).count() == 2


# Authors and bans


def test_it_keeps_one_author_per_platform_id_and_refreshes_their_name(session_a):
    submit(session_a, author=listener(display_name="Sam"))
    submit(session_a, author=listener(display_name="Sam R."), text="And the other bridge?")

    author = Author.objects.get()
    assert author.display_name == "Sam R."
    assert Question.objects.filter(author=author).count() == 2


def test_the_author_name_defaults_to_the_display_name(session_a):
    result = submit(session_a, author=listener(display_name="Sam"))

    assert Question.objects.get(pk=result.question.pk).author_name == "Sam"


def test_a_banned_authors_question_is_kept_but_rejected_with_the_reason_logged(
    session_a, station_a
):
    banned = AuthorFactory(platform="web", external_id="b" * 64)
    Ban.objects.create(station=station_a, author=banned, reason="Spam")

    result = submit(session_a, author=listener(external_id="b" * 64))

    question = Question.objects.get(pk=result.question.pk)
    assert result.created is True
    assert question.status == "rejected"
    assert question.author == banned
    entry = ModerationLogEntry.objects.get(question=question)
    assert entry.action == "submit"
    assert entry.actor is None
    assert entry.to_status == "rejected"
    assert entry.reason == "Author is banned by the station."


def test_a_banned_author_is_rejected_even_in_a_post_moderated_session(session_a, station_a):
    session_a.moderation_mode = "post"
    session_a.save()
    Ban.objects.create(station=station_a, author=AuthorFactory(external_id="b" * 64))

    result = submit(session_a, author=listener(external_id="b" * 64))

    question = Question.objects.get(pk=result.question.pk)
    assert question.status == "rejected"
    assert question.approved_at is None


def test_a_ban_at_another_station_does_not_reject_the_question(session_a, station_b):
    Ban.objects.create(station=station_b, author=AuthorFactory(external_id="b" * 64))

    result = submit(session_a, author=listener(external_id="b" * 64))

    assert Question.objects.get(pk=result.question.pk).status == "pending"


# Guests


def test_a_question_can_be_aimed_at_a_guest_of_the_session(session_a):
    guest = session_a.guests.get()

    result = submit(session_a, target_guest=guest)

    assert Question.objects.get(pk=result.question.pk).target_guest == guest


def test_a_guest_of_another_session_is_refused(session_a, session_b):
    stranger = GuestFactory(session=session_b)

    with pytest.raises(ValidationFailed) as exc:
        submit(session_a, target_guest=stranger)

    assert exc.value.details == {"guest": "unknown"}
    assert not Question.objects.exists()
