"""Races that only a real database server can show: many requests for the same thing at once.

Each thread holds its own connection and waits at a barrier, so the requests reach PostgreSQL
together; what must hold afterwards is what the constraints and row locks promise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from questions.identity import voter_id
from questions.models import Author, ModerationLogEntry, Question, Vote
from questions.services import AuthorInfo, question_submit, session_take_on_air, vote_cast
from studio.errors import Conflict
from studio.models import AsRunEntry, LiveSession
from tests.factories import QuestionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 12


def run_at_once(jobs: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Run each job in its own thread, all released together; ("ok", value) or ("error", exc)."""
    barrier = threading.Barrier(len(jobs), timeout=30)
    results: list[tuple[str, Any] | None] = [None] * len(jobs)

    def worker(index: int, job: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # connect before the barrier, not inside the race
            barrier.wait()
            results[index] = ("ok", job())
        except Exception as exc:
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


def errors_of(results):
    return [value for kind, value in results if kind == "error"]


def test_the_same_vote_sent_many_times_at_once_is_counted_once(on_postgres, approved_question):
    voter = voter_id("one-listener-token")

    def cast():
        question = Question.objects.select_related("session").get(pk=approved_question.pk)
        return vote_cast(question=question, voter=voter)

    results = run_at_once([cast] * THREADS)

    assert [value for kind, value in results if kind == "ok"] == [1]
    errors = errors_of(results)
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, Conflict) and e.code == "already_voted" for e in errors), errors
    assert Vote.objects.filter(question=approved_question).count() == 1
    assert Question.objects.get(pk=approved_question.pk).vote_count == 1


def test_votes_from_many_voters_at_once_are_all_counted(on_postgres, approved_question):
    def cast_as(n):
        def cast():
            question = Question.objects.select_related("session").get(pk=approved_question.pk)
            return vote_cast(question=question, voter=voter_id(f"listener-{n}-token"))

        return cast

    results = run_at_once([cast_as(n) for n in range(THREADS)])

    assert errors_of(results) == []
    assert Vote.objects.filter(question=approved_question).count() == THREADS
    assert Question.objects.get(pk=approved_question.pk).vote_count == THREADS


def test_the_same_message_ingested_many_times_at_once_makes_one_question(on_postgres, session_a):
    author = AuthorInfo(platform="sms", external_id="f" * 64, display_name="Caller")

    def submit():
        session = LiveSession.objects.get(pk=session_a.pk)
        return question_submit(
            session=session,
            text="Will the bridge reopen?",
            source="sms",
            external_id="SM-0001",
            author=author,
        )

    results = run_at_once([submit] * THREADS)

    assert errors_of(results) == []
    question = Question.objects.get(session=session_a)
    submitted = [value for _, value in results]
    assert {r.question.pk for r in submitted} == {question.pk}
    assert sum(r.created for r in submitted) == 1
    assert Author.objects.filter(platform="sms").count() == 1
    assert ModerationLogEntry.objects.filter(action="submit").count() == 1


def test_many_takes_at_once_leave_exactly_one_question_on_air(on_postgres, session_a, host_a):
    questions = [
        QuestionFactory(session=session_a, status="approved", text=f"Question {n}?")
        for n in range(THREADS)
    ]

    def take_job(question_pk):
        def take():
            question = Question.objects.get(pk=question_pk)
            session = LiveSession.objects.get(pk=session_a.pk)
            return session_take_on_air(actor=host_a, session=session, question=question)

        return take

    results = run_at_once([take_job(q.pk) for q in questions])

    assert errors_of(results) == []
    on_air = Question.objects.filter(session=session_a, status="on_air")
    assert on_air.count() == 1
    open_entries = AsRunEntry.objects.filter(session=session_a, ended_at__isnull=True)
    assert open_entries.count() == 1
    assert open_entries.get().question_id == on_air.get().pk
    # Every take happened, one after another: each earlier one was replaced by the next.
    assert AsRunEntry.objects.filter(session=session_a).count() == THREADS
    assert AsRunEntry.objects.filter(session=session_a, outcome="replaced").count() == THREADS - 1
    assert Question.objects.filter(session=session_a, status="answered").count() == THREADS - 1
