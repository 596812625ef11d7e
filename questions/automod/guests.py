"""Which guest a message is for: their full name, a distinctive part of it, or their handle.

"Distinctive" means at least three letters, not shared by two guests and not a grammatical word,
so "Marc" points to Marc Dubois but "de" in "Nadia de Souza" points to no one. Comparison ignores
case and accents ("Helene" is Hélène). A message naming two guests is for neither of them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from questions.automod.duplicates import stopwords
from questions.automod.normalise import fold, words
from questions.automod.results import GuestRef

MIN_NAME_PART = 3
_HANDLE = re.compile(r"(?<![\w@])@([\w.\-]+(?:@[\w\-]+(?:\.[\w\-]+)+)?)")


def _handle_forms(handle: str) -> set[str]:
    """The forms a handle is written in: "@aya@piaille.fr" is also "@aya"."""
    handle = fold(handle).strip().lstrip("@").rstrip(".")
    if not handle:
        return set()
    return {handle, handle.split("@", 1)[0]}


def find_guest(text: str, guests: Sequence[GuestRef]) -> int | None:
    """The id of the one guest ``text`` names, or None if it names none or several."""
    if not guests:
        return None
    tokens = words(text)
    padded = f" {' '.join(tokens)} "
    mentioned = {m.rstrip(".") for m in (fold(h) for h in _HANDLE.findall(text))}
    mentioned |= {m.split("@", 1)[0] for m in mentioned}

    part_owners: dict[str, set[int]] = defaultdict(set)
    for guest in guests:
        for part in set(words(guest.name)):
            part_owners[part].add(guest.id)
    common = stopwords()

    named: set[int] = set()
    for guest in guests:
        full = " ".join(words(guest.name))
        if full and f" {full} " in padded:
            named.add(guest.id)
            continue
        if any(forms & mentioned for forms in map(_handle_forms, guest.handles)):
            named.add(guest.id)
            continue
        for part in set(words(guest.name)):
            distinctive = (
                len(part) >= MIN_NAME_PART
                and part_owners[part] == {guest.id}
                and part not in common
            )
            if distinctive and f" {part} " in padded:
                named.add(guest.id)
                break
    return named.pop() if len(named) == 1 else None
