"""The crew actions table (questions.actions): HTTP and the console socket take the same input.

Every action is sent the same values both ways; each way must accept or refuse each value alike,
with the same error code. And every action of the table is routed over HTTP, answered over the
socket and documented in the schema.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from live.commands import COMMANDS
from questions.actions import ACTIONS, BY_NAME, CrewAction
from questions.models import Question
from questions.services import question_cue, session_take_on_air
from studio.models import Guest
from tests.factories import QuestionFactory
from tests.realtime import conftest as realtime
from tests.realtime.sockets import Socket, run

pytestmark = pytest.mark.django_db(transaction=True)

# The console socket's fixtures, shared with the real-time tests.
open_socket = realtime.open_socket
console = realtime.console

QID, GUEST = "QID", "GUEST"  # replaced by the question acted on, the session's guest

# name: (valid inputs, invalid inputs), beyond the question acted on.
CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "approve": ([{}, {"unknown": 1}], []),
    "reject": (
        [{}, {"reason": "Off topic"}, {"reason": ""}, {"reason": "x" * 500}],
        [{"reason": "x" * 501}, {"reason": None}, {"reason": ["a"]}],
    ),
    "reopen": ([{}, {"reason": "Too soon"}], [{"reason": "x" * 501}, {"reason": None}]),
    "archive": ([{}, {"reason": "Asked before"}], [{"reason": "x" * 501}, {"reason": None}]),
    "star": (
        [{}, {"starred": True}, {"starred": False}, {"starred": "false"}],
        [{"starred": "maybe"}, {"starred": None}, {"starred": 2}],
    ),
    "aim": (
        [{"guest": GUEST}, {"guest": None}],
        [{}, {"guest": "Aya"}, {"guest": 0}, {"guest": -1}, {"guest": 10**20}, {"guest": 1.5}],
    ),
    "answered": ([{}], []),
    "requeue": ([{}], []),
    "hold": (
        [{"position": 1}, {"position": 50}, {"position": None}, {"position": "3"}],
        [{}, {"position": 0}, {"position": 51}, {"position": -1}, {"position": "first"}],
    ),
    "take": (
        [{"question": QID}],
        [{}, {"question": None}, {"question": "abc"}, {"question": 0}, {"question": 10**20}],
    ),
    "clear": ([{}], []),
    "reword": (
        [{"text": "Which song are you proudest of?"}, {"text": ""}, {"text": "  "}],
        [{}, {"text": None}, {"text": ["a"]}, {"text": "x" * 281}],
    ),
    "rename": (
        [{"name": "C. M."}, {"name": ""}, {"name": "n" * 120}],
        [{}, {"name": None}, {"name": "n" * 121}, {"name": ["a"]}],
    ),
    "cue": ([{}, {"unknown": 1}], []),
    "uncue": ([{}], []),
    "take_next": ([{}], []),
    "lock": ([{}], []),
    "unlock": ([{}], []),
    "wall": (
        [
            {"state": "pinned"},
            {"state": "pinned", "position": 2},
            {"state": "shown"},
            {"state": "hidden"},
            {"state": "reset"},
        ],
        [
            {},
            {"state": "top"},
            {"state": None},
            {"state": "pinned", "position": 0},
            {"state": "pinned", "position": 31},
            {"state": "hidden", "position": 1},
        ],
    ),
    "wall_order": (
        [{"ordered_ids": []}],
        [{}, {"ordered_ids": "1"}, {"ordered_ids": [0]}, {"ordered_ids": [10**20]}],
    ),
}

# The state a question needs for the action to be allowed.
NEEDS = {"approve": "pending", "reject": "pending", "archive": "pending", "requeue": "answered"}


def _question_for(session, name: str, producer) -> Question:
    status = NEEDS.get(name, "approved")
    question = QuestionFactory(
        session=session,
        status=status,
        approved_at=timezone.now() if status != "pending" else None,
    )
    if name in ("answered", "clear"):
        question = session_take_on_air(actor=producer, session=session, question=question)
    if name == "take_next":
        question = question_cue(actor=producer, question=question)
    return question


def _fill(data: dict[str, Any], question: Question, guest: Guest) -> dict[str, Any]:
    marks = {QID: question.pk, GUEST: guest.pk}
    return {k: marks.get(v, v) if isinstance(v, str) else v for k, v in data.items()}


def _over_http(client: APIClient, action: CrewAction, question: Question, data: dict) -> str:
    """ "ok", or the error code of the refusal."""
    if action.about == "question":
        url = f"/api/questions/{question.pk}/{action.name}/"
    else:
        url = f"/api/sessions/{question.session_id}/{action.path}/"
    response = getattr(client, action.http_method)(url, data, format="json")
    if response.status_code < 300:
        return "ok"
    assert response.status_code < 500, response.content
    return response.json()["error"]["code"]


async def _over_socket(socket: Socket, action: CrewAction, question: Question, data: dict) -> str:
    if action.about == "question":
        data = {"question": question.pk, **data}
    await socket.command(action.name, data, id="probe")
    # Events of earlier actions may come first: skip to this command's answer.
    while (frame := await socket.frame())["type"] not in ("ack", "error"):
        pass
    assert frame["data"]["id"] == "probe"
    return "ok" if frame["type"] == "ack" else frame["data"]["code"]


def test_the_cases_cover_every_action_of_the_table():
    assert set(CASES) == set(BY_NAME)


@pytest.mark.parametrize("name", sorted(BY_NAME))
async def test_http_and_the_socket_accept_and_refuse_the_same_input(
    console, api_as, producer_a, session_a, name
):
    action = BY_NAME[name]
    client = api_as(producer_a)
    guest = await run(Guest.objects.get)(session=session_a)
    socket = await console(producer_a)
    await socket.snapshot()
    valid, invalid = CASES[name]

    for data, expected in [*((d, True) for d in valid), *((d, False) for d in invalid)]:
        question = await run(_question_for)(session_a, name, producer_a)
        by_http = await run(_over_http)(client, action, question, _fill(data, question, guest))
        question = await run(_question_for)(session_a, name, producer_a)
        by_socket = await _over_socket(socket, action, question, _fill(data, question, guest))

        assert (by_http == "ok") is expected, (data, by_http)
        assert by_socket == by_http, (data, by_http, by_socket)


async def test_every_action_is_a_command_of_the_socket(console, producer_a, session_a):
    socket = await console(producer_a)
    await socket.snapshot()

    await socket.command("no-such-action", {}, id="x")

    error = await socket.error()
    assert error["code"] == "unknown_type"
    assert set(BY_NAME) <= set(error["details"]["accepted"])
    assert set(COMMANDS) == set(BY_NAME)


def _http_route(action: CrewAction) -> tuple[str, str]:
    """(OpenAPI path, method) of the action's HTTP endpoint."""
    if action.about == "question":
        return f"/api/questions/{{id}}/{action.name}/", "post"
    return f"/api/sessions/{{id}}/{action.path}/", action.http_method


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_every_action_is_routed_over_http_and_documented(db, action):
    if action.about == "question":
        view = reverse(f"question-{action.name}", kwargs={"pk": 1})
        assert view == f"/api/questions/1/{action.name}/"
    schema = yaml.safe_load(APIClient().get("/api/schema/").content)
    path, method = _http_route(action)

    operation = schema["paths"][path][method]

    assert operation["summary"] == action.summary
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    if action.takes_input:
        # Each action documents its own input, not another action's.
        assert body["schema"]["$ref"].endswith(f"/{action.input.__name__}Request")
    else:
        assert not body
