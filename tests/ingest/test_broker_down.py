"""With the task broker unreachable, webhooks answer 503 and a retry delay: the sender's retry
delivers the message later, and nothing is half-accepted."""

from __future__ import annotations

import json

import pytest
from kombu.exceptions import OperationalError

from questions.models import IngestFeed, Question
from tests.helpers import assert_error
from tests.ingest.fakes import fixture, webhook_signature

pytestmark = pytest.mark.django_db

SECRET = "whsec-0123456789abcdef0123456789abcdef"


class _BrokerDown:
    def delay(self, *args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_a_webhook_message_is_refused_with_a_retry_delay_while_the_broker_is_down(
    client, session_a, monkeypatch
):
    feed = IngestFeed.objects.create(session=session_a, kind="webhook", secret=SECRET)
    body = json.dumps(fixture("webhook_message.json")).encode()
    headers = {"X-Socialroom-Signature": webhook_signature(SECRET, body, None)}
    monkeypatch.setattr("questions.ingest.views.ingest_message", _BrokerDown())

    refused = client.post(
        f"/ingest/webhook/{feed.token}/", body, content_type="application/json", headers=headers
    )
    monkeypatch.undo()
    retried = client.post(
        f"/ingest/webhook/{feed.token}/", body, content_type="application/json", headers=headers
    )

    assert_error(refused, 503, "unavailable")
    assert refused["Retry-After"] == "5"
    assert retried.status_code == 202
    assert Question.objects.filter(session=session_a).count() == 1
