"""Shouting: a message of some length written mostly in capitals.

Acronyms in an ordinary sentence ("la SNCF et la RATP") stay far below the share; links,
mentions and hashtags are not counted, since they are often in capitals for other reasons.
"""

from __future__ import annotations

import re

MIN_LETTERS = 12
MIN_UPPER_SHARE = 0.7

# A link is a whole word: looked for where a word starts only, which keeps a long word linear.
_NOT_PROSE = re.compile(r"(?<!\S)\S+://\S+|www\.\S+|[@#][\w.\-]+", re.IGNORECASE)


def upper_share(text: str) -> tuple[float, int]:
    """(share of capitals among the cased letters, number of cased letters)."""
    cased = [c for c in _NOT_PROSE.sub(" ", text) if c.isupper() or c.islower()]
    if not cased:
        return 0.0, 0
    return sum(c.isupper() for c in cased) / len(cased), len(cased)


def is_shouting(text: str) -> bool:
    share, letters = upper_share(text)
    return letters >= MIN_LETTERS and share >= MIN_UPPER_SHARE
