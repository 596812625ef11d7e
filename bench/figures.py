"""The figures of a run, built from what its phases returned, in the order they are reported."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bench import phases
from bench.config import FANOUT_SOCKETS, HTTP_VOTE_RATE, LOADED_VOTE_RATE, Mode
from bench.results import Figure, Figures, Series, merge_repetitions
from bench.stats import percentile, rounded

_NO_FANOUT = phases.Fanout.failed()


def build_all(
    repetitions: list[dict[str, dict[str, Any]]],
    mode: Mode,
    vote_rate: float,
    servers: dict[str, str],
    only: tuple[str, ...] = (),
) -> Figures:
    """The figures of each repetition, merged: each value the median of the repetitions.
    ``only=("fanout_large",)``: the large fan-out's figures alone (``--only large-fanout``)."""
    if only == ("fanout_large",):
        built = []
        for r in repetitions:
            figures = Figures()
            _large_fanout(figures, r["ours"], r["floor"], mode)
            built.append(figures)
        return merge_repetitions(built)
    return merge_repetitions([build(r, mode, vote_rate, servers) for r in repetitions])


def build(
    outcomes: dict[str, dict[str, Any]],
    mode: Mode,
    vote_rate: float,
    servers: dict[str, str] | None = None,
) -> Figures:
    """``outcomes[design][phase]``, for the designs "ours", "floor" and "peer", and "alt" (the
    studio under the other server, when measured)."""
    o, f, p = outcomes["ours"], outcomes["floor"], outcomes["peer"]
    alt = outcomes.get("alt") or {}
    servers = servers or {"ours": "daphne", "alt": "uvicorn"}
    figures = Figures()
    _votes(figures, o, p, vote_rate)
    _http_votes(figures, o)
    _loaded(figures, o["loaded"], f, p["loaded"])
    _idle_takes(figures, o, f, p)
    fans = {design: outcome.get("fanout", _NO_FANOUT) for design, outcome in outcomes.items()}
    _fanout(figures, fans)
    _large_fanout(figures, o, f, mode)
    _resync(figures, o["loaded"], p["loaded"])
    _snapshots(figures, o, p)
    _memory(figures, fans, mode)
    _costs(figures, o, f"[{servers['ours']}]")
    if alt:
        _alt(figures, alt, f, vote_rate, mode, servers["alt"])
        _costs(figures, alt, f"[{servers['alt']}]", key_suffix="_alt")
    return figures


def _fanout_note(fan: phases.Fanout) -> str:
    return f"FAILED: {fan.failed_because}" if fan.failed_because else ""


def _large_fanout(figures: Figures, o: dict, f: dict, mode: Mode) -> None:
    ours, floor = o.get("fanout_large"), f.get("fanout_large")
    if ours is None:
        return
    floor = floor or _NO_FANOUT
    figures.percentiles(
        "fanout_large_last",
        f"Fan-out to {ours.sockets:,} audience sockets, last delivery",
        Series(
            ours=ours.last_delivery_ms,
            floor=floor.last_delivery_ms,
            missing={"ours": len(ours.incomplete), "floor": len(floor.incomplete)},
        ),
        unfinished="events did not reach every socket in time",
        details={
            "ours": {"reached_when_incomplete": ours.incomplete, "opened": ours.opened},
            "floor": {"reached_when_incomplete": floor.incomplete, "opened": floor.opened},
        },
    )
    for figure in figures.figures[-2:]:
        figure.failed = _fanout_note(ours)
        if figure.failed:
            figure.note = figure.failed


