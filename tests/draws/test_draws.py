"""Contest draws: who enters, the seeded draw and its re-check, the announcement through take."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from questions.models import Ban, DrawEntry, DrawStatus, Question
from questions.services import question_approve, session_take_on_air
from questions.services.draws import (
    draw_announce,
    draw_create,
    draw_run,
    draw_verify,
    winners_from,
)
from studio.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from studio.models import AsRunEntry
from tests.factories import AuthorFactory, QuestionFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def message(session, text, *, author=None, minutes_ago=5, **kwargs):
    fields = {"status": "approved"} | kwargs
    question = QuestionFactory(
        session=session, text=text, author=author or AuthorFactory(), **fields
    )
    Question.objects.filter(pk=question.pk).update(created_at=NOW - timedelta(minutes=minutes_ago))
    question.refresh_from_db()
    return question


def new_draw(producer, session, **kwargs):
    fields = {
        "title": "Two tickets",
        "keyword": "#Concours",
        "starts_at": NOW - timedelta(minutes=30),
        "ends_at": NOW + timedelta(minutes=30),
        "sources": [],
        "winners_count": 1,
    } | kwargs
    return draw_create(actor=producer, session=session, **fields)


def entrant_texts(draw):
    return sorted(e.question.text for e in DrawEntry.objects.filter(draw=draw))


def test_each_author_enters_once_with_their_first_matching_message(producer_a, session_a):
    author = AuthorFactory()
    message(session_a, "Me! #concours", author=author, minutes_ago=10)
    message(session_a, "Me again #CONCOURS", author=author, minutes_ago=5)
    message(session_a, "And me #Concours", minutes_ago=3)
    draw = new_draw(producer_a, session_a, winners_count=2)
    draw_run(actor=producer_a, draw=draw)
    assert entrant_texts(draw) == ["And me #Concours", "Me! #concours"]


def test_banned_flagged_rejected_out_of_window_wrong_source_and_wrong_keyword_are_out(
    producer_a, session_a, station_a
):
    message(session_a, "Counted #concours")
    message(session_a, "Waiting, unflagged #concours", status="pending")
    banned = AuthorFactory()
    Ban.objects.create(station=station_a, author=banned, reason="abuse")
    message(session_a, "Banned #concours", author=banned)
    message(
        session_a,
        "Flagged #concours",
        status="pending",
        flags=[{"code": "profanity", "reason": "x"}],
    )
    message(session_a, "Rejected #concours", status="rejected")
    message(session_a, "Too early #concours", minutes_ago=45)
    message(session_a, "Texted #concours", source="sms")
    message(session_a, "Other word #concoursbis and concours2")
    message(session_a, "A link https://example.com/#concours")
    message(session_a, "A mention @concours")
    draw = new_draw(producer_a, session_a, sources=["web"], winners_count=5)
    draw_run(actor=producer_a, draw=draw)
    assert entrant_texts(draw) == ["Counted #concours", "Waiting, unflagged #concours"]


def test_a_word_keyword_matches_the_word_and_its_hashtag_not_a_longer_word(producer_a, session_a):
    message(session_a, "I want a Ticket please")
    message(session_a, "#ticket")
    message(session_a, "tickets for all")
    draw = new_draw(producer_a, session_a, keyword="ticket", winners_count=5)
    draw_run(actor=producer_a, draw=draw)
    assert entrant_texts(draw) == ["#ticket", "I want a Ticket please"]


def test_a_rerun_with_the_logged_seed_on_the_same_entries_gives_the_same_winners(
    producer_a, session_a
):
    for n in range(12):
        message(session_a, f"Entry {n} #concours")
    draw = new_draw(producer_a, session_a, winners_count=3)
    draw = draw_run(actor=producer_a, draw=draw)
    assert len(draw.seed) == 32 and draw.status == DrawStatus.DRAWN
    assert draw.drawn_by == producer_a and draw.drawn_at is not None
    stored = list(
        DrawEntry.objects.filter(draw=draw, winner_rank__isnull=False)
        .order_by("winner_rank")
        .values_list("author_id", flat=True)
    )
    assert len(stored) == 3
    entrants = list(DrawEntry.objects.filter(draw=draw).values_list("author_id", flat=True))
    # The same seed over the same entries, in any order they are given: the same winners.
    assert winners_from(draw.seed, list(reversed(entrants)), 3) == stored
    assert draw_verify(draw).ok
    # A winner changed by hand no longer checks.
    DrawEntry.objects.filter(draw=draw).update(winner_rank=None)
    assert not draw_verify(draw).ok


def test_a_given_seed_draws_the_same_winners_in_another_draw_of_the_same_entries(
    producer_a, session_a
):
    for n in range(8):
        message(session_a, f"Entry {n} #concours")
    first = draw_run(actor=producer_a, draw=new_draw(producer_a, session_a, winners_count=2))
    second = draw_run(
        actor=producer_a, draw=new_draw(producer_a, session_a, winners_count=2), seed=first.seed
    )

    def winners(draw):
        rows = DrawEntry.objects.filter(draw=draw, winner_rank__isnull=False)
        return list(rows.order_by("winner_rank").values_list("author_id", flat=True))

    assert winners(first) == winners(second)


def test_a_drawn_draw_is_not_drawn_again_and_an_empty_one_is_refused(producer_a, session_a):
    draw = new_draw(producer_a, session_a)
    with pytest.raises(Conflict) as empty:
        draw_run(actor=producer_a, draw=draw)
    assert empty.value.code == "no_entries"
    message(session_a, "Me #concours")
    draw_run(actor=producer_a, draw=draw)
    with pytest.raises(Conflict) as again:
        draw_run(actor=producer_a, draw=draw)
    assert again.value.code == "already_drawn"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("winners_count", 0),
        ("winners_count", 51),
        ("keyword", ""),
        ("keyword", "two words"),
        ("keyword", "x" * 81),
        ("sources", ["fax"]),
        ("ends_at", NOW - timedelta(hours=1)),
    ],
)
def test_it_refuses_a_draw_outside_the_rules(producer_a, session_a, field, value):
    with pytest.raises(ValidationFailed) as refused:
        new_draw(producer_a, session_a, **{field: value})
    assert field in refused.value.details


def test_fifty_winners_is_the_most(producer_a, session_a):
    assert new_draw(producer_a, session_a, winners_count=50).winners_count == 50


def test_only_producers_define_and_draw(producer_a, moderator_a, host_a, producer_b, session_a):
    for user in (moderator_a, host_a):
        with pytest.raises(NotAllowed):
            new_draw(user, session_a)
    with pytest.raises(NotFound):
        new_draw(producer_b, session_a)
    draw = new_draw(producer_a, session_a)
    message(session_a, "Me #concours")
    with pytest.raises(NotAllowed):
        draw_run(actor=host_a, draw=draw)


def test_the_winner_reaches_air_only_through_approval_and_take(producer_a, host_a, session_a):
    message(session_a, "Pick me #concours", author=AuthorFactory(display_name="Zoé Winner"))
    draw = draw_run(actor=producer_a, draw=new_draw(producer_a, session_a))
    entry = DrawEntry.objects.get(draw=draw, winner_rank=1)
    announcement = draw_announce(actor=producer_a, entry=entry)
    assert announcement.text == "Winner of Two tickets: Zoé Winner"
    assert announcement.source == "manual"
    # A pre-moderated session: it waits for approval like any question, nothing aired.
    assert announcement.status == "pending"
    assert not AsRunEntry.objects.filter(question=announcement).exists()
    with pytest.raises(Conflict):
        session_take_on_air(actor=host_a, session=session_a, question=announcement)
    question_approve(actor=producer_a, question=announcement)
    session_take_on_air(actor=host_a, session=session_a, question=announcement)
    assert AsRunEntry.objects.get(question=announcement).taken_by == host_a
    entry.refresh_from_db()
    assert entry.winner_question == announcement
    with pytest.raises(Conflict) as twice:
        draw_announce(actor=producer_a, entry=entry)
    assert twice.value.code == "already_announced"


def test_a_loser_is_not_announced(producer_a, session_a):
    for n in range(3):
        message(session_a, f"Entry {n} #concours")
    draw = draw_run(actor=producer_a, draw=new_draw(producer_a, session_a))
    loser = DrawEntry.objects.filter(draw=draw, winner_rank__isnull=True).first()
    with pytest.raises(Conflict) as refused:
        draw_announce(actor=producer_a, entry=loser)
    assert refused.value.code == "not_a_winner"


# The API -----------------------------------------------------------------------------------


def body(start, end, **kwargs):
    return {
        "title": "Tickets",
        "keyword": "#concours",
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
    } | kwargs


def test_the_api_defines_lists_draws_and_announces(api_as, producer_a, session_a):
    message(session_a, "Me +33 6 12 34 56 78 #concours", author=AuthorFactory(display_name="Ana"))
    client = api_as(producer_a)
    created = client.post(
        f"/api/sessions/{session_a.pk}/draws/",
        body(NOW - timedelta(hours=1), NOW + timedelta(hours=1)),
        format="json",
    )
    assert created.status_code == 201, created.content
    draw_id = created.json()["id"]
    assert created.json()["entry_count"] == 1
    listed = client.get(f"/api/sessions/{session_a.pk}/draws/").json()["results"]
    assert [d["title"] for d in listed] == ["Tickets"]
    drawn = client.post(f"/api/draws/{draw_id}/draw/", {"seed": "abc"}, format="json").json()
    assert drawn["seed"] == "abc" and drawn["status"] == "drawn"
    assert drawn["winners"][0]["name"] == "Ana"
    again = client.post(f"/api/draws/{draw_id}/draw/", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_drawn"
    entry = drawn["winners"][0]["id"]
    announced = client.post(f"/api/draws/{draw_id}/announce/", {"entry": entry}, format="json")
    assert announced.status_code == 201
    detail = client.get(f"/api/draws/{draw_id}/").json()
    assert detail["verified"] is True
    assert detail["winners"][0]["announcement"]["status"] == "pending"


def test_the_api_refuses_a_bad_draw_with_a_reason(api_as, producer_a, session_a):
    response = api_as(producer_a).post(
        f"/api/sessions/{session_a.pk}/draws/",
        body(NOW, NOW - timedelta(minutes=1)),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The window must end after it starts."


def test_other_roles_and_stations_are_refused(api_as, producer_a, host_a, producer_b, session_a):
    draw = new_draw(producer_a, session_a)
    assert api_as(host_a).get(f"/api/draws/{draw.pk}/").status_code == 403
    assert api_as(producer_b).get(f"/api/draws/{draw.pk}/").status_code == 404
    assert api_as(producer_b).get(f"/api/draws/{draw.pk}/entrants.csv").status_code == 404
    assert api_as(producer_b).get(f"/api/sessions/{session_a.pk}/draws/").status_code == 404


def test_the_entrants_csv_masks_authors_and_phone_numbers(api_as, producer_a, session_a):
    author = AuthorFactory(platform="sms", external_id="secret-external-id", display_name="Léa")
    message(session_a, "Call me on +33 6 12 34 56 78 #concours", author=author, source="sms")
    draw = new_draw(producer_a, session_a)
    response = api_as(producer_a).get(f"/api/draws/{draw.pk}/entrants.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert "secret-external-id" not in text and "12 34 56 78" not in text
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["name"] for r in rows] == ["Léa"]
    assert rows[0]["source"] == "sms"
    assert "[phone]" in rows[0]["text"]
    assert len(rows[0]["author_ref"]) == 16


def test_the_page_is_for_producers(client, producer_a, host_a, producer_b, session_a):
    client.force_login(producer_a)
    page = client.get(f"/studio/{session_a.slug}/draws/")
    assert page.status_code == 200
    assert "Define a draw" in page.content.decode()
    assert "<script>" not in page.content.decode()
    client.force_login(host_a)
    assert client.get(f"/studio/{session_a.slug}/draws/").status_code == 403
    client.force_login(producer_b)
    assert client.get(f"/studio/{session_a.slug}/draws/").status_code == 404
