"""What the automatic checks hand back to the submission service."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Flag:
    """A reason for a moderator to look at a question: raised by a check, never a decision.

    ``code`` is one of ``profanity``, ``personal_data``, ``link``, ``shouting`` (the checks of
    this package), ``unchecked`` (the checks ran out of time, :data:`UNCHECKED`), or ``flood``,
    ``banned``, ``duplicate`` (raised by the submission service).
    ``reason`` is a short English sentence for the moderator; it never repeats personal data in
    full.
    """

    code: str
    reason: str

    def as_dict(self) -> dict:
        return {"code": self.code, "reason": self.reason}


# Raised when the time budget ran out before every check had run (questions/automod/budget.py).
UNCHECKED = Flag("unchecked", "Automatic checks did not finish: review by hand.")


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
