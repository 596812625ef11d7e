"""Text normalisation: markup stripped, Unicode NFC, control characters out, whitespace collapsed.

Also the folded form that every check compares on (case and accents removed), so that "Enculé",
"ENCULE" and "encule" are one word to them.
"""

from __future__ import annotations

import html
import re
import unicodedata

import nh3

# Tags whose boundary separates words on screen: they become a space, not nothing. A tag ends
# at the next "<" too: "<br <br <br ..." with no ">" must not be read to the end once per "<br".
_BREAKING_TAG = re.compile(
    r"<\s*/?\s*(?:br|p|div|li|ul|ol|blockquote|h[1-6]|tr|td|th|hr)\b[^<>]*>", re.IGNORECASE
)
# Something that looks like markup; plain text (an SMS) is left alone, so "I <3 you" survives.
_MARKUP = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>|<!--")
# Only complete entities are decoded: "R&D" or "this&not that" in plain text stay as typed.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
# Control and invisible formatting characters; ordinary whitespace is collapsed separately.
# The zero-width joiner (U+200D) is not among them: it is handled by :func:`_joiners`.
_CONTROL = re.compile(
    r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u200b\u200c\u200e\u200f"
    r"\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
_JOINER = re.compile("\u200d+")
# Emoji presentation selector and skin tones: what may end an emoji before a joiner.
_EMOJI_SUFFIX = {"\ufe0f"} | {chr(c) for c in range(0x1F3FB, 0x1F400)}
# Markup is stripped and entities decoded again until nothing changes, at most this many times
# ("&amp;lt;b&amp;gt;" is "<b>" encoded twice); what may still look like a tag after that goes.
STRIP_ROUNDS = 6
_SPACE = re.compile(r"\s+")
ELLIPSIS = "…"

# How much raw text a message may bring, whatever its session's length limit: markup around a
# status (a Mastodon post of 500 characters is often 2,000 of HTML) and spaces are allowed for,
# generously, but nothing is read past this. See docs/moderation.md, "Size limits".
RAW_LENGTH_FACTOR = 20
RAW_LENGTH_FLOOR = 10_000
RAW_LENGTH_CEILING = 50_000


def raw_length_cap(max_length: int) -> int:
    """The most raw characters (markup included) read from a message whose normalised text may
    have ``max_length``: 20 times that, at least 10,000 and at most 50,000."""
    return min(RAW_LENGTH_CEILING, max(RAW_LENGTH_FLOOR, RAW_LENGTH_FACTOR * max_length))


def strip_markup(raw: str) -> str:
    """Plain text from HTML (a Mastodon status) or from plain text with stray entities.

    Mastodon shortens long links on screen with ``<span class="invisible">`` and
    ``<span class="ellipsis">``; their texts are joined back, so the full address is kept (and
    seen by the link check) rather than a shortened one.
    """
    if _MARKUP.search(raw):
        raw = _BREAKING_TAG.sub(" ", raw)
        raw = nh3.clean(raw, tags=set(), attributes={}, clean_content_tags={"script", "style"})
        return html.unescape(raw)
    return _ENTITY.sub(lambda m: html.unescape(m.group()), raw)


def plain_text(raw: str) -> str:
    """Plain text with no markup left in it: :func:`strip_markup` applied until nothing changes,
    so that an entity-encoded tag (``&lt;img onerror=…&gt;``, once or twice encoded) is never
    decoded into live markup."""
    text = raw
    for _ in range(STRIP_ROUNDS):
        stripped = strip_markup(text)
        if stripped == text:
            return text
        text = stripped
    text = _MARKUP.sub("", text)
    # Tags nested in tags ("<<b>b>"): rather than strip them round after round, no "<" is kept.
    return text.replace("<", "") if _MARKUP.search(text) else text


def has_markup(raw: str) -> bool:
    """Whether ``raw`` holds markup, plainly or entity-encoded (``<b>``, ``&lt;b&gt;``)."""
    text = raw
    for _ in range(STRIP_ROUNDS):
        if _MARKUP.search(text):
            return True
        decoded = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
        if decoded == text:
            return False
        text = decoded
    return bool(_MARKUP.search(text))


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So" or char in _EMOJI_SUFFIX


def _joiners(text: str) -> str:
    """Zero-width joiners kept only between two emoji (👩‍👩‍👧, 🏳️‍🌈), where they make one
    picture of several; anywhere else they are invisible and removed."""

    def keep(match: re.Match[str]) -> str:
        start, end = match.span()
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if before and after and _is_emoji(before) and unicodedata.category(after) == "So":
            return "\u200d"
        return ""

    return _JOINER.sub(keep, text)


def truncate_text(text: str, max_length: int) -> str:
    """Cut to at most ``max_length`` characters, ending with "…", at a word boundary if one is
    close to the cut."""
    if len(text) <= max_length:
        return text
    cut = text[: max_length - 1]
    if text[max_length - 1] != " ":
        space = cut.rfind(" ")
        if space >= max(1, len(cut) - 15):
            cut = cut[:space]
    return cut.rstrip(" ,;:-\u2013\u2014") + ELLIPSIS


def normalise(raw: str, *, max_length: int | None = None, truncate: bool = False) -> str:
    """Markup stripped (HTML tags removed, entities decoded, <br>/<p> become spaces, Mastodon's
    invisible/ellipsis spans handled), again until nothing changes, so the result holds no
    markup even when it arrived entity-encoded; Unicode NFC, control characters removed
    (zero-width joiners are kept between emoji only), whitespace collapsed, trimmed. With
    max_length and truncate=True, cut to max_length ending with "…"."""
    text = plain_text(raw or "")
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    text = _joiners(text)
    text = _SPACE.sub(" ", text).strip()
    if max_length is not None and truncate:
        text = truncate_text(text, max_length)
    return text


def fold(text: str) -> str:
    """Case and accents removed (``"Enculé"`` → ``"encule"``, ``"Œuvre"`` → ``"oeuvre"``)."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss").replace("ø", "o")


_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The folded words of ``text``; apostrophes and hyphens split them ("l'album")."""
    return _WORD.findall(fold(text))
