"""The studio's reads: those the live sockets make, and the lookups the views share."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from studio import selectors
from studio.errors import NotFound, ValidationFailed
from studio.models import SessionStatus
from tests.factories import GuestFactory, LiveSessionFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", [SessionStatus.DRAFT, SessionStatus.LIVE, SessionStatus.ENDED])
def test_session_by_slug_finds_a_session_whatever_its_status(status, station_a):
    session = LiveSessionFactory(station=station_a, slug="any-status", status=status)

    assert selectors.session_by_slug(slug="any-status") == session


def test_session_by_slug_is_none_for_an_unknown_slug(session_a):
    assert selectors.session_by_slug(slug="no-such-session") is None


@pytest.mark.parametrize("status", [SessionStatus.LIVE, SessionStatus.ENDED])
def test_audience_session_by_slug_finds_a_live_or_ended_session(status, station_a):
    session = LiveSessionFactory(station=station_a, slug="on-show", status=status)

    assert selectors.audience_session_by_slug(slug="on-show") == session


def test_audience_session_by_slug_never_gives_a_draft(station_a):
    LiveSessionFactory(station=station_a, slug="not-yet", status=SessionStatus.DRAFT)

    assert selectors.audience_session_by_slug(slug="not-yet") is None
    assert selectors.audience_session_by_slug(slug="no-such-session") is None


def test_overlay_key_for_session_is_the_current_key(session_a):
    assert selectors.overlay_key_for_session(session_id=session_a.pk) == session_a.overlay_key

    session_a.overlay_key = "a-new-key"
    session_a.save(update_fields=["overlay_key"])

    assert selectors.overlay_key_for_session(session_id=session_a.pk) == "a-new-key"


def test_overlay_key_for_session_is_none_once_the_session_is_gone(session_a):
    session_id = session_a.pk
    session_a.delete()

    assert selectors.overlay_key_for_session(session_id=session_id) is None


# The guest of a session, however its id came in ------------------------------------------------


def test_guest_in_session_finds_the_sessions_guest_in_one_query(
    session_a, django_assert_num_queries
):
    guest = session_a.guests.get()

    with django_assert_num_queries(1):
        found = selectors.guest_in_session(session_id=session_a.pk, guest_id=guest.pk)

    assert found == guest


def test_guest_in_session_refuses_a_guest_of_another_session(
    session_a, session_b, django_assert_num_queries
):
    other = GuestFactory(session=session_b)

    with django_assert_num_queries(1), pytest.raises(ValidationFailed) as exc:
        selectors.guest_in_session(session_id=session_a.pk, guest_id=other.pk)

    assert exc.value.code == "invalid"
    assert exc.value.message == "That guest is not in this session."
    assert exc.value.details == {"guest": "unknown"}


@pytest.mark.parametrize("guest_id", [987_654, 2**63 - 1])
def test_guest_in_session_refuses_an_id_no_guest_has(session_a, guest_id):
    with pytest.raises(ValidationFailed) as exc:
        selectors.guest_in_session(session_id=session_a.pk, guest_id=guest_id)

    assert exc.value.details == {"guest": "unknown"}


# Stations -------------------------------------------------------------------------------------


def test_station_roles_for_user_maps_each_station_to_the_role_in_one_query(
    station_a, station_b, producer_a, django_assert_num_queries
):
    MembershipFactory(station=station_b, user=producer_a, role="moderator")

    with django_assert_num_queries(1):
        roles = selectors.station_roles_for_user(producer_a)

    assert roles == {station_a.pk: "producer", station_b.pk: "moderator"}


def test_station_roles_for_user_is_empty_for_a_visitor_without_a_query(
    station_a, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert selectors.station_roles_for_user(AnonymousUser()) == {}


def test_station_by_id_finds_the_station_in_one_query(station_a, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert selectors.station_by_id(station_id=station_a.pk) == station_a


def test_station_by_id_is_not_found_for_an_unknown_id(station_a):
    with pytest.raises(NotFound):
        selectors.station_by_id(station_id=station_a.pk + 1000)
