"""The report's plots, drawn server-side with matplotlib as SVG from the figures of
``reports.figures.session_report``.

Each plot is its own ``matplotlib.figure.Figure`` (no pyplot and its global state, so requests
can draw side by side in threads). The plots are made for paper as much as for screens: black
text on white, and each source has a hatch as well as a colour so that a greyscale print still
tells them apart. Text is drawn as paths: the SVG needs no font and no other host. An empty
session draws a "no data yet" plot rather than failing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: never pick an interactive backend

import matplotlib.dates as mdates
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

# Colours from Okabe and Ito's palette (distinct for colour-blind readers), each with a hatch
# that survives a greyscale print.
SOURCE_STYLES: dict[str, tuple[str, str]] = {
    "web": ("#0072B2", ""),
    "sms": ("#E69F00", "///"),
    "mastodon": ("#6A5ACD", "\\\\\\"),
    "bluesky": ("#56B4E9", "..."),
    "webhook": ("#009E73", "xx"),
    "crew": ("#555555", "--"),
}

SOURCE_LABELS: dict[str, Promise] = {
    "web": gettext_lazy("Web"),
    "sms": gettext_lazy("SMS"),
    "mastodon": gettext_lazy("Mastodon"),
    "bluesky": gettext_lazy("Bluesky"),
    "webhook": gettext_lazy("Webhook"),
    "crew": gettext_lazy("Crew"),
}

ON_AIR_COLOUR = "#D55E00"
TEXT = "#000000"
GRID = "#BBBBBB"
WIDTH_IN = 8.0  # the page scales the SVG; this fixes the proportions and the text size
HALF_WIDTH_IN = 5.2  # the plots shown two side by side
# Minutes between two ticks of the time axis: the first that gives at most 8 ticks.
TICK_STEPS = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 360)


def source_label(bucket: str) -> str:
    return str(SOURCE_LABELS.get(bucket, bucket))


def _when(value: str | None) -> datetime | None:
    """An ISO-8601 time of the figures in the studio's time zone, as matplotlib takes it."""
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    # matplotlib places naive datetimes: local wall-clock time, as the page shows times.
    return timezone.localtime(parsed).replace(tzinfo=None)


def _x(when: datetime) -> float:
    """A time as matplotlib's date number (days)."""
    return float(mdates.date2num(when))


def _figure(height_in: float, width_in: float = WIDTH_IN) -> Figure:
    return Figure(figsize=(width_in, height_in), facecolor="white", layout="constrained")


def _style(ax: Axes) -> None:
    ax.set_facecolor("white")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(TEXT)
    ax.tick_params(colors=TEXT, labelsize=9)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)


def _time_axis(ax: Axes, minutes: Sequence[datetime], last_mark: datetime | None) -> None:
    count = len(minutes)
    step = next((s for s in TICK_STEPS if count / s <= 8), TICK_STEPS[-1])
    if step < 60:
        locator: mdates.DateLocator = mdates.MinuteLocator(byminute=range(0, 60, step))
    else:
        locator = mdates.HourLocator(byhour=range(0, 24, step // 60))
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    pad = timedelta(minutes=1)
    if minutes:
        # A take in the last minute of the window still shows whole.
        right = max(minutes[-1] + pad / 2, last_mark or minutes[0])
        ax.set_xlim(_x(minutes[0] - pad / 2), _x(right))


def _no_data(height_in: float, title: str, width_in: float = WIDTH_IN) -> Figure:
    fig = _figure(height_in, width_in)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title, loc="left", color=TEXT, fontsize=11, fontweight="bold")
    ax.text(
        0.5,
        0.5,
        _("No data yet"),
        ha="center",
        va="center",
        fontsize=14,
        color="#444444",
        transform=ax.transAxes,
    )
    return fig


def _minutes(figures: Mapping[str, Any]) -> list[tuple[datetime, Mapping[str, Any]]]:
    rows = []
    for row in figures.get("per_minute") or []:
        when = _when(row.get("minute"))
        if when is not None:
            rows.append((when, row))
    return rows


def _mark_on_air(ax: Axes, figures: Mapping[str, Any], end: datetime | None) -> datetime | None:
    """Shade each on-air moment on the time axis; the end of the last one, if any."""
    marked: datetime | None = None
    for mark in figures.get("on_air_marks") or []:
        start = _when(mark.get("taken_at"))
        if start is None:
            continue
        stop = _when(mark.get("ended_at")) or end or start
        if stop <= start:
            stop = start + timedelta(seconds=20)
        ax.axvspan(
            _x(start), _x(stop), facecolor=ON_AIR_COLOUR, alpha=0.18, edgecolor="none", zorder=0
        )
        ax.axvline(_x(start), color=ON_AIR_COLOUR, linewidth=1.0, linestyle=":", zorder=1)
        marked = max(marked, stop) if marked else stop
    return marked


def _on_air_handle() -> Patch:
    return Patch(
        facecolor=ON_AIR_COLOUR,
        alpha=0.3,
        edgecolor=ON_AIR_COLOUR,
        label=pgettext("report plot legend", "On air"),
    )


def questions_plot(figures: Mapping[str, Any]) -> Figure:
    """Questions per minute, stacked by source, with the on-air moments shaded."""
    title = _("Questions per minute, by source")
    rows = _minutes(figures)
    if not rows or not any(row.get("total") for _when_, row in rows):
        return _no_data(2.6, title)
    fig = _figure(2.8)
    ax = fig.add_subplot()
    _style(ax)
    minutes = [when for when, _row in rows]
    xs = [_x(when) for when in minutes]
    width = 0.85 / (24 * 60)  # days, matplotlib's date unit
    bottoms = [0] * len(rows)
    handles: list[Any] = []
    sources = figures.get("sources") or list(SOURCE_STYLES)
    for bucket in sources:
        counts = [int((row.get("by_source") or {}).get(bucket, 0)) for _when_, row in rows]
        if not any(counts):
            continue
        colour, hatch = SOURCE_STYLES.get(bucket, ("#999999", ""))
        bars = ax.bar(
            xs,
            counts,
            width=width,
            bottom=bottoms,
            color=colour,
            hatch=hatch,
            edgecolor="white",
            linewidth=0.3,
            align="center",
            label=source_label(bucket),
        )
        handles.append(bars)
        bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
    end = _when((figures.get("window") or {}).get("end"))
    marked = _mark_on_air(ax, figures, end)
    if marked:
        handles.append(_on_air_handle())
    _time_axis(ax, minutes, marked)
    ax.set_ylabel(_("Questions"), color=TEXT, fontsize=9)
    ax.set_title(title, loc="left", color=TEXT, fontsize=11, fontweight="bold")
    # Below the plot, in one row: the plot keeps the width on a narrow screen.
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        frameon=False,
        fontsize=9,
        labelcolor=TEXT,
    )
    return fig


