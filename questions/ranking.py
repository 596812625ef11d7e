"""The host's ranked queue: votes with time decay, starred first, held places kept.

    score = (votes + prior) * 0.5 ^ (minutes since approval / half_life)

``prior`` and ``half_life`` are per-session settings (``rank_prior``, ``rank_half_life_minutes``;
a half-life of 0 turns decay off). Order: starred before the rest, then score (highest first),
then the earlier approval, then the smaller id, so ties always break the same way. A question with
a held place (``hold_position`` = n) is then put at place n, whatever its score.

Every score decays by the same factor as time passes, so the order never changes by itself: it
changes only when a vote, a star, a hold or an approval does. Questions are therefore compared by
a key that does not depend on the time,

    key = log2(votes + prior) + minutes from a fixed epoch to the approval / half_life

(the logarithm of the score, shifted by the same amount for every question). That is what lets
the console keep its queue in order incrementally: a vote moves one card to its new place by
binary search, instead of re-sorting the whole queue (``static/live/ranking.js``, which
implements the same rules; keep the two in step).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Keys are rounded to this many decimals, so the browser and the server see the same ties.
KEY_DECIMALS = 6
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Weights:
    prior: float = 1.0
    half_life_minutes: float = 10.0


def score(votes: int, approved_at: datetime | None, now: datetime, weights: Weights) -> float:
    """The score at ``now`` (what the key orders by; shown nowhere, kept for reference)."""
    base = votes + weights.prior
    if not weights.half_life_minutes or approved_at is None:
        return float(base)
    minutes = max(0.0, (now - approved_at).total_seconds() / 60.0)
    return base * 0.5 ** (minutes / weights.half_life_minutes)


def _ms(moment: datetime) -> int:
    # Whole milliseconds, as the browser reads the ISO time: both sides see the same number.
    return (moment - EPOCH) // _MS


def rank_key(votes: int, approved_at: datetime | None, now: datetime, weights: Weights) -> float:
    """The time-independent form of ``score``: higher ranks first, for one set of weights."""
    base = votes + weights.prior
    if not weights.half_life_minutes:
        return float(base)
    if base <= 0:
        return -math.inf
    # A question with no approval time (never in the queue in practice) counts as approved now.
    minutes = _ms(approved_at or now) / 60000.0
    return round(math.log2(base) + minutes / weights.half_life_minutes, KEY_DECIMALS)


@dataclass(frozen=True)
class Rankable:
    id: int
    votes: int
    approved_at: datetime | None
    starred: bool
    hold_position: int | None


def rank(items: Sequence[Rankable], now: datetime, weights: Weights) -> list[int]:
    """The ids of ``items`` in queue order."""

    def key(item: Rankable) -> tuple:
        approved = _ms(item.approved_at) if item.approved_at else math.inf
        return (
            0 if item.starred else 1,
            -rank_key(item.votes, item.approved_at, now, weights),
            approved,
            item.id,
        )

    free = sorted((i for i in items if not i.hold_position), key=key)
    order = [i.id for i in free]
    held = sorted((i for i in items if i.hold_position), key=lambda i: (i.hold_position, key(i)))
    for item in held:
        # Held items (filtered above) have a hold_position.
        order.insert(min(item.hold_position - 1, len(order)), item.id)  # type: ignore[operator]
    return order
