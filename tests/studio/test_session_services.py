"""Sessions and guests: creating, changing status and settings, and who may do it."""

from __future__ import annotations

import pytest

from questions.services import session_set_status
from studio.errors import Conflict, InvalidTransition, NotAllowed, NotFound, ValidationFailed
from studio.models import Guest, LiveSession
from studio.services import (
    guest_create,
    guest_delete,
    guest_update,
    session_create,
    session_rotate_overlay_key,
    session_update,
)
from tests.factories import GuestFactory, LiveSessionFactory, QuestionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(station_a, producer_a):
    return LiveSessionFactory(station=station_a, title="Draft", slug="draft", status="draft")


def reread(obj):
    return type(obj).objects.get(pk=obj.pk)


# session_create


def test_a_producer_creates_a_draft_session_with_a_slug_from_the_title(station_a, producer_a):
    session = session_create(
        actor=producer_a, station=station_a, title="  Morning Show: Élections 2026!  "
    )

    row = reread(session)
    assert row.title == "Morning Show: Élections 2026!"
    assert row.slug == "morning-show-elections-2026"
    assert row.status == "draft"
    assert row.station == station_a
    assert row.created_by == producer_a
    assert row.started_at is None


def test_sessions_with_the_same_title_get_numbered_slugs(station_a, producer_a):
    slugs = [
        session_create(actor=producer_a, station=station_a, title="Town Hall").slug
        for _ in range(3)
    ]

    assert slugs == ["town-hall", "town-hall-2", "town-hall-3"]
    assert set(LiveSession.objects.values_list("slug", flat=True)) == set(slugs)


def test_a_title_with_no_latin_letters_still_gets_a_slug(station_a, producer_a):
    session = session_create(actor=producer_a, station=station_a, title="Привет!")

    assert reread(session).slug == "session"


def test_an_explicit_slug_is_used_as_given(station_a, producer_a):
    session = session_create(
        actor=producer_a, station=station_a, title="Town Hall", slug="Spring Debate"
    )

    assert reread(session).slug == "spring-debate"


def test_an_explicit_slug_that_is_taken_is_refused(station_a, producer_a, session_a):
    with pytest.raises(Conflict) as exc:
        session_create(actor=producer_a, station=station_a, title="Another", slug="live-a")

    assert exc.value.code == "slug_taken"
    assert LiveSession.objects.count() == 1


@pytest.mark.parametrize("slug", ["-", "_", "--", "!!!"])
def test_an_explicit_slug_with_nothing_usable_in_it_is_refused(station_a, producer_a, slug):
    with pytest.raises(ValidationFailed) as exc:
        session_create(actor=producer_a, station=station_a, title="Town Hall", slug=slug)

    assert exc.value.details == {"slug": "invalid"}
    assert not LiveSession.objects.exists()


def test_an_empty_title_is_refused(station_a, producer_a):
    with pytest.raises(ValidationFailed) as exc:
        session_create(actor=producer_a, station=station_a, title="   ")

    assert exc.value.details == {"title": "required"}
    assert not LiveSession.objects.exists()


def test_hashtags_lose_their_hash_and_duplicates(station_a, producer_a):
    session = session_create(
        actor=producer_a,
        station=station_a,
        title="Town Hall",
        hashtags=["#Radio", "radio", " news ", "#NEWS", "vote_2026", "##Radio"],
    )

    assert reread(session).hashtags == ["Radio", "news", "vote_2026"]


@pytest.mark.parametrize("tag", ["two words", "#", "", "semi;colon", "dash-tag", "x" * 61])
def test_an_invalid_hashtag_is_refused(station_a, producer_a, tag):
    with pytest.raises(ValidationFailed) as exc:
        session_create(actor=producer_a, station=station_a, title="Town Hall", hashtags=[tag])

    assert "hashtags" in exc.value.details
    assert not LiveSession.objects.exists()


@pytest.mark.parametrize("crew", ["moderator_a", "host_a", "viewer_a"])
def test_only_a_producer_may_create_a_session(request, station_a, crew):
    with pytest.raises(NotAllowed) as exc:
        session_create(actor=request.getfixturevalue(crew), station=station_a, title="Mine")

    assert exc.value.details["needs"] == "manage"
    assert not LiveSession.objects.exists()


def test_a_producer_of_another_station_cannot_create_a_session_there(station_a, producer_b):
    with pytest.raises(NotFound):
        session_create(actor=producer_b, station=station_a, title="Mine")

    assert not LiveSession.objects.exists()


# session_set_status


def test_going_live_stamps_the_start(producer_a, draft):
    session_set_status(actor=producer_a, session=draft, status="live")

    row = reread(draft)
    assert row.status == "live"
    assert row.started_at is not None
    assert row.ended_at is None
    assert row.accepts_questions


