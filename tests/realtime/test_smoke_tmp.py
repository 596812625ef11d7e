import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from questions import services
from socialroom.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def test_smoke(session_a, producer_a, pending_question):
    from django.test import Client

    c = Client()
    await database_sync_to_async(c.force_login)(producer_a)
    cookie = c.cookies["sessionid"].value
    comm = WebsocketCommunicator(
        application,
        "/ws/console/live-a/",
        headers=[(b"origin", b"http://localhost"), (b"cookie", f"sessionid={cookie}".encode())],
    )
    ok, _ = await comm.connect()
    assert ok
    await comm.send_json_to({"type": "hello", "data": {"seq": None}})
    snap = await comm.receive_json_from()
    print(snap)
    hb = await comm.receive_json_from()
    print(hb)
    await comm.send_json_to(
        {"type": "approve", "id": "c1", "data": {"question": pending_question.pk}}
    )
    for _ in range(2):
        print(await comm.receive_json_from())
    ov = WebsocketCommunicator(application, f"/ws/overlay/live-a/?key={session_a.overlay_key}")
    ok, _ = await ov.connect()
    await ov.send_json_to({"type": "hello"})
    print(await ov.receive_json_from())
    await comm.send_json_to({"type": "take", "id": "c2", "data": {"question": pending_question.pk}})
    for _ in range(4):
        print(await comm.receive_json_from())
    print("OV", await ov.receive_json_from(), await ov.receive_json_from())
    await comm.disconnect()
    await ov.disconnect()
