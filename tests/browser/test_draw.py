"""In Chromium: a producer defines a draw, sees the entries come in, draws with a seed shown and
logged, announces the winner, and the winner reaches the overlay only through approval and take."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.browser.conftest import PageErrors, demo_studio, log_in
from tests.live_server import LiveStudio

SESSION = "demo-live"
ENTRANTS = (("Inès", "Je participe ! #Concours"), ("Marc", "#concours me voilà"))


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> Iterator[LiveStudio]:
    yield from demo_studio(
        tmp_path_factory.mktemp("studio-draw"), redis_db=10, database_prefix="sr_browser_draw"
    )


_SETUP = (
    "from django.contrib.auth.models import User\n"
    "from questions import services\n"
    "from questions.models import Draw, DrawEntry, Question\n"
    "from questions.services import AuthorInfo\n"
    "from studio.models import LiveSession\n"
    f"s = LiveSession.objects.get(slug={SESSION!r})\n"
    "producer = User.objects.get(username='producer')\n"
)


def enter(studio, name: str, text: str) -> None:
    """A listener's message with the draw's hashtag, approved."""
    studio.shell(
        _SETUP + f"r = services.question_submit(session=s, text={text!r}, source='web',"
        f" author=AuthorInfo(platform='web', external_id='draw-' + {name!r}),"
        f" author_name={name!r}, external_id='draw-' + {name!r})\n"
        "services.question_approve(actor=producer, question=r.question)\n"
    )


def test_the_producer_draws_a_winner_who_airs_through_approval_and_take(new_page, studio):
    errors = PageErrors()
    page = new_page(f"/login/?next=/studio/{SESSION}/draws/", errors=errors)
    log_in(page)
    page.locator("#draw-form").wait_for()
    page.fill("input[name=title]", "Two concert tickets")
    page.fill("input[name=keyword]", "#concours")
    page.click("#draw-form button[type=submit]")
    card = page.locator("#draws .draw-card").filter(has_text="Two concert tickets")
    card.wait_for(timeout=10_000)

    # Entries come in while the draw is open, one per author, shown to the producer.
    for name, text in ENTRANTS:
        enter(studio, name, text)
    card.locator(".draw-entries .entry").nth(1).wait_for(timeout=15_000)
    assert sorted(card.locator(".draw-entries .entry-name").all_inner_texts()) == ["Inès", "Marc"]

    page.once("dialog", lambda dialog: dialog.accept())
    card.locator(".draw-button").click()
    card.locator(".draw-seed .seed").wait_for(timeout=10_000)
    shown_seed = card.locator(".draw-seed .seed").inner_text()
    winner = card.locator(".winners .entry-name").inner_text()
    assert winner in ("Inès", "Marc")

    # The seed shown is the one logged, and the draw checks out again from it.
    logged = json.loads(
        studio.shell(
            _SETUP + "import json\n"
            "from questions.services.draws import draw_verify\n"
            "d = Draw.objects.get(title='Two concert tickets')\n"
            "print(json.dumps({'seed': d.seed, 'verified': draw_verify(d).ok}))\n"
        )
    )
    assert logged["seed"] == shown_seed
    assert logged["verified"]

    # Announced, the winner is a question waiting for approval: nothing airs yet.
    card.locator(".winners .announce").click()
    card.locator(".winners .announced").wait_for(timeout=10_000)
    pk = int(
        studio.shell(
            _SETUP + "e = DrawEntry.objects.get(draw__title='Two concert tickets',"
            " winner_rank=1)\nprint(e.winner_question_id)\n"
        ).strip()
    )
    key = studio.shell(_SETUP + "print(s.overlay_key)\n").strip()
    overlay = new_page(f"/overlay/{SESSION}/?key={key}")
    overlay.locator("body[data-status=live]").wait_for(timeout=10_000)
    assert "Two concert tickets" not in (overlay.locator("#lt-text").text_content() or "")

    studio.shell(
        _SETUP + f"q = Question.objects.get(pk={pk})\n"
        "q = services.question_approve(actor=producer, question=q)\n"
        "services.session_take_on_air(actor=producer, session=s, question=q)\n"
    )
    overlay.locator("#lt-text", has_text="Two concert tickets").wait_for(timeout=10_000)
    assert winner in overlay.locator("#lt-text").text_content()
    as_run = studio.shell(_SETUP + f"print(s.as_run.filter(question_id={pk}).count())\n").strip()
    assert as_run == "1"
    assert errors.messages == []
