"""The wall page and the wall feed: behind the overlay key, only what the wall shows; and the
wall actions over HTTP (producers only)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from questions.models import Question
from questions.services.wall import wall_set

pytestmark = pytest.mark.django_db

NEVER = ("Pending one?", "Rejected one?", "Archived one?", "By a banned author?", "Hidden one?")


def test_the_json_feed_holds_the_wall_in_order_and_nothing_unapproved(
    client, session_a, producer_a, mixed_wall
):
    wall_set(actor=producer_a, question=mixed_wall["old"], state="pinned")

    response = client.get("/feeds/live-a/wall.json", {"key": session_a.overlay_key})

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    items = response.json()["items"]
    assert [i["text"] for i in items] == ["Old approved?", "New approved?", "Answered one?"]
    assert items[0]["pinned"] == 1 and items[0]["place"] == 1
    assert items[0]["source"] == "web"
    assert not any(never in response.content.decode() for never in NEVER)


def test_the_xml_feed_has_one_item_per_card(client, session_a, mixed_wall):
    response = client.get("/feeds/live-a/wall.xml", {"key": session_a.overlay_key})

    root = ET.fromstring(response.content)
    assert root.tag == "wall"
    assert [item.findtext("text") for item in root.findall("item")] == [
        "New approved?",
        "Answered one?",
        "Old approved?",
    ]
    assert not any(never in response.content.decode() for never in NEVER)


@pytest.mark.parametrize("path", ["/feeds/live-a/wall.json", "/wall/live-a/"])
def test_a_wrong_key_or_another_stations_key_is_refused(client, session_a, session_b, path):
    for key in ("", "wrong", session_b.overlay_key):
        response = client.get(path, {"key": key})
        assert response.status_code == 403
        assert b"Approved" not in response.content


def test_the_page_is_a_shell_in_the_sessions_language(client, session_a):
    for language, on_air in (("fr", "À l\u2019antenne"), ("en", "On air")):
        session_a.language = language
        session_a.save()

        response = client.get("/wall/live-a/", {"key": session_a.overlay_key})

        assert response.status_code == 200
        html = response.content.decode()
        assert f'<html lang="{language}">' in html
        assert re.findall(r"<script[^>]*src=\"([^\"]+)\"", html) == ["/static/live/wall.js"]
        strings = re.search(
            r'<script id="wall-strings" type="application/json">(.*?)</script>', html
        )
        assert json.loads(strings.group(1))["on_air"] == on_air
        assert "unsafe-inline" not in response.get("Content-Security-Policy", "")


@pytest.mark.parametrize("who", ["moderator_a", "host_a"])
def test_the_wall_actions_refuse_moderators_and_hosts(request, api_as, session_a, mixed_wall, who):
    client = api_as(request.getfixturevalue(who))
    question = mixed_wall["new"]

    response = client.post(
        f"/api/questions/{question.pk}/wall/", {"state": "hidden"}, format="json"
    )
    order = client.post(
        f"/api/sessions/{session_a.pk}/wall-order/", {"ordered_ids": []}, format="json"
    )

    assert response.status_code == 403
    assert order.status_code == 403
    assert Question.objects.get(pk=question.pk).wall_state == ""


def test_a_producer_hides_over_http_and_the_feed_follows(
    api_as, client, session_a, producer_a, mixed_wall
):
    question = mixed_wall["new"]

    response = api_as(producer_a).post(
        f"/api/questions/{question.pk}/wall/", {"state": "hidden"}, format="json"
    )

    assert response.status_code == 200
    feed = client.get("/feeds/live-a/wall.json", {"key": session_a.overlay_key}).json()
    assert "New approved?" not in [i["text"] for i in feed["items"]]


def test_a_producer_of_another_station_gets_404(api_as, producer_b, mixed_wall):
    question = mixed_wall["new"]

    response = api_as(producer_b).post(
        f"/api/questions/{question.pk}/wall/", {"state": "hidden"}, format="json"
    )

    assert response.status_code == 404
    assert Question.objects.get(pk=question.pk).wall_state == ""


def test_the_admin_actions_go_through_the_wall_service(client, producer_a, mixed_wall):
    producer_a.is_staff = True
    producer_a.is_superuser = True
    producer_a.save()
    client.force_login(producer_a)
    picked = [mixed_wall["old"].pk, mixed_wall["new"].pk]

    response = client.post(
        "/admin/questions/question/",
        {"action": "wall_pin", "_selected_action": picked},
        follow=True,
    )

    assert response.status_code == 200
    pinned = Question.objects.filter(wall_state="pinned").order_by("wall_position")
    assert [q.pk for q in pinned] == picked
    assert [q.wall_position for q in pinned] == [1, 2]
    assert mixed_wall["old"].log.filter(action="wall").exists()


def test_the_admin_reorders_the_wall_by_pinning_first(client, producer_a, mixed_wall):
    producer_a.is_staff = True
    producer_a.is_superuser = True
    producer_a.save()
    client.force_login(producer_a)
    old, new = mixed_wall["old"].pk, mixed_wall["new"].pk
    client.post(
        "/admin/questions/question/", {"action": "wall_pin", "_selected_action": [old, new]}
    )

    response = client.post(
        "/admin/questions/question/",
        {"action": "wall_pin_first", "_selected_action": [new]},
        follow=True,
    )

    assert response.status_code == 200
    pinned = Question.objects.filter(wall_state="pinned").order_by("wall_position")
    assert [(q.pk, q.wall_position) for q in pinned] == [(new, 1), (old, 2)]


def test_the_admin_refuses_a_staff_member_who_is_no_producer(client, moderator_a, mixed_wall):
    moderator_a.is_staff = True
    moderator_a.is_superuser = True
    moderator_a.save()
    client.force_login(moderator_a)

    client.post(
        "/admin/questions/question/",
        {"action": "wall_hide", "_selected_action": [mixed_wall["new"].pk]},
        follow=True,
    )

    assert Question.objects.get(pk=mixed_wall["new"].pk).wall_state == ""
