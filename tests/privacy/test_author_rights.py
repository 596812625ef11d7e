"""One author's data at a station: the right to erasure and the right of access, over the crew
API (producers only; another station's crew gets 404) and in the admin."""

from __future__ import annotations

import json

import pytest

from questions.models import (
    AudienceReport,
    Author,
    Ban,
    PrivacyAction,
    PrivacyLogEntry,
    Question,
    Vote,
)
from questions.services.privacy import ERASED_TEXT
from studio.models import AsRunEntry
from tests.factories import AuthorFactory, LiveSessionFactory, QuestionFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

VOTER = "d4" * 32


@pytest.fixture
def julie(station_a, station_b, session_a, producer_a):
    """A web listener of both stations: at station A an aired question, a pending one (in a
    second session) and votes and a report; at station B a question and a vote."""
    author = AuthorFactory(platform="web", external_id=VOTER, display_name="Julie Marchand")
    aired = QuestionFactory(
        session=session_a,
        author=author,
        author_name="Julie Marchand",
        text="Which song was hardest to write?",
        status="answered",
    )
    AsRunEntry.objects.create(
        session=session_a, question=aired, taken_by=producer_a, taken_at=aired.created_at
    )
    other_show = LiveSessionFactory(station=station_a, slug="other-show", status="ended")
    pending = QuestionFactory(
        session=other_show,
        author=author,
        author_name="Julie Marchand",
        text="Do you remember the Brest concert in 2019?",
        status="pending",
    )
    someone = QuestionFactory(session=session_a, text="Someone else's?", status="approved")
    Vote.objects.create(question=someone, voter=VOTER)
    Vote.objects.create(question=aired, voter="e5" * 32)
    AudienceReport.objects.create(question=someone, reporter=VOTER)
    session_b = LiveSessionFactory(station=station_b, slug="show-b", status="live")
    in_b = QuestionFactory(
        session=session_b,
        author=author,
        author_name="Julie Marchand",
        text="Station B asks about Quimper?",
        status="approved",
    )
    Vote.objects.create(question=in_b, voter=VOTER)
    return {"author": author, "aired": aired, "pending": pending, "in_b": in_b}


def _erase(client, station, author):
    return client.post(f"/api/stations/{station.pk}/authors/{author.pk}/erase/", format="json")


def _export(client, station, author):
    return client.get(f"/api/stations/{station.pk}/authors/{author.pk}/export/")


def test_a_producer_erases_an_author_at_their_station_only(api_as, producer_a, station_a, julie):
    response = _erase(api_as(producer_a), station_a, julie["author"])

    assert response.status_code == 200, response.content
    counts = response.json()["counts"]
    assert (counts["questions"], counts["texts_erased"], counts["aired_kept"]) == (2, 1, 1)
    assert (counts["votes"], counts["reports"]) == (1, 1)
    aired = Question.objects.get(pk=julie["aired"].pk)
    assert (aired.text, aired.author_name, aired.air_name) == (
        "Which song was hardest to write?",
        "",
        "",
    )
    pending = Question.objects.get(pk=julie["pending"].pk)
    assert (pending.text, pending.author_name) == (ERASED_TEXT, "")
    assert not Vote.objects.filter(question__session__station=station_a, voter=VOTER).exists()
    assert not AudienceReport.objects.filter(reporter=VOTER).exists()
    # Station B's data is left alone, and so is her record there.
    in_b = Question.objects.get(pk=julie["in_b"].pk)
    assert (in_b.text, in_b.author_name, in_b.author_id) == (
        "Station B asks about Quimper?",
        "Julie Marchand",
        julie["author"].pk,
    )
    assert Vote.objects.filter(question=in_b, voter=VOTER).exists()
    # Station A's questions point to an anonymous author now.
    stand_in = Author.objects.get(pk=aired.author_id)
    assert (stand_in.display_name, stand_in.handle) == ("", "")
    assert stand_in.external_id.startswith("erased:")
    assert pending.author_id == stand_in.pk


def test_an_author_only_of_this_station_is_anonymised_in_place(api_as, producer_a, station_a):
    author = AuthorFactory(platform="sms", external_id="ab" * 32, display_name="Paul", handle="")
    session = LiveSessionFactory(station=station_a, status="ended")
    QuestionFactory(session=session, author=author, author_name="Paul", text="Paul asks?")

    assert _erase(api_as(producer_a), station_a, author).status_code == 200

    author.refresh_from_db()
    assert (author.display_name, author.external_id) == ("", f"erased:{author.pk}")


