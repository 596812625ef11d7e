"""The results table: ``python -m bench.report`` (plain text), ``--markdown`` (for the docs), or
``--write-docs``: the table, the per-unit costs and the capacity plan written into
docs/performance.md between its marker comments (a full ``make bench`` does this itself).

Reads bench/results/latest.json unless given another results file.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
from pathlib import Path
from typing import Any

from bench.config import RESULTS_DIR, ROOT
from bench.results import first_repetition_only

DOCS_PATH = ROOT / "docs" / "performance.md"

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


def _cell(figure: dict[str, Any], which: str, value_key: str) -> str:
    """A value; a p99 that is a maximum (too few samples) says so, with its sample count."""
    text = _number(figure[value_key], figure["unit"])
    if figure.get("statistic", {}).get(which) == "max" and which != "ours":
        text += f" (max, {figure['samples'][which]} samples)"
    return text


def rows(results: dict[str, Any], costs: bool = False) -> list[list[str]]:
    """The figures (``costs``: the per-unit costs only, which the main table leaves out)."""
    table = []
    for key, figure in results["figures"].items():
        if key.startswith("cost_") != costs:
            continue
        unit = figure["unit"]
        ours = _number(figure["value"], unit)
        if figure.get("flagged") and figure.get("statistic", {}).get("ours") == "max":
            ours += " (FLAGGED: fewer than 100 samples)"
        if figure.get("note"):
            ours += f" ({figure['note']})"
        reps = figure.get("repetitions") or []
        if len(reps) > 1:
            ours += " [" + ", ".join(_number(r["value"]) for r in reps) + "]"
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
                _cell(figure, "floor", "floor"),
                peer,
                _meets(figure["meets"]),
            ]
        )
    return table


def text_table(results: dict[str, Any], costs: bool = False) -> str:
    table = [list(COLUMNS), *rows(results, costs)]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    lines = []
    for n, row in enumerate(table):
        lines.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(results: dict[str, Any], costs: bool = False) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows(results, costs):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


def heading(results: dict[str, Any]) -> str:
    meta = results["meta"]
    server = meta.get("server", "daphne")
    compared = f", compared with {meta['compared_server']}" if meta.get("compared_server") else ""
    reps = meta.get("repetitions", 1)
    return (
        f"{meta['mode']} run, {meta['date']}, commit {meta['git_commit'][:10]}, "
        f"{meta['servers']} studio processes ({server}{compared}), "
        f"{reps} repetition{'s' if reps != 1 else ''} (each figure the median), "
        f"{meta['cpu_count']} CPUs, Python {meta['python']}, {meta['wall_seconds']:.0f} s"
    )


# --- the capacity plan -----------------------------------------------------------------------

SHOW = {"listeners": 100_000, "votes_per_second": 20_000.0}
TAKES_PER_SECOND = 0.1  # a take every 10 s at the peak (a busy show takes one a minute)
PUBLIC_VOTES_FRAMES_PER_PROCESS = 1.0  # each process sends the public counts every ~1 s
CREW_VOTES_FRAMES_PER_PROCESS = 20.0  # and the crew counts every ~50 ms
UTILISATION = 0.6  # a core planned at 60 %: bursts and garbage collection have room


def _value(results: dict[str, Any], key: str) -> float | None:
    figure = results["figures"].get(key)
    return None if figure is None else figure["value"]


def unit_costs(results: dict[str, Any], suffix: str = "") -> dict[str, float | None]:
    keys = (
        "cpu_per_vote_us",
        "database_cpu_per_vote_us",
        "votes_per_commit",
        "rows_per_vote",
        "publishes_per_vote",
        "cpu_per_frame_us",
        "cpu_per_idle_socket_us",
        "memory_per_socket_kib",
        "idle_transactions_per_second",
        "idle_publishes_per_second",
        "transactions_per_take",
        "publishes_per_take",
        "publishes_per_voting_process_second",
    )
    return {k: _value(results, f"cost_{k}{suffix}") for k in keys}


BATCH_PHASES = ("votes", "http", "loaded", "calibration")
# The votes phase (and the HTTP votes, all to one process) are offered more than the studio
# sustains: their batches are a saturated writer's, larger than a planned process would see.
SATURATED_PHASES = ("votes", "http")  # HTTP: 1,500/s offered to one process, which sheds


def batch_points(
    results: dict[str, Any], suffix: str = "", *, unsaturated: bool = False
) -> list[tuple[float, float]]:
    """(votes/s per process, votes per vote transaction) measured by the run's vote phases,
    sorted by rate (``unsaturated``: without the saturated votes phase)."""
    return per_vote_points(results, "votes_per_write", suffix, unsaturated=unsaturated)


def batch_at(points: list[tuple[float, float]], rate: float) -> float | None:
    """The batch size at ``rate`` votes/s per process, for the check: linear between the
    measured points (the calibration phase measures it at the check's own rate) and (0 votes/s,
    1 vote per transaction); beyond the highest measured rate, that rate's batch."""
    if not points:
        return None
    known = [(0.0, 1.0), *points]
    for (r0, b0), (r1, b1) in itertools.pairwise(known):
        if rate <= r1:
            return b0 + (b1 - b0) * (rate - r0) / (r1 - r0) if r1 > r0 else b1
    return points[-1][1]


