"""The post's text, the session's posting settings, and where the crew read the posts."""

from __future__ import annotations

import pytest

from live.models import PostBack
from live.posting.text import LIMITS, cut, graphemes, post_text
from tests.factories import GuestFactory, QuestionFactory

pytestmark = pytest.mark.django_db


def test_the_template_is_filled_with_the_aired_wording_and_names(session_a):
    session_a.post_template = "{session}: {question} ({name} → {guest}) {unknown}"
    question = QuestionFactory(
        session=session_a, text="Long text?", air_text="Short?", author_name="Léa", air_name="L."
    )
    assert post_text(question, session_a, "mastodon") == "Live A: Short? (L. → Aya Lune) {unknown}"


def test_no_name_is_the_audience_and_no_target_is_every_guest(session_a):
    GuestFactory(session=session_a, name="Bo Rive", order=1)
    question = QuestionFactory(session=session_a, text="Why?", author_name="")
    text = post_text(question, session_a, "mastodon")
    assert text == "On air: Why? — asked by the audience, answered by Aya Lune, Bo Rive"
    session_a.language = "fr"
    assert "posée par" not in post_text(question, session_a, "mastodon")  # template unchanged
    assert "{name}" not in post_text(question, session_a, "mastodon")


def test_a_malformed_template_falls_back_to_the_default(session_a):
    session_a.post_template = "On air: {question"
    question = QuestionFactory(session=session_a, text="Why?", author_name="Léa")
    assert post_text(question, session_a, "bluesky") == (
        "On air: Why? — asked by Léa, answered by Aya Lune"
    )


@pytest.mark.parametrize("network", ["mastodon", "bluesky"])
def test_a_long_question_is_cut_and_the_credits_stay(session_a, network):
    question = QuestionFactory(session=session_a, text="Why " * 400 + "?", author_name="Léa")
    text = post_text(question, session_a, network)
    assert len(graphemes(text)) <= LIMITS[network]
    assert len(graphemes(text)) >= LIMITS[network] - 2
    assert text.endswith("— asked by Léa, answered by Aya Lune")
    assert "…" in text


def test_bluesky_counts_graphemes_and_never_splits_one(session_a):
    session_a.post_template = "{question}"
    family = "👩\u200d👩\u200d👧"  # one grapheme, five code points
    question = QuestionFactory(session=session_a, text=family * 120, author_name="Léa")
    assert len(graphemes(family * 90)) == 90
    text = post_text(question, session_a, "bluesky")
    # Within the 500 characters a post is stored in, cut between whole graphemes.
    assert len(text) <= 500 and text.endswith(family + "…")
    assert text == family * ((500 - 1) // len(family)) + "…"
    assert cut(family * 3, "bluesky", limit=2) == family + "…"


def test_a_producer_turns_posting_on_and_sets_the_template(api_as, producer_a, session_a):
    response = api_as(producer_a).patch(
        f"/api/sessions/{session_a.pk}/",
        {"post_back_enabled": True, "post_template": "{question} — {guest}"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["post_back_enabled"] is True
    assert response.json()["post_template"] == "{question} — {guest}"
    session_a.refresh_from_db()
    assert session_a.post_back_enabled and session_a.post_template == "{question} — {guest}"


@pytest.mark.parametrize(
    "template, reason",
    [("On air: {quest}", "{quest}"), ("On air: {question", "unmatched"), ("x" * 501, "500")],
)
def test_an_unusable_template_is_refused_with_a_reason(
    api_as, producer_a, session_a, template, reason
):
    response = api_as(producer_a).patch(
        f"/api/sessions/{session_a.pk}/", {"post_template": template}, format="json"
    )
    assert response.status_code == 400
    assert reason in str(response.json())
    session_a.refresh_from_db()
    assert session_a.post_template != template


def test_a_host_cannot_turn_posting_on(api_as, host_a, session_a):
    response = api_as(host_a).patch(
        f"/api/sessions/{session_a.pk}/", {"post_back_enabled": True}, format="json"
    )
    assert response.status_code == 403
    session_a.refresh_from_db()
    assert session_a.post_back_enabled is False


def test_the_crew_read_a_questions_posts_and_other_stations_do_not(
    api_as, viewer_a, producer_b, session_a
):
    question = QuestionFactory(session=session_a, text="Why?", status="answered")
    PostBack.objects.create(
        question=question,
        network="mastodon",
        text="On air: Why?",
        status="posted",
        link="https://mastodon.example/@radio/1",
    )
    response = api_as(viewer_a).get(f"/api/questions/{question.pk}/posts/")
    assert response.status_code == 200
    assert [(p["network"], p["status"], p["link"]) for p in response.json()] == [
        ("mastodon", "posted", "https://mastodon.example/@radio/1")
    ]
    assert api_as(producer_b).get(f"/api/questions/{question.pk}/posts/").status_code == 404
