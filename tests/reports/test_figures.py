"""The report's figures on the seeded session, against values worked out by hand."""

from __future__ import annotations

import json

import pytest

from questions.models import Author, Question, Vote
from reports.figures import SOURCE_BUCKETS, session_report, source_bucket
from tests.factories import AuthorFactory
from tests.reports.conftest import REPORT_NOW, T0, at

# The queries of one report, whatever the size of the session.
MAX_QUERIES = 18


def _iso(value):
    return value.isoformat()


@pytest.fixture
def report(report_session):
    return session_report(report_session, now=REPORT_NOW)


@pytest.mark.parametrize(
    ("source", "bucket"),
    [
        ("web", "web"),
        ("sms", "sms"),
        ("social:mastodon", "mastodon"),
        ("social:bluesky", "bluesky"),
        ("social:threads", "webhook"),
        ("manual", "crew"),
        ("import", "crew"),
    ],
)
def test_every_source_falls_in_its_bucket(source, bucket):
    assert source_bucket(source) == bucket
    assert bucket in SOURCE_BUCKETS


def test_the_report_names_the_session_and_its_window(report, report_session):
    assert report["session"] == {
        "id": report_session.pk,
        "slug": "evening-debate",
        "title": "Evening debate",
        "status": "ended",
        "station": "Radio A",
    }
    assert report["generated_at"] == _iso(REPORT_NOW)
    assert report["window"] == {"start": _iso(T0), "end": _iso(at(4)), "minutes": 5}
    assert report["sources"] == ["web", "sms", "mastodon", "bluesky", "webhook", "crew"]
    json.dumps(report)


def test_totals_count_questions_by_status_and_source_votes_voters_and_authors(report):
    assert report["totals"] == {
        "questions": 10,
        "by_status": {
            "pending": 2,
            "approved": 3,
            "rejected": 3,
            "on_air": 0,
            "answered": 2,
            "archived": 0,
        },
        "by_source": {"web": 2, "sms": 1, "mastodon": 4, "bluesky": 1, "webhook": 1, "crew": 1},
        "votes": 15,
        "voters": 6,
        "authors": 7,
    }


def _sources(**counts):
    return {bucket: counts.get(bucket, 0) for bucket in SOURCE_BUCKETS}


def test_questions_and_votes_are_counted_per_minute_and_source(report):
    assert report["per_minute"] == [
        {"minute": _iso(at(0)), "by_source": _sources(web=1, sms=1), "total": 2, "votes": 0},
        {
            "minute": _iso(at(1)),
            "by_source": _sources(mastodon=1, bluesky=1),
            "total": 2,
            "votes": 4,
        },
        {
            "minute": _iso(at(2)),
            "by_source": _sources(webhook=1, crew=1, web=1),
            "total": 3,
            "votes": 5,
        },
        {"minute": _iso(at(3)), "by_source": _sources(mastodon=2), "total": 2, "votes": 4},
        {"minute": _iso(at(4)), "by_source": _sources(mastodon=1), "total": 1, "votes": 2},
    ]


def test_a_quiet_minute_is_there_with_zeros(report_session):
    Question.objects.filter(pk=report_session.q["q10"].pk).update(created_at=at(7, 1))
    report = session_report(report_session, now=REPORT_NOW)
    assert [m["total"] for m in report["per_minute"]] == [2, 2, 3, 2, 0, 0, 0, 1]
    assert report["per_minute"][5] == {
        "minute": _iso(at(5)),
        "by_source": _sources(),
        "total": 0,
        "votes": 0,
    }


def test_a_live_session_runs_its_window_up_to_now(report_session):
    report_session.status = "live"
    report_session.save()
    report = session_report(report_session, now=at(9, 30))
    assert report["window"] == {"start": _iso(T0), "end": _iso(at(9)), "minutes": 10}


