"""Through the network, on the real server (Daphne in a subprocess): a question of 2.5 MB is
refused at once, and the studio goes on answering everyone else meanwhile.

Before the limits came first, such a question stopped the whole studio for over ten minutes: the
checks read it all, in quadratic time, in the one thread that serves synchronous views.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.live_server import LiveStudio

SESSION = "demo-live"
BODY_LIMIT = 2_621_440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE, which the studio keeps
# Generous: the machine running the tests may be busy. The point is that nothing waits minutes.
TIMEOUT = 30.0


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> Iterator[LiveStudio]:
    live = LiveStudio(tmp_path_factory.mktemp("studio"), redis_db=3, database_prefix="sr_limits")
    try:
        live.manage("migrate", "--noinput")
        live.manage("seed_demo", "--base-url", live.url)
        live.start()
    except Exception:
        live.stop()
        live.drop_database()
        raise
    try:
        yield live
    finally:
        live.stop()
        live.drop_database()


def request(url: str, body: bytes | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    req = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_huge_question_is_refused_while_the_studio_keeps_answering(studio):
    text = "a" * (BODY_LIMIT - 1024)
    body = json.dumps({"text": text, "name": "Flood"}).encode()
    assert len(body) < BODY_LIMIT
    posted: dict[str, tuple[int, dict]] = {}

    def post() -> None:
        posted["answer"] = request(f"{studio.url}/api/public/sessions/{SESSION}/questions/", body)

    sender = threading.Thread(target=post)
    sender.start()
    answers = []
    while sender.is_alive() or len(answers) < 3:
        answers.append(request(f"{studio.url}/api/public/sessions/{SESSION}/"))
    sender.join(TIMEOUT)

    status, error = posted["answer"]
    assert status == 400
    assert error["error"]["code"] == "invalid"
    assert "text" in error["error"]["details"]
    assert all(status == 200 for status, _ in answers), answers
    assert all(session["slug"] == SESSION for _, session in answers)


def test_an_ordinary_question_is_still_taken(studio):
    body = json.dumps({"text": "Pourquoi avoir enregistré à Lisbonne ?", "name": "Léa"}).encode()

    status, question = request(f"{studio.url}/api/public/sessions/{SESSION}/questions/", body)

    assert status == 201, question
    assert question["text"] == "Pourquoi avoir enregistré à Lisbonne ?"
