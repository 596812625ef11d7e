"""The host takes questions on air from the console while the audience sends questions and votes
through both server processes: every take is acknowledged, every question and vote accepted.

Takes and submissions lock the same session's rows and event streams; they lock them in one
order (studio/events.py), so PostgreSQL never has a deadlock to break.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.live_server import LiveStudio
from tests.multiprocess.conftest import TIMEOUT, Session, post_vote

pytestmark = pytest.mark.postgres

SECONDS = 8.0
TAKE_EVERY = 0.3
SUBMITTERS = 8
VOTERS = 2


def ask(server: LiveStudio, session: Session, text: str) -> int:
    request = urllib.request.Request(
        f"{server.url}/api/public/sessions/{session.slug}/questions/",
        data=json.dumps({"text": text}).encode(),
        method="POST",
        # A listener of their own for each question: the per-listener limit is not the subject.
        headers={"Content-Type": "application/json", "X-Voter-Token": secrets.token_urlsafe(24)},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_every_take_is_acknowledged_while_questions_and_votes_pour_in(cluster):
    session = cluster.new_session("takes-under-load", approved=int(SECONDS / TAKE_EVERY) + 20)
    to_take, to_vote = session.approved[:-10], session.approved[-10:]
    servers = [cluster.a, cluster.b]
    # A server's first question loads the automatic checks' models (seconds): before the drill.
    for server in servers:
        assert ask(server, session, "Is everyone ready for the show tonight?") == 201
    logs_from = {server.name: len(server.log_path.read_bytes()) for server in servers}
    console = cluster.console(cluster.a, session)
    console.hello()

    stop = threading.Event()
    statuses: list[tuple[str, int]] = []

    def submit(worker: int) -> None:
        n = 0
        while not stop.is_set():
            server = servers[(worker + n) % 2]
            text = f"Listener {worker} wonders, for the {n}th time, what comes next?"
            statuses.append(("ask", ask(server, session, text)))
            n += 1

    def vote(worker: int) -> None:
        n = 0
        while not stop.is_set():
            question = to_vote[n % len(to_vote)]
            status, _ = post_vote(servers[n % 2], session, question, secrets.token_urlsafe(24))
            statuses.append(("vote", status))
            n += 1

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(SUBMITTERS)]
    threads += [threading.Thread(target=vote, args=(n,)) for n in range(VOTERS)]
    for thread in threads:
        thread.start()
    answers: dict[str, dict] = {}
    try:
        started = time.monotonic()
        for n, question in enumerate(to_take):
            if time.monotonic() - started > SECONDS:
                break
            command_id = f"take-{n}"
            console.send("take", {"question": question}, id=command_id)
            frames = console.until(
                lambda f, i=command_id: f["seq"] is None and f["data"].get("id") == i
            )
            answers[command_id] = frames[-1]
            time.sleep(TAKE_EVERY)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=2 * TIMEOUT)

    not_acked = {i: f["data"] for i, f in answers.items() if f["type"] != "ack"}
    assert not_acked == {}
    assert len(answers) >= 5
    assert {(kind, status) for kind, status in statuses} <= {("ask", 201), ("vote", 200)}
    assert sum(kind == "ask" for kind, _ in statuses) >= SUBMITTERS
    # PostgreSQL broke no deadlock, not even one that a retry would have hidden.
    for server in servers:
        written = server.log_path.read_bytes()[logs_from[server.name] :].decode(errors="replace")
        assert "deadlock" not in written.lower(), written[-2000:]
        assert "Internal Server Error" not in written
    # The last take is on air.
    on_air = cluster.sql(
        "SELECT id FROM questions_question WHERE session_id = %s AND status = 'on_air'",
        (session.id,),
    )
    assert on_air == [(to_take[len(answers) - 1],)]
    console.close()
