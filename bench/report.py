"""The results table: ``python -m bench.report`` (plain text) or ``--markdown`` (for the docs).

Reads bench/results/latest.json unless given another results file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.config import RESULTS_DIR

COLUMNS = (
    "figure",
    "ours",
    "target",
    "floor (plain websockets)",
    "peer (naive Channels)",
    "meets?",
)


def _number(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.1f}"
    else:
        text = f"{value:,}"
    return f"{text} {unit}".rstrip()


def _meets(value: bool | None) -> str:
    return {True: "yes", False: "NO", None: "—"}[value]


def rows(results: dict[str, Any]) -> list[list[str]]:
    table = []
    for figure in results["figures"].values():
        unit = figure["unit"]
        ours = _number(figure["value"], unit)
        if figure.get("note"):
            ours += f" ({figure['note']})"
        peer = _number(figure["peer"], unit)
        if figure.get("peer_note"):
            peer = (
                figure["peer_note"] if figure["peer"] is None else f"{peer} ({figure['peer_note']})"
            )
        table.append(
            [
                figure["label"],
                ours,
                figure["target"] or "—",
                _number(figure["floor"], unit),
                peer,
                _meets(figure["meets"]),
            ]
        )
    return table


def text_table(results: dict[str, Any]) -> str:
    table = [list(COLUMNS), *rows(results)]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    lines = []
    for n, row in enumerate(table):
        lines.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(results: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows(results):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


def heading(results: dict[str, Any]) -> str:
    meta = results["meta"]
    return (
        f"{meta['mode']} run, {meta['date']}, commit {meta['git_commit'][:10]}, "
        f"{meta['servers']} studio processes, {meta['cpu_count']} CPUs, Python {meta['python']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path, default=RESULTS_DIR / "latest.json")
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    args = parser.parse_args()
    results = json.loads(args.results.read_text())
    print(heading(results))
    print()
    print(markdown_table(results) if args.markdown else text_table(results))


if __name__ == "__main__":
    main()
