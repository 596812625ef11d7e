"""The audience endpoints, used without a login: reading a session, asking, voting, throttling."""

from __future__ import annotations

import json
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.cache import cache
from django.test import override_settings
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient

from questions import throttles
from questions.models import Question, Vote
from tests.factories import GuestFactory, LiveSessionFactory, QuestionFactory
from tests.helpers import assert_error

ASK = "/api/public/sessions/live-a/questions/"
TOKEN = "audience-token-0123456789abcdef"
OTHER_TOKEN = "another-audience-token-987654"


def _vote_url(question) -> str:
    return f"{ASK}{question.pk}/vote/"


def _voter(token: str, **extra) -> dict:
    return {"HTTP_X_VOTER_TOKEN": token, **extra}


def _ask(client, text="Is the tour coming to Lyon?", token=TOKEN, key=None, **extra):
    headers = _voter(token, **extra) if token else dict(extra)
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(ASK, {"text": text}, format="json", **headers)


def _rates(**rates):
    """Throttle rates overridden for one test; the throttles read them at request time."""
    current = settings.REST_FRAMEWORK
    return override_settings(
        REST_FRAMEWORK={
            **current,
            "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **rates},
        }
    )


# Session info -------------------------------------------------------------------------------


def test_the_audience_reads_a_live_sessions_public_details(api, session_a):
    response = api.get("/api/public/sessions/live-a/")

    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["station"], body["status"]) == ("Live A", "Radio A", "live")
    assert body["accepts_questions"] is True
    assert body["max_question_length"] == 280
    assert [g["name"] for g in body["guests"]] == ["Aya Lune"]
    assert session_a.overlay_key not in response.content.decode()


def test_an_ended_session_is_visible_but_takes_no_questions(api, station_a):
    LiveSessionFactory(station=station_a, slug="was-live", status="ended")

    response = api.get("/api/public/sessions/was-live/")

    assert response.status_code == 200
    assert response.json()["accepts_questions"] is False


@pytest.mark.parametrize("path", ["", "questions/"])
def test_a_draft_session_does_not_exist_for_the_audience(api, station_a, path):
    LiveSessionFactory(station=station_a, slug="not-yet", status="draft")

    response = api.get(f"/api/public/sessions/not-yet/{path}")

    assert_error(response, 404, "not_found")


def test_an_unknown_session_is_a_404(api, session_a):
    assert_error(api.get("/api/public/sessions/nope/"), 404, "not_found")


# Asking -------------------------------------------------------------------------------------


def test_an_audience_question_is_accepted_for_review(api, api_as, producer_a, session_a):
    response = _ask(api, "  Is the tour   coming to Lyon? ")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["text"] == "Is the tour coming to Lyon?"
    assert body["status"] == "pending"
    assert body["voted"] is False
    assert "author" not in body
    assert "external_id" not in body
    crew = api_as(producer_a).get(f"/api/questions/{body['id']}/").json()
    assert (crew["source"], crew["status"]) == ("web", "pending")


def test_a_question_in_a_post_moderated_session_is_public_at_once(api, station_a):
    LiveSessionFactory(station=station_a, slug="open-mic", moderation_mode="post")

    asked = api.post("/api/public/sessions/open-mic/questions/", {"text": "Hello?"})
    listed = api.get("/api/public/sessions/open-mic/questions/").json()["results"]

    assert asked.json()["status"] == "approved"
    assert [q["id"] for q in listed] == [asked.json()["id"]]


