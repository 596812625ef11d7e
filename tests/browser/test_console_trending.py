"""In Chromium: the console's trending panel shows the conversation's rising terms, and a card
shows its author's followers; in English and French, on the host's tablet."""

from __future__ import annotations

import json
import re

import pytest

from tests.browser.conftest import PageErrors, log_in
from tests.browser.test_live_studio import SESSION, open_console

TABLET_PORTRAIT = {"width": 768, "height": 1024}
TRENDING = "**/api/sessions/*/trending/"


# Three listeners ask about the same thing a moment ago: "porto" rises.
RISING_QUESTIONS = (
    "Will you play Porto again this summer?",
    "Aya, what did you love most about Porto?",
    "Is there a Porto date on the next tour?",
)


@pytest.fixture(scope="module", autouse=True)
def a_rising_term(studio):
    studio.shell(
        "from questions import services as q\n"
        "from questions.services import AuthorInfo\n"
        "from studio.models import LiveSession\n"
        f"session = LiveSession.objects.get(slug={SESSION!r})\n"
        f"for n, text in enumerate({RISING_QUESTIONS!r}):\n"
        "    q.question_submit(session=session, text=text, source='web',\n"
        "        author=AuthorInfo(platform='web', external_id=f'rising-{n}'),\n"
        "        author_name=f'Fan {n}', external_id=f'rising-{n}')\n"
    )


def chips(page) -> list[tuple[str, str]]:
    return [
        (item.locator(".trending-word").inner_text(), item.locator(".trending-count").inner_text())
        for item in page.locator("#trending-terms .trending-term").all()
    ]


def test_the_panel_shows_the_terms_rising_in_the_seeded_conversation(new_page):
    errors = PageErrors()
    console = open_console(new_page, errors, "host")
    panel = console.locator("#trending")
    console.locator("#trending[data-state=terms]").wait_for(timeout=10_000)

    # The panel shows what the trending API answers this crew member, in its order.
    answer = console.evaluate(
        "url => fetch(url, {credentials: 'same-origin'}).then(r => r.json())",
        json.loads(console.locator("#console-config").text_content())["trending_url"],
    )
    expected = [(t["term"], str(t["count"])) for t in answer["terms"]]
    assert chips(console) == expected
    assert dict(expected)["porto"] == "3"
    assert re.fullmatch(r"last 10 min · \d\d:\d\d", console.locator("#trending-as-of").inner_text())

    # Hidden from the toolbar, and it stays hidden after a reload.
    console.locator("#trending-toggle").click()
    assert panel.is_hidden()
    assert console.locator("#trending-toggle").get_attribute("aria-expanded") == "false"
    console.reload()
    console.locator("#connection[data-status=live]").wait_for(timeout=10_000)
    assert panel.is_hidden()
    console.locator("#trending-toggle").click()
    console.locator("#trending[data-state=terms]").wait_for()
    assert errors.messages == []


def test_the_panel_says_when_there_is_nothing_and_when_it_cannot_read(new_page):
    errors = PageErrors()
    console = new_page(f"/login/?next=/studio/{SESSION}/console/", errors=errors)
    answers = {"status": 200, "body": {"window_minutes": 10, "as_of": None, "terms": []}}
    console.route(
        TRENDING,
        lambda route: route.fulfill(
            status=answers["status"],
            content_type="application/json",
            body=json.dumps(answers["body"]),
        ),
    )
    log_in(console, "host")
    console.locator("#trending[data-state=empty]").wait_for(timeout=10_000)
    assert console.locator("#trending-empty").inner_text() == "No trending terms yet"
    assert console.locator("#trending-terms").is_hidden()

    # A term is the audience's words: shown as text, never as markup.
    hostile = '<img src=x onerror="window.__pwned=1">'
    answers["body"] = {
        "window_minutes": 10,
        "as_of": "2030-01-01T12:00:00+00:00",
        "terms": [{"term": hostile, "count": 4, "previous": 0, "score": 3.2}],
    }
    console.locator("#trending-toggle").click()
    console.locator("#trending-toggle").click()  # shown again: read now
    console.locator("#trending[data-state=terms]").wait_for()
    assert chips(console) == [(hostile, "4")]
    assert console.locator("#trending img").count() == 0
    assert console.evaluate("window.__pwned") is None

    # The server fails: the panel says so and keeps the last terms, marked as old.
    answers["status"] = 500
    answers["body"] = {"error": {"code": "server_error"}}
    console.locator("#trending-toggle").click()
    console.locator("#trending-toggle").click()
    console.locator("#trending[data-state=error]").wait_for()
    assert (
        console.locator("#trending-error").inner_text()
        == "Trending terms are not available right now."
    )
    assert chips(console) == [(hostile, "4")]
    assert [m for m in errors.messages if "500" not in m] == []


def test_a_card_shows_its_authors_followers_beside_the_name(new_page):
    errors = PageErrors()
    console = open_console(new_page, errors, "producer")
    card = console.locator("#moderation-list .card").filter(has_text="vinyl edition")
    byline = card.locator(".byline")
    byline.filter(has_text="Chris").wait_for()
    assert byline.inner_text().startswith("Chris @chris · 1.3M followers · bluesky")
    assert byline.get_attribute("title") == "Followers on bluesky: 1,250,000"
    # No count known (a web question): nothing is said about followers.
    web = console.locator("#moderation-list .card").filter(has_text="Lisbon").locator(".byline")
    assert "follower" not in web.inner_text()
    assert errors.messages == []


def test_on_a_portrait_tablet_in_french_the_terms_stay_on_one_line_above_the_board(
    new_page, studio
):
    errors = PageErrors()
    console = new_page(
        f"/login/?next=/studio/{SESSION}/console/",
        locale="fr-FR",
        viewport=TABLET_PORTRAIT,
        errors=errors,
    )
    console.context.add_cookies([{"name": "django_language", "value": "fr", "url": studio.url}])
    log_in(console, "producer")
    console.locator("#connection[data-status=live]").wait_for(timeout=10_000)
    console.locator("#trending[data-state=terms]").wait_for(timeout=10_000)

    assert console.locator("#trending-title").inner_text().lower() == "tendances"
    byline = console.locator("#moderation-list .card").filter(has_text="vinyl edition")
    assert re.search(r"1,3\sM abonnés", byline.locator(".byline").inner_text())
    strip = console.locator("#trending").bounding_box()
    board = console.locator("#board").bounding_box()
    assert strip is not None and board is not None
    assert strip["height"] <= 48  # one line of terms
    assert strip["x"] + strip["width"] <= TABLET_PORTRAIT["width"]
    assert board["y"] >= strip["y"] + strip["height"]
    assert errors.messages == []
