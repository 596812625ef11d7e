"""On the real Redis broker: a worker killed mid-task loses no message and doubles none."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from celery import Celery
from django.db import connection

from questions.ingest.base import IncomingMessage
from questions.models import IngestFeed, Question

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

MESSAGES = 6
PAUSE = 0.8
VISIBILITY_TIMEOUT = 4


@pytest.fixture
def broker_url():
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url or connection.vendor != "postgresql":
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("the worker-loss drill needs PostgreSQL and Redis")
        pytest.skip("needs a real broker and a database a worker process can share")
    url = urlsplit(redis_url)._replace(path="/13").geturl()
    import redis

    redis.Redis.from_url(url).flushdb()
    return url


def _worker(broker_url: str, queue: str, log: Path) -> subprocess.Popen:
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "socialroom.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "socialroom",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "-I",
            "tests.celery.slow_tasks",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _count(ids: list[str]) -> int:
    return Question.objects.filter(external_id__in=ids).count()


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_a_worker_killed_mid_task_loses_no_message_and_doubles_none(
    session_a, broker_url, tmp_path
):
    session_a.moderation_mode = "post"
    session_a.save()
    feed = IngestFeed.objects.create(session=session_a, kind="webhook", secret="s")
    ids = [f"drill-{n}" for n in range(MESSAGES)]
    # Not the current app: the studio's own tasks keep theirs (set_as_current=False).
    sender = Celery(broker=broker_url, set_as_current=False)
    queue = f"drill-{os.getpid()}"
    for n, external_id in enumerate(ids):
        message = IncomingMessage(
            source="social:drill",
            external_id=external_id,
            text=f"Question number {n} for the drill, does it arrive exactly once?",
            author_platform="drill",
            author_id=f"author-{n}",
        )
        sender.send_task("tests.slow_ingest", args=[feed.pk, message.to_dict(), PAUSE], queue=queue)
    log = tmp_path / "worker.log"

    first = _worker(broker_url, queue, log)
    try:
        # Kill the whole worker while it is inside a task, after it has done some of them.
        assert _wait_for(lambda: _count(ids) >= 2, 60), log.read_text()[-3000:]
        time.sleep(PAUSE / 2)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        done_before_restart = _count(ids)
        assert done_before_restart < MESSAGES

        second = _worker(broker_url, queue, log)
        try:
            assert _wait_for(lambda: _count(ids) == MESSAGES, 90), log.read_text()[-3000:]
            # The interrupted task ran again after the visibility timeout: give any doubled
            # delivery time to show.
            time.sleep(VISIBILITY_TIMEOUT + 2 * PAUSE + 1)
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(20)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)

    assert _count(ids) == MESSAGES
    for external_id in ids:
        assert Question.objects.filter(external_id=external_id).count() == 1
