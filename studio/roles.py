"""What each crew role may do. Services call ``require`` before every write."""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from studio.errors import NotAllowed, NotFound
from studio.models import Membership, Role, Station


class Capability(StrEnum):
    VIEW = "view"  # read sessions, questions, logs
    MODERATE = "moderate"  # approve, reject, edit, star, aim, archive, add questions
    BAN = "ban"  # ban and unban authors
    ON_AIR = "on_air"  # take on air, clear, mark answered
    MANAGE = "manage"  # create and edit sessions and guests, rotate the overlay key


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.PRODUCER: frozenset(Capability),
    Role.MODERATOR: frozenset({Capability.VIEW, Capability.MODERATE, Capability.BAN}),
    Role.HOST: frozenset({Capability.VIEW, Capability.ON_AIR}),
    Role.VIEWER: frozenset({Capability.VIEW}),
}

_CAPABILITY_WORDS = {
    Capability.VIEW: "see this station's sessions",
    Capability.MODERATE: "moderate questions",
    Capability.BAN: "ban authors",
    Capability.ON_AIR: "control what is on air",
    Capability.MANAGE: "manage sessions and guests",
}

User = AbstractBaseUser | AnonymousUser


def station_role(user: User | None, station: Station | int) -> str | None:
    """The user's role at the station, or None when they are not its crew."""
    if user is None or not user.is_authenticated:
        return None
    station_id = station if isinstance(station, int) else station.pk
    return (
        # The user model is auth.User; the stubs type request.user as AbstractBaseUser.
        Membership.objects.filter(user=user, station_id=station_id)  # type: ignore[misc]
        .values_list("role", flat=True)
        .first()
    )


def can(user: User | None, station: Station | int, capability: Capability) -> bool:
    role = station_role(user, station)
    return role is not None and capability in ROLE_CAPABILITIES[role]


def require(user: User | None, station: Station | int, capability: Capability) -> str:
    """Raise unless the user may do this at the station; returns their role.

    Someone outside the station's crew gets NotFound, so that another station's sessions
    are not even confirmed to exist.
    """
    role = station_role(user, station)
    if role is None:
        raise NotFound("No such session.")
    if capability not in ROLE_CAPABILITIES[role]:
        raise NotAllowed(
            f"Your role ({role}) does not allow you to {_CAPABILITY_WORDS[capability]}.",
            details={"role": role, "needs": capability.value},
        )
    return role


def require_any(user: User | None, station: Station | int, *capabilities: Capability) -> str:
    """Like ``require``, for an action that any one of several capabilities allows."""
    role = require(user, station, Capability.VIEW)
    if not any(cap in ROLE_CAPABILITIES[role] for cap in capabilities):
        raise NotAllowed(
            f"Your role ({role}) does not allow you to "
            f"{' or '.join(_CAPABILITY_WORDS[c] for c in capabilities)}.",
            details={"role": role, "needs": [c.value for c in capabilities]},
        )
    return role
