"""The console socket: crew only, from this site, with the stream, commands and their errors."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from live.consumers import HEAD_FROM_DATABASE_EVERY
from live.snapshots import resume_votes_frame
from questions.models import Question
from questions.services import question_approve, session_set_status, session_take_on_air
from questions.services import vote_cast as cast
from studio import events
from studio.models import Guest, LiveSession, Membership
from tests.factories import LiveSessionFactory, QuestionFactory
from tests.realtime.conftest import SITE_HOST
from tests.realtime.sockets import login_cookie, run, types

pytestmark = pytest.mark.django_db(transaction=True)


def make_question(session, status="pending", text=None):
    kwargs = {"text": text} if text else {}
    if status in ("approved", "on_air", "answered"):
        kwargs["approved_at"] = timezone.now()
    return QuestionFactory(session=session, status=status, **kwargs)


def status_of(question):
    return Question.objects.get(pk=question.pk).status


def approve_all(actor, questions):
    for question in questions:
        question_approve(actor=actor, question=question)


@pytest.fixture
async def ready(console, producer_a, session_a):
    """The producer's console, after its snapshot."""
    socket = await console(producer_a)
    await socket.snapshot()
    return socket


# --- who may connect ------------------------------------------------------------------------


async def test_an_anonymous_visitor_is_told_to_log_in_and_closed(console, session_a):
    socket = await console(None)

    assert socket.accepted
    error = await socket.error()
    assert error["code"] == "not_authenticated"
    assert await socket.closed() == 4401


@pytest.mark.parametrize(
    "origin",
    [
        b"http://evil.example",
        b"http://localhost.evil.example",
        None,
        # The studio's own host on another port or scheme is another site to a browser.
        b"http://localhost:8080",
        b"https://localhost",
        b"null",
        b"http://localhost/console",
    ],
)
async def test_a_console_opened_from_another_site_or_without_origin_is_refused(
    console, producer_a, session_a, origin
):
    socket = await console(producer_a, origin=origin)

    assert socket.accepted is False


@pytest.mark.parametrize(
    "origin", [b"http://localhost", b"http://localhost:80", b"HTTP://LOCALHOST"]
)
async def test_a_console_opened_from_the_studios_own_origin_is_accepted(
    console, producer_a, session_a, origin
):
    socket = await console(producer_a, origin=origin)

    assert socket.accepted
    assert (await socket.snapshot())["type"] == "snapshot"


async def test_behind_a_trusted_tls_proxy_the_console_opens_from_the_https_page(
    open_socket, producer_a, session_a, settings
):
    settings.NUM_PROXIES = 1
    cookie = await login_cookie(producer_a)

    async def opened_from(origin: bytes, proto: bytes) -> bool:
        headers = [SITE_HOST, (b"x-forwarded-proto", proto), (b"origin", origin)]
        socket = await open_socket("/ws/console/live-a/", [*headers, (b"cookie", cookie)])
        return bool(socket.accepted)

    assert await opened_from(b"https://localhost", b"https") is True
    assert await opened_from(b"http://localhost", b"https") is False
    settings.NUM_PROXIES = 0  # an untrusted header changes nothing
    assert await opened_from(b"https://localhost", b"https") is False


async def test_behind_a_proxy_only_the_configured_origins_open_the_console(
    console, producer_a, session_a, settings
):
    settings.STUDIO_ORIGINS = ["https://studio.example.org"]

    proxied = await console(producer_a, origin=b"https://studio.example.org")
    direct = await console(producer_a, origin=b"http://localhost")
    plain = await console(producer_a, origin=b"http://studio.example.org")

    assert proxied.accepted
    assert direct.accepted is False
    assert plain.accepted is False


async def test_another_stations_crew_learns_nothing_of_the_session(
    console, producer_b, session_a, pending_question
):
    socket = await console(producer_b, "live-a")

    # The same answer as for a session that does not exist, and nothing else.
    assert json.loads(await socket.raw()) == {
        "seq": None,
        "type": "error",
        "data": {"id": None, "code": "not_found", "message": "No such session.", "details": {}},
    }
    assert await socket.closed() == 4404


