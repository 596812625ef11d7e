"""The console shows at once when it is not live, and recovers by itself."""

from __future__ import annotations

import re
import time

from tests.browser.conftest import PageErrors, log_in

SESSION = "demo-live"

APPROVE_ONE = """
from django.contrib.auth import get_user_model
from questions import services
from questions.models import Question
producer = get_user_model().objects.get(username="producer")
question = Question.objects.filter(session__slug="demo-live", status="pending").first()
services.question_approve(actor=producer, question=question)
print(question.pk)
"""


def test_the_light_turns_red_within_5_s_of_losing_the_server_and_recovers_without_reload(
    new_page, studio
):
    errors = PageErrors()
    console = new_page(f"/login/?next=/studio/{SESSION}/console/")
    log_in(console)
    light = console.locator("#connection")
    console.locator("#connection[data-status=live]").wait_for(timeout=10_000)
    console.evaluate("window.__sameDocument = true")

    studio.stop()
    lost_at = time.monotonic()
    console.locator("#connection[data-status=stale]").wait_for(timeout=5_000)
    assert time.monotonic() - lost_at < 5.0
    # Plainly red, not just a changed attribute.
    colour = light.evaluate("el => getComputedStyle(el).backgroundColor")
    red, green, blue = (int(c) for c in re.findall(r"\d+", colour)[:3])
    assert red > 150 and green < 100 and blue < 100, colour

    # Meanwhile the show goes on: a moderator approves a question.
    approved_id = studio.shell(APPROVE_ONE).strip()
    time.sleep(1)
    studio.start()

    console.locator("#connection[data-status=live]").wait_for(timeout=10_000)
    console.locator(f"#queue .card[data-question-id='{approved_id}']").wait_for(timeout=5_000)
    assert console.evaluate("window.__sameDocument") is True, "the page was reloaded"
    errors.watch(console)
    assert errors.messages == []
