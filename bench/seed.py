"""Seed the bench database: ``python -m bench.seed`` prints what the clients need as JSON.

One station, one producer logged in (a Django session made the way ``django.contrib.auth.login``
makes it), and two live sessions of 5,000 approved questions each: ``bench`` for the studio and
``bench-naive`` for the naive peer, so that neither design sees the other's votes. Rows are
written with bulk_create: no events, no moderation log, just the state a long show would reach.
"""

from __future__ import annotations

import json
import os
import random
import sys
from datetime import timedelta
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialroom.settings")
django.setup()

from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.contrib.auth.hashers import PBKDF2PasswordHasher  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.config import PASSWORD, PEER_SESSION_SLUG, QUESTIONS, SESSION_SLUG  # noqa: E402
from questions.models import Question, QuestionStatus  # noqa: E402
from studio.models import LiveSession, Membership, Role, SessionStatus, Station  # noqa: E402

NAMES = ["Camille", "Jordan", "Luc", "Inès", "Priya", "Hugo", "Sam", "Nadia", "Morgan", "Théo"]
OPENINGS = [
    "What made you",
    "How do you feel about",
    "Quand allez-vous",
    "Why did you choose",
    "Pourquoi avoir",
    "Will you ever",
    "What is the story behind",
    "Comment voyez-vous",
]
TOPICS = [
    "the new album",
    "the tour next spring",
    "public broadcasting",
    "the budget for culture",
    "writing on the piano",
    "recording in Lisbon",
    "young musicians starting out",
    "the vinyl edition",
]


def fast_password_hash(password: str) -> str:
    """A valid PBKDF2 hash with few iterations: the producer never logs in with it (the bench
    makes their session directly), and a full-strength hash costs seconds on this machine."""
    hasher = PBKDF2PasswordHasher()
    return hasher.encode(password, hasher.salt(), iterations=1000)


def logged_in_session(user) -> str:
    """A session cookie value for ``user``, holding what auth.login would store."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def live_session(station: Station, producer, slug: str, title: str) -> LiveSession:
    return LiveSession.objects.create(
        station=station,
        title=title,
        slug=slug,
        status=SessionStatus.LIVE,
        submissions_open=True,
        created_by=producer,
        started_at=timezone.now() - timedelta(hours=1),
    )


def approved_questions(session: LiveSession, count: int, rng: random.Random) -> list[int]:
    """``count`` approved questions, approved over the last hour, in creation order."""
    now = timezone.now()
    rows = []
    for n in range(count):
        approved_at = now - timedelta(seconds=rng.uniform(0, 3600))
        rows.append(
            Question(
                session=session,
                text=f"{rng.choice(OPENINGS)} {rng.choice(TOPICS)}? (#{n})",
                author_name=rng.choice(NAMES),
                source=rng.choice(["web", "web", "sms", "social:mastodon"]),
                status=QuestionStatus.APPROVED,
                starred=n % 97 == 0,
                approved_at=approved_at,
                language="en",
                is_question=True,
            )
        )
    created = Question.objects.bulk_create(rows, batch_size=1000)
    return [q.pk for q in created]


def copy_questions(source: LiveSession, target: LiveSession) -> list[int]:
    """The same questions in another session (one INSERT ... SELECT), in the same order."""
    table = Question._meta.db_table
    columns = [f.column for f in Question._meta.concrete_fields if not f.primary_key]
    copied = ", ".join(connection.ops.quote_name(c) for c in columns)
    selected = ", ".join(
        "%s" if c == "session_id" else connection.ops.quote_name(c) for c in columns
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({copied}) SELECT {selected} FROM {table} "  # noqa: S608
            "WHERE session_id = %s ORDER BY id",
            [target.pk, source.pk],
        )
    return list(Question.objects.filter(session=target).order_by("id").values_list("id", flat=True))


@transaction.atomic
def seed() -> dict[str, Any]:
    rng = random.Random(20261122)  # noqa: S311 - sample data, the same every run
    station = Station.objects.create(name="Bench FM", slug="bench-fm")
    producer = get_user_model().objects.create(
        username="producer", password=fast_password_hash(PASSWORD)
    )
    Membership.objects.create(station=station, user=producer, role=Role.PRODUCER)
    ours = live_session(station, producer, SESSION_SLUG, "Bench session")
    peer = live_session(station, producer, PEER_SESSION_SLUG, "Bench session (naive peer)")
    ours_questions = approved_questions(ours, QUESTIONS, rng)
    return {
        "sessionid": logged_in_session(producer),
        "ours": {
            "id": ours.pk,
            "slug": ours.slug,
            "overlay_key": ours.overlay_key,
            "questions": ours_questions,
        },
        "peer": {
            "id": peer.pk,
            "slug": peer.slug,
            "overlay_key": peer.overlay_key,
            "questions": copy_questions(ours, peer),
        },
    }


if __name__ == "__main__":
    json.dump(seed(), sys.stdout)
