"""Every service that changes what a screen shows announces it on the right streams, after
commit, with gap-free sequence numbers; nothing is announced for a change that did not happen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from questions import vote_stream
from questions.identity import voter_id
from questions.models import Question
from questions.services import (
    AuthorInfo,
    ban_create,
    question_aim,
    question_approve,
    question_archive,
    question_edit,
    question_hold,
    question_mark_answered,
    question_reject,
    question_reopen,
    question_requeue,
    question_star,
    question_submit,
    session_clear_on_air,
    session_set_status,
    session_take_on_air,
    vote_cast,
    vote_withdraw,
)
from studio import events
from studio.errors import Conflict, InvalidTransition, NotAllowed, NotFound, ValidationFailed
from studio.models import EventLogEntry, EventStream, Guest
from studio.services import (
    guest_create,
    guest_delete,
    guest_update,
    session_rotate_overlay_key,
    session_update,
)
from tests.factories import LiveSessionFactory, QuestionFactory
from tests.realtime.sockets import logged, run

pytestmark = pytest.mark.django_db(transaction=True)

CREW_ONLY_FIELDS = {"author", "source", "starred", "hold_position"}
ANNA, BEN, CLEO = (voter_id(f"{name}-token-0000000000") for name in ("anna", "ben", "cleo"))


def on(sent, stream, session=None):
    """What one stream sent after commit, as ``(seq, type, data)``."""
    return [
        (m.seq, m.type, m.data)
        for m in sent
        if m.stream == stream and (session is None or m.session == session.pk)
    ]


def kinds(sent, stream):
    return [type_ for _, type_, _ in on(sent, stream)]


def submit(session, text="What is next?", name="Zoe"):
    return question_submit(
        session=session,
        text=text,
        source="web",
        author=AuthorInfo(platform="web", external_id=f"{name:x>64}", display_name=name),
    ).question


def approved(session, text=None):
    return QuestionFactory(
        session=session,
        status="approved",
        approved_at=timezone.now(),
        **({"text": text} if text else {}),
    )


def heads(session):
    return dict(EventStream.objects.filter(session=session).values_list("stream", "last_seq"))


# --- submissions ----------------------------------------------------------------------------


def test_a_question_awaiting_review_is_announced_to_the_crew_only(session_a, sent):
    question = submit(session_a, "Is the bridge open?")

    [(seq, type_, data)] = on(sent, "crew")
    assert (seq, type_) == (1, "question")
    assert data["id"] == question.pk
    assert data["question"]["status"] == "pending"
    assert data["question"]["text"] == "Is the bridge open?"
    assert data["question"]["author"] == {"platform": "web", "handle": "", "name": "Zoe"}
    assert on(sent, "public") == []
    assert on(sent, "overlay") == []


def test_in_a_post_moderated_session_a_new_question_reaches_the_audience_at_once(session_a, sent):
    session_a.moderation_mode = "post"
    session_a.save()

    question = submit(session_a, "Is the bridge open?")

    assert kinds(sent, "crew") == ["question"]
    [(seq, type_, data)] = on(sent, "public")
    assert (seq, type_) == (1, "question")
    assert data["question"]["id"] == question.pk
    assert data["question"]["status"] == "approved"
    assert data["question"]["text"] == "Is the bridge open?"
    assert not CREW_ONLY_FIELDS & set(data["question"])
    assert on(sent, "overlay") == []


def test_a_banned_authors_question_is_announced_to_the_crew_only_even_when_post_moderated(
    session_a, producer_a, sent
):
    ban_create(actor=producer_a, question=submit(session_a, "First", name="Troll"))
    session_a.moderation_mode = "post"
    session_a.save()
    sent.clear()

    submit(session_a, "Second", name="Troll")

    [(_, _, data)] = on(sent, "crew")
    assert data["question"]["status"] == "rejected"
    assert on(sent, "public") == []


def test_a_repeated_message_is_not_announced_twice(session_a, sent):
    info = AuthorInfo(platform="sms", external_id="f" * 64)
    question_submit(session=session_a, text="Hi?", source="sms", author=info, external_id="m1")
    question_submit(session=session_a, text="Hi?", source="sms", author=info, external_id="m1")

    assert kinds(sent, "crew") == ["question"]


# --- moderation -----------------------------------------------------------------------------


def test_approving_announces_the_question_to_crew_and_audience(moderator_a, pending_question, sent):
    question_approve(actor=moderator_a, question=pending_question)

    [(_, _, crew)] = on(sent, "crew")
    [(_, _, public)] = on(sent, "public")
    assert crew["question"]["status"] == public["question"]["status"] == "approved"
    assert public == {
        "id": pending_question.pk,
        "question": {
            "id": pending_question.pk,
            "text": "Pending question?",
            "author_name": pending_question.author_name,
            "guest": None,
            "status": "approved",
            "votes": 0,
            "votes_version": 0,
            "created_at": public["question"]["created_at"],
            "approved_at": public["question"]["approved_at"],
        },
    }
    assert public["question"]["approved_at"] is not None
    assert on(sent, "overlay") == []


def test_rejecting_a_question_under_review_tells_the_crew_only(moderator_a, pending_question, sent):
    question_reject(actor=moderator_a, question=pending_question, reason="Off topic")

    [(_, _, crew)] = on(sent, "crew")
    assert crew["question"]["status"] == "rejected"
    assert on(sent, "public") == []


def test_rejecting_an_approved_question_tells_the_audience_to_remove_it(
    moderator_a, approved_question, sent
):
    question_reject(actor=moderator_a, question=approved_question)

    assert on(sent, "crew")[0][2]["question"]["status"] == "rejected"
    assert on(sent, "public") == [(1, "question", {"id": approved_question.pk, "question": None})]


@pytest.mark.parametrize(
    ("before", "public"),
    [("approved", "removed"), ("answered", "removed"), ("rejected", None), ("archived", None)],
)
def test_reopening_sends_a_question_back_to_review_and_out_of_the_audiences_sight(
    session_a, moderator_a, sent, before, public
):
    question = QuestionFactory(session=session_a, status=before)

    question_reopen(actor=moderator_a, question=question)

    assert on(sent, "crew")[0][2]["question"]["status"] == "pending"
    expected = [(1, "question", {"id": question.pk, "question": None})] if public else []
    assert on(sent, "public") == expected


@pytest.mark.parametrize(("before", "public"), [("approved", True), ("pending", False)])
def test_archiving_removes_a_public_question_from_the_audience(
    session_a, moderator_a, sent, before, public
):
    question = QuestionFactory(session=session_a, status=before)

    question_archive(actor=moderator_a, question=question)

    assert on(sent, "crew")[0][2]["question"]["status"] == "archived"
    expected = [(1, "question", {"id": question.pk, "question": None})] if public else []
    assert on(sent, "public") == expected


def test_editing_a_question_under_review_shows_the_new_text_to_the_crew_only(
    moderator_a, pending_question, sent
):
    question_edit(actor=moderator_a, question=pending_question, text="Better wording?")

    [(_, _, crew)] = on(sent, "crew")
    assert crew["question"]["text"] == "Better wording?"
    assert on(sent, "public") == []


def test_editing_an_approved_question_takes_it_back_from_the_audience(
    moderator_a, approved_question, sent
):
    question_edit(actor=moderator_a, question=approved_question, text="Better wording?")

    [(_, _, crew)] = on(sent, "crew")
    assert (crew["question"]["text"], crew["question"]["status"]) == ("Better wording?", "pending")
    assert on(sent, "public") == [(1, "question", {"id": approved_question.pk, "question": None})]


def test_an_edit_that_changes_nothing_is_not_announced(moderator_a, pending_question, sent):
    question_edit(actor=moderator_a, question=pending_question, text="Pending question?")

    assert sent == []


def test_starring_aiming_and_holding_reach_the_audience_without_crew_only_fields(
    session_a, moderator_a, host_a, approved_question, sent
):
    guest = Guest.objects.get(session=session_a)

    question_star(actor=moderator_a, question=approved_question)
    question_aim(actor=moderator_a, question=approved_question, guest=guest)
    question_hold(actor=host_a, question=approved_question, position=2)

    crew = [data["question"] for _, _, data in on(sent, "crew")]
    assert [(q["starred"], q["guest"], q["hold_position"]) for q in crew] == [
        (True, None, None),
        (True, guest.pk, None),
        (True, guest.pk, 2),
    ]
    public = [data["question"] for _, _, data in on(sent, "public")]
    assert [q["guest"] for q in public] == [None, guest.pk, guest.pk]
    assert all(not CREW_ONLY_FIELDS & set(q) for q in public)
    assert on(sent, "overlay") == []


def test_starring_aiming_and_holding_a_question_under_review_tell_the_crew_only(
    session_a, moderator_a, pending_question, sent
):
    question_star(actor=moderator_a, question=pending_question)
    question_aim(
        actor=moderator_a, question=pending_question, guest=Guest.objects.get(session=session_a)
    )

    assert kinds(sent, "crew") == ["question", "question"]
    assert on(sent, "public") == []


def test_a_star_aim_or_hold_that_changes_nothing_is_not_announced(
    moderator_a, approved_question, sent
):
    question_star(actor=moderator_a, question=approved_question, starred=False)
    question_aim(actor=moderator_a, question=approved_question, guest=None)
    question_hold(actor=moderator_a, question=approved_question, position=None)

    assert sent == []


# --- on air ---------------------------------------------------------------------------------


def test_taking_announces_both_questions_then_one_on_air_change(session_a, host_a, sent):
    first, second = approved(session_a, "First?"), approved(session_a, "Second?")
    session_take_on_air(actor=host_a, session=session_a, question=first)
    sent.clear()

    session_take_on_air(actor=host_a, session=session_a, question=second)

    # One event on each stream, carrying both questions' new states.
    [(_, type_, on_air)] = on(sent, "crew")
    assert type_ == "on_air"
    assert [(d["id"], d["question"]["status"]) for d in on_air["questions"]] == [
        (first.pk, "answered"),
        (second.pk, "on_air"),
    ]
    assert set(on_air["questions"][0]["question"]) >= CREW_ONLY_FIELDS
    assert on_air["question"] == {
        "id": second.pk,
        "text": "Second?",
        "author_name": second.author_name,
        "source": "web",
        "guest": None,
    }
    assert on_air["taken_at"] is not None
    [(_, type_, public)] = on(sent, "public")
    assert type_ == "on_air"
    assert (public["question"], public["taken_at"]) == (on_air["question"], on_air["taken_at"])
    assert [(d["id"], d["question"]["status"]) for d in public["questions"]] == [
        (first.pk, "answered"),
        (second.pk, "on_air"),
    ]
    assert not CREW_ONLY_FIELDS & set(public["questions"][1]["question"])
    # The overlay goes from the first question straight to the second, and is told nothing
    # of the queue.
    assert on(sent, "overlay") == [
        (2, "on_air", {"question": on_air["question"], "taken_at": on_air["taken_at"]})
    ]


def test_the_overlay_shows_the_guest_a_question_is_aimed_at(session_a, host_a, sent):
    guest = Guest.objects.get(session=session_a)
    question = approved(session_a)
    question.target_guest = guest
    question.save()

    session_take_on_air(actor=host_a, session=session_a, question=question)

    [(_, _, shown)] = on(sent, "overlay")
    assert shown["question"]["guest"] == {"id": guest.pk, "name": "Aya Lune", "title": ""}


def test_clearing_puts_the_question_back_in_the_queue_and_empties_the_screen(
    session_a, host_a, sent
):
    question = approved(session_a)
    session_take_on_air(actor=host_a, session=session_a, question=question)
    sent.clear()

    session_clear_on_air(actor=host_a, session=session_a)

    assert kinds(sent, "crew") == kinds(sent, "public") == ["on_air"]
    [(_, _, crew)] = on(sent, "crew")
    assert crew["question"] is None
    assert [(d["id"], d["question"]["status"]) for d in crew["questions"]] == [
        (question.pk, "approved")
    ]
    assert on(sent, "overlay") == [(2, "on_air", {"question": None, "taken_at": None})]


def test_clearing_an_empty_screen_announces_nothing(session_a, host_a, sent):
    session_clear_on_air(actor=host_a, session=session_a)

    assert sent == []


def test_marking_the_on_air_question_answered_empties_the_screen(session_a, host_a, sent):
    question = approved(session_a)
    session_take_on_air(actor=host_a, session=session_a, question=question)
    sent.clear()

    question_mark_answered(actor=host_a, question=question)

    assert kinds(sent, "crew") == kinds(sent, "public") == ["on_air"]
    [(_, _, public)] = on(sent, "public")
    assert [(d["id"], d["question"]["status"]) for d in public["questions"]] == [
        (question.pk, "answered")
    ]
    assert on(sent, "overlay") == [(2, "on_air", {"question": None, "taken_at": None})]


def test_marking_a_queued_question_answered_leaves_the_screen_alone(
    host_a, approved_question, sent
):
    question_mark_answered(actor=host_a, question=approved_question)

    assert kinds(sent, "crew") == ["question"]
    assert on(sent, "public")[0][2]["question"]["status"] == "answered"
    assert on(sent, "overlay") == []


def test_putting_an_answered_question_back_in_the_queue_shows_it_again_as_approved(
    session_a, host_a, sent
):
    question = QuestionFactory(session=session_a, status="answered", approved_at=timezone.now())

    question_requeue(actor=host_a, question=question)

    assert on(sent, "crew")[0][2]["question"]["status"] == "approved"
    [(_, _, public)] = on(sent, "public")
    assert (public["id"], public["question"]["status"]) == (question.pk, "approved")
    assert on(sent, "overlay") == []


# --- sessions and guests --------------------------------------------------------------------


def test_changing_a_sessions_settings_is_announced_with_the_audience_seeing_less(
    session_a, producer_a, sent
):
    session_update(actor=producer_a, session=session_a, title="Morning call-in", rank_prior=2.0)

    [(_, type_, crew)] = on(sent, "crew")
    [(_, _, public)] = on(sent, "public")
    assert type_ == "session"
    assert crew["session"]["title"] == public["session"]["title"] == "Morning call-in"
    assert crew["session"]["rank_prior"] == 2.0
    assert set(public["session"]) == {
        "slug",
        "title",
        "status",
        "accepts_questions",
        "language",
        "max_question_length",
        "air_locked",
    }
    assert on(sent, "overlay") == []


def test_a_session_going_live_is_announced(station_a, producer_a, sent):
    session = LiveSessionFactory(station=station_a, status="draft")

    session_set_status(actor=producer_a, session=session, status="live")

    [(_, _, crew)] = on(sent, "crew")
    assert crew["session"]["status"] == "live"
    assert on(sent, "public")[0][2]["session"]["accepts_questions"] is True


def test_ending_a_session_takes_its_question_off_air(session_a, producer_a, sent):
    question = approved(session_a)
    session_take_on_air(actor=producer_a, session=session_a, question=question)
    sent.clear()

    session_set_status(actor=producer_a, session=session_a, status="ended")

    assert kinds(sent, "crew") == ["on_air", "session"]
    assert on(sent, "crew")[0][2]["questions"][0]["question"]["status"] == "approved"
    assert on(sent, "crew")[1][2]["session"]["status"] == "ended"
    assert kinds(sent, "public") == ["on_air", "session"]
    assert on(sent, "overlay") == [(2, "on_air", {"question": None, "taken_at": None})]


def test_guest_changes_send_the_whole_guest_list(session_a, producer_a, sent):
    guest = guest_create(actor=producer_a, session=session_a, name="Ben Oru", title="Mayor")
    guest_update(actor=producer_a, guest=guest, title="Former mayor")
    guest_delete(actor=producer_a, guest=Guest.objects.get(name="Aya Lune"))

    lists = [[(g["name"], g["title"]) for g in d["guests"]] for _, _, d in on(sent, "crew")]
    assert lists == [
        [("Aya Lune", ""), ("Ben Oru", "Mayor")],
        [("Aya Lune", ""), ("Ben Oru", "Former mayor")],
        [("Ben Oru", "Former mayor")],
    ]
    assert kinds(sent, "crew") == kinds(sent, "public") == ["guests"] * 3
    assert [d for _, _, d in on(sent, "public")] == [d for _, _, d in on(sent, "crew")]
    assert on(sent, "overlay") == []


def test_rotating_the_overlay_key_is_not_an_event(session_a, producer_a, sent):
    session_rotate_overlay_key(actor=producer_a, session=session_a)

    assert sent == []
    assert not EventLogEntry.objects.exists()


# --- votes ----------------------------------------------------------------------------------


@pytest.fixture
def volatile(monkeypatch):
    """Every volatile frame (vote counts) as it leaves for the channel layer:
    ``(session, stream, type, data)``."""
    record: list[tuple[int, str, str, dict]] = []
    send, asend = events.send_volatile, events.asend_volatile

    def record_send(session_id, stream, type_, data):
        record.append((session_id, stream, type_, data))
        send(session_id, stream, type_, data)

    async def record_asend(session_id, stream, type_, data):
        record.append((session_id, stream, type_, data))
        return await asend(session_id, stream, type_, data)

    monkeypatch.setattr(events, "send_volatile", record_send)
    monkeypatch.setattr(events, "asend_volatile", record_asend)
    return record


def volatile_on(volatile, stream):
    return [data for _, s, type_, data in volatile if s == stream and type_ == "votes"]


def test_each_vote_outside_a_server_process_is_announced_with_absolute_counts(
    approved_question, sent, volatile
):
    vote_cast(question=approved_question, voter=ANNA)
    vote_cast(question=approved_question, voter=BEN)
    vote_withdraw(question=approved_question, voter=ANNA)

    key = str(approved_question.pk)
    crew = volatile_on(volatile, "crew")
    assert crew == [{"counts": {key: n}, "versions": {key: v}} for n, v in ((1, 1), (2, 2), (1, 3))]
    assert volatile_on(volatile, "public") == crew
    assert volatile_on(volatile, "overlay") == []
    # Counts are volatile: no sequenced event, nothing in the replay log.
    assert sent == []
    assert logged(approved_question.session, "crew") == []


def test_a_vote_count_of_a_question_no_longer_public_goes_to_the_crew_only(
    session_a, moderator_a, approved_question, sent, volatile
):
    # A near-duplicate's votes count for its original too, rejected since.
    duplicate = approved(session_a)
    Question.objects.filter(pk=duplicate.pk).update(duplicate_of=approved_question)
    question_reject(actor=moderator_a, question=approved_question)
    sent.clear()

    vote_cast(question=duplicate, voter=ANNA)

    original, copy = str(approved_question.pk), str(duplicate.pk)
    assert volatile_on(volatile, "crew") == [
        {"counts": {original: 1, copy: 1}, "versions": {original: 1, copy: 1}}
    ]
    assert volatile_on(volatile, "public") == [{"counts": {copy: 1}, "versions": {copy: 1}}]
    assert sent == []


def test_a_vote_count_of_hidden_questions_only_is_not_sent_to_the_audience(
    approved_question, volatile
):
    # Counts a batch returned for a question it saw hidden (rejected before the flush).
    vote_stream.votes_changed(
        approved_question.session_id,
        {approved_question.pk: vote_stream.VoteCount(votes=1, version=4, public=False)},
    )

    key = str(approved_question.pk)
    assert volatile_on(volatile, "crew") == [{"counts": {key: 1}, "versions": {key: 4}}]
    assert volatile_on(volatile, "public") == []


def test_a_refused_vote_is_not_announced(approved_question, sent):
    vote_cast(question=approved_question, voter=ANNA)
    sent.clear()

    with pytest.raises(Conflict):
        vote_cast(question=approved_question, voter=ANNA)
    with pytest.raises(NotFound):
        vote_withdraw(question=approved_question, voter=BEN)

    assert sent == []


async def test_votes_within_the_coalescing_window_make_one_frame_with_counts_and_versions(
    console, producer_a, approved_question, monkeypatch
):
    other = await run(approved)(approved_question.session)
    # The window is long enough for every vote below to land in it, even on a slow machine.
    monkeypatch.setattr(vote_stream.votes_coalescer, "delay", 1.0)
    socket = await console(producer_a)  # the server's event loop is now bound
    await socket.snapshot()

    for voter in (ANNA, BEN, CLEO):
        await run(vote_cast)(question=approved_question, voter=voter)
    await run(vote_cast)(question=other, voter=ANNA)
    await run(vote_withdraw)(question=approved_question, voter=BEN)

    # The flush waits on the server's loop: nothing goes out while the votes are being cast.
    frame = await socket.frame()
    key, other_key = str(approved_question.pk), str(other.pk)
    assert frame == {
        "seq": None,
        "type": "votes",
        "data": {"counts": {key: 2, other_key: 1}, "versions": {key: 4, other_key: 1}},
    }
    assert await socket.nothing(1.2)
    assert await run(logged)(approved_question.session, "crew") == []


# --- commit, rollback, refusal --------------------------------------------------------------


def test_events_are_logged_in_the_transaction_and_sent_only_after_commit(
    moderator_a, pending_question, sent
):
    with transaction.atomic():
        question_approve(actor=moderator_a, question=pending_question)
        assert [t for _, t, _ in logged(pending_question.session, "crew")] == ["question"]
        assert sent == []

    assert kinds(sent, "crew") == ["question"]


def test_a_change_that_rolls_back_is_never_announced(
    session_a, moderator_a, host_a, producer_a, pending_question, approved_question, sent
):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        question_approve(actor=moderator_a, question=pending_question)
        session_take_on_air(actor=host_a, session=session_a, question=approved_question)
        guest_create(actor=producer_a, session=session_a, name="Ben Oru")
        vote_cast(question=approved_question, voter=ANNA)
        raise Abort

    assert sent == []
    assert not EventLogEntry.objects.exists()
    assert all(seq == 0 for seq in heads(session_a).values())
    # The next event takes the first number: the rolled-back ones left no hole.
    question_approve(actor=moderator_a, question=pending_question)
    assert [seq for seq, _, _ in on(sent, "crew")] == [1]


@pytest.mark.parametrize(
    ("action", "error"),
    [
        ("host approves", NotAllowed),
        ("viewer takes", NotAllowed),
        ("moderator takes", NotAllowed),
        ("other station approves", NotFound),
        ("approve an approved question", InvalidTransition),
        ("take a question under review", InvalidTransition),
        ("edit to empty text", ValidationFailed),
        ("hold at place 51", ValidationFailed),
    ],
)
def test_a_refused_action_is_not_announced(
    session_a,
    host_a,
    viewer_a,
    moderator_a,
    producer_b,
    pending_question,
    approved_question,
    sent,
    action,
    error,
):
    calls = {
        "host approves": lambda: question_approve(actor=host_a, question=pending_question),
        "viewer takes": lambda: session_take_on_air(
            actor=viewer_a, session=session_a, question=approved_question
        ),
        "moderator takes": lambda: session_take_on_air(
            actor=moderator_a, session=session_a, question=approved_question
        ),
        "other station approves": lambda: question_approve(
            actor=producer_b, question=pending_question
        ),
        "approve an approved question": lambda: question_approve(
            actor=moderator_a, question=approved_question
        ),
        "take a question under review": lambda: session_take_on_air(
            actor=host_a, session=session_a, question=pending_question
        ),
        "edit to empty text": lambda: question_edit(
            actor=moderator_a, question=pending_question, text="   "
        ),
        "hold at place 51": lambda: question_hold(
            actor=moderator_a, question=approved_question, position=51
        ),
    }

    with pytest.raises(error):
        calls[action]()

    assert sent == []
    assert not EventLogEntry.objects.exists()
    assert Question.objects.get(pk=pending_question.pk).status == "pending"
    assert Question.objects.get(pk=approved_question.pk).status == "approved"


# --- sequence numbers and the replay log ----------------------------------------------------


def test_each_stream_numbers_its_events_one_by_one_without_gaps(
    session_a, session_b, producer_a, producer_b, sent
):
    first, second = approved(session_a), approved(session_a)
    other = approved(session_b)
    submit(session_a)  # crew: question
    question_star(actor=producer_a, question=first)  # crew, public: question
    session_take_on_air(actor=producer_a, session=session_a, question=first)  # on_air: all 3
    question_approve(actor=producer_b, question=QuestionFactory(session=session_b))
    session_take_on_air(actor=producer_a, session=session_a, question=second)  # on_air: all 3
    vote_cast(question=second, voter=ANNA)  # counts: volatile frames, not numbered
    session_take_on_air(actor=producer_b, session=session_b, question=other)
    session_clear_on_air(actor=producer_a, session=session_a)  # on_air: all 3

    for session in (session_a, session_b):
        for stream in events.STREAMS:
            log = logged(session, stream)
            assert [seq for seq, _, _ in log] == list(range(1, len(log) + 1)), (session, stream)
            assert heads(session).get(stream, 0) == len(log)
    assert heads(session_a) == {"crew": 5, "public": 4, "overlay": 3}
    assert heads(session_b) == {"crew": 2, "public": 2, "overlay": 1}
    # What was sent is what was logged, in the same order.
    for session in (session_a, session_b):
        for stream in events.STREAMS:
            assert on(sent, stream, session) == logged(session, stream)


def test_the_replay_log_keeps_at_most_the_configured_number_of_events(session_a, settings):
    settings.EVENT_PRUNE_EVERY = 5
    settings.EVENT_REPLAY_MAX = 3

    for n in range(1, 11):
        with transaction.atomic():
            events.emit(session_a.pk, "ping", crew={"n": n})

    assert [seq for seq, _, _ in logged(session_a, "crew")] == [8, 9, 10]
    assert [e["seq"] for e in events.replay(session_a.pk, "crew", 7, 3)] == [8, 9, 10]
    assert [e["data"] for e in events.replay(session_a.pk, "crew", 8, 3)] == [{"n": 9}, {"n": 10}]
    assert events.replay(session_a.pk, "crew", 10, 3) == []
    # Past what the log holds, a client needs a snapshot.
    assert events.replay(session_a.pk, "crew", 6, 3) is None
    assert events.replay(session_a.pk, "crew", 5, 100) is None
    assert events.replay(session_a.pk, "crew", 0, 100) is None


def test_the_replay_log_forgets_events_older_than_the_configured_time(session_a, settings):
    settings.EVENT_PRUNE_EVERY = 4
    settings.EVENT_REPLAY_SECONDS = 60
    for n in range(1, 4):
        with transaction.atomic():
            events.emit(session_a.pk, "ping", crew={"n": n})
    EventLogEntry.objects.filter(seq__lte=2).update(
        created_at=timezone.now() - timedelta(seconds=61)
    )

    with transaction.atomic():
        events.emit(session_a.pk, "ping", crew={"n": 4})

    assert [seq for seq, _, _ in logged(session_a, "crew")] == [3, 4]
    assert events.replay(session_a.pk, "crew", 1, 100) is None
    assert [e["seq"] for e in events.replay(session_a.pk, "crew", 2, 100)] == [3, 4]


def test_replay_refuses_a_position_ahead_of_the_stream(session_a):
    with transaction.atomic():
        events.emit(session_a.pk, "ping", crew={})

    assert events.replay(session_a.pk, "crew", 2, 100) is None
    assert events.replay(session_a.pk, "public", 1, 100) is None
    assert events.replay(session_a.pk, "public", 0, 100) == []


def test_an_event_outside_a_transaction_is_refused(session_a):
    with pytest.raises(RuntimeError):
        events.emit(session_a.pk, "ping", crew={})

    assert not EventLogEntry.objects.exists()
