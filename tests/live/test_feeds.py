"""The graphics data feeds: on-air item and top of the queue, as JSON and XML, behind the key."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from questions.services import session_take_on_air
from studio.services import session_rotate_overlay_key
from tests.factories import GuestFactory, LiveSessionFactory, QuestionFactory

pytestmark = pytest.mark.django_db

HOSTILE = 'Is </text><script>alert("x")</script> & <b>fine</b>?\x01\x1b end'
HOSTILE_CLEAN = 'Is </text><script>alert("x")</script> & <b>fine</b>? end'


@pytest.fixture
def guest(session_a):
    guest = session_a.guests.get()
    guest.title = "Singer"
    guest.save()
    return guest


@pytest.fixture
def get(client, session_a):
    """``get(path, **params)`` with the session's key as a query parameter."""

    def fetch(path, *, key=None, **params):
        params["key"] = session_a.overlay_key if key is None else key
        return client.get(path, params)

    return fetch


def approved(session, text, *, votes=0, starred=False, minutes_ago=0, guest=None, **kwargs):
    return QuestionFactory(
        session=session,
        text=text,
        status="approved",
        vote_count=votes,
        starred=starred,
        approved_at=timezone.now() - timedelta(minutes=minutes_ago),
        target_guest=guest,
        **kwargs,
    )


@pytest.fixture
def on_air_question(session_a, host_a, guest):
    question = approved(session_a, "What comes next?", guest=guest, author_name="Camille")
    session_take_on_air(actor=host_a, session=session_a, question=question)
    return question


def xml_of(response):
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    return ET.fromstring(response.content)


def rows_of(root):
    return [{child.tag: child.text or "" for child in item} for item in root.findall("item")]


def caspar_of(root):
    assert root.tag == "templateData"
    return {
        c.get("id"): {d.get("id"): d.get("value") for d in c.findall("data")}
        for c in root.findall("componentData")
    }


# --- auth -------------------------------------------------------------------------------------


def test_it_accepts_the_key_as_a_query_parameter(get, on_air_question):
    response = get("/feeds/live-a/on-air.json")

    assert response.status_code == 200
    assert response.json()["question"]["text"] == "What comes next?"


def test_it_accepts_the_key_in_an_x_overlay_key_header(client, session_a, on_air_question):
    response = client.get(
        "/feeds/live-a/queue.json", headers={"X-Overlay-Key": session_a.overlay_key}
    )

    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("feed", ["on-air", "queue"])
def test_a_wrong_key_a_missing_key_and_an_unknown_session_get_the_same_403(
    client, get, session_a, session_b, feed, fmt
):
    answers = [
        get(f"/feeds/live-a/{feed}.{fmt}", key="not-the-key"),
        client.get(f"/feeds/live-a/{feed}.{fmt}"),
        get(f"/feeds/live-a/{feed}.{fmt}", key=session_b.overlay_key),
        get(f"/feeds/no-such-session/{feed}.{fmt}"),
        client.get(f"/feeds/no-such-session/{feed}.{fmt}", headers={"X-Overlay-Key": "x"}),
    ]

    assert {r.status_code for r in answers} == {403}
    assert len({r.content for r in answers}) == 1
    if fmt == "json":
        error = answers[0].json()["error"]
        assert error["code"] == "bad_key"
        assert error["message"]
        assert error["details"] == {}
    else:
        root = xml_of(answers[0])
        assert (root.tag, root.get("code")) == ("error", "bad_key")
        assert root.text


def test_a_rotated_key_stops_working(get, client, session_a, producer_a):
    old = session_a.overlay_key

    session_rotate_overlay_key(actor=producer_a, session=session_a)
    session_a.refresh_from_db()

    assert get("/feeds/live-a/on-air.json", key=old).status_code == 403
    assert get("/feeds/live-a/on-air.json", key=session_a.overlay_key).status_code == 200


def test_a_key_with_non_ascii_characters_is_refused_not_a_crash(get, session_a):
    assert get("/feeds/live-a/on-air.json", key="clé-é").status_code == 403


