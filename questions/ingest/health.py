"""How the stream followers are doing, as the readiness page reports it (socialroom/health.py).

A follower writes its feed's health in the database (``questions.ingest.follower``): each stored
message moves ``last_message_at``; each problem is written to ``last_error`` as
"<UTC time> UTC: <problem>", and a success clears it. A feed is reported when its last error is
more recent than its last message, or when it has been silent longer than ``silence_seconds``
(counted from its last message, or from the start of its session if none came yet) while its
session is live. Only the followed feeds of live sessions are looked at: the others are not
followed at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from questions import selectors
from questions.ingest.follow import FOLLOWED_KINDS

ERROR_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class FeedHealth:
    """One followed feed's status. No message or error text: the page is public."""

    id: int
    kind: str
    last_message_at: datetime | None
    last_error_at: datetime | None
    failing: bool  # its last error is more recent than its last message
    silent: bool  # nothing for longer than the bound while its session is live

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "last_message_at": _iso(self.last_message_at),
            "last_error_at": _iso(self.last_error_at),
            "failing": self.failing,
            "silent": self.silent,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def error_time(last_error: str) -> datetime | None:
    """When the error was recorded: the time its text starts with (None if it has none)."""
    try:
        return datetime.strptime(last_error[:19], ERROR_TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def followed_feeds_health(
    *, silence_seconds: float, now: datetime | None = None
) -> list[FeedHealth]:
    """The status of every feed followed now (enabled, of a followed kind, in a live session)."""
    now = now or timezone.now()
    report = []
    for feed in selectors.live_feeds(kinds=FOLLOWED_KINDS):
        errored_at = error_time(feed.last_error) if feed.last_error else None
        if feed.last_error:
            # An error whose time cannot be read is current: a success would have cleared it.
            failing = (
                errored_at is None
                or feed.last_message_at is None
                or errored_at >= feed.last_message_at
            )
        else:
            failing = False
        since = feed.last_message_at or feed.session.started_at or feed.created_at
        silent = silence_seconds > 0 and now - since > timedelta(seconds=silence_seconds)
        report.append(
            FeedHealth(
                id=feed.pk,
                kind=feed.kind,
                last_message_at=feed.last_message_at,
                last_error_at=errored_at,
                failing=failing,
                silent=silent,
            )
        )
    return report
