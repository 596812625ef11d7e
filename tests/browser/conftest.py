"""Browser tests: the real studio (Daphne) in a subprocess, driven by Debian's Chromium.

Chromium comes from the system (``/usr/bin/chromium``, or ``CHROMIUM``); Playwright never
downloads a browser. Where Chromium is missing these tests skip, unless ``REQUIRE_BROWSER=1``
(set by CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "demo-pass-for-browser-tests"
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveStudio:
    """The studio served by Daphne on a free port, with the demo seeded.

    On the embedded defaults it has its own SQLite file. When the suite runs with DATABASE_URL
    and REDIS_URL, the studio runs on them too (a database of its own, created and dropped here),
    so the browser tests cover the production path: PostgreSQL and the Redis channel layer.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
        }
        self.env |= {
            "DATA_DIR": str(data_dir),
            "DEMO_PASSWORD": PASSWORD,
            "DJANGO_SETTINGS_MODULE": "socialroom.settings",
            "PYTHONUNBUFFERED": "1",
        }
        if os.environ.get("REDIS_URL"):
            # A Redis database of its own: its groups never meet the test process's.
            self.env["REDIS_URL"] = urlsplit(os.environ["REDIS_URL"])._replace(path="/15").geturl()
        self.database: str | None = None
        base_url = os.environ.get("DATABASE_URL", "")
        if base_url.startswith(("postgres://", "postgresql://")):
            self.database = f"sr_browser_{os.getpid()}"
            self._postgres(base_url, f'DROP DATABASE IF EXISTS "{self.database}"')
            self._postgres(base_url, f'CREATE DATABASE "{self.database}"')
            self.env["DATABASE_URL"] = (
                urlsplit(base_url)._replace(path="/" + self.database).geturl()
            )
            self.base_url = base_url

    @staticmethod
    def _postgres(url: str, sql: str) -> None:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)

    def drop_database(self) -> None:
        if self.database:
            self._postgres(self.base_url, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def shell(self, code: str) -> str:
        """Run Python in the studio's database (e.g. while the server is down)."""
        return self.manage("shell", "--verbosity", "0", "-c", code)

    def start(self) -> None:
        log = open(self.data_dir / "daphne.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "socialroom.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("Daphne exited:\n" + self.log())
            try:
                with urllib.request.urlopen(self.url + "/login/", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("Daphne did not answer within 30 s:\n" + self.log())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        path = self.data_dir / "daphne.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> Iterator[LiveStudio]:
    _require_browser()
    live = LiveStudio(tmp_path_factory.mktemp("studio"))
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