@pytest.mark.parametrize("fmt", ["html", "caspar.xml", "JSON", "csv"])
def test_an_unknown_format_is_a_404(get, session_a, fmt):
    response = get(f"/feeds/live-a/on-air.{fmt}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- on air -----------------------------------------------------------------------------------


def test_on_air_json_shows_the_question_its_author_and_guest(get, on_air_question, guest):
    body = get("/feeds/live-a/on-air.json").json()

    assert body["on_air"] is True
    assert body["question"] == {
        "id": on_air_question.pk,
        "text": "What comes next?",
        "author": "Camille",
        "guest": "Aya Lune",
        "guest_id": guest.pk,
        "guest_title": "Singer",
        "source": "web",
    }
    assert body["taken_at"]
    assert body["updated_at"]


def test_on_air_json_says_so_when_nothing_is_on_air(get, session_a, approved_question):
    body = get("/feeds/live-a/on-air.json").json()

    assert body == {
        "on_air": False,
        "question": None,
        "taken_at": None,
        "updated_at": body["updated_at"],
    }


def test_on_air_flat_json_is_one_row_of_strings(get, on_air_question, guest):
    body = get("/feeds/live-a/on-air.json", flat="1").json()

    assert body == [
        {
            "on_air": "true",
            "id": str(on_air_question.pk),
            "text": "What comes next?",
            "author": "Camille",
            "guest": "Aya Lune",
            "guest_id": str(guest.pk),
            "guest_title": "Singer",
            "source": "web",
            "taken_at": body[0]["taken_at"],
        }
    ]
    assert body[0]["taken_at"]


def test_on_air_flat_json_has_empty_strings_when_nothing_is_on_air(get, session_a):
    body = get("/feeds/live-a/on-air.json", flat="1").json()

    assert body == [
        {
            "on_air": "false",
            "id": "",
            "text": "",
            "author": "",
            "guest": "",
            "guest_id": "",
            "guest_title": "",
            "source": "",
            "taken_at": "",
        }
    ]


def test_a_social_source_is_shown_by_network_family(get, session_a, host_a):
    question = approved(session_a, "From the feed?", source="social:mastodon")
    session_take_on_air(actor=host_a, session=session_a, question=question)

    assert get("/feeds/live-a/on-air.json").json()["question"]["source"] == "social"


def test_on_air_xml_rows_hold_one_item(get, on_air_question):
    root = xml_of(get("/feeds/live-a/on-air.xml"))

    assert root.tag == "onair"
    assert root.get("updated_at")
    [row] = rows_of(root)
    assert row["on_air"] == "true"
    assert row["text"] == "What comes next?"
    assert row["author"] == "Camille"
    assert row["guest"] == "Aya Lune"
    assert row["guest_title"] == "Singer"
    assert row["source"] == "web"
    assert row["taken_at"]


def test_on_air_xml_rows_hold_an_empty_item_when_nothing_is_on_air(get, session_a):
    root = xml_of(get("/feeds/live-a/on-air.xml", style="rows"))

    [row] = rows_of(root)
    assert row.pop("on_air") == "false"
    assert set(row) == {
        "id",
        "text",
        "author",
        "guest",
        "guest_id",
        "guest_title",
        "source",
        "taken_at",
    }
    assert set(row.values()) == {""}


def test_on_air_caspar_template_data_fills_f0_to_f3(get, on_air_question):
    response = get("/feeds/live-a/on-air.xml", style="caspar")

    assert response.content.startswith(b"<templateData>")
    assert caspar_of(xml_of(response)) == {
        "f0": {"text": "What comes next?"},
        "f1": {"text": "Camille"},
        "f2": {"text": "Aya Lune"},
        "f3": {"text": "Singer"},
    }


def test_on_air_caspar_template_data_is_blank_when_nothing_is_on_air(get, session_a):
    data = caspar_of(xml_of(get("/feeds/live-a/on-air.xml", style="caspar")))

    assert data == {f"f{i}": {"text": ""} for i in range(4)}


def test_a_question_aimed_at_nobody_has_empty_guest_fields(get, session_a, host_a):
    question = approved(session_a, "For anyone?")
    session_take_on_air(actor=host_a, session=session_a, question=question)

    assert get("/feeds/live-a/on-air.json").json()["question"]["guest"] is None
    [row] = rows_of(xml_of(get("/feeds/live-a/on-air.xml")))
    assert (row["guest"], row["guest_title"]) == ("", "")


# --- hostile text -----------------------------------------------------------------------------


@pytest.fixture
def hostile_on_air(session_a, host_a, guest):
    guest.name = "</guest>&amp;"
    guest.save()
    question = approved(session_a, HOSTILE, guest=guest, author_name='"><author/>\x02')
    session_take_on_air(actor=host_a, session=session_a, question=question)
    return question


def test_hostile_text_comes_back_intact_from_the_xml_rows(get, hostile_on_air):
    response = get("/feeds/live-a/on-air.xml")

    assert b"<script>" not in response.content
    [row] = rows_of(xml_of(response))
    assert row["text"] == HOSTILE_CLEAN
    assert row["author"] == '"><author/>'
    assert row["guest"] == "</guest>&amp;"


def test_hostile_text_comes_back_intact_from_caspar_template_data(get, hostile_on_air):
    response = get("/feeds/live-a/on-air.xml", style="caspar")

    data = caspar_of(xml_of(response))
    assert data["f0"]["text"] == HOSTILE_CLEAN
    assert data["f1"]["text"] == '"><author/>'
    assert data["f2"]["text"] == "</guest>&amp;"


def test_hostile_text_in_json_matches_the_xml(get, hostile_on_air):
    assert get("/feeds/live-a/on-air.json").json()["question"]["text"] == HOSTILE_CLEAN


def test_hostile_text_in_the_queue_stays_well_formed(get, session_a):
    approved(session_a, HOSTILE, author_name="\x0bEve")

    [row] = rows_of(xml_of(get("/feeds/live-a/queue.xml", n="1")))
    assert (row["text"], row["author"]) == (HOSTILE_CLEAN, "Eve")
    data = caspar_of(xml_of(get("/feeds/live-a/queue.xml", n="1", style="caspar")))
    assert data["q1"]["text"] == HOSTILE_CLEAN
    assert get("/feeds/live-a/queue.json").json()["items"][0]["text"] == HOSTILE_CLEAN


def test_line_breaks_in_a_question_survive(get, session_a):
    approved(session_a, "Line one\nline two\ttab")

    [row] = rows_of(xml_of(get("/feeds/live-a/queue.xml", n="1")))
    assert row["text"] == "Line one\nline two\ttab"
    caspar = get("/feeds/live-a/queue.xml", n="1", style="caspar")
    assert b"\n" not in caspar.content  # one line, ready for an AMCP command
    assert caspar_of(xml_of(caspar))["q1"]["text"] == "Line one\nline two\ttab"


# --- only approved data -----------------------------------------------------------------------


@pytest.mark.parametrize("status", ["pending", "rejected", "answered", "archived"])
def test_questions_that_are_not_approved_never_appear(get, session_a, status):
    QuestionFactory(session=session_a, text="Hidden question", status=status, vote_count=99)
    approved(session_a, "Shown question")

    for path, params in [
        ("/feeds/live-a/queue.json", {}),
        ("/feeds/live-a/queue.json", {"flat": "1"}),
        ("/feeds/live-a/queue.xml", {}),
        ("/feeds/live-a/queue.xml", {"style": "caspar"}),
        ("/feeds/live-a/on-air.json", {}),
        ("/feeds/live-a/on-air.xml", {}),
    ]:
        content = get(path, **params).content
        assert b"Hidden question" not in content
    assert [i["text"] for i in get("/feeds/live-a/queue.json").json()["items"]] == [
        "Shown question"
    ]


def test_the_queue_leaves_out_the_question_on_air(get, on_air_question):
    approved(on_air_question.session, "Waiting")

    assert [i["text"] for i in get("/feeds/live-a/queue.json").json()["items"]] == ["Waiting"]


def test_another_sessions_questions_never_appear(get, session_a, session_b):
    approved(session_b, "Station B question", votes=50)

    assert get("/feeds/live-a/queue.json").json()["items"] == []


# --- queue ------------------------------------------------------------------------------------


def test_the_queue_is_in_the_hosts_order_starred_first_then_votes(get, session_a):
    few = approved(session_a, "Few votes", votes=1)
    many = approved(session_a, "Many votes", votes=30)
    star = approved(session_a, "Starred", votes=0, starred=True)
    some = approved(session_a, "Some votes", votes=5)

    items = get("/feeds/live-a/queue.json").json()["items"]

    assert [i["id"] for i in items] == [star.pk, many.pk, some.pk, few.pk]
    assert [i["rank"] for i in items] == [1, 2, 3, 4]
    assert [i["starred"] for i in items] == [True, False, False, False]
    assert [i["votes"] for i in items] == [0, 30, 5, 1]


def test_a_held_place_is_kept_whatever_the_votes(get, session_a):
    approved(session_a, "Popular", votes=40)
    approved(session_a, "Also popular", votes=30)
    held = approved(session_a, "Held", votes=0, hold_position=1)

    assert get("/feeds/live-a/queue.json").json()["items"][0]["id"] == held.pk


def test_queue_json_items_have_the_documented_fields(get, session_a, guest):
    question = approved(session_a, "Shape?", votes=3, guest=guest, author_name="Jo")

    body = get("/feeds/live-a/queue.json").json()

    assert set(body) == {"items", "updated_at"}
    assert body["items"] == [
        {
            "rank": 1,
            "id": question.pk,
            "text": "Shape?",
            "author": "Jo",
            "guest": "Aya Lune",
            "guest_id": guest.pk,
            "guest_title": "Singer",
            "votes": 3,
            "starred": False,
        }
    ]


def test_the_row_formats_always_hold_n_rows_blank_past_the_end(get, session_a):
    approved(session_a, "Only one", votes=2, author_name="Jo")

    flat = get("/feeds/live-a/queue.json", flat="1", n="3").json()
    rows = rows_of(xml_of(get("/feeds/live-a/queue.xml", n="3")))
    caspar = caspar_of(xml_of(get("/feeds/live-a/queue.xml", n="3", style="caspar")))

    assert len(flat) == len(rows) == 3
    for first in (flat[0], rows[0]):
        assert (first["rank"], first["text"], first["author"], first["votes"]) == (
            "1",
            "Only one",
            "Jo",
            "2",
        )
        assert first["starred"] == "false"
    for blank in (flat[1], flat[2], rows[1], rows[2]):
        assert set(blank.values()) == {""}
    assert set(flat[0]) == set(rows[0]) == set(flat[2]) == set(rows[2])
    assert list(caspar) == ["q1", "q2", "q3"]
    assert caspar["q1"] == {
        "text": "Only one",
        "author": "Jo",
        "guest": "",
        "votes": "2",
        "starred": "false",
    }
    assert set(caspar["q3"].values()) == {""}


def test_queue_xml_rows_root_is_queue_with_update_time(get, session_a):
    root = xml_of(get("/feeds/live-a/queue.xml"))

    assert root.tag == "queue"
    assert root.get("updated_at")
    assert len(root.findall("item")) == 5


def test_the_guest_filter_keeps_only_that_guests_questions(get, session_a, guest):
    other = GuestFactory(session=session_a, name="Bo")
    mine = approved(session_a, "For Aya", guest=guest)
    approved(session_a, "For Bo", guest=other, votes=10)
    approved(session_a, "For anyone", votes=20)

    items = get("/feeds/live-a/queue.json", guest=str(guest.pk)).json()["items"]

    assert [i["id"] for i in items] == [mine.pk]


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "9" * 5000])
def test_a_bad_guest_is_a_400_with_a_reason(get, session_a, value):
    error = get("/feeds/live-a/queue.json", guest=value).json()["error"]

    assert error["code"] == "invalid"
    assert list(error["details"]) == ["guest"]


