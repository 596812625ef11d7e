"""A seeded session for the report's figures, with every number known in advance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from questions.models import Ban, ModerationLogEntry, Question, Vote
from studio.models import AsRunEntry, Role
from tests.factories import (
    AuthorFactory,
    LiveSessionFactory,
    MembershipFactory,
    QuestionFactory,
    UserFactory,
)

# The first minute of the seeded show, and the moment the report is read.
T0 = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
REPORT_NOW = T0 + timedelta(minutes=6)


def at(minutes: int, seconds: int = 0) -> datetime:
    """T0 + minutes:seconds."""
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def set_created(model, pk: int, when: datetime) -> None:
    model.objects.filter(pk=pk).update(created_at=when)


def log_entry(session, question, actor, action, when, *, to="", frm="", reason=""):
    entry = ModerationLogEntry.objects.create(
        session=session,
        question=question,
        actor=actor,
        action=action,
        from_status=frm,
        to_status=to,
        reason=reason,
    )
    set_created(ModerationLogEntry, entry.pk, when)
    return entry


@pytest.fixture
def nina(station_a):
    """A second moderator of station A."""
    user = UserFactory(username="nina")
    MembershipFactory(station=station_a, user=user, role=Role.MODERATOR)
    return user


@pytest.fixture
def report_session(station_a, producer_a, moderator_a, host_a, nina):
    """An ended session of station A ("Evening debate", slug ``evening-debate``, hashtag
    ``#debate``), started at T0 = 2026-11-20 20:00 UTC, read at REPORT_NOW = T0 + 6 min.

    Ten questions (arrival m:ss after T0, source, author, final status, votes, flags):

    ====  =====  ===============  ===============================  =========  =====  ==========
    q     at     source           author (platform, followers)     status     votes  flags
    ====  =====  ===============  ===============================  =========  =====  ==========
    q1    0:10   web              Camille (web, None)              answered   4
    q2    0:40   sms              "+33 6•• •• •• 12" (sms, None)   approved   1
    q3    1:05   social:mastodon  Ada @ada@mastodon.example 1200   answered   6
    q4    1:20   social:bluesky   Cy cy.bsky.social 300            rejected   0
    q5    2:30   social:threads   Dee @dee (threads) 50            pending    0      link
    q6    2:50   manual           no author, signed "Studio"       approved   2
    q7    2:55   web              Camille again                    rejected   0      profanity
    q8    3:10   social:mastodon  Bea @bea@mastodon.example None   approved   2
    q9    3:30   social:mastodon  Troll @troll (banned) 9999       pending    0
    q10   4:10   social:mastodon  Troll again                      rejected   0      banned
    ====  =====  ===============  ===============================  =========  =====  ==========

    Texts: q1 "What is the budget for culture?", q2 "Le budget de la culture baisse?",
    q3 "Will the orchestra tour in spring? #orchestra", q4 "Buy cheap watches now",
    q5 "Orchestra budget cuts? see https://x.example/a", q6 "Studio question about the
    orchestra", q7 "damn budget", q8 "Budget for the orchestra?", q9 "Orchestra scandal",
    q10 "Orchestra scandal again". Troll is banned by station A.

    Moderation log: a ``submit`` per question at its arrival (studio, to pending; q6 by alice
    to approved; q10 by the studio to rejected, reason "Author is banned by the station.");
    mona approves q1 at +20 s and q2 at +50 s, rejects q7 at +65 s (no reason) and stars q3;
    nina approves q3 at +25 s, rejects q4 at +40 s ("Off topic") and approves q8 at +110 s.

    Votes (voters v1…v6): minute 1: q1 by v1 v2 v3, q2 by v1; minute 2: q3 by v1…v4, q1 by v4;
    minute 3: q3 by v5 v6, q6 by v5 v6; minute 4: q8 by v1 v2.

    As-run: q1 taken by hugo at 2:00, ended by hugo at 3:30 (replaced); q3 taken by hugo at
    3:30, ended by alice at 4:30 (answered).

    The fixture returns the session; ``session.q`` maps "q1"…"q10" to the questions.
    """
    session = LiveSessionFactory(
        station=station_a,
        title="Evening debate",
        slug="evening-debate",
        status="ended",
        hashtags=["#debate"],
        started_at=T0,
        ended_at=at(5),
    )
    camille = AuthorFactory(platform="web", display_name="Camille")
    phone = AuthorFactory(
        platform="sms", display_name="+33 6•• •• •• 12", handle="+33 6•• •• •• 12"
    )
    ada = AuthorFactory(
        platform="mastodon",
        display_name="Ada",
        handle="@ada@mastodon.example",
        followers_count=1200,
    )
    cy = AuthorFactory(
        platform="bluesky", display_name="Cy", handle="cy.bsky.social", followers_count=300
    )
    dee = AuthorFactory(platform="threads", display_name="Dee", handle="@dee", followers_count=50)
    bea = AuthorFactory(platform="mastodon", display_name="Bea", handle="@bea@mastodon.example")
    troll = AuthorFactory(
        platform="mastodon", display_name="Troll", handle="@troll", followers_count=9999
    )
    Ban.objects.create(station=station_a, author=troll, created_by=producer_a)

    link = [{"code": "link", "reason": "Contains a link."}]
    rows = [
        ("q1", at(0, 10), "web", camille, "answered", 4, "What is the budget for culture?", []),
        ("q2", at(0, 40), "sms", phone, "approved", 1, "Le budget de la culture baisse?", []),
        (
            "q3",
            at(1, 5),
            "social:mastodon",
            ada,
            "answered",
            6,
            "Will the orchestra tour in spring? #orchestra",
            [],
        ),
        ("q4", at(1, 20), "social:bluesky", cy, "rejected", 0, "Buy cheap watches now", []),
        (
            "q5",
            at(2, 30),
            "social:threads",
            dee,
            "pending",
            0,
            "Orchestra budget cuts? see https://x.example/a",
            link,
        ),
        ("q6", at(2, 50), "manual", None, "approved", 2, "Studio question about the orchestra", []),
        (
            "q7",
            at(2, 55),
            "web",
            camille,
            "rejected",
            0,
            "damn budget",
            [{"code": "profanity", "reason": "Profanity: damn."}],
        ),
        ("q8", at(3, 10), "social:mastodon", bea, "approved", 2, "Budget for the orchestra?", []),
        ("q9", at(3, 30), "social:mastodon", troll, "pending", 0, "Orchestra scandal", []),
        (
            "q10",
            at(4, 10),
            "social:mastodon",
            troll,
            "rejected",
            0,
            "Orchestra scandal again",
            [{"code": "banned", "reason": "Author is banned by the station."}],
        ),
    ]
    q: dict[str, Question] = {}
    for key, when, source, author, status, votes, text, flags in rows:
        question = QuestionFactory(
            session=session,
            text=text,
            author=author,
            author_name=author.display_name if author else "Studio",
            source=source,
            status=status,
            vote_count=votes,
            flags=flags,
        )
        set_created(Question, question.pk, when)
        question.created_at = when
        q[key] = question

    for key, when, *_ in rows:
        if key == "q6":
            log_entry(session, q[key], producer_a, "submit", when, to="approved")
        elif key == "q10":
            reason = "Author is banned by the station."
            log_entry(session, q[key], None, "submit", when, to="rejected", reason=reason)
        else:
            log_entry(session, q[key], None, "submit", when, to="pending")

    mona = moderator_a
    decisions = [
        ("q1", mona, "approve", 20, "approved", ""),
        ("q2", mona, "approve", 50, "approved", ""),
        ("q3", nina, "approve", 25, "approved", ""),
        ("q4", nina, "reject", 40, "rejected", "Off topic"),
        ("q7", mona, "reject", 65, "rejected", ""),
        ("q8", nina, "approve", 110, "approved", ""),
    ]
    for key, actor, action, delay, to, reason in decisions:
        when = q[key].created_at + timedelta(seconds=delay)
        log_entry(session, q[key], actor, action, when, frm="pending", to=to, reason=reason)
    log_entry(session, q["q3"], mona, "star", at(1, 40))

    votes = [
        (1, "q1", ["v1", "v2", "v3"]),
        (1, "q2", ["v1"]),
        (2, "q3", ["v1", "v2", "v3", "v4"]),
        (2, "q1", ["v4"]),
        (3, "q3", ["v5", "v6"]),
        (3, "q6", ["v5", "v6"]),
        (4, "q8", ["v1", "v2"]),
    ]
    for minute, key, voters in votes:
        for n, voter in enumerate(voters):
            vote = Vote.objects.create(question=q[key], voter=f"{voter:0>64}")
            set_created(Vote, vote.pk, at(minute, 5 + n))

    AsRunEntry.objects.create(
        session=session,
        question=q["q1"],
        taken_by=host_a,
        taken_at=at(2),
        ended_by=host_a,
        ended_at=at(3, 30),
        outcome="replaced",
    )
    AsRunEntry.objects.create(
        session=session,
        question=q["q3"],
        taken_by=host_a,
        taken_at=at(3, 30),
        ended_by=producer_a,
        ended_at=at(4, 30),
        outcome="answered",
    )
    session.q = q
    return session
