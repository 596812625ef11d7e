"""Writes to sessions and guests. Every function checks the actor's role first."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from studio import events
from studio.errors import Conflict, ValidationFailed
from studio.models import (
    Guest,
    LiveSession,
    ModerationMode,
    SessionStatus,
    Station,
    new_overlay_key,
)
from studio.publish import publish_guests, publish_session
from studio.roles import Capability, User, require
from studio.transactions import retry_on_deadlock

SESSION_TRANSITIONS: dict[str, set[str]] = {
    SessionStatus.DRAFT: {SessionStatus.LIVE},
    SessionStatus.LIVE: {SessionStatus.ENDED},
    # Reopening an ended session undoes an "end" pressed too early.
    SessionStatus.ENDED: {SessionStatus.LIVE},
}

SESSION_EDITABLE_FIELDS = {
    "title",
    "hashtags",
    "language",
    "submissions_open",
    "moderation_mode",
    "max_question_length",
    "rank_prior",
    "rank_half_life_minutes",
    "flagged_policy",
    "report_threshold",
    "retention_days",
    "post_back_enabled",
    "post_template",
}


def _full_clean(obj: LiveSession | Guest) -> None:
    """Hold the model's own limits (choices, lengths, ranges) for every caller, not only HTTP."""
    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        fields = ", ".join(sorted(exc.message_dict))
        raise ValidationFailed(f"Invalid {fields}.", details=exc.message_dict) from exc


def _clean_hashtags(hashtags: list[str] | tuple[str, ...]) -> list[str]:
    cleaned: list[str] = []
    for tag in hashtags:
        tag = str(tag).strip().lstrip("#")
        if not tag or not all(c.isalnum() or c == "_" for c in tag) or len(tag) > 60:
            raise ValidationFailed(
                f"Invalid hashtag {tag!r}: letters, digits and _ only.", details={"hashtags": tag}
            )
        if tag.lower() not in (t.lower() for t in cleaned):
            cleaned.append(tag)
    return cleaned


def _unique_slug(base: str) -> str:
    base = slugify(base)[:70].strip("-") or "session"
    slug, n = base, 2
    while LiveSession.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def session_create(
    *,
    actor: User,
    station: Station,
    title: str,
    slug: str = "",
    hashtags: list[str] | tuple[str, ...] = (),
    language: str = "en",
    moderation_mode: str = ModerationMode.PRE,
    max_question_length: int = 280,
    submissions_open: bool = True,
) -> LiveSession:
    """Create a draft session for the station. The slug is derived from the title when empty."""
    require(actor, station, Capability.MANAGE)
    title = title.strip()
    if not title:
        raise ValidationFailed("A session needs a title.", details={"title": "required"})
    if slug:
        slug = slugify(slug)
        if not slug:
            raise ValidationFailed(
                "The address needs letters or digits.", details={"slug": "invalid"}
            )
        if LiveSession.objects.filter(slug=slug).exists():
            raise Conflict(f"The address {slug!r} is taken.", code="slug_taken")
    else:
        slug = _unique_slug(title)
    try:
        with transaction.atomic():
            # The user model is auth.User; the stubs type request.user as AbstractBaseUser.
            session = LiveSession(  # type: ignore[misc]
                station=station,
                title=title,
                slug=slug,
                hashtags=_clean_hashtags(hashtags),
                language=language,
                moderation_mode=moderation_mode,
                max_question_length=max_question_length,
                submissions_open=submissions_open,
                created_by=actor,
            )
            _full_clean(session)
            session.save()
            return session
    except IntegrityError as exc:
        raise Conflict(f"The address {slug!r} is taken.", code="slug_taken") from exc


@retry_on_deadlock
def session_update(*, actor: User, session: LiveSession, **fields: Any) -> LiveSession:
    """Change a session's settings (its status: ``questions.services.session_set_status``)."""
    require(actor, session.station_id, Capability.MANAGE)
    unknown = set(fields) - SESSION_EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(f"Cannot change {', '.join(sorted(unknown))} here.")
    if "hashtags" in fields:
        fields["hashtags"] = _clean_hashtags(fields["hashtags"])
    if "title" in fields:
        fields["title"] = fields["title"].strip()
        if not fields["title"]:
            raise ValidationFailed("A session needs a title.", details={"title": "required"})
    for name, value in fields.items():
        setattr(session, name, value)
    _full_clean(session)
    with transaction.atomic():
        session.save(update_fields=[*fields])
        publish_session(session)
    return session


@retry_on_deadlock
def session_rotate_overlay_key(*, actor: User, session: LiveSession) -> LiveSession:
    """Issue a new overlay key; graphics using the old one lose access at once."""
    require(actor, session.station_id, Capability.MANAGE)
    with transaction.atomic():
        session.overlay_key = new_overlay_key()
        session.save(update_fields=["overlay_key"])
        # Overlay and wall sockets opened with the old key are closed (the wall follows the
        # public stream; audience sockets there ignore the message).
        events.send_control(session.pk, events.OVERLAY, "key_rotated")
        events.send_control(session.pk, events.PUBLIC, "key_rotated")
    return session


GUEST_FIELDS = {"name", "title", "photo_url", "bio", "handles", "order"}


def _clean_handles(handles: list[str]) -> list[str]:
    cleaned = []
    for handle in handles:
        handle = str(handle).strip()
        if not handle or len(handle) > 120:
            raise ValidationFailed(f"Invalid handle {handle!r}.", details={"handles": handle})
        cleaned.append(handle)
    return cleaned


@retry_on_deadlock
def guest_create(*, actor: User, session: LiveSession, name: str, **fields: Any) -> Guest:
    require(actor, session.station_id, Capability.MANAGE)
    unknown = set(fields) - GUEST_FIELDS
    if unknown:
        raise ValidationFailed(f"Unknown guest fields: {', '.join(sorted(unknown))}.")
    name = name.strip()
    if not name:
        raise ValidationFailed("A guest needs a name.", details={"name": "required"})
    if "handles" in fields:
        fields["handles"] = _clean_handles(fields["handles"])
    if "order" not in fields:
        fields["order"] = session.guests.count()
    guest = Guest(session=session, name=name, **fields)
    _full_clean(guest)
    with transaction.atomic():
        guest.save()
        publish_guests(session.pk)
    return guest


@retry_on_deadlock
def guest_update(*, actor: User, guest: Guest, **fields: Any) -> Guest:
    require(actor, guest.session.station_id, Capability.MANAGE)
    unknown = set(fields) - GUEST_FIELDS
    if unknown:
        raise ValidationFailed(f"Unknown guest fields: {', '.join(sorted(unknown))}.")
    if "name" in fields:
        fields["name"] = fields["name"].strip()
        if not fields["name"]:
            raise ValidationFailed("A guest needs a name.", details={"name": "required"})
    if "handles" in fields:
        fields["handles"] = _clean_handles(fields["handles"])
    for name, value in fields.items():
        setattr(guest, name, value)
    _full_clean(guest)
    with transaction.atomic():
        guest.save(update_fields=[*fields])
        publish_guests(guest.session_id)
    return guest


@retry_on_deadlock
def guest_delete(*, actor: User, guest: Guest) -> None:
    """Remove a guest; questions aimed at them stay, aimed at nobody."""
    require(actor, guest.session.station_id, Capability.MANAGE)
    session_id = guest.session_id
    with transaction.atomic():
        guest.delete()
        publish_guests(session_id)
