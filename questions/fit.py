"""Whether a question fits the overlay's lower third without being cut.

The overlay page (live/static/live/overlay.js, overlay.css) shrinks a long question step by step
down to a readable floor and never cuts it. What does not fit at the floor cannot be taken. This
module holds that budget, for the default look of the overlay at 1920x1080:

- lower third 1560px wide, minus the 12px accent bar and the body's padding (0.85em + 1.1em of the
  46px base size, 89.7px): a text box 1458px wide;
- question text in the overlay's font stack at weight 650, line-height 1.2, at most
  ``MAX_LINES`` lines at the floor size ``FLOOR_PX`` (the overlay's ``FIT_FLOOR``);
- the author's name on the meta line at 0.62 x 46px = 28.5px, weight 500, on one line, next to the
  source badge.

Widths are estimated per character class, in em, from measurements in headless Chromium
(Playwright, /usr/bin/chromium, 1920x1080): each character of the class repeated ten times in a
``white-space: pre`` span of the overlay's font stack at 100px, width divided by 1000. On a machine
whose ``system-ui`` resolves to DejaVu Sans (one of the widest common sans-serifs; Segoe UI,
Roboto and Helvetica are narrower), the averages at weight 650 were: lower case a-z 0.635,
upper case 0.754, digits 0.696, space 0.348, punctuation 0.428 (widest "?" 0.58), accented
letters 0.674, and the widest glyphs m, w, M, W, œ about 1.04-1.10; at weight 500 about 11%
narrower. Real sentences measured 0.57-0.59 em per character (English and French), so the class
averages below, rounded up, overestimate a sentence by about 10%. Wrapping is simulated greedily,
word by word, as the browser does (a word longer than a line breaks anywhere, like
``overflow-wrap: anywhere``), with 3% of each line kept spare.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from studio.models import LiveSession

# The overlay's default geometry (overlay.css) and its readable floor (overlay.js FIT_FLOOR).
BASE_SIZE_PX = 46
FLOOR_PX = 30
MAX_LINES = 4
BOX_WIDTH_PX = 1560 - 12 - round((0.85 + 1.1) * BASE_SIZE_PX, 1)  # 1458.3
NAME_SIZE_PX = 0.62 * BASE_SIZE_PX
# Room kept on the name's line for the source badge ("SOCIAL" at 0.62em of the meta font, padded).
BADGE_RESERVE_PX = 150
SPARE = 0.97

# Width estimates in em, per character class (see the measurements above).
_BOLD = {"space": 0.35, "punct": 0.45, "lower": 0.64, "accent": 0.68, "digit": 0.70}
_BOLD_UPPER = 0.76
_BOLD_WIDE = 1.10
_MEDIUM_RATIO = 0.90  # weight 500 against 650
_WIDE = frozenset("mwMWœŒæÆ@%…—")
_PUNCT = frozenset(".,;:!?'\"“”«»()[]-/&*+\u2018\u2019\u2013")
# Spaces a line may break at; no-break spaces (French "heure ?") keep their word together.
_BREAKS = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class LineBudget:
    """The room a question and a name have on air."""

    width_px: float  # the question's text box
    floor_px: int  # the smallest font size the overlay shrinks to
    max_lines: int
    name_width_px: float  # the name's room on its line
    name_size_px: float
    chars_per_line: int  # a cautious count, for hints: sentences usually get more


def line_budget(session: LiveSession | None = None) -> LineBudget:
    """The overlay's budget for ``session``; every session (and None) uses the overlay's default
    look."""
    average = 0.64  # a sentence's em per character, rounded up from the 0.57-0.59 measured
    return LineBudget(
        width_px=BOX_WIDTH_PX,
        floor_px=FLOOR_PX,
        max_lines=MAX_LINES,
        name_width_px=BOX_WIDTH_PX - BADGE_RESERVE_PX,
        name_size_px=NAME_SIZE_PX,
        chars_per_line=int(BOX_WIDTH_PX * SPARE / (FLOOR_PX * average)),
    )


def char_em(char: str) -> float:
    """A cautious width of ``char`` in em of the overlay's bold text."""
    if char in _WIDE:
        return _BOLD_WIDE
    if char.isspace():
        return _BOLD["space"]
    if char in _PUNCT:
        return _BOLD["punct"]
    if char.isdigit():
        return _BOLD["digit"]
    if char.isascii() and char.isalpha():
        return _BOLD_UPPER if char.isupper() else _BOLD["lower"]
    if char.isalpha() and ord(char) < 0x0250:  # Latin letters with accents
        return _BOLD_UPPER if char.isupper() else _BOLD["accent"]
    return _BOLD_WIDE  # anything else (other scripts, symbols, emoji): the widest


def text_width_em(text: str) -> float:
    return sum(char_em(c) for c in text)


def count_lines(text: str, *, width_px: float, size_px: float) -> int:
    """How many lines ``text`` takes, wrapped greedily at ``size_px`` in ``width_px``."""
    room = width_px * SPARE / size_px  # in em
    space = _BOLD["space"]
    lines = 0
    for paragraph in text.splitlines() or [""]:
        lines += 1
        used = 0.0
        for word in _BREAKS.split(paragraph.strip()):
            if not word:
                continue
            width = text_width_em(word)
            if used and used + space + width <= room:
                used += space + width
                continue
            if used:
                lines += 1
                used = 0.0
            # A word wider than a line breaks anywhere.
            for char in word:
                w = char_em(char)
                if used and used + w > room:
                    lines += 1
                    used = 0.0
                used += w
    return lines


def text_fits(text: str, budget: LineBudget) -> bool:
    lines = count_lines(text, width_px=budget.width_px, size_px=budget.floor_px)
    return lines <= budget.max_lines


def name_fits(name: str, budget: LineBudget) -> bool:
    width = text_width_em(name.strip()) * _MEDIUM_RATIO * budget.name_size_px
    return "\n" not in name and width <= budget.name_width_px * SPARE


def fits_on_air(*, text: str, name: str, session: LiveSession | None) -> bool:
    """True when ``text`` fits the lower third at its floor size and ``name`` fits its line."""
    budget = line_budget(session)
    return text_fits(text, budget) and name_fits(name, budget)
