"""Commands arriving on both server processes at once make one order, the same on every socket."""

from __future__ import annotations

import pytest

from tests.multiprocess.conftest import TIMEOUT, Socket, audience

pytestmark = pytest.mark.postgres

COMMANDERS_PER_SERVER = 2
QUESTIONS_PER_COMMANDER = 15  # each approved, then starred: 30 commands, within a burst


def _assert_one_gap_free_order(
    seen_on_a: list[tuple[int, str, object]],
    seen_on_b: list[tuple[int, str, object]],
    after: int,
    head: int,
) -> None:
    assert [seq for seq, _, _ in seen_on_a] == list(range(after + 1, head + 1))
    assert seen_on_a == seen_on_b


def test_commands_from_both_servers_make_one_gap_free_order_on_every_socket(cluster):
    per_server = COMMANDERS_PER_SERVER * QUESTIONS_PER_COMMANDER
    session = cluster.new_session("one-order", pending=2 * per_server)
    servers = [cluster.a, cluster.b]

    observers = [cluster.console(server, session) for server in servers]
    listeners = [audience(server, session) for server in servers]
    crew_from = {o.hello()["seq"] for o in observers}
    public_from = {listener.hello()["seq"] for listener in listeners}
    assert len(crew_from) == len(public_from) == 1  # a quiet session: both start at one point
    (crew_from,) = crew_from
    (public_from,) = public_from

    commanders: list[Socket] = []
    work: list[list[int]] = []
    for n in range(2 * COMMANDERS_PER_SERVER):
        commander = cluster.console(servers[n % 2], session)
        commander.hello()
        commanders.append(commander)
        work.append(session.pending[n::4])

    # Every commander fires all its commands without waiting for an answer, interleaved with
    # the others, so the two servers write to the session's streams at the same time.
    sent: list[dict[str, str]] = [{} for _ in commanders]
    for action in ("approve", "star"):
        for step in range(QUESTIONS_PER_COMMANDER):
            for n, commander in enumerate(commanders):
                command_id = f"{action}-{n}-{step}"
                commander.send(action, {"question": work[n][step]}, id=command_id)
                sent[n][command_id] = action

    for n, commander in enumerate(commanders):
        answers: dict[str, dict] = {}
        while len(answers) < len(sent[n]):
            frame = commander.until(lambda f: f["type"] in ("ack", "error"))[-1]
            answers[frame["data"]["id"]] = frame
        assert {i: f["type"] for i, f in answers.items()} == dict.fromkeys(sent[n], "ack")
        assert {i: f["data"]["action"] for i, f in answers.items()} == sent[n]

    crew_head = cluster.stream_head(session, "crew")
    public_head = cluster.stream_head(session, "public")
    crew = [o.events_until(crew_head, timeout=2 * TIMEOUT) for o in observers]
    public = [listener.events_until(public_head, timeout=2 * TIMEOUT) for listener in listeners]

    _assert_one_gap_free_order(*crew, after=crew_from, head=crew_head)
    _assert_one_gap_free_order(*public, after=public_from, head=public_head)
    # And what the crew sees last is what the commands did: every question approved and starred.
    last_state = {}
    for _, type_, data in crew[0]:
        if type_ == "question":
            last_state[data["id"]] = (data["question"]["status"], data["question"]["starred"])
    assert last_state == dict.fromkeys(session.pending, ("approved", True))

    for socket in [*observers, *listeners, *commanders]:
        socket.close()
