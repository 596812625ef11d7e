"""The host's ranked queue: votes with time decay, starred first, held places kept.

    score = (votes + prior) * 0.5 ^ (minutes since approval / half_life)

``prior`` and ``half_life`` are per-session settings (``rank_prior``, ``rank_half_life_minutes``;
a half-life of 0 turns decay off). Order: starred before the rest, then score (highest first),
then the earlier approval, then the smaller id, so ties always break the same way. A question with
a held place (``hold_position`` = n) is then put at place n, whatever its score.

``static/studio/ranking.js`` implements the same rules for the console; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Weights:
    prior: float = 1.0
    half_life_minutes: float = 10.0


def score(votes: int, approved_at: datetime | None, now: datetime, weights: Weights) -> float:
    base = votes + weights.prior
    if not weights.half_life_minutes or approved_at is None:
        return float(base)
    minutes = max(0.0, (now - approved_at).total_seconds() / 60.0)
    return base * 0.5 ** (minutes / weights.half_life_minutes)


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
        s = score(item.votes, item.approved_at, now, weights)
        approved = item.approved_at.timestamp() if item.approved_at else float("inf")
        return (0 if item.starred else 1, -round(s, 9), approved, item.id)

    free = sorted((i for i in items if not i.hold_position), key=key)
    order = [i.id for i in free]
    held = sorted((i for i in items if i.hold_position), key=lambda i: (i.hold_position, key(i)))
    for item in held:
        order.insert(min(item.hold_position - 1, len(order)), item.id)
    return order
