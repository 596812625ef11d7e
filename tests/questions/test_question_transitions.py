"""Every move a question can make through moderation and on-air control, legal or not."""

from __future__ import annotations

import pytest

from questions.models import ModerationLogEntry, Question
from questions.services import (
    ban_create,
    question_aim,
    question_approve,
    question_archive,
    question_edit,
    question_mark_answered,
    question_reject,
    question_reopen,
    question_star,
    question_submit,
    session_clear_on_air,
    session_take_on_air,
)
from studio.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from studio.models import AsRunEntry
from tests.factories import GuestFactory, QuestionFactory

pytestmark = pytest.mark.django_db

STATUSES = ["pending", "approved", "rejected", "on_air", "answered", "archived"]

# Each action, as a crew member would press it in the console.
ACTIONS = {
    "approve": lambda actor, q: question_approve(actor=actor, question=q),
    "reject": lambda actor, q: question_reject(actor=actor, question=q, reason="Off topic"),
    "archive": lambda actor, q: question_archive(actor=actor, question=q),
    "reopen": lambda actor, q: question_reopen(actor=actor, question=q),
    "edit": lambda actor, q: question_edit(actor=actor, question=q, text="A corrected question?"),
    "star": lambda actor, q: question_star(actor=actor, question=q),
    "unstar": lambda actor, q: question_star(actor=actor, question=q, starred=False),
    "aim": lambda actor, q: question_aim(actor=actor, question=q, guest=q.session.guests.first()),
    "take": lambda actor, q: session_take_on_air(actor=actor, session=q.session, question=q),
    "clear": lambda actor, q: session_clear_on_air(actor=actor, session=q.session),
    "answer": lambda actor, q: question_mark_answered(actor=actor, question=q),
}
MODERATION_ACTIONS = ["approve", "reject", "archive", "reopen", "edit", "star", "unstar", "aim"]
ON_AIR_ACTIONS = ["take", "clear", "answer"]

# A starting point from which each action is legal, so that a refusal can only be the role's.
START = {
    "approve": {"status": "pending"},
    "reject": {"status": "pending"},
    "archive": {"status": "pending"},
    "reopen": {"status": "approved"},
    "edit": {"status": "pending"},
    "star": {"status": "pending"},
    "unstar": {"status": "pending", "starred": True},
    "aim": {"status": "pending"},
    "take": {"status": "approved"},
    "clear": {"status": "on_air"},
    "answer": {"status": "approved"},
}

# The moves that change a question's status: action → {from: to}. Anything else is illegal.
LEGAL = {
    "approve": {"pending": "approved", "rejected": "approved", "archived": "approved"},
    "reject": {"pending": "rejected", "approved": "rejected"},
    "archive": {
        "pending": "archived",
        "approved": "archived",
        "rejected": "archived",
        "answered": "archived",
    },
    "reopen": {
        "approved": "pending",
        "rejected": "pending",
        "archived": "pending",
        "answered": "pending",
    },
    "edit": {"pending": "pending", "approved": "pending", "rejected": "rejected"},
    "take": {"approved": "on_air"},
    "answer": {"approved": "answered", "on_air": "answered"},
}
LEGAL_CASES = [(action, src, dst) for action, moves in LEGAL.items() for src, dst in moves.items()]
ILLEGAL_CASES = [
    (action, src)
    for action, moves in LEGAL.items()
    for src in STATUSES
    # Taking the question already on air is a harmless repeat, not an error.
    if src not in moves and not (action == "take" and src == "on_air")
]


def actor_for(request, action):
    return request.getfixturevalue("host_a" if action in ON_AIR_ACTIONS else "moderator_a")


@pytest.fixture
def make_question(session_a, host_a):
    """A question of session A in the given state; on air means taken on air by the host."""

    def make(status="pending", **kwargs):
        if status == "on_air":
            question = QuestionFactory(session=session_a, status="approved", **kwargs)
            return session_take_on_air(actor=host_a, session=session_a, question=question)
        return QuestionFactory(session=session_a, status=status, **kwargs)

    return make


