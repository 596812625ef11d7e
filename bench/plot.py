"""docs/performance.png: latency distributions of the studio, the floor and the peer.

One panel per measurement, each an ECDF (the share of samples at or below a latency) on a
logarithmic time axis, with the target as a dashed line. ``python -m bench.plot`` redraws it from
bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.config import MIN_P99_SAMPLES, PLOT_PATH, RESULTS_DIR
from bench.stats import percentile

PANELS: list[tuple[str, str, float | None]] = [
    ("vote_ack_ms", "Vote acknowledgement", 50),
    ("vote_to_console_ms", "Vote → console (2,000 votes/s)", 150),
    ("take_to_overlay_ms", "Take → overlay (2,000 votes/s)", 30),
    ("take_to_overlay_idle_ms", "Take → overlay (no load)", 30),
    ("fanout_1000_last_ms", "Fan-out to 1,000 sockets, last delivery", None),
    ("fanout_large_last_ms", "Fan-out to 10,000 sockets, last delivery", None),
    ("console_resync_ms", "Console resync after a 5 s drop", 200),
]
STYLES = {
    "": ("studio", "#1f6feb", "-"),
    ".floor": ("floor: plain websockets", "#2da44e", "--"),
    ".peer": ("peer: naive Channels", "#cf222e", "-."),
}


def _ecdf(ax: Any, values: list[float], missing: int, label: str, color: str, style: str) -> None:
    """Samples that never completed count in the total, so such a curve stops short of 1."""
    ordered = sorted(max(v, 0.01) for v in values)
    total = len(ordered) + missing
    shares = [(i + 1) / total for i in range(len(ordered))]
    if total < MIN_P99_SAMPLES:  # too few samples for a p99: the maximum, said so
        p99_text = f"max {ordered[-1]:,.1f} ms" if ordered and not missing else "max not reached"
    else:
        p99 = percentile(ordered, 99, missing)
        p99_text = f"p99 {p99:,.1f} ms" if p99 is not None else "p99 not reached"
    unfinished = f", {missing:,} unfinished" if missing else ""
    ax.step(
        ordered,
        shares,
        where="post",
        color=color,
        linestyle=style,
        linewidth=2,
        marker="o" if len(ordered) <= 30 else None,
        markersize=4,
        label=f"{label}: {p99_text} (n={total:,}{unfinished})",
    )


def plot(results: dict[str, Any], path: Path = PLOT_PATH) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import LogFormatter, NullFormatter

    samples, unfinished = results["samples"], results.get("unfinished", {})
    fig, axes = plt.subplots(2, 4, figsize=(21, 9), dpi=100)
    for ax in axes.flat[len(PANELS) :]:
        ax.set_visible(False)
    for ax, (key, title, target) in zip(axes.flat, PANELS, strict=False):
        drawn = False
        for suffix, (label, color, style) in STYLES.items():
            values = samples.get(key + suffix, [])
            missing = unfinished.get(key + suffix, 0)
            if values or missing:
                _ecdf(ax, values, missing, label, color, style)
                drawn = True
        ax.set_xscale("log")
        if target is not None:
            ax.axvline(target, color="#6e7781", linestyle=":", linewidth=1.5)
            ax.text(target, 0.02, f" target {target} ms", color="#57606a", fontsize=9)
            low, high = ax.get_xlim()
            ax.set_xlim(min(low, target / 3), max(high, target * 3))
        ax.xaxis.set_major_formatter(LogFormatter(labelOnlyBase=True))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(0, 1.25)  # room for the legend above the curves
        ax.set_title(title, fontsize=13)
        ax.set_xlabel("latency (ms, log scale)")
        ax.set_ylabel("share of samples")
        ax.grid(True, which="both", alpha=0.25)
        if drawn:
            ax.legend(loc="upper left", fontsize=9, framealpha=0.9)
        else:
            ax.text(0.5, 0.5, "no samples", ha="center", transform=ax.transAxes)
    meta = results["meta"]
    fig.suptitle(
        f"Social Room studio latency: {meta['mode']} run, {meta['servers']} studio processes, "
        f"{meta['cpu_count']} CPUs ({meta['date']}, {meta['git_commit'][:10]})",
        fontsize=15,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path, default=RESULTS_DIR / "latest.json")
    parser.add_argument("--output", type=Path, default=PLOT_PATH)
    args = parser.parse_args()
    print(plot(json.loads(args.results.read_text()), args.output))


if __name__ == "__main__":
    main()
