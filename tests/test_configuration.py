"""The embedded default and the production path are chosen by the environment alone."""

from __future__ import annotations

import os
import subprocess
import sys

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import caches
from django.db import connection

from socialroom.celery import app as celery_app

REDIS = bool(os.environ.get("REDIS_URL"))


def test_the_database_is_postgresql_exactly_when_database_url_says_so():
    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected


def test_the_channel_layer_carries_a_message_to_a_group():
    layer = get_channel_layer()

    async def round_trip():
        # One event loop throughout, as in a server process (the pub/sub layer is per loop).
        channel = await layer.new_channel()
        await layer.group_add("config-check", channel)
        await layer.group_send("config-check", {"type": "ping", "n": 1})
        message = await layer.receive(channel)
        await layer.group_discard("config-check", channel)
        return message

    assert async_to_sync(round_trip)() == {"type": "ping", "n": 1}
    expected = "ResilientPubSubChannelLayer" if REDIS else "InMemoryChannelLayer"
    assert type(layer).__name__ == expected


def test_the_cache_is_shared_through_redis_exactly_when_redis_url_is_set():
    caches["default"].set("config-check", 42)
    assert caches["default"].get("config-check") == 42
    expected = "RedisCache" if REDIS else "LocMemCache"
    assert type(caches["default"]).__name__ == expected


def test_celery_uses_redis_as_broker_when_set_and_runs_tasks_in_process_otherwise():
    if REDIS:
        assert celery_app.conf.broker_url == os.environ["REDIS_URL"]
    else:
        assert celery_app.conf.broker_url == "memory://"
        assert celery_app.conf.task_always_eager is True
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.task_reject_on_worker_lost is True


def test_the_studio_starts_with_no_environment_at_all(tmp_path):
    """Plain `manage.py check` in a clean environment: SQLite, in-memory layers, a generated key."""
    env = {"PATH": os.environ["PATH"], "DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def _make_run_settings(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HOST", "PORT"}}
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", "run-settings", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_make_run_shows_debug_pages_only_on_this_machine():
    assert _make_run_settings() == "HOST=127.0.0.1 PORT=8000 DEBUG=1"
    assert _make_run_settings("HOST=localhost").endswith("DEBUG=1")
    # Listening beyond loopback (phones on the studio's network): debug is off, even if asked.
    assert _make_run_settings("HOST=0.0.0.0").endswith("DEBUG=0")
    assert _make_run_settings("HOST=192.168.1.20", "DEBUG=1").endswith("DEBUG=0")
    assert _make_run_settings("DEBUG=0").endswith("DEBUG=0")


def test_without_debug_a_missing_page_tells_nothing_of_the_studio(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    body = response.content.decode()
    assert "URLconf" not in body and "urlpatterns" not in body and "DEBUG" not in body
