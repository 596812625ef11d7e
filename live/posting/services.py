"""Posts of what aired: made when a question airs, delivered by a task, each exactly once.

- **One post per question and network** (the database's unique ``(question, network)``): a second
  take of a question that already aired makes no new post, whatever became of the first one (a
  failed post stays failed; the admin can send it again).
- **Never posted twice.** Delivery starts by locking the post's row and stops when it is no
  longer pending, so two runs of the task (a retry, a worker lost after the network answered)
  cannot both post; and each network is asked in a way that a repeated request makes nothing
  new (Mastodon's ``Idempotency-Key``, Bluesky's record key chosen by the studio).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from live.models import PostBack, PostStatus, StationAccount
from live.posting import bluesky, mastodon
from live.posting.errors import PostError, Refused, RetryLater
from live.posting.text import post_text
from questions.models import Question
from studio.models import LiveSession

log = logging.getLogger(__name__)


def post_backs_for_aired(
    *, question: Question, session: LiveSession, deliver: Callable[[int], None]
) -> list[PostBack]:
    """Make the posts of a question that has just aired, one per enabled account of the
    station, when the session's posting is on; ``deliver(post_id)`` is called for each after
    commit (it queues the task). Returns the posts made now (none for a question posted before)."""
    if not session.post_back_enabled:
        return []
    accounts = list(StationAccount.objects.filter(station_id=session.station_id, enabled=True))
    made: list[PostBack] = []
    with transaction.atomic():
        for account in accounts:
            post, created = PostBack.objects.get_or_create(
                question=question,
                network=account.network,
                defaults={"text": post_text(question, session, account.network)},
            )
            if created:
                made.append(post)
    for post in made:
        transaction.on_commit(partial(deliver, post.pk))
    return made


def idempotency_key(post: PostBack) -> str:
    return f"socialroom-post-{post.pk}"


def _send(post: PostBack, account: StationAccount, language: str) -> mastodon.Posted:
    if post.network == "mastodon":
        return mastodon.post_status(
            service=account.service,
            token=account.secret,
            text=post.text,
            idempotency_key=idempotency_key(post),
            language=language,
        )
    return bluesky.post_record(
        service=account.service,
        handle=account.handle,
        password=account.secret,
        text=post.text,
        rkey=bluesky.tid(post.created_at, post.pk),
        created_at=post.created_at,
        language=language,
    )


def post_back_deliver(*, post_id: int, last_try: bool = False) -> PostBack | None:
    """Deliver one post, unless it is no longer pending.

    Raises :class:`RetryLater` when the network may take it later (the post stays pending, its
    error kept) unless ``last_try``: then, as on a refusal, the post is marked failed.
    """
    retry: RetryLater | None = None
    with transaction.atomic():
        # The row stays locked while the network is asked (bounded by the HTTP timeouts): a
        # second run of the task waits here, then finds the post made.
        post = (
            PostBack.objects.select_for_update(of=("self",))
            .select_related("question__session")
            .filter(pk=post_id)
            .first()
        )
        if post is None or post.status != PostStatus.PENDING:
            return post
        session = post.question.session
        account = StationAccount.objects.filter(
            station_id=session.station_id, network=post.network, enabled=True
        ).first()
        post.attempts += 1
        fields: dict[str, Any] = {"attempts": post.attempts}
        if account is None:
            fields |= {"status": PostStatus.FAILED, "last_error": "No enabled account."}
        else:
            try:
                posted = _send(post, account, session.language)
            except Refused as exc:
                fields |= {"status": PostStatus.FAILED, "last_error": str(exc)[:500]}
            except RetryLater as exc:
                fields["last_error"] = str(exc)[:500]
                if last_try:
                    fields["status"] = PostStatus.FAILED
                else:
                    retry = exc
            except PostError as exc:  # pragma: no cover - every error is one of the two
                fields |= {"status": PostStatus.FAILED, "last_error": str(exc)[:500]}
            else:
                fields |= {
                    "status": PostStatus.POSTED,
                    "link": posted.link[:500],
                    "remote_id": posted.remote_id[:300],
                    "posted_at": timezone.now(),
                    "last_error": "",
                }
        for name, value in fields.items():
            setattr(post, name, value)
        post.save(update_fields=[*fields])
    if post.status == PostStatus.FAILED:
        log.warning("post %s to %s failed: %s", post.pk, post.network, post.last_error)
    if retry is not None:
        raise retry
    return post


def post_back_resend(*, post: PostBack, deliver: Callable[[int], None]) -> bool:
    """Send a failed post again (from the admin); False when it was not failed."""
    with transaction.atomic():
        updated = PostBack.objects.filter(pk=post.pk, status=PostStatus.FAILED).update(
            status=PostStatus.PENDING, last_error=""
        )
        if updated:
            transaction.on_commit(lambda: deliver(post.pk))
    return bool(updated)


def posts_for_question(question: Question) -> list[PostBack]:
    return list(PostBack.objects.filter(question=question).order_by("network"))
