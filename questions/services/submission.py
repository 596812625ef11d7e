"""Accepting a question from any source."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from questions.automod import (
    UNCHECKED,
    Analysis,
    Budget,
    Flag,
    GuestRef,
    analyse,
    check_name,
    find_duplicate,
    normalise,
    raw_length_cap,
)
from questions.models import (
    Author,
    Ban,
    ModerationAction,
    Question,
    QuestionStatus,
    validate_source,
)
from questions.publish import publish_question
from questions.services.common import log
from studio.errors import Conflict, ValidationFailed
from studio.models import FlaggedPolicy, Guest, LiveSession, ModerationMode, SessionStatus
from studio.roles import Capability, User, require
from studio.selectors import guest_in_session, guest_not_in_session
from studio.transactions import retry_on_deadlock

# Sources that only crew may use; the audience-facing sources need an open session.
CREW_SOURCES = {"manual", "import"}
# The length of the name fields (``Question.author_name``, ``Author.display_name`` and ``handle``):
# a name is cut to it before anything else reads it.
NAME_LENGTH = 120
# ``Author.avatar_url``: a longer address is dropped, not cut into a broken one.
AVATAR_URL_LENGTH = 200
# The most followers a count may say: the largest accounts anywhere have a few hundred million,
# and the column holds up to 2**31 - 1 on every database.
FOLLOWERS_CEILING = 1_000_000_000


@dataclass(frozen=True)
class AuthorInfo:
    """Who sent a message, as known to its platform. ``external_id`` must already be opaque."""

    platform: str
    external_id: str
    display_name: str = ""
    handle: str = ""
    avatar_url: str = ""
    # Followers on the platform, read from the profile with the message; None: not known now
    # (what is stored stays).
    followers: int | None = None


def followers_or_none(value: object) -> int | None:
    """A follower count as a platform reports it, or None when it is not a sane one (not an
    integer, negative, past ``FOLLOWERS_CEILING``)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= FOLLOWERS_CEILING else None


def _plain_name(raw: str) -> str:
    """A name cut to its field, as plain text like a question's (no markup, no control
    characters), cut again in case normalising made it longer."""
    return normalise(raw[:NAME_LENGTH])[:NAME_LENGTH]


def _within_limits(info: AuthorInfo) -> AuthorInfo:
    return replace(
        info,
        display_name=_plain_name(info.display_name),
        handle=_plain_name(info.handle),
        avatar_url=info.avatar_url if len(info.avatar_url) <= AVATAR_URL_LENGTH else "",
        followers=(
            None
            if isinstance(info.followers, bool) or not isinstance(info.followers, int)
            else min(max(info.followers, 0), FOLLOWERS_CEILING)
        ),
    )


@dataclass(frozen=True)
class SubmitResult:
    question: Question
    created: bool


def _author_upsert(info: AuthorInfo) -> Author:
    """The author, created or brought up to date: a blank name, handle or avatar and an unknown
    follower count leave what is stored; a known count is stored with the time it was read."""
    reach = {}
    if info.followers is not None:
        reach = {"followers_count": info.followers, "followers_checked_at": timezone.now()}
    author, created = Author.objects.get_or_create(
        platform=info.platform,
        external_id=info.external_id,
        defaults={
            "display_name": info.display_name,
            "handle": info.handle,
            "avatar_url": info.avatar_url,
            **reach,
        },
    )
    if not created:
        changed = {
            k: v
            for k, v in (
                ("display_name", info.display_name),
                ("handle", info.handle),
                ("avatar_url", info.avatar_url),
            )
            if v and getattr(author, k) != v
        } | reach
        if changed:
            for k, v in changed.items():
                setattr(author, k, v)
            author.save(update_fields=[*changed])
    return author


def _existing(session: LiveSession, source: str, external_id: str, text: str) -> SubmitResult:
    question = Question.objects.get(session=session, source=source, external_id=external_id)
    if question.original_text != text:
        raise Conflict(
            "This message id was already used for a different question.",
            code="idempotency_key_reused",
            details={"question": question.pk},
        )
    return SubmitResult(question=question, created=False)


