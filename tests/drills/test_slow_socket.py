"""Drill: an audience socket that stops reading while the session's events stream past. A
listener that reads is served promptly all the same, and the slow one, once it reads again, is
never left diverged: applying what it receives (and saying hello with its last ``seq`` on a
gap, as docs/realtime.md asks), its state equals a fresh snapshot.

The slow client reads nothing from the network while it sleeps (a receive queue of two frames,
so TCP pushes back on the server), like a phone on a poor connection."""

from __future__ import annotations

import json
import time

import pytest
from websockets.sync.client import connect

from tests.drills.state import StreamState, converge, fresh_view
from tests.multiprocess.conftest import NEW_SESSION, TIMEOUT, Session, Socket, audience

pytestmark = pytest.mark.postgres

EVENTS = 400
# Seconds, after the burst, for the reading listener to have every event of it.
PROMPTLY = 10.0

APPROVE_ALL = """
from django.contrib.auth import get_user_model
from questions.models import Question
from questions.services.moderation import question_approve

producer = get_user_model().objects.get(username="producer")
for question in Question.objects.filter(session_id={session}, status="pending").order_by("id"):
    question_approve(actor=producer, question=question)
print("done")
"""


class SlowSocket(Socket):
    """An audience socket whose client stops reading from the network when two frames wait."""

    def __init__(self, server, session: Session) -> None:
        self.ws = connect(
            f"{server.ws_url}/ws/audience/{session.slug}/",
            open_timeout=TIMEOUT,
            close_timeout=2,
            proxy=None,
            max_queue=2,
            legacy=True,  # connected on return, as the other test sockets
        )
        self.closed = False


def test_a_socket_that_cannot_keep_up_is_brought_back_in_step(proxied_studio):
    server, _ = proxied_studio
    created = json.loads(
        server.shell(NEW_SESSION.format(slug="slow-socket", approved=1, pending=EVENTS))
        .strip()
        .splitlines()[-1]
    )
    session = Session("slow-socket", created["id"], created["approved"], created["pending"])
    slow = SlowSocket(server, session)
    behind = StreamState(slow.hello())
    reader = audience(server, session)
    kept = StreamState(reader.hello())

    server.shell(APPROVE_ALL.format(session=session.id))  # a burst of EVENTS events
    started = time.monotonic()
    last = session.pending[-1]
    # The listener that reads has them all, in order, without waiting for the slow one.
    while last not in kept.questions:
        assert time.monotonic() - started < PROMPTLY, "the reading listener was held up"
        frame = reader.frame()
        assert kept.apply(frame), (frame["seq"], kept.seq)  # no gap: nothing skipped
    time.sleep(2)  # the slow client still reads nothing

    # Now it reads again: it converges, and its stream has no gap left unfilled.
    converge(slow, behind, fresh_view(lambda: audience(server, session)), timeout=60)
    assert last in behind.questions
    for socket in (slow, reader):
        socket.close()
    assert "Internal Server Error" not in server.log()
