"""Domain errors raised by services. Every entry point turns them into one error shape."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the domain refuses, with a stable machine code and a human message."""

    status_code = 400
    code = "invalid"

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class ValidationFailed(DomainError):
    status_code = 400
    code = "invalid"


class NotAllowed(DomainError):
    """The actor is known but their role does not allow this."""

    status_code = 403
    code = "permission_denied"


class NotFound(DomainError):
    """The object does not exist, or belongs to a station the actor cannot see."""

    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state (an illegal transition, a duplicate)."""

    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"
