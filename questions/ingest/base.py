"""What every source hands over, and the one way it enters the studio."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from questions.automod.normalise import RAW_LENGTH_CEILING
from questions.models import IngestFeed
from questions.services import AuthorInfo, SubmitResult, question_submit
from questions.services.submission import NAME_LENGTH, followers_or_none
from studio import metrics
from studio.errors import DomainError
from studio.models import LiveSession


@dataclass(frozen=True)
class IncomingMessage:
    """One message from a source, before normalisation.

    ``source`` is ``sms``, ``web`` or ``social:<network>``; ``external_id`` is the message's id at
    the source (the same message always has the same id, so a repeat makes no second question).
    ``text`` may hold markup (Mastodon sends HTML): normalisation strips it. ``author`` ids must
    already be opaque (hashed phone numbers, platform account ids).

    Limits come first: on construction the text is cut to the largest raw length any session
    reads (``RAW_LENGTH_CEILING``) and the name and handle to their field length, so that
    nothing, the task queue included, carries or reads more of a hostile message.
    ``author_followers`` is the author's follower count when the platform gave one with the
    message; anything but a sane count becomes None (unknown).
    """

    source: str
    external_id: str
    text: str
    author_platform: str
    author_id: str
    author_name: str = ""
    author_handle: str = ""
    author_avatar: str = ""
    author_followers: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, limit in (
            ("text", RAW_LENGTH_CEILING),
            ("author_name", NAME_LENGTH),
            ("author_handle", NAME_LENGTH),
        ):
            value = getattr(self, name)
            if isinstance(value, str) and len(value) > limit:
                object.__setattr__(self, name, value[:limit])
        object.__setattr__(self, "author_followers", followers_or_none(self.author_followers))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IncomingMessage:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def ingest(session: LiveSession, message: IncomingMessage) -> SubmitResult | None:
    """Submit the message as a question of the session, exactly once.

    Returns None when the studio refuses it for a reason a retry cannot change (empty text, the
    session closed to questions): such a message is dropped, not retried forever.
    """
    metrics.count_ingest(message.source)
    author = AuthorInfo(
        platform=message.author_platform,
        external_id=message.author_id,
        display_name=message.author_name,
        handle=message.author_handle,
        avatar_url=message.author_avatar if message.author_avatar.startswith("https://") else "",
        followers=message.author_followers,
    )
    try:
        return question_submit(
            session=session,
            text=message.text,
            source=message.source,
            author=author,
            author_name=message.author_name,
            external_id=message.external_id,
            truncate=True,
        )
    except DomainError:
        return None


def ingest_for_feed(feed: IngestFeed, message: IncomingMessage) -> SubmitResult | None:
    return ingest(feed.session, message)
