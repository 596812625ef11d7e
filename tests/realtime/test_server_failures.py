"""Whatever fails on the server, a socket message gets an answer and the socket stays open.

A deadlock PostgreSQL broke by rolling a transaction back is run again, unseen; the database
unreachable answers ``unavailable``; anything else unexpected answers ``internal``.
"""

from __future__ import annotations

import psycopg.errors
import pytest
from django.db import OperationalError
from django.utils import timezone

from live import audience_socket, consumers, snapshots
from questions import services
from questions.models import ModerationLogEntry, Question
from studio import events
from studio.models import AsRunEntry
from tests.factories import QuestionFactory
from tests.realtime.sockets import run

pytestmark = pytest.mark.django_db(transaction=True)


def deadlock() -> OperationalError:
    """What Django raises when PostgreSQL chose this transaction as a deadlock's victim."""
    error = OperationalError("deadlock detected")
    error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    return error


def database_down() -> OperationalError:
    return OperationalError("connection failed: Connection refused")


def fail_first(monkeypatch, target, name: str, error: Exception) -> list[int]:
    """``target.name`` raises ``error`` on its first call only; returns the list of calls."""
    original = getattr(target, name)
    calls: list[int] = []

    def replacement(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise error
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, replacement)
    return calls


@pytest.fixture
async def ready(console, producer_a, session_a):
    socket = await console(producer_a)
    await socket.snapshot()
    return socket


def approved(session) -> Question:
    return QuestionFactory(session=session, status="approved", approved_at=timezone.now())


async def test_a_take_whose_transaction_deadlocks_once_is_run_again_and_acknowledged(
    ready, session_a, monkeypatch
):
    question = await run(approved)(session_a)
    # The on-air event is the last write of the take: the whole transaction is rolled back.
    calls = fail_first(monkeypatch, events, "_next_seqs", deadlock())

    await ready.command("take", {"question": question.pk}, id="t1")
    frames = await ready.until("ack")

    assert frames[-1]["data"]["id"] == "t1"
    assert frames[-1]["data"]["question"]["status"] == "on_air"
    assert not [f for f in frames if f["type"] == "error"]
    assert len(calls) > 1
    # The rolled-back attempt left nothing behind: one take in the as-run and moderation logs.
    assert await run(AsRunEntry.objects.filter(question=question).count)() == 1
    assert (
        await run(ModerationLogEntry.objects.filter(question=question, action="take").count)() == 1
    )


async def test_a_command_that_fails_unexpectedly_gets_an_internal_error_with_its_id(
    ready, session_a, monkeypatch
):
    question = await run(approved)(session_a)
    fail_first(monkeypatch, services, "question_star", RuntimeError("a bug"))

    await ready.command("star", {"question": question.pk}, id="s1")
    error = await ready.error()

    assert (error["id"], error["code"]) == ("s1", "internal")
    assert "a bug" not in error["message"]  # the server's insides stay on the server
    # The socket is still open and serves the next command.
    await ready.command("star", {"question": question.pk}, id="s2")
    frames = await ready.until("ack")
    assert frames[-1]["data"]["id"] == "s2"
    assert frames[-1]["data"]["question"]["starred"] is True


async def test_a_command_while_the_database_is_unreachable_gets_unavailable_with_its_id(
    ready, session_a, monkeypatch
):
    question = await run(approved)(session_a)
    fail_first(monkeypatch, consumers, "run_command", database_down())

    await ready.command("take", {"question": question.pk}, id="t1")
    error = await ready.error()

    assert (error["id"], error["code"]) == ("t1", "unavailable")
    assert await run(Question.objects.get)(pk=question.pk) == question
    # The database is back: the same command, sent again, is done.
    await ready.command("take", {"question": question.pk}, id="t2")
    frames = await ready.until("ack")
    assert frames[-1]["data"]["id"] == "t2"
    assert frames[-1]["data"]["question"]["status"] == "on_air"


async def test_a_hello_while_the_database_is_unreachable_gets_unavailable_then_a_snapshot(
    console, producer_a, session_a, monkeypatch
):
    socket = await console(producer_a)
    fail_first(monkeypatch, snapshots, "console_snapshot", database_down())

    await socket.send({"type": "hello", "id": "h1", "data": {"seq": None}})
    error = await socket.error()

    assert (error["id"], error["code"]) == ("h1", "unavailable")
    assert await socket.is_usable()


async def test_a_vote_on_the_audience_socket_that_fails_unexpectedly_gets_an_answer(
    audience, session_a, monkeypatch
):
    question = await run(approved)(session_a)
    socket = await audience(voter_token="t" * 32)
    await socket.snapshot()
    fail_first(monkeypatch, audience_socket.vote_writer, "submit", RuntimeError("a bug"))

    await socket.command("vote", {"question": question.pk}, id="v1")
    error = await socket.error()

    assert (error["id"], error["code"]) == ("v1", "internal")
    await socket.command("vote", {"question": question.pk}, id="v2")
    frames = await socket.until("ack")
    assert frames[-1]["data"]["votes"] == 1