def _alt(figures: Figures, alt: dict, f: dict, vote_rate: float, mode: Mode, name: str) -> None:
    """The studio's audience paths under the other server, beside the floor."""
    fan = alt.get("fanout", _NO_FANOUT)
    floor_fan = f.get("fanout", _NO_FANOUT)
    figures.percentiles(
        "alt_fanout_1000_last",
        f"[{name}] Fan-out to {FANOUT_SOCKETS:,} audience sockets, last delivery",
        Series(
            ours=fan.last_delivery_ms,
            floor=floor_fan.last_delivery_ms,
            missing={"ours": len(fan.incomplete), "floor": len(floor_fan.incomplete)},
        ),
        floor_factor=1.5,
        unfinished="events did not reach every socket in time",
    )
    figures.add(
        Figure(
            "alt_memory_per_idle_socket_kib",
            f"[{name}] Memory per idle audience socket ({mode.idle_sockets:,} sockets)",
            "KiB",
            rounded(fan.memory_per_socket_kib),
            floor=rounded(floor_fan.memory_per_socket_kib),
            floor_factor=2.0,
            failed=_fanout_note(fan),
            note=_fanout_note(fan),
        )
    )
    takes = alt.get("idle_takes", phases.Takes())
    figures.percentiles(
        "alt_take_to_overlay_idle",
        f"[{name}] Take -> overlay, no load",
        Series(
            ours=takes.latencies_ms,
            floor=f["takes"].latencies_ms,
            missing={"ours": takes.timeouts},
        ),
        p99_target="<= 30",
        unfinished="timed out",
    )
    votes = alt.get("votes", phases.VoteRun(rate=vote_rate, seconds=1, start_ns=0))
    figures.add(
        Figure(
            "alt_votes_per_second",
            f"[{name}] Sustained acknowledged votes/s (socket, offered {vote_rate:,.0f}/s)",
            "votes/s",
            round(votes.acked_rate()),
            target=">= 5000",
            details=votes.summary(),
        )
    )
    figures.percentiles(
        "alt_vote_ack",
        f"[{name}] Vote acknowledgement",
        Series(ours=votes.latencies_ms(), missing={"ours": votes.unanswered}),
        p99_target="<= 50",
        unfinished="unanswered",
    )


def _ratio(numerator: float | None, denominator: float | None, scale: float = 1.0) -> Any:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator * scale, 4)


def _costs(figures: Figures, out: dict, server: str, key_suffix: str = "") -> None:
    """Per-unit costs (bench/costs.py) of this repetition: CPU per vote, per fan-out frame
    delivered and per idle socket, memory per socket, and what a vote costs PostgreSQL and
    Redis. The capacity plan (bench/report.py) is derived from these."""
    votes: phases.VoteRun | None = out.get("votes")
    spent = out.get("votes_costs") or {}
    acked = len(votes.acked) if votes else 0
    fan: phases.Fanout = out.get("fanout", _NO_FANOUT)
    # CPU per frame from the fan-out phase that delivered more frames (the large one in a full
    # run): the first take of a server process also pays one-off costs (a quick run's four
    # events would charge them to the frames).
    large: phases.Fanout = out.get("fanout_large", _NO_FANOUT)
    cpu = max(fan.cpu, large.cpu, key=lambda c: c.get("frames_delivered", 0))
    frame_cpu = None
    if cpu.get("frames_delivered"):
        idle_rate = cpu.get("idle_cpu_per_second_all_sockets", 0.0)
        busy = cpu["events_cpu_seconds"] - idle_rate * cpu["events_seconds"]
        frame_cpu = _ratio(max(busy, 0.0), cpu["frames_delivered"], 1e6)
    idle_socket = None
    if fan.cpu.get("idle_sockets"):
        idle = fan.cpu
        extra = idle["idle_cpu_per_second_all_sockets"] - idle["idle_cpu_per_second_no_sockets"]
        idle_socket = _ratio(max(extra, 0.0), idle["idle_sockets"], 1e6)
    rows = [
        (
            "cpu_per_vote_us",
            "Server CPU per acknowledged vote",
            "µs",
            spent.get("server_cpu_seconds"),
            acked,
            1e6,
        ),
        (
            "database_cpu_per_vote_us",
            "PostgreSQL + Redis CPU per acknowledged vote",
            "µs",
            spent.get("database_cpu_seconds"),
            acked,
            1e6,
        ),
        (
            "votes_per_commit",
            "Votes per PostgreSQL transaction (read-only ones too)",
            "votes",
            acked,
            spent.get("commits"),
            1.0,
        ),
        (
            "rows_per_vote",
            "PostgreSQL rows written per vote",
            "rows",
            spent.get("rows"),
            acked,
            1.0,
        ),
        (
            "publishes_per_vote",
            "Redis PUBLISH per vote",
            "messages",
            spent.get("publishes"),
            acked,
            1.0,
        ),
        (
            "redis_commands_per_vote",
            "Redis commands per vote",
            "commands",
            spent.get("redis_commands"),
            acked,
            1.0,
        ),
    ]
    rows += _model_rows(out, fan)
    for key, label, unit, numerator, denominator, scale in rows:
        figures.add(
            Figure(
                f"cost_{key}{key_suffix}",
                f"{server} {label}",
                unit,
                _ratio(numerator, denominator, scale),
                details={"numerator": numerator, "denominator": denominator},
            )
        )
    figures.add(
        Figure(
            f"cost_cpu_per_frame_us{key_suffix}",
            f"{server} Server CPU per fan-out frame delivered",
            "µs",
            frame_cpu,
            details=cpu,
        )
    )
    figures.add(
        Figure(
            f"cost_cpu_per_idle_socket_us{key_suffix}",
            f"{server} Server CPU per idle audience socket, per second",
            "µs/s",
            idle_socket,
        )
    )
    figures.add(
        Figure(
            f"cost_memory_per_socket_kib{key_suffix}",
            f"{server} Memory per idle audience socket",
            "KiB",
            rounded(fan.memory_per_socket_kib),
        )
    )


