"""The session report page and its plots, for the crew of the session's station.

The page is drawn on the server from ``reports.figures.session_report``; while the session is
live its script (``reports/static/reports/report.js``) fetches the page again every 30 seconds
and swaps the figures in. Served under the Content-Security-Policy without inline script or
style; questions, names and handles reach the page as escaped text only.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from typing import Any
from urllib.parse import urlencode

from csp.constants import NONE, SELF
from csp.decorators import csp_replace
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from questions.automod import flag_labels
from questions.models import QuestionStatus
from reports import plots
from reports.figures import session_report, source_bucket
from studio import selectors
from studio.errors import NotFound
from studio.models import AsRunOutcome, LiveSession, Role, SessionStatus
from studio.roles import ROLE_CAPABILITIES, Capability, station_role

REFRESH_SECONDS = 30
EXPORT_KINDS = ("questions", "votes", "as-run", "moderation")
EXPORT_FORMATS = ("csv", "json")
# Rows the printed page keeps of each long table (report.css hides the others on paper).
PRINT_ROWS = 5


def _session(request: HttpRequest, slug: str) -> LiveSession:
    """The session if the user is crew of its station; the same 404 for any other station."""
    try:
        return selectors.session_for_user_by_slug(request.user, slug)
    except NotFound as exc:
        raise Http404("No such session.") from exc


def _when(value: str | None) -> Any:
    parsed = parse_datetime(value) if value else None
    return timezone.localtime(parsed) if parsed else None


def duration(seconds: float | None) -> str:
    """Seconds as m:ss, or h:mm:ss past the hour; an empty string when unknown."""
    if seconds is None:
        return ""
    total = max(0, math.floor(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def _status_label(status: str) -> str:
    try:
        return str(QuestionStatus(status).label)
    except ValueError:
        return status


def _source_label(source: str) -> str:
    # Rows carry a bucket already; a stored Question.source is bucketed the same way.
    return plots.source_label(source if source in plots.SOURCE_LABELS else source_bucket(source))


def _outcome_label(row: dict[str, Any]) -> str:
    if not row.get("ended_at"):
        return _("On air now")
    try:
        return str(AsRunOutcome(row.get("outcome") or "").label)
    except ValueError:
        return row.get("outcome") or ""


def _page_context(figures: dict[str, Any]) -> dict[str, Any]:
    """What the template shows, from the figures: times in the studio's time zone, labels in
    the active language. Text from the audience stays plain text; the template escapes it."""
    totals = figures["totals"]
    moderation = figures["moderation"]
    as_run = [
        row
        | {
            "taken": _when(row.get("taken_at")),
            "duration": duration(row.get("duration_seconds")),
            "outcome_label": _outcome_label(row),
        }
        for row in figures["as_run"]
    ]

    def questions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            row
            | {
                "status_label": _status_label(row["status"]),
                "source_label": _source_label(row["source"]),
            }
            for row in rows
        ]

    by_source = [
        {
            "bucket": bucket,
            "label": plots.source_label(bucket),
            "count": totals["by_source"].get(bucket, 0),
        }
        for bucket in figures["sources"]
    ]
    flag_names = flag_labels()
    flags = [
        row | {"label": str(flag_names.get(row["code"], row["code"]))}
        for row in moderation["flags"]
    ]
    reasons = [
        row | {"label": row["reason"] or _("No reason given")}
        for row in moderation["reject_reasons"]
    ]
    window = figures["window"]
    return {
        "figures": figures,
        "totals": totals,
        "by_status": totals["by_status"],
        "by_source": by_source,
        "moderation": moderation,
        "reject_reasons": reasons,
        "flags": flags,
        "decision_median": duration(moderation["decision_seconds"]["median"]),
        "decision_p90": duration(moderation["decision_seconds"]["p90"]),
        "air_median": duration(moderation["air_seconds"]["median"]),
        "air_p90": duration(moderation["air_seconds"]["p90"]),
        "as_run": as_run,
        "top_lists": [
            {
                "id": "top-aired",
                "title": _("Top questions aired"),
                "rows": questions(figures["top_questions"]["aired"]),
            },
            {
                "id": "top-not-aired",
                "title": _("Top questions not aired"),
                "rows": questions(figures["top_questions"]["not_aired"]),
            },
        ],
        "contributors": figures["top_contributors"],
        "reach": figures["reach"],
        "trending": figures["trending"],
        "window_start": _when(window.get("start")),
        "window_end": _when(window.get("end")),
        "generated": _when(figures["generated_at"]) or timezone.localtime(),
        "as_run_more": max(0, len(as_run) - PRINT_ROWS),
    }


@login_required
@never_cache
# No inline style on this page either; csp_replace keeps the view's signature, the stubs narrow it.
@csp_replace({"style-src": [SELF]})  # type: ignore[arg-type]
def report(request: HttpRequest, slug: str) -> HttpResponse:
    """The session report: totals, plots, moderation, the as-run log, top lists, reach and
    trending terms; links to the exports for producers."""
    session = _session(request, slug)
    role = station_role(request.user, session.station_id)
    # session_for_user_by_slug found the session among the user's stations: the role is set.
    capabilities = ROLE_CAPABILITIES[role]  # type: ignore[index]
    figures = session_report(session)
    live = session.status == SessionStatus.LIVE
    context = _page_context(figures)
    version = figures["generated_at"]
    # The page's plots ask for the figures of this very version: kept for them a moment, the
    # figures are computed once per page rather than once per plot.
    _keep_figures(session, version, figures)
    context |= {
        "session": session,
        "role_label": Role(role).label,  # type: ignore[arg-type]
        "live": live,
        "plots": [
            {
                "name": name,
                "url": reverse("session-report-plot", kwargs={"slug": session.slug, "name": name})
                + "?"
                + urlencode({"v": version}),
                "alt": alt,
            }
            for name, alt in _plot_titles().items()
        ],
        "exports": _exports(session) if Capability.MANAGE in capabilities else [],
        "report_config": {"live": live, "refresh_seconds": REFRESH_SECONDS},
    }
    return render(request, "reports/report.html", context)


def _plot_titles() -> dict[str, str]:
    return {
        "questions": _("Questions per minute, by source, with the on-air moments"),
        "votes": _("Votes per minute, with the on-air moments"),
        "moderation": _("Decisions per moderator"),
    }


def _exports(session: LiveSession) -> list[dict[str, Any]]:
    titles = {
        "questions": _("Questions"),
        "votes": _("Votes per minute"),
        "as-run": _("As-run log"),
        "moderation": _("Moderation log"),
    }
    return [
        {
            "title": titles[kind],
            "links": [
                {"label": fmt.upper(), "url": f"/api/sessions/{session.pk}/exports/{kind}.{fmt}"}
                for fmt in EXPORT_FORMATS
            ],
        }
        for kind in EXPORT_KINDS
    ]


@login_required
@never_cache
@csp_replace({"default-src": [NONE], "style-src": [SELF, "'unsafe-inline'"]})  # type: ignore[arg-type]
def plot(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    """One plot of the report as SVG; an unknown name is a 404."""
    if name not in plots.PLOTS:
        raise Http404("No such plot.")
    session = _session(request, slug)
    figures = _kept_figures(session, request.GET.get("v", "")) or session_report(session)
    svg = plots.render_svg(name, figures)
    return HttpResponse(svg, content_type="image/svg+xml")


FIGURES_KEPT_SECONDS = 60


def _figures_key(session: LiveSession, version: str) -> str:
    digest = hashlib.sha256(version.encode("utf-8", "replace")).hexdigest()[:32]
    return f"report:figures:{session.pk}:{digest}"


def _keep_figures(session: LiveSession, version: str, figures: dict[str, Any]) -> None:
    # A cache that is down costs the plots a recomputation, never the page.
    with contextlib.suppress(Exception):
        cache.set(_figures_key(session, version), figures, FIGURES_KEPT_SECONDS)


def _kept_figures(session: LiveSession, version: str) -> dict[str, Any] | None:
    if not version or len(version) > 64:
        return None
    try:
        figures = cache.get(_figures_key(session, version))
    except Exception:
        return None
    return figures if isinstance(figures, dict) else None


urlpatterns = [
    path("studio/<slug:slug>/report/", report, name="session-report-page"),
    path("studio/<slug:slug>/report/plots/<str:name>.svg", plot, name="session-report-plot"),
]
