"""The broadcast overlay page: served only with the session's key, and under a strict CSP."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_bodies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.script_bodies.append(data)


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def _csp(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _overlay(slug: str, key: str | None):
    url = f"/overlay/{slug}/" + (f"?key={key}" if key is not None else "")
    return Client().get(url)


def test_it_serves_the_overlay_with_the_session_key(session_a):
    response = _overlay("live-a", session_a.overlay_key)

    assert response.status_code == 200
    page = _parse(response.content.decode())
    tags = {attrs.get("id"): (tag, attrs) for tag, attrs in page.tags if attrs.get("id")}
    assert tags["lower-third"][1]["data-state"] == "hidden"
    assert {"lt-text", "lt-author", "lt-guest"} <= set(tags)
    body = next(attrs for tag, attrs in page.tags if tag == "body")
    assert body["data-slug"] == "live-a"
    assert body["data-key"] == session_a.overlay_key
    assert body["data-status"]
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert [s["src"] for s in scripts] == ["/static/live/overlay.js"]
    assert scripts[0]["type"] == "module"


@pytest.mark.parametrize("key", [None, "", "not-the-key"])
def test_it_refuses_a_missing_or_wrong_key(session_a, key):
    response = _overlay("live-a", key)

    assert response.status_code == 403
    assert session_a.overlay_key not in response.content.decode()


def test_it_refuses_another_sessions_key(session_a, session_b):
    assert _overlay("live-a", session_b.overlay_key).status_code == 403


def test_it_answers_an_unknown_session_like_a_wrong_key(session_a):
    assert _overlay("no-such-session", session_a.overlay_key).status_code == 403


def test_the_overlay_allows_no_inline_script_or_style(session_a):
    response = _overlay("live-a", session_a.overlay_key)

    csp = _csp(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_the_overlay_html_has_no_inline_script_style_or_handler(session_a):
    page = _parse(_overlay("live-a", session_a.overlay_key).content.decode())

    assert page.script_bodies == []
    for tag, attrs in page.tags:
        assert tag != "style"
        assert "style" not in attrs, tag
        assert not [name for name in attrs if name.startswith("on")], tag


def test_the_stylesheet_and_script_are_served(session_a, client):
    page = _parse(_overlay("live-a", session_a.overlay_key).content.decode())
    urls = [attrs["href"] for tag, attrs in page.tags if tag == "link" and attrs["rel"] != "icon"]
    urls += [attrs["src"] for tag, attrs in page.tags if tag == "script"]
    assert len(urls) == 2

    for url in [*urls, "/static/live/realtime.js"]:
        response = client.get(url)
        assert response.status_code == 200, url
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert content


def test_the_overlay_is_transparent_and_1920_by_1080(client):
    response = client.get("/static/live/overlay.css")
    css = b"".join(response.streaming_content).decode()

    html_body_rule = css.split("html,\nbody {", 1)[1].split("}", 1)[0]
    assert "width: 1920px;" in html_body_rule
    assert "height: 1080px;" in html_body_rule
    assert "overflow: hidden;" in html_body_rule
    assert "background: transparent;" in html_body_rule


@pytest.mark.parametrize(
    ("query", "output"),
    [
        ("", "program"),
        ("&output=preview", "preview"),
        ("&output=PREVIEW", "preview"),
        ("&output=bogus", "program"),
    ],
)
def test_the_output_parameter_chooses_program_or_preview(session_a, query, output):
    response = Client().get(f"/overlay/live-a/?key={session_a.overlay_key}{query}")

    assert response.status_code == 200
    body = next(attrs for tag, attrs in _parse(response.content.decode()).tags if tag == "body")
    assert body["data-output"] == output


def test_the_preview_output_needs_the_key_too(session_a):
    assert Client().get("/overlay/live-a/?output=preview&key=nope").status_code == 403
