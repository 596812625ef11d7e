"""Redis goes away during a show: the studio keeps taking questions and votes, keeps its sockets,
accepts new ones, and everything converges once Redis is back.

The studio runs under Daphne on a Redis server of this test's own (started, stopped and started
again here), on the suite's database (PostgreSQL when DATABASE_URL says so, SQLite otherwise).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import LiveStudio
from tests.multiprocess.conftest import NEW_SESSION, SETUP, TIMEOUT, Session, Socket, audience

REDIS_SERVER = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A Redis server of this test's own, on a free port, that keeps nothing on disk."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> Iterator[tuple[LiveStudio, PrivateRedis, str]]:
    if REDIS_SERVER is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("redis-server is needed for the Redis outage drill", pytrace=False)
        pytest.skip("redis-server is not installed")
    folder = tmp_path_factory.mktemp("redis-outage")
    redis = PrivateRedis(folder)
    redis.start()
    server = LiveStudio(
        folder,
        database_prefix="sr_redis_outage",
        env={
            "REDIS_URL": redis.url,
            # Every request comes from 127.0.0.1; the throttles are not what this drill is about.
            "THROTTLE_VOTE_IP": "100000/min",
            "THROTTLE_SUBMIT_IP": "100000/min",
        },
        name="studio",
    )
    try:
        server.manage("migrate", "--noinput")
        crew_cookie = server.shell(SETUP).strip().splitlines()[-1]
        server.start()
        yield server, redis, crew_cookie
    finally:
        server.stop()
        redis.stop()
        server.drop_database()


def _request(server: LiveStudio, method: str, path: str, body: dict | None = None, **headers):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        server.url + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **headers},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _ask(server: LiveStudio, session: Session, text: str) -> tuple[int, dict]:
    return _request(
        server,
        "POST",
        f"/api/public/sessions/{session.slug}/questions/",
        {"text": text},
        **{"X-Voter-Token": secrets.token_urlsafe(24)},
    )


def _vote(server: LiveStudio, session: Session, question: int) -> tuple[int, dict]:
    return _request(
        server,
        "POST",
        f"/api/public/sessions/{session.slug}/questions/{question}/vote/",
        **{"X-Voter-Token": secrets.token_urlsafe(24)},
    )


def _stored(server: LiveStudio, code: str) -> str:
    return server.shell(code).strip().splitlines()[-1]


def _question_event(question: int):
    return lambda f: f["type"] == "question" and f["data"]["question"]["id"] == question


def test_with_redis_down_questions_votes_and_sockets_still_work_and_converge(studio):
    server, redis, crew_cookie = studio
    created = json.loads(
        _stored(server, NEW_SESSION.format(slug="redis-outage", approved=1, pending=2))
    )
    session = Session("redis-outage", created["id"], created["approved"], created["pending"])
    console_path = f"/ws/console/{session.slug}/"
    before = Socket(server, console_path, cookies={"sessionid": crew_cookie}, origin=True)
    before.hello()
    listener = audience(server, session)
    listener.hello()

    redis.stop()

    # Questions and votes over HTTP: stored and answered, never a 5xx.
    status, asked = _ask(server, session, "Will the tour come to Lyon next spring?")
    assert status == 201, asked
    status, voted = _vote(server, session, session.approved[0])
    assert (status, voted.get("vote_count"), voted.get("voted")) == (200, 1, True), voted
    # A socket opened during the outage is served, and so are console commands.
    during = Socket(server, console_path, cookies={"sessionid": crew_cookie}, origin=True)
    snapshot = during.hello()
    assert snapshot["type"] == "snapshot"
    assert asked["id"] in [q["id"] for q in snapshot["data"]["questions"]]
    during.send("approve", {"question": session.pending[0]}, id="approve-during")
    ack = during.until(lambda f: f["seq"] is None and f["type"] in ("ack", "error"))[-1]
    assert ack["type"] == "ack" and ack["data"]["id"] == "approve-during", ack
    # With no Redis to carry it, the approval still reaches every console, from the event log.
    for console in (before, during):
        shown = console.until(_question_event(session.pending[0]))[-1]["data"]["question"]
        assert shown["status"] == "approved"

    redis.start()

    # Back to normal: a change reaches every socket, old and new, through Redis again.
    during.send("approve", {"question": session.pending[1]}, id="approve-after")
    for console in (before, during):
        shown = console.until(_question_event(session.pending[1]))[-1]["data"]["question"]
        assert shown["status"] == "approved"
    shown = listener.until(_question_event(session.pending[1]))[-1]["data"]["question"]
    assert shown["id"] == session.pending[1]
    # Nothing accepted during the outage was lost.
    counts = _stored(
        server,
        "from questions.models import Question, Vote; "
        f"print(Question.objects.filter(session_id={session.id}).count(), "
        f"Vote.objects.filter(question_id={session.approved[0]}).count())",
    )
    assert counts == "4 1"
    assert "Internal Server Error" not in server.log()
    for sock in (before, during, listener):
        sock.close()