def test_a_ban_at_the_station_still_matches_an_erased_author(api_as, producer_a, station_a):
    author = AuthorFactory(platform="sms", external_id="cd" * 32, display_name="Troll")
    QuestionFactory(session=LiveSessionFactory(station=station_a), author=author, text="Spam!")
    Ban.objects.create(station=station_a, author=author)

    assert _erase(api_as(producer_a), station_a, author).status_code == 200

    author.refresh_from_db()
    assert (author.display_name, author.external_id) == ("", "cd" * 32)


def test_erasure_is_logged_with_who_when_which_author_and_counts(
    api_as, producer_a, station_a, julie
):
    _erase(api_as(producer_a), station_a, julie["author"])

    entry = PrivacyLogEntry.objects.get(action=PrivacyAction.ERASE_AUTHOR)
    assert (entry.station, entry.actor, entry.author_id) == (
        station_a,
        producer_a,
        julie["author"].pk,
    )
    assert entry.counts["questions"] == 2
    assert "Julie" not in json.dumps(entry.counts)


def test_the_export_holds_the_authors_data_at_the_station_and_nothing_of_another(
    api_as, producer_a, station_a, julie
):
    response = _export(api_as(producer_a), station_a, julie["author"])

    assert response.status_code == 200, response.content
    assert "attachment" in response["Content-Disposition"]
    data = response.json()
    assert data["author"]["display_name"] == "Julie Marchand"
    assert data["author"]["external_id"] == VOTER
    assert {(q["text"], q["status"], q["aired"]) for q in data["questions"]} == {
        ("Which song was hardest to write?", "answered", True),
        ("Do you remember the Brest concert in 2019?", "pending", False),
    }
    assert all(q["created_at"] for q in data["questions"])
    assert data["votes_count"] == 1
    assert len(data["reports"]) == 1
    dumped = json.dumps(data)
    assert "Quimper" not in dumped and "show-b" not in dumped and "Radio B" not in dumped
    entry = PrivacyLogEntry.objects.get(action=PrivacyAction.EXPORT_AUTHOR)
    assert (entry.actor, entry.author_id, entry.counts["questions"]) == (
        producer_a,
        julie["author"].pk,
        2,
    )


@pytest.mark.parametrize("role", ["moderator_a", "host_a", "viewer_a"])
@pytest.mark.parametrize("call", [_erase, _export])
def test_other_roles_may_neither_erase_nor_export(request, api_as, station_a, julie, role, call):
    user = request.getfixturevalue(role)

    response = call(api_as(user), station_a, julie["author"])

    assert_error(response, 403, "permission_denied")
    assert Question.objects.get(pk=julie["pending"].pk).author_name == "Julie Marchand"


@pytest.mark.parametrize("call", [_erase, _export])
def test_another_stations_producer_gets_404(api_as, producer_b, station_a, station_b, julie, call):
    through_a = call(api_as(producer_b), station_a, julie["author"])

    assert_error(through_a, 404, "not_found")
    assert Question.objects.get(pk=julie["pending"].pk).author_name == "Julie Marchand"


@pytest.mark.parametrize("call", [_erase, _export])
def test_an_author_who_never_wrote_to_the_station_is_404(api_as, producer_a, station_a, call):
    stranger = AuthorFactory(display_name="Only at B")

    response = call(api_as(producer_a), station_a, stranger)

    assert_error(response, 404, "not_found")
    assert Author.objects.get(pk=stranger.pk).display_name == "Only at B"


def test_a_producer_exports_and_erases_from_the_admin(client, producer_a, station_a, julie):
    producer_a.is_staff = True
    producer_a.is_superuser = True
    producer_a.save()
    client.force_login(producer_a)
    url = "/admin/questions/question/"

    exported = client.post(
        url, {"action": "author_export", "_selected_action": [julie["aired"].pk]}
    )
    erased = client.post(
        url, {"action": "author_erase", "_selected_action": [julie["pending"].pk]}, follow=True
    )

    assert exported.status_code == 200
    assert json.loads(exported.content)["author"]["display_name"] == "Julie Marchand"
    assert erased.status_code == 200
    assert Question.objects.get(pk=julie["pending"].pk).text == ERASED_TEXT
    assert PrivacyLogEntry.objects.filter(actor=producer_a).count() == 2
