"""A live show on PostgreSQL: the host takes questions on air while the audience sends and votes
and a moderator approves, all on one session at once. Every transaction locks in one order
(studio/events.py), so none of them deadlocks and none of them fails.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial

import pytest
from django.db import connection

from questions.identity import voter_id
from questions.models import Question
from questions.services import (
    AuthorInfo,
    question_approve,
    question_submit,
    session_take_on_air,
    vote_cast,
)
from studio.errors import DomainError
from studio.models import AsRunEntry, LiveSession
from tests.factories import LiveSessionFactory, QuestionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SECONDS = 4.0
SUBMITTERS = 4
VOTERS = 2


def deadlocks_so_far() -> int:
    """Deadlocks PostgreSQL detected in this database since it was created."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def wait_until_closed(backends: set[int], timeout: float = 10.0) -> None:
    """A backend reports its statistics (its deadlocks among them) when it exits: close the
    pooled connections and wait until these backends are gone."""
    connection.close()
    if connection.pool is not None:
        connection.close_pool()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [list(backends)]
            )
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.05)
    raise AssertionError("connections of the drill are still open")


def run_side_by_side(
    loops: dict[str, Callable[[int], None]],
) -> tuple[dict[str, list[BaseException]], set[int]]:
    """Each loop body runs again and again in its own thread for SECONDS; the unexpected
    exceptions (anything but a refusal the user would be told about) per loop, and the database
    backends the threads used."""
    stop_at = time.monotonic() + SECONDS
    failures: dict[str, list[BaseException]] = {name: [] for name in loops}
    counts: dict[str, int] = dict.fromkeys(loops, 0)
    barrier = threading.Barrier(len(loops), timeout=30)
    backends: set[int] = set()

    def worker(name: str, body: Callable[[int], None]) -> None:
        try:
            connection.ensure_connection()
            barrier.wait()
            n = 0
            while time.monotonic() < stop_at:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    backends.add(cursor.fetchone()[0])
                try:
                    body(n)
                except DomainError:
                    pass  # e.g. a vote for a question that just went on air: answered, not failed
                except Exception as exc:
                    failures[name].append(exc)
                n += 1
            counts[name] = n
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=item) for item in loops.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    assert all(counts.values()), counts
    return failures, backends


def test_takes_submissions_votes_and_approvals_at_once_never_deadlock(
    on_postgres, session_a, host_a, moderator_a
):
    to_take = [
        QuestionFactory(session=session_a, status="approved", text=f"Take me {n}?").pk
        for n in range(400)
    ]
    to_vote = [
        QuestionFactory(session=session_a, status="approved", text=f"Vote for me {n}?").pk
        for n in range(20)
    ]
    # The show is on: a question already went on air (the session's stream heads exist).
    session_take_on_air(
        actor=host_a, session=session_a, question=Question.objects.get(pk=to_take[0])
    )
    to_take = to_take[1:]
    deadlocks_before = deadlocks_so_far()
    takes: list[int] = []

    def take(n: int) -> None:
        session = LiveSession.objects.get(pk=session_a.pk)
        question = Question.objects.get(pk=to_take[n])
        taken = session_take_on_air(actor=host_a, session=session, question=question)
        assert taken.status == "on_air"
        takes.append(taken.pk)

    def submit_as(worker: int) -> Callable[[int], None]:
        def submit(n: int) -> None:
            question_submit(
                session=LiveSession.objects.get(pk=session_a.pk),
                text=f"Listener {worker} asks question number {n}: what about tomorrow?",
                source="web",
                author=AuthorInfo(platform="web", external_id=f"{worker:064x}"),
            )

        return submit

    def vote_as(worker: int) -> Callable[[int], None]:
        def vote(n: int) -> None:
            question = Question.objects.get(pk=to_vote[n % len(to_vote)])
            vote_cast(question=question, voter=voter_id(f"voter-{worker}-{n}"))

        return vote

    def approve(n: int) -> None:
        pending = Question.objects.filter(session=session_a, status="pending").last()
        if pending is None:
            time.sleep(0.01)
            return
        question_approve(actor=moderator_a, question=pending)

    loops: dict[str, Callable[[int], None]] = {"take": take, "approve": approve}
    loops |= {f"submit-{n}": submit_as(n) for n in range(SUBMITTERS)}
    loops |= {f"vote-{n}": vote_as(n) for n in range(VOTERS)}
    failures, backends = run_side_by_side(loops)

    assert {name: errors for name, errors in failures.items() if errors} == {}
    wait_until_closed(backends)
    assert deadlocks_so_far() == deadlocks_before
    assert len(takes) >= 2
    # The last take is what is on air, and the as-run log kept up with every one.
    assert list(
        Question.objects.filter(session=session_a, status="on_air").values_list("pk", flat=True)
    ) == [takes[-1]]
    as_run = AsRunEntry.objects.filter(session=session_a).order_by("taken_at", "pk")
    assert list(as_run.values_list("question_id", flat=True))[1:] == takes
    assert as_run.filter(outcome="replaced").count() == len(takes)


def run_at_once(jobs: list[Callable[[], object]], backends: set[int]) -> list[BaseException]:
    """Run each job in its own thread, all released together; the exceptions they raised."""
    barrier = threading.Barrier(len(jobs), timeout=30)
    failures: list[BaseException] = []

    def worker(job: Callable[[], object]) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backends.add(cursor.fetchone()[0])
            barrier.wait()
            job()
        except Exception as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return failures


def test_the_first_events_of_a_new_session_written_at_once_never_deadlock(
    on_postgres, station_a, host_a, moderator_a
):
    deadlocks_before = deadlocks_so_far()
    backends: set[int] = set()
    for round_ in range(6):
        # A session that has sent no event yet: its stream heads do not exist.
        session = LiveSessionFactory(station=station_a, slug=f"fresh-{round_}", status="live")
        pending = [QuestionFactory(session=session, status="pending") for _ in range(3)]
        approved = QuestionFactory(session=session, status="approved")
        jobs: list[Callable[[], object]] = [
            *(partial(question_approve, actor=moderator_a, question=q) for q in pending),
            partial(session_take_on_air, actor=host_a, session=session, question=approved),
            # A vote writes no event (its counts go out as volatile frames), but it locks the
            # question the take locks too.
            partial(vote_cast, question=approved, voter=voter_id(f"fresh-voter-{round_}")),
        ]

        assert run_at_once(jobs, backends) == []
        assert Question.objects.filter(session=session, status="approved").count() == 3
        assert Question.objects.get(pk=approved.pk).status == "on_air"
        assert Question.objects.get(pk=approved.pk).vote_count == 1

    wait_until_closed(backends)
    assert deadlocks_so_far() == deadlocks_before