def test_a_question_with_a_name_and_a_guest_shows_both(api, session_a):
    guest = session_a.guests.get()

    response = api.post(
        ASK, {"text": "For Aya?", "name": " Camille ", "guest": guest.pk}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["author_name"] == "Camille"
    assert response.json()["target_guest"] == {"id": guest.pk, "name": "Aya Lune"}


@pytest.mark.parametrize("guest", ["abc", [1], 987654])
def test_a_question_aimed_at_an_unknown_guest_is_a_400(api, session_a, guest):
    response = api.post(ASK, {"text": "For whom?", "guest": guest}, format="json")

    assert_error(response, 400, "invalid")
    assert not Question.objects.exists()


def test_a_question_aimed_at_a_guest_of_another_session_is_a_400(api, session_a, session_b):
    stranger = GuestFactory(session=session_b)

    response = api.post(ASK, {"text": "For whom?", "guest": stranger.pk}, format="json")

    error = assert_error(response, 400, "invalid")
    assert error["details"] == {"guest": "unknown"}


def test_a_question_longer_than_the_session_allows_is_too_long(api, session_a):
    response = _ask(api, "x" * 281)

    error = assert_error(response, 400, "too_long")
    assert error["details"]["max_length"] == 280
    assert not Question.objects.exists()


def test_a_question_of_exactly_the_allowed_length_is_accepted(api, session_a):
    assert _ask(api, "x" * 280).status_code == 201


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200b"])
def test_an_empty_question_is_a_400(api, session_a, text):
    assert_error(_ask(api, text), 400, "invalid")
    assert not Question.objects.exists()


def test_a_question_without_text_is_a_400(api, session_a):
    error = assert_error(api.post(ASK, {"name": "Camille"}, format="json"), 400, "invalid")
    assert "text" in error["details"]


def test_a_session_that_has_ended_takes_no_questions(api, session_a):
    session_a.status = "ended"
    session_a.save()

    assert_error(_ask(api), 409, "session_closed")
    assert not Question.objects.exists()


def test_a_live_session_with_submissions_closed_takes_no_questions(api, session_a):
    session_a.submissions_open = False
    session_a.save()

    assert_error(_ask(api), 409, "session_closed")


def test_the_public_endpoints_need_no_csrf_token(session_a, approved_question):
    client = APIClient(enforce_csrf_checks=True)

    asked = _ask(client)
    voted = client.post(_vote_url(approved_question), **_voter(TOKEN))

    assert (asked.status_code, voted.status_code) == (201, 200)


# Idempotency --------------------------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_returns_the_first_question(api, session_a):
    first = _ask(api, key="retry-1")
    again = _ask(api, key="retry-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Question.objects.count() == 1


def test_the_same_idempotency_key_with_a_different_text_is_a_conflict(api, session_a):
    first = _ask(api, "First text?", key="retry-1")

    response = _ask(api, "Second text?", key="retry-1")

    error = assert_error(response, 409, "idempotency_key_reused")
    assert error["details"] == {"question": first.json()["id"]}
    assert Question.objects.count() == 1


def test_two_voters_using_the_same_idempotency_key_get_two_questions(api, session_a):
    mine = _ask(api, key="same-key", token=TOKEN)
    theirs = _ask(api, key="same-key", token=OTHER_TOKEN)

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert Question.objects.count() == 2


def test_without_an_idempotency_key_each_submission_is_a_new_question(api, session_a):
    _ask(api)
    _ask(api)

    assert Question.objects.count() == 2


def test_an_idempotency_key_longer_than_100_characters_is_a_400(api, session_a):
    assert_error(_ask(api, key="k" * 101), 400, "invalid")
    assert not Question.objects.exists()


@pytest.mark.parametrize("key", ["nul\x00byte", "bell\x07", "tab\tinside"])
def test_an_idempotency_key_with_control_characters_is_a_400(api, session_a, key):
    assert_error(_ask(api, key=key), 400, "invalid")
    assert not Question.objects.exists()


def test_an_idempotency_key_of_any_printable_characters_works(api, session_a):
    key = "clé 42/ünïcode:" + "k" * 80

    first = _ask(api, key=key)
    again = _ask(api, key=key)

    assert (first.status_code, again.status_code) == (201, 200)
    assert Question.objects.count() == 1


# Voter identity -----------------------------------------------------------------------------


def test_a_new_browser_gets_a_voter_cookie_that_it_keeps(session_a, approved_question):
    browser = APIClient()

    first = browser.get(ASK)
    cookie = first.cookies["sr_voter"]
    browser.post(_vote_url(approved_question))
    listed = browser.get(ASK)

    assert re.fullmatch(r"[A-Za-z0-9_-]{16,128}", cookie.value)
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert "sr_voter" not in listed.cookies, "a known browser gets no new cookie"
    assert listed.json()["results"][0]["voted"] is True


def test_a_client_with_a_voter_token_header_gets_no_cookie(api, session_a, approved_question):
    voted = api.post(_vote_url(approved_question), **_voter(TOKEN))
    listed = api.get(ASK, **_voter(TOKEN))

    assert "sr_voter" not in voted.cookies
    assert listed.json()["results"][0]["voted"] is True
    assert APIClient().get(ASK, **_voter(OTHER_TOKEN)).json()["results"][0]["voted"] is False


@pytest.mark.parametrize(
    "token", ["short", "has spaces in it here", "x" * 129, "émoji-token-1234567"]
)
def test_a_malformed_voter_token_header_is_a_400(api, session_a, approved_question, token):
    listed = api.get(ASK, HTTP_X_VOTER_TOKEN=token)
    asked = _ask(api, token=token)
    voted = api.post(_vote_url(approved_question), HTTP_X_VOTER_TOKEN=token)

    for response in (listed, asked, voted):
        error = assert_error(response, 400, "invalid")
        assert "voter_token" in error["details"]
    assert not Question.objects.exclude(pk=approved_question.pk).exists()
    assert not Vote.objects.exists()


def test_a_mangled_voter_cookie_is_replaced_with_a_new_one(session_a):
    browser = APIClient()
    browser.cookies["sr_voter"] = "bad cookie!"

    response = browser.get(ASK)

    assert response.status_code == 200
    assert response.cookies["sr_voter"].value != "bad cookie!"


# The public list ----------------------------------------------------------------------------


def test_the_public_list_shows_only_approved_on_air_and_answered_questions(api, session_a):
    shown = {
        status: QuestionFactory(session=session_a, status=status)
        for status in ("approved", "on_air", "answered")
    }
    for status in ("pending", "rejected", "archived"):
        QuestionFactory(session=session_a, status=status)

    rows = api.get(ASK).json()["results"]

    assert {r["id"] for r in rows} == {q.pk for q in shown.values()}
    assert {r["status"] for r in rows} == {"approved", "on_air", "answered"}
    assert all(set(r) == set(rows[0]) for r in rows)
    assert not {"author", "external_id", "source", "starred"} & set(rows[0])


def test_the_public_list_shows_the_most_voted_first_and_what_this_voter_voted_for(api, session_a):
    low = QuestionFactory(session=session_a, status="approved", text="Low?")
    high = QuestionFactory(session=session_a, status="approved", text="High?")
    for token in (TOKEN, OTHER_TOKEN):
        api.post(_vote_url(high), **_voter(token))
    api.post(_vote_url(low), **_voter(OTHER_TOKEN))
    api.post(_vote_url(high), **_voter("third-voter-token-000000"))

    mine = api.get(ASK, **_voter(TOKEN)).json()["results"]

    assert [(r["text"], r["vote_count"], r["voted"]) for r in mine] == [
        ("High?", 3, True),
        ("Low?", 1, False),
    ]


def test_the_public_list_of_another_session_does_not_show_this_sessions_questions(
    api, session_a, session_b, approved_question
):
    rows = api.get("/api/public/sessions/live-b/questions/").json()["results"]

    assert rows == []


# Votes --------------------------------------------------------------------------------------


def test_a_vote_counts_once_and_can_be_taken_back(api, session_a, approved_question):
    url = _vote_url(approved_question)

    voted = api.post(url, **_voter(TOKEN))
    other = api.post(url, **_voter(OTHER_TOKEN))
    withdrawn = api.delete(url, **_voter(TOKEN))

    assert voted.json() == {"question": approved_question.pk, "vote_count": 1, "voted": True}
    assert other.json()["vote_count"] == 2
    assert withdrawn.json() == {
        "question": approved_question.pk,
        "vote_count": 1,
        "voted": False,
    }
    assert api.get(ASK).json()["results"][0]["vote_count"] == 1


def test_a_second_vote_by_the_same_voter_is_a_conflict(api, session_a, approved_question):
    api.post(_vote_url(approved_question), **_voter(TOKEN))

    response = api.post(_vote_url(approved_question), **_voter(TOKEN))

    assert_error(response, 409, "already_voted")
    assert Question.objects.get(pk=approved_question.pk).vote_count == 1


def test_taking_back_a_vote_never_cast_is_a_404(api, session_a, approved_question):
    assert_error(api.delete(_vote_url(approved_question), **_voter(TOKEN)), 404, "not_voted")
    assert Question.objects.get(pk=approved_question.pk).vote_count == 0


@pytest.mark.parametrize("status", ["pending", "rejected", "archived"])
def test_a_question_the_audience_cannot_see_cannot_be_voted_on(api, session_a, status):
    question = QuestionFactory(session=session_a, status=status)

    assert_error(api.post(_vote_url(question), **_voter(TOKEN)), 404, "not_found")
    assert not Vote.objects.exists()


def test_an_answered_question_takes_no_more_votes(api, session_a):
    question = QuestionFactory(session=session_a, status="answered")

    assert_error(api.post(_vote_url(question), **_voter(TOKEN)), 409, "not_votable")


def test_a_question_of_another_session_cannot_be_voted_on_through_this_one(
    api, session_a, session_b
):
    theirs = QuestionFactory(session=session_b, status="approved")

    assert_error(api.post(f"{ASK}{theirs.pk}/vote/", **_voter(TOKEN)), 404, "not_found")


def test_voting_closes_when_the_session_ends(api, session_a, approved_question):
    session_a.status = "ended"
    session_a.save()

    assert_error(api.post(_vote_url(approved_question), **_voter(TOKEN)), 409, "session_closed")


def test_a_stored_vote_holds_a_keyed_hash_never_the_token(api, session_a, approved_question):
    second = QuestionFactory(session=session_a, status="approved")
    api.post(_vote_url(approved_question), **_voter(TOKEN))
    api.post(_vote_url(second), **_voter(TOKEN))
    api.post(_vote_url(second), **_voter(OTHER_TOKEN))

    mine = set(Vote.objects.filter(question=approved_question).values_list("voter", flat=True))
    on_second = list(Vote.objects.filter(question=second).values_list("voter", flat=True))

    (voter,) = mine
    assert re.fullmatch(r"[0-9a-f]{64}", voter)
    assert TOKEN not in voter
    assert voter in on_second, "the same voter maps to the same id"
    assert len(set(on_second)) == 2


def test_neither_the_raw_ip_nor_the_raw_token_is_stored_anywhere(session_a, approved_question):
    client = APIClient(REMOTE_ADDR="203.0.113.77", HTTP_X_FORWARDED_FOR="198.51.100.23")
    asked = client.post(ASK, {"text": "Where is my data?", "name": "Camille"}, format="json")
    token = asked.cookies["sr_voter"].value
    client.post(_vote_url(approved_question))
    client.post(ASK, {"text": "With a header?"}, format="json", **_voter(TOKEN))
    client.post(_vote_url(approved_question), **_voter(TOKEN))

    dump = json.dumps(
        [
            serializers.serialize("python", model.objects.all())
            for model in apps.get_models()
            if model._meta.managed
        ],
        default=str,
    )

    assert Question.objects.count() == 3
    assert Vote.objects.count() == 2
    for secret in ("203.0.113.77", "198.51.100.23", token, TOKEN):
        assert secret not in dump


def _cache_keys() -> list[str]:
    backend = cache._cache  # local memory: a dict; Redis: a client
    if isinstance(backend, dict):
        return [str(key) for key in backend]
    return [key.decode() for key in backend.get_client().keys("*")]


def test_the_throttle_counters_do_not_hold_raw_ip_addresses(session_a, approved_question):
    client = APIClient(REMOTE_ADDR="203.0.113.77")
    client.post(ASK, {"text": "Counted?"}, format="json", **_voter(TOKEN))
    client.post(_vote_url(approved_question), **_voter(TOKEN))

    keys = _cache_keys()

    assert any("submit_ip" in key for key in keys)
    assert any("vote_ip" in key for key in keys)
    assert not [key for key in keys if "203.0.113.77" in key or TOKEN in key]


# Throttling ---------------------------------------------------------------------------------


def test_a_voter_asking_too_often_is_throttled_and_told_when_to_retry(api, session_a):
    with _rates(submit_voter="3/min", submit_ip="100/min"):
        accepted = [_ask(api, f"Question {n}?").status_code for n in range(3)]
        refused = _ask(api, "One too many?")
        someone_else = _ask(api, "My first?", token=OTHER_TOKEN)

    assert accepted == [201, 201, 201]
    error = assert_error(refused, 429, "throttled")
    assert 1 <= error["details"]["retry_after_seconds"] <= 60
    assert int(refused["Retry-After"]) == error["details"]["retry_after_seconds"]
    assert someone_else.status_code == 201
    assert Question.objects.count() == 4


def test_reading_the_list_is_not_throttled(api, session_a):
    with _rates(submit_voter="1/min", submit_ip="1/min"):
        _ask(api)
        statuses = {api.get(ASK, **_voter(TOKEN)).status_code for _ in range(5)}

    assert statuses == {200}


def test_one_ip_asking_too_often_is_throttled_whatever_voter_token_it_sends(api, session_a):
    with _rates(submit_voter="100/min", submit_ip="3/min"):
        accepted = [_ask(api, token=f"fresh-voter-token-{n:06d}").status_code for n in range(3)]
        refused = _ask(api, token="yet-another-voter-token-1")
        no_token = _ask(api, token=None)
        other_ip = _ask(api, token="yet-another-voter-token-2", REMOTE_ADDR="192.0.2.50")

    assert accepted == [201, 201, 201]
    assert_error(refused, 429, "throttled")
    assert_error(no_token, 429, "throttled")
    assert other_ip.status_code == 201


def test_a_forged_x_forwarded_for_does_not_escape_the_ip_throttle_without_proxies(api, session_a):
    assert settings.NUM_PROXIES == 0
    with _rates(submit_voter="100/min", submit_ip="3/min"):
        statuses = [
            _ask(
                api,
                token=f"fresh-voter-token-{n:06d}",
                HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
            ).status_code
            for n in range(5)
        ]

    assert statuses == [201, 201, 201, 429, 429]


def _behind_one_proxy(**rates):
    current = settings.REST_FRAMEWORK
    return override_settings(
        NUM_PROXIES=1,
        REST_FRAMEWORK={
            **current,
            "NUM_PROXIES": 1,
            "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **rates},
        },
    )


def test_behind_one_proxy_the_client_is_the_address_the_proxy_appended(api, session_a):
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    with _behind_one_proxy(submit_voter="100/min", submit_ip="3/min"):
        forged = [
            _ask(
                api,
                token=f"fresh-voter-token-{n:06d}",
                HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.7",
                **proxy,
            ).status_code
            for n in range(5)
        ]
        neighbour = _ask(
            api, token="neighbour-voter-token-01", HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy
        )

    assert forged == [201, 201, 201, 429, 429]
    assert neighbour.status_code == 201, "another client behind the same proxy has its own limit"


def test_votes_are_throttled_per_voter(api, session_a):
    questions = [QuestionFactory(session=session_a, status="approved") for _ in range(3)]
    with _rates(vote_voter="2/min", vote_ip="100/min"):
        statuses = [api.post(_vote_url(q), **_voter(TOKEN)).status_code for q in questions]
        other = api.post(_vote_url(questions[2]), **_voter(OTHER_TOKEN))

    assert statuses == [200, 200, 429]
    assert other.status_code == 200
    assert Vote.objects.count() == 3


def test_votes_are_throttled_per_ip(api, session_a, approved_question):
    with _rates(vote_voter="100/min", vote_ip="2/min"):
        statuses = [
            api.post(_vote_url(approved_question), **_voter(f"fresh-voter-token-{n:06d}"))
            for n in range(3)
        ]

    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert Question.objects.get(pk=approved_question.pk).vote_count == 2


# Hostile bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["[" * 100_000, '{"text":' * 50_000, "[" * 50_000 + "]" * 50_000])
def test_deeply_nested_json_is_a_400_malformed(api, session_a, body):
    response = api.generic("POST", ASK, body, content_type="application/json")

    assert_error(response, 400, "malformed")
    assert not Question.objects.exists()


def test_a_json_body_bigger_than_the_upload_limit_is_refused(api, session_a):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"text": "Hello?", "padding": "x" * limit})

    response = api.generic("POST", ASK, body, content_type="application/json")

    error = assert_error(response, 413, "too_large")
    assert str(limit) in error["message"]
    assert not Question.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_a_body_of_any_format_bigger_than_the_upload_limit_is_refused(api, session_a, fmt):
    response = api.post(ASK, {"text": "Hello?", "padding": "x" * 4000}, format=fmt)

    assert_error(response, 413, "too_large")
    assert not Question.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_a_form_body_bigger_than_the_upload_limit_is_refused(api, session_a):
    response = api.generic(
        "POST",
        ASK,
        "text=Hello%3F&padding=" + "x" * 4000,
        content_type="application/x-www-form-urlencoded",
    )

    assert_error(response, 413, "too_large")
    assert not Question.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_a_body_within_the_upload_limit_is_accepted(api, session_a):
    response = api.post(ASK, {"text": "Hello?", "padding": "x" * 1500}, format="json")

    assert response.status_code == 201


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048)
def test_a_crew_body_bigger_than_the_upload_limit_is_refused(api_as, producer_a, session_a):
    response = api_as(producer_a).post(
        f"/api/sessions/{session_a.pk}/guests/",
        {"name": "Claire", "bio": "x" * 1000, "handles": ["@" + "y" * 119] * 10},
        format="json",
    )

    assert_error(response, 413, "too_large")
    assert session_a.guests.count() == 1


class _UnreachableRedis:
    def get(self, *args, **kwargs):
        raise RedisConnectionError("Connection refused")

    set = get


def test_with_the_shared_cache_down_asking_still_works_and_is_still_throttled(
    api, session_a, monkeypatch
):
    monkeypatch.setattr(throttles, "shared_cache", _UnreachableRedis())
    monkeypatch.setattr(throttles, "counters", throttles.ThrottleCounters())
    monkeypatch.setattr(throttles._SettingsRateThrottle, "cache", throttles.counters)

    with _rates(submit_voter="3/min", submit_ip="100/min"):
        accepted = [_ask(api, f"Question {n} while Redis is down?").status_code for n in range(3)]
        refused = _ask(api, "One too many?")

    # Counted in this process instead: the listener is still limited, and nothing is a 500.
    assert accepted == [201, 201, 201]
    assert_error(refused, 429, "throttled")
    assert Question.objects.count() == 3