@retry_on_deadlock
def question_submit(
    *,
    session: LiveSession,
    text: str,
    source: str,
    author: AuthorInfo | None = None,
    author_name: str = "",
    external_id: str = "",
    target_guest: Guest | None = None,
    actor: User | None = None,
    truncate: bool = False,
) -> SubmitResult:
    """Accept a question into the session, exactly once per ``(source, external_id)``.

    A repeat of a known message returns the first question with ``created=False``; the same id
    with a different text is a conflict. Audience sources need a live session open to
    submissions; ``manual`` and ``import`` need a crew member who may moderate. A banned
    author's question is kept but rejected, with the reason in the moderation log.

    Limits come before work (docs/moderation.md, "Size limits"): names are cut to their field length
    first; a text that cannot be shortened (``truncate=False``) is refused as ``too_long`` when
    its raw form is past the raw cap, before it is even normalised, and when its normalised form
    is past ``max_question_length``, before any check reads it. The checks run within
    ``AUTOMOD_BUDGET_SECONDS``; a question they could not finish is flagged ``unchecked``, so it
    waits for a moderator like any flagged question.
    """
    raw_name = (author_name or "")[:NAME_LENGTH]
    if author is not None and not raw_name:
        raw_name = author.display_name[:NAME_LENGTH]
    if author is not None:
        author = _within_limits(author)
    validate_source_or_fail(source)
    if source in CREW_SOURCES:
        require(actor, session.station_id, Capability.MODERATE)
        if session.status == SessionStatus.ENDED:
            raise Conflict("This session has ended.", code="session_closed")
    elif not session.accepts_questions:
        raise Conflict("This session is not taking questions right now.", code="session_closed")

    raw = text or ""
    if not truncate and len(raw) > raw_length_cap(session.max_question_length):
        raise _too_long(len(raw), session.max_question_length)
    budget = Budget(settings.AUTOMOD_BUDGET_SECONDS)
    analysis = _analyse(session, raw, truncate=truncate, budget=budget)
    text = analysis.text
    if not text:
        raise ValidationFailed("The question is empty.", details={"text": "empty"})
    if len(text) > session.max_question_length:
        raise _too_long(len(text), session.max_question_length)
    author_name, name_flags = check_name(
        raw_name,
        blocked=session.station.blocked_words,
        allowed=session.station.allowed_words,
        budget=budget,
    )
    author_name = author_name[:NAME_LENGTH]
    if target_guest is not None and target_guest.session_id != session.pk:
        raise guest_not_in_session()
    if target_guest is None and analysis.guest_id is not None:
        try:
            target_guest = guest_in_session(session_id=session.pk, guest_id=analysis.guest_id)
        except ValidationFailed:
            target_guest = None  # no longer a guest of the session: aimed at nobody
    external_id = external_id.strip()[:255]

    if (
        external_id
        and Question.objects.filter(
            session=session, source=source, external_id=external_id
        ).exists()
    ):
        return _existing(session, source, external_id, text)

    try:
        with transaction.atomic():
            author_obj = _author_upsert(author) if author else None
            flags = _distinct(
                [*analysis.flags, *name_flags, *_flags_from_history(session, text, author_obj)]
            )
            duplicate_of = _duplicate_of(session, text, budget)
            if duplicate_of is not None:
                flags.append(
                    Flag(
                        "duplicate",
                        format_lazy(_("Near-duplicate of question #{id}."), id=duplicate_of.pk),
                    )
                )
            if budget.exhausted and UNCHECKED not in flags:
                flags.append(UNCHECKED)
            status = _arrival_status(session, source, flags)
            question = Question.objects.create(
                session=session,
                text=text,
                original_text=text,
                author=author_obj,
                author_name=author_name,
                source=source,
                external_id=external_id,
                target_guest=target_guest,
                status=status,
                approved_at=timezone.now() if status == QuestionStatus.APPROVED else None,
                language=analysis.language,
                is_question=analysis.is_question,
                flags=[f.as_dict() for f in flags],
                duplicate_of=duplicate_of,
            )
            log(
                question=question,
                session_id=session.pk,
                actor=actor,
                action=ModerationAction.SUBMIT,
                to_status=status,
                reason=" ".join(f.stored_reason() for f in flags),
                details={"flags": [f.code for f in flags]} if flags else None,
            )
            publish_question(question, was_public=False)
    except IntegrityError:
        # A concurrent request with the same message id won the race: answer with its question.
        if external_id:
            return _existing(session, source, external_id, text)
        raise
    return SubmitResult(question=question, created=True)


