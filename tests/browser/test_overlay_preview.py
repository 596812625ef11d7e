"""The overlay's preview output shows the cued question; no question is ever cut on screen."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PageErrors

SESSION = "demo-live"
LONG = (
    "Comment choisissez-vous les chansons qui figurent sur un album quand vous en avez écrit "
    "bien plus que vous ne pouvez en enregistrer, et celles qui restent de côté reviennent-elles "
    "un jour sous une autre forme, sur scène ou pour un autre artiste, ou disparaissent-elles ?"
)


@pytest.fixture(scope="module")
def overlay_key(studio):
    return studio.shell(
        "from studio.models import LiveSession;"
        f"print(LiveSession.objects.get(slug={SESSION!r}).overlay_key)"
    ).strip()


def cue(studio, text: str) -> None:
    """Clear the air, then cue a new approved question through the services."""
    studio.shell(
        "from django.contrib.auth.models import User\n"
        "from django.utils import timezone\n"
        "from questions.models import Question\n"
        "from questions.services import question_cue, session_clear_on_air\n"
        "from studio.models import LiveSession\n"
        f"s = LiveSession.objects.get(slug={SESSION!r})\n"
        "producer = User.objects.get(username='producer')\n"
        "session_clear_on_air(actor=producer, session=s)\n"
        f"q = Question.objects.create(session=s, text={text!r}, author_name='Zoé', source='web',"
        " status='approved', approved_at=timezone.now())\n"
        "question_cue(actor=producer, question=q)\n"
    )


def open_overlay(new_page, key: str, errors: PageErrors, output: str = ""):
    query = f"&output={output}" if output else ""
    page = new_page(
        f"/overlay/{SESSION}/?key={key}{query}",
        viewport={"width": 1920, "height": 1080},
        errors=errors,
    )
    page.locator("body[data-status=live]").wait_for(timeout=10_000)
    return page


def shown(page) -> None:
    page.wait_for_function(
        "() => document.getElementById('lower-third').dataset.state === 'shown'", timeout=5_000
    )


def test_preview_shows_the_cued_question_while_program_shows_nothing(new_page, studio, overlay_key):
    errors = PageErrors()
    text = "Which song will you play last tonight?"
    cue(studio, text)
    preview = open_overlay(new_page, overlay_key, errors, "preview")
    program = open_overlay(new_page, overlay_key, errors)

    shown(preview)
    assert preview.locator("#lt-text").text_content() == text
    assert preview.locator("#lt-author").text_content() == "Zoé"
    assert program.locator("#lower-third").get_attribute("data-state") == "hidden"
    assert program.locator("#lt-text").text_content() == ""
    assert errors.messages == []


def test_a_long_question_shrinks_and_is_never_cut(new_page, studio, overlay_key):
    errors = PageErrors()
    cue(studio, LONG)
    preview = open_overlay(new_page, overlay_key, errors, "preview")

    shown(preview)
    box = preview.locator("#lt-text").evaluate(
        """el => ({text: el.textContent, size: parseFloat(getComputedStyle(el).fontSize),
                   scroll: el.scrollHeight, client: el.clientHeight,
                   bottom: el.getBoundingClientRect().bottom,
                   panel: document.getElementById('lower-third').getBoundingClientRect().bottom})"""
    )
    assert box["text"] == LONG
    assert "…" not in box["text"]
    assert 30 <= box["size"] < 46
    assert box["scroll"] <= box["client"]
    assert box["bottom"] <= box["panel"] <= 1080
    assert errors.messages == []
