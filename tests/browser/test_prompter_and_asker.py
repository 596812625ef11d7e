"""The guest prompter shows what is on air and what is cued, live; the asker sees their own
question go on air."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import PageErrors, demo_studio
from tests.live_server import LiveStudio

SESSION = "demo-live"
# The changes these tests make come from another process (manage.py shell). On the embedded
# defaults (no Redis) public sockets, the wall's included, see them in the database at their next
# heartbeat (EVENT_PUBLIC_HEARTBEAT_SECONDS, 10 s); with Redis, at once.
PUBLIC_CATCH_UP_MS = 20_000


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> Iterator[LiveStudio]:
    yield from demo_studio(
        tmp_path_factory.mktemp("studio-prompter"),
        redis_db=13,
        database_prefix="sr_browser_prompter",
    )


@pytest.fixture(scope="module")
def overlay_key(studio):
    return studio.shell(
        "from studio.models import LiveSession;"
        f"print(LiveSession.objects.get(slug={SESSION!r}).overlay_key)"
    ).strip()


_SETUP = (
    "from django.contrib.auth.models import User\n"
    "from django.utils import timezone\n"
    "from questions.models import Question\n"
    "from questions import services\n"
    "from studio.models import LiveSession\n"
    f"s = LiveSession.objects.get(slug={SESSION!r})\n"
    "producer = User.objects.get(username='producer')\n"
)


def new_question(studio, text: str, name: str = "Zoé", source: str = "sms") -> int:
    return int(
        studio.shell(
            _SETUP + f"q = Question.objects.create(session=s, text={text!r}, author_name={name!r},"
            f" source={source!r}, status='approved', approved_at=timezone.now())\n"
            "print(q.pk)\n"
        ).strip()
    )


def take(studio, pk: int) -> None:
    studio.shell(
        _SETUP + f"q = Question.objects.get(pk={pk})\n"
        "if q.status == 'pending': q = services.question_approve(actor=producer, question=q)\n"
        "services.session_take_on_air(actor=producer, session=s, question=q)\n"
    )


def cue(studio, pk: int) -> None:
    studio.shell(
        _SETUP + f"services.question_cue(actor=producer, question=Question.objects.get(pk={pk}))\n"
    )


def test_the_prompter_shows_the_question_on_air_and_the_cued_one_live(
    new_page, studio, overlay_key
):
    errors = PageErrors()
    first = new_question(studio, "Which song will you play last tonight?", name="Léa")
    take(studio, first)
    page = new_page(
        f"/prompter/{SESSION}/?key={overlay_key}",
        viewport={"width": 1920, "height": 1080},
        errors=errors,
    )
    page.locator("body[data-status=live]").wait_for(timeout=10_000)

    now = page.locator("#now-text")
    assert now.text_content() == "Which song will you play last tonight?"
    assert page.locator("#now-meta").text_content() == "Asked by Léa, by text message"
    assert float(now.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")) >= 56

    second = new_question(studio, "Will you tour in Canada next year?", name="Marc")
    cue(studio, second)
    page.wait_for_function(
        "() => document.getElementById('next-text').textContent"
        " === 'Will you tour in Canada next year?'",
        timeout=5_000,
    )
    assert now.text_content() == "Which song will you play last tonight?"

    take(studio, second)
    page.wait_for_function(
        "() => document.getElementById('now-text').textContent"
        " === 'Will you tour in Canada next year?'",
        timeout=5_000,
    )
    assert page.locator("#next-text").text_content() == "Nothing cued yet"
    assert errors.messages == []


def test_the_prompter_refuses_a_wrong_key(new_page, studio):
    page = new_page(f"/prompter/{SESSION}/?key=wrong", viewport={"width": 1920, "height": 1080})

    assert page.locator("#now-text").count() == 0


def test_the_asker_sees_on_air_now_when_the_host_takes_their_question(new_page, studio):
    errors = PageErrors()
    text = "Do you still have the guitar from your first album?"
    page = new_page(f"/s/{SESSION}/", viewport={"width": 390, "height": 844}, errors=errors)
    page.locator("#connection[data-status=live]").wait_for(timeout=10_000)
    page.fill("#ask-text", text)
    page.click("#ask-send")
    page.locator("#ask-result[data-kind=success]").wait_for(timeout=5_000)

    mine = page.locator("#mine-list .mine-item")
    mine.first.wait_for(timeout=5_000)
    assert mine.first.locator(".mine-text").text_content() == text
    assert mine.first.locator(".mine-state").text_content() in {"Waiting for review", "In the list"}
    assert page.locator("#mine-announce").is_hidden()

    pk = int(
        studio.shell(_SETUP + f"print(Question.objects.get(session=s, text={text!r}).pk)").strip()
    )
    take(studio, pk)

    page.locator("#mine-announce").wait_for(state="visible", timeout=PUBLIC_CATCH_UP_MS)
    # The live region is emptied, shown, then filled a moment later so screen readers speak it.
    page.wait_for_function(
        "() => document.querySelector('#mine-announce-text').textContent"
        " === 'Your question is on air now!'",
        timeout=2_000,
    )
    page.wait_for_function(
        "() => document.querySelector('#mine-list .mine-state').textContent === 'On air now'",
        timeout=PUBLIC_CATCH_UP_MS,
    )
    assert errors.messages == []
