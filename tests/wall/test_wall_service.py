"""The social wall: what it shows (only approved content), and a producer's pin, hide, show,
reset and reorder."""

from __future__ import annotations

import pytest

from questions.models import ModerationLogEntry, Question
from questions.selectors import wall_items
from questions.services import question_reopen, session_take_on_air
from questions.services.wall import wall_reorder, wall_set
from questions.shapes import wall_shape
from studio.errors import NotAllowed, NotFound, ValidationFailed
from tests.wall.conftest import wall_question

pytestmark = pytest.mark.django_db


def texts(session):
    return [q.text for q in wall_items(session)]


def test_the_wall_shows_only_approved_questions_newest_first(session_a, mixed_wall):
    assert texts(session_a) == ["New approved?", "Answered one?", "Old approved?"]


def test_a_message_that_is_no_question_shows_only_when_a_producer_puts_it_on_the_wall(
    session_a, producer_a, mixed_wall
):
    wall_set(actor=producer_a, question=mixed_wall["message"], state="shown")

    assert texts(session_a)[0] == "Great show tonight"


@pytest.mark.parametrize("name", ["pending", "rejected", "archived", "banned"])
@pytest.mark.parametrize("state", ["shown", "pinned"])
def test_nothing_unapproved_or_banned_shows_even_when_shown_or_pinned(
    session_a, producer_a, mixed_wall, name, state
):
    wall_set(actor=producer_a, question=mixed_wall[name], state=state)

    assert mixed_wall[name].text not in texts(session_a)


def test_pinned_items_come_first_in_their_order(session_a, producer_a, mixed_wall):
    wall_set(actor=producer_a, question=mixed_wall["old"], state="pinned")
    wall_set(actor=producer_a, question=mixed_wall["answered"], state="pinned", position=1)

    assert texts(session_a) == ["Answered one?", "Old approved?", "New approved?"]
    positions = dict(
        Question.objects.filter(wall_state="pinned").values_list("text", "wall_position")
    )
    assert positions == {"Answered one?": 1, "Old approved?": 2}


def test_reorder_sets_the_pinned_order(session_a, producer_a, mixed_wall):
    first, second = mixed_wall["old"], mixed_wall["new"]
    wall_set(actor=producer_a, question=first, state="pinned")
    wall_set(actor=producer_a, question=second, state="pinned")

    wall_reorder(actor=producer_a, session=session_a, ordered_ids=[second.pk, first.pk])

    assert texts(session_a)[:2] == ["New approved?", "Old approved?"]


def test_reorder_must_list_every_pinned_item(session_a, producer_a, mixed_wall):
    wall_set(actor=producer_a, question=mixed_wall["old"], state="pinned")
    wall_set(actor=producer_a, question=mixed_wall["new"], state="pinned")

    with pytest.raises(ValidationFailed):
        wall_reorder(actor=producer_a, session=session_a, ordered_ids=[mixed_wall["old"].pk])
    with pytest.raises(ValidationFailed):
        wall_reorder(
            actor=producer_a,
            session=session_a,
            ordered_ids=[mixed_wall["old"].pk, mixed_wall["old"].pk],
        )


def test_hide_takes_an_item_off_and_reset_puts_it_back(session_a, producer_a, mixed_wall):
    wall_set(actor=producer_a, question=mixed_wall["new"], state="pinned")
    wall_set(actor=producer_a, question=mixed_wall["new"], state="hidden")
    assert "New approved?" not in texts(session_a)
    assert Question.objects.get(pk=mixed_wall["new"].pk).wall_position is None

    wall_set(actor=producer_a, question=mixed_wall["new"], state="")

    assert texts(session_a)[0] == "New approved?"


def test_hiding_a_pinned_item_closes_the_gap(session_a, producer_a, mixed_wall):
    for name in ("old", "new", "answered"):
        wall_set(actor=producer_a, question=mixed_wall[name], state="pinned")

    wall_set(actor=producer_a, question=mixed_wall["new"], state="hidden")

    pinned = Question.objects.filter(wall_state="pinned").order_by("wall_position")
    assert [(q.text, q.wall_position) for q in pinned] == [
        ("Old approved?", 1),
        ("Answered one?", 2),
    ]


def test_a_question_sent_back_to_review_leaves_the_wall(session_a, producer_a, mixed_wall):
    question_reopen(actor=producer_a, question=mixed_wall["new"])

    assert "New approved?" not in texts(session_a)


def test_each_change_is_logged_with_its_state_and_position(producer_a, mixed_wall):
    wall_set(actor=producer_a, question=mixed_wall["old"], state="pinned")

    entry = ModerationLogEntry.objects.get(question=mixed_wall["old"], action="wall")
    assert entry.actor == producer_a
    assert entry.details == {"state": "pinned", "position": 1}


@pytest.mark.parametrize("who", ["moderator_a", "host_a"])
def test_only_producers_change_the_wall(request, session_a, mixed_wall, who):
    user = request.getfixturevalue(who)

    with pytest.raises(NotAllowed):
        wall_set(actor=user, question=mixed_wall["new"], state="hidden")
    with pytest.raises(NotAllowed):
        wall_reorder(actor=user, session=session_a, ordered_ids=[])
    assert Question.objects.get(pk=mixed_wall["new"].pk).wall_state == ""


def test_a_producer_of_another_station_gets_not_found(producer_b, mixed_wall):
    with pytest.raises(NotFound):
        wall_set(actor=producer_b, question=mixed_wall["new"], state="hidden")


def test_an_unknown_state_or_a_position_without_a_pin_is_refused(producer_a, mixed_wall):
    with pytest.raises(ValidationFailed):
        wall_set(actor=producer_a, question=mixed_wall["new"], state="top")
    with pytest.raises(ValidationFailed):
        wall_set(actor=producer_a, question=mixed_wall["new"], state="hidden", position=1)


def test_the_wall_says_which_item_is_on_air(session_a, host_a, mixed_wall):
    session_take_on_air(actor=host_a, session=session_a, question=mixed_wall["old"])

    shape = wall_shape(session_a)

    assert shape["on_air"] == mixed_wall["old"].pk
    item = next(i for i in shape["items"] if i["id"] == mixed_wall["old"].pk)
    assert item["on_air"] is True
    assert item["source"] == "web"
    assert item["author_name"] == mixed_wall["old"].author_name


def test_the_wall_costs_one_query_however_many_items(
    session_a, django_assert_num_queries, mixed_wall
):
    for n in range(40):
        wall_question(session_a, f"More {n}?")

    with django_assert_num_queries(1):
        shape = wall_shape(session_a)

    assert len(shape["items"]) == 30
