"""The question state machine's table: the README shows the same rules, and every action refuses
every state it does not start from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import transaction

from questions.models import ModerationLogEntry, Question, QuestionStatus
from questions.services import (
    question_approve,
    question_archive,
    question_hold,
    question_mark_answered,
    question_reject,
    question_reopen,
    question_requeue,
    session_clear_on_air,
    session_take_on_air,
)
from questions.services.common import question_transition
from questions.transitions import TRANSITIONS
from studio.errors import InvalidTransition
from studio.models import AsRunEntry
from tests.factories import QuestionFactory

README = Path(__file__).resolve().parents[2] / "README.md"
STATUSES = list(QuestionStatus.values)


def readme_transitions() -> dict[str, tuple[set[str], str]]:
    """The README's table under "A question moves through these states": action → (from, to).

    An action is the first word of its cell ("reject (with a reason)" is reject); the to-state
    is the first word of its cell ("on_air (the question on air before …)" is on_air).
    """
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if "moves through these states" in line)
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    header, separator, *body = rows
    assert header[:3] == ["action", "from", "to"]
    assert set("".join(separator)) <= {"-", " "}
    table = {}
    for action, sources, target, *_ in body:
        name = re.match(r"[a-z_]+", action).group()
        assert name not in table, f"{name} appears twice in the README's table"
        table[name] = (
            {source.strip() for source in sources.split(",")},
            re.match(r"[a-z_]+", target).group(),
        )
    return table


def test_the_readme_shows_the_transitions_of_the_code():
    code = {
        action: (set(transition.allowed_from), transition.to)
        for action, transition in TRANSITIONS.items()
    }

    assert readme_transitions() == code


def test_every_state_of_the_table_is_a_question_status():
    for transition in TRANSITIONS.values():
        assert set(transition.allowed_from) <= set(STATUSES)
        assert transition.to in STATUSES


REFUSED = [
    (action, status)
    for action, transition in TRANSITIONS.items()
    for status in STATUSES
    if status not in transition.allowed_from
]


@pytest.fixture
def make_question(session_a, host_a):
    """A question of session A in the given state; on air means taken on air by the host."""

    def make(status):
        if status == "on_air":
            question = QuestionFactory(session=session_a, status="approved")
            return session_take_on_air(actor=host_a, session=session_a, question=question)
        return QuestionFactory(session=session_a, status=status)

    return make


def snapshot(question):
    row = Question.objects.get(pk=question.pk)
    return {
        "status": row.status,
        "hold_position": row.hold_position,
        "updated_at": row.updated_at,
        "approved_at": row.approved_at,
        "answered_at": row.answered_at,
        "log": ModerationLogEntry.objects.filter(question=row).count(),
        "as_run": list(AsRunEntry.objects.values_list("pk", "ended_at", "outcome")),
    }


def assert_refused(exc, action, status):
    verb = TRANSITIONS[action].verb
    label = QuestionStatus(status).label.lower()
    assert exc.value.code == "invalid_transition"
    assert exc.value.status_code == 409
    assert exc.value.message == f"Cannot {verb} a question that is {label}."
    assert exc.value.details == {"status": status, "action": verb}


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "status"), REFUSED)
def test_the_transition_refuses_every_state_outside_its_from_set(
    make_question, producer_a, action, status
):
    question = make_question(status)
    before = snapshot(question)

    with pytest.raises(InvalidTransition) as exc, transaction.atomic():
        question_transition(question=question, action=action, actor=producer_a)

    assert_refused(exc, action, status)
    assert snapshot(question) == before


# Each action as its service does it, for a question in any state.
SERVICES = {
    "approve": lambda actor, q: question_approve(actor=actor, question=q),
    "reject": lambda actor, q: question_reject(actor=actor, question=q, reason="Off topic"),
    "reopen": lambda actor, q: question_reopen(actor=actor, question=q),
    "archive": lambda actor, q: question_archive(actor=actor, question=q),
    "take": lambda actor, q: session_take_on_air(actor=actor, session=q.session, question=q),
    "answered": lambda actor, q: question_mark_answered(actor=actor, question=q),
    "requeue": lambda actor, q: question_requeue(actor=actor, question=q),
    "hold": lambda actor, q: question_hold(actor=actor, question=q, position=1),
}
SERVICE_REFUSED = [
    (action, status)
    for action, status in REFUSED
    # Clearing names no question: it acts on whatever is on air (tested below). Taking the
    # question already on air is a harmless repeat, not an error.
    if action in SERVICES and (action, status) != ("take", "on_air")
]


def test_every_action_of_the_table_has_a_service():
    # A pull is no crew action: a ban does it to its author's questions (tests/questions/
    # test_ban_pulls.py).
    assert set(SERVICES) | {"clear", "pull"} == set(TRANSITIONS)


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "status"), SERVICE_REFUSED)
def test_each_service_refuses_every_state_outside_its_from_set(
    make_question, producer_a, action, status
):
    question = make_question(status)
    before = snapshot(question)

    with pytest.raises(InvalidTransition) as exc:
        SERVICES[action](producer_a, question)

    assert_refused(exc, action, status)
    assert snapshot(question) == before


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s for s in STATUSES if s != "on_air"])
def test_clearing_leaves_a_question_that_is_not_on_air_alone(make_question, producer_a, status):
    question = make_question(status)
    before = snapshot(question)

    assert session_clear_on_air(actor=producer_a, session=question.session) is None

    assert snapshot(question) == before
