"""A session's status, which ends or reopens the show for its questions too."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from questions.publish import publish_on_air
from questions.services.onair import end_on_air
from questions.shapes import off_air_shape
from studio.errors import InvalidTransition
from studio.models import AsRunOutcome, LiveSession, SessionStatus
from studio.publish import publish_session
from studio.roles import Capability, User, require
from studio.services import SESSION_TRANSITIONS
from studio.transactions import retry_on_deadlock


@retry_on_deadlock
def session_set_status(*, actor: User, session: LiveSession, status: str) -> LiveSession:
    """Move a session along draft → live → ended (or reopen an ended one)."""
    require(actor, session.station_id, Capability.MANAGE)
    with transaction.atomic():
        # NO KEY: the lock order of studio/events.py.
        session = LiveSession.objects.select_for_update(no_key=True).get(pk=session.pk)
        if status not in SESSION_TRANSITIONS.get(session.status, set()):
            raise InvalidTransition(
                f"A {session.status} session cannot become {status}.",
                details={"from": session.status, "to": status},
            )
        if status == SessionStatus.LIVE and session.audience_data_erased_at is not None:
            # Its questions are "[erased]" and its authors anonymous: it cannot take air again.
            raise InvalidTransition(
                "The audience's data of this session was erased: it cannot go live again.",
                details={"from": session.status, "to": status, "erased": True},
            )
        now = timezone.now()
        if status == SessionStatus.ENDED:
            # Nothing stays on air after the show: the question goes back to the queue.
            cleared = end_on_air(
                session=session, actor=actor, outcome=AsRunOutcome.CLEARED, reason="Session ended."
            )
            if cleared is not None:
                publish_on_air(session.pk, changed=[cleared], shape=off_air_shape())
        session.status = status
        if status == SessionStatus.LIVE and session.started_at is None:
            session.started_at = now
        if status == SessionStatus.ENDED:
            session.ended_at = now
        elif status == SessionStatus.LIVE:
            session.ended_at = None
        session.save(update_fields=["status", "started_at", "ended_at"])
        publish_session(session)
    return session
