"""Backstage messages: a producer's short note to the host's tablet, with its read receipt.

The ``BackstageMessage`` rows are the log. Writers publish a ``backstage`` event on the crew
stream (never on the audience's or the overlay's) inside their transaction, after their row locks
(the lock order of studio/events.py: the message row, then the stream heads).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from live.models import BACKSTAGE_MESSAGE_MAX_LENGTH, BackstageMessage
from questions.automod.normalise import normalise
from studio import events
from studio.errors import Conflict, NotFound, ValidationFailed
from studio.models import LiveSession
from studio.roles import Capability, User, require, require_any

RECENT_LIMIT = 20  # the messages a console starts from: the latest, read or not


def backstage_shape(message: BackstageMessage) -> dict[str, Any]:
    sender = message.sender
    reader = message.read_by
    return {
        "id": message.pk,
        "text": message.text,
        "sender": sender.get_username() if sender is not None else "",
        "sent_at": message.sent_at.isoformat(),
        "read_at": message.read_at.isoformat() if message.read_at else None,
        "read_by": reader.get_username() if reader is not None else None,
    }


def _publish(message: BackstageMessage) -> None:
    events.emit(message.session_id, "backstage", crew={"message": backstage_shape(message)})


def backstage_send(*, actor: User, session: LiveSession, text: str) -> BackstageMessage:
    """Send a message to the host's console. Producers and moderators send; plain text only."""
    require_any(actor, session.station_id, Capability.MODERATE, Capability.MANAGE)
    clean = normalise(text or "")
    if not clean:
        raise ValidationFailed(
            _("The message is empty."), code="message_empty", details={"text": "empty"}
        )
    if len(clean) > BACKSTAGE_MESSAGE_MAX_LENGTH:
        raise ValidationFailed(
            _("A backstage message has at most %(max)d characters; this one has %(n)d.")
            % {"max": BACKSTAGE_MESSAGE_MAX_LENGTH, "n": len(clean)},
            code="message_too_long",
            details={"max_length": BACKSTAGE_MESSAGE_MAX_LENGTH, "length": len(clean)},
        )
    with transaction.atomic():
        message = BackstageMessage.objects.create(
            session=session,
            text=clean,
            sender=actor,  # type: ignore[misc]
        )
        _publish(message)
    return message


def backstage_read(*, actor: User, message: BackstageMessage) -> BackstageMessage:
    """The host read the message: the sender's console shows when and by whom. Reading twice
    keeps the first receipt."""
    require(actor, message.session.station_id, Capability.ON_AIR)
    if message.sender_id is not None and message.sender_id == actor.pk:
        raise Conflict(_("The host marks this message read, not its sender."), code="own_message")
    with transaction.atomic():
        locked = (
            BackstageMessage.objects.select_for_update(no_key=True, of=("self",))
            .select_related("sender", "read_by")
            .get(pk=message.pk)
        )
        if locked.read_at is None:
            locked.read_at = timezone.now()
            locked.read_by = actor  # type: ignore[assignment]
            locked.save(update_fields=["read_at", "read_by"])
            _publish(locked)
    return locked


# --- selectors ------------------------------------------------------------------------------


def backstage_messages(*, session_id: int) -> QuerySet[BackstageMessage]:
    """The session's messages, oldest first: the log."""
    return BackstageMessage.objects.filter(session_id=session_id).select_related(
        "sender", "read_by"
    )


def backstage_recent(*, session_id: int) -> list[BackstageMessage]:
    """What a console starts from: every unread message and the latest read ones, oldest first."""
    unread = list(backstage_messages(session_id=session_id).filter(read_at__isnull=True))
    latest = list(
        backstage_messages(session_id=session_id).order_by("-sent_at", "-id")[:RECENT_LIMIT]
    )
    by_id = {m.pk: m for m in [*unread, *latest]}
    return sorted(by_id.values(), key=lambda m: (m.sent_at, m.pk))


def backstage_message_in_session(*, session_id: int, message_id: int) -> BackstageMessage:
    message = (
        backstage_messages(session_id=session_id)
        .select_related("session")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        raise NotFound(_("That message is not in this session."), code="not_found")
    return message
