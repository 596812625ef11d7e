"""In Chromium: the session report shows its figures and plots, prints on one A4 page, and
follows a live session as new questions arrive."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from tests.browser.conftest import PageErrors, demo_studio, log_in
from tests.live_server import LiveStudio

SESSION = "demo-live"
REPORT = f"/studio/{SESSION}/report/"
PLOTS = ("questions", "votes", "moderation")

SUBMIT = (
    "from questions.services import question_submit;"
    "from studio.models import LiveSession;"
    f"s = LiveSession.objects.get(slug={SESSION!r});"
    "question_submit(session=s, text='Will the report see this one arrive?',"
    " source='web', author_name='Nadia')"
)


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> Iterator[LiveStudio]:
    yield from demo_studio(
        tmp_path_factory.mktemp("studio-report"), redis_db=12, database_prefix="sr_browser_report"
    )


def open_report(new_page, errors: PageErrors, *, fake_clock: bool = False, locale="en-GB"):
    page = new_page(f"/login/?next={REPORT}", errors=errors, locale=locale)
    if fake_clock:
        # The page refreshes every 30 s: the test moves the page's clock instead of waiting.
        page.clock.install()
    log_in(page, "producer")
    page.wait_for_url(f"**{REPORT}")
    return page


def plots_loaded(page) -> None:
    page.wait_for_function(
        "names => names.every(n => { const i = document.getElementById('plot-' + n);"
        " return i && i.complete && i.naturalWidth > 0; })",
        arg=list(PLOTS),
        timeout=10_000,
    )


def test_the_report_shows_its_figures_and_plots_and_prints_on_one_a4_page(new_page):
    from pypdf import PdfReader

    errors = PageErrors()
    page = open_report(new_page, errors)
    assert page.locator("#report-title").inner_text().startswith("Social Room")
    assert int(page.locator("#total-questions").inner_text()) > 0
    for section in ("#moderation-title", "#as-run-title", "#trending-title", "#contributors-title"):
        assert page.locator(section).is_visible()
    plots_loaded(page)
    for name in PLOTS:
        box = page.locator(f"#plot-{name}").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 50
    assert page.locator("#report-print").is_visible()
    # Producers see the exports.
    assert page.locator('a[href$="/exports/questions.csv"]').count() == 1

    page.emulate_media(media="print")
    assert page.locator("#report-print").is_hidden()
    assert page.locator(".topbar").is_hidden()
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    for words in ("Moderation", "As-run log", "Trending terms", "Top contributors"):
        assert words in text
    # A4 in points.
    box = pdf.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 1 and abs(float(box.height) - 841.9) < 1
    assert errors.messages == []


def test_the_report_prints_on_one_page_in_french_on_a_phone(new_page):
    from pypdf import PdfReader

    errors = PageErrors()
    page = open_report(new_page, errors, locale="fr-FR")
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#report-title").wait_for()
    assert page.locator("#moderation-title").inner_text() == "Modération"
    plots_loaded(page)
    page.emulate_media(media="print")
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4")))
    assert len(pdf.pages) == 1
    assert "Journal d\u2019antenne" in pdf.pages[0].extract_text()
    assert errors.messages == []


def test_the_live_report_refreshes_when_a_new_question_arrives(new_page, studio):
    errors = PageErrors()
    page = open_report(new_page, errors, fake_clock=True)
    before = int(page.locator("#total-questions").inner_text())
    updated = page.locator("#report-updated").inner_text()
    plot_src = page.locator("#plot-questions").get_attribute("src")
    assert page.locator("#report-live").is_visible()

    studio.shell(SUBMIT)
    # Nothing moves before the refresh is due.
    page.clock.run_for(5_000)
    page.wait_for_timeout(300)
    assert int(page.locator("#total-questions").inner_text()) == before

    page.clock.run_for(30_000)
    page.wait_for_function(
        "n => Number(document.getElementById('total-questions').textContent) === n",
        arg=before + 1,
        timeout=10_000,
    )
    # The new question is counted among the web ones and the plots are fetched again.
    new_src = page.locator("#plot-questions").get_attribute("src")
    assert new_src != plot_src and "t=" in new_src
    plots_loaded(page)
    # The server drew the page again: a later time (the question took more than a second).
    assert page.locator("#report-updated").inner_text() != updated
    assert page.locator("#report-updated").inner_text().startswith("Updated ")
    assert errors.messages == []
