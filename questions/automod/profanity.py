"""Profanity in French and English, seen through leetspeak, masks, spacing and repeated letters.

Entries come from the word lists (``wordlists/profanity_*.txt``, syntax in ``wordlists/README.md``)
and from the station's ``blocked_words``; the station's ``allowed_words`` are never flagged.
Matching works on whole words of the folded text, which is what keeps "Scunthorpe", "concert" or
"cocktail" clean: an entry only reaches inside a word when it says so (``*fuck*``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from questions.automod.normalise import fold
from questions.automod.spans import Spans

WORDLISTS = Path(__file__).with_name("wordlists")

# What each letter may be written as. "i" and "l" share "1", "!" and "|", so "sh1t", "sh!t" and
# "b!tch" all read as the word.
_LOOKALIKES = {
    "a": "a4@",
    "b": "b8",
    "e": "e3€",
    "g": "g9",
    "i": "i1!|l",
    "l": "l1|i",
    "o": "o0",
    "s": "s5$",
    "t": "t7+",
    "u": "uv",
}
_MASKS = "*#"
_TOKEN = re.compile(r"(?:[^\W_]|[@$!|*+€#])+")
# Letters typed one by one: "c o n n a r d", "p.u.t.a.i.n", "f-u-c-k". One separator between the
# letters; a wider gap ("f u c k   t h i s") ends the word.
_SPELLED = re.compile(r"(?<![^\W_])[^\W_](?:[ .\-_][^\W_]){2,}(?![^\W_])")
_SPELLED_SEPARATORS = re.compile(r"[ .\-_]")
_EDGE_PUNCTUATION = "!|+#."
# A letter may be repeated ("fuuuuck"), but not without end: an unbounded repeat, tried from every
# character of a long word, takes quadratic time (or worse where two letters share look-alikes,
# as "i" and "l" do). Runs of one character are first cut to three (masks excepted, since their
# number counts), which leaves a repeat of look-alikes ("fuvuvck") this many characters more.
_MORE = 8
_RUN = re.compile(r"([^\s*#])\1{3,}")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Entry:
    """One word-list entry, compiled. ``word`` is what a moderator is shown (masked)."""

    word: str
    pattern: re.Pattern[str]
    # A stem ("connard*") shows the word as written ("connards"), not the stem.
    shows_match: bool = False
    # "fr" or "en" for an entry that is an ordinary word in the other language ("bite", "retard"):
    # it only counts when the text is not detected as that other language.
    unless_language: str = ""

    def applies(self, language: str) -> bool:
        return not self.unless_language or language != self.unless_language


def _letter_runs(word: str) -> list[tuple[str, int]]:
    runs: list[tuple[str, int]] = []
    for char in word:
        if runs and runs[-1][0] == char:
            runs[-1] = (char, runs[-1][1] + 1)
        else:
            runs.append((char, 1))
    return runs


def _word_pattern(word: str, *, first: bool) -> str:
    """A regex for one word: look-alikes, a repeated letter, masks from the second letter on."""
    parts = []
    for index, (char, count) in enumerate(_letter_runs(word)):
        options = re.escape(_LOOKALIKES.get(char, char)) if char.isalnum() else re.escape(char)
        cls = f"[{options}]"
        if index == 0 and first:
            parts.append(f"{cls}{{{count}}}{cls}{{0,{_MORE}}}")
        else:
            parts.append(f"(?:{cls}|[{re.escape(_MASKS)}]){{{count}}}{cls}{{0,{_MORE}}}")
    return "".join(parts)


_ENDINGS = re.compile(r"^(?P<base>[^()]+)\((?P<endings>[^()]+)\)$")


def _entry_word(text: str, *, first: bool) -> tuple[str, str]:
    """(regex, display form) for one word of an entry, with its ``*`` and ``(a|b)`` parts."""
    head = tail = ""
    if text.startswith("*"):
        head, text = r"\S*", text[1:]
    if text.endswith("*"):
        tail, text = r"\S*", text[:-1]
    match = _ENDINGS.match(text)
    if match:
        base = match["base"]
        endings = "|".join(
            _word_pattern(ending, first=False) for ending in match["endings"].split("|") if ending
        )
        body = f"{_word_pattern(base, first=first and not head)}(?:{endings})?"
    else:
        base = text
        body = _word_pattern(base, first=first and not head)
    return head + body + tail, base


def compile_entry(line: str, *, language: str = "") -> Entry | None:
    """Compile one word-list line (see ``wordlists/README.md``), or None for a blank one."""
    line = fold(line.split("#", 1)[0]).strip()
    unless = ""
    if line.startswith("~"):
        line = line[1:].strip()
        unless = {"fr": "en", "en": "fr"}.get(language, "")
    words = line.split()
    if not words:
        return None
    compiled = [_entry_word(word, first=True) for word in words]
    if any(sum(c.isalnum() for c in display) < 2 for _, display in compiled):
        return None  # "*" or "a*" would flag nearly everything
    regex = r"(?<!\S)" + " ".join(part for part, _ in compiled) + r"(?!\S)"
    return Entry(
        word=" ".join(display for _, display in compiled),
        pattern=re.compile(regex),
        shows_match=len(words) == 1 and words[0].endswith("*") and not words[0].startswith("*"),
        unless_language=unless,
    )


def compile_entries(lines: Iterable[str], *, language: str = "") -> tuple[Entry, ...]:
    entries = (compile_entry(line, language=language) for line in lines)
    return tuple(entry for entry in entries if entry is not None)


@cache
def builtin_entries() -> tuple[Entry, ...]:
    entries: list[Entry] = []
    for language in ("en", "fr"):
        path = WORDLISTS / f"profanity_{language}.txt"
        entries.extend(
            compile_entries(path.read_text(encoding="utf-8").splitlines(), language=language)
        )
    return tuple(entries)


@cache
def builtin_allowed() -> tuple[str, ...]:
    lines = (WORDLISTS / "allowed.txt").read_text(encoding="utf-8").splitlines()
    return tuple(line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip())


@lru_cache(maxsize=64)
def _station_entries(blocked: tuple[str, ...]) -> tuple[Entry, ...]:
    return compile_entries(blocked)


@lru_cache(maxsize=64)
def _allowed_patterns(allowed: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    patterns = []
    for phrase in allowed:
        words = skeleton(phrase).split()
        if words:
            patterns.append(re.compile(r"(?<!\S)" + " ".join(map(re.escape, words)) + r"(?!\S)"))
    return tuple(patterns)


def _clean_token(token: str) -> str:
    token = token.strip(_EDGE_PUNCTUATION)
    if token.startswith("*"):
        # A mask can stand for inner letters only; "*fuck*" is emphasis around the word.
        token = token.strip("*")
    return token


def skeleton(text: str) -> str:
    """The folded words of ``text`` joined by single spaces, look-alike characters kept,
    spelled-out words ("c o n n a r d") joined back, runs of one character cut to three."""
    folded = _SPELLED.sub(lambda m: _SPELLED_SEPARATORS.sub("", m.group()), fold(text))
    tokens = (_clean_token(token) for token in _TOKEN.findall(folded))
    return _RUN.sub(r"\1\1\1", " ".join(token for token in tokens if token))


def _plausible(matched: str, entry: Entry) -> bool:
    """A masked match needs enough real letters: "f***" is a swear word, "c**" could be anything."""
    if not any(mask in matched for mask in _MASKS):
        return True
    letters = len(_LETTER.findall(matched))
    return letters >= 2 or (letters >= 1 and len(entry.word.replace(" ", "")) >= 4)


def mask(word: str) -> str:
    """The word with its inner letters hidden: "fuck" → "f**k", "ta gueule" → "ta g****e"."""

    def one(part: str) -> str:
        if len(part) <= 2:
            return part
        return part[0] + "*" * (len(part) - 2) + part[-1]

    return " ".join(one(part) for part in word.split())


def find_profanity(
    text: str,
    *,
    language: str = "",
    blocked: Sequence[str] = (),
    allowed: Sequence[str] = (),
) -> list[str]:
    """The listed words found in ``text``, unmasked, each once, in the order of the text.

    A word is given in its list form ("fuck" for "f*ck"), or as written for a stem ("connards").
    Overlapping matches count once ("trou du cul" is not also "cul"). ``language`` is the
    detected language ("fr", "en" or ""), used for the ambiguous entries.
    """
    allowed = tuple(w for w in allowed if isinstance(w, str) and w.strip())
    blocked = tuple(w for w in blocked if isinstance(w, str) and w.strip())
    allowed_words = {fold(word).strip() for word in allowed}
    entries = builtin_entries() + _station_entries(blocked)
    entries = tuple(e for e in entries if e.word not in allowed_words and e.applies(language))
    if not entries:
        return []
    words = skeleton(text)
    for pattern in _allowed_patterns(builtin_allowed() + tuple(allowed)):
        words = pattern.sub(lambda m: "_" * len(m.group()), words)
    found: list[tuple[int, str]] = []
    taken = Spans()
    for entry in entries:
        for match in entry.pattern.finditer(words):
            start, end = match.span()
            if taken.overlaps(start, end) or not _plausible(match.group(), entry):
                continue
            taken.add(start, end)
            found.append((start, match.group() if entry.shows_match else entry.word))
    return list(dict.fromkeys(word for _, word in sorted(found)))
