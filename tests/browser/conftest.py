"""Browser tests: the real studio (Daphne) in a subprocess, driven by Debian's Chromium.

Chromium comes from the system (``/usr/bin/chromium``, or ``CHROMIUM``); Playwright never
downloads a browser. Where Chromium is missing these tests skip, unless ``REQUIRE_BROWSER=1``
(set by CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import PASSWORD, LiveStudio

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).exists() else None


def _require_browser() -> None:
    missing = []
    if _chromium() is None:
        missing.append("Chromium (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -r requirements-dev.txt)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(message)


def demo_studio(path: Path, **options) -> Iterator[LiveStudio]:
    """The demo studio served by Daphne, for one test module: its own folder and, with
    ``redis_db`` and ``database_prefix``, a Redis database and a PostgreSQL database of its own,
    so that modules running at the same time never see each other's takes."""
    _require_browser()
    live = LiveStudio(path, **options)
    try:
        live.manage("migrate", "--noinput")
        live.manage("seed_demo", "--base-url", live.url)
        live.start()
    except Exception:
        live.stop()
        live.drop_database()
        raise
    try:
        yield live
    finally:
        live.stop()
        live.drop_database()


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> Iterator[LiveStudio]:
    yield from demo_studio(tmp_path_factory.mktemp("studio"))


@pytest.fixture(scope="module")
def browser(studio):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageErrors:
    """Console errors, uncaught exceptions and CSP violations seen by a page."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, page) -> None:
        page.on("pageerror", lambda exc: self.messages.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: (
                self.messages.append(f"console.{msg.type}: {msg.text}")
                if msg.type == "error"
                else None
            ),
        )


@pytest.fixture
def new_page(browser, studio):
    """Open a page in a fresh browser context (its own cookies), at a given language."""
    contexts = []

    def _open(path: str = "/", *, locale: str = "en-GB", viewport=None, errors=None):
        context = browser.new_context(
            locale=locale,
            viewport=viewport or {"width": 1024, "height": 768},
            base_url=studio.url,
        )
        contexts.append(context)
        page = context.new_page()
        if errors is not None:
            errors.watch(page)
        page.goto(path)
        return page

    yield _open
    for context in contexts:
        context.close()


def log_in(page, username: str = "producer", password: str = PASSWORD) -> None:
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("[type=submit]").click()
    page.wait_for_load_state()