def test_a_guest_of_another_session_is_a_400(get, session_a):
    elsewhere = GuestFactory(session=LiveSessionFactory())

    response = get("/feeds/live-a/queue.json", guest=str(elsewhere.pk))

    assert response.status_code == 400
    assert "guest" in response.json()["error"]["details"]


def test_n_limits_the_queue_and_defaults_to_5(get, session_a):
    for i in range(60):
        approved(session_a, f"Question {i}", votes=i)

    assert len(get("/feeds/live-a/queue.json").json()["items"]) == 5
    assert len(get("/feeds/live-a/queue.json", n="1").json()["items"]) == 1
    assert len(get("/feeds/live-a/queue.json", n="50").json()["items"]) == 50
    assert get("/feeds/live-a/queue.json", n="1").json()["items"][0]["votes"] == 59


@pytest.mark.parametrize("value", ["0", "51", "-3", "five", "1e2", "٣"])
def test_n_out_of_bounds_is_a_400_with_a_reason(get, session_a, value):
    response = get("/feeds/live-a/queue.json", n=value)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "1 to 50" in error["details"]["n"][0]


def test_a_bad_parameter_in_an_xml_feed_is_an_xml_error(get, session_a):
    response = get("/feeds/live-a/queue.xml", n="99")

    assert response.status_code == 400
    root = xml_of(response)
    assert (root.tag, root.get("code"), root.get("param")) == ("error", "invalid", "n")
    assert "1 to 50" in root.text


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/feeds/live-a/on-air.xml", {"style": "vmix"}),
        ("/feeds/live-a/queue.json", {"flat": "maybe"}),
    ],
)
def test_an_unknown_style_or_flat_value_is_a_400(get, session_a, path, params):
    assert get(path, **params).status_code == 400


