"""Fixtures of the social wall's tests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from questions.models import Ban
from tests.factories import AuthorFactory, QuestionFactory


def wall_question(session, text, *, status="approved", minutes_ago=0, **kwargs):
    """A question of the session as the services would have left it, made ``minutes_ago``."""
    question = QuestionFactory(
        session=session,
        text=text,
        status=status,
        approved_at=timezone.now() if status != "pending" else None,
        **kwargs,
    )
    if minutes_ago:
        type(question).objects.filter(pk=question.pk).update(
            created_at=timezone.now() - timedelta(minutes=minutes_ago)
        )
        question.refresh_from_db()
    return question


@pytest.fixture
def mixed_wall(session_a, producer_a):
    """Approved questions and everything that must never reach the wall."""
    banned = AuthorFactory(display_name="Banned Bob")
    Ban.objects.create(station=session_a.station, author=banned, created_by=producer_a)
    return {
        "old": wall_question(session_a, "Old approved?", minutes_ago=10),
        "new": wall_question(session_a, "New approved?", minutes_ago=1),
        "answered": wall_question(session_a, "Answered one?", status="answered", minutes_ago=5),
        "pending": wall_question(session_a, "Pending one?", status="pending"),
        "rejected": wall_question(session_a, "Rejected one?", status="rejected"),
        "archived": wall_question(session_a, "Archived one?", status="archived"),
        "banned": wall_question(session_a, "By a banned author?", author=banned),
        "message": wall_question(session_a, "Great show tonight", is_question=False),
        "hidden": wall_question(session_a, "Hidden one?", wall_state="hidden"),
    }
