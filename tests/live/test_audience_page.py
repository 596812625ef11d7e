"""The audience page: public for live and ended sessions, in the browser's language."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from live.audience_page import audience_strings
from questions.voters import COOKIE
from tests.factories import LiveSessionFactory

pytestmark = pytest.mark.django_db


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data_blocks: dict[str, str] = {}
        self.inline_scripts: list[str] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self._script = attrs if tag == "script" else None

    def handle_endtag(self, tag):
        self._script = None

    def handle_data(self, data):
        if self._script is None or not data.strip():
            return
        if self._script.get("type") == "application/json":
            self.data_blocks[self._script["id"]] = data
        else:
            self.inline_scripts.append(data)

    def by_id(self, id_: str) -> dict[str, str | None]:
        return next(attrs for _, attrs in self.tags if attrs.get("id") == id_)

    def json(self, id_: str):
        return json.loads(self.data_blocks[id_])


def _get(slug: str, **headers):
    return Client().get(f"/s/{slug}/", **headers)


def _page(response) -> _Page:
    page = _Page()
    page.feed(response.content.decode())
    return page


def test_it_serves_a_live_session_with_its_title_station_and_guests(session_a):
    response = _get("live-a")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Live A" in html
    assert "Radio A" in html
    assert "Aya Lune" in html
    page = _page(response)
    assert page.by_id("ask-text")["name"] == "text"
    assert page.by_id("ask-text")["maxlength"] == str(session_a.max_question_length)
    assert page.by_id("ask-name")["name"] == "name"
    assert "hidden" in page.by_id("on-air")
    assert page.json("audience-config") == {
        "slug": "live-a",
        "status": "live",
        "accepts_questions": True,
        "max_question_length": session_a.max_question_length,
    }


def test_it_serves_an_ended_session_with_questions_closed(station_a):
    LiveSessionFactory(station=station_a, slug="was-live", status="ended")

    response = _get("was-live")

    assert response.status_code == 200
    page = _page(response)
    assert "disabled" in page.by_id("ask-fields")
    assert "hidden" not in page.by_id("ask-closed")
    assert "This session has ended" in response.content.decode()


def test_it_explains_when_submissions_are_paused(station_a):
    LiveSessionFactory(station=station_a, slug="paused", status="live", submissions_open=False)

    response = _get("paused")

    page = _page(response)
    assert "disabled" in page.by_id("ask-fields")
    assert "Questions are closed for the moment." in response.content.decode()


def test_a_draft_session_is_not_found(station_a):
    LiveSessionFactory(station=station_a, slug="not-yet", status="draft")

    assert _get("not-yet").status_code == 404


def test_an_unknown_session_is_not_found(db):
    assert _get("no-such-session").status_code == 404


def test_it_gives_a_new_browser_its_voter_cookie(session_a):
    response = _get("live-a")

    cookie = response.cookies[COOKIE]
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,128}", cookie.value)
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_it_keeps_the_voter_cookie_of_a_returning_browser(session_a):
    client = Client()
    first = client.get("/s/live-a/").cookies[COOKIE].value

    again = client.get("/s/live-a/")

    assert COOKIE not in again.cookies
    assert client.cookies[COOKIE].value == first


def test_it_speaks_french_to_a_french_browser(session_a):
    response = _get("live-a", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,en;q=0.5")

    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Poser une question" in html
    assert "Envoyer" in html
    strings = _page(response).json("audience-strings")
    assert strings["sent_pending"] == "Merci — votre question apparaîtra une fois approuvée."
    assert strings["for_guest"] == "pour {guest}"


def test_it_speaks_english_by_default(session_a):
    response = _get("live-a")

    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Ask a question" in html
    strings = _page(response).json("audience-strings")
    assert strings["sent_pending"] == "Thanks — your question will appear once approved."


def test_untrusted_names_are_escaped(station_a):
    session = LiveSessionFactory(
        station=station_a, slug="escaped", title="<img src=x onerror=alert(1)>"
    )
    session.guests.create(name="<script>alert(2)</script>")

    html = _get("escaped").content.decode()

    assert "<img src=x" not in html
    assert "<script>alert(2)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_page_runs_no_inline_script(session_a):
    response = _get("live-a")

    page = _page(response)
    assert page.inline_scripts == []
    for tag, attrs in page.tags:
        assert not [name for name in attrs if name.startswith("on")], tag
    scripts = [attrs["src"] for tag, attrs in page.tags if tag == "script" and attrs.get("src")]
    assert scripts == ["/static/live/audience.js"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_every_string_the_script_shows_is_translated_on_the_server():
    script = Path(__file__).parents[2] / "live/static/live/audience.js"
    used = set(re.findall(r"\bS\.(\w+)", script.read_text()))
    used |= {f"status_{s}" for s in ("connecting", "live", "reconnecting", "stale", "denied")}

    assert used <= set(audience_strings())
