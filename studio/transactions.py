"""Running a transaction again when PostgreSQL rolled it back to break a deadlock or a
serialization failure. Used by the services of every app."""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# SQLSTATEs of a transaction PostgreSQL rolled back so that another could go on: a deadlock and a
# serialization failure. Nothing of it was written, so running it again is safe.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
RETRY_ATTEMPTS = 5
RETRY_BACKOFF_SECONDS = 0.01  # doubled at each attempt, with jitter: 10, 20, 40, 80 ms at most


def is_retryable(exc: BaseException) -> bool:
    """A deadlock or a serialization failure (Django wraps psycopg's error as ``__cause__``)."""
    return isinstance(exc, DatabaseError) and (
        getattr(exc.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES
    )


def retry_on_deadlock(service: Callable[P, R]) -> Callable[P, R]:
    """Run the service again when its transaction was rolled back for a deadlock or a
    serialization failure, a few times, after a short random pause.

    The lock order (studio/events.py) makes these rare; this keeps the ones that remain (a
    session deleted mid-show, a lock taken by a process outside the studio) from reaching a user
    as a failure. Only the outermost transaction is run again: inside an enclosing
    ``transaction.atomic`` the error goes up to whoever owns that transaction.
    """

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if connection.in_atomic_block:
            return service(*args, **kwargs)
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                return service(*args, **kwargs)
            except DatabaseError as exc:
                if attempt == RETRY_ATTEMPTS or not is_retryable(exc):
                    raise
                logger.warning(
                    "%s: transaction rolled back (%s), running it again (attempt %d)",
                    service.__name__,
                    exc.__cause__.sqlstate,  # type: ignore[union-attr]
                    attempt + 1,
                )
                time.sleep(random.uniform(0, RETRY_BACKOFF_SECONDS * 2**attempt))  # noqa: S311
        raise AssertionError("unreachable")

    return run
