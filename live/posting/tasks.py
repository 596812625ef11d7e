"""The Celery task that delivers one post back: thin, retried with backoff, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import Retry  # type: ignore[import-untyped]

from live.posting.errors import RetryLater
from live.posting.services import post_back_deliver

MAX_RETRIES = 6


@shared_task(
    bind=True,
    name="live.post_back",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(RetryLater,),
    max_retries=MAX_RETRIES,
    # 5 s, 10 s, 20 s … at most 10 minutes, each a random part of it (full jitter).
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
)
def post_back(self, post_id: int) -> str | None:
    """Deliver the post; returns its status."""
    post = post_back_deliver(post_id=post_id, last_try=self.request.retries >= MAX_RETRIES)
    return post.status if post is not None else None


def post_back_soon(post_id: int) -> None:
    """Queue the post's delivery; when Celery runs eagerly (the embedded studio, the tests), run
    it here, its retries at once one after the other (there is no worker to wait for)."""
    if not post_back.app.conf.task_always_eager:
        post_back.delay(post_id)
        return
    for retries in range(MAX_RETRIES + 1):
        try:
            post_back.apply(args=[post_id], retries=retries, throw=True)
            return
        except Retry:
            continue
