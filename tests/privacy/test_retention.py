"""The retention run: what an ended session past its retention keeps and what it loses."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command

from questions.models import (
    Author,
    Ban,
    PrivacyAction,
    PrivacyLogEntry,
    Question,
    Vote,
)
from questions.services.privacy import (
    ERASED_TEXT,
    session_erase_audience_data,
    sessions_due_for_erasure,
)
from questions.tasks import erase_expired_audience_data
from questions.trending import trending_terms
from reports.figures import session_report
from studio.models import AsRunEntry, LiveSession
from tests.privacy.conftest import NOW, rows_of_session

pytestmark = pytest.mark.django_db

# The parts of the report that name people or quote erased texts (docs/privacy.md): names and
# handles of top contributors and of reach, the texts and names of top questions that never
# aired, the trending terms.
NAMED = {"name", "handle"}


def _without_names(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in NAMED} for row in rows]


def _dump(rows: dict) -> str:
    return json.dumps(rows, default=str, ensure_ascii=False)


def test_a_retention_run_leaves_no_name_id_or_non_aired_text_in_the_sessions_rows(seeded):
    before = _dump(rows_of_session(seeded.session))
    assert all(secret in before for secret in seeded.secrets), "the seed holds every secret"

    counts = session_erase_audience_data(session_id=seeded.session.pk, now=NOW)

    assert counts is not None
    rows = rows_of_session(seeded.session)
    dumped = _dump(rows)
    leaks = [secret for secret in seeded.secrets if secret in dumped]
    assert leaks == []
    # Every table that refers to the session was read.
    assert {
        "questions.Question",
        "questions.Vote",
        "questions.AudienceReport",
        "questions.ModerationLogEntry",
        "questions.AirLogEntry",
        "questions.DrawEntry",
        "questions.Author",
        "studio.AsRunEntry",
    } <= set(rows)
    assert rows["studio.EventLogEntry"] == []


def test_a_retention_run_keeps_the_as_run_and_what_aired_as_broadcast(seeded):
    as_run_before = session_report(seeded.session, now=NOW)["as_run"]

    session_erase_audience_data(session_id=seeded.session.pk, now=NOW)

    assert session_report(seeded.session, now=NOW)["as_run"] == as_run_before
    aired = Question.objects.get(pk=seeded.aired.pk)
    renamed = Question.objects.get(pk=seeded.aired_renamed.pk)
    assert (aired.text, aired.author_name, aired.original_text) == (
        "What inspired the new album?",
        "Wren Okafor",
        "",
    )
    # Aired under an on-air name: that name stays, the signed one goes.
    assert (renamed.text, renamed.author_name, renamed.air_name) == (
        "Will you tour in Lyon next spring?",
        "A listener from Lyon",
        "A listener from Lyon",
    )
    assert set(
        Question.objects.filter(session=seeded.session)
        .exclude(pk__in=[aired.pk, renamed.pk])
        .values_list("text", "author_name", "air_name", "original_text", "external_id")
    ) == {(ERASED_TEXT, "", "", "", "")}
    assert AsRunEntry.objects.filter(session=seeded.session).count() == 2


def test_the_reports_figures_are_the_same_before_and_after_but_for_names(seeded):
    before = session_report(seeded.session, now=NOW)

    session_erase_audience_data(session_id=seeded.session.pk, now=NOW)
    after = session_report(seeded.session, now=NOW)

    assert set(after) == set(before)
    for key in before:
        if key in ("top_questions", "top_contributors", "reach", "trending"):
            continue
        assert after[key] == before[key], key
    # Top questions: the aired ones are unchanged, but that the name is the one that aired (the
    # on-air name, where there was one); the others keep everything but their text and name.
    aired_before = copy.deepcopy(before["top_questions"]["aired"])
    for row in aired_before:
        if row["id"] == seeded.aired_renamed.pk:
            row["name"] = "A listener from Lyon"
    assert after["top_questions"]["aired"] == aired_before
    not_aired = [
        {k: v for k, v in row.items() if k not in ("text", "name")}
        for row in before["top_questions"]["not_aired"]
    ]
    assert [
        {k: v for k, v in row.items() if k not in ("text", "name")}
        for row in after["top_questions"]["not_aired"]
    ] == not_aired
    assert {(r["text"], r["name"]) for r in after["top_questions"]["not_aired"]} == {
        (ERASED_TEXT, "")
    }
    # Contributors and reach: every count stays, names and handles become anonymous.
    assert _without_names(after["top_contributors"]) == _without_names(before["top_contributors"])
    assert {(r["name"], r["handle"]) for r in after["top_contributors"]} == {("", "")}
    reach_before = copy.deepcopy(before["reach"])
    reach_after = copy.deepcopy(after["reach"])
    assert _without_names(reach_after.pop("top")) == _without_names(reach_before.pop("top"))
    assert reach_after == reach_before
    # Trending terms come from the texts that remain: none from an erased text.
    terms = json.dumps(after["trending"]).lower()
    assert "quixotically" not in terms and "grenoble" not in terms


def test_the_distinct_voters_and_one_vote_per_voter_survive(seeded):
    session_erase_audience_data(session_id=seeded.session.pk, now=NOW)

    voters = Vote.objects.filter(question__session=seeded.session).values_list("voter", flat=True)
    assert len(set(voters)) == 3
    assert all(v.startswith("erased:") for v in voters)


def test_a_session_inside_its_retention_is_untouched(seeded):
    recent = LiveSession.objects.get(slug="recent-show")
    before = _dump(rows_of_session(recent))

    assert session_erase_audience_data(session_id=recent.pk, now=NOW) is None
    erase_expired_audience_data.apply()

    assert _dump(rows_of_session(recent)) == before
    recent.refresh_from_db()
    assert recent.audience_data_erased_at is None
    # The author who still has a question there keeps her record for it.
    assert Author.objects.filter(display_name="Aurélie Dubois").count() == 1


def test_a_live_session_is_never_erased(seeded, session_a, pending_question):
    assert session_erase_audience_data(session_id=session_a.pk, now=NOW, force=True) is None
    pending_question.refresh_from_db()
    assert pending_question.text == "Pending question?"


def test_the_run_is_idempotent_and_logged_once_with_counts(seeded):
    first = session_erase_audience_data(session_id=seeded.session.pk, now=NOW)
    rows = _dump(rows_of_session(seeded.session))

    second = session_erase_audience_data(session_id=seeded.session.pk, now=NOW + timedelta(days=1))

    assert second is None
    assert _dump(rows_of_session(seeded.session)) == rows
    seeded.session.refresh_from_db()
    assert seeded.session.audience_data_erased_at == NOW
    log = PrivacyLogEntry.objects.get(session=seeded.session)
    assert log.action == PrivacyAction.RETENTION
    assert log.actor is None
    assert log.counts == first
    assert first["questions"] == 5
    assert first["texts_erased"] == 3
    assert first["aired_kept"] == 2
    assert first["votes"] == 6
    assert first["reports"] == 1
    # Wren and Aurélie are still used elsewhere: detached; the texter is anonymised in place.
    assert (first["authors_detached"], first["authors_anonymised"]) == (2, 1)
    assert seeded.session.pk not in sessions_due_for_erasure(now=NOW)


def test_an_author_used_elsewhere_keeps_their_record_there(seeded):
    session_erase_audience_data(session_id=seeded.session.pk, now=NOW)

    wren = Author.objects.get(display_name="Wren Okafor")
    assert wren.questions.filter(session__slug="station-b-show").count() == 1
    assert not wren.questions.filter(session=seeded.session).exists()


def test_a_banned_author_keeps_the_ban_and_the_session_loses_them(seeded, station_a):
    texter = Author.objects.get(platform="sms")
    Ban.objects.create(station=station_a, author=texter)

    session_erase_audience_data(session_id=seeded.session.pk, now=NOW)

    texter.refresh_from_db()
    assert texter.external_id == "f0e1d2c3" * 8
    assert "f0e1d2c3" not in _dump(rows_of_session(seeded.session))


def test_the_daily_task_is_in_the_beat_schedule_and_erases_what_is_due(seeded, monkeypatch):
    entries = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "questions.erase_expired_audience_data" in entries

    # The seeded session ended in 2026-10: at the test's real time it may not be due yet.
    monkeypatch.setattr("questions.services.privacy.timezone.now", lambda: NOW)
    due = erase_expired_audience_data.apply().get()

    assert due == [seeded.session.pk]
    seeded.session.refresh_from_db()
    assert seeded.session.audience_data_erased_at is not None


def test_the_retention_is_a_setting_and_a_producer_changes_it_per_session(
    api_as, producer_a, moderator_a, session_a
):
    assert session_a.retention_days == settings.AUDIENCE_DATA_RETENTION_DAYS

    response = api_as(producer_a).patch(
        f"/api/sessions/{session_a.pk}/", {"retention_days": 90}, format="json"
    )
    refused = api_as(moderator_a).patch(
        f"/api/sessions/{session_a.pk}/", {"retention_days": 1}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["retention_days"] == 90
    assert refused.status_code == 403
    session_a.refresh_from_db()
    assert session_a.retention_days == 90


def test_the_command_erases_one_session_now_and_says_so(seeded, capsys):
    call_command("erase_audience_data", "--session", "recent-show", "--now")
    call_command("erase_audience_data", "--session", "recent-show", "--now")

    out = capsys.readouterr().out
    assert "recent-show: erased (questions 1" in out
    assert "recent-show: nothing to erase" in out
    assert Question.objects.get(session__slug="recent-show").text == ERASED_TEXT


def test_terms_of_erased_texts_no_longer_trend(station_a):
    session = LiveSession.objects.create(
        station=station_a,
        title="Trend show",
        slug="trend-show",
        status="ended",
        ended_at=NOW - timedelta(days=31),
    )
    texts = ["Zanzibar tickets?", "Zanzibar again?", "Zanzibar dates?", "Zanzibar tour, maybe?"]
    for n, text in enumerate(texts):
        question = Question.objects.create(
            session=session, text=text, source="web", status="approved"
        )
        Question.objects.filter(pk=question.pk).update(
            created_at=session.ended_at - timedelta(minutes=5, seconds=n)
        )
    before = trending_terms(session, now=session.ended_at)

    session_erase_audience_data(session_id=session.pk, now=NOW)
    after = trending_terms(session, now=session.ended_at)

    assert "zanzibar" in json.dumps(before).lower()
    assert "zanzibar" not in json.dumps(after).lower()
    assert "erased" not in json.dumps(after).lower()


def test_an_erased_session_cannot_go_live_again(seeded, api_as, producer_a):
    session_erase_audience_data(session_id=seeded.session.pk, now=NOW)

    response = api_as(producer_a).post(
        f"/api/sessions/{seeded.session.pk}/status/", {"status": "live"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    seeded.session.refresh_from_db()
    assert seeded.session.status == "ended"