async def test_an_unknown_session_is_not_found(console, producer_a, session_a):
    socket = await console(producer_a, "no-such-session")

    assert (await socket.error())["code"] == "not_found"
    assert await socket.closed() == 4404


async def test_a_refused_socket_ignores_what_it_is_sent(console, session_a):
    socket = await console(None)
    await socket.error()
    await socket.closed()

    await socket.send({"type": "hello", "data": {"seq": None}})

    assert await socket.nothing()


# --- hello, snapshot and replay -------------------------------------------------------------


@pytest.fixture(
    params=[
        ("producer_a", "producer", ["ban", "manage", "moderate", "on_air", "view"]),
        ("moderator_a", "moderator", ["ban", "moderate", "view"]),
        ("host_a", "host", ["on_air", "view"]),
        ("viewer_a", "viewer", ["view"]),
    ],
    ids=lambda p: p[1],
)
def crew_member(request, session_a):
    fixture, role, capabilities = request.param
    return request.getfixturevalue(fixture), role, capabilities


async def test_hello_without_a_seq_gets_the_whole_state_with_the_users_role(
    console, crew_member, session_a, pending_question
):
    user, role, capabilities = crew_member
    await run(make_question)(session_a, "archived", "Archived question?")
    socket = await console(user)

    snapshot = (await socket.snapshot())["data"]

    assert snapshot["me"] == {
        "username": user.username,
        "role": role,
        "capabilities": capabilities,
    }
    assert snapshot["session"]["slug"] == "live-a"
    assert snapshot["session"]["moderation_mode"] == "pre"
    assert [g["name"] for g in snapshot["guests"]] == ["Aya Lune"]
    assert [(q["text"], q["status"]) for q in snapshot["questions"]] == [
        ("Pending question?", "pending")
    ]
    assert snapshot["on_air"] == {"question": None, "taken_at": None}
    assert await socket.nothing()


async def test_the_snapshot_carries_the_streams_head_and_whats_on_air(
    console, producer_a, session_a, approved_question
):
    await run(session_take_on_air)(actor=producer_a, session=session_a, question=approved_question)
    socket = await console(producer_a)

    snapshot = await socket.snapshot()

    assert snapshot["seq"] == 1  # one on-air event for the take
    assert snapshot["data"]["protocol"] == 2
    assert snapshot["data"]["on_air"]["question"]["text"] == "Approved question?"


async def test_hello_with_the_current_seq_gets_a_heartbeat_only(
    console, producer_a, moderator_a, session_a
):
    questions = [await run(make_question)(session_a) for _ in range(2)]
    await run(approve_all)(moderator_a, questions)
    socket = await console(producer_a)

    answer = await socket.hello(2)

    assert types(answer) == ["heartbeat"]
    assert answer[0]["seq"] == 2
    assert set(answer[0]["data"]) == {"time", "interval", "protocol"}


async def test_hello_with_an_older_seq_gets_exactly_the_missing_events_in_order(
    console, producer_a, moderator_a, session_a
):
    questions = [await run(make_question)(session_a) for _ in range(4)]
    await run(approve_all)(moderator_a, questions)
    socket = await console(producer_a)

    answer = await socket.hello(1)

    assert [(f["seq"], f["type"]) for f in answer] == [
        (2, "question"),
        (3, "question"),
        (4, "question"),
        (4, "heartbeat"),
    ]
    assert [f["data"]["id"] for f in answer[:3]] == [q.pk for q in questions[1:]]
    assert all(f["data"]["question"]["status"] == "approved" for f in answer[:3])
    assert await socket.nothing()


