"""An ended session of station A past its retention, with every kind of audience data, and
what of it must not survive the retention run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from questions.models import (
    AirLogEntry,
    AudienceReport,
    Author,
    Draw,
    DrawEntry,
    ModerationLogEntry,
    Question,
    Vote,
)
from studio.models import AsRunEntry, EventLogEntry, LiveSession
from tests.factories import AuthorFactory, LiveSessionFactory, QuestionFactory

T0 = datetime(2026, 10, 1, 20, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=40)
VOTER_1, VOTER_2, VOTER_3 = ("a1" * 32, "b2" * 32, "c3" * 32)


def at(minutes: int, seconds: int = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def _created(model: Any, pk: int, when: datetime) -> None:
    model.objects.filter(pk=pk).update(created_at=when)


@dataclass
class Seeded:
    session: LiveSession
    aired: Question
    aired_renamed: Question
    secrets: list[str] = field(default_factory=list)
    kept_texts: list[str] = field(default_factory=list)


def rows_of_session(session: LiveSession) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table that refers to the session, its questions or its draws, and
    the authors they point to: found by walking the models, so a new table is not missed."""
    found: dict[str, list[dict[str, Any]]] = {}
    author_ids: set[int] = set()
    for model in apps.get_models():
        for fk in model._meta.get_fields():
            if not (getattr(fk, "many_to_one", False) and getattr(fk, "concrete", False)):
                continue
            target = fk.related_model
            if target is LiveSession:
                lookup = {fk.name: session}
            elif target in (Question, Draw):
                lookup = {f"{fk.name}__session": session}
            else:
                continue
            rows = list(model.objects.filter(**lookup).values())
            found.setdefault(model._meta.label, []).extend(rows)
            for row in rows:
                if model in (Question, DrawEntry) and row.get("author_id"):
                    author_ids.add(row["author_id"])
    found["questions.Author"] = list(Author.objects.filter(pk__in=author_ids).values())
    return found


