"""Automatic checks on incoming questions: normalisation, language, question form, target guest,
and the flags a moderator should see (profanity, personal data, links, shouting).

Everything here is a pure function of its arguments: no database, no network, no model download.
The submission service looks up what needs the database (the station's lists, the session's
guests, earlier questions) and passes it in. A flag is a reason to look, not a decision: what a
flagged question becomes is the session's policy (docs/moderation.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from questions.automod.budget import Budget
from questions.automod.duplicates import find_duplicate, stopwords
from questions.automod.guests import find_guest
from questions.automod.interrogative import is_question
from questions.automod.labels import FIELD_LABELS, field_labels, flag_labels
from questions.automod.language import detect_language, warm_up_language
from questions.automod.links import find_links, tlds
from questions.automod.normalise import has_markup, normalise, raw_length_cap, truncate_text
from questions.automod.personal import find_emails, find_phone_numbers, mask_email, mask_phone
from questions.automod.profanity import builtin_allowed, builtin_entries, find_profanity, mask
from questions.automod.results import UNCHECKED, Analysis, Flag, GuestRef
from questions.automod.shouting import is_shouting, upper_share

__all__ = [
    "FIELD_LABELS",
    "UNCHECKED",
    "Analysis",
    "Budget",
    "Flag",
    "GuestRef",
    "analyse",
    "check",
    "check_name",
    "field_labels",
    "find_duplicate",
    "flag_labels",
    "normalise",
    "raw_length_cap",
]


# A reason names at most this many findings: a hostile text can hold thousands, and the reason
# travels with the question to every console and into the moderation log.
MAX_LISTED = 10

# The checks a name goes through: those of a text that make sense for a few words (a name in
# capitals is no shouting), and markup, which no name has a reason to hold.
NAME_CHECKS = ("profanity", "personal_data", "link", "markup")


def _quoted(items: Sequence[str]) -> str | Promise:
    listed = ", ".join(f'"{item}"' for item in items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        return format_lazy(
            _("{listed} and {count} more"), listed=listed, count=len(items) - MAX_LISTED
        )
    return listed


def check(
    text: str,
    *,
    language: str = "",
    blocked: Sequence[str] = (),
    allowed: Sequence[str] = (),
    budget: Budget | None = None,
    field: str = "text",
    checks: Sequence[str] = ("profanity", "personal_data", "link", "shouting"),
) -> tuple[Flag, ...]:
    """The flags raised by the content checks on a normalised text, one per code, in the order
    profanity, personal data, link, shouting; then :data:`UNCHECKED` if the ``budget`` ran out
    before a check could start. ``checks`` names those to run, ``field`` what the flags are
    about."""
    budget = budget or Budget()
    flags: list[Flag] = []
    if "profanity" in checks and budget.left():
        swear_words = find_profanity(text, language=language, blocked=blocked, allowed=allowed)
        if swear_words:
            masked = _quoted([mask(w) for w in swear_words])
            flags.append(Flag("profanity", format_lazy(_("Profanity: {words}"), words=masked)))
    addresses: list[str] = []
    if "personal_data" in checks and budget.left():
        phones = [mask_phone(number) for number in find_phone_numbers(text)]
        addresses = find_emails(text) if budget.left() else []
        emails = [mask_email(address) for address in addresses]
        if phones or emails:
            parts: list[str | Promise] = []
            if phones:
                parts.append(
                    format_lazy(
                        ngettext_lazy("phone number {list}", "phone numbers {list}", len(phones)),
                        list=_quoted(phones),
                    )
                )
            if emails:
                parts.append(
                    format_lazy(
                        ngettext_lazy(
                            "e-mail address {list}", "e-mail addresses {list}", len(emails)
                        ),
                        list=_quoted(emails),
                    )
                )
            found = (
                parts[0]
                if len(parts) == 1
                else format_lazy(_("{first} and {second}"), first=parts[0], second=parts[1])
            )
            flags.append(
                Flag("personal_data", format_lazy(_("Personal data: {found}"), found=found))
            )
    if "link" in checks and budget.left():
        # The domain of an e-mail address ("julie.b (at) orange.fr") is no link.
        domains = {address.partition("@")[2] for address in addresses}
        links = [host for host in find_links(text) if host not in domains]
        if links:
            flags.append(
                Flag(
                    "link",
                    format_lazy(
                        ngettext_lazy("Link: {links}", "Links: {links}", len(links)),
                        links=_quoted(links),
                    ),
                )
            )
    if "shouting" in checks and budget.left() and is_shouting(text):
        share, letters = upper_share(text)
        flags.append(
            Flag(
                "shouting",
                format_lazy(
                    _("Shouting: {share} of its {letters} letters are capitals"),
                    share=f"{share:.0%}",
                    letters=letters,
                ),
            )
        )
    if budget.exhausted:
        flags.append(UNCHECKED)
    if field != "text":
        flags = [_about(flag, field) for flag in flags]
    return tuple(flags)


def _about(flag: Flag, field: str) -> Flag:
    if flag == UNCHECKED:
        return flag  # about the whole message: it waits for a moderator
    if field == "name":
        return Flag(flag.code, format_lazy(_("Name: {reason}"), reason=flag.reason), field)
    return Flag(flag.code, flag.reason, field)


def check_name(
    raw: str,
    *,
    blocked: Sequence[str] = (),
    allowed: Sequence[str] = (),
    budget: Budget | None = None,
) -> tuple[str, tuple[Flag, ...]]:
    """An author's name normalised like a text (:func:`normalise`: plain text, no markup) and
    the flags its checks raise, each with ``field="name"``: profanity (French and English
    lists, and the station's ``blocked`` and ``allowed`` words), personal data, links, and
    markup the raw name held (``<b>``, also entity-encoded)."""
    warm_up()
    name = normalise(raw or "")
    flags: list[Flag] = []
    if has_markup(raw or ""):
        flags.append(Flag("markup", _("Name: it held markup, removed"), "name"))
    if name:
        flags.extend(
            check(
                name,
                blocked=blocked,
                allowed=allowed,
                budget=budget,
                field="name",
                checks=NAME_CHECKS,
            )
        )
    return name, tuple(flags)


def warm_up() -> None:
    """Load what the checks load once per process (the language model, the word lists), so that
    a message's budget is not spent on it."""
    warm_up_language()
    builtin_entries()
    builtin_allowed()
    stopwords()
    tlds()


def analyse(
    raw: str,
    *,
    max_length: int,
    truncate: bool = False,
    guests: Sequence[GuestRef] = (),
    blocked: Sequence[str] = (),
    allowed: Sequence[str] = (),
    budget: Budget | None = None,
) -> Analysis:
    """Normalise one incoming message and run every check that needs nothing but the text.

    Limits come before work: at most :func:`raw_length_cap` characters of ``raw`` are read (the
    caller refuses a longer one first when the source can shorten), then normalised. ``text`` is
    cut to ``max_length`` (ending with "…") only with ``truncate``; otherwise it is returned
    whole and, when too long, without any check, since the caller refuses it. The checks read
    the whole normalised message, cut or not, so a phone number past the cut still raises its
    flag. ``blocked`` and ``allowed`` are the station's extra words (``Station.blocked_words`` /
    ``allowed_words``). The checks run within ``budget``: those it leaves no time for are
    skipped, and the :data:`UNCHECKED` flag says so.
    """
    budget = budget or Budget()
    warm_up()
    budget.start()
    full = normalise((raw or "")[: raw_length_cap(max_length)])
    if not full:
        return Analysis(text="", language="", is_question=False, guest_id=None, flags=())
    if not truncate and len(full) > max_length:
        return Analysis(text=full, language="", is_question=False, guest_id=None, flags=())
    text = truncate_text(full, max_length) if truncate else full
    language = detect_language(full) if budget.left() else ""
    return Analysis(
        text=text,
        language=language,
        is_question=is_question(full) if budget.left() else False,
        guest_id=find_guest(full, guests) if budget.left() else None,
        flags=check(full, language=language, blocked=blocked, allowed=allowed, budget=budget),
    )
