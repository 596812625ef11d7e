"""A transaction PostgreSQL rolled back to break a deadlock (or a serialization failure) is run
again by the service, a bounded number of times, and only as the outermost transaction."""

from __future__ import annotations

import psycopg.errors
import pytest
from django.db import IntegrityError, OperationalError, transaction

from studio import transactions
from studio.transactions import RETRY_ATTEMPTS, retry_on_deadlock

pytestmark = pytest.mark.django_db(transaction=True)


def rolled_back(cause: Exception) -> OperationalError:
    error = OperationalError(str(cause))
    error.__cause__ = cause
    return error


@pytest.fixture(autouse=True)
def _no_pause(monkeypatch):
    monkeypatch.setattr(transactions.time, "sleep", lambda seconds: None)


def failing(times: int, error: Exception):
    """A service whose transaction fails ``times`` times with ``error``, then succeeds."""
    calls: list[int] = []

    @retry_on_deadlock
    def service(*, value: str) -> str:
        calls.append(1)
        with transaction.atomic():
            if len(calls) <= times:
                raise error
            return value

    return service, calls


@pytest.mark.parametrize(
    "cause",
    [
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.errors.SerializationFailure("could not serialize access"),
    ],
)
def test_a_transaction_rolled_back_for_a_deadlock_is_run_again_and_succeeds(cause):
    service, calls = failing(2, rolled_back(cause))

    assert service(value="done") == "done"
    assert len(calls) == 3


def test_it_gives_up_after_a_few_attempts_and_raises_the_error():
    error = rolled_back(psycopg.errors.DeadlockDetected("deadlock detected"))
    service, calls = failing(RETRY_ATTEMPTS + 10, error)

    with pytest.raises(OperationalError) as raised:
        service(value="never")
    assert raised.value is error
    assert len(calls) == RETRY_ATTEMPTS


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("connection refused"),  # the database down: no use trying at once
        rolled_back(psycopg.errors.LockNotAvailable("lock timeout")),
        IntegrityError("duplicate key"),
    ],
)
def test_other_database_errors_are_raised_at_once(error):
    service, calls = failing(1, error)

    with pytest.raises(type(error)):
        service(value="never")
    assert len(calls) == 1


def test_inside_an_enclosing_transaction_the_error_goes_to_its_owner():
    service, calls = failing(1, rolled_back(psycopg.errors.DeadlockDetected("deadlock")))

    with pytest.raises(OperationalError), transaction.atomic():
        service(value="never")
    assert len(calls) == 1
