"""The cast the fuzz tests attack: station A's live session with something of everything."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import timezone

from questions.models import Ban, IngestFeed, Question
from studio.models import Guest, LiveSession
from tests.factories import GuestFactory, QuestionFactory

SMS_SECRET = "twilio-auth-token-0123456789"
WEBHOOK_SECRET = "whsec-0123456789abcdef0123456789abcdef"


@dataclass
class Cast:
    session: LiveSession
    guest: Guest
    approved: Question
    pending: Question
    ban: Ban
    sms: IngestFeed
    webhook: IngestFeed


@pytest.fixture
def cast(session_a, producer_a, producer_b, session_b) -> Cast:
    session_a.hashtags = ["SocialRoom"]
    session_a.save(update_fields=["hashtags"])
    approved = QuestionFactory(
        session=session_a, status="approved", text="When is the tour?", approved_at=timezone.now()
    )
    pending = QuestionFactory(session=session_a, status="pending", text="Pending?")
    QuestionFactory(session=session_b, status="approved", approved_at=timezone.now())
    return Cast(
        session=session_a,
        guest=session_a.guests.first() or GuestFactory(session=session_a),
        approved=approved,
        pending=pending,
        ban=Ban.objects.create(station=session_a.station, author=pending.author, reason="spam"),
        sms=IngestFeed.objects.create(session=session_a, kind="sms", secret=SMS_SECRET),
        webhook=IngestFeed.objects.create(session=session_a, kind="webhook", secret=WEBHOOK_SECRET),
    )