def test_on_air_marks_and_the_as_run_log_say_what_aired_when_and_for_how_long(
    report, report_session
):
    q1, q3 = report_session.q["q1"].pk, report_session.q["q3"].pk
    assert report["on_air_marks"] == [
        {"question_id": q1, "taken_at": _iso(at(2)), "ended_at": _iso(at(3, 30))},
        {"question_id": q3, "taken_at": _iso(at(3, 30)), "ended_at": _iso(at(4, 30))},
    ]
    assert report["as_run"] == [
        {
            "question_id": q1,
            "text": "What is the budget for culture?",
            "name": "Camille",
            "source": "web",
            "taken_at": _iso(at(2)),
            "ended_at": _iso(at(3, 30)),
            "duration_seconds": 90.0,
            "taken_by": "hugo",
            "ended_by": "hugo",
            "outcome": "replaced",
        },
        {
            "question_id": q3,
            "text": "Will the orchestra tour in spring? #orchestra",
            "name": "Ada",
            "source": "mastodon",
            "taken_at": _iso(at(3, 30)),
            "ended_at": _iso(at(4, 30)),
            "duration_seconds": 60.0,
            "taken_by": "hugo",
            "ended_by": "alice",
            "outcome": "answered",
        },
    ]


def test_the_as_run_log_shows_the_on_air_wording_and_name(report_session):
    Question.objects.filter(pk=report_session.q["q3"].pk).update(
        air_text="Will the orchestra tour?", air_name="A."
    )
    row = session_report(report_session, now=REPORT_NOW)["as_run"][1]
    assert (row["text"], row["name"]) == ("Will the orchestra tour?", "A.")


def test_moderation_counts_reasons_flags_and_moderators(report):
    moderation = report["moderation"]
    assert (moderation["approved"], moderation["rejected"]) == (5, 3)
    assert (moderation["flagged"], moderation["pending"]) == (3, 2)
    assert moderation["reject_reasons"] == [
        {"reason": "", "count": 1},
        {"reason": "Author is banned by the station.", "count": 1},
        {"reason": "Off topic", "count": 1},
    ]
    assert moderation["flags"] == [
        {"code": "banned", "count": 1},
        {"code": "link", "count": 1},
        {"code": "profanity", "count": 1},
    ]
    assert moderation["by_moderator"] == [
        {"username": "mona", "approved": 2, "rejected": 1, "other": 1},
        {"username": "nina", "approved": 2, "rejected": 1, "other": 0},
        {"username": "", "approved": 0, "rejected": 1, "other": 0},
        {"username": "alice", "approved": 1, "rejected": 0, "other": 0},
    ]


def test_times_to_decision_and_to_air_are_nearest_rank_median_and_p90(report):
    # Decisions after 20, 25, 40, 50, 65 and 110 s: rank 3 and rank 6 of six.
    assert report["moderation"]["decision_seconds"] == {"count": 6, "median": 40.0, "p90": 110.0}
    # Takes 110 s (q1: 0:10 → 2:00) and 145 s (q3: 1:05 → 3:30) after arrival.
    assert report["moderation"]["air_seconds"] == {"count": 2, "median": 110.0, "p90": 145.0}


def test_only_the_first_decision_and_the_first_take_count(report_session, moderator_a):
    from tests.reports.conftest import log_entry

    q1 = report_session.q["q1"]
    log_entry(report_session, q1, moderator_a, "reject", at(5), to="rejected")
    report = session_report(report_session, now=REPORT_NOW)
    assert report["moderation"]["decision_seconds"]["count"] == 6
    assert report["moderation"]["decision_seconds"]["median"] == 40.0


def test_an_empty_session_has_no_percentiles_and_no_window(session_b):
    session_b.status = "ended"
    session_b.save()
    report = session_report(session_b, now=REPORT_NOW)
    assert report["moderation"]["decision_seconds"] == {"count": 0, "median": None, "p90": None}
    assert report["window"] == {"start": None, "end": None, "minutes": 0}
    assert report["per_minute"] == []
    assert report["totals"]["questions"] == 0


