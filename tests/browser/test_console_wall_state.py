"""In Chromium: a producer's console card says where the item stands on the social wall, live,
with a Reset that puts it back as moderated; every crew member sees listeners' reports rise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import PageErrors, demo_studio
from tests.browser.test_live_studio import open_console
from tests.live_server import LiveStudio


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> Iterator[LiveStudio]:
    yield from demo_studio(
        tmp_path_factory.mktemp("studio-e"), redis_db=9, database_prefix="sr_browser_e"
    )


def first_queue_card(console):
    card = console.locator(".queue-card").first
    card.wait_for(timeout=5_000)
    return console.locator(
        f'.queue-card[data-question-id="{card.get_attribute("data-question-id")}"]'
    )


def test_a_producer_pins_an_item_sees_its_place_and_resets_it(new_page, studio):
    errors = PageErrors()
    console = open_console(new_page, errors, "producer")
    card = first_queue_card(console)
    mark = card.locator(".wall-mark")
    reset = card.locator(".wall-reset")
    assert mark.is_hidden() and reset.is_hidden()

    card.locator("button[data-wall-state=pinned]").click()

    mark.filter(has_text="Pinned #1").wait_for(timeout=5_000)
    assert reset.is_visible()
    # The state the item is in is said by the mark, not offered again as a button.
    assert card.locator("button[data-wall-state=pinned]").is_hidden()

    reset.click()

    mark.wait_for(state="hidden", timeout=5_000)
    assert reset.is_hidden()
    assert card.locator("button[data-wall-state=pinned]").is_visible()
    assert errors.messages == []


def test_the_crew_sees_reports_rise_live(new_page, studio):
    errors = PageErrors()
    host = open_console(new_page, errors, "host")
    card = first_queue_card(host)
    question_id = int(card.get_attribute("data-question-id"))
    # A host has no wall controls: reports only.
    assert card.locator(".wall-mark, .wall-buttons").count() == 0
    assert card.locator(".report-mark").is_hidden()

    for n in (1, 2):
        studio.shell(
            "from questions.models import Question\n"
            "from questions.services.reports import question_report\n"
            f"q = Question.objects.select_related('session').get(pk={question_id})\n"
            f"question_report(session=q.session, question=q, reporter='listener-{n}')\n"
        )

    chip = card.locator(".report-mark", has_text="Reported ×2")  # noqa: RUF001
    chip.wait_for(timeout=5_000)
    assert errors.messages == []
