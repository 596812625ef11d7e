"""A followed feed's own state: its checkpoint, its last message and its health."""

from __future__ import annotations

from django.utils import timezone

from questions.models import IngestFeed

# The length of ``IngestFeed.last_error``.
ERROR_LENGTH = 500


def feed_record_message(*, feed_id: int, checkpoint: str) -> None:
    """Move the feed's checkpoint past a message whose question is stored, and note its time.

    Call it only once the message's question is in the database: a restart resumes after
    ``checkpoint``. ``last_message_at`` becomes now. A feed deleted meanwhile is left alone.
    """
    IngestFeed.objects.filter(pk=feed_id).update(
        checkpoint=checkpoint, last_message_at=timezone.now()
    )


def feed_save_checkpoint(*, feed_id: int, checkpoint: str) -> None:
    """Store where the feed resumes after a restart; nothing else of the feed changes.

    For messages read and skipped: ``last_message_at`` stays as it was. A feed deleted
    meanwhile is left alone.
    """
    IngestFeed.objects.filter(pk=feed_id).update(checkpoint=checkpoint)


def feed_record_error(*, feed_id: int, error: str) -> None:
    """Store the feed's health in ``last_error``: the problem, or "" when it is healthy.

    The text is cut to the field's length, never refused. A feed deleted meanwhile is left alone.
    """
    IngestFeed.objects.filter(pk=feed_id).update(last_error=error[:ERROR_LENGTH])