def test_ending_stamps_the_end(producer_a, draft):
    session_set_status(actor=producer_a, session=draft, status="live")

    session_set_status(actor=producer_a, session=draft, status="ended")

    row = reread(draft)
    assert row.status == "ended"
    assert row.ended_at is not None
    assert row.ended_at >= row.started_at
    assert not row.accepts_questions


def test_reopening_an_ended_session_keeps_its_start_and_clears_its_end(producer_a, draft):
    session_set_status(actor=producer_a, session=draft, status="live")
    started_at = reread(draft).started_at
    session_set_status(actor=producer_a, session=draft, status="ended")

    session_set_status(actor=producer_a, session=draft, status="live")

    row = reread(draft)
    assert row.status == "live"
    assert row.started_at == started_at
    assert row.ended_at is None


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        ("draft", "ended"),
        ("draft", "draft"),
        ("live", "draft"),
        ("live", "live"),
        ("ended", "draft"),
    ],
)
def test_an_illegal_status_change_is_refused_and_changes_nothing(station_a, producer_a, src, dst):
    session = LiveSessionFactory(station=station_a, status=src)

    with pytest.raises(InvalidTransition) as exc:
        session_set_status(actor=producer_a, session=session, status=dst)

    assert exc.value.details == {"from": src, "to": dst}
    row = reread(session)
    assert (row.status, row.started_at, row.ended_at) == (src, None, None)


def test_an_unknown_status_is_refused(producer_a, draft):
    with pytest.raises(InvalidTransition):
        session_set_status(actor=producer_a, session=draft, status="paused")

    assert reread(draft).status == "draft"


@pytest.mark.parametrize("crew", ["moderator_a", "host_a", "viewer_a"])
def test_only_a_producer_may_change_a_sessions_status(request, draft, crew):
    with pytest.raises(NotAllowed):
        session_set_status(actor=request.getfixturevalue(crew), session=draft, status="live")

    assert reread(draft).status == "draft"


def test_a_producer_of_another_station_cannot_change_a_sessions_status(draft, producer_b):
    with pytest.raises(NotFound):
        session_set_status(actor=producer_b, session=draft, status="live")

    assert reread(draft).status == "draft"


# session_update


def test_a_producer_changes_a_sessions_settings(producer_a, session_a):
    session_update(
        actor=producer_a,
        session=session_a,
        title="  New title ",
        hashtags=["#Vote", "vote"],
        submissions_open=False,
        moderation_mode="post",
        max_question_length=140,
        language="fr",
    )

    row = reread(session_a)
    assert row.title == "New title"
    assert row.hashtags == ["Vote"]
    assert row.submissions_open is False
    assert row.moderation_mode == "post"
    assert row.max_question_length == 140
    assert row.language == "fr"


@pytest.mark.parametrize(
    "field",
    [
        {"status": "ended"},
        {"slug": "new-slug"},
        {"overlay_key": "guessable"},
        {"started_at": None},
        {"created_by": None},
    ],
)
def test_fields_outside_the_settings_cannot_be_changed(producer_a, session_a, field):
    before = reread(session_a)

    with pytest.raises(ValidationFailed):
        session_update(actor=producer_a, session=session_a, title="Changed", **field)

    row = reread(session_a)
    assert (row.title, row.status, row.slug, row.overlay_key) == (
        before.title,
        before.status,
        before.slug,
        before.overlay_key,
    )


def test_an_update_to_an_empty_title_is_refused(producer_a, session_a):
    with pytest.raises(ValidationFailed):
        session_update(actor=producer_a, session=session_a, title="  ")

    assert reread(session_a).title == "Live A"


def test_an_update_with_an_invalid_hashtag_is_refused(producer_a, session_a):
    with pytest.raises(ValidationFailed):
        session_update(actor=producer_a, session=session_a, hashtags=["ok", "not ok"])

    assert reread(session_a).hashtags == []


@pytest.mark.parametrize("crew", ["moderator_a", "host_a", "viewer_a"])
def test_only_a_producer_may_change_a_sessions_settings(request, session_a, crew):
    with pytest.raises(NotAllowed):
        session_update(actor=request.getfixturevalue(crew), session=session_a, title="Mine")

    assert reread(session_a).title == "Live A"


def test_a_producer_of_another_station_cannot_change_a_sessions_settings(session_a, producer_b):
    with pytest.raises(NotFound):
        session_update(actor=producer_b, session=session_a, title="Mine")

    assert reread(session_a).title == "Live A"


# session_rotate_overlay_key


def test_rotating_the_overlay_key_replaces_it(producer_a, session_a):
    old_key = reread(session_a).overlay_key

    session_rotate_overlay_key(actor=producer_a, session=session_a)

    new_key = reread(session_a).overlay_key
    assert new_key != old_key
    assert len(new_key) >= 32
    assert not LiveSession.objects.filter(overlay_key=old_key).exists()