async def test_hello_with_a_seq_the_log_no_longer_holds_gets_a_snapshot(
    console, producer_a, moderator_a, session_a, settings
):
    settings.EVENT_PRUNE_EVERY = 2
    settings.EVENT_REPLAY_MAX = 2
    questions = [await run(make_question)(session_a) for _ in range(6)]
    await run(approve_all)(moderator_a, questions)
    socket = await console(producer_a)

    answer = await socket.hello(1)

    assert types(answer) == ["snapshot", "heartbeat"]
    assert answer[0]["seq"] == 6
    assert len(answer[0]["data"]["questions"]) == 6


async def test_hello_with_a_seq_ahead_of_the_stream_gets_a_snapshot(
    console, producer_a, session_a, pending_question
):
    socket = await console(producer_a)

    answer = await socket.hello(41)

    assert types(answer) == ["snapshot", "heartbeat"]
    assert answer[0]["seq"] == 0
    assert [q["id"] for q in answer[0]["data"]["questions"]] == [pending_question.pk]


async def test_resync_sends_a_fresh_snapshot(ready, moderator_a, pending_question):
    await run(question_approve)(actor=moderator_a, question=pending_question)
    assert (await ready.frame())["seq"] == 1

    await ready.send({"type": "resync"})

    snapshot, heartbeat = await ready.until("heartbeat")
    assert (snapshot["type"], snapshot["seq"], heartbeat["seq"]) == ("snapshot", 1, 1)
    assert snapshot["data"]["questions"][0]["status"] == "approved"


async def test_events_wait_for_the_clients_hello(console, producer_a, moderator_a, session_a):
    question = await run(make_question)(session_a)
    socket = await console(producer_a)

    await run(question_approve)(actor=moderator_a, question=question)

    assert await socket.nothing()
    [question_shown] = (await socket.snapshot())["data"]["questions"]
    assert question_shown["status"] == "approved"


@pytest.mark.parametrize("seq", ["3", -1, 2.5, True, 2**63, [1]])
async def test_a_hello_with_a_bad_seq_is_malformed(ready, seq):
    await ready.send({"type": "hello", "id": "h", "data": {"seq": seq}})

    error = await ready.error()
    assert (error["code"], error["id"]) == ("malformed", "h")
    assert await ready.is_usable()


# --- commands -------------------------------------------------------------------------------


def _setup_command(session, producer, name):
    """The question a command acts on, in the state the command needs."""
    status = {
        "approve": "pending",
        "reject": "pending",
        "archive": "pending",
        "requeue": "answered",
    }.get(name, "approved")
    question = make_question(session, status)
    if name in ("clear", "answered"):
        session_take_on_air(actor=producer, session=session, question=question)
    return question


COMMAND_CASES = {
    # name: (data beyond the question, what the ack shows, event types that follow)
    "approve": ({}, {"status": "approved"}, ["question"]),
    "reject": ({"reason": "Off topic"}, {"status": "rejected"}, ["question"]),
    "reopen": ({}, {"status": "pending"}, ["question"]),
    "archive": ({}, {"status": "archived"}, ["question"]),
    "star": ({"starred": True}, {"starred": True}, ["question"]),
    "aim": ({"guest": "GUEST"}, {"guest": "GUEST"}, ["question"]),
    "take": ({}, {"status": "on_air"}, ["on_air"]),
    "clear": (None, {"status": "approved"}, ["on_air"]),
    "answered": ({}, {"status": "answered"}, ["on_air"]),
    "hold": ({"position": 3}, {"hold_position": 3}, ["question"]),
    "requeue": ({}, {"status": "approved"}, ["question"]),
}


