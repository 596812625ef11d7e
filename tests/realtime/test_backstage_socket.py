"""Backstage messages over the console socket: a producer sends, the host reads, both see it."""

from __future__ import annotations

import pytest

from live.models import BackstageMessage
from tests.realtime.sockets import run

pytestmark = pytest.mark.django_db(transaction=True)


async def until_ack(socket):
    frames = await socket.until("ack")
    return frames[-1]["data"], [f for f in frames if f["type"] == "backstage"]


async def test_a_message_reaches_the_host_and_its_receipt_comes_back(
    console, producer_a, host_a, session_a
):
    producer = await console(producer_a)
    await producer.snapshot()
    host = await console(host_a)
    await host.snapshot()

    await producer.command("backstage_send", {"text": "wrap up"}, id="m1")
    ack, _ = await until_ack(producer)
    assert ack["action"] == "backstage_send"
    assert ack["message"]["text"] == "wrap up"
    assert ack["message"]["read_at"] is None

    [arrived] = [f for f in await host.until("backstage")][-1:]
    assert arrived["data"]["message"]["text"] == "wrap up"
    assert arrived["data"]["message"]["sender"] == producer_a.username

    await host.command("backstage_read", {"message": ack["message"]["id"]}, id="r1")
    read_ack, _ = await until_ack(host)
    assert read_ack["message"]["read_by"] == host_a.username

    # The producer saw their own message go out, then the receipt.
    receipt = (await producer.until("backstage"))[-1]
    if receipt["data"]["message"]["read_at"] is None:
        receipt = (await producer.until("backstage"))[-1]
    assert receipt["data"]["message"]["read_by"] == host_a.username
    assert receipt["data"]["message"]["read_at"]


async def test_a_reconnecting_host_finds_the_unread_message_in_the_snapshot(
    console, producer_a, host_a, session_a
):
    producer = await console(producer_a)
    await producer.snapshot()
    await producer.command("backstage_send", {"text": "next: Claire"})
    await until_ack(producer)

    host = await console(host_a)
    snapshot = await host.snapshot()

    [message] = snapshot["data"]["backstage"]
    assert (message["text"], message["read_at"]) == ("next: Claire", None)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"text": "   "}, "message_empty"),
        ({"text": "x" * 141}, "message_too_long"),
        ({"text": "x" * 10_000}, "invalid"),
        ({}, "invalid"),
        ({"text": ["wrap up"]}, "invalid"),
    ],
)
async def test_bad_messages_get_an_error_frame_with_a_reason(
    console, producer_a, session_a, data, code
):
    producer = await console(producer_a)
    await producer.snapshot()

    await producer.command("backstage_send", data, id="bad")

    error = await producer.error()
    assert (error["id"], error["code"]) == ("bad", code)
    assert await run(BackstageMessage.objects.count)() == 0


async def test_a_host_cannot_send_and_a_moderator_cannot_read(
    console, producer_a, host_a, moderator_a, session_a
):
    host = await console(host_a)
    await host.snapshot()
    await host.command("backstage_send", {"text": "hello"}, id="h")
    assert (await host.error())["code"] == "forbidden"

    producer = await console(producer_a)
    await producer.snapshot()
    await producer.command("backstage_send", {"text": "wrap up"})
    ack, _ = await until_ack(producer)

    moderator = await console(moderator_a)
    await moderator.snapshot()
    await moderator.command("backstage_read", {"message": ack["message"]["id"]}, id="m")
    assert (await moderator.error())["code"] == "forbidden"


@pytest.mark.parametrize("message", [0, 999_999, "abc", None])
async def test_reading_a_message_not_in_the_session_is_refused(console, host_a, session_a, message):
    host = await console(host_a)
    await host.snapshot()

    await host.command("backstage_read", {"message": message}, id="r")

    assert (await host.error())["code"] in {"invalid", "not_found"}