def votes_plot(figures: Mapping[str, Any]) -> Figure:
    """Votes per minute, with the on-air moments shaded."""
    title = _("Votes per minute")
    rows = _minutes(figures)
    if not rows or not any(row.get("votes") for _when_, row in rows):
        return _no_data(2.6, title, HALF_WIDTH_IN)
    fig = _figure(2.6, HALF_WIDTH_IN)
    ax = fig.add_subplot()
    _style(ax)
    minutes = [when for when, _row in rows]
    votes = [int(row.get("votes") or 0) for _when_, row in rows]
    xs = [_x(when) for when in minutes]
    ax.fill_between(xs, votes, step="mid", color="#0072B2", alpha=0.25, linewidth=0)
    ax.step(xs, votes, where="mid", color="#0072B2", linewidth=1.6, label=_("Votes"))
    end = _when((figures.get("window") or {}).get("end"))
    handles: list[Any] = [ax.lines[0]]
    marked = _mark_on_air(ax, figures, end)
    if marked:
        handles.append(_on_air_handle())
    _time_axis(ax, minutes, marked)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(_("Votes"), color=TEXT, fontsize=9)
    ax.set_title(title, loc="left", color=TEXT, fontsize=11, fontweight="bold")
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=2,
        frameon=False,
        fontsize=9,
        labelcolor=TEXT,
    )
    return fig


def moderation_plot(figures: Mapping[str, Any]) -> Figure:
    """Decisions per moderator: approved, rejected and other actions, stacked horizontally."""
    title = _("Decisions per moderator")
    moderators = list((figures.get("moderation") or {}).get("by_moderator") or [])[:8]
    if not any(m.get("approved") or m.get("rejected") or m.get("other") for m in moderators):
        return _no_data(2.6, title, HALF_WIDTH_IN)
    fig = _figure(2.6, HALF_WIDTH_IN)
    ax = fig.add_subplot()
    _style(ax)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    names = [m.get("username") or _("Automatic checks") for m in moderators]
    positions = list(range(len(moderators)))[::-1]  # the busiest on top
    left = [0] * len(moderators)
    parts = [
        ("approved", pgettext("moderation decisions", "Approved"), "#009E73", ""),
        ("rejected", pgettext("moderation decisions", "Rejected"), "#D55E00", "///"),
        ("other", _("Other actions"), "#999999", ".."),
    ]
    for key, label, colour, hatch in parts:
        values = [int(m.get(key) or 0) for m in moderators]
        ax.barh(
            positions,
            values,
            left=left,
            color=colour,
            hatch=hatch,
            edgecolor="white",
            linewidth=0.3,
            height=0.7,
            label=label,
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(positions, [_shorten(n, 18) for n in names])
    ax.set_xlabel(_("Decisions"), color=TEXT, fontsize=9)
    ax.set_title(title, loc="left", color=TEXT, fontsize=11, fontweight="bold")
    fig.legend(loc="outside lower center", ncols=3, frameon=False, fontsize=9, labelcolor=TEXT)
    return fig


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


PLOTS: dict[str, Callable[[Mapping[str, Any]], Figure]] = {
    "questions": questions_plot,
    "votes": votes_plot,
    "moderation": moderation_plot,
}


def render_svg(name: str, figures: Mapping[str, Any]) -> bytes:
    """The plot ``name`` (a key of ``PLOTS``) as SVG bytes, labelled in the active language.

    Raises KeyError for an unknown name.
    """
    fig = PLOTS[name](figures)
    buffer = io.BytesIO()
    # No date in the file: the same figures give the same bytes.
    fig.savefig(buffer, format="svg", metadata={"Date": None}, facecolor="white")
    return buffer.getvalue()
