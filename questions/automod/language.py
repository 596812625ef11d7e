"""Which language a message is in: French, English, or unsure.

Two opinions are combined: the grammatical words each language alone uses ("vous", "est",
"the", "you"; ``wordlists/language_*.txt``), which settle short messages, and py3langid's
character n-gram model (bundled with the package, nothing downloaded), which settles longer
ones. Unsure is an answer: a two-word message or one in a third language gets "".
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path

from questions.automod.normalise import fold, words

LANGUAGES = ("fr", "en")
WORDLISTS = Path(__file__).with_name("wordlists")


@cache
def _markers() -> dict[str, frozenset[str]]:
    found = {}
    for lang in LANGUAGES:
        path = WORDLISTS / f"language_{lang}.txt"
        lines = path.read_text(encoding="utf-8").splitlines()
        found[lang] = frozenset(w for line in lines for w in fold(line.split("#", 1)[0]).split())
    return found


# "(?<!\S)": an address is a whole word, so it is only looked for where a word starts; from every
# character of a long word, "\S+" would read the rest of it again (quadratic time).
_NOT_PROSE = re.compile(r"(?<!\S)\S+://\S+|www\.\S+|(?<!\S)\S+@\S+|[@#][\w.\-]+", re.IGNORECASE)
# Fewer letters than this and no grammatical word: too little to tell.
_MIN_LETTERS = 12


@cache
def _identifier():
    # Loaded on first use (under a second, about 120 MB), then kept for the life of the process.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def warm_up_language() -> None:
    """Load the model and the word lists now rather than inside a message's time budget."""
    _identifier()
    _markers()


def model_opinion(text: str) -> tuple[float, float]:
    """(probability that the text is French rather than English, probability of the likeliest
    third language)."""
    ranked = dict(_identifier().rank(text))
    fr, en = ranked.get("fr", 0.0), ranked.get("en", 0.0)
    other = max((p for lang, p in ranked.items() if lang not in LANGUAGES), default=0.0)
    if fr + en <= 0:
        return 0.5, other
    return fr / (fr + en), other if other > fr + en else 0.0


def marker_counts(text: str) -> dict[str, int]:
    tokens = words(text)
    return {lang: sum(token in markers for token in tokens) for lang, markers in _markers().items()}


def detect_language(text: str) -> str:
    """The language of ``text``: "fr", "en", or "" when unsure."""
    # Links, addresses, mentions and hashtags are in no language.
    text = _NOT_PROSE.sub(" ", text)
    letters = sum(c.isalpha() for c in fold(text))
    if letters < 3:
        return ""
    counts = marker_counts(text)
    lead = counts["fr"] - counts["en"]
    p_fr, other = model_opinion(text)
    if lead == 0 and letters < _MIN_LETTERS:
        return ""
    # The grammatical words give a vote each; the model gives its log-odds, damped for short texts
    # where n-grams say little.
    p_fr = min(max(p_fr, 1e-6), 1 - 1e-6)
    model_vote = math.log(p_fr / (1 - p_fr)) * min(1.0, letters / 40)
    score = 1.5 * lead + model_vote
    if other > 0.5 and abs(lead) < 2:
        return ""  # a third language, with at most a stray French or English word
    if abs(score) < 1.0:
        return ""
    return "fr" if score > 0 else "en"