# --- cost -------------------------------------------------------------------------------------


def test_the_on_air_feed_takes_three_queries_with_a_question_on_air(
    get, on_air_question, django_assert_num_queries
):
    # session + on-air question with its guest + its as-run entry
    with django_assert_num_queries(3):
        assert get("/feeds/live-a/on-air.xml").status_code == 200


def test_the_on_air_feed_takes_two_queries_with_nothing_on_air(
    get, session_a, django_assert_num_queries
):
    with django_assert_num_queries(2):
        assert get("/feeds/live-a/on-air.json", flat="1").status_code == 200


def test_the_queue_feed_takes_two_queries_however_long_the_queue(
    get, session_a, guest, django_assert_num_queries
):
    for i in range(20):
        approved(session_a, f"Question {i}", votes=i, guest=guest if i % 2 else None)

    with django_assert_num_queries(2):
        assert get("/feeds/live-a/queue.json", n="50").status_code == 200
    with django_assert_num_queries(2):
        assert get("/feeds/live-a/queue.xml", style="caspar").status_code == 200
    # The guest filter checks the guest belongs to the session: one more.
    with django_assert_num_queries(3):
        assert get("/feeds/live-a/queue.json", guest=str(guest.pk)).status_code == 200


def test_a_refused_request_takes_one_query(get, session_a, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert get("/feeds/live-a/queue.json", key="wrong").status_code == 403


# --- HTTP -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "content_type"),
    [
        ("/feeds/live-a/on-air.json", {}, "application/json"),
        ("/feeds/live-a/on-air.json", {"flat": "1"}, "application/json"),
        ("/feeds/live-a/on-air.xml", {}, "application/xml; charset=utf-8"),
        ("/feeds/live-a/queue.xml", {"style": "caspar"}, "application/xml; charset=utf-8"),
        ("/feeds/live-a/queue.json", {"key": "wrong"}, "application/json"),
        ("/feeds/live-a/queue.xml", {"n": "0"}, "application/xml; charset=utf-8"),
    ],
)
def test_every_answer_is_uncached_and_readable_from_any_origin(
    client, session_a, path, params, content_type
):
    response = client.get(path, {"key": session_a.overlay_key, **params})

    assert response["Content-Type"] == content_type
    assert response["Cache-Control"] == "no-store"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_only_get_and_head_are_allowed(client, session_a, method):
    response = getattr(client, method)(f"/feeds/live-a/on-air.json?key={session_a.overlay_key}")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_head_answers_with_headers_only(client, session_a, on_air_question):
    url = f"/feeds/live-a/on-air.json?key={session_a.overlay_key}"
    full = client.get(url)

    response = client.head(url)

    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Length"] == str(len(full.content))
    assert response["Cache-Control"] == "no-store"


