"""Personal data in a question: phone numbers and e-mail addresses, also written to dodge filters
("name at example dot com"). Reasons show them masked: the moderation log is no place for them.
"""

from __future__ import annotations

import re

import phonenumbers

from questions.automod.links import is_domain_ending
from questions.automod.normalise import fold
from questions.automod.spans import Spans

# The audience writes from France, the UK and North America; numbers with a "+" are recognised
# whatever the region.
PHONE_REGIONS = ("FR", "GB", "US")
# The phone library gives up on a text after this many candidates that are no valid number: its
# own guard against digit soup ("11 11 11 ..."), which it would otherwise parse for seconds. A
# question has a handful of numbers; the shapes below still read the whole text.
PHONE_MAX_TRIES = 100
# Shapes that are phone numbers to a reader even when no such line exists (the fictional
# 07700 900xxx or 555 ranges), which the library rightly calls invalid.
_PHONE_SHAPES = (
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .\-]?\(?\d{1,4}\)?){2,6}(?!\d)"),
    re.compile(r"(?<![\w+.,/])0\d(?:[ .\-]?\d){8,9}(?![\d/])"),
    re.compile(r"(?<![\w+.,/])(?:\(\d{3}\) ?|\d{3}[ .\-])\d{3}[ .\-]\d{4}(?![\d/])"),
)
_EMAIL = re.compile(
    r"(?<![\w.@+\-])(?P<local>[\w+\-]+(?:\.[\w+\-]+)*)@(?P<domain>[\w\-]+(?:\.[\w\-]+)*"
    r"\.(?P<tld>[a-z]{2,24}))(?![\w\-])",
    re.IGNORECASE,
)
# A comma typed for the last dot ("aya.fan@gmail,com") still makes an address.
_EMAIL_COMMA_TYPO = re.compile(
    r"(?<![\w.@+\-])(?P<local>[\w+\-]+(?:\.[\w+\-]+)*)@(?P<domain>[\w\-]+(?:\.[\w\-]+)*)"
    r",(?P<tld>[a-z]{2,24})(?![\w\-])",
    re.IGNORECASE,
)
# A domain label: at most 63 characters, as in DNS.
_LABEL = r"[a-z0-9](?:[a-z0-9_\-]{0,61}[a-z0-9])?"
_OBFUSCATED_AT = (
    r"(?P<at>\s*[\[({<]\s*(?:at|arobase|arobas|@)\s*[\])}>]\s*|\s+(?:at|arobase|arobas)\s+)"
)
_OBFUSCATED_DOT = r"(?:\s*[\[({<]\s*(?:dot|point)\s*[\])}>]\s*|\s+(?:dot|point)\s+|\.)"
# The local part: letters and digits, joined by "_", "-", "+" or a dot (written or spelled).
# Each character can be read one way only, and the parts are bounded (an address has at most 64
# characters before its "@", 255 after): "a.a.a.a..." or "a dot a dot a..." that never comes to
# an "at" fails in time linear in its length, not exponential or quadratic.
_OBFUSCATED_LOCAL = rf"[a-z0-9]+(?:(?:[_\-]+|\+|{_OBFUSCATED_DOT})[a-z0-9]+){{0,31}}"
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.@])(?P<local>{_OBFUSCATED_LOCAL})"
    rf"{_OBFUSCATED_AT}"
    rf"(?P<domain>{_LABEL}(?:{_OBFUSCATED_DOT}{_LABEL}){{0,30}}{_OBFUSCATED_DOT}"
    r"(?P<tld>[a-z]{2,24}))"
    r"(?![\w\-])"
)
_OBFUSCATED_PART = re.compile(rf"{_OBFUSCATED_DOT}")
_SPELLED_DOT = re.compile(r"[\[({<\s](?:dot|point)[\])}>\s]")


# Numbers spelled out in words ("zéro six, douze, trente-quatre...", "oh seven seven double oh").
_NUMBER_WORDS = (
    "zero|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|"
    "seize|vingt|vingts|trente|quarante|cinquante|soixante|cent|et|"
    "oh|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "double|triple"
)
# One number word after each separator; a hyphen is a separator like a space, so "trente-quatre"
# is two words. (Hyphens inside a group as well would give every hyphenated run exponentially
# many readings.)
_SPELLED_PHONE = re.compile(rf"\b(?:zero|oh|plus)(?:[\s,.\-]+(?:{_NUMBER_WORDS})){{4,}}\b")
SPELLED_OUT = "spelled out"


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def find_phone_numbers(text: str) -> list[str]:
    """Phone numbers in ``text``, as written; one spelled out in words is given as
    :data:`SPELLED_OUT`."""
    spans = Spans()
    claim = spans.claim

    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.VALID, max_tries=PHONE_MAX_TRIES
        ):
            claim(match.start, match.end)
    for shape in _PHONE_SHAPES:
        # `match` was a PhoneNumberMatch in the loop above; here it is a regex match.
        for match in shape.finditer(text):  # type: ignore[assignment]
            if 9 <= _digits(match.group()) <= 15:  # type: ignore[attr-defined]
                claim(*match.span())  # type: ignore[attr-defined]
    numbers = [text[start:end] for start, end in sorted(spans)]
    folded = fold(text)
    if len(folded) == len(text):
        numbers += [SPELLED_OUT for match in _SPELLED_PHONE.finditer(folded)]
    return numbers


def find_emails(text: str) -> list[str]:
    """E-mail addresses in ``text``, obfuscated ones written back plainly
    ("julie.b (at) orange.fr" → "julie.b@orange.fr")."""
    found: list[tuple[int, str]] = []
    for match in _EMAIL.finditer(text):
        found.append((match.start(), match.group().lower()))
    for match in _EMAIL_COMMA_TYPO.finditer(text):
        if is_domain_ending(match["tld"], with_path=False):
            address = f"{match['local']}@{match['domain']}.{match['tld']}".lower()
            found.append((match.start(), address))
    folded = fold(text)
    if len(folded) == len(text):
        for match in _OBFUSCATED_EMAIL.finditer(folded):
            if "@" in match.group() and _EMAIL.fullmatch(match.group()):
                continue  # already found as written
            if not is_domain_ending(match["tld"], with_path=False):
                continue
            if not re.search(r"[a-z]", match["domain"].split()[0]):
                continue  # "at 10 dot com" is a time, not an address
            if match["at"].strip() == "at" and not _SPELLED_DOT.search(match["domain"]):
                continue  # "my mixtape at soundcloud.com" is a place, not an address
            local = _OBFUSCATED_PART.sub(".", match["local"])
            domain = _OBFUSCATED_PART.sub(".", match["domain"])
            if not any(start == match.start() for start, _ in found):
                found.append((match.start(), f"{local}@{domain}"))
    return list(dict.fromkeys(address for _, address in sorted(found)))


def mask_phone(number: str) -> str:
    """Every digit but the last two hidden: "06 12 34 56 78" → "•• •• •• •• 78"."""
    if number == SPELLED_OUT:
        return number
    total = _digits(number)
    seen = 0
    out = []
    for char in number:
        if char.isdigit():
            seen += 1
            out.append(char if seen > total - 2 else "•")
        else:
            out.append(char)
    return "".join(out)


def mask_email(address: str) -> str:
    """First letters and the top-level domain only: "marie.dupont@gmail.com" → "m•••@g•••.com"."""
    local, _, domain = address.partition("@")
    host, _, tld = domain.rpartition(".")
    return f"{local[:1]}•••@{host[:1]}•••.{tld}"
