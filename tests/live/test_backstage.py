"""Backstage messages: producer to host, plain text, logged, with a read receipt."""

from __future__ import annotations

import pytest
from django.db import transaction

from live.backstage import backstage_read, backstage_send
from live.models import BACKSTAGE_MESSAGE_MAX_LENGTH, BackstageMessage
from live.snapshots import console_snapshot
from studio.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from studio.models import EventLogEntry

pytestmark = pytest.mark.django_db


def crew_events(session, type_="backstage"):
    return [
        e.data
        for e in EventLogEntry.objects.filter(session=session, type=type_).order_by("seq")
        if e.stream == "crew"
    ]


def test_a_producer_sends_plain_text_that_the_crew_stream_carries(producer_a, session_a):
    message = backstage_send(
        actor=producer_a, session=session_a, text="  <b>wrap</b>   up\n now &amp; go "
    )

    assert message.text == "wrap up now & go"
    assert message.sender == producer_a
    assert message.read_at is None
    [event] = crew_events(session_a)
    assert event["message"]["text"] == "wrap up now & go"
    assert event["message"]["sender"] == producer_a.username
    assert event["message"]["read_at"] is None
    # Backstage is for the crew only.
    assert not EventLogEntry.objects.filter(type="backstage").exclude(stream="crew").exists()


def test_a_moderator_may_send_but_a_host_or_a_viewer_may_not(
    moderator_a, host_a, viewer_a, session_a
):
    backstage_send(actor=moderator_a, session=session_a, text="next: Claire")
    for user in (host_a, viewer_a):
        with pytest.raises(NotAllowed):
            backstage_send(actor=user, session=session_a, text="hello")
    assert list(BackstageMessage.objects.values_list("text", flat=True)) == ["next: Claire"]


def test_crew_of_another_station_are_told_the_session_does_not_exist(producer_b, session_a):
    with pytest.raises(NotFound):
        backstage_send(actor=producer_b, session=session_a, text="hi")


@pytest.mark.parametrize("text", ["", "   ", "<p> </p>", "\u200b\n"])
def test_an_empty_message_is_refused_with_a_reason(producer_a, session_a, text):
    with pytest.raises(ValidationFailed) as refused:
        backstage_send(actor=producer_a, session=session_a, text=text)

    assert refused.value.code == "message_empty"
    assert refused.value.message
    assert not BackstageMessage.objects.exists()


def test_an_oversized_message_is_refused_and_the_exact_limit_passes(producer_a, session_a):
    with pytest.raises(ValidationFailed) as refused:
        backstage_send(
            actor=producer_a, session=session_a, text="x" * (BACKSTAGE_MESSAGE_MAX_LENGTH + 1)
        )
    assert refused.value.code == "message_too_long"
    assert str(BACKSTAGE_MESSAGE_MAX_LENGTH) in refused.value.message

    ok = backstage_send(
        actor=producer_a, session=session_a, text="y" * BACKSTAGE_MESSAGE_MAX_LENGTH
    )
    assert len(ok.text) == BACKSTAGE_MESSAGE_MAX_LENGTH
    assert BackstageMessage.objects.count() == 1


def test_the_host_reads_once_and_the_receipt_is_published(producer_a, host_a, session_a):
    message = backstage_send(actor=producer_a, session=session_a, text="wrap up")

    read = backstage_read(actor=host_a, message=message)
    first_read_at = read.read_at
    again = backstage_read(actor=host_a, message=message)

    assert read.read_by == host_a
    assert first_read_at is not None
    assert again.read_at == first_read_at  # the first receipt stands
    sent, receipt = crew_events(session_a)
    assert sent["message"]["read_at"] is None
    assert receipt["message"]["read_by"] == host_a.username
    assert receipt["message"]["read_at"] == first_read_at.isoformat()


def test_a_moderator_cannot_mark_the_hosts_message_read(producer_a, moderator_a, session_a):
    message = backstage_send(actor=producer_a, session=session_a, text="wrap up")

    with pytest.raises(NotAllowed):
        backstage_read(actor=moderator_a, message=message)
    assert BackstageMessage.objects.get(pk=message.pk).read_at is None


def test_the_sender_cannot_give_their_own_message_a_receipt(producer_a, session_a):
    message = backstage_send(actor=producer_a, session=session_a, text="wrap up")

    with pytest.raises(Conflict) as refused:
        backstage_read(actor=producer_a, message=message)
    assert refused.value.code == "own_message"
    assert BackstageMessage.objects.get(pk=message.pk).read_at is None


def test_nothing_is_published_when_the_sending_transaction_rolls_back(producer_a, session_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        backstage_send(actor=producer_a, session=session_a, text="never sent")
        raise RuntimeError("rolled back")

    assert not BackstageMessage.objects.exists()
    assert crew_events(session_a) == []


def test_the_console_snapshot_starts_from_unread_and_recent_messages(
    producer_a, host_a, session_a, session_b, producer_b
):
    first = backstage_send(actor=producer_a, session=session_a, text="first")
    backstage_read(actor=host_a, message=first)
    backstage_send(actor=producer_a, session=session_a, text="second")
    backstage_send(actor=producer_b, session=session_b, text="other station")

    shown = console_snapshot(session_a)["data"]["backstage"]

    assert [(m["text"], m["read_by"]) for m in shown] == [
        ("first", host_a.username),
        ("second", None),
    ]


def test_the_crew_api_lists_the_log_to_the_crew_only(
    api_as, producer_a, host_a, producer_b, session_a
):
    message = backstage_send(actor=producer_a, session=session_a, text="wrap up")
    backstage_read(actor=host_a, message=message)

    listed = api_as(host_a).get(f"/api/sessions/{session_a.pk}/backstage/")
    assert listed.status_code == 200
    [row] = listed.json()
    assert row["text"] == "wrap up"
    assert row["sender"] == producer_a.username
    assert row["read_by"] == host_a.username

    assert api_as(producer_b).get(f"/api/sessions/{session_a.pk}/backstage/").status_code == 404