def per_vote_points(
    results: dict[str, Any], key: str, suffix: str = "", *, unsaturated: bool = False
) -> list[tuple[float, float]]:
    """(votes/s per process, ``key``: server_cpu_per_vote_us, database_cpu_per_vote_us or
    votes_per_write) measured by the vote phases, sorted by rate."""
    points = []
    for phase in BATCH_PHASES:
        if unsaturated and phase in SATURATED_PHASES:
            continue
        rate = _value(results, f"cost_vote_rate_per_process_{phase}{suffix}")
        value = _value(results, f"cost_{key}_{phase}{suffix}")
        if rate and value:
            points.append((rate, value))
    return sorted(points)


def nearest(points: list[tuple[float, float]], rate: float) -> float | None:
    """The value measured at the rate nearest ``rate``."""
    return min(points, key=lambda p: abs(p[0] - rate))[1] if points else None


MODEL_KEYS = (
    "cpu_per_vote_us",
    "database_cpu_per_vote_us",
    "rows_per_vote",
    "cpu_per_frame_us",
    "cpu_per_idle_socket_us",
    "memory_per_socket_kib",
    "idle_transactions_per_second",
    "idle_publishes_per_second",
    "transactions_per_take",
    "publishes_per_take",
    "publishes_per_voting_process_second",
)


def plan(
    costs: dict[str, float | None],
    sockets_per_process: int,
    points: list[tuple[float, float]],
    servers: int,
    cpu_points: list[tuple[float, float]] | None = None,
) -> dict[str, Any]:
    """Processes, cores, Redis and PostgreSQL load for SHOW, from the per-unit costs.
    PostgreSQL transactions/s = idle baseline (per process) + votes/s / batch size at each
    vote process's rate + takes/s x transactions per take; Redis PUBLISH/s = idle baseline
    (per process) + vote processes x PUBLISH/s of a process taking votes + takes/s x PUBLISH
    per take."""
    need = [k for k in MODEL_KEYS if costs.get(k) is None] + ([] if points else ["batch sizes"])
    if need:
        return {"missing": need}
    listeners, votes = SHOW["listeners"], SHOW["votes_per_second"]
    vote_cores = votes * costs["cpu_per_vote_us"] / 1e6
    if cpu_points:
        # Not the saturated votes phase's (a saturated writer's batches are cheaper per vote):
        # the highest unsaturated measured rate's, an upper bound for a faster process.
        vote_cores = votes * cpu_points[-1][1] / 1e6
    vote_processes = max(1, math.ceil(vote_cores / UTILISATION))
    frames = listeners * (TAKES_PER_SECOND + PUBLIC_VOTES_FRAMES_PER_PROCESS * vote_processes)
    listener_cores = (
        listeners * costs["cpu_per_idle_socket_us"] + frames * costs["cpu_per_frame_us"]
    ) / 1e6
    listener_processes = max(
        math.ceil(listener_cores / UTILISATION), math.ceil(listeners / sockets_per_process)
    )
    processes = vote_processes + listener_processes
    # Between the unsaturated rates measured, linear; beyond the highest, its batch (a batch
    # grows with the rate: the transactions are then an upper bound).
    batch = batch_at(points, votes / vote_processes) or 1.0
    publishes = (
        processes * costs["idle_publishes_per_second"] / servers
        + vote_processes * costs["publishes_per_voting_process_second"]
        + TAKES_PER_SECOND * costs["publishes_per_take"]
    )
    return {
        "vote_cores": vote_cores,
        "vote_processes": vote_processes,
        "listener_frames_per_second": frames,
        "listener_cores": listener_cores,
        "listener_processes": listener_processes,
        "processes": processes,
        "server_cores": math.ceil((vote_cores + listener_cores) / UTILISATION),
        "memory_gib": listeners * costs["memory_per_socket_kib"] / 1024 / 1024,
        "database_cores": votes * costs["database_cpu_per_vote_us"] / 1e6,
        "redis_publishes_per_second": publishes,
        "redis_deliveries_per_second": publishes * processes,
        "batch": batch,
        "commits_per_second": (
            processes * costs["idle_transactions_per_second"] / servers
            + votes / batch
            + TAKES_PER_SECOND * costs["transactions_per_take"]
        ),
        "rows_per_second": votes * costs["rows_per_vote"],
    }