@pytest.fixture
def seeded(station_a, station_b, producer_a, moderator_a) -> Seeded:
    """Ended at T0 + 1 h, retention 30 days; read at NOW = T0 + 40 days.

    - Wren Okafor (social, @wren@mastodon.example, 1,200 followers) asked the aired question
      (answered) and an approved one that never aired, and also wrote in session B (station B).
    - Aurélie Dubois (web, her voter id VOTER_1) sent a rejected question with a phone number
      (flagged) and voted; she also asked in another session of station A still inside retention.
    - A texter (SMS, phone hash) sent a pending question, won the draw, and a second question that
      aired under the on-air name "A listener from Lyon".
    - Three voters, one report, a draw with two entries, an edit and a rejection in the log, and
      a replay event quoting a text.
    """
    session = LiveSessionFactory(
        station=station_a,
        title="Autumn special",
        slug="autumn-special",
        status="ended",
        started_at=T0,
        ended_at=T0 + timedelta(hours=1),
        retention_days=30,
    )
    wren = AuthorFactory(
        platform="mastodon",
        external_id="109384756102938475",
        display_name="Wren Okafor",
        handle="@wren@mastodon.example",
        avatar_url="https://mastodon.example/avatars/wren.png",
        followers_count=1200,
    )
    aurelie = AuthorFactory(platform="web", external_id=VOTER_1, display_name="Aurélie Dubois")
    texter = AuthorFactory(platform="sms", external_id="f0e1d2c3" * 8, display_name="Texto Tango")

    aired = QuestionFactory(
        session=session,
        author=wren,
        author_name="Wren Okafor",
        text="What inspired the new album?",
        source="social:mastodon",
        external_id="109384756199999999",
        status="answered",
        vote_count=3,
    )
    aired_renamed = QuestionFactory(
        session=session,
        author=texter,
        author_name="Texto Tango",
        air_name="A listener from Lyon",
        text="Will you tour in Lyon next spring?",
        original_text="will u tour in lyon next spring call me 0612345678",
        source="sms",
        external_id="SM0123456789abcdef",
        status="answered",
        vote_count=1,
    )
    unaired_wren = QuestionFactory(
        session=session,
        author=wren,
        author_name="Wren Okafor",
        text="Is the drummer quixotically left-handed?",
        source="social:mastodon",
        external_id="109384756188888888",
        status="approved",
        vote_count=2,
    )
    rejected = QuestionFactory(
        session=session,
        author=aurelie,
        author_name="Aurélie Dubois",
        text="Call me at 06 98 76 54 32 about zanzibarian tickets",
        source="web",
        status="rejected",
        flags=[{"code": "personal_data", "reason": "Personal data: phone number 06 •• •• •• 32"}],
    )
    pending = QuestionFactory(
        session=session,
        author=texter,
        author_name="Texto Tango",
        text="Any gigs near Grenoble for the snowboarders?",
        source="sms",
        external_id="SMfedcba9876543210",
        status="pending",
    )
    for minutes, question in enumerate([aired, aired_renamed, unaired_wren, rejected, pending]):
        _created(Question, question.pk, at(minutes, 10))
        Question.objects.filter(pk=question.pk).update(
            approved_at=at(minutes, 40) if question.status != "pending" else None
        )

    AsRunEntry.objects.create(
        session=session,
        question=aired,
        taken_by=producer_a,
        taken_at=at(10),
        ended_at=at(12),
        outcome="answered",
    )
    AsRunEntry.objects.create(
        session=session,
        question=aired_renamed,
        taken_by=producer_a,
        taken_at=at(13),
        ended_at=at(14, 30),
        outcome="answered",
    )
    AirLogEntry.objects.create(
        session=session,
        question=aired_renamed,
        actor=producer_a,
        action="take",
        created_at=at(13),
        details={"flags": [{"code": "personal_data", "reason": "Name: Texto Tango"}]},
    )
    for question, minutes in ((aired, 1), (aired_renamed, 2), (unaired_wren, 3)):
        entry = ModerationLogEntry.objects.create(
            session=session,
            question=question,
            actor=moderator_a,
            action="approve",
            from_status="pending",
            to_status="approved",
        )
        _created(ModerationLogEntry, entry.pk, at(minutes, 40))
    entry = ModerationLogEntry.objects.create(
        session=session,
        question=rejected,
        actor=moderator_a,
        action="reject",
        from_status="pending",
        to_status="rejected",
        reason="Off topic",
    )
    _created(ModerationLogEntry, entry.pk, at(3, 50))
    entry = ModerationLogEntry.objects.create(
        session=session,
        question=unaired_wren,
        actor=moderator_a,
        action="edit",
        details={"text": "Is the drummer quixotically left-handed?"},
    )
    _created(ModerationLogEntry, entry.pk, at(4))

    for question, voters, minute in (
        (aired, (VOTER_1, VOTER_2, VOTER_3), 5),
        (aired_renamed, (VOTER_2,), 6),
        (unaired_wren, (VOTER_1, VOTER_3), 7),
    ):
        for voter in voters:
            vote = Vote.objects.create(question=question, voter=voter)
            _created(Vote, vote.pk, at(minute))
    report = AudienceReport.objects.create(question=unaired_wren, reporter=VOTER_2)
    _created(AudienceReport, report.pk, at(8))

    draw = Draw.objects.create(
        session=session,
        title="Two tickets",
        keyword="#tickets",
        starts_at=T0,
        ends_at=at(30),
        status="drawn",
        seed="ab12",
    )
    DrawEntry.objects.create(draw=draw, author=texter, question=pending, winner_rank=1)
    DrawEntry.objects.create(draw=draw, author=wren, question=unaired_wren)
    EventLogEntry.objects.create(
        session=session,
        stream="crew",
        seq=1,
        type="question",
        data={"text": "Any gigs near Grenoble for the snowboarders?", "name": "Texto Tango"},
    )

    # Elsewhere: Wren in station B; Aurélie in a session of station A still inside retention.
    recent = LiveSessionFactory(
        station=station_a,
        slug="recent-show",
        status="ended",
        started_at=NOW - timedelta(days=3),
        ended_at=NOW - timedelta(days=3),
        retention_days=30,
    )
    QuestionFactory(
        session=recent, author=aurelie, author_name="Aurélie Dubois", text="Still kept?"
    )
    other = LiveSessionFactory(station=station_b, slug="station-b-show", status="live")
    QuestionFactory(session=other, author=wren, author_name="Wren Okafor", text="Hello B?")

    return Seeded(
        session=session,
        aired=aired,
        aired_renamed=aired_renamed,
        secrets=[
            "Aurélie Dubois",
            "Texto Tango",
            "@wren@mastodon.example",
            "mastodon.example/avatars",
            "109384756102938475",  # Wren's account id
            "1093847561",  # the message ids of her posts
            "SM0123456789abcdef",
            "SMfedcba9876543210",
            "f0e1d2c3",  # the phone hash
            VOTER_1,
            VOTER_2,
            VOTER_3,
            "quixotically",
            "zanzibarian",
            "Grenoble",
            "0612345678",
            "98 76 54",
            "phone number 06",
        ],
        kept_texts=["What inspired the new album?", "Will you tour in Lyon next spring?"],
    )


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def real_now() -> datetime:
    return timezone.now()
