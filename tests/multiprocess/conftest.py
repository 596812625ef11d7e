"""Two studio server processes (A and B) on one PostgreSQL database and one Redis.

This is the production shape: several Daphne processes behind a load balancer with no sticky
sessions. These tests run only when the suite runs on PostgreSQL and Redis (``DATABASE_URL`` and
``REDIS_URL``); otherwise they skip, unless ``REQUIRE_POSTGRES=1`` (set by CI), which turns the
skip into a failure. The servers use a database of their own and Redis database 14.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.live_server import LiveStudio

REDIS_DB = 14
# Waits are generous: two servers, Redis and PostgreSQL share a small, busy machine.
TIMEOUT = 20.0
# Each socket may send 20 frames a second: the drills stay under it, so none is refused.
FRAMES_PER_SECOND = 15
# Every test client comes from 127.0.0.1, so the per-address vote throttle would stop the
# drills long before the servers do; the throttles are not what these tests are about.
SERVER_ENV = {
    "THROTTLE_VOTE_IP": "100000/min",
    "THROTTLE_VOTE_VOTER": "1000/min",
    "THROTTLE_SUBMIT_IP": "100000/min",
}

SETUP = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from studio.models import Membership, Role, Station

station = Station.objects.create(name="Radio Multi", slug="radio-multi")
user = get_user_model().objects.create_user("producer")
Membership.objects.create(station=station, user=user, role=Role.PRODUCER)
login = SessionStore()
login[SESSION_KEY] = str(user.pk)
login[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
login[HASH_SESSION_KEY] = user.get_session_auth_hash()
login.create()
print(login.session_key)
"""

NEW_SESSION = """
import json
from django.utils import timezone
from questions.models import Question
from studio.models import LiveSession, Station

now = timezone.now()
session = LiveSession.objects.create(
    station=Station.objects.get(slug="radio-multi"),
    title={slug!r},
    slug={slug!r},
    status="live",
    started_at=now,
)

def make(count, status):
    questions = [
        Question(
            session=session,
            text=f"{{status.title()}} question number {{n}}, from the audience?",
            source="web",
            status=status,
            approved_at=now if status == "approved" else None,
        )
        for n in range(count)
    ]
    return [q.pk for q in Question.objects.bulk_create(questions)]

approved = make({approved}, "approved")
pending = make({pending}, "pending")
print(json.dumps({{"id": session.pk, "approved": approved, "pending": pending}}))
"""


def _require_postgres_and_redis() -> None:
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")) and os.environ.get("REDIS_URL"):
        return
    message = (
        "the multi-process tests need PostgreSQL and Redis shared by two server processes "
        "(set DATABASE_URL=postgres://… and REDIS_URL)"
    )
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(message + " (REQUIRE_POSTGRES=1)", pytrace=False)
    pytest.skip(message)


@dataclass
class Session:
    slug: str
    id: int
    approved: list[int]
    pending: list[int]


@dataclass
class Cluster:
    """Servers A and B, the crew login they both accept, and the database they share."""

    a: LiveStudio
    b: LiveStudio
    crew_cookie: str

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.a.env["DATABASE_URL"], autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def new_session(self, slug: str, *, approved: int = 0, pending: int = 0) -> Session:
        """A live session of the crew's station with that many approved and pending questions."""
        code = NEW_SESSION.format(slug=slug, approved=approved, pending=pending)
        created = json.loads(self.a.shell(code).strip().splitlines()[-1])
        return Session(slug, created["id"], created["approved"], created["pending"])

    def voter_ids(self, tokens: list[str]) -> dict[str, str]:
        """The voter id the servers store for each voter token (keyed by their secret key)."""
        from django.test import override_settings

        from questions.voters import voter_from_token

        secret = self.a.env.get("SECRET_KEY") or (self.a.data_dir / "secret_key").read_text()
        secret = secret.strip()
        with override_settings(SECRET_KEY=secret):
            return {token: voter_from_token(token) for token in tokens}

    def stream_head(self, session: Session, stream: str) -> int:
        rows = self.sql(
            "SELECT last_seq FROM studio_eventstream WHERE session_id = %s AND stream = %s",
            (session.id, stream),
        )
        return rows[0][0] if rows else 0

    def console(self, server: LiveStudio, session: Session) -> Socket:
        return Socket(
            server,
            f"/ws/console/{session.slug}/",
            cookies={"sessionid": self.crew_cookie},
            origin=True,
        )


@pytest.fixture(scope="package")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    _require_postgres_and_redis()
    import redis

    redis_url = urlsplit(os.environ["REDIS_URL"])._replace(path=f"/{REDIS_DB}").geturl()
    own_redis = redis.Redis.from_url(redis_url)
    own_redis.flushdb()
    a = LiveStudio(
        tmp_path_factory.mktemp("multiprocess"),
        redis_db=REDIS_DB,
        database_prefix="sr_multiprocess",
        env=SERVER_ENV,
        name="server-a",
    )
    b = a.sibling("server-b")
    try:
        a.manage("migrate", "--noinput")
        crew_cookie = a.shell(SETUP).strip().splitlines()[-1]
        a.launch()
        b.launch()
        a.wait_until_ready()
        b.wait_until_ready()
        yield Cluster(a, b, crew_cookie)
    finally:
        a.stop()
        b.stop()
        a.drop_database()
        own_redis.flushdb()


# --- clients ------------------------------------------------------------------------------------


