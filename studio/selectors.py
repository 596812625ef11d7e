"""Reads of stations and sessions, always scoped to what the user's crew memberships allow."""

from __future__ import annotations

import hmac

from django.db.models import QuerySet

from studio.errors import NotFound, ValidationFailed
from studio.models import AsRunEntry, Guest, LiveSession, Membership, SessionStatus, Station
from studio.roles import User


def stations_for_user(user: User) -> QuerySet[Station]:
    if not user.is_authenticated:
        return Station.objects.none()
    # The user model is auth.User; the stubs type request.user as AbstractBaseUser.
    return Station.objects.filter(memberships__user=user)  # type: ignore[misc]


def sessions_for_user(user: User) -> QuerySet[LiveSession]:
    if not user.is_authenticated:
        return LiveSession.objects.none()
    # The user model is auth.User; the stubs type request.user as AbstractBaseUser.
    return LiveSession.objects.filter(station__memberships__user=user).select_related("station")  # type: ignore[misc]


def session_for_user(user: User, pk: int | str) -> LiveSession:
    """The session if the user is crew of its station; NotFound otherwise, even if it exists."""
    try:
        return sessions_for_user(user).get(pk=int(pk))
    except (LiveSession.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such session.") from exc


def station_roles_for_user(user: User) -> dict[int, str]:
    """The user's role at each station they are crew of, by station id; empty for anonymous."""
    if not user.is_authenticated:
        return {}
    # The user model is auth.User; the stubs type request.user as AbstractBaseUser.
    rows = Membership.objects.filter(user=user).values_list("station_id", "role")  # type: ignore[misc]
    return dict(rows)


def station_by_id(*, station_id: int) -> Station:
    """The station with this id; NotFound if there is none."""
    try:
        return Station.objects.get(pk=station_id)
    except Station.DoesNotExist as exc:
        raise NotFound("No such station.") from exc


def guests_for_session(session: LiveSession) -> QuerySet[Guest]:
    """The session's guests, in their order."""
    return Guest.objects.filter(session=session)


def guest_not_in_session() -> ValidationFailed:
    """The refusal for a guest that is not one of the session's guests, however it was named."""
    return ValidationFailed("That guest is not in this session.", details={"guest": "unknown"})


def guest_in_session(*, session_id: int, guest_id: int) -> Guest:
    """The guest with this id if it is one of this session's guests; refused otherwise."""
    guest = Guest.objects.filter(session_id=session_id, pk=guest_id).first()
    if guest is None:
        raise guest_not_in_session()
    return guest


def guest_for_user(user: User, pk: int | str) -> Guest:
    try:
        # The user model is auth.User; the stubs type request.user as AbstractBaseUser.
        return Guest.objects.select_related("session").get(  # type: ignore[misc]
            pk=int(pk), session__station__memberships__user=user
        )
    except (Guest.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("No such guest.") from exc


def public_session(slug: str) -> LiveSession:
    """A session the audience may see: live or ended, never a draft."""
    try:
        return LiveSession.objects.select_related("station").get(
            slug=slug, status__in=[SessionStatus.LIVE, SessionStatus.ENDED]
        )
    except LiveSession.DoesNotExist as exc:
        raise NotFound("No such session.") from exc


def as_run_for_session(session: LiveSession) -> QuerySet[AsRunEntry]:
    return AsRunEntry.objects.filter(session=session).select_related(
        "question", "taken_by", "ended_by"
    )


def session_for_user_by_slug(user: User, slug: str) -> LiveSession:
    try:
        return sessions_for_user(user).get(slug=slug)
    except LiveSession.DoesNotExist as exc:
        raise NotFound("No such session.") from exc


# Compared with when there is no such session, so that the time taken says nothing either way.
_NO_KEY = b"-" * 32


def overlay_key_matches(given: str, expected: str | None) -> bool:
    """Constant-time comparison of an overlay key; False when there is no expected key."""
    same = hmac.compare_digest(
        given.encode("utf-8", "replace"), expected.encode() if expected else _NO_KEY
    )
    return same and expected is not None


def session_for_overlay_key(slug: str, key: str) -> LiveSession | None:
    """The session if ``key`` is its overlay key; None for an unknown session or a wrong key,
    which graphics clients are told alike."""
    session = LiveSession.objects.filter(slug=slug).first()
    if not overlay_key_matches(key, session.overlay_key if session else None):
        return None
    return session


def session_by_slug(*, slug: str) -> LiveSession | None:
    """The session with this slug, whatever its status; None when there is none."""
    return LiveSession.objects.filter(slug=slug).first()


def audience_session_by_slug(*, slug: str) -> LiveSession | None:
    """The live or ended session with this slug (never a draft); None when there is none."""
    return LiveSession.objects.filter(
        slug=slug, status__in=[SessionStatus.LIVE, SessionStatus.ENDED]
    ).first()


def overlay_key_for_session(*, session_id: int) -> str | None:
    """The session's current overlay key; None when the session no longer exists."""
    return LiveSession.objects.filter(pk=session_id).values_list("overlay_key", flat=True).first()
