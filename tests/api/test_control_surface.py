"""Control surfaces (a Stream Deck through Companion) and the crew's air endpoints: the air lock
holds over HTTP, the console socket and the control surface alike."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from questions.models import AirLogEntry, Question
from questions.services import air_lock, question_cue, session_take_on_air
from studio.models import LiveSession
from tests.factories import QuestionFactory
from tests.helpers import assert_error
from tests.realtime import conftest as realtime
from tests.realtime.sockets import run

pytestmark = pytest.mark.django_db

open_socket = realtime.open_socket
console = realtime.console
overlay = realtime.overlay

ACTIONS = ("take-next", "clear", "lock", "unlock")


def approved(session, text="What is next?"):
    return QuestionFactory(
        session=session, text=text, status="approved", approved_at=timezone.now()
    )


def status_of(question):
    return Question.objects.values_list("status", flat=True).get(pk=question.pk)


@pytest.fixture
def key(api_as, producer_a, session_a):
    """A control key issued by a producer through the crew API."""
    response = api_as(producer_a).post(f"/api/sessions/{session_a.pk}/control-key/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["control_url"].endswith("/api/control/live-a/")
    return body["control_key"]


@pytest.fixture
def deck(key):
    """The control surface: an HTTP client that sends the key as a bearer token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def press(client, action, slug="live-a"):
    return client.post(f"/api/control/{slug}/{action}/")


# --- what a control surface does --------------------------------------------------------------


def test_the_status_feeds_the_buttons(deck, session_a, host_a):
    on_air = approved(session_a, "On air?")
    session_take_on_air(actor=host_a, session=session_a, question=on_air)
    cued = approved(session_a, "Next?")
    question_cue(actor=host_a, question=cued)
    approved(session_a, "Later?")

    body = deck.get("/api/control/live-a/status/").json()

    assert body["on_air"]["text"] == "On air?"
    assert body["cued"]["text"] == "Next?"
    assert body["locked"] is False
    assert body["queue_length"] == 2


def test_take_next_airs_the_cued_question_recorded_as_the_control_surface(deck, session_a, host_a):
    cued = approved(session_a, "Next?")
    question_cue(actor=host_a, question=cued)

    response = press(deck, "take-next")

    assert response.status_code == 200, response.content
    assert response.json()["on_air"]["text"] == "Next?"
    assert response.json()["cued"] is None
    assert status_of(cued) == "on_air"
    take = AirLogEntry.objects.get(action="take")
    assert (take.actor, take.details["via"]) == (None, "control")


def test_take_next_with_nothing_cued_says_so(deck, session_a):
    approved(session_a)

    assert_error(press(deck, "take-next"), 409, "nothing_cued")


def test_clear_lock_and_unlock(deck, session_a, host_a, client):
    question = approved(session_a)
    session_take_on_air(actor=host_a, session=session_a, question=question)

    assert press(deck, "clear").json()["on_air"] is None
    assert status_of(question) == "approved"

    session_take_on_air(actor=host_a, session=session_a, question=question)
    locked = press(deck, "lock").json()
    assert (locked["locked"], locked["on_air"]) == (True, None)
    # The graphics feed shows nothing on air.
    feed = client.get("/feeds/live-a/on-air.json", {"key": session_a.overlay_key}).json()
    assert feed["question"] is None

    question_cue(actor=host_a, question=question)
    assert_error(press(deck, "take-next"), 409, "air_locked")
    assert status_of(question) == "approved"

    assert press(deck, "unlock").json()["locked"] is False
    assert press(deck, "take-next").json()["on_air"]["id"] == question.pk
    actions = list(AirLogEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["take", "clear", "take", "clear", "lock", "cue", "refuse", "unlock", "take"]


# --- what it cannot do ------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_a_wrong_key_is_refused_and_changes_nothing(key, session_a, host_a, action):
    question = approved(session_a)
    question_cue(actor=host_a, question=question)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-the-key")

    assert_error(press(client, action), 403, "wrong_control_key")
    assert_error(client.get("/api/control/live-a/status/"), 403, "wrong_control_key")
    assert status_of(question) == "approved"
    assert not LiveSession.objects.get(pk=session_a.pk).air_locked


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", "Token abc", "Basic dXNlcjpwYXNz"]
)
def test_no_bearer_key_is_401(key, header):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)

    response = press(client, "lock")

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_key_of_another_session_does_not_open_this_one(deck, session_b):
    assert_error(press(deck, "lock", slug=session_b.slug), 403, "control_off")
    assert not LiveSession.objects.get(pk=session_b.pk).air_locked


def test_control_surfaces_are_off_until_a_key_is_issued(session_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer ")
    client.credentials(HTTP_AUTHORIZATION="Bearer anything")

    assert_error(press(client, "lock"), 403, "control_off")


def test_turning_the_key_off_or_rotating_it_stops_the_old_key(
    deck, key, api_as, producer_a, session_a
):
    crew = api_as(producer_a)
    rotated = crew.post(f"/api/sessions/{session_a.pk}/control-key/").json()["control_key"]
    assert rotated != key
    assert_error(press(deck, "lock"), 403, "wrong_control_key")

    off = crew.delete(f"/api/sessions/{session_a.pk}/control-key/").json()
    assert (off["control_key"], off["control_url"]) == ("", None)
    deck.credentials(HTTP_AUTHORIZATION=f"Bearer {rotated}")
    assert_error(press(deck, "lock"), 403, "control_off")


def test_only_a_producer_issues_a_control_key(api_as, host_a, moderator_a, session_a):
    for crew in (host_a, moderator_a):
        response = api_as(crew).post(f"/api/sessions/{session_a.pk}/control-key/")
        assert_error(response, 403, "permission_denied")
    assert LiveSession.objects.get(pk=session_a.pk).control_key == ""


def test_an_unknown_session_is_404(deck):
    assert_error(press(deck, "lock", slug="no-such-show"), 404, "not_found")
    assert_error(deck.get("/api/control/no-such-show/status/"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "take-next"),
        ("put", "clear"),
        ("delete", "lock"),
        ("patch", "unlock"),
        ("post", "status"),
    ],
)
def test_a_wrong_method_is_405(deck, method, path):
    response = getattr(deck, method)(f"/api/control/live-a/{path}/")

    assert_error(response, 405, "method_not_allowed")


