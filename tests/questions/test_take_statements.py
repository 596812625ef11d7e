"""The take is the studio's most urgent write: about a dozen statements, one event.

Counted on whichever database the suite runs on (SQLite by default, PostgreSQL in CI): each
row read once under its lock, each change written once, the moderation log in one insert, one
air-log line, one stream-head update and one event-log insert.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from questions.models import ModerationLogEntry
from questions.services import session_take_on_air
from studio.models import EventLogEntry
from tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db(transaction=True)

# The crew member's role (read before the transaction), then eleven: the session with its
# station, the two questions, the ban check, the as-run entry closed, the question replaced,
# the as-run entry opened, the question taken, the moderation log, the air log, the stream
# heads and the event log.
TAKE_STATEMENTS = 12


def _statements(queries: list[dict[str, str]]) -> list[str]:
    """The statements sent, without transaction control (BEGIN, SAVEPOINT, COMMIT...)."""
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
    return [q["sql"] for q in queries if not q["sql"].upper().startswith(control)]


def test_a_take_replacing_the_question_on_air_is_about_a_dozen_statements(session_a, host_a):
    on_air = QuestionFactory(session=session_a, status="approved", text="First?")
    session_take_on_air(actor=host_a, session=session_a, question=on_air)
    taken = QuestionFactory(session=session_a, status="approved", text="Second?")
    events_before = EventLogEntry.objects.count()

    with CaptureQueriesContext(connection) as captured:
        session_take_on_air(actor=host_a, session=session_a, question=taken)

    statements = _statements(captured.captured_queries)
    print(f"{len(statements)} statements on {connection.vendor}:", *statements, sep="\n")
    assert len(statements) <= TAKE_STATEMENTS, "\n".join(statements)
    # One event: one entry on each of the three streams.
    assert EventLogEntry.objects.count() - events_before == 3
    taken.refresh_from_db()
    on_air.refresh_from_db()
    assert (taken.status, on_air.status) == ("on_air", "answered")
    actions = ModerationLogEntry.objects.filter(question__in=[on_air, taken]).order_by("pk")
    assert [(e.question_id, e.action) for e in actions][-2:] == [
        (on_air.pk, "answer"),
        (taken.pk, "take"),
    ]


def test_a_take_of_a_cued_question_uncues_it_in_the_same_event(session_a, host_a):
    from django.utils import timezone

    from studio import events

    cued = QuestionFactory(session=session_a, status="approved", cued_at=timezone.now())

    session_take_on_air(actor=host_a, session=session_a, question=cued)

    cued.refresh_from_db()
    assert cued.cued_at is None
    [overlay] = EventLogEntry.objects.filter(session=session_a, stream=events.OVERLAY)
    assert overlay.type == "on_air"
    assert overlay.data["cue"] == {"question": None}
    assert overlay.data["question"]["id"] == cued.pk
