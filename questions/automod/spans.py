"""Spans of text claimed by one finding, so that a later finding may not overlap them."""

from __future__ import annotations

from bisect import bisect_left


class Spans:
    """Non-overlapping ``[start, end)`` spans, claimed in any order.

    A claim costs a binary search, not a scan of every span held: a text with thousands of
    findings (a hostile one) stays linear.
    """

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        # Held spans are disjoint and sorted by start, so their ends are sorted too: the only
        # one that can reach past ``start`` is the last one starting before ``end``.
        index = bisect_left(self._starts, end)
        return index > 0 and self._ends[index - 1] > start

    def add(self, start: int, end: int) -> None:
        """Hold a span known not to overlap the others."""
        index = bisect_left(self._starts, start)
        self._starts.insert(index, start)
        self._ends.insert(index, end)

    def claim(self, start: int, end: int) -> bool:
        """Hold the span unless it overlaps one already held; whether it was free."""
        if self.overlaps(start, end):
            return False
        self.add(start, end)
        return True

    def __iter__(self):
        return iter(zip(self._starts, self._ends, strict=True))
