"""In Chromium: a producer's backstage message reaches the host's tablet, stays until the host
touches "Read", and the producer's console shows the receipt."""

from __future__ import annotations

import re

from tests.browser.conftest import PageErrors, log_in
from tests.browser.test_live_studio import open_console

TABLET = {"width": 1024, "height": 768}


def test_the_host_reads_the_producers_message_and_the_producer_sees_the_receipt(new_page):
    errors = PageErrors()
    producer = open_console(new_page, errors, "producer")
    host = open_console(new_page, errors, "host")
    banner = host.locator("#backstage-banner")
    assert banner.is_hidden()

    # Empty: refused on the producer's console, nothing reaches the host.
    producer.fill("#backstage-input", "   ")
    producer.locator("#backstage-send").click()
    producer.locator("#notice-error").filter(has_text="Write a message first").wait_for()

    text = "Wrap up <b>now</b> — next: Claire"
    producer.fill("#backstage-input", text)
    producer.locator("#backstage-send").click()
    sent = producer.locator("#backstage-sent li").filter(has_text="next: Claire")
    sent.filter(has_text="not read yet").wait_for()
    assert producer.locator("#backstage-input").input_value() == ""
    # The sender's own console has no banner to dismiss.
    assert producer.locator("#backstage-banner").is_hidden()

    banner.wait_for(state="visible", timeout=5_000)
    # Markup typed in a message shows as nothing but its words.
    assert host.locator("#backstage-text").inner_text() == "Wrap up now — next: Claire"
    assert "from producer" in host.locator("#backstage-meta").inner_text()
    # The banner stays until the host touches "Read".
    host.wait_for_timeout(1_000)
    assert banner.is_visible()

    host.locator("#backstage-read").click()
    banner.wait_for(state="hidden", timeout=5_000)

    receipt = sent.locator(".backstage-receipt")
    receipt.filter(has_text=re.compile(r"read at \d\d:\d\d by host")).wait_for(timeout=5_000)
    assert "not read yet" not in receipt.inner_text()

    # A reload starts from the snapshot: the message is read, the banner stays away.
    host.reload()
    host.locator("#connection[data-status=live]").wait_for(timeout=10_000)
    host.wait_for_timeout(500)
    assert banner.is_hidden()
    assert errors.messages == []


def test_the_banner_speaks_french_and_fits_a_portrait_tablet(new_page, studio):
    studio.shell(
        "from django.contrib.auth.models import User; from studio.models import LiveSession;"
        "from live.backstage import backstage_send;"
        "backstage_send(actor=User.objects.get(username='producer'),"
        " session=LiveSession.objects.get(slug='demo-live'), text='On conclut')"
    )
    errors = PageErrors()
    host = new_page(
        "/login/?next=/studio/demo-live/console/",
        locale="fr-FR",
        viewport={"width": 768, "height": 1024},
        errors=errors,
    )
    host.context.add_cookies([{"name": "django_language", "value": "fr", "url": studio.url}])
    log_in(host, "host")
    host.locator("#connection[data-status=live]").wait_for(timeout=10_000)
    banner = host.locator("#backstage-banner")
    banner.wait_for(state="visible")
    assert host.locator("#backstage-read").inner_text().strip() == "Lu"
    assert "de producer" in host.locator("#backstage-meta").inner_text()
    box = banner.bounding_box()
    assert box is not None and box["width"] <= 768
    read = host.locator("#backstage-read").bounding_box()
    assert read is not None and read["height"] >= 48 and read["x"] + read["width"] <= 768
    host.locator("#backstage-read").click()
    banner.wait_for(state="hidden", timeout=5_000)
    assert errors.messages == []
