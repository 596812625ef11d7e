"""The crew pages: login, the sessions list and the host console shell."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

import live
from live.pages import CONSOLE_STRINGS
from tests.factories import LiveSessionFactory

PASSWORD = "correct horse battery"  # tests/factories.py


class Page(HTMLParser):
    """The tags of a page with their attributes, and the text inside each <script>."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag == "script":
            self._script = attributes
            self.scripts.append((attributes, ""))

    def handle_data(self, data):
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def by_id(self, id_: str) -> dict[str, str] | None:
        return next((attrs for _, attrs in self.tags if attrs.get("id") == id_), None)

    def json_block(self, id_: str):
        return next(json.loads(text) for attrs, text in self.scripts if attrs.get("id") == id_)


def _client_for(user, **headers) -> Client:
    client = Client(**headers)
    client.force_login(user)
    return client


def _csp(response) -> dict[str, list[str]]:
    policy = {}
    for directive in response["Content-Security-Policy"].split(";"):
        name, *values = directive.split()
        policy[name] = values
    return policy


# --- login ---------------------------------------------------------------------------------------


def test_the_login_page_shows_a_form_that_comes_back_to_the_page_asked_for(db):
    response = Client().get("/login/", {"next": "/studio/live-a/console/"})

    assert response.status_code == 200
    page = Page(response.content.decode())
    assert page.by_id("id_username")["name"] == "username"
    assert page.by_id("id_password")["type"] == "password"
    login_form = next(i for i, (t, a) in enumerate(page.tags) if a.get("action") == "/login/")
    hidden = next(a for t, a in page.tags[login_form:] if a.get("name") == "next")
    assert hidden == {"type": "hidden", "name": "next", "value": "/studio/live-a/console/"}
    assert any(a.get("name") == "csrfmiddlewaretoken" for _, a in page.tags)