# The vote phases whose PostgreSQL transactions give the batch size at their rate:
# (outcome key, its Meter delta's key, label).
BATCH_PHASES = (
    ("votes", "votes_costs", "votes phase"),
    ("http", "http_costs", "HTTP votes"),
    ("loaded", "loaded_costs", "loaded phase"),
    ("calibration", "calibration_costs", "votes alone at the capacity check's rate"),
)


def _model_rows(out: dict, fan: phases.Fanout) -> list[tuple]:
    """The capacity model's transaction and PUBLISH terms, each measured:

    - the idle baseline: transactions and PUBLISH per second with the fan-out's sockets open
      and no load (read-only transactions count in pg_stat_database's xact_commit too);
    - per take: transactions and PUBLISH of the idle takes (console and overlay already open);
    - the batch size at each vote phase's rate: its acknowledged votes over its transactions
      less the idle baseline over its window and its takes at the measured cost per take,
      beside the rate each vote-taking process saw;
    - PUBLISH per second of each process taking votes (the coalesced count frames), from the
      votes phase less the idle baseline.
    """
    idle = fan.cpu.get("idle_all_sockets") or {}
    idle_seconds = idle.get("seconds") or 0.0
    tx_rate = idle.get("commits", 0) / idle_seconds if idle_seconds else None
    pub_rate = idle.get("publishes", 0) / idle_seconds if idle_seconds else None
    takes: phases.Takes | None = out.get("idle_takes")
    take_costs = takes.costs if takes is not None else {}
    n_takes = len(takes.latencies_ms) + takes.timeouts if takes is not None else 0
    per_take_tx = take_costs["commits"] / n_takes if take_costs and n_takes else None
    per_take_pub = take_costs["publishes"] / n_takes if take_costs and n_takes else None
    rows: list[tuple] = [
        (
            "idle_transactions_per_second",
            "PostgreSQL transactions/s, idle sockets, no load",
            "tx/s",
            tx_rate,
            1,
            1.0,
        ),
        (
            "idle_publishes_per_second",
            "Redis PUBLISH/s, idle sockets, no load",
            "messages/s",
            pub_rate,
            1,
            1.0,
        ),
        ("transactions_per_take", "PostgreSQL transactions per take", "tx", per_take_tx, 1, 1.0),
        ("publishes_per_take", "Redis PUBLISH per take", "messages", per_take_pub, 1, 1.0),
    ]
    for phase, costs_key, label in BATCH_PHASES:
        spent = out.get(costs_key) or {}
        source = out.get(phase)
        run = source.votes if isinstance(source, phases.Loaded) else source
        rate = batch = None
        if spent and run is not None and run.acked and tx_rate is not None:
            processes = spent.get("vote_processes") or 1
            rate = run.acked_rate() / processes
            phase_takes = 0
            if isinstance(source, phases.Loaded):
                phase_takes = len(source.takes.latencies_ms) + source.takes.timeouts
            writes = spent["commits"] - tx_rate * spent["seconds"]
            writes -= phase_takes * (per_take_tx or 0)
            batch = len(run.acked) / writes if writes > 0 else None
        rows.append(
            (
                f"vote_rate_per_process_{phase}",
                f"Votes/s per process, {label}",
                "votes/s",
                rate,
                1,
                1.0,
            )
        )
        rows.append(
            (
                f"votes_per_write_{phase}",
                f"Votes per vote transaction, {label}",
                "votes",
                batch,
                1,
                1.0,
            )
        )
        acked = len(run.acked) if run is not None and spent else 0
        for key, what, reading in (
            ("server_cpu_per_vote_us", "Server CPU per vote", "server_cpu_seconds"),
            ("database_cpu_per_vote_us", "PostgreSQL + Redis CPU per vote", "database_cpu_seconds"),
        ):
            rows.append(
                (
                    f"{key}_{phase}",
                    f"{what}, {label} (whatever else it did, too)",
                    "µs",
                    spent.get(reading) if acked else None,
                    acked,
                    1e6,
                )
            )
    spent = out.get("votes_costs") or {}
    run = out.get("votes")
    per_process_second = None
    if spent and run is not None and pub_rate is not None:
        voting = (spent.get("vote_processes") or 1) * run.seconds
        per_process_second = (spent["publishes"] - pub_rate * spent["seconds"]) / voting
    rows.append(
        (
            "publishes_per_voting_process_second",
            "Redis PUBLISH/s of a process taking votes (count frames)",
            "messages/s",
            per_process_second,
            1,
            1.0,
        )
    )
    return rows