def test_top_questions_by_votes_aired_and_not_aired(report, report_session):
    q = report_session.q
    aired = report["top_questions"]["aired"]
    assert [(r["id"], r["votes"]) for r in aired] == [(q["q3"].pk, 6), (q["q1"].pk, 4)]
    assert aired[0] == {
        "id": q["q3"].pk,
        "text": "Will the orchestra tour in spring? #orchestra",
        "name": "Ada",
        "source": "mastodon",
        "status": "answered",
        "votes": 6,
    }
    not_aired = report["top_questions"]["not_aired"]
    assert [r["id"] for r in not_aired] == [
        q[k].pk for k in ("q6", "q8", "q2", "q4", "q5", "q7", "q9", "q10")
    ]


def test_top_contributors_rank_by_questions_then_votes(report):
    rows = [
        (r["name"], r["platform"], r["questions"], r["approved"], r["votes"], r["followers"])
        for r in report["top_contributors"]
    ]
    assert rows == [
        ("Camille", "web", 2, 1, 4, None),
        ("Troll", "mastodon", 2, 0, 0, 9999),
        ("Ada", "mastodon", 1, 1, 6, 1200),
        ("Bea", "mastodon", 1, 1, 2, None),
        ("+33 6•• •• •• 12", "sms", 1, 1, 1, None),
        ("Cy", "bluesky", 1, 0, 0, 300),
        ("Dee", "threads", 1, 0, 0, 50),
    ]


def test_reach_sums_the_followers_of_social_authors(report):
    assert report["reach"] == {
        "social_authors": 5,
        "known": 4,
        "followers_total": 11549,
        "top": [
            {"name": "Troll", "handle": "@troll", "platform": "mastodon", "followers": 9999},
            {
                "name": "Ada",
                "handle": "@ada@mastodon.example",
                "platform": "mastodon",
                "followers": 1200,
            },
            {"name": "Cy", "handle": "cy.bsky.social", "platform": "bluesky", "followers": 300},
            {"name": "Dee", "handle": "@dee", "platform": "threads", "followers": 50},
        ],
    }


def test_the_report_carries_the_trending_terms_at_its_time(report):
    assert report["trending"]["as_of"] == _iso(REPORT_NOW)
    assert [(t["term"], t["count"]) for t in report["trending"]["terms"]] == [
        ("budget", 4),
        ("orchestra", 4),
        ("culture", 2),
    ]


def test_no_voter_id_phone_hash_or_author_external_id_is_in_the_report(report, report_session):
    text = json.dumps(report)
    secrets = [
        *Vote.objects.filter(question__session=report_session).values_list("voter", flat=True),
        *Author.objects.values_list("external_id", flat=True),
    ]
    assert secrets
    assert not [s for s in secrets if s in text]


def _grow(session, n):
    authors = AuthorFactory.create_batch(3, platform="mastodon", followers_count=10)
    rows = [
        Question(
            session=session,
            text=f"More about the orchestra {i}",
            author=authors[i % 3],
            author_name="More",
            source=["web", "sms", "social:mastodon", "manual"][i % 4],
            status=["pending", "approved", "rejected"][i % 3],
            vote_count=0,
            flags=[{"code": "link", "reason": "x"}] if i % 5 == 0 else [],
        )
        for i in range(n)
    ]
    created = Question.objects.bulk_create(rows)
    Question.objects.filter(pk__in=[q.pk for q in created]).update(created_at=at(3, 45))
    Vote.objects.bulk_create(Vote(question=q, voter=f"grow{q.pk}") for q in created[:50])


def test_the_report_takes_a_bounded_number_of_queries(
    report_session, django_assert_max_num_queries, django_assert_num_queries
):
    session = type(report_session).objects.get(pk=report_session.pk)
    with django_assert_max_num_queries(MAX_QUERIES) as small:
        session_report(session, now=REPORT_NOW)
    _grow(report_session, 300)
    session = type(report_session).objects.get(pk=report_session.pk)
    with django_assert_num_queries(len(small.captured_queries)):
        report = session_report(session, now=REPORT_NOW)
    assert report["totals"]["questions"] == 310