def snapshot(question):
    row = Question.objects.get(pk=question.pk)
    return {
        "status": row.status,
        "text": row.text,
        "starred": row.starred,
        "target_guest": row.target_guest_id,
        "updated_at": row.updated_at,
        "approved_at": row.approved_at,
        "answered_at": row.answered_at,
        "log": ModerationLogEntry.objects.filter(question=row).count(),
        "as_run": list(AsRunEntry.objects.values_list("pk", "ended_at", "outcome")),
    }


def last_log(question):
    return ModerationLogEntry.objects.filter(question=question).latest("created_at", "id")


# Legal moves


@pytest.mark.parametrize(("action", "src", "dst"), LEGAL_CASES)
def test_each_legal_move_changes_the_status_and_logs_who_moved_it(
    request, make_question, action, src, dst
):
    question = make_question(src)
    actor = actor_for(request, action)

    ACTIONS[action](actor, question)

    assert Question.objects.get(pk=question.pk).status == dst
    entry = last_log(question)
    assert entry.actor == actor
    assert entry.action == action
    assert (entry.from_status, entry.to_status) == (src, dst)
    assert entry.session_id == question.session_id


@pytest.mark.parametrize("src", ["pending", "rejected", "archived"])
def test_approving_stamps_the_approval_time(make_question, moderator_a, src):
    question = make_question(src)

    question_approve(actor=moderator_a, question=question)

    assert Question.objects.get(pk=question.pk).approved_at is not None


@pytest.mark.parametrize("src", ["pending", "approved"])
def test_rejecting_keeps_the_reason_in_the_log(make_question, moderator_a, src):
    question = make_question(src)

    question_reject(actor=moderator_a, question=question, reason="Personal attack")

    entry = last_log(question)
    assert (entry.action, entry.from_status, entry.to_status) == ("reject", src, "rejected")
    assert entry.reason == "Personal attack"


def test_a_very_long_reason_is_cut_to_what_the_log_holds(make_question, moderator_a):
    question = make_question("pending")

    question_reject(actor=moderator_a, question=question, reason="x" * 900)

    assert last_log(question).reason == "x" * 500


def test_archiving_and_reopening_keep_their_reasons(make_question, moderator_a):
    question = make_question("answered")

    question_archive(actor=moderator_a, question=question, reason="Done with it")
    question_reopen(actor=moderator_a, question=question, reason="Asked again")

    reasons = list(
        ModerationLogEntry.objects.filter(question=question)
        .order_by("id")
        .values_list("action", "reason")
    )
    assert reasons == [("archive", "Done with it"), ("reopen", "Asked again")]
    assert Question.objects.get(pk=question.pk).status == "pending"


# Illegal moves


@pytest.mark.parametrize(("action", "src"), ILLEGAL_CASES)
def test_each_illegal_move_is_refused_and_leaves_the_question_unchanged(
    request, make_question, action, src
):
    question = make_question(src)
    before = snapshot(question)

    with pytest.raises(InvalidTransition) as exc:
        ACTIONS[action](actor_for(request, action), question)

    assert exc.value.code == "invalid_transition"
    assert exc.value.details["status"] == src
    assert snapshot(question) == before


# Editing


def test_editing_a_pending_question_changes_its_text_and_keeps_the_original(
    make_question, moderator_a
):
    question = make_question("pending", text="Wher is the bridge?")

    question_edit(actor=moderator_a, question=question, text="  Where is the   bridge? ")

    row = Question.objects.get(pk=question.pk)
    assert row.text == "Where is the bridge?"
    assert row.original_text == "Wher is the bridge?"
    assert row.status == "pending"
    entry = last_log(question)
    assert entry.action == "edit"
    assert entry.details == {"text": "Where is the bridge?"}


