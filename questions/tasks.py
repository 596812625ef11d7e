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
