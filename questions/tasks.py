"""Celery tasks: thin and idempotent. Each takes ids and plain data and calls a service.

Delivery is at least once (``acks_late`` with ``task_reject_on_worker_lost``): a task whose worker
dies is run again. Running one twice is harmless, because a message makes at most one question
(the database's unique ``(session, source, external_id)``).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="questions.ingest_message", acks_late=True, reject_on_worker_lost=True)
def ingest_message(feed_id: int, message: dict[str, Any]) -> int | None:
    """Turn one received message into a question of the feed's session; returns its id."""
    from questions.ingest.base import IncomingMessage, ingest_for_feed
    from questions.models import IngestFeed

    feed = IngestFeed.objects.select_related("session").filter(pk=feed_id).first()
    if feed is None:
        return None
    result = ingest_for_feed(feed, IncomingMessage.from_dict(message))
    return result.question.pk if result else None


@shared_task(name="questions.erase_expired_audience_data")
def erase_expired_audience_data() -> list[int]:
    """Daily (beat): queue the retention run of every ended session past its retention."""
    from questions.services.privacy import sessions_due_for_erasure

    due = sessions_due_for_erasure()
    for session_id in due:
        erase_session_audience_data.delay(session_id)
    return due


# A large session takes seconds, not the default limits' fraction of one; the hard limit stays
# below the broker's visibility timeout so that a slow run is never delivered twice meanwhile.
@shared_task(
    name="questions.erase_session_audience_data",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=240,
    time_limit=270,
)
def erase_session_audience_data(session_id: int) -> dict[str, int] | None:
    """Erase one session's audience data if it is due; None when there was nothing to do."""
    from questions.services.privacy import session_erase_audience_data

    return session_erase_audience_data(session_id=session_id)
