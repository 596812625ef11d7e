"""The figures of a run, built from what its phases returned, in the order they are reported."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bench import phases
from bench.config import FANOUT_SOCKETS, HTTP_VOTE_RATE, LOADED_VOTE_RATE, Mode
from bench.results import Figure, Figures, Series
from bench.stats import percentile, rounded


def build(outcomes: dict[str, dict[str, Any]], mode: Mode, vote_rate: float) -> Figures:
    """``outcomes[design][phase]``, for the designs "ours", "floor" and "peer"."""
    o, f, p = outcomes["ours"], outcomes["floor"], outcomes["peer"]
    figures = Figures()
    _votes(figures, o, p, vote_rate)
    _http_votes(figures, o)
    _loaded(figures, o["loaded"], f, p["loaded"])
    _idle_takes(figures, o, f, p)
    _fanout(figures, {design: outcome["fanout"] for design, outcome in outcomes.items()})
    _resync(figures, o["loaded"], p["loaded"])
    _snapshots(figures, o, p)
    _memory(figures, {design: outcome["fanout"] for design, outcome in outcomes.items()}, mode)
    return figures


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
            f"HTTP votes/s (offered {HTTP_VOTE_RATE:,.0f}/s)",
            "votes/s",
            round(http.acked_rate()),
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
        p99_target="<= 30",
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
        p99_target="<= 150",
        floor_factor=2.0,
        unfinished="events did not reach every socket in time",
        details={k: {"reached_when_incomplete": v.incomplete} for k, v in fan.items()},
    )


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
            details={k: v.memory for k, v in fan.items()},
        )
    )
