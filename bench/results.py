"""Figures: what a run reports, beside its target and the two baselines measured in the same run.

``bench/results/latest.json`` holds ``meta``, ``figures`` (one entry per figure key: value, unit,
target, meets, floor, peer, and a note or details where they help) and ``samples`` (latency
samples in ms, at most SAMPLE_CAP per series; ``<key>`` for the studio, ``<key>.floor`` and
``<key>.peer`` for the baselines) and ``unfinished`` (per series, the samples that never
completed: timed out, or never shown).

Every percentile figure records its sample count (``samples``: per design). A p99 resting on
fewer than MIN_P99_SAMPLES samples is never reported as a p99: its value is the maximum, its
``statistic`` says "max", its label says how many samples, and ``flagged`` is true. A full run
repeats each measurement three times: a figure's value is the median of the repetitions, all of
which are kept in ``repetitions``.
"""

from __future__ import annotations

import operator
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.config import MIN_P99_SAMPLES, SAMPLE_CAP
from bench.stats import percentile, rounded, subsample

_OPS = {"<=": operator.le, ">=": operator.ge, "=": operator.eq}


@dataclass
class Figure:
    """One measured figure. ``target`` reads like ``"<= 50"``; ``floor_factor`` adds a bound
    relative to the floor (fan-out: within 1.5x the plain websockets broadcaster), alone when
    ``target`` is None."""

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
    samples: dict[str, int] = field(default_factory=dict)  # per design, for percentiles
    statistic: dict[str, str] = field(default_factory=dict)  # per design: "p99" or "max"
    flagged: bool = False  # a p99 reported as a max: too few samples
    failed: str = ""  # the phase failed (e.g. sockets missing): why
    repetitions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def target_text(self) -> str | None:
        if self.floor_factor is not None:
            factor = f"<= {self.floor_factor:g}x floor"
            return factor if self.target is None else f"{self.target} and {factor}"
        return self.target

    @property
    def meets(self) -> bool | None:
        if self.target is None and self.floor_factor is None:
            return None
        if self.value is None or self.failed:
            return False
        ok = True
        if self.target is not None:
            op, bound = self.target.split()
            ok = _OPS[op](self.value, float(bound))
        if self.floor_factor is not None:
            ok = ok and self.floor is not None and self.value <= self.floor_factor * self.floor
        return ok

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["key"], data["floor_factor"]
        data["target"] = self.target_text
        data["meets"] = self.meets
        return data


def _median(values: list[Any]) -> Any:
    known = sorted(v for v in values if v is not None)
    if not known:
        return None
    middle = len(known) // 2
    if len(known) % 2:
        return known[middle]
    return rounded((known[middle - 1] + known[middle]) / 2)


# Memory per socket is read from the processes' resident memory, which only a fresh process
# reports truthfully: in a later repetition the sockets reuse memory the previous repetition's
# sockets freed (resident memory is not given back), and the difference reads 0 or below. These
# figures are the first repetition's, measured on fresh processes; the others are kept, shown.
FIRST_REPETITION_ONLY = frozenset(
    {
        "memory_per_idle_socket_kib",
        "alt_memory_per_idle_socket_kib",
        "cost_memory_per_socket_kib",
        "cost_memory_per_socket_kib_alt",
    }
)
FIRST_REPETITION_NOTE = "first repetition (fresh processes)"


def first_repetition_only(figures: dict[str, dict[str, Any]]) -> None:
    """Apply the FIRST_REPETITION_ONLY rule to a results file's figures (runs saved before the
    rule took the median of all repetitions)."""
    for key in FIRST_REPETITION_ONLY:
        figure = figures.get(key)
        if figure and len(figure.get("repetitions") or []) > 1:
            first = figure["repetitions"][0]
            for name in ("value", "floor", "peer"):
                figure[name] = first.get(name)
            figure["note"] = FIRST_REPETITION_NOTE
            factor = re.fullmatch(r"<= ([\d.]+)x floor", figure.get("target") or "")
            if factor and figure["meets"] is not None and not figure.get("failed"):
                value, floor = figure["value"], figure["floor"]
                figure["meets"] = (
                    value is not None and floor is not None and value <= float(factor[1]) * floor
                )