def _distinct(flags: list[Flag]) -> list[Flag]:
    """Each flag once (the checks of the text and of the name may both run out of time)."""
    seen: list[Flag] = []
    for flag in flags:
        if flag not in seen:
            seen.append(flag)
    return seen


def _too_long(length: int, max_length: int) -> ValidationFailed:
    return ValidationFailed(
        f"The question is too long: {length} characters, at most {max_length}.",
        code="too_long",
        details={"text": "too_long", "max_length": max_length},
    )


def _analyse(session: LiveSession, raw: str, *, truncate: bool, budget: Budget) -> Analysis:
    station = session.station
    return analyse(
        raw,
        max_length=session.max_question_length,
        # Sources that cannot be told to shorten (SMS, social posts) are cut, not refused.
        truncate=truncate,
        guests=[GuestRef(g.pk, g.name, tuple(g.handles)) for g in session.guests.all()],
        blocked=station.blocked_words,
        allowed=station.allowed_words,
        budget=budget,
    )


def _flags_from_history(session: LiveSession, text: str, author: Author | None) -> list[Flag]:
    """The checks that need the database: a banned author, and one author sending too often."""
    if author is None:
        return []
    flags = []
    if Ban.objects.filter(station_id=session.station_id, author=author).exists():
        flags.append(Flag("banned", _("Author is banned by the station.")))
    since = timezone.now() - timedelta(seconds=settings.FLOOD_WINDOW_SECONDS)
    recent = Question.objects.filter(session=session, author=author, created_at__gte=since).count()
    if recent >= settings.FLOOD_MAX_QUESTIONS:
        flags.append(
            Flag(
                "flood",
                format_lazy(
                    _("Flood: {count} questions from this author in {seconds} seconds."),
                    count=recent + 1,
                    seconds=settings.FLOOD_WINDOW_SECONDS,
                ),
            )
        )
    return flags


def _duplicate_of(session: LiveSession, text: str, budget: Budget) -> Question | None:
    """The original of the cluster this text nearly repeats, among the session's recent
    questions that are not rejected (those the budget leaves time to compare)."""
    candidates = list(
        Question.objects.filter(session=session)
        .exclude(status=QuestionStatus.REJECTED)
        .order_by("-created_at", "-id")
        .values_list("pk", "text", "duplicate_of_id")[: settings.DUPLICATE_CANDIDATES]
    )
    match = find_duplicate(text, ((pk, t) for pk, t, _ in candidates), budget=budget)
    if match is None:
        return None
    root = next((root or pk for pk, _, root in candidates if pk == match), match)
    return Question.objects.filter(pk=root).first()


def _arrival_status(session: LiveSession, source: str, flags: list[Flag]) -> str:
    codes = {f.code for f in flags}
    if "banned" in codes:
        return QuestionStatus.REJECTED
    text_flags = [f for f in flags if f.field == "text"]
    if text_flags and source not in CREW_SOURCES:
        codes = {f.code for f in text_flags}
        # "unchecked" says nothing against the text, only that the checks ran out of time: such
        # a question waits for a moderator even where flagged questions are rejected.
        if session.flagged_policy == FlaggedPolicy.REJECT and codes - {"unchecked"}:
            return QuestionStatus.REJECTED
        return QuestionStatus.PENDING
    # A flagged name is held for a moderator whatever the mode or the policy, from every source:
    # a name airs and shows in every feed like the text, and rejecting the question for it
    # would punish the question for its signature.
    if len(text_flags) < len(flags):
        return QuestionStatus.PENDING
    if session.moderation_mode == ModerationMode.POST:
        return QuestionStatus.APPROVED
    return QuestionStatus.PENDING


def validate_source_or_fail(source: str) -> None:
    try:
        validate_source(source)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages[0], details={"source": source}) from exc