def test_a_crew_member_logs_in_and_reaches_the_page_asked_for(producer_a):
    client = Client()
    response = client.post(
        "/login/", {"username": "alice", "password": PASSWORD, "next": "/studio/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/studio/"
    assert client.get("/studio/").status_code == 200


def test_a_wrong_password_shows_an_error_and_never_the_password(producer_a):
    response = Client().post("/login/", {"username": "alice", "password": "Wrong-Guess-42"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Wrong-Guess-42" not in html


# --- sessions list -------------------------------------------------------------------------------


def test_the_sessions_page_needs_a_login(db):
    response = Client().get("/studio/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/studio/"


def test_the_sessions_page_lists_only_the_sessions_of_the_users_station(
    session_a, session_b, producer_a
):
    response = _client_for(producer_a).get("/studio/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Live A" in html
    assert "/studio/live-a/console/" in html
    assert "/s/live-a/" in html
    assert "Live B" not in html
    assert "live-b" not in html


def test_producers_get_the_overlay_address_and_feeds_of_their_sessions(session_a, producer_a):
    html = _client_for(producer_a).get("/studio/").content.decode()

    assert f"/overlay/live-a/?key={session_a.overlay_key}" in html
    assert f"/feeds/live-a/on-air.json?key={session_a.overlay_key}" in html
    assert f"/feeds/live-a/queue.xml?key={session_a.overlay_key}" in html
    assert "Browser source of 1920" in html


def test_hosts_never_see_the_overlay_key(session_a, host_a):
    html = _client_for(host_a).get("/studio/").content.decode()

    assert "/studio/live-a/console/" in html
    assert session_a.overlay_key not in html
    assert "/overlay/" not in html


def test_logging_out_is_a_post_form_with_a_csrf_token(session_a, host_a):
    page = Page(_client_for(host_a).get("/studio/").content.decode())

    forms = [a for t, a in page.tags if t == "form" and a.get("action") == "/logout/"]
    assert forms == [{"method": "post", "action": "/logout/", "class": "inline-form"}]
    assert any(a.get("name") == "csrfmiddlewaretoken" for _, a in page.tags)


def test_a_session_title_is_shown_as_text(station_a, producer_a):
    LiveSessionFactory(station=station_a, title="<script>alert(1)</script>", slug="xss")

    html = _client_for(producer_a).get("/studio/").content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- console -------------------------------------------------------------------------------------


def test_the_console_needs_a_login(session_a):
    response = Client().get("/studio/live-a/console/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/studio/live-a/console/"


def test_crew_of_another_station_get_a_404_like_for_an_unknown_session(session_a, producer_b):
    client = _client_for(producer_b)

    assert client.get("/studio/live-a/console/").status_code == 404
    assert client.get("/studio/no-such-session/console/").status_code == 404


def test_the_console_opens_for_the_sessions_crew(session_a, host_a):
    response = _client_for(host_a).get("/studio/live-a/console/")

    assert response.status_code == 200
    page = Page(response.content.decode())
    assert "Live A" in response.content.decode()
    for id_ in ("connection", "queue", "on-air", "on-air-text", "search", "hold-order"):
        assert page.by_id(id_) is not None, id_
    assert page.by_id("connection")["data-status"] == "connecting"
    config = page.json_block("console-config")
    assert config["socket"] == "/ws/console/live-a/"
    assert config["capabilities"] == ["on_air", "view"]
    assert config["login_url"] == "/login/?next=%2Fstudio%2Flive-a%2Fconsole%2F"


def test_the_moderation_column_is_only_for_those_who_moderate(session_a, host_a, moderator_a):
    host_page = Page(_client_for(host_a).get("/studio/live-a/console/").content.decode())
    moderator_page = Page(_client_for(moderator_a).get("/studio/live-a/console/").content.decode())

    assert host_page.by_id("moderation") is None
    assert moderator_page.by_id("moderation") is not None
    # A moderator cannot put anything on air: no on-air buttons for them.
    assert moderator_page.by_id("on-air-clear") is None
    assert host_page.by_id("on-air-clear")["data-action"] == "clear"


def test_the_console_runs_no_inline_script_under_its_policy(session_a, producer_a):
    response = _client_for(producer_a).get("/studio/live-a/console/")

    csp = _csp(response)
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert csp["connect-src"] == ["'self'"]
    page = Page(response.content.decode())
    for attrs, text in page.scripts:
        if attrs.get("type") == "application/json":
            json.loads(text)  # a data block, not code
        else:
            assert attrs == {"type": "module", "src": "/static/live/console.js"}
            assert text.strip() == ""
    assert any(a.get("src") == "/static/live/console.js" for a, _ in page.scripts)
    handlers = [(t, n) for t, a in page.tags for n in a if n.startswith("on")]
    assert handlers == []


def test_the_console_script_and_styles_are_served(session_a, producer_a):
    client = _client_for(producer_a)
    page = Page(client.get("/studio/live-a/console/").content.decode())
    links = [a["href"] for t, a in page.tags if t == "link" and a.get("rel") == "stylesheet"]

    for url in [*links, "/static/live/console.js"]:
        response = client.get(url)
        assert response.status_code == 200, url
        b"".join(response.streaming_content)
    assert "/static/live/console.css" in links


def test_the_console_speaks_french_to_a_french_browser(session_a, producer_a):
    client = _client_for(producer_a, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    response = client.get("/studio/live-a/console/")

    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Modération" in html
    assert "Figer l'ordre" in html
    strings = Page(html).json_block("console-strings")
    assert strings["take"] == "Lancer"
    assert strings["status_stale"] == "Figé — plus en direct"


def test_the_console_speaks_english_by_default(session_a, producer_a):
    html = _client_for(producer_a).get("/studio/live-a/console/").content.decode()

    assert '<html lang="en">' in html
    assert "Hold order" in html
    assert Page(html).json_block("console-strings")["take"] == "Take"


@pytest.mark.parametrize("key", ["", "not-the-key"])
def test_a_wrong_overlay_key_gets_a_plain_page_saying_so(session_a, key):
    response = Client().get("/overlay/live-a/", {"key": key})

    assert response.status_code == 403
    assert "Unknown session or overlay key" in response.content.decode()
    assert session_a.overlay_key not in response.content.decode()


def test_every_word_the_console_script_shows_is_handed_to_it_by_the_page():
    static = Path(live.__file__).parent / "static" / "live"
    modules = [static / "console.js", *sorted((static / "console").glob("*.js"))]
    script = "\n".join(path.read_text() for path in modules)
    used = set(re.findall(r'\bt\("([a-z_]+)"', script))
    # Keys the script builds from a status, a session status, an action or an error code.
    used |= {f"status_{s}" for s in ("connecting", "live", "reconnecting", "stale", "denied")}
    used |= {f"status_{s}" for s in ("answered", "rejected")}
    used |= {f"session_{s}" for s in ("draft", "live", "ended")}
    used |= {f"done_{a}" for a in ("approve", "reject", "answered", "reopen")}

    assert len(used) > 40
    assert used <= set(CONSOLE_STRINGS), used - set(CONSOLE_STRINGS)
    with translation.override("en"):
        english = {key: str(CONSOLE_STRINGS[key]) for key in used}
    with translation.override("fr"):
        same = {key for key in used if str(CONSOLE_STRINGS[key]) == english[key]}
    # Words that are the same in both languages.
    assert same <= {"vote_one", "vote_other", "source_web", "source_sms", "source_import"}, same
