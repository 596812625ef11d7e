"""The social wall in a browser: approved messages only, live, without rebuilding the cards that
stay, and what a producer hides goes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import PageErrors, demo_studio, log_in
from tests.live_server import LiveStudio

SESSION = "demo-live"
# The changes these tests make come from another process (manage.py shell). On the embedded
# defaults (no Redis) public sockets, the wall's included, see them in the database at their next
# heartbeat (EVENT_PUBLIC_HEARTBEAT_SECONDS, 10 s); with Redis, at once.
PUBLIC_CATCH_UP_MS = 20_000


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> Iterator[LiveStudio]:
    yield from demo_studio(
        tmp_path_factory.mktemp("studio-wall"), redis_db=11, database_prefix="sr_browser_wall"
    )


@pytest.fixture(scope="module")
def overlay_key(studio):
    return studio.shell(
        "from studio.models import LiveSession;"
        f"print(LiveSession.objects.get(slug={SESSION!r}).overlay_key)"
    ).strip()


def run(studio, code: str) -> str:
    """Python in the studio, with the session ``s`` and the producer at hand."""
    return studio.shell(
        "from django.contrib.auth.models import User\n"
        "from questions.models import Question\n"
        "from questions.services import question_approve\n"
        "from questions.services.wall import wall_set\n"
        "from studio.models import LiveSession\n"
        f"s = LiveSession.objects.get(slug={SESSION!r})\n"
        "producer = User.objects.get(username='producer')\n" + code
    )


def new_question(studio, text: str, status: str = "pending") -> int:
    return int(
        run(
            studio,
            f"q = Question.objects.create(session=s, text={text!r}, author_name='Zoé',"
            f" source='sms', status={status!r})\nprint(q.pk)\n",
        ).strip()
    )


def open_wall(new_page, key: str, errors: PageErrors):
    page = new_page(
        f"/wall/{SESSION}/?key={key}&rotate=0",
        viewport={"width": 1920, "height": 1080},
        errors=errors,
    )
    page.locator("body[data-status=live]").wait_for(timeout=10_000)
    page.locator(".wall-card").first.wait_for(timeout=5_000)
    return page


def card_texts(page) -> list[str]:
    return page.locator(".wall-card .wall-text").all_text_contents()


def test_the_wall_shows_approved_messages_only(new_page, studio, overlay_key):
    errors = PageErrors()
    new_question(studio, "A pending one nobody approved?")
    page = open_wall(new_page, overlay_key, errors)

    texts = card_texts(page)

    assert texts
    assert "A pending one nobody approved?" not in texts
    approved = run(
        studio,
        "from questions.selectors import wall_items\n"
        "print('\\n'.join(q.text for q in wall_items(s)))\n",
    ).splitlines()
    assert texts == approved
    assert errors.messages == []


def test_an_approval_adds_a_card_and_the_other_cards_stay_the_same_nodes(
    new_page, studio, overlay_key
):
    errors = PageErrors()
    page = open_wall(new_page, overlay_key, errors)
    before = len(card_texts(page))
    # Mark every card node: a card rebuilt instead of kept would lose the mark.
    page.evaluate("() => document.querySelectorAll('.wall-card').forEach((c) => { c.__kept = 1 })")
    pk = new_question(studio, "Will you sing the new song tonight?")

    run(studio, f"question_approve(actor=producer, question=Question.objects.get(pk={pk}))\n")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.wall-text')].some("
        "(p) => p.textContent === 'Will you sing the new song tonight?')",
        timeout=PUBLIC_CATCH_UP_MS,
    )

    marks = page.evaluate(
        "() => [...document.querySelectorAll('.wall-card')].map("
        "(c) => [c.querySelector('.wall-text').textContent, c.__kept === 1])"
    )
    assert marks[0] == ["Will you sing the new song tonight?", False]
    kept = [m for m in marks[1:] if m[1]]
    assert len(kept) == min(before, 29)
    assert page.locator(".wall-card").count() == min(before + 1, 30)
    assert errors.messages == []


def test_what_a_producer_hides_leaves_the_wall(new_page, studio, overlay_key):
    errors = PageErrors()
    page = open_wall(new_page, overlay_key, errors)
    first = card_texts(page)[0]
    pk = run(studio, f"print(Question.objects.get(session=s, text={first!r}).pk)\n").strip()

    run(
        studio,
        f"wall_set(actor=producer, question=Question.objects.get(pk={pk}), state='hidden')\n",
    )

    page.wait_for_function(
        "(text) => ![...document.querySelectorAll('.wall-text')].some("
        "(p) => p.textContent === text)",
        arg=first,
        timeout=PUBLIC_CATCH_UP_MS,
    )
    assert errors.messages == []


def test_a_producer_hides_a_card_from_the_console(new_page, studio, overlay_key):
    errors = PageErrors()
    wall = open_wall(new_page, overlay_key, errors)
    console = new_page(
        f"/login/?next=/studio/{SESSION}/console/",
        viewport={"width": 1440, "height": 900},
        errors=errors,
    )
    log_in(console, "producer")
    console.wait_for_url(f"**/studio/{SESSION}/console/")
    card = console.locator(".queue-card").first
    card.wait_for(timeout=10_000)
    text = card.locator(".card-text").text_content()
    assert text in card_texts(wall)

    card.locator("button[data-action=wall][data-wall-state=hidden]").click()

    wall.wait_for_function(
        "(text) => ![...document.querySelectorAll('.wall-text')].some("
        "(p) => p.textContent === text)",
        arg=text,
        timeout=PUBLIC_CATCH_UP_MS,
    )
    assert errors.messages == []
