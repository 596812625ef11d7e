"""A task for the worker-loss drill: the real ingest task, made slow on both sides of its work.

Loaded into a test worker with ``-I tests.celery.slow_tasks``; never part of the product.
"""

from __future__ import annotations

import time

from socialroom.celery import app


@app.task(name="tests.slow_ingest", acks_late=True, reject_on_worker_lost=True)
def slow_ingest(feed_id: int, message: dict, pause: float) -> int | None:
    from questions.tasks import ingest_message

    time.sleep(pause)  # killed here: the message must not be lost
    question_id = ingest_message(feed_id, message)
    time.sleep(pause)  # killed here: the message runs again and must not double
    return question_id