def predict(results: dict[str, Any]) -> list[tuple[str, float | None, float | None]]:
    """The capacity check: what the per-unit costs predict for the smaller mixed load the run
    put on the studio, beside what it measured: (quantity, predicted, measured)."""
    check = results.get("capacity_check") or {}
    if not check:
        return []
    costs = unit_costs(results)
    measured = check["measured"]
    servers = results["meta"]["servers"]
    acked, sockets, window = check["acknowledged"], check["sockets"], measured["seconds"]
    votes_seconds = check["seconds"]
    frames = sockets * (check["takes"] + PUBLIC_VOTES_FRAMES_PER_PROCESS * servers * votes_seconds)
    # The CPU a vote costs depends on the rate (batches, count frames and thread hops are per
    # batch or per period, not per vote): read at the measured rate nearest the check's.
    rate = acked / servers / check["seconds"]
    cpu_per_vote = nearest(per_vote_points(results, "server_cpu_per_vote_us"), rate)
    cpu_per_vote = cpu_per_vote or costs["cpu_per_vote_us"]
    db_per_vote = nearest(per_vote_points(results, "database_cpu_per_vote_us"), rate)
    db_per_vote = db_per_vote or costs["database_cpu_per_vote_us"]
    cpu = None
    if None not in (cpu_per_vote, costs["cpu_per_frame_us"]):
        cpu = (
            acked * cpu_per_vote
            + frames * costs["cpu_per_frame_us"]
            + sockets * window * (costs["cpu_per_idle_socket_us"] or 0.0)
        ) / 1e6

    def times(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else a * b

    takes = check["takes"]
    # Each server process takes half the votes (the voters are spread over them).
    batch = batch_at(batch_points(results), acked / servers / votes_seconds)
    commits = None
    idle_tx, take_tx = costs["idle_transactions_per_second"], costs["transactions_per_take"]
    if batch and idle_tx is not None and take_tx is not None:
        commits = (
            costs["idle_transactions_per_second"] * window
            + acked / batch
            + takes * costs["transactions_per_take"]
        )
    publishes = None
    per_second = costs["publishes_per_voting_process_second"]
    if None not in (per_second, costs["idle_publishes_per_second"], costs["publishes_per_take"]):
        publishes = (
            costs["idle_publishes_per_second"] * window
            + servers * votes_seconds * per_second
            + takes * costs["publishes_per_take"]
        )
    return [
        ("listener frames delivered", frames, check["frames_delivered"]),
        ("server CPU (core-seconds)", cpu, measured["server_cpu_seconds"]),
        (
            "PostgreSQL + Redis CPU (core-seconds)",
            times(acked, db_per_vote and db_per_vote / 1e6),
            measured["database_cpu_seconds"],
        ),
        ("PostgreSQL transactions", commits, measured["commits"]),
        ("PostgreSQL rows written", times(acked, costs["rows_per_vote"]), measured["rows"]),
        ("Redis PUBLISH", publishes, measured["publishes"]),
    ]


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def capacity_markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    per_process = max(1, meta["sockets"].get("fanout_large", 0) // max(1, meta["servers"]))
    lines = [
        f"Derived by `python -m bench.report --write-docs` from the {meta['mode']} run of "
        f"{meta['date']} ({meta.get('server', 'daphne')}). Assumptions: "
        f"{SHOW['listeners']:,} listeners, {SHOW['votes_per_second']:,.0f} votes/s, a take every "
        f"{1 / TAKES_PER_SECOND:g} s, each core planned at {UTILISATION:.0%}, each server process "
        f"sending the public counts every second and the crew counts every 50 ms, and no process "
        f"holding more audience sockets than the bench held per process ({per_process:,}). "
        "PostgreSQL transactions/s = the idle baseline (read-only transactions, with the "
        "fan-out's sockets open and no load) + votes/s / the batch size at the rate each vote "
        "process sees (measured in the vote phases: linear between the measured rates and 1 "
        "vote at 0 votes/s; the check's own rate is measured by a calibration run of votes "
        "alone; the plan reads it the same way from the unsaturated phases, and beyond the "
        "highest of them uses that one's batch, so that its transactions are an upper bound) + "
        "takes/s x "
        "transactions per take (measured over the idle takes). Redis PUBLISH/s = the idle "
        "baseline + each vote process's measured PUBLISH/s while it takes votes (its coalesced "
        "count frames) + takes/s x PUBLISH per take (measured). Server CPU per vote also depends "
        "on the rate: the plan uses the one measured at the highest unsaturated rate, the check "
        "the one measured at the rate nearest its own.",
        "",
        "Per-unit costs (median of the repetitions; the table above has each one):",
        "",
    ]
    servers = [(meta.get("server", "daphne"), "")]
    if meta.get("compared_server"):
        servers.append((meta["compared_server"], "_alt"))
    plans = []
    for name, suffix in servers:
        costs = unit_costs(results, suffix)
        lines.append(
            f"- **{name}**: "
            + ", ".join(f"{k.replace('_', ' ')} {_fmt(v)}" for k, v in costs.items())
        )
        measured_points = batch_points(results, suffix)
        points = batch_points(results, suffix, unsaturated=True)
        if not points and suffix:
            # The other server only runs the (saturated) votes phase; the vote writer and the
            # database are the same code under either server: the chosen server's batches.
            points = batch_points(results, unsaturated=True)
            if points:
                lines.append(
                    f"  - **{name}**: the plan uses the batch sizes measured under "
                    f"{servers[0][0]} (only the saturated votes phase ran under {name})"
                )
        if measured_points:
            lines.append(
                f"  - **{name}** batch size (votes per vote transaction) at the rates the run "
                "measured: "
                + ", ".join(f"{b:,.1f} at {r:,.0f} votes/s per process" for r, b in measured_points)
            )
        cpu_points = per_vote_points(results, "server_cpu_per_vote_us", suffix, unsaturated=True)
        plans.append((name, plan(costs, per_process, points, meta["servers"], cpu_points)))
    lines += ["", "| for the national show | " + " | ".join(n for n, _ in plans) + " |"]
    lines.append("|---|" + "---|" * len(plans))
    labels = [
        ("vote_processes", "server processes for votes (one core each)"),
        ("listener_processes", "server processes for listeners"),
        ("processes", "server processes in all"),
        ("server_cores", "server cores"),
        ("memory_gib", "memory of the listeners' sockets (GiB)"),
        ("listener_frames_per_second", "frames to listeners per second"),
        ("database_cores", "PostgreSQL + Redis cores (votes)"),
        ("redis_publishes_per_second", "Redis PUBLISH per second"),
        ("redis_deliveries_per_second", "Redis pub/sub messages delivered per second"),
        ("batch", "votes per vote transaction (at each vote process's rate)"),
        ("commits_per_second", "PostgreSQL transactions per second"),
        ("rows_per_second", "PostgreSQL rows written per second"),
    ]
    for key, label in labels:
        cells = []
        for _, p in plans:
            cells.append("—" if "missing" in p else _fmt(p[key]))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    missing = {m for _, p in plans for m in p.get("missing", [])}
    if missing:
        lines += ["", f"Not derived: the run did not measure {', '.join(sorted(missing))}."]
    check = results.get("capacity_check") or {}
    if check:
        lines += [
            "",
            f"The check: the same model, applied to the smaller mixed load the run put on the "
            f"studio ({check['sockets']:,} listeners, {check['offered_vote_rate']:,.0f} votes/s "
            f"offered, {check['acknowledged']:,} acknowledged, {check['takes']} takes in "
            f"{check['seconds']:g} s, measured over {check['measured']['seconds']:g} s), "
            "beside what was measured:",
            "",
            "| quantity | predicted | measured | measured / predicted |",
            "|---|---|---|---|",
        ]
        for label, predicted, measured in predict(results):
            ratio = f"{measured / predicted:.2f}" if predicted and measured is not None else "—"
            lines.append(f"| {label} | {_fmt(predicted)} | {_fmt(measured)} | {ratio} |")
    return "\n".join(lines)


def _replace(text: str, name: str, body: str) -> str:
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"docs/performance.md has no {start} ... {end} markers")
    return pattern.sub(lambda _: f"{start}\n{body}\n{end}", text)


def update_docs(results: dict[str, Any], path: Path = DOCS_PATH) -> Path:
    """Rewrite the generated parts of docs/performance.md from a run's results."""
    text = path.read_text()
    table = "\n".join(
        [
            heading(results) + ".",
            "",
            markdown_table(results),
            "",
            "Per-unit costs the capacity plan is derived from:",
            "",
            markdown_table(results, costs=True),
        ]
    )
    text = _replace(text, "table", table)
    text = _replace(text, "capacity", capacity_markdown(results))
    path.write_text(text)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path, default=RESULTS_DIR / "latest.json")
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    parser.add_argument(
        "--write-docs", action="store_true", help="rewrite docs/performance.md's generated parts"
    )
    args = parser.parse_args()
    results = json.loads(args.results.read_text())
    first_repetition_only(results.get("figures", {}))
    if args.write_docs:
        print(update_docs(results))
        return
    print(heading(results))
    print()
    print(markdown_table(results) if args.markdown else text_table(results))
    print()
    print(text_table(results, costs=True))
    print()
    print(capacity_markdown(results))


if __name__ == "__main__":
    main()