@pytest.mark.parametrize("name", COMMAND_CASES)
async def test_each_command_is_acknowledged_and_its_change_arrives_as_events(
    console, producer_a, session_a, name
):
    question = await run(_setup_command)(session_a, producer_a, name)
    guest = await run(Guest.objects.get)(session=session_a)
    extra, shown, event_types = COMMAND_CASES[name]
    data = {} if extra is None else {"question": question.pk, **extra}
    data = {k: guest.pk if v == "GUEST" else v for k, v in data.items()}
    shown = {k: guest.pk if v == "GUEST" else v for k, v in shown.items()}
    socket = await console(producer_a)
    head = (await socket.snapshot())["seq"]

    await socket.send({"type": name, "id": f"cmd-{name}", "data": data})

    frames = await socket.frames(1 + len(event_types))
    [ack] = [f for f in frames if f["type"] == "ack"]
    assert ack["seq"] is None
    assert (ack["data"]["id"], ack["data"]["action"]) == (f"cmd-{name}", name)
    assert ack["data"]["question"]["id"] == question.pk
    assert {k: ack["data"]["question"][k] for k in shown} == shown
    changes = [f for f in frames if f["type"] != "ack"]
    assert [(f["seq"], f["type"]) for f in changes] == [
        (head + n, t) for n, t in enumerate(event_types, start=1)
    ]
    if changes[0]["type"] == "on_air":  # an air change: the question is in the one event
        [moved] = [m for m in changes[0]["data"]["questions"] if m["id"] == question.pk]
        assert moved["question"] == ack["data"]["question"]
    else:
        assert changes[0]["data"]["question"] == ack["data"]["question"]
    assert await socket.nothing()


async def test_a_change_made_on_one_console_reaches_every_other_console(
    console, producer_a, host_a, session_a, approved_question
):
    mine, theirs = await console(producer_a), await console(host_a)
    await mine.snapshot()
    await theirs.snapshot()

    await mine.command("take", {"question": approved_question.pk})

    [frame] = await theirs.frames(1)
    assert frame["type"] == "on_air"
    assert frame["data"]["questions"][0]["question"]["status"] == "on_air"
    assert await theirs.nothing()


async def test_clearing_an_empty_screen_is_acknowledged_without_a_question(ready):
    await ready.command("clear", {})

    assert await ready.frame() == {
        "seq": None,
        "type": "ack",
        "data": {"id": "c1", "action": "clear", "question": None},
    }
    assert await ready.nothing()


@pytest.fixture
def crew(request, session_a):
    """The crew member named by an (indirect) parameter, e.g. ``"host_a"``."""
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize(
    ("crew", "command", "needs"),
    [
        ("host_a", "approve", "moderate"),
        ("host_a", "reject", "moderate"),
        ("viewer_a", "take", "on_air"),
        ("viewer_a", "approve", "moderate"),
        ("viewer_a", "hold", ["on_air", "moderate"]),
        ("moderator_a", "take", "on_air"),
        ("moderator_a", "answered", "on_air"),
    ],
    indirect=["crew"],
)
async def test_a_role_that_may_not_do_something_is_refused_and_nothing_changes(
    console, crew, pending_question, approved_question, command, needs
):
    target = pending_question if command in ("approve", "reject") else approved_question
    before = await run(status_of)(target)
    socket = await console(crew)
    await socket.snapshot()

    data = {"question": target.pk, **({"position": 1} if command == "hold" else {})}
    await socket.command(command, data, id=7)

    error = await socket.error()
    assert (error["id"], error["code"]) == (7, "forbidden")
    assert error["details"]["needs"] == needs
    assert await socket.nothing()
    assert await run(status_of)(target) == before
    assert await socket.is_usable()


@pytest.mark.parametrize(
    ("crew", "command"),
    [("host_a", "take"), ("host_a", "hold"), ("moderator_a", "hold"), ("moderator_a", "star")],
    indirect=["crew"],
)
async def test_a_role_may_do_what_it_is_for(console, crew, approved_question, command):
    socket = await console(crew)
    await socket.snapshot()

    data = {"question": approved_question.pk, **({"position": 1} if command == "hold" else {})}
    await socket.command(command, data)

    assert "ack" in types(await socket.until("ack"))


