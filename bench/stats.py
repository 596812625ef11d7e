"""Percentiles and sample handling, with the standard library only."""

from __future__ import annotations

import math
from collections.abc import Sequence

NS_PER_MS = 1_000_000


def percentile(values: Sequence[float], p: float, missing: int = 0) -> float | None:
    """The p-th percentile (0-100) by linear interpolation between closest ranks.

    ``missing`` samples never completed (a timeout): they rank above every value, and a
    percentile that falls among them is None (not measurable: "did not finish").
    """
    if not values and not missing:
        return None
    ordered = [*sorted(values), *([math.inf] * missing)]
    rank = (len(ordered) - 1) * p / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    if math.isinf(ordered[low]) or (math.isinf(ordered[high]) and rank > low):
        return None
    if rank == low:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(ns_values: Sequence[int]) -> list[float]:
    return [v / NS_PER_MS for v in ns_values]


def subsample(values: Sequence[float], cap: int) -> list[float]:
    """At most ``cap`` values spread evenly over the sorted samples (the distribution is kept)."""
    ordered = sorted(values)
    if len(ordered) <= cap:
        return [round(v, 3) for v in ordered]
    step = (len(ordered) - 1) / (cap - 1)
    return [round(ordered[round(i * step)], 3) for i in range(cap)]


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)