def test_editing_an_approved_question_sends_it_back_to_review(make_question, moderator_a):
    question = make_question("approved")

    question_edit(actor=moderator_a, question=question, text="Reworded question?")

    row = Question.objects.get(pk=question.pk)
    assert (row.status, row.text) == ("pending", "Reworded question?")
    entry = last_log(question)
    assert (entry.from_status, entry.to_status) == ("approved", "pending")


@pytest.mark.parametrize("status", ["on_air", "answered"])
def test_what_aired_cannot_be_edited(make_question, moderator_a, status):
    question = make_question(status, text="As it aired?")

    with pytest.raises(InvalidTransition):
        question_edit(actor=moderator_a, question=question, text="Something else?")

    row = Question.objects.get(pk=question.pk)
    assert (row.status, row.text) == (status, "As it aired?")


def test_an_edit_to_the_same_text_changes_and_logs_nothing(make_question, moderator_a):
    question = make_question("approved", text="Same question?")
    before = snapshot(question)

    question_edit(actor=moderator_a, question=question, text="  Same   question? ")

    assert snapshot(question) == before
    assert Question.objects.get(pk=question.pk).status == "approved"


def test_an_edit_to_empty_text_is_refused(make_question, moderator_a):
    question = make_question("pending", text="Keep me?")

    with pytest.raises(ValidationFailed) as exc:
        question_edit(actor=moderator_a, question=question, text=" \u200b ")

    assert exc.value.details == {"text": "empty"}
    assert Question.objects.get(pk=question.pk).text == "Keep me?"


def test_an_edit_longer_than_the_session_allows_is_refused(session_a, make_question, moderator_a):
    session_a.max_question_length = 20
    session_a.save()
    question = make_question("pending", text="Keep me?")

    with pytest.raises(ValidationFailed) as exc:
        question_edit(actor=moderator_a, question=question, text="y" * 21)

    assert exc.value.code == "too_long"
    assert Question.objects.get(pk=question.pk).text == "Keep me?"


# Star and aim


def test_starring_marks_the_question_and_logs_it_without_a_status_change(
    make_question, moderator_a
):
    question = make_question("approved")

    question_star(actor=moderator_a, question=question)

    assert Question.objects.get(pk=question.pk).starred is True
    entry = last_log(question)
    assert (entry.actor, entry.action) == (moderator_a, "star")
    assert (entry.from_status, entry.to_status) == ("approved", "approved")


def test_unstarring_clears_the_mark_and_logs_it(make_question, moderator_a):
    question = make_question("pending", starred=True)

    question_star(actor=moderator_a, question=question, starred=False)

    assert Question.objects.get(pk=question.pk).starred is False
    entry = last_log(question)
    assert (entry.action, entry.from_status, entry.to_status) == ("unstar", "pending", "pending")


@pytest.mark.parametrize("starred", [True, False])
def test_starring_to_the_current_mark_logs_nothing(make_question, moderator_a, starred):
    question = make_question("pending", starred=starred)

    question_star(actor=moderator_a, question=question, starred=starred)

    assert Question.objects.get(pk=question.pk).starred is starred
    assert not ModerationLogEntry.objects.filter(question=question).exists()


def test_aiming_sets_the_target_guest_and_logs_it(session_a, make_question, moderator_a):
    guest = session_a.guests.get()
    question = make_question("approved")

    question_aim(actor=moderator_a, question=question, guest=guest)

    assert Question.objects.get(pk=question.pk).target_guest == guest
    entry = last_log(question)
    assert (entry.actor, entry.action) == (moderator_a, "aim")
    assert (entry.from_status, entry.to_status) == ("approved", "approved")
    assert entry.details == {"guest": guest.pk}


def test_aiming_at_nobody_clears_the_target(session_a, make_question, moderator_a):
    question = make_question("pending", target_guest=session_a.guests.get())

    question_aim(actor=moderator_a, question=question, guest=None)

    assert Question.objects.get(pk=question.pk).target_guest is None
    assert last_log(question).details == {"guest": None}


