"""What may leave the studio about an audience member in a file: a keyed hash for the author,
phone numbers replaced. Shared by the session exports and the draws' entrant lists."""

from __future__ import annotations

import re

from questions.automod.personal import SPELLED_OUT, find_phone_numbers
from questions.identity import opaque_id

PHONE_MASK = "[phone]"
# Fewer digits than this cannot be a phone number: the phone library (a millisecond a text) is
# not asked.
_MIN_PHONE_DIGITS = 6
_DIGIT = re.compile(r"\d")


def mask_phones(text: str) -> str:
    """``text`` with every phone number written in digits replaced by ``[phone]``."""
    if not text or len(_DIGIT.findall(text)) < _MIN_PHONE_DIGITS:
        return text
    numbers = [n for n in find_phone_numbers(text) if n != SPELLED_OUT]
    for number in sorted(set(numbers), key=len, reverse=True):
        text = text.replace(number, PHONE_MASK)
    return text


def author_ref(session_id: int, author_id: int | None) -> str:
    """A short keyed hash of the author, the same for all their rows of one session's exports,
    different in every session; without the studio's secret key it leads nowhere."""
    if author_id is None:
        return ""
    return opaque_id(f"{session_id}:{author_id}", purpose="export.author")[:16]