async def test_a_question_of_another_session_is_not_found(ready, station_a, session_b, producer_a):
    same_station = await run(LiveSessionFactory)(station=station_a, slug="other-a")
    mine_elsewhere = await run(make_question)(same_station, "approved")
    not_mine = await run(make_question)(session_b, "approved")

    for question in (mine_elsewhere, not_mine):
        await ready.command("take", {"question": question.pk}, id=f"q{question.pk}")
        error = await ready.error()
        assert (error["id"], error["code"]) == (f"q{question.pk}", "not_found")
        assert await run(status_of)(question) == "approved"
    await ready.command("approve", {"question": 2**62})
    assert (await ready.error())["code"] == "not_found"
    assert await ready.nothing()


async def test_a_refused_transition_says_why(ready, approved_question):
    await ready.command("approve", {"question": approved_question.pk})

    error = await ready.error()
    assert error["code"] == "invalid_transition"
    assert error["details"] == {"status": "approved", "action": "approve"}


async def test_on_air_commands_need_a_live_session(ready, producer_a, session_a, approved_question):
    await run(session_set_status)(actor=producer_a, session=session_a, status="ended")
    await ready.until("session")

    await ready.command("take", {"question": approved_question.pk})

    assert (await ready.error())["code"] == "session_not_live"
    assert await run(status_of)(approved_question) == "approved"


@pytest.mark.parametrize(
    ("command", "data", "field"),
    [
        ("approve", {}, "question"),
        ("approve", {"question": "twelve"}, "question"),
        ("approve", {"question": None}, "question"),
        ("approve", {"question": 0}, "question"),
        ("approve", {"question": 2**64}, "question"),
        ("reject", {"question": "QID", "reason": "x" * 501}, "reason"),
        ("star", {"question": "QID", "starred": "maybe"}, "starred"),
        ("aim", {"question": "QID"}, "guest"),
        ("aim", {"question": "QID", "guest": "Aya"}, "guest"),
        ("hold", {"question": "QID", "position": 0}, "position"),
        ("hold", {"question": "QID", "position": 51}, "position"),
        ("hold", {"question": "QID", "position": "first"}, "position"),
        ("hold", {"question": "QID"}, "position"),
    ],
)
async def test_invalid_command_data_is_refused_with_the_field_named(
    ready, approved_question, command, data, field
):
    data = {k: approved_question.pk if v == "QID" else v for k, v in data.items()}

    await ready.command(command, data, id="bad")

    error = await ready.error()
    assert (error["id"], error["code"]) == ("bad", "invalid")
    assert field in error["details"]
    assert await ready.nothing()
    question = await run(Question.objects.get)(pk=approved_question.pk)
    assert (question.status, question.starred, question.hold_position) == ("approved", False, None)
    assert await ready.is_usable()


async def test_aiming_at_a_guest_of_another_session_is_refused(ready, station_a, approved_question):
    other = await run(LiveSessionFactory)(station=station_a, slug="other-a")
    stranger = await run(Guest.objects.create)(session=other, name="Stranger")

    await ready.command("aim", {"question": approved_question.pk, "guest": stranger.pk})

    error = await ready.error()
    assert (error["code"], error["details"]) == ("invalid", {"guest": "unknown"})


# --- frames the socket refuses --------------------------------------------------------------


NESTED = "[" * 8000 + "]" * 8000


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "malformed"),
        ("[1, 2]", "malformed"),
        ('"hello"', "malformed"),
        ("42", "malformed"),
        ("null", "malformed"),
        ('{"data": {}}', "malformed"),
        ('{"type": 5}', "malformed"),
        ('{"type": "hello", "data": [1]}', "malformed"),
        ('{"type": "approve", "id": "' + "x" * 65 + '", "data": {}}', "malformed"),
        ('{"type": "approve", "id": true, "data": {}}', "malformed"),
        ('{"type": "approve", "id": {"a": 1}, "data": {}}', "malformed"),
        (NESTED, "malformed"),
        ('{"type": "hello", "data": ' + "[" * 5000 + "]" * 5000 + "}", "malformed"),
        ('{"type": "dance", "id": "d1"}', "unknown_type"),
        ('{"type": "snapshot"}', "unknown_type"),
        ('{"type": "approve", "data": {"question": 1}, "x": "' + "y" * 16400 + '"}', "too_large"),
    ],
    ids=lambda v: v[:30],
)
async def test_a_bad_frame_gets_an_error_and_the_socket_stays_usable(ready, frame, code):
    await ready.send_text(frame)

    error = await ready.error()
    assert error["code"] == code
    assert await ready.nothing()
    assert await ready.is_usable()


