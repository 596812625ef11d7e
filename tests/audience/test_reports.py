"""Audience reports: one per listener, throttled, and past the session's threshold an approved
question goes back to review with a logged reason and a flag the moderators see."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from questions.models import AudienceReport, ModerationLogEntry, Question
from studio.models import EventLogEntry
from tests.factories import LiveSessionFactory, QuestionFactory
from tests.helpers import assert_error


def _token(n: int) -> str:
    return f"listener-token-{n:04d}-abcdefgh"


def _report(api, question, n=1, slug="live-a"):
    return api.post(
        f"/api/public/sessions/{slug}/questions/{question.pk}/report/",
        HTTP_X_VOTER_TOKEN=_token(n),
    )


def _rates(**rates):
    current = settings.REST_FRAMEWORK
    return override_settings(
        REST_FRAMEWORK={
            **current,
            "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **rates},
        }
    )


@pytest.mark.django_db
def test_a_listener_reports_an_approved_question_once(api, approved_question):
    first = _report(api, approved_question)
    again = _report(api, approved_question)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {"question": approved_question.pk, "reported": True}
    approved_question.refresh_from_db()
    assert approved_question.report_count == 1
    assert AudienceReport.objects.filter(question=approved_question).count() == 1
    assert approved_question.status == "approved"


@pytest.mark.django_db
def test_reports_past_the_threshold_send_the_question_back_to_review(api, session_a):
    session_a.report_threshold = 3
    session_a.save(update_fields=["report_threshold"])
    question = QuestionFactory(session=session_a, text="Something rude?", status="approved")

    for n in (1, 2):
        assert _report(api, question, n).status_code == 201
    question.refresh_from_db()
    assert question.status == "approved"
    assert _report(api, question, 3).status_code == 201

    question.refresh_from_db()
    assert question.status == "pending"
    assert question.report_count == 3
    assert {"code": "reported", "reason": "Reported by 3 listeners"} in question.flags
    entry = ModerationLogEntry.objects.filter(question=question).latest("id")
    assert (entry.action, entry.from_status, entry.to_status) == ("reported", "approved", "pending")
    assert entry.reason == "Reported by 3 listeners"
    assert entry.actor is None
    # The audience is told to remove it; the crew sees it back in review, flagged.
    public = EventLogEntry.objects.filter(session=session_a, stream="public", type="question")
    assert public.latest("seq").data == {"id": question.pk, "question": None}
    crew = EventLogEntry.objects.filter(session=session_a, stream="crew", type="question")
    shown = crew.latest("seq").data["question"]
    assert shown["status"] == "pending"
    assert "reported" in [f["code"] for f in shown["flags"]]


@pytest.mark.django_db
def test_the_moderators_flag_label_says_why(session_a):
    from questions.automod import flag_labels

    assert flag_labels()["reported"] == "Reported by listeners as inappropriate"


@pytest.mark.django_db
def test_a_question_on_air_is_counted_but_stays_on_air(api, session_a):
    session_a.report_threshold = 1
    session_a.save(update_fields=["report_threshold"])
    question = QuestionFactory(session=session_a, text="On air now?", status="on_air")

    assert _report(api, question).status_code == 201

    question.refresh_from_db()
    assert (question.status, question.report_count) == ("on_air", 1)


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["pending", "rejected", "archived"])
def test_a_question_the_audience_cannot_see_is_not_found(api, session_a, status):
    question = QuestionFactory(session=session_a, status=status)

    assert_error(_report(api, question), 404, "not_found")
    assert not AudienceReport.objects.exists()


@pytest.mark.django_db
def test_an_answered_question_cannot_be_reported(api, session_a):
    question = QuestionFactory(session=session_a, status="answered")

    error = assert_error(_report(api, question), 409, "not_reportable")

    assert error["details"]["status"] == "answered"
    question.refresh_from_db()
    assert question.report_count == 0


@pytest.mark.django_db
def test_a_question_of_another_session_is_not_found(api, session_a, station_a):
    LiveSessionFactory(station=station_a, slug="other-live", status="live")
    question = QuestionFactory(session=session_a, status="approved")

    assert_error(_report(api, question, slug="other-live"), 404, "not_found")


@pytest.mark.django_db
def test_reports_are_throttled_per_listener(api, session_a):
    questions = [QuestionFactory(session=session_a, status="approved") for _ in range(3)]

    with _rates(report_voter="2/min"):
        codes = [_report(api, q).status_code for q in questions[:2]]
        error = assert_error(_report(api, questions[2]), 429, "throttled")
        other_listener = _report(api, questions[2], n=2)

    assert codes == [201, 201]
    assert error["message"]
    assert other_listener.status_code == 201
    assert Question.objects.get(pk=questions[2].pk).report_count == 1


@pytest.mark.django_db
def test_a_producer_sets_the_threshold_and_a_host_cannot(
    api, api_as, producer_a, host_a, session_a
):
    url = f"/api/sessions/{session_a.pk}/"
    assert api_as(host_a).patch(url, {"report_threshold": 1}, format="json").status_code == 403
    refused = api_as(producer_a).patch(url, {"report_threshold": 0}, format="json")
    assert refused.status_code == 400
    response = api_as(producer_a).patch(url, {"report_threshold": 2}, format="json")
    assert response.status_code == 200
    assert response.json()["report_threshold"] == 2

    question = QuestionFactory(session=session_a, text="Rude again?", status="approved")
    for n in (1, 2):
        assert _report(api, question, n).status_code == 201
    question.refresh_from_db()
    assert question.status == "pending"
