"""In Chromium: cue a question and see the lower third's preview, lock the air (every console shows
it and nothing can be taken), unlock, then take the cued question with "Take next"."""

from __future__ import annotations

from tests.browser.conftest import PageErrors
from tests.browser.test_live_studio import open_console


def test_cue_lock_unlock_and_take_next(new_page):
    errors = PageErrors()
    producer = open_console(new_page, errors, "producer")
    host = open_console(new_page, errors, "host")

    first = host.locator("#queue .card").first
    first.wait_for()
    text = first.locator(".card-text").inner_text()
    first.locator("[data-action=cue]").click()
    producer.locator("#cue-text").filter(has_text=text[:30]).wait_for(timeout=5_000)
    host.locator("#cue-text").filter(has_text=text[:30]).wait_for(timeout=5_000)
    assert first.locator("[data-action=cue]").inner_text() == "Cued"

    host.locator("#air-lock").click()
    for page in (producer, host):
        banner = page.locator("#air-locked")
        banner.wait_for(state="visible", timeout=5_000)
        assert "AIR LOCKED — NOTHING CAN BE TAKEN" in banner.inner_text()
        page.wait_for_function(
            "() => [...document.querySelectorAll('#queue [data-action=take]')]"
            ".every(b => b.disabled) && document.getElementById('take-next').disabled"
        )
        banner_box = banner.bounding_box()
        assert banner_box is not None and banner_box["width"] >= 1000  # across the page
    # Only producers unlock.
    assert host.locator("#air-unlock").count() == 0

    producer.locator("#air-unlock").click()
    host.locator("#air-locked").wait_for(state="hidden", timeout=5_000)
    host.wait_for_function("() => !document.getElementById('take-next').disabled")

    host.locator("#take-next").click()
    host.locator("#on-air-text").filter(has_text=text[:30]).wait_for(timeout=5_000)
    producer.locator("#on-air-text").filter(has_text=text[:30]).wait_for(timeout=5_000)
    # The timer counts from the take: m:ss, ticking.
    host.locator("#on-air-since").filter(has_text="On air for 00:0").wait_for(timeout=5_000)
    assert errors.messages == []


def test_answered_on_a_queue_card_needs_a_second_touch(new_page):
    errors = PageErrors()
    host = open_console(new_page, errors, "host")
    card = host.locator("#queue .card").nth(1)
    text = card.locator(".card-text").inner_text()
    answered = card.locator("[data-action=answered]")

    answered.click()
    assert answered.inner_text() == "Confirm answered?"
    host.wait_for_timeout(500)
    assert host.locator("#queue .card").filter(has_text=text[:30]).count() == 1  # still queued

    answered.click()
    host.locator("#recent-list").filter(has_text=text[:30]).wait_for(timeout=5_000)
    assert host.locator("#queue .card").filter(has_text=text[:30]).count() == 0
    assert errors.messages == []
