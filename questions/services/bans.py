"""Station ban list: authors whose new questions are rejected on arrival."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from questions.models import Ban, ModerationAction, Question
from questions.services.common import log
from studio.errors import Conflict
from studio.roles import Capability, User, require


def ban_create(*, actor: User, question: Question, reason: str = "") -> Ban:
    """Ban the author of this question at its station. Questions already sent stay as they are."""
    station_id = question.session.station_id
    require(actor, station_id, Capability.BAN)
    if question.author_id is None:
        raise Conflict("This question has no known author to ban.", code="no_author")
    try:
        with transaction.atomic():
            # The user model is auth.User; the stubs type request.user as AbstractBaseUser.
            ban = Ban.objects.create(  # type: ignore[misc]
                station_id=station_id,
                author_id=question.author_id,
                reason=reason[:500],
                created_by=actor,
            )
            log(
                question=question,
                session_id=question.session_id,
                actor=actor,
                action=ModerationAction.BAN,
                from_status=question.status,
                to_status=question.status,
                reason=reason,
                details={"author": question.author_id},
            )
    except IntegrityError as exc:
        raise Conflict("This author is already banned.", code="already_banned") from exc
    return ban


def ban_delete(*, actor: User, ban: Ban) -> None:
    require(actor, ban.station_id, Capability.BAN)
    with transaction.atomic():
        last = (
            Question.objects.filter(author_id=ban.author_id, session__station_id=ban.station_id)
            .order_by("-created_at")
            .first()
        )
        if last is not None:
            log(
                question=last,
                session_id=last.session_id,
                actor=actor,
                action=ModerationAction.UNBAN,
                from_status=last.status,
                to_status=last.status,
                details={"author": ban.author_id},
            )
        ban.delete()