def unit_costs(repetitions: list[dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The raw readings behind the per-unit cost figures, per repetition."""
    raw = []
    for outcomes in repetitions:
        entry = {}
        for slot in ("ours", "alt"):
            out = outcomes.get(slot) or {}
            if not out:
                continue
            entry[slot] = {
                "votes": out.get("votes_costs"),
                "http": out.get("http_costs"),
                "loaded": out.get("loaded_costs"),
                "idle_takes": out["idle_takes"].costs if out.get("idle_takes") else {},
                "acknowledged_votes": len(out["votes"].acked) if out.get("votes") else 0,
                "fanout": out["fanout"].cpu if out.get("fanout") else {},
                "fanout_large": out["fanout_large"].cpu if out.get("fanout_large") else {},
            }
        raw.append(entry)
    return raw


def _votes(figures: Figures, o: dict, p: dict, vote_rate: float) -> None:
    ours, peer = o["votes"], p["votes"]
    figures.add(
        Figure(
            "votes_per_second",
            f"Sustained acknowledged votes/s (socket, offered {vote_rate:,.0f}/s)",
            "votes/s",
            round(ours.acked_rate()),
            target=">= 5000",
            peer=round(peer.acked_rate()),
            details={"ours": ours.summary(), "peer": peer.summary()},
        )
    )
    figures.percentiles(
        "vote_ack",
        "Vote acknowledgement",
        Series(
            ours=ours.latencies_ms(),
            peer=peer.latencies_ms(),
            missing={"ours": ours.unanswered, "peer": peer.unanswered},
        ),
        p99_target="<= 50",
        unfinished="unanswered",
    )
    ours_errors, peer_errors = ours.errors(), peer.errors()
    figures.add(
        Figure(
            "vote_errors",
            "Votes refused, shed or unanswered (votes phase)",
            "votes",
            sum(ours_errors.values()),
            peer=sum(peer_errors.values()),
            details={"ours": dict(ours_errors), "peer": dict(peer_errors)},
        )
    )
    figures.add(
        Figure(
            "votes_lost",
            "Acknowledged votes missing from the database",
            "votes",
            o["check"].lost,
            target="= 0",
            peer=p["check"].lost,
            details={"ours": asdict(o["check"]), "peer": asdict(p["check"])},
        )
    )


def _http_votes(figures: Figures, o: dict) -> None:
    http = o["http"]
    figures.add(
        Figure(
            "http_votes_per_second",
            f"HTTP votes/s, one process (offered {HTTP_VOTE_RATE:,.0f}/s)",
            "votes/s",
            round(http.acked_rate()),
            target=">= 1000",
            details=http.summary(),
        )
    )
    figures.percentiles(
        "http_vote",
        "HTTP vote answer",
        Series(ours=http.latencies_ms(), missing={"ours": http.unanswered}),
        unfinished="unanswered",
    )


def _loaded(figures: Figures, ours: phases.Loaded, f: dict, peer: phases.Loaded) -> None:
    figures.percentiles(
        "vote_to_console",
        f"Vote -> console at {LOADED_VOTE_RATE:,.0f} votes/s",
        Series(
            ours=ours.vote_to_console_ms,
            peer=peer.vote_to_console_ms,
            missing={"ours": ours.never_shown, "peer": peer.never_shown},
        ),
        p99_target="<= 150",
        unfinished="acknowledged votes never shown",
        details={"ours_votes": ours.votes.summary(), "peer_votes": peer.votes.summary()},
    )
    figures.percentiles(
        "take_to_overlay",
        f"Take -> overlay at {LOADED_VOTE_RATE:,.0f} votes/s",
        Series(
            ours=ours.takes.latencies_ms,
            floor=f["takes"].latencies_ms,
            peer=peer.takes.latencies_ms,
            missing={"ours": ours.takes.timeouts, "peer": peer.takes.timeouts},
        ),
        p99_target="<= 50",
        unfinished="timed out",
        details={"ours_errors": ours.takes.errors, "peer_errors": peer.takes.errors},
    )


def _idle_takes(figures: Figures, o: dict, f: dict, p: dict) -> None:
    figures.percentiles(
        "take_to_overlay_idle",
        "Take -> overlay, no load",
        Series(
            ours=o["idle_takes"].latencies_ms,
            floor=f["takes"].latencies_ms,
            peer=p["idle_takes"].latencies_ms,
            missing={"ours": o["idle_takes"].timeouts, "peer": p["idle_takes"].timeouts},
        ),
        p99_target="<= 30",
        unfinished="timed out",
    )


def _fanout(figures: Figures, fan: dict[str, phases.Fanout]) -> None:
    figures.percentiles(
        "fanout_1000_last",
        f"Fan-out to {FANOUT_SOCKETS:,} audience sockets, last delivery",
        Series(
            ours=fan["ours"].last_delivery_ms,
            floor=fan["floor"].last_delivery_ms,
            peer=fan["peer"].last_delivery_ms,
            missing={k: len(v.incomplete) for k, v in fan.items()},
        ),
        floor_factor=1.5,
        unfinished="events did not reach every socket in time",
        details={k: {"reached_when_incomplete": v.incomplete} for k, v in fan.items()},
    )
    for figure in figures.figures[-2:]:
        figure.failed = _fanout_note(fan["ours"])
        if figure.failed:
            figure.note = figure.failed


def _resync(figures: Figures, ours: phases.Loaded, peer: phases.Loaded) -> None:
    series = Series(
        ours=ours.resync_ms,
        peer=peer.resync_ms,
        missing={"ours": ours.resync_timeouts, "peer": peer.resync_timeouts},
    )
    figures.series("console_resync_ms", series)
    label = f"Console resync after a 5 s drop at {LOADED_VOTE_RATE:,.0f} votes/s"
    for key, suffix, value, target in (
        ("console_resync_p50_ms", "p50", lambda w: series.p(w, 50), None),
        ("console_resync_max_ms", "max", series.max, "<= 200"),
    ):
        figures.add(
            Figure(
                key,
                f"{label}, {suffix}",
                "ms",
                value("ours"),
                target=target,
                peer=value("peer"),
                note=Figures.unfinished_note(series, "ours", "timed out"),
                peer_note=Figures.unfinished_note(series, "peer", "timed out"),
                details={"ours": ours.resync_detail, "peer": peer.resync_detail} if target else {},
            )
        )


def _snapshots(figures: Figures, o: dict, p: dict) -> None:
    ours, peer = o["snapshots"], p["snapshots"]
    figures.add(
        Figure(
            "console_snapshot_ms",
            "Cold console snapshot (5,000 questions), median",
            "ms",
            rounded(percentile(ours["samples_ms"], 50, ours["timeouts"])),
            peer=rounded(percentile(peer["samples_ms"], 50, peer["timeouts"])),
            note=f"{ours['timeouts']} failed" if ours["timeouts"] else "",
            peer_note=f"{peer['timeouts']} failed" if peer["timeouts"] else "",
            details={"ours": ours, "peer": peer},
        )
    )


def _memory(figures: Figures, fan: dict[str, phases.Fanout], mode: Mode) -> None:
    figures.add(
        Figure(
            "memory_per_idle_socket_kib",
            f"Memory per idle audience socket ({mode.idle_sockets:,} sockets)",
            "KiB",
            rounded(fan["ours"].memory_per_socket_kib),
            floor=rounded(fan["floor"].memory_per_socket_kib),
            peer=rounded(fan["peer"].memory_per_socket_kib),
            floor_factor=2.0,
            failed=_fanout_note(fan["ours"]),
            note=_fanout_note(fan["ours"]),
            details={k: v.memory for k, v in fan.items()},
        )
    )
