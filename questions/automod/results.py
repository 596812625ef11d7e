"""What the automatic checks hand back to the submission service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# The language of the reasons stored with a question (``Question.flags``, the moderation log):
# crew of every language read them, each console showing the label of the code in its own
# language (:func:`questions.automod.labels.flag_labels`).
STORED_LANGUAGE = "en"


@dataclass(frozen=True)
class Flag:
    """A reason for a moderator to look at a question: raised by a check, never a decision.

    ``code`` is one of ``profanity``, ``personal_data``, ``link``, ``shouting`` (the checks of
    this package), ``markup`` (a name that held markup), ``unchecked`` (the checks ran out of
    time, :data:`UNCHECKED`), or ``flood``, ``banned``, ``duplicate`` (raised by the submission
    service). ``field`` is what the flag is about: ``"text"`` (the question) or ``"name"`` (the
    author's name). ``reason`` is a short sentence for the moderator, translated in the active
    language when shown; it never repeats personal data in full.
    """

    code: str
    reason: str | Promise
    field: str = "text"

    def as_dict(self) -> dict[str, Any]:
        """The stored form: ``{"code", "reason"}``, with ``"field"`` when it is not the text;
        the reason in :data:`STORED_LANGUAGE`."""
        stored: dict[str, Any] = {"code": self.code, "reason": self.stored_reason()}
        if self.field != "text":
            stored["field"] = self.field
        return stored

    def stored_reason(self) -> str:
        with translation.override(STORED_LANGUAGE):
            return str(self.reason)

    def __str__(self) -> str:
        return str(self.reason)


# Raised when the time budget ran out before every check had run (questions/automod/budget.py).
UNCHECKED = Flag("unchecked", _("Automatic checks did not finish: review by hand."))


@dataclass(frozen=True)
class GuestRef:
    """A guest of the session, as the guest check needs it."""

    id: int
    name: str
    handles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Analysis:
    """The outcome of :func:`questions.automod.analyse` for one message.

    ``text`` is the normalised text; an empty string means the message had nothing left to show
    and should be dropped. ``language`` is ``"fr"``, ``"en"`` or ``""`` when unsure.
    ``guest_id`` is the guest the text names, when it names exactly one.
    """

    text: str
    language: str
    is_question: bool
    guest_id: int | None
    flags: tuple[Flag, ...]
