"""The session report page and its plots, on the seeded session of tests/reports/conftest.py."""

from __future__ import annotations

import functools
import html as html_module
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.test import Client

from reports import pages
from reports.figures import session_report
from tests.factories import QuestionFactory
from tests.reports.conftest import REPORT_NOW

URL = "/studio/evening-debate/report/"
PLOTS = ("questions", "votes", "moderation")
SVG = "{http://www.w3.org/2000/svg}svg"


class Page(HTMLParser):
    """The text of every element with an id, and the attributes of every tag."""

    VOID = {"img", "input", "br", "meta", "link", "hr", "source"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.texts: dict[str, str] = {}
        self.tags: list[tuple[str, dict[str, str]]] = []
        self._open: list[tuple[str, str | None, list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag not in self.VOID:
            self._open.append((tag, attributes.get("id"), []))

    def handle_endtag(self, tag):
        while self._open:
            name, id_, parts = self._open.pop()
            text = "".join(parts)
            if self._open:
                self._open[-1][2].append(text)
            if id_:
                self.texts[id_] = " ".join(text.split())
            if name == tag:
                return

    def handle_data(self, data):
        if self._open:
            self._open[-1][2].append(data)

    def text(self, id_: str) -> str:
        return self.texts[id_]

    def rows(self, table_id: str, html: str) -> list[list[str]]:
        """The body rows of a table, cell texts in order."""
        table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
        assert table, table_id
        body = re.search(r"<tbody>(.*?)</tbody>", table.group(0), re.S).group(1)
        return [
            [
                " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
                for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            ]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
        ]


def _client(user, language: str = "en") -> Client:
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


@pytest.fixture
def at_report_time(monkeypatch):
    """The page reads the report as at REPORT_NOW, so that the trending terms are those of the
    seeded show."""
    monkeypatch.setattr(pages, "session_report", functools.partial(session_report, now=REPORT_NOW))


@pytest.fixture
def page(report_session, viewer_a, at_report_time):
    response = _client(viewer_a).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    return Page(html), html


# --- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["producer_a", "moderator_a", "host_a", "viewer_a"])
def test_every_crew_role_of_the_station_opens_the_report(request, report_session, role):
    user = request.getfixturevalue(role)
    response = _client(user).get(URL)
    assert response.status_code == 200
    assert Page(response.content.decode()).text("report-title") == "Evening debate"


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_page(report_session):
    for url in (URL, URL + "plots/questions.svg"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_crew_of_another_station_get_the_same_404_as_for_a_missing_session(
    report_session, producer_b
):
    client = _client(producer_b)
    other = client.get(URL)
    missing = client.get("/studio/no-such-session/report/")
    assert other.status_code == missing.status_code == 404
    assert other.content == missing.content
    assert client.get(URL + "plots/questions.svg").status_code == 404


def test_an_unknown_plot_is_a_404(report_session, viewer_a):
    assert _client(viewer_a).get(URL + "plots/secrets.svg").status_code == 404


def test_the_page_is_never_cached_and_runs_no_inline_script_or_style(report_session, viewer_a):
    response = _client(viewer_a).get(URL)
    assert "no-store" in response["Cache-Control"]
    policy = dict(
        (name, values)
        for name, *values in (d.split() for d in response["Content-Security-Policy"].split(";"))
    )
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    html = response.content.decode()
    assert " style=" not in html
    page = Page(html)
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    # The config is a JSON data block; the only code comes from a file of this site.
    assert [s.get("type") for s in scripts] == ["application/json", "module"]
    assert scripts[1]["src"].endswith("reports/report.js")


# --- what the page shows --------------------------------------------------------------------------


def test_the_page_shows_the_totals_of_the_session(page):
    page, _html = page
    shown = {
        key: page.text(f"total-{key}")
        for key in ("questions", "votes", "voters", "authors", "aired", "approved", "rejected")
    }
    assert shown == {
        "questions": "10",
        "votes": "15",
        "voters": "6",
        "authors": "7",
        "aired": "2",
        "approved": "5",
        "rejected": "3",
    }
    assert page.text("by-source") == "By source: Web 2 SMS 1 Mastodon 4 Bluesky 1 Webhook 1 Crew 1"


def test_the_page_shows_decision_and_air_times_median_and_p90(page):
    page, html = page
    # Decisions after 20, 25, 40, 50, 65, 110 s; takes after 110 and 145 s.
    assert page.rows("timings", html) == [
        ["Arrival → decision", "0:40", "1:50", "6"],
        ["Arrival → air", "1:50", "2:25", "2"],
    ]


def test_the_page_shows_who_moderated_what_and_why_questions_were_rejected(page):
    page, html = page
    assert page.rows("moderators", html) == [
        ["mona", "2", "1", "1"],
        ["nina", "2", "1", "0"],
        ["Automatic checks", "0", "1", "0"],
        ["alice", "1", "0", "0"],
    ]
    assert page.text("reject-reasons") == (
        "No reason given 1 Author is banned by the station. 1 Off topic 1"
    )


def test_the_as_run_log_says_when_each_question_aired_for_how_long_and_who_took_it(page):
    page, html = page
    assert page.rows("as-run", html) == [
        [
            "20:02:00",
            "1:30",
            "What is the budget for culture?",
            "Camille",
            "hugo",
            "Replaced by the next take",
        ],
        [
            "20:03:30",
            "1:00",
            "Will the orchestra tour in spring? #orchestra",
            "Ada",
            "hugo",
            "Answered",
        ],
    ]


def test_the_page_shows_the_top_questions_contributors_reach_and_trending_terms(page):
    page, html = page
    assert page.rows("top-aired", html) == [
        ["6", "Will the orchestra tour in spring? #orchestra — Ada", "Mastodon"],
        ["4", "What is the budget for culture? — Camille", "Web"],
    ]
    assert [row[0] for row in page.rows("top-not-aired", html)][:3] == ["2", "2", "1"]
    contributors = page.rows("contributors", html)
    assert contributors[0] == ["Camille", "—", "2", "1", "4", "—"]
    assert contributors[2] == ["Ada", "@ada@mastodon.example", "1", "1", "6", "1,200"]
    assert page.text("reach-followers") == "11,549"
    assert page.rows("reach-top", html)[0] == ["Troll @troll", "9,999"]
    # Mentions in the last ten minutes / in the half hour before.
    assert page.text("trending-terms") == "budget 4 / 0 orchestra 4 / 0 culture 2 / 0"


def test_untrusted_text_is_shown_as_text_never_as_markup(report_session, viewer_a):
    QuestionFactory(
        session=report_session,
        text="<script>alert(1)</script>",
        author_name='<img src=x onerror="alert(2)">',
        status="approved",
        vote_count=50,
    )
    html = _client(viewer_a).get(URL).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    page = Page(html)
    assert page.rows("top-not-aired", html)[0][1] == (
        '<script>alert(1)</script> — <img src=x onerror="alert(2)">'
    )


def test_producers_see_the_export_links_and_other_crew_do_not(report_session, producer_a, viewer_a):
    pk = report_session.pk
    html = _client(producer_a).get(URL).content.decode()
    links = sorted(re.findall(r'href="(/api/sessions/\d+/exports/[^"]+)"', html))
    assert links == sorted(
        f"/api/sessions/{pk}/exports/{kind}.{fmt}"
        for kind in ("questions", "votes", "as-run", "moderation")
        for fmt in ("csv", "json")
    )
    assert "/exports/" not in _client(viewer_a).get(URL).content.decode()


def test_the_page_refreshes_itself_only_while_the_session_is_live(report_session, viewer_a):
    page = Page(_client(viewer_a).get(URL).content.decode())
    assert "report-live" not in page.texts
    report_session.status = "live"
    report_session.save()
    html = _client(viewer_a).get(URL).content.decode()
    page = Page(html)
    assert page.text("report-live") == "Live: refreshed every 30 seconds"
    assert '"live": true' in html


def test_the_page_speaks_french(report_session, viewer_a):
    page = Page(_client(viewer_a, "fr").get(URL).content.decode())
    assert page.text("as-run-title").startswith("Journal d\u2019antenne")
    assert page.text("moderation-title") == "Modération"
    assert page.text("by-source").startswith("Par source :")


def test_the_page_links_each_plot(page):
    page, _html = page
    sources = [attrs["src"] for tag, attrs in page.tags if tag == "img"]
    assert [s.split("?")[0] for s in sources] == [URL + f"plots/{name}.svg" for name in PLOTS]


# --- plots ----------------------------------------------------------------------------------------


def _svg(client: Client, url: str) -> tuple[ET.Element, str]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    return ET.fromstring(text), text


@pytest.mark.parametrize("name", PLOTS)
def test_every_plot_renders_valid_svg_from_the_seeded_session(report_session, viewer_a, name):
    root, text = _svg(_client(viewer_a), URL + f"plots/{name}.svg")
    assert root.tag == SVG
    assert "No data yet" not in text
    # Text is drawn as paths; matplotlib keeps each label in a comment.
    titles = {
        "questions": "Questions per minute, by source",
        "votes": "Votes per minute",
        "moderation": "Decisions per moderator",
    }
    assert f"<!-- {titles[name]} -->" in text
    # Nothing fetched from elsewhere: no font, no image, no stylesheet by address.
    assert not re.search(r"(?:href|src)=\"(?:https?:)?//", text)


def test_the_questions_plot_has_a_legend_entry_per_source_that_sent_questions(
    report_session, viewer_a
):
    _root, text = _svg(_client(viewer_a), URL + "plots/questions.svg")
    legend = re.findall(r"<!-- ([^>]*?) -->", text)
    for label in ("Web", "SMS", "Mastodon", "Bluesky", "Webhook", "Crew", "On air"):
        assert label in legend


def test_the_moderation_plot_names_each_moderator(report_session, viewer_a):
    _root, text = _svg(_client(viewer_a), URL + "plots/moderation.svg")
    for name in ("mona", "nina", "alice", "Automatic checks"):
        assert f"<!-- {name} -->" in text


@pytest.mark.parametrize("name", PLOTS)
def test_every_plot_of_an_empty_session_says_there_is_no_data_yet(session_a, producer_a, name):
    root, text = _svg(_client(producer_a), f"/studio/{session_a.slug}/report/plots/{name}.svg")
    assert root.tag == SVG
    assert "<!-- No data yet -->" in text


def test_the_plots_are_labelled_in_french(report_session, viewer_a):
    _root, text = _svg(_client(viewer_a, "fr"), URL + "plots/questions.svg")
    assert "<!-- Questions par minute, par source -->" in text
    assert "<!-- \u00c0 l\u2019antenne -->" in text


def test_the_plots_of_a_page_reuse_its_figures_rather_than_computing_them_again(
    report_session, viewer_a, at_report_time, django_assert_max_num_queries
):
    client = _client(viewer_a)
    html = client.get(URL).content.decode()
    plot_url = re.search(r'src="([^"]*plots/questions\.svg\?v=[^"]+)"', html).group(1)
    plot_url = plot_url.replace("&amp;", "&")
    # The login and the session lookup only: the figures of that version are kept.
    with django_assert_max_num_queries(4):
        kept = client.get(plot_url)
    fresh = client.get(URL + "plots/questions.svg")
    assert kept.status_code == fresh.status_code == 200
    assert kept.content.startswith(b"<?xml") and b"<svg" in kept.content


def test_follower_counts_are_grouped_the_way_each_language_writes_them(
    report_session, viewer_a, at_report_time
):
    english = _client(viewer_a, "en").get(URL).content.decode()
    french = _client(viewer_a, "fr").get(URL).content.decode()
    assert re.search(r'id="reach-followers">11,549<', english)
    assert re.search(r'id="reach-followers">11\s549<', french)