# --- the crew's air endpoints -----------------------------------------------------------------


def test_locked_air_refuses_a_take_over_http_and_only_a_producer_unlocks(
    api_as, host_a, producer_a, session_a
):
    question = approved(session_a)
    host = api_as(host_a)

    locked = host.post(f"/api/sessions/{session_a.pk}/air-lock/")
    assert locked.status_code == 200, locked.content
    assert locked.json()["air_locked"] is True

    refused = host.post(f"/api/sessions/{session_a.pk}/on-air/", {"question": question.pk})
    assert_error(refused, 409, "air_locked")
    assert_error(host.delete(f"/api/sessions/{session_a.pk}/air-lock/"), 403, "permission_denied")
    assert host.get(f"/api/sessions/{session_a.pk}/").json()["air_locked"] is True

    unlocked = api_as(producer_a).delete(f"/api/sessions/{session_a.pk}/air-lock/")
    assert unlocked.json()["air_locked"] is False
    taken = host.post(f"/api/sessions/{session_a.pk}/on-air/", {"question": question.pk})
    assert taken.json()["on_air"]["id"] == question.pk


def test_cue_and_take_next_over_http(api_as, host_a, session_a):
    question = approved(session_a)
    host = api_as(host_a)

    cued = host.post(f"/api/questions/{question.pk}/cue/")
    assert cued.status_code == 200, cued.content
    assert_error(host.delete(f"/api/sessions/{session_a.pk}/air-lock/"), 403, "permission_denied")

    response = host.post(f"/api/sessions/{session_a.pk}/take-next/")

    assert response.json()["on_air"]["id"] == question.pk
    assert response.json()["cued"] is None
    assert_error(host.post(f"/api/sessions/{session_a.pk}/take-next/"), 409, "nothing_cued")


def test_the_air_log_endpoint_shows_who_did_what_and_when(api_as, host_a, viewer_a, session_a):
    question = approved(session_a)
    host = api_as(host_a)
    host.post(f"/api/questions/{question.pk}/cue/")
    host.post(f"/api/sessions/{session_a.pk}/take-next/")
    host.post(f"/api/sessions/{session_a.pk}/air-lock/")

    body = api_as(viewer_a).get(f"/api/sessions/{session_a.pk}/air-log/").json()

    assert body["count"] == 4
    rows = [(r["action"], r["who"], r["question"]) for r in body["results"]]
    assert rows == [
        ("lock", "hugo", None),
        ("clear", "hugo", question.pk),
        ("take", "hugo", question.pk),
        ("cue", "hugo", question.pk),
    ]
    assert all(r["time"] for r in body["results"])


# --- the console socket -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_locked_air_refuses_a_take_over_the_socket_and_the_overlay_shows_nothing(
    console, overlay, host_a, producer_a, session_a
):
    question = await run(approved)(session_a, "On air?")
    await run(session_take_on_air)(actor=host_a, session=session_a, question=question)
    screen = await overlay("live-a", session_a.overlay_key)
    snapshot = await screen.snapshot()
    assert snapshot["data"]["on_air"]["question"]["text"] == "On air?"
    socket = await console(host_a)
    await socket.snapshot()

    await socket.command("lock", {}, id="lock")
    while (frame := await socket.frame())["type"] != "ack":
        pass
    on_air = await screen.until("on_air")
    assert on_air[-1]["data"]["question"] is None

    await socket.command("take", {"question": question.pk}, id="take")
    while (frame := await socket.frame())["type"] not in ("ack", "error"):
        pass
    assert (frame["type"], frame["data"]["code"]) == ("error", "air_locked")
    await socket.command("unlock", {}, id="unlock")
    while (frame := await socket.frame())["type"] not in ("ack", "error"):
        pass
    assert (frame["type"], frame["data"]["code"]) == ("error", "forbidden")
    assert await run(status_of)(question) == "approved"

    producer = await console(producer_a)
    await producer.snapshot()
    await producer.command("unlock", {}, id="unlock")
    while (frame := await producer.frame())["type"] != "ack":
        pass
    await socket.command("take", {"question": question.pk}, id="take")
    while (frame := await socket.frame())["type"] not in ("ack", "error"):
        pass
    assert frame["type"] == "ack"
    assert frame["data"]["question"]["status"] == "on_air"


@pytest.mark.django_db(transaction=True)
async def test_the_crew_hears_of_the_lock_and_of_the_cue(console, host_a, session_a):
    question = await run(approved)(session_a, "Next?")
    socket = await console(host_a)
    await socket.snapshot()

    await run(question_cue)(actor=host_a, question=question)
    cue = await socket.until("cue")
    assert cue[-1]["data"]["question"]["text"] == "Next?"

    await run(air_lock)(actor=host_a, session=session_a)
    session = await socket.until("session")
    assert session[-1]["data"]["session"]["air_locked"] is True
