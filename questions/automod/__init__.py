"""Automatic checks on incoming questions: normalisation, language, question form, target guest,
and the flags a moderator should see (profanity, personal data, links, shouting).

Everything here is a pure function of its arguments: no database, no network, no model download.
The submission service looks up what needs the database (the station's lists, the session's
guests, earlier questions) and passes it in. A flag is a reason to look, not a decision: what a
flagged question becomes is the session's policy (docs/moderation.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from questions.automod.duplicates import find_duplicate
from questions.automod.guests import find_guest
from questions.automod.interrogative import is_question
from questions.automod.language import detect_language
from questions.automod.links import find_links
from questions.automod.normalise import normalise, truncate_text
from questions.automod.personal import find_emails, find_phone_numbers, mask_email, mask_phone
from questions.automod.profanity import find_profanity, mask
from questions.automod.results import Analysis, Flag, GuestRef
from questions.automod.shouting import is_shouting, upper_share

__all__ = [
    "Analysis",
    "Flag",
    "GuestRef",
    "analyse",
    "check",
    "find_duplicate",
    "normalise",
]


def _quoted(items: Sequence[str]) -> str:
    return ", ".join(f'"{item}"' for item in items)


def check(
    text: str,
    *,
    language: str = "",
    blocked: Sequence[str] = (),
    allowed: Sequence[str] = (),
) -> tuple[Flag, ...]:
    """The flags raised by the content checks on a normalised text, one per code, in the order
    profanity, personal data, link, shouting."""
    flags: list[Flag] = []
    swear_words = find_profanity(text, language=language, blocked=blocked, allowed=allowed)
    if swear_words:
        flags.append(Flag("profanity", f"Profanity: {_quoted([mask(w) for w in swear_words])}"))
    phones = [mask_phone(number) for number in find_phone_numbers(text)]
    addresses = find_emails(text)
    emails = [mask_email(address) for address in addresses]
    if phones or emails:
        parts = []
        if phones:
            parts.append(f"phone number{'s' if len(phones) > 1 else ''} {_quoted(phones)}")
        if emails:
            parts.append(f"e-mail address{'es' if len(emails) > 1 else ''} {_quoted(emails)}")
        flags.append(Flag("personal_data", f"Personal data: {' and '.join(parts)}"))
    # The domain of an e-mail address ("julie.b (at) orange.fr") is no link.
    domains = {address.partition("@")[2] for address in addresses}
    links = [host for host in find_links(text) if host not in domains]
    if links:
        flags.append(Flag("link", f"Link{'s' if len(links) > 1 else ''}: {_quoted(links)}"))
    if is_shouting(text):
        share, letters = upper_share(text)
        flags.append(
            Flag("shouting", f"Shouting: {share:.0%} of its {letters} letters are capitals")
        )
    return tuple(flags)


def analyse(
    raw: str,
    *,
    max_length: int,
    truncate: bool = False,
    guests: Sequence[GuestRef] = (),
    blocked: Sequence[str] = (),
    allowed: Sequence[str] = (),
) -> Analysis:
    """Normalise one incoming message and run every check that needs nothing but the text.

    ``text`` is cut to ``max_length`` (ending with "…") only with ``truncate``; otherwise it is
    returned whole and the caller refuses it if too long. The checks read the whole message, cut
    or not, so a phone number past the cut still raises its flag. ``blocked`` and ``allowed`` are
    the station's extra words (``Station.blocked_words`` / ``allowed_words``).
    """
    full = normalise(raw)
    if not full:
        return Analysis(text="", language="", is_question=False, guest_id=None, flags=())
    text = truncate_text(full, max_length) if truncate else full
    language = detect_language(full)
    return Analysis(
        text=text,
        language=language,
        is_question=is_question(full),
        guest_id=find_guest(full, guests),
        flags=check(full, language=language, blocked=blocked, allowed=allowed),
    )
