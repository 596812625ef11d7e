"""Figures: what a run reports, beside its target and the two baselines measured in the same run.

``bench/results/latest.json`` holds ``meta``, ``figures`` (one entry per figure key: value, unit,
target, meets, floor, peer, and a note or details where they help) and ``samples`` (latency
samples in ms, at most SAMPLE_CAP per series; ``<key>`` for the studio, ``<key>.floor`` and
``<key>.peer`` for the baselines) and ``unfinished`` (per series, the samples that never
completed: timed out, or never shown).
"""

from __future__ import annotations

import operator
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.config import SAMPLE_CAP
from bench.stats import percentile, rounded, subsample

_OPS = {"<=": operator.le, ">=": operator.ge, "=": operator.eq}


@dataclass
class Figure:
    """One measured figure. ``target`` reads like ``"<= 50"``; ``floor_factor`` adds a bound
    relative to the floor (fan-out: within 2x the plain websockets broadcaster)."""

    key: str
    label: str
    unit: str
    value: float | int | None
    target: str | None = None
    floor: float | int | None = None
    peer: float | int | None = None
    floor_factor: float | None = None
    note: str = ""
    peer_note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def target_text(self) -> str | None:
        if self.target is None:
            return None
        if self.floor_factor is not None:
            return f"{self.target} and <= {self.floor_factor:g}x floor"
        return self.target

    @property
    def meets(self) -> bool | None:
        if self.target is None:
            return None
        if self.value is None:
            return False
        op, bound = self.target.split()
        ok = _OPS[op](self.value, float(bound))
        if self.floor_factor is not None and self.floor is not None:
            ok = ok and self.value <= self.floor_factor * self.floor
        return ok

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["key"], data["floor_factor"]
        data["target"] = self.target_text
        data["meets"] = self.meets
        return data


@dataclass
class Series:
    """Latency samples of one measurement for the studio and, where measured, the baselines.

    ``missing`` counts, per design, the samples that never completed (timed out): they rank
    above every measured value, so a percentile among them is None ("did not finish").
    """

    ours: list[float] | None = None
    floor: list[float] | None = None
    peer: list[float] | None = None
    missing: dict[str, int] = field(default_factory=dict)

    def p(self, which: str, q: float) -> float | None:
        values = getattr(self, which) or []
        return rounded(percentile(values, q, self.missing.get(which, 0)))

    def max(self, which: str) -> float | None:
        values = getattr(self, which)
        if self.missing.get(which, 0) or not values:
            return None
        return rounded(max(values))


class Figures:
    """Collects figures and sample series in the order they are reported."""

    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.samples: dict[str, list[float]] = {}
        self.unfinished: dict[str, int] = {}

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def series(self, key: str, series: Series) -> None:
        for which, suffix in (("ours", ""), ("floor", ".floor"), ("peer", ".peer")):
            values = getattr(series, which)
            if values:
                self.samples[key + suffix] = subsample(values, SAMPLE_CAP)
            if series.missing.get(which):
                self.unfinished[key + suffix] = series.missing[which]

    @staticmethod
    def unfinished_note(series: Series, which: str, what: str) -> str:
        missing = series.missing.get(which, 0)
        if not missing:
            return ""
        total = missing + len(getattr(series, which) or [])
        return f"{missing:,} of {total:,} {what}"

    def percentiles(
        self,
        key: str,
        label: str,
        series: Series,
        *,
        p99_target: str | None = None,
        floor_factor: float | None = None,
        unfinished: str = "did not finish",
        details: dict[str, Any] | None = None,
    ) -> None:
        """A p50 and a p99 figure (the target, if any, on the p99) from one series; samples
        that never completed are named in the notes (``unfinished`` says what happened)."""
        self.series(f"{key}_ms", series)
        note = self.unfinished_note(series, "ours", unfinished)
        peer_note = self.unfinished_note(series, "peer", unfinished)
        for q, suffix, target in ((50, "p50", None), (99, "p99", p99_target)):
            self.add(
                Figure(
                    key=f"{key}_{suffix}_ms",
                    label=f"{label}, {suffix}",
                    unit="ms",
                    value=series.p("ours", q),
                    target=target,
                    floor=series.p("floor", q),
                    peer=series.p("peer", q),
                    floor_factor=floor_factor if target else None,
                    note=note,
                    peer_note=peer_note,
                    details=(details or {}) if q == 99 else {},
                )
            )

    def as_json(self) -> dict[str, Any]:
        return {
            "figures": {f.key: f.as_json() for f in self.figures},
            "samples": self.samples,
            "unfinished": self.unfinished,
        }
