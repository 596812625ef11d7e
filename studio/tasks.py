"""Periodic housekeeping, run by Celery beat in production."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="studio.prune_event_logs")
def prune_event_logs() -> int:
    """Drop replay-log events older than EVENT_REPLAY_SECONDS, for every session."""
    from studio.events import prune_expired

    return prune_expired()