def test_a_browser_may_send_the_key_header_from_another_origin(client, session_a):
    response = client.options(
        "/feeds/live-a/queue.json",
        headers={
            "Origin": "http://graphics.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-overlay-key",
        },
    )

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "X-Overlay-Key" in response["Access-Control-Allow-Headers"]
    assert "GET" in response["Access-Control-Allow-Methods"]


def test_the_preview_feed_shows_the_cued_question_as_it_will_air(get, session_a, moderator_a):
    from questions.services import question_cue, question_rename, question_reword

    empty = get("/feeds/live-a/preview.json").json()
    assert empty["cued"] is False and empty["question"] is None
    q = approved(session_a, "A long question as the audience sent it?", author_name="Camille")
    question_reword(actor=moderator_a, question=q, text="Short?")
    question_rename(actor=moderator_a, question=q, name="C.")
    question_cue(actor=moderator_a, question=q)

    body = get("/feeds/live-a/preview.json").json()
    assert body["cued"] is True
    assert (body["question"]["text"], body["question"]["author"]) == ("Short?", "C.")
    flat = get("/feeds/live-a/preview.json", flat="1").json()
    assert flat[0]["text"] == "Short?" and flat[0]["cued"] == "true"
    root = ET.fromstring(get("/feeds/live-a/preview.xml").content)
    assert root.tag == "preview" and root.find("item/text").text == "Short?"
    caspar = ET.fromstring(get("/feeds/live-a/preview.xml", style="caspar").content)
    assert caspar.find("componentData[@id='f0']/data").get("value") == "Short?"
    # Nothing is on air: the program feed stays empty.
    assert get("/feeds/live-a/on-air.json").json()["question"] is None
    assert get("/feeds/live-a/preview.json", key="wrong").status_code == 403