def test_aiming_at_a_guest_of_another_session_is_refused(
    session_a, session_b, make_question, moderator_a
):
    guest = session_a.guests.get()
    question = make_question("pending", target_guest=guest)
    before = snapshot(question)

    with pytest.raises(ValidationFailed) as exc:
        question_aim(actor=moderator_a, question=question, guest=GuestFactory(session=session_b))

    assert exc.value.details == {"guest": "unknown"}
    assert snapshot(question) == before


# Roles


@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_producer_may_do_every_action(producer_a, make_question, action):
    question = make_question(**START[action])

    ACTIONS[action](producer_a, question)

    assert last_log(question).action == action
    assert last_log(question).actor == producer_a


@pytest.mark.parametrize("action", MODERATION_ACTIONS)
def test_a_host_cannot_moderate(host_a, make_question, action):
    question = make_question(**START[action])
    before = snapshot(question)

    with pytest.raises(NotAllowed) as exc:
        ACTIONS[action](host_a, question)

    assert exc.value.code == "permission_denied"
    assert exc.value.details == {"role": "host", "needs": "moderate"}
    assert snapshot(question) == before


@pytest.mark.parametrize("action", ON_AIR_ACTIONS)
def test_a_moderator_cannot_control_what_is_on_air(moderator_a, make_question, action):
    question = make_question(**START[action])
    before = snapshot(question)

    with pytest.raises(NotAllowed) as exc:
        ACTIONS[action](moderator_a, question)

    assert exc.value.details == {"role": "moderator", "needs": "on_air"}
    assert snapshot(question) == before


@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_viewer_cannot_change_a_question(viewer_a, make_question, action):
    question = make_question(**START[action])
    before = snapshot(question)

    with pytest.raises(NotAllowed):
        ACTIONS[action](viewer_a, question)

    assert snapshot(question) == before


def test_a_viewer_cannot_add_or_ban(session_a, viewer_a, make_question):
    question = make_question("pending")
    before = snapshot(question)

    with pytest.raises(NotAllowed):
        question_submit(session=session_a, text="Mine?", source="manual", actor=viewer_a)
    with pytest.raises(NotAllowed):
        ban_create(actor=viewer_a, question=question, reason="Spam")

    assert Question.objects.count() == 1
    assert snapshot(question) == before


@pytest.mark.parametrize("action", list(ACTIONS))
def test_crew_of_another_station_cannot_find_the_question(producer_b, make_question, action):
    question = make_question(**START[action])
    before = snapshot(question)

    with pytest.raises(NotFound) as exc:
        ACTIONS[action](producer_b, question)

    assert exc.value.code == "not_found"
    assert snapshot(question) == before


@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_audience_cannot_change_a_question(make_question, action):
    question = make_question(**START[action])
    before = snapshot(question)

    with pytest.raises(NotFound):
        ACTIONS[action](None, question)

    assert snapshot(question) == before


def test_sending_an_answered_question_back_to_the_queue_forgets_when_it_was_answered(
    host_a, moderator_a, approved_question
):
    answered = question_mark_answered(actor=host_a, question=approved_question)
    assert answered.answered_at is not None

    reopened = question_reopen(actor=moderator_a, question=answered)
    approved = question_approve(actor=moderator_a, question=reopened)

    assert approved.answered_at is None
    assert Question.objects.get(pk=approved.pk).answered_at is None


def test_aiming_at_the_guest_already_aimed_at_writes_no_second_log_entry(
    moderator_a, session_a, approved_question
):
    guest = session_a.guests.get()
    question_aim(actor=moderator_a, question=approved_question, guest=guest)
    question_aim(actor=moderator_a, question=approved_question, guest=guest)

    assert ModerationLogEntry.objects.filter(question=approved_question, action="aim").count() == 1
