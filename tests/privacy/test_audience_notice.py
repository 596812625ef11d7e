"""The audience page says what is kept about the audience and for how long."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_audience_page_says_how_long_names_and_questions_are_kept(client, session_a):
    session_a.retention_days = 45
    session_a.save(update_fields=["retention_days"])

    page = client.get(f"/s/{session_a.slug}/").content.decode()

    near_form = page.split('id="ask-privacy"')[1].split("</p>")[0]
    assert "kept for 45 days after the show" in near_form
    assert "except questions that aired" in near_form
    assert 'href="#privacy"' in near_form
    assert 'id="privacy"' in page and "for 45 days after the show" in page


def test_one_day_is_singular(client, session_a):
    session_a.retention_days = 1
    session_a.save(update_fields=["retention_days"])

    page = client.get(f"/s/{session_a.slug}/").content.decode()

    assert "kept for 1 day after the show" in page