async def test_an_unknown_type_lists_what_the_console_accepts(ready):
    await ready.send({"type": "dance", "id": 3})

    error = await ready.error()
    assert (error["id"], error["code"]) == (3, "unknown_type")
    accepted = error["details"]["accepted"]
    assert accepted[:2] == ["hello", "resync"]
    assert set(COMMAND_CASES) <= set(accepted)


async def test_a_frame_over_the_size_limit_is_refused_even_when_it_is_valid(ready, settings):
    limit = settings.WS_MAX_FRAME_BYTES
    await ready.send_text(json.dumps({"type": "hello", "data": {"pad": "x" * limit}}))

    error = await ready.error()
    assert (error["code"], error["details"]) == ("too_large", {"max_bytes": limit})
    assert await ready.is_usable()


async def test_multibyte_text_counts_in_bytes_against_the_size_limit(ready, settings):
    limit = settings.WS_MAX_FRAME_BYTES
    text = json.dumps({"type": "hello", "data": {"pad": "é" * (limit // 2)}}, ensure_ascii=False)
    assert len(text) < limit < len(text.encode())

    await ready.send_text(text)

    assert (await ready.error())["code"] == "too_large"


async def test_a_binary_frame_is_unsupported(ready):
    await ready.send_bytes(b'{"type": "hello"}')

    assert (await ready.error())["code"] == "unsupported"
    assert await ready.is_usable()


async def test_a_flood_of_frames_is_rate_limited_and_the_socket_recovers(ready):
    for n in range(100):
        await ready.send({"type": "dance", "id": n})

    codes = [(await ready.error())["code"] for _ in range(100)]
    assert codes[:30] == ["unknown_type"] * 30  # a burst is allowed
    assert "rate_limited" in codes
    assert await ready.nothing()
    await asyncio.sleep(0.5)
    assert await ready.is_usable()


# --- membership changes while connected -----------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        {"type": "hello", "data": {"seq": None}},
        {"type": "approve", "id": "c1", "data": {"question": 1}},
    ],
    ids=["hello", "command"],
)
async def test_a_session_deleted_while_connected_closes_the_console_with_a_reason(
    console, producer_a, session_a, message
):
    socket = await console(producer_a)
    await socket.snapshot()

    await run(LiveSession.objects.filter(pk=session_a.pk).delete)()
    await socket.send(message)

    error = await socket.error()
    assert error["code"] == "not_found"
    assert await socket.closed() == 4404


async def test_a_crew_member_removed_while_connected_is_closed_out(
    console, producer_a, moderator_a, session_a, pending_question, settings
):
    settings.EVENT_HEARTBEAT_SECONDS = 0.02
    socket = await console(producer_a)
    await socket.snapshot()

    await run(Membership.objects.filter(user=producer_a).delete)()

    frames = await socket.until("error")
    assert set(types(frames[:-1])) <= {"heartbeat"}
    assert frames[-1]["data"]["code"] == "forbidden"
    assert await socket.closed() == 4403
    # Until the client has gone, nothing more reaches it, whatever it asks.
    await run(question_approve)(actor=moderator_a, question=pending_question)
    await socket.send({"type": "hello", "data": {"seq": None}})
    assert await socket.nothing(0.5)


async def test_a_crew_member_whose_role_is_lowered_loses_its_commands_at_once(
    ready, producer_a, pending_question
):
    await run(Membership.objects.filter(user=producer_a).update)(role="viewer")

    await ready.command("approve", {"question": pending_question.pk})

    assert (await ready.error())["code"] == "forbidden"
    assert await run(status_of)(pending_question) == "pending"


async def test_a_removed_crew_member_asking_for_the_state_again_gets_nothing(
    ready, producer_a, pending_question
):
    await run(Membership.objects.filter(user=producer_a).delete)()

    await ready.send({"type": "resync"})

    raw = await ready.raw()
    assert "Pending question?" not in raw
    assert json.loads(raw)["data"]["code"] == "forbidden"
    assert await ready.closed() == 4403


async def test_a_fresh_snapshot_shows_the_role_the_user_has_now(ready, producer_a):
    await run(Membership.objects.filter(user=producer_a).update)(role="host")

    await ready.send({"type": "resync"})

    snapshot, _ = await ready.until("heartbeat")
    assert snapshot["data"]["me"]["role"] == "host"
    assert snapshot["data"]["me"]["capabilities"] == ["on_air", "view"]


# --- gaps, duplicates and heartbeats --------------------------------------------------------


async def test_an_event_the_channel_layer_lost_is_replayed_before_the_next_one(
    ready, moderator_a, session_a, monkeypatch
):
    first, lost, third = [await run(make_question)(session_a) for _ in range(3)]
    await run(question_approve)(actor=moderator_a, question=first)
    assert (await ready.frame())["seq"] == 1
    original = events.send
    monkeypatch.setattr(events, "send", lambda messages: None)
    await run(question_approve)(actor=moderator_a, question=lost)
    assert await ready.nothing()
    monkeypatch.setattr(events, "send", original)

    await run(question_approve)(actor=moderator_a, question=third)

    frames = await ready.frames(2)
    assert [(f["seq"], f["data"]["id"]) for f in frames] == [(2, lost.pk), (3, third.pk)]
    assert await ready.nothing()


async def test_an_event_already_sent_is_not_sent_again(ready, moderator_a, session_a):
    question = await run(make_question)(session_a)
    await run(question_approve)(actor=moderator_a, question=question)
    first = await ready.frame()
    layer = get_channel_layer()

    for seq in (1, 0):
        await layer.group_send(
            events.group_name(session_a.pk, "crew"),
            {
                "type": events.GROUP_MESSAGE_TYPE,
                "seq": seq,
                "event": "question",
                "frame": events.frame_text(seq, "question", {}),
            },
        )

    assert first["seq"] == 1
    assert await ready.nothing()
    await ready.send({"type": "hello", "data": {"seq": 1}})
    assert [(f["seq"], f["type"]) for f in await ready.until("heartbeat")] == [(1, "heartbeat")]


async def test_heartbeats_carry_the_last_seq_sent(
    console, producer_a, moderator_a, session_a, settings
):
    settings.EVENT_HEARTBEAT_SECONDS = 0.05
    question = await run(make_question)(session_a)
    socket = await console(producer_a)
    await socket.snapshot()

    assert (await socket.frame())["seq"] == 0
    await run(question_approve)(actor=moderator_a, question=question)
    frames = await socket.until("question")
    frames += await socket.until("heartbeat")

    assert [f["seq"] for f in frames if f["type"] == "heartbeat"][-1] == 1
    assert frames[-1]["data"]["interval"] == 0.05


async def test_a_socket_behind_the_stream_for_two_heartbeats_catches_up_from_the_log(
    console, producer_a, moderator_a, session_a, settings, monkeypatch
):
    settings.EVENT_HEARTBEAT_SECONDS = 0.1
    settings.EVENT_HEAD_FROM_DATABASE = False  # the shared-cache path of several processes
    question = await run(make_question)(session_a)
    socket = await console(producer_a)
    await socket.snapshot()

    async def lost(messages):
        pass  # the channel layer never delivers; the stream's head is still recorded

    monkeypatch.setattr(events, "_send_all", lost)
    await run(question_approve)(actor=moderator_a, question=question)

    frames = await socket.until("question")
    assert [f["seq"] for f in frames[:-1]] == [0] * (len(frames) - 1)
    assert set(types(frames[:-1])) == {"heartbeat"}
    assert frames[-1]["seq"] == 1
    assert frames[-1]["data"]["question"]["status"] == "approved"
    assert (await socket.frame())["seq"] == 1


async def test_in_embedded_mode_a_change_from_another_process_arrives_at_the_next_heartbeat(
    console, producer_a, moderator_a, session_a, settings, monkeypatch
):
    # Without Redis, another process (a command, a replay) cannot reach this process's sockets
    # through the channel layer or the cache: the socket sees the head in the database.
    settings.EVENT_HEARTBEAT_SECONDS = 0.1
    settings.EVENT_HEAD_FROM_DATABASE = True
    question = await run(make_question)(session_a)
    socket = await console(producer_a)
    await socket.snapshot()

    async def elsewhere(messages):
        pass  # sent in another process: nothing reaches this one

    monkeypatch.setattr(events, "_send_all", elsewhere)
    monkeypatch.setattr(events.cache, "set_many", lambda *a, **k: None)
    await run(question_approve)(actor=moderator_a, question=question)

    frames = await socket.until("question")
    assert len([f for f in frames if f["type"] == "heartbeat"]) <= 2
    assert frames[-1]["seq"] == 1
    assert frames[-1]["data"]["question"]["status"] == "approved"


async def test_an_event_whose_process_died_before_sending_it_arrives_within_a_few_beats(
    console, producer_a, moderator_a, session_a, settings, monkeypatch
):
    # With Redis: committed by a process that was killed before it sent the event or recorded
    # the head in the cache. Only the database knows; sockets look there every few beats.
    settings.EVENT_HEARTBEAT_SECONDS = 0.1
    settings.EVENT_HEAD_FROM_DATABASE = False
    question = await run(make_question)(session_a)
    socket = await console(producer_a)
    await socket.snapshot()
    monkeypatch.setattr(events, "send", lambda messages: None)

    await run(question_approve)(actor=moderator_a, question=question)

    frames = await socket.until("question")
    beats = [f for f in frames if f["type"] == "heartbeat"]
    assert 1 <= len(beats) <= HEAD_FROM_DATABASE_EVERY + 1
    assert frames[-1]["seq"] == 1
    assert frames[-1]["data"]["question"]["status"] == "approved"


async def test_a_take_that_rolls_back_reaches_no_console(
    ready, host_a, session_a, approved_question
):
    def take_then_fail():
        with transaction.atomic():
            session_take_on_air(actor=host_a, session=session_a, question=approved_question)
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        await run(take_then_fail)()

    assert await ready.nothing()
    assert await run(status_of)(approved_question) == "approved"


def test_sockets_resuming_together_share_one_read_of_the_counts_made_after_they_joined(
    session_a, approved_question, django_assert_num_queries
):
    cast(question=approved_question, voter="a" * 32)
    joined = time.monotonic()
    with django_assert_num_queries(1):
        first = resume_votes_frame(session_a.pk, public=True, not_before=joined)
        second = resume_votes_frame(session_a.pk, public=True, not_before=joined)
    assert first is second
    assert json.loads(first)["data"]["counts"] == {str(approved_question.pk): 1}

    # A socket that joined after that read is not sent it: a count frame sent in between may
    # not have reached it.
    cast(question=approved_question, voter="b" * 32)
    with django_assert_num_queries(1):
        later = resume_votes_frame(session_a.pk, public=True, not_before=time.monotonic())
    assert json.loads(later)["data"]["counts"] == {str(approved_question.pk): 2}
    assert json.loads(later)["seq"] is None
