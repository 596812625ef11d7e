"""The last look before a question airs: what may have changed since it was approved.

A question is approved once, but it airs later: meanwhile its author may have been banned, the
station may have added words to its lists, the crew may have given it an on-air wording or an
aired name. :func:`air_refusal` runs again, on what will actually air, every check that could
now say no. It reads and never writes; the take calls it inside its transaction, on the locked
question, and raises what it returns.

The flags a moderator saw when approving (``Question.flags``) are settled by that approval; only
a finding that was not among them refuses the take: a word the station has blocked since, or
a phone number in an on-air wording.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from questions.automod import Flag, check, check_name
from questions.fit import fits_on_air
from questions.models import Ban, Question
from questions.transitions import TRANSITIONS
from studio.errors import Conflict, DomainError

# What keeps a question off the air when found in what will air. Shouting is a matter of style,
# and the other flags (flood, duplicate) say nothing against the words.
AIR_BLOCKING = ("profanity", "personal_data", "link")


class NotAirable(Conflict):
    """The question may not air as it stands; ``code`` says why, the message what to do:
    ``not_approved``, ``author_banned``, ``text_flagged``, ``name_flagged``, ``too_long``."""

    status_code = 409
    code = "not_airable"


def air_text(question: Question) -> str:
    """The words that air: the on-air wording when there is one, else the question."""
    return question.air_text or question.text


def air_name(question: Question) -> str:
    """The name that airs: the aired name when there is one, else the author's."""
    return question.air_name or question.author_name


def _settled(question: Question, field: str) -> set[tuple[str, str]]:
    """The findings about ``field`` the question was approved with."""
    settled = set()
    for flag in question.flags or []:
        if isinstance(flag, dict) and flag.get("field", "text") == field:
            settled.add((str(flag.get("code", "")), str(flag.get("reason", ""))))
    return settled


def _unsettled(flags: tuple[Flag, ...], settled: set[tuple[str, str]]) -> list[Flag]:
    return [
        flag
        for flag in flags
        if flag.code in AIR_BLOCKING and (flag.code, flag.stored_reason()) not in settled
    ]


def _details(question: Question, flags: list[Flag] | None = None) -> dict[str, Any]:
    details: dict[str, Any] = {"question": question.pk}
    if flags:
        details["flags"] = [flag.as_dict() for flag in flags]
    return details


def air_refusal(question: Question) -> DomainError | None:
    """Why ``question`` may not be taken on air now, or None when it may.

    In order: its state must be one the take allows (approved); its author must not be banned
    by the station; the text that airs and the name that airs are checked again with the
    station's current word lists, and a blocking finding not settled at approval refuses; and
    both must fit the on-air graphics (:func:`questions.fit.fits_on_air`).
    """
    take = TRANSITIONS["take"]
    if question.status not in take.allowed_from:
        return NotAirable(
            _("Only an approved question can go on air: approve it first."),
            code="not_approved",
            details={**_details(question), "status": question.status},
        )
    session = question.session
    station = session.station
    if (
        question.author_id is not None
        and Ban.objects.filter(station_id=station.pk, author_id=question.author_id).exists()
    ):
        return NotAirable(
            _("The author of this question is banned by the station: it cannot go on air."),
            code="author_banned",
            details=_details(question),
        )
    text = air_text(question)
    text_flags = _unsettled(
        check(
            text,
            language=question.language,
            blocked=station.blocked_words,
            allowed=station.allowed_words,
            checks=AIR_BLOCKING,
        ),
        _settled(question, "text"),
    )
    if text_flags:
        return NotAirable(
            _(
                "The text that would air is flagged (%(reasons)s): give it an on-air wording "
                "or edit it, then take it again."
            )
            % {"reasons": "; ".join(str(flag) for flag in text_flags)},
            code="text_flagged",
            details=_details(question, text_flags),
        )
    name = air_name(question)
    _plain, found = check_name(name, blocked=station.blocked_words, allowed=station.allowed_words)
    name_flags = _unsettled(found, _settled(question, "name"))
    if name_flags:
        return NotAirable(
            _(
                "The name that would air is flagged (%(reasons)s): change the aired name "
                "(initials, or none), then take it again."
            )
            % {"reasons": "; ".join(str(flag) for flag in name_flags)},
            code="name_flagged",
            details=_details(question, name_flags),
        )
    if not fits_on_air(text=text, name=name, session=session):
        return NotAirable(
            _(
                "This question is too long to fit on air: give it a shorter on-air wording "
                "or a shorter aired name."
            ),
            code="too_long",
            details=_details(question),
        )
    return None