@pytest.mark.parametrize("crew", ["moderator_a", "host_a", "viewer_a", "producer_b"])
def test_only_a_producer_of_the_station_may_rotate_the_overlay_key(request, session_a, crew):
    old_key = reread(session_a).overlay_key

    with pytest.raises((NotAllowed, NotFound)) as exc:
        session_rotate_overlay_key(actor=request.getfixturevalue(crew), session=session_a)

    assert exc.type is (NotFound if crew == "producer_b" else NotAllowed)
    assert reread(session_a).overlay_key == old_key


# Guests


def test_a_new_guest_goes_after_the_existing_ones(producer_a, session_a):
    guest = guest_create(
        actor=producer_a,
        session=session_a,
        name="  Ben Okafor ",
        title="Mayor",
        handles=[" @ben ", "@ben@social.example"],
    )

    row = reread(guest)
    assert row.session == session_a
    assert row.name == "Ben Okafor"
    assert row.title == "Mayor"
    assert row.handles == ["@ben", "@ben@social.example"]
    assert row.order == 1
    assert list(session_a.guests.values_list("name", flat=True)) == ["Aya Lune", "Ben Okafor"]


def test_a_guest_can_be_given_an_explicit_order(producer_a, session_a):
    guest = guest_create(actor=producer_a, session=session_a, name="First", order=0)

    assert reread(guest).order == 0


@pytest.mark.parametrize(
    "fields",
    [{"name": "  "}, {"name": "Ok", "handles": ["  "]}, {"name": "Ok", "twitter": "@ok"}],
)
def test_an_invalid_guest_is_refused(producer_a, session_a, fields):
    with pytest.raises(ValidationFailed):
        guest_create(actor=producer_a, session=session_a, **fields)

    assert session_a.guests.count() == 1


def test_a_producer_updates_a_guest(producer_a, session_a):
    guest = session_a.guests.get()

    guest_update(actor=producer_a, guest=guest, name=" Aya L. ", bio="Historian", order=3)

    row = reread(guest)
    assert (row.name, row.bio, row.order) == ("Aya L.", "Historian", 3)


@pytest.mark.parametrize("fields", [{"name": ""}, {"handles": [""]}, {"session_id": 99}])
def test_an_invalid_guest_update_is_refused(producer_a, session_a, fields):
    guest = session_a.guests.get()

    with pytest.raises(ValidationFailed):
        guest_update(actor=producer_a, guest=guest, **fields)

    row = reread(guest)
    assert (row.name, row.handles, row.session_id) == ("Aya Lune", [], session_a.pk)


def test_deleting_a_guest_keeps_the_questions_aimed_at_them(producer_a, session_a):
    guest = session_a.guests.get()
    question = QuestionFactory(session=session_a, target_guest=guest)

    guest_delete(actor=producer_a, guest=guest)

    assert not Guest.objects.filter(pk=guest.pk).exists()
    question.refresh_from_db()
    assert question.target_guest is None


@pytest.mark.parametrize("crew", ["moderator_a", "host_a", "viewer_a"])
def test_only_a_producer_may_manage_guests(request, session_a, crew):
    actor = request.getfixturevalue(crew)
    guest = session_a.guests.get()

    with pytest.raises(NotAllowed):
        guest_create(actor=actor, session=session_a, name="Intruder")
    with pytest.raises(NotAllowed):
        guest_update(actor=actor, guest=guest, name="Renamed")
    with pytest.raises(NotAllowed):
        guest_delete(actor=actor, guest=guest)

    assert list(session_a.guests.values_list("name", flat=True)) == ["Aya Lune"]


def test_a_producer_of_another_station_cannot_find_its_guests(session_a, producer_b):
    guest = GuestFactory(session=session_a, name="Ben")

    with pytest.raises(NotFound):
        guest_create(actor=producer_b, session=session_a, name="Intruder")
    with pytest.raises(NotFound):
        guest_update(actor=producer_b, guest=guest, name="Renamed")
    with pytest.raises(NotFound):
        guest_delete(actor=producer_b, guest=guest)

    assert sorted(session_a.guests.values_list("name", flat=True)) == ["Aya Lune", "Ben"]


OUT_OF_LIMITS = [
    {"moderation_mode": "whenever"},
    {"language": "tlh"},
    {"max_question_length": 5},
    {"max_question_length": 100_000},
]


@pytest.mark.parametrize("fields", OUT_OF_LIMITS)
def test_a_session_cannot_be_created_outside_the_models_limits(station_a, producer_a, fields):
    with pytest.raises(ValidationFailed):
        session_create(actor=producer_a, station=station_a, title="Fine title", **fields)
    assert not LiveSession.objects.filter(title="Fine title").exists()


@pytest.mark.parametrize("fields", [*OUT_OF_LIMITS, {"title": "x" * 201}])
def test_a_session_cannot_be_changed_outside_the_models_limits(producer_a, session_a, fields):
    with pytest.raises(ValidationFailed):
        session_update(actor=producer_a, session=session_a, **fields)
    stored = LiveSession.objects.get(pk=session_a.pk)
    for name in fields:
        assert getattr(stored, name) != fields[name]
