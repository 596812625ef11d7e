"""What the crew sees and changes through the REST API: sessions, guests, questions, air, bans."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from questions.models import Question
from studio.models import LiveSession
from tests.factories import AuthorFactory, GuestFactory, LiveSessionFactory, QuestionFactory
from tests.helpers import assert_error

VOTER = "listener-token-0123456789"


@pytest.fixture
def producer(api_as, producer_a):
    return api_as(producer_a)


@pytest.fixture
def moderator(api_as, moderator_a):
    return api_as(moderator_a)


@pytest.fixture
def host(api_as, host_a):
    return api_as(host_a)


@pytest.fixture
def guest(session_a):
    return session_a.guests.get()


# Sessions -----------------------------------------------------------------------------------


def test_a_producer_creates_a_draft_session_addressed_by_a_slug_from_its_title(producer, station_a):
    response = producer.post(
        "/api/sessions/",
        {"station": station_a.pk, "title": "Morning Show", "hashtags": ["#Morning", "news"]},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "morning-show"
    assert body["status"] == "draft"
    assert body["hashtags"] == ["Morning", "news"]
    assert body["accepts_questions"] is False
    assert body["overlay_key"] == LiveSession.objects.get(pk=body["id"]).overlay_key
    assert producer.get("/api/sessions/", {"station": station_a.pk}).json()["count"] == 1


def test_a_second_session_with_the_same_title_gets_its_own_slug(producer, station_a):
    first = producer.post("/api/sessions/", {"station": station_a.pk, "title": "Talk"})
    second = producer.post("/api/sessions/", {"station": station_a.pk, "title": "Talk"})

    assert (first.json()["slug"], second.json()["slug"]) == ("talk", "talk-2")


def test_creating_a_session_with_a_slug_already_in_use_is_a_conflict(
    producer, station_a, session_a
):
    response = producer.post(
        "/api/sessions/", {"station": station_a.pk, "title": "Copy", "slug": "live-a"}
    )

    assert_error(response, 409, "slug_taken")


@pytest.mark.parametrize("role", ["host_a", "viewer_a", "moderator_a"])
def test_the_overlay_key_is_shown_to_producers_only(request, api_as, producer, session_a, role):
    client = api_as(request.getfixturevalue(role))

    detail = client.get(f"/api/sessions/{session_a.pk}/")
    listing = client.get("/api/sessions/")

    assert producer.get(f"/api/sessions/{session_a.pk}/").json()["overlay_key"] == (
        session_a.overlay_key
    )
    assert detail.status_code == 200
    assert "overlay_key" not in detail.json()
    assert listing.json()["count"] == 1
    assert session_a.overlay_key not in detail.content.decode()
    assert session_a.overlay_key not in listing.content.decode()


def test_a_producer_changes_a_sessions_settings(producer, session_a):
    response = producer.patch(
        f"/api/sessions/{session_a.pk}/",
        {"title": "Live A, extended", "moderation_mode": "post", "submissions_open": False},
        format="json",
    )

    assert response.status_code == 200, response.content
    shown = producer.get(f"/api/sessions/{session_a.pk}/").json()
    assert shown["title"] == "Live A, extended"
    assert shown["moderation_mode"] == "post"
    assert shown["accepts_questions"] is False
    assert shown["slug"] == "live-a"


def test_a_session_setting_with_an_invalid_value_is_refused(producer, session_a):
    response = producer.patch(
        f"/api/sessions/{session_a.pk}/", {"max_question_length": 5}, format="json"
    )

    error = assert_error(response, 400, "invalid")
    assert "max_question_length" in error["details"]
    assert LiveSession.objects.get(pk=session_a.pk).max_question_length == 280


def test_a_session_goes_live_ends_and_can_be_reopened(producer, station_a):
    session = LiveSessionFactory(station=station_a, status="draft")
    url = f"/api/sessions/{session.pk}/status/"

    live = producer.post(url, {"status": "live"}, format="json")
    ended = producer.post(url, {"status": "ended"}, format="json")
    reopened = producer.post(url, {"status": "live"}, format="json")

    assert live.status_code == 200
    assert live.json()["started_at"] is not None
    assert ended.json()["status"] == "ended"
    assert ended.json()["ended_at"] is not None
    assert reopened.json()["status"] == "live"
    assert reopened.json()["ended_at"] is None
    assert reopened.json()["started_at"] == live.json()["started_at"]


@pytest.mark.parametrize(("start", "target"), [("draft", "ended"), ("live", "draft")])
def test_an_illegal_session_transition_is_a_409_in_the_error_shape(
    producer, station_a, start, target
):
    session = LiveSessionFactory(station=station_a, status=start)

    response = producer.post(f"/api/sessions/{session.pk}/status/", {"status": target})

    error = assert_error(response, 409, "invalid_transition")
    assert error["details"] == {"from": start, "to": target}
    assert LiveSession.objects.get(pk=session.pk).status == start


def test_an_unknown_session_status_is_a_400(producer, session_a):
    response = producer.post(f"/api/sessions/{session_a.pk}/status/", {"status": "paused"})

    error = assert_error(response, 400, "invalid")
    assert "status" in error["details"]


def test_rotating_the_overlay_key_replaces_it(producer, session_a):
    old = session_a.overlay_key

    response = producer.post(f"/api/sessions/{session_a.pk}/overlay-key/")

    assert response.status_code == 200
    new = response.json()["overlay_key"]
    assert new and new != old
    assert producer.get(f"/api/sessions/{session_a.pk}/").json()["overlay_key"] == new
    assert not LiveSession.objects.filter(overlay_key=old).exists()


# Guests -------------------------------------------------------------------------------------


def test_a_producer_adds_guests_who_are_listed_in_order(producer, session_a):
    url = f"/api/sessions/{session_a.pk}/guests/"

    created = producer.post(
        url,
        {"name": "Claire Morel", "title": "Minister", "handles": ["@clairemorel"]},
        format="json",
    )

    assert created.status_code == 201, created.content
    assert created.json()["order"] == 1
    names = [g["name"] for g in producer.get(url).json()["results"]]
    assert names == ["Aya Lune", "Claire Morel"]
    shown = producer.get(f"/api/sessions/{session_a.pk}/").json()["guests"]
    assert [g["handles"] for g in shown] == [[], ["@clairemorel"]]


def test_a_producer_edits_a_guest(producer, guest):
    response = producer.patch(
        f"/api/guests/{guest.pk}/", {"title": "Singer", "order": 5}, format="json"
    )

    assert response.status_code == 200
    shown = producer.get(f"/api/guests/{guest.pk}/").json()
    assert (shown["name"], shown["title"], shown["order"]) == ("Aya Lune", "Singer", 5)


def test_a_guest_with_an_invalid_photo_url_is_refused(producer, session_a):
    response = producer.post(
        f"/api/sessions/{session_a.pk}/guests/", {"name": "X", "photo_url": "not a url"}
    )

    error = assert_error(response, 400, "invalid")
    assert "photo_url" in error["details"]


def test_deleting_a_guest_leaves_their_questions_aimed_at_nobody(producer, session_a, guest):
    question = QuestionFactory(session=session_a, target_guest=guest)

    response = producer.delete(f"/api/guests/{guest.pk}/")

    assert response.status_code == 204
    assert_error(producer.get(f"/api/guests/{guest.pk}/"), 404, "not_found")
    shown = producer.get(f"/api/questions/{question.pk}/").json()
    assert shown["target_guest"] is None


# Question list ------------------------------------------------------------------------------


@pytest.fixture
def mixed_questions(session_a, guest):
    """Questions from every source and in several states; keyed by a short name."""
    make = QuestionFactory
    return {
        "web": make(session=session_a, text="When is the tour?", author_name="Camille"),
        "sms": make(
            session=session_a,
            text="Trains late again?",
            source="sms",
            status="approved",
            author_name="Luc",
        ),
        "mastodon": make(
            session=session_a,
            text="Stage fright tips?",
            source="social:mastodon",
            target_guest=guest,
            author_name="Inès",
        ),
        "bluesky": make(
            session=session_a,
            text="Piano first?",
            source="social:bluesky",
            status="approved",
            starred=True,
            author_name="Sam",
        ),
        "manual": make(
            session=session_a,
            text="Warm-up question about the tour",
            source="manual",
            author=None,
            author_name="Producer",
            status="archived",
        ),
        "rejected": make(
            session=session_a, text="Rude words", status="rejected", author_name="Troll"
        ),
    }


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {q["id"] for q in response.json()["results"]}


def _pks(questions, *names) -> set[int]:
    return {questions[n].pk for n in names}


def test_the_question_list_filters_by_several_statuses_at_once(
    producer, session_a, mixed_questions
):
    response = producer.get(
        f"/api/sessions/{session_a.pk}/questions/?status=approved&status=rejected"
    )

    assert _ids(response) == _pks(mixed_questions, "sms", "bluesky", "rejected")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("social", {"mastodon", "bluesky"}),
        ("social:mastodon", {"mastodon"}),
        ("sms", {"sms"}),
        ("manual", {"manual"}),
    ],
)
def test_the_question_list_filters_by_source(
    producer, session_a, mixed_questions, source, expected
):
    response = producer.get(f"/api/sessions/{session_a.pk}/questions/", {"source": source})

    assert _ids(response) == _pks(mixed_questions, *expected)


def test_the_question_list_filters_by_guest_and_by_star(
    producer, session_a, guest, mixed_questions
):
    url = f"/api/sessions/{session_a.pk}/questions/"

    assert _ids(producer.get(url, {"guest": guest.pk})) == _pks(mixed_questions, "mastodon")
    assert _ids(producer.get(url, {"starred": "true"})) == _pks(mixed_questions, "bluesky")
    assert len(_ids(producer.get(url, {"starred": "false"}))) == 5


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("tour", {"web", "manual"}),
        ("TOUR warm-up", {"manual"}),
        ("camille", {"web"}),
        ("ines", set()),
        ("Inès", {"mastodon"}),
    ],
)
def test_the_question_list_searches_text_and_author_names(
    producer, session_a, mixed_questions, q, expected
):
    response = producer.get(f"/api/sessions/{session_a.pk}/questions/", {"q": q})

    assert _ids(response) == _pks(mixed_questions, *expected)


@pytest.mark.parametrize(
    "query", ["status=maybe", "guest=abc", "status=approved&status=live", "q=" + "x" * 201]
)
def test_an_invalid_question_filter_is_a_400(producer, session_a, query):
    response = producer.get(f"/api/sessions/{session_a.pk}/questions/?{query}")

    assert_error(response, 400, "invalid")


def test_the_question_list_is_paginated_newest_first(producer, session_a):
    made = [QuestionFactory(session=session_a) for _ in range(5)]
    url = f"/api/sessions/{session_a.pk}/questions/"

    first = producer.get(url, {"page_size": 2}).json()
    second = APIClient.get(producer, first["next"]).json()
    last = producer.get(url, {"page_size": 2, "page": 3}).json()

    assert first["count"] == 5
    assert [q["id"] for q in first["results"]] == [made[4].pk, made[3].pk]
    assert [q["id"] for q in second["results"]] == [made[2].pk, made[1].pk]
    assert [q["id"] for q in last["results"]] == [made[0].pk]
    assert first["previous"] is None
    assert last["next"] is None


def test_questions_of_another_session_of_the_same_station_are_not_listed(
    producer, station_a, session_a, pending_question
):
    other = LiveSessionFactory(station=station_a)
    QuestionFactory(session=other)

    response = producer.get(f"/api/sessions/{session_a.pk}/questions/")

    assert _ids(response) == {pending_question.pk}


# Questions by hand, edits and moderation ----------------------------------------------------


def test_a_moderator_adds_a_question_by_hand(moderator, session_a, guest):
    response = moderator.post(
        f"/api/sessions/{session_a.pk}/questions/",
        {"text": "  Caller asks:  why now? ", "author_name": "Caller", "guest": guest.pk},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["source"] == "manual"
    assert body["text"] == "Caller asks: why now?"
    assert body["status"] == "pending"
    assert body["target_guest"] == {"id": guest.pk, "name": "Aya Lune"}
    assert body["author_name"] == "Caller"


def test_a_question_by_hand_aimed_at_a_guest_of_another_session_is_refused(
    moderator, station_a, session_a
):
    stranger = GuestFactory(session=LiveSessionFactory(station=station_a))

    response = moderator.post(
        f"/api/sessions/{session_a.pk}/questions/", {"text": "Hi?", "guest": stranger.pk}
    )

    error = assert_error(response, 400, "invalid")
    assert error["details"] == {"guest": "unknown"}
    assert not Question.objects.filter(text="Hi?").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"text": "Hi?", "guest": "abc"},
        {"text": ["Hi?"]},
        {"text": None},
        {"author_name": "Nobody"},
    ],
)
def test_a_question_by_hand_with_a_wrong_type_is_a_400(moderator, session_a, body):
    response = moderator.post(f"/api/sessions/{session_a.pk}/questions/", body, format="json")

    assert_error(response, 400, "invalid")
    assert not Question.objects.exists()


def test_a_question_by_hand_longer_than_the_session_allows_is_too_long(moderator, session_a):
    response = moderator.post(
        f"/api/sessions/{session_a.pk}/questions/", {"text": "x" * 281}, format="json"
    )

    error = assert_error(response, 400, "too_long")
    assert error["details"]["max_length"] == 280


def test_editing_an_approved_question_sends_it_back_to_review(moderator, approved_question):
    response = moderator.patch(
        f"/api/questions/{approved_question.pk}/", {"text": "Approved, reworded?"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["text"] == "Approved, reworded?"
    assert body["original_text"] == "Approved question?"
    assert body["status"] == "pending"


def test_a_question_on_air_cannot_be_edited(moderator, session_a):
    question = QuestionFactory(session=session_a, status="on_air")

    response = moderator.patch(f"/api/questions/{question.pk}/", {"text": "Changed"})

    assert_error(response, 409, "invalid_transition")
    assert Question.objects.get(pk=question.pk).text == question.text


@pytest.mark.parametrize(
    ("start", "action", "body", "expected"),
    [
        ("pending", "approve", None, {"status": "approved"}),
        ("rejected", "approve", None, {"status": "approved"}),
        ("pending", "reject", {"reason": "Off topic"}, {"status": "rejected"}),
        ("approved", "reopen", {}, {"status": "pending"}),
        ("answered", "reopen", {}, {"status": "pending"}),
        ("approved", "archive", {"reason": "Asked before"}, {"status": "archived"}),
        ("pending", "star", {}, {"starred": True}),
        ("pending", "star", {"starred": False}, {"starred": False}),
        ("approved", "answered", None, {"status": "answered"}),
    ],
)
def test_each_moderation_action_moves_the_question_and_is_logged(
    producer, session_a, start, action, body, expected
):
    question = QuestionFactory(session=session_a, status=start, starred=body == {"starred": False})

    response = producer.post(f"/api/questions/{question.pk}/{action}/", body, format="json")

    assert response.status_code == 200, response.content
    assert {k: response.json()[k] for k in expected} == expected
    assert {k: producer.get(f"/api/questions/{question.pk}/").json()[k] for k in expected} == (
        expected
    )
    log = producer.get(
        f"/api/sessions/{session_a.pk}/moderation-log/", {"question": question.pk}
    ).json()["results"]
    assert len(log) == 1
    assert log[0]["actor"]["username"] == "alice"
    assert log[0]["reason"] == (body or {}).get("reason", "")


def test_approving_sets_the_approval_time(moderator, pending_question):
    response = moderator.post(f"/api/questions/{pending_question.pk}/approve/")

    assert response.json()["approved_at"] is not None


def test_a_question_is_aimed_at_a_guest_and_then_at_nobody(moderator, pending_question, guest):
    url = f"/api/questions/{pending_question.pk}/aim/"

    aimed = moderator.post(url, {"guest": guest.pk}, format="json")
    cleared = moderator.post(url, {"guest": None}, format="json")

    assert aimed.json()["target_guest"] == {"id": guest.pk, "name": "Aya Lune"}
    assert cleared.json()["target_guest"] is None


def test_aiming_without_saying_at_whom_is_a_400(moderator, pending_question):
    response = moderator.post(f"/api/questions/{pending_question.pk}/aim/", {}, format="json")

    assert_error(response, 400, "invalid")


@pytest.mark.parametrize(
    ("start", "action"),
    [
        ("on_air", "approve"),
        ("answered", "reject"),
        ("on_air", "archive"),
        ("pending", "reopen"),
        ("pending", "answered"),
    ],
)
def test_an_illegal_moderation_action_is_a_409_and_changes_nothing(
    producer, session_a, start, action
):
    question = QuestionFactory(session=session_a, status=start)

    response = producer.post(f"/api/questions/{question.pk}/{action}/", {}, format="json")

    error = assert_error(response, 409, "invalid_transition")
    assert error["details"]["status"] == start
    assert Question.objects.get(pk=question.pk).status == start


# On air and the as-run log ------------------------------------------------------------------


def test_nothing_is_on_air_at_first(host, session_a):
    response = host.get(f"/api/sessions/{session_a.pk}/on-air/")

    assert response.json() == {"session": session_a.pk, "on_air": None}


def test_the_host_takes_a_question_on_air_and_marks_it_answered(host, session_a, approved_question):
    url = f"/api/sessions/{session_a.pk}/on-air/"

    taken = host.post(url, {"question": approved_question.pk}, format="json")
    during = host.get(url).json()
    answered = host.post(f"/api/questions/{approved_question.pk}/answered/")
    after = host.get(url).json()

    assert taken.status_code == 200
    assert taken.json()["on_air"]["id"] == approved_question.pk
    assert during["on_air"]["status"] == "on_air"
    assert answered.json()["status"] == "answered"
    assert answered.json()["answered_at"] is not None
    assert after["on_air"] is None


def test_taking_another_question_replaces_the_one_on_air(host, session_a, approved_question):
    second = QuestionFactory(session=session_a, status="approved")
    url = f"/api/sessions/{session_a.pk}/on-air/"
    host.post(url, {"question": approved_question.pk}, format="json")

    response = host.post(url, {"question": second.pk}, format="json")

    assert response.json()["on_air"]["id"] == second.pk
    assert Question.objects.get(pk=approved_question.pk).status == "answered"


def test_clearing_the_screen_sends_the_question_back_to_the_approved_queue(
    host, session_a, approved_question
):
    url = f"/api/sessions/{session_a.pk}/on-air/"
    host.post(url, {"question": approved_question.pk}, format="json")

    response = host.delete(url)

    assert response.status_code == 200
    assert response.json()["on_air"] is None
    assert host.get(f"/api/questions/{approved_question.pk}/").json()["status"] == "approved"


def test_clearing_an_empty_screen_is_harmless(host, session_a):
    response = host.delete(f"/api/sessions/{session_a.pk}/on-air/")

    assert response.status_code == 200
    assert response.json()["on_air"] is None


def test_a_pending_question_cannot_go_on_air(host, session_a, pending_question):
    response = host.post(f"/api/sessions/{session_a.pk}/on-air/", {"question": pending_question.pk})

    assert_error(response, 409, "invalid_transition")
    assert host.get(f"/api/sessions/{session_a.pk}/on-air/").json()["on_air"] is None


def test_a_question_of_another_session_cannot_go_on_air(host, station_a, session_a):
    other = QuestionFactory(session=LiveSessionFactory(station=station_a), status="approved")

    response = host.post(f"/api/sessions/{session_a.pk}/on-air/", {"question": other.pk})

    assert_error(response, 404, "not_found")
    assert Question.objects.get(pk=other.pk).status == "approved"


def test_a_session_that_is_not_live_cannot_put_questions_on_air(host, station_a):
    draft = LiveSessionFactory(station=station_a, status="draft")
    question = QuestionFactory(session=draft, status="approved")

    response = host.post(f"/api/sessions/{draft.pk}/on-air/", {"question": question.pk})

    assert_error(response, 409, "session_not_live")


def test_the_as_run_log_records_what_aired_who_took_it_and_how_it_ended(
    host, producer, session_a, approved_question
):
    second = QuestionFactory(session=session_a, text="Second on air?", status="approved")
    third = QuestionFactory(session=session_a, text="Third on air?", status="approved")
    url = f"/api/sessions/{session_a.pk}/on-air/"
    host.post(url, {"question": approved_question.pk}, format="json")
    producer.post(url, {"question": second.pk}, format="json")
    host.post(f"/api/questions/{second.pk}/answered/")
    host.post(url, {"question": third.pk}, format="json")
    host.delete(url)

    rows = producer.get(f"/api/sessions/{session_a.pk}/as-run/").json()["results"]

    assert [
        (r["question"], r["question_text"], r["taken_by"]["username"], r["outcome"]) for r in rows
    ] == [
        (approved_question.pk, "Approved question?", "hugo", "replaced"),
        (second.pk, "Second on air?", "alice", "answered"),
        (third.pk, "Third on air?", "hugo", "cleared"),
    ]
    assert [r["ended_by"]["username"] for r in rows] == ["alice", "hugo", "hugo"]
    for row in rows:
        assert row["ended_at"] >= row["taken_at"]
        assert row["duration_seconds"] >= 0


def test_an_as_run_entry_still_on_air_has_no_end_yet(host, session_a, approved_question):
    host.post(f"/api/sessions/{session_a.pk}/on-air/", {"question": approved_question.pk})

    (row,) = host.get(f"/api/sessions/{session_a.pk}/as-run/").json()["results"]

    assert (row["ended_at"], row["ended_by"], row["outcome"], row["duration_seconds"]) == (
        None,
        None,
        "",
        None,
    )


# Moderation log -----------------------------------------------------------------------------


def test_the_moderation_log_lists_decisions_newest_first(
    moderator, session_a, pending_question, approved_question
):
    moderator.post(f"/api/questions/{pending_question.pk}/approve/")
    moderator.post(f"/api/questions/{pending_question.pk}/star/")
    moderator.post(f"/api/questions/{approved_question.pk}/reject/", {"reason": "Duplicate"})

    rows = moderator.get(f"/api/sessions/{session_a.pk}/moderation-log/").json()["results"]

    assert [(r["question"], r["action"]) for r in rows] == [
        (approved_question.pk, "reject"),
        (pending_question.pk, "star"),
        (pending_question.pk, "approve"),
    ]
    assert rows[0]["from_status"] == "approved"
    assert rows[0]["to_status"] == "rejected"
    assert rows[0]["reason"] == "Duplicate"
    assert rows[0]["actor"] == {"id": rows[0]["actor"]["id"], "username": "mona"}


def test_the_moderation_log_filters_by_question_and_action(
    moderator, session_a, pending_question, approved_question
):
    moderator.post(f"/api/questions/{pending_question.pk}/approve/")
    moderator.post(f"/api/questions/{pending_question.pk}/star/")
    moderator.post(f"/api/questions/{approved_question.pk}/star/")
    url = f"/api/sessions/{session_a.pk}/moderation-log/"

    by_question = moderator.get(url, {"question": pending_question.pk}).json()["results"]
    by_action = moderator.get(url, {"action": "star"}).json()["results"]

    assert [r["action"] for r in by_question] == ["star", "approve"]
    assert [r["question"] for r in by_action] == [approved_question.pk, pending_question.pk]


# Bans ---------------------------------------------------------------------------------------


def _ask(text: str):
    return APIClient().post(
        "/api/public/sessions/live-a/questions/",
        {"text": text},
        format="json",
        HTTP_X_VOTER_TOKEN=VOTER,
    )


def test_a_banned_authors_next_question_arrives_rejected(moderator, session_a, station_a):
    first = _ask("An honest question?")
    assert first.status_code == 201

    ban = moderator.post("/api/bans/", {"question": first.json()["id"], "reason": "Abuse"})
    second = _ask("Another rude one")

    assert ban.status_code == 201, ban.content
    assert ban.json()["station"] == station_a.pk
    assert ban.json()["reason"] == "Abuse"
    assert ban.json()["created_by"]["username"] == "mona"
    assert second.status_code == 201
    # The author is not told: their question looks like any other awaiting review.
    assert second.json()["status"] == "pending"
    crew_view = moderator.get(f"/api/questions/{second.json()['id']}/").json()
    assert crew_view["status"] == "rejected"
    assert moderator.get(f"/api/questions/{first.json()['id']}/").json()["status"] == "pending"
    public = APIClient().get("/api/public/sessions/live-a/questions/").json()["results"]
    assert second.json()["id"] not in {q["id"] for q in public}


def test_lifting_a_ban_lets_the_authors_questions_through_again(moderator, session_a):
    first = _ask("First?")
    ban = moderator.post("/api/bans/", {"question": first.json()["id"]}).json()

    deleted = moderator.delete(f"/api/bans/{ban['id']}/")
    after = _ask("After the ban?")

    assert deleted.status_code == 204
    assert moderator.get("/api/bans/").json()["count"] == 0
    assert moderator.get(f"/api/questions/{after.json()['id']}/").json()["status"] == "pending"
    assert_error(moderator.delete(f"/api/bans/{ban['id']}/"), 404, "not_found")


def test_the_ban_list_shows_the_stations_bans_with_their_authors(
    moderator, station_a, pending_question
):
    moderator.post("/api/bans/", {"question": pending_question.pk, "reason": "Spam"})

    rows = moderator.get("/api/bans/", {"station": station_a.pk}).json()["results"]

    assert [(r["author"]["id"], r["reason"]) for r in rows] == [
        (pending_question.author_id, "Spam")
    ]


def test_banning_the_same_author_twice_is_a_conflict(moderator, session_a):
    author = AuthorFactory()
    one = QuestionFactory(session=session_a, author=author)
    two = QuestionFactory(session=session_a, author=author)
    moderator.post("/api/bans/", {"question": one.pk})

    response = moderator.post("/api/bans/", {"question": two.pk})

    assert_error(response, 409, "already_banned")
    assert moderator.get("/api/bans/").json()["count"] == 1


def test_a_question_without_a_known_author_cannot_be_banned(moderator, session_a):
    question = QuestionFactory(
        session=session_a, author=None, author_name="Caller", source="manual"
    )

    response = moderator.post("/api/bans/", {"question": question.pk})

    assert_error(response, 409, "no_author")


# Malformed requests -------------------------------------------------------------------------


def test_malformed_json_is_a_400_malformed(producer, session_a):
    response = producer.generic(
        "POST",
        f"/api/sessions/{session_a.pk}/guests/",
        b'{"name": "Claire',
        content_type="application/json",
    )

    assert_error(response, 400, "malformed")


def test_a_json_list_instead_of_an_object_is_a_400_invalid(producer, session_a):
    response = producer.post(
        f"/api/sessions/{session_a.pk}/guests/", [{"name": "Claire"}], format="json"
    )

    error = assert_error(response, 400, "invalid")
    assert "non_field_errors" in error["details"]
    assert session_a.guests.count() == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/sessions/{s}/on-air/", {"question": "abc"}),
        ("/api/sessions/{s}/guests/", {"name": "X", "order": "first"}),
        ("/api/sessions/{s}/guests/", {"name": "X", "handles": "@x"}),
        ("/api/sessions/{s}/", {"submissions_open": "perhaps"}),
        ("/api/sessions/{s}/", {"hashtags": {"a": 1}}),
        ("/api/bans/", {"question": {"id": 1}}),
    ],
)
def test_a_field_of_the_wrong_type_is_a_400(producer, session_a, path, body):
    method = producer.patch if path == "/api/sessions/{s}/" else producer.post

    response = method(path.format(s=session_a.pk), body, format="json")

    error = assert_error(response, 400, "invalid")
    assert set(error["details"]) == set(body) - {"name"}


TOO_BIG = 10**20  # larger than any id SQLite or PostgreSQL can store


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/sessions/", {"station": TOO_BIG, "title": "Big"}),
        ("get", "/api/sessions/{s}/questions/?guest=" + str(TOO_BIG), None),
        ("get", "/api/sessions/?station=" + str(TOO_BIG), None),
        ("get", "/api/bans/?station=" + str(TOO_BIG), None),
        ("get", "/api/sessions/{s}/moderation-log/?question=" + str(TOO_BIG), None),
    ],
)
def test_an_id_too_large_for_the_database_is_a_400(producer, session_a, method, path, body):
    response = getattr(producer, method)(path.format(s=session_a.pk), body, format="json")

    assert_error(response, 400, "invalid")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/bans/", {"question": TOO_BIG}),
        ("post", "/api/sessions/{s}/on-air/", {"question": TOO_BIG}),
        ("get", f"/api/sessions/{TOO_BIG}/", None),
        ("get", f"/api/questions/{TOO_BIG}/", None),
        ("delete", f"/api/guests/{TOO_BIG}/", None),
        ("delete", f"/api/bans/{TOO_BIG}/", None),
    ],
)
def test_an_object_with_an_id_too_large_for_the_database_is_not_found(
    producer, session_a, pending_question, method, path, body
):
    url = path.format(s=session_a.pk, q=pending_question.pk)

    response = getattr(producer, method)(url, body, format="json")

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/questions/{q}/aim/", {"guest": TOO_BIG}),
        ("/api/sessions/{s}/questions/", {"text": "Hi?", "guest": TOO_BIG}),
    ],
)
def test_a_guest_id_too_large_for_the_database_is_an_unknown_guest(
    producer, session_a, pending_question, path, body
):
    url = path.format(s=session_a.pk, q=pending_question.pk)

    response = producer.post(url, body, format="json")

    error = assert_error(response, 400, "invalid")
    assert error["details"] == {"guest": "unknown"}


def test_deeply_nested_json_to_a_crew_endpoint_is_a_400_malformed(producer, session_a):
    response = producer.generic(
        "PATCH",
        f"/api/sessions/{session_a.pk}/",
        '{"title":' * 50_000,
        content_type="application/json",
    )

    assert_error(response, 400, "malformed")


def test_an_aim_at_a_guest_that_is_not_a_number_is_a_400(producer, pending_question):
    response = producer.post(
        f"/api/questions/{pending_question.pk}/aim/", {"guest": "abc"}, format="json"
    )

    error = assert_error(response, 400, "invalid")
    assert "guest" in error["details"]


def test_an_unsupported_content_type_is_a_415(producer, session_a):
    response = producer.generic(
        "POST", f"/api/sessions/{session_a.pk}/guests/", b"name=X", content_type="text/plain"
    )

    assert_error(response, 415, "unsupported_media_type")


def test_a_method_an_endpoint_does_not_have_is_a_405(producer, session_a):
    response = producer.put(f"/api/sessions/{session_a.pk}/", {"title": "X"}, format="json")

    assert_error(response, 405, "method_not_allowed")


@pytest.mark.parametrize(
    "path", ["/api/nothing-here/", "/api/sessions/abc/", "/api/stations", "/api/v2/sessions/"]
)
def test_an_unknown_api_path_is_a_404_in_the_error_shape(producer, path):
    response = producer.get(path)

    assert_error(response, 404, "not_found")
    assert response["Content-Type"] == "application/json"


def test_a_write_to_an_unknown_api_path_is_a_404_even_without_a_csrf_token():
    client = APIClient(enforce_csrf_checks=True)

    response = client.post("/api/nothing-here/", {"a": 1}, format="json")

    assert_error(response, 404, "not_found")


def test_a_page_past_the_end_is_a_404_in_the_error_shape(producer, session_a):
    response = producer.get(f"/api/sessions/{session_a.pk}/questions/", {"page": 9})

    assert_error(response, 404, "not_found")