class Socket:
    """One websocket client speaking docs/realtime.md to one server process."""

    def __init__(
        self,
        server: LiveStudio,
        path: str,
        *,
        cookies: dict[str, str] | None = None,
        origin: bool = False,
    ) -> None:
        headers = {}
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        if origin:
            headers["Origin"] = server.url
        self.ws: ClientConnection = connect(
            server.ws_url + path,
            additional_headers=headers,
            open_timeout=TIMEOUT,
            close_timeout=2,
            proxy=None,
            max_queue=None,
            legacy=True,  # connected on return: these tests hold many sockets side by side
        )
        self.closed = False  # True once every frame the server sent has been read

    def send(self, type_: str, data: dict[str, Any] | None = None, id: str | None = None) -> bool:
        """Send a frame; False when the connection is gone."""
        frame: dict[str, Any] = {"type": type_, "data": data or {}}
        if id is not None:
            frame["id"] = id
        try:
            self.ws.send(json.dumps(frame))
        except (ConnectionClosed, OSError):
            return False
        return True

    def frame(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        frame = json.loads(self.ws.recv(timeout=timeout))
        assert set(frame) == {"seq", "type", "data"}, frame
        return frame

    def pending_frames(self) -> list[dict[str, Any]]:
        """The frames already received, without waiting; after the server is gone, the last
        ones it sent before it went."""
        frames = []
        while True:
            try:
                frames.append(json.loads(self.ws.recv(timeout=0)))
            except TimeoutError:
                return frames
            except ConnectionClosed:
                self.closed = True
                return frames

    def until(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = TIMEOUT
    ) -> list[dict[str, Any]]:
        """Frames up to and including the first that matches."""
        deadline = time.monotonic() + timeout
        frames: list[dict[str, Any]] = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching frame within {timeout} s; got {frames[-5:]}")
            try:
                frames.append(self.frame(remaining))
            except TimeoutError:
                continue
            if predicate(frames[-1]):
                return frames

    def hello(self) -> dict[str, Any]:
        """Hello from scratch; returns the snapshot (the heartbeat after it is checked)."""
        self.send("hello", {"seq": None})
        snapshot = self.frame()
        assert snapshot["type"] == "snapshot", snapshot
        heartbeat = self.frame()
        assert heartbeat["type"] == "heartbeat" and heartbeat["seq"] == snapshot["seq"]
        return snapshot

    def events_until(self, head: int, timeout: float = TIMEOUT) -> list[tuple[int, str, Any]]:
        """Every stream event (not heartbeats, acks or errors) up to ``head``, as
        (seq, type, data), in the order received."""
        received: list[tuple[int, str, Any]] = []
        deadline = time.monotonic() + timeout
        while not received or received[-1][0] < head:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                last = received[-1][0] if received else None
                raise AssertionError(f"stream stopped at seq {last}, head is {head}")
            try:
                frame = self.frame(remaining)
            except TimeoutError:
                continue
            if frame["seq"] is not None and frame["type"] != "heartbeat":
                received.append((frame["seq"], frame["type"], frame["data"]))
        return received

    def close(self) -> None:
        self.ws.close()
        self.closed = True


def audience(server: LiveStudio, session: Session, voter_token: str | None = None) -> Socket:
    cookies = {"sr_voter": voter_token} if voter_token else None
    return Socket(server, f"/ws/audience/{session.slug}/", cookies=cookies)


def post_vote(server: LiveStudio, session: Session, question: int, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{server.url}/api/public/sessions/{session.slug}/questions/{question}/vote/",
        method="POST",
        headers={"X-Voter-Token": token},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def replies(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Acks and errors (the answers to a client's own frames), each with its ``type``."""
    return [f["data"] | {"type": f["type"]} for f in frames if f["type"] in ("ack", "error")]


def vote_in_rounds(
    sockets: list[Socket],
    plans: list[list[int]],
    *,
    crash: Callable[[], None] | None = None,
    crash_after_acks: int = 0,
) -> list[list[dict[str, Any]]]:
    """Socket n votes for the questions of ``plans[n]`` in order, at FRAMES_PER_SECOND, all
    sockets side by side, without waiting for answers; returns the replies received meanwhile.

    With ``crash``, it is called half-way through a round once ``crash_after_acks`` votes are
    acknowledged: other votes are then in flight, and some in writing.
    """
    received: list[list[dict[str, Any]]] = [[] for _ in sockets]
    started = time.monotonic()
    for step in range(max(len(plan) for plan in plans)):
        for n, socket in enumerate(sockets):
            if step < len(plans[n]):
                socket.send("vote", {"question": plans[n][step]}, id=str(plans[n][step]))
            halfway = crash is not None and n == len(sockets) // 2
            if halfway and _acks(received) >= crash_after_acks:
                crash()
                crash = None
        for n, socket in enumerate(sockets):
            received[n] += replies(socket.pending_frames())
        if all(socket.closed for socket in sockets):
            break
        time.sleep(max(0.0, started + (step + 1) / FRAMES_PER_SECOND - time.monotonic()))
    return received


def _acks(received: list[list[dict[str, Any]]]) -> int:
    return sum(r["type"] == "ack" for rs in received for r in rs)


def collect_replies(
    sockets: list[Socket], received: list[list[dict[str, Any]]], expected: int | None
) -> None:
    """Read on until each socket has ``expected`` replies, or, with None, until each is closed
    and every frame its server sent has been read."""
    deadline = time.monotonic() + 2 * TIMEOUT
    for n, socket in enumerate(sockets):
        while not socket.closed and (expected is None or len(received[n]) < expected):
            assert time.monotonic() < deadline, f"socket {n}: {len(received[n])} replies"
            try:
                received[n] += replies([socket.frame(timeout=1)])
            except TimeoutError:
                continue
            except ConnectionClosed:
                socket.closed = True
