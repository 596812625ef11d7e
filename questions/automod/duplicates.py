"""Near-duplicate questions: the same question asked again, in other words or other spelling.

Questions are compared on their content words: folded (case, accents), punctuation and grammatical
words left out, each word matched to the other question's words exactly or, from five letters
on, fuzzily (rapidfuzz), so "conseil" meets "conseils" and "electricite" meets "électricité".
A text is a duplicate of an earlier one when one's content words all appear in the other and
they share most of them. A content word on each side that the other lacks ("film" / "book",
"Lyon" / "Lille") means two different questions, however alike the rest. Short texts ("Merci !")
only repeat each other when written the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

from rapidfuzz import fuzz

from questions.automod.budget import Budget
from questions.automod.normalise import fold, words

WORDLISTS = Path(__file__).with_name("wordlists")
DEFAULT_THRESHOLD = 0.75
MIN_CONTENT_WORDS = 2
FUZZY_MIN_LENGTH = 5
FUZZY_MIN_RATIO = 85.0
# Acronyms written with dots ("U.K.", "S.N.C.F.") are one word.
_DOTTED_ACRONYM = re.compile(r"\b(?:[^\W\d_]\.){2,}")


@cache
def stopwords() -> frozenset[str]:
    found: set[str] = set()
    for name in ("stopwords_en.txt", "stopwords_fr.txt"):
        for line in (WORDLISTS / name).read_text(encoding="utf-8").splitlines():
            found.update(fold(line.split("#", 1)[0]).split())
    return frozenset(found)


@lru_cache(maxsize=4096)
def content_words(text: str) -> tuple[str, ...]:
    """The words that carry the meaning of ``text``, folded, in order, each once."""
    text = _DOTTED_ACRONYM.sub(lambda m: m.group().replace(".", "") + " ", text)
    common = stopwords()
    return tuple(dict.fromkeys(w for w in words(text) if w not in common))


def _short_form(text: str) -> str:
    return "".join(fold(text).split())


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < FUZZY_MIN_LENGTH:
        return False
    return fuzz.ratio(a, b) >= FUZZY_MIN_RATIO


def similarity(a: str, b: str) -> float:
    """How much ``a`` and ``b`` are one question, from 0 to 1 (see the module docstring)."""
    words_a, words_b = content_words(a), content_words(b)
    if len(words_a) < MIN_CONTENT_WORDS or len(words_b) < MIN_CONTENT_WORDS:
        short_a = _short_form(a)
        return 1.0 if short_a and short_a == _short_form(b) else 0.0
    unmatched_b = list(words_b)
    matched = 0
    missed = 0
    for word in words_a:
        for index, other in enumerate(unmatched_b):
            if _same_word(word, other):
                del unmatched_b[index]
                matched += 1
                break
        else:
            missed += 1
            # A word of ``a`` that ``b`` lacks, and too few words of ``a`` left to cover ``b``:
            # each has a word the other lacks, so the answer is 0 whatever the rest says.
            if len(words_a) - missed < len(words_b):
                return 0.0
    only_a = len(words_a) - matched
    only_b = len(unmatched_b)
    if only_a and only_b:
        return 0.0
    if matched < MIN_CONTENT_WORDS:
        return 0.0
    return matched / (matched + only_a + only_b)


def _may_reach(a: str, b: str, threshold: float) -> bool:
    """Whether ``similarity(a, b)`` can reach ``threshold``: two texts of many content words
    share at most as many as the shorter has, so their counts must be close."""
    count_a, count_b = len(content_words(a)), len(content_words(b))
    if min(count_a, count_b) < MIN_CONTENT_WORDS:
        return True
    return min(count_a, count_b) / max(count_a, count_b) >= threshold


def find_duplicate(
    text: str,
    candidates: Iterable[tuple[int, str]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    budget: Budget | None = None,
) -> int | None:
    """The id of the earlier question ``text`` nearly repeats, or None.

    ``candidates`` are ``(id, text)`` of earlier questions of the session. Comparison ignores
    case, accents, punctuation and grammatical words (see :func:`similarity`); a text with fewer
    than two content words ("Hi!", "Merci !") only repeats one written the same ("Hi!" and
    "Hi?" are not merged). ``threshold`` is the least share of content words the two must have in
    common, from 0 to 1. The closest candidate wins; among equally close ones, the smallest id
    (the original rather than an earlier repeat).

    With a ``budget``, the candidates left when it runs out are not compared (``budget.exhausted``
    then tells the caller the answer may be incomplete).
    """
    best: tuple[float, int] | None = None
    for candidate_id, candidate_text in candidates:
        if budget is not None and not budget.left():
            break
        if not _may_reach(text, candidate_text, threshold):
            continue
        score = similarity(text, candidate_text)
        if score < threshold:
            continue
        if best is None or score > best[0] or (score == best[0] and candidate_id < best[1]):
            best = (score, candidate_id)
    return best[1] if best else None
