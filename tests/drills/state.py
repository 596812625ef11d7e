"""A client's view of a stream, built from the frames it receives as docs/realtime.md says a
client must apply them, and the check that it converges: equal to a fresh snapshot."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed

from tests.multiprocess.conftest import TIMEOUT, Socket

# What must agree: each question's status and vote count, and the question on air.
View = tuple[dict[int, tuple[str, int]], int | None]


def view_of_snapshot(data: dict[str, Any]) -> View:
    questions = {q["id"]: (q["status"], q["votes"]) for q in data["questions"]}
    on_air = data["on_air"]["question"]
    return questions, on_air["id"] if on_air else None


class StreamState:
    """The state a client holds: a snapshot, then every event in ``seq`` order, and the vote
    counts with the highest version. ``gaps`` counts the times it had to resume by ``seq``."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.seq = 0
        self.questions: dict[int, dict[str, Any]] = {}
        self.on_air: int | None = None
        self.gaps = 0
        self.snapshots = 0
        self.apply(snapshot)

    def apply(self, frame: dict[str, Any]) -> bool:
        """Apply one frame; False when the client is behind and must say hello with its seq."""
        type_, seq, data = frame["type"], frame["seq"], frame["data"]
        if type_ == "snapshot":
            self.snapshots += 1
            self.seq = seq
            self.questions = {q["id"]: dict(q) for q in data["questions"]}
            on_air = data["on_air"]["question"]
            self.on_air = on_air["id"] if on_air else None
            return True
        if type_ in ("ack", "error"):
            return True
        if type_ == "heartbeat":
            return seq <= self.seq
        if type_ == "votes":
            for key, count in data["counts"].items():
                question = self.questions.get(int(key))
                version = data["versions"].get(key, 0)
                if question is not None and version >= question.get("votes_version", 0):
                    question["votes"], question["votes_version"] = count, version
            return True
        if seq <= self.seq:
            return True  # a repeat
        if seq > self.seq + 1:
            return False  # missed something
        self.seq = seq
        if type_ == "question":
            self._question(data["id"], data["question"])
        elif type_ == "on_air":
            for moved in data.get("questions", ()):
                self._question(moved["id"], moved["question"])
            on_air = data["question"]
            self.on_air = on_air["id"] if on_air else None
        return True

    def _question(self, id_: int, question: dict[str, Any] | None) -> None:
        if question is None:
            self.questions.pop(id_, None)
            return
        known = self.questions.get(id_)
        question = dict(question)
        if known is not None and known.get("votes_version", 0) > question.get("votes_version", 0):
            question["votes"], question["votes_version"] = known["votes"], known["votes_version"]
        self.questions[id_] = question

    def view(self) -> View:
        return {i: (q["status"], q["votes"]) for i, q in self.questions.items()}, self.on_air


def read_pending(socket: Socket, state: StreamState) -> None:
    """Apply every frame already received; say hello with the last seq on a gap."""
    while True:
        try:
            frame = socket.frame(timeout=0.05)
        except TimeoutError:
            return
        except ConnectionClosed:
            socket.closed = True
            return
        if not state.apply(frame):
            state.gaps += 1
            socket.send("hello", {"seq": state.seq})


def converge(
    socket: Socket, state: StreamState, fresh: Callable[[], View], timeout: float = TIMEOUT
) -> None:
    """Read on until the socket's state equals a fresh snapshot; fails if it stays diverged."""
    deadline = time.monotonic() + timeout
    while True:
        read_pending(socket, state)
        expected = fresh()
        if state.view() == expected:
            return
        if time.monotonic() > deadline:
            mine, theirs = state.view(), expected
            diff = {
                q: (mine[0].get(q), theirs[0].get(q))
                for q in set(mine[0]) | set(theirs[0])
                if mine[0].get(q) != theirs[0].get(q)
            }
            raise AssertionError(
                f"diverged for {timeout} s: (socket, snapshot) per question {diff}, "
                f"on air {mine[1]} vs {theirs[1]}"
            )
        time.sleep(0.3)


def fresh_view(open_socket: Callable[[], Socket]) -> Callable[[], View]:
    """A function that opens a new socket, takes its snapshot and closes it."""

    def take() -> View:
        socket = open_socket()
        try:
            return view_of_snapshot(socket.hello()["data"])
        finally:
            socket.close()

    return take