def merge_repetitions(runs: list[Figures]) -> Figures:
    """One Figures from the repetitions of a run: each figure's value (and floor, peer) is the
    median of the repetitions that measured it; every repetition is kept; the samples behind
    each percentile add up; a figure flagged or failed in any repetition stays so."""
    if len(runs) == 1:
        return runs[0]
    merged = Figures()
    by_key = [{f.key: f for f in run.figures} for run in runs]
    for figure in runs[0].figures:
        each = [r[figure.key] for r in by_key if figure.key in r]
        out = Figure(**{k: v for k, v in asdict(figure).items() if k != "repetitions"})
        out.value = _median([f.value for f in each])
        out.floor = _median([f.floor for f in each])
        out.peer = _median([f.peer for f in each])
        out.samples = {d: sum(f.samples.get(d, 0) for f in each) for d in figure.samples}
        out.flagged = any(f.flagged for f in each)
        out.failed = "; ".join(sorted({f.failed for f in each if f.failed}))
        if figure.key in FIRST_REPETITION_ONLY:
            out.value, out.floor, out.peer = each[0].value, each[0].floor, each[0].peer
            out.note = FIRST_REPETITION_NOTE
        out.repetitions = [
            {"value": f.value, "floor": f.floor, "peer": f.peer, "samples": f.samples}
            | ({"failed": f.failed} if f.failed else {})
            for f in each
        ]
        merged.add(out)
    for run in runs:
        for key, values in run.samples.items():
            merged.samples[key] = merged.samples.get(key, []) + values
        for key, count in run.unfinished.items():
            merged.unfinished[key] = merged.unfinished.get(key, 0) + count
    merged.samples = {k: subsample(v, SAMPLE_CAP) for k, v in merged.samples.items()}
    return merged


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

    def count(self, which: str) -> int:
        return len(getattr(self, which) or []) + self.missing.get(which, 0)

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
        that never completed are named in the notes (``unfinished`` says what happened).

        A p99 of a design with fewer than MIN_P99_SAMPLES samples is its maximum instead
        ("max (n samples)"), flagged; the maximum of a series with unfinished samples is None.
        """
        self.series(f"{key}_ms", series)
        note = self.unfinished_note(series, "ours", unfinished)
        peer_note = self.unfinished_note(series, "peer", unfinished)
        designs = [d for d in ("ours", "floor", "peer") if series.count(d)]
        counts = {d: series.count(d) for d in designs}
        for q, suffix, target in ((50, "p50", None), (99, "p99", p99_target)):
            values, statistic = {}, {}
            for d in ("ours", "floor", "peer"):
                few = q == 99 and 0 < series.count(d) < MIN_P99_SAMPLES
                values[d] = series.max(d) if few else series.p(d, q)
                if d in counts:
                    statistic[d] = "max" if few else suffix
            flagged = statistic.get("ours") == "max"
            shown = f"max ({counts['ours']} samples)" if flagged else suffix
            self.add(
                Figure(
                    key=f"{key}_{suffix}_ms",
                    label=f"{label}, {shown}",
                    unit="ms",
                    value=values["ours"],
                    target=target,
                    floor=values["floor"],
                    peer=values["peer"],
                    floor_factor=floor_factor if (target or floor_factor) and q == 99 else None,
                    note=note,
                    peer_note=peer_note,
                    details=(details or {}) if q == 99 else {},
                    samples=counts,
                    statistic=statistic,
                    flagged=flagged or any(v == "max" for v in statistic.values()),
                )
            )

    def as_json(self) -> dict[str, Any]:
        return {
            "figures": {f.key: f.as_json() for f in self.figures},
            "samples": self.samples,
            "unfinished": self.unfinished,
        }
