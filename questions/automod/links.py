"""Links in a question: web addresses, bare domains ("example.com/promo"), markdown links.

A link is a flag, not a verdict: listeners do cite articles. It is most often spam, and a
moderator should see it before it is read on air or shown on screen.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from questions.automod.spans import Spans

WORDLISTS = Path(__file__).with_name("wordlists")

_SCHEME_OR_WWW = re.compile(r"(?<![\w@/.])(?:https?://|www\d?\.)[^\s<>\"'«»]+", re.IGNORECASE)
# The address stops at "(" as well as ")": in "[a]([a]([a](..." it cannot run on to the end of
# the text from every "[", which would take quadratic time.
_MARKDOWN = re.compile(r"\[[^\]\n]{1,200}\]\(\s*([^()\s]+)\s*\)")
_BARE_DOMAIN = re.compile(
    r"(?<![\w@.\-/])"
    r"(?P<host>(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+(?P<tld>[a-z]{2,24}))"
    r"(?![\w\-]|\.[a-z0-9])"
    r"(?P<path>[/?#][^\s<>\"'«»]*)?",
    re.IGNORECASE,
)
# "youtube dot com slash ayalune", "monsite point fr": an address spelled out to dodge filters.
_SPELLED_DOMAIN = re.compile(
    r"(?<![\w@.\-])(?P<name>[a-z0-9][a-z0-9\-]{2,62})\s+(?:dot|point)\s+(?P<tld>[a-z]{2,24})\b",
    re.IGNORECASE,
)
# Looked for where a run of address characters starts only: from inside a long run, the same
# characters would be read again from every position.
_EMAIL_LIKE = re.compile(r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# Words before "point" that make it a French "point", not a dot ("un point net").
_NOT_A_NAME = frozenset(
    {"un", "une", "le", "la", "ce", "cet", "cette", "du", "au", "mon", "ton", "son", "bon", "gros"}
)
_TRAILING = ".,;:!?)]}>»\"'…"


@cache
def tlds() -> tuple[frozenset[str], frozenset[str]]:
    """(plain, ambiguous) top-level domains from ``wordlists/tlds.txt``."""
    plain: set[str] = set()
    ambiguous: set[str] = set()
    for line in (WORDLISTS / "tlds.txt").read_text(encoding="utf-8").splitlines():
        for item in line.split("#", 1)[0].split():
            if item.startswith("~"):
                ambiguous.add(item[1:].lower())
            else:
                plain.add(item.lower())
    return frozenset(plain), frozenset(ambiguous)


def is_domain_ending(tld: str, *, with_path: bool) -> bool:
    plain, ambiguous = tlds()
    tld = tld.lower()
    return tld in plain or (with_path and tld in ambiguous)


def _host(url: str) -> str:
    url = re.sub(r"^(?:https?://)?(?:www\d?\.)?", "", url, flags=re.IGNORECASE)
    return re.split(r"[/?#]", url, maxsplit=1)[0].lower().rstrip(".")


def find_links(text: str) -> list[str]:
    """The hosts (or the link text, for a markdown link without one) linked in ``text``."""
    found: list[tuple[int, str]] = []
    taken = Spans()

    def claim(start: int, end: int, shown: str) -> None:
        if taken.claim(start, end):
            found.append((start, shown))

    # E-mail addresses are the personal-data check's business; their domains are no links.
    for match in _EMAIL_LIKE.finditer(text):
        taken.add(*match.span())
    for match in _MARKDOWN.finditer(text):
        claim(*match.span(), _host(match.group(1)) or match.group(1))
    for match in _SCHEME_OR_WWW.finditer(text):
        url = match.group().rstrip(_TRAILING)
        if _host(url):
            claim(match.start(), match.start() + len(url), _host(url))
    for match in _BARE_DOMAIN.finditer(text):
        host, path = match["host"], (match["path"] or "").rstrip(_TRAILING)
        labels = host.split(".")
        if any(label.isdigit() for label in labels[-2:]):
            continue
        if len(labels[-2]) < 2 and not path:
            continue
        if is_domain_ending(match["tld"], with_path=bool(path.strip("/?#"))):
            claim(match.start(), match.end("host") + len(path), _host(host))
    for match in _SPELLED_DOMAIN.finditer(text):
        if match["tld"].lower() in tlds()[0] and match["name"].lower() not in _NOT_A_NAME:
            claim(*match.span(), f"{match['name']}.{match['tld']}".lower())
    return list(dict.fromkeys(shown for _, shown in sorted(found)))
