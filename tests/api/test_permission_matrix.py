"""Who may call which crew endpoint, checked over HTTP for every endpoint and every role.

The matrix is data: one ``Endpoint`` row per (method, path). Adding an endpoint to
``socialroom/urls.py`` without a row here fails ``test_every_crew_endpoint_is_in_the_matrix``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, resolve
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from questions.models import AirLogEntry, Ban, Draw, DrawEntry, ModerationLogEntry, Question
from socialroom import urls as root_urls
from studio.models import AsRunEntry, Guest, LiveSession
from tests.factories import LiveSessionFactory, QuestionFactory
from tests.helpers import assert_error

VIEW, MODERATE, BAN, ON_AIR, MANAGE = "view", "moderate", "ban", "on_air", "manage"
# Holding a place in the queue and undoing "answered" are for whoever runs the queue: the host
# and the moderators.
QUEUE = "queue"
# What a refusal names as needed, for the endpoints that any of several capabilities allow.
NEEDS_ANY_OF = {QUEUE: [ON_AIR, MODERATE]}

# The product rules, written out independently of studio.roles.
ROLE_MAY = {
    "producer": {VIEW, MODERATE, BAN, ON_AIR, MANAGE, QUEUE},
    "moderator": {VIEW, MODERATE, BAN, QUEUE},
    "host": {VIEW, ON_AIR, QUEUE},
    "viewer": {VIEW},
}
ROLE_USER = {
    "producer": "producer_a",
    "moderator": "moderator_a",
    "host": "host_a",
    "viewer": "viewer_a",
}

_PLACEHOLDER = re.compile(r"^\{(\w+)\}$")


@dataclass
class Endpoint:
    method: str
    path: str  # "{session}", "{guest}", "{pending}", "{approved}", "{ban}" are filled in
    capability: str
    ok: int = 200
    body: dict[str, Any] | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, ids: dict[str, int]) -> str:
        return self.path.format(**ids)

    def data(self, ids: dict[str, int]) -> dict[str, Any] | None:
        if self.body is None:
            return None
        return {k: _fill(v, ids) for k, v in self.body.items()}

    @property
    def scoped(self) -> bool:
        """Whether the request names an object of a station (in the path or the body)."""
        return "{" in self.path or any(
            isinstance(v, str) and _PLACEHOLDER.match(v) for v in (self.body or {}).values()
        )


def _fill(value: Any, ids: dict[str, int]) -> Any:
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, str) and (m := _PLACEHOLDER.match(value)):
        return ids[m.group(1)]
    return value


E = Endpoint
MATRIX: list[Endpoint] = [
    E("GET", "/api/stations/", VIEW),
    E("GET", "/api/sessions/", VIEW),
    E("POST", "/api/sessions/", MANAGE, 201, {"station": "{station}", "title": "Evening show"}),
    E("GET", "/api/sessions/{session}/", VIEW),
    E("PATCH", "/api/sessions/{session}/", MANAGE, 200, {"title": "Renamed show"}),
    E("POST", "/api/sessions/{session}/status/", MANAGE, 200, {"status": "ended"}),
    E("POST", "/api/sessions/{session}/overlay-key/", MANAGE),
    E("GET", "/api/sessions/{session}/guests/", VIEW),
    E("POST", "/api/sessions/{session}/guests/", MANAGE, 201, {"name": "Claire Morel"}),
    E("GET", "/api/guests/{guest}/", VIEW),
    E("PATCH", "/api/guests/{guest}/", MANAGE, 200, {"title": "Singer-songwriter"}),
    E("DELETE", "/api/guests/{guest}/", MANAGE, 204),
    E("GET", "/api/sessions/{session}/questions/", VIEW),
    E("POST", "/api/sessions/{session}/questions/", MODERATE, 201, {"text": "From the phones?"}),
    E("GET", "/api/sessions/{session}/on-air/", VIEW),
    E("POST", "/api/sessions/{session}/on-air/", ON_AIR, 200, {"question": "{approved}"}),
    E("DELETE", "/api/sessions/{session}/on-air/", ON_AIR),
    E("GET", "/api/sessions/{session}/as-run/", VIEW),
    E("GET", "/api/sessions/{session}/air-log/", VIEW),
    E("GET", "/api/sessions/{session}/exports/questions.csv", MANAGE),
    E("GET", "/api/sessions/{session}/report/", VIEW),
    E("GET", "/api/sessions/{session}/trending/", VIEW),
    E("GET", "/api/sessions/{session}/backstage/", VIEW),
    E("POST", "/api/sessions/{session}/control-key/", MANAGE),
    E("DELETE", "/api/sessions/{session}/control-key/", MANAGE),
    E("POST", "/api/questions/{approved}/cue/", QUEUE),
    E("DELETE", "/api/sessions/{session}/cue/", QUEUE),
    E("POST", "/api/sessions/{session}/take-next/", ON_AIR),
    E("POST", "/api/sessions/{session}/air-lock/", ON_AIR),
    # Only producers unlock the air; {locked} is a locked live session of the station.
    E("DELETE", "/api/sessions/{locked}/air-lock/", MANAGE),
    E("GET", "/api/sessions/{session}/moderation-log/", VIEW),
    E("GET", "/api/questions/{pending}/", VIEW),
    E("GET", "/api/questions/{pending}/posts/", VIEW),
    E("PATCH", "/api/questions/{pending}/", MODERATE, 200, {"text": "An edited question?"}),
    E("POST", "/api/questions/{pending}/approve/", MODERATE),
    E("POST", "/api/questions/{pending}/reject/", MODERATE, 200, {"reason": "Off topic"}),
    E("POST", "/api/questions/{approved}/reopen/", MODERATE),
    E("POST", "/api/questions/{pending}/archive/", MODERATE),
    E("POST", "/api/questions/{pending}/star/", MODERATE, 200, {"starred": True}),
    E("POST", "/api/questions/{pending}/aim/", MODERATE, 200, {"guest": "{guest}"}),
    E("POST", "/api/questions/{approved}/reword/", MODERATE, 200, {"text": "Shorter?"}),
    E("POST", "/api/questions/{approved}/rename/", MODERATE, 200, {"name": "C. M."}),
    E("POST", "/api/questions/{approved}/answered/", ON_AIR),
    E("POST", "/api/questions/{answered}/requeue/", QUEUE),
    E("POST", "/api/questions/{approved}/hold/", QUEUE, 200, {"position": 2}),
    # Only producers change the social wall.
    E("POST", "/api/questions/{approved}/wall/", MANAGE, 200, {"state": "pinned"}),
    E(
        "POST",
        "/api/sessions/{session}/wall-order/",
        MANAGE,
        200,
        {"ordered_ids": ["{answered}", "{on_air}"]},
    ),
    E("GET", "/api/sessions/{session}/draws/", MANAGE),
    E(
        "POST",
        "/api/sessions/{session}/draws/",
        MANAGE,
        201,
        {
            "title": "Two tickets",
            "keyword": "#tickets",
            "starts_at": "2030-01-01T10:00:00Z",
            "ends_at": "2030-01-01T11:00:00Z",
        },
    ),
    E("GET", "/api/draws/{draw}/", MANAGE),
    E("POST", "/api/draws/{draw}/draw/", MANAGE, 200, {"seed": "0123abcd"}),
    E("POST", "/api/draws/{drawn}/announce/", MANAGE, 201, {"entry": "{entry}"}),
    E("GET", "/api/draws/{draw}/entrants.csv", MANAGE),
    E("GET", "/api/bans/", VIEW),
    E("POST", "/api/bans/", BAN, 201, {"question": "{pending}"}),
    E("DELETE", "/api/bans/{ban}/", BAN, 204),
    # One author's data at the station (docs/privacy.md): producers only.
    E("GET", "/api/stations/{station}/authors/{author}/export/", MANAGE),
    E("POST", "/api/stations/{station}/authors/{author}/erase/", MANAGE),
]
WRITES = [e for e in MATRIX if e.method != "GET"]
# Route names under /api/ that are not crew endpoints.
NOT_CREW = {"schema", "api-docs"}
# Control surfaces authenticate with the session's control key (tests/api/test_control_surface.py).
NOT_CREW |= {
    "control-status",
    "control-take-next",
    "control-clear",
    "control-lock",
    "control-unlock",
}


def _call(client: APIClient, endpoint: Endpoint, ids: dict[str, int]):
    method = getattr(client, endpoint.method.lower())
    return method(endpoint.url(ids), endpoint.data(ids), format="json")


def _state() -> tuple:
    """Everything a crew write can change, to show that a refused write changed nothing."""
    return (
        list(Question.objects.order_by("id").values_list("id", "status", "text", "starred")),
        list(Question.objects.order_by("id").values_list("target_guest_id", "hold_position")),
        list(LiveSession.objects.order_by("id").values_list("id", "title", "status")),
        list(LiveSession.objects.order_by("id").values_list("overlay_key", flat=True)),
        list(Guest.objects.order_by("id").values_list("id", "name", "title")),
        list(Ban.objects.order_by("id").values_list("id", flat=True)),
        list(AsRunEntry.objects.order_by("id").values_list("id", "ended_at")),
        ModerationLogEntry.objects.count(),
        list(Question.objects.order_by("id").values_list("cued_at", flat=True)),
        list(Question.objects.order_by("id").values_list("wall_state", "wall_position")),
        list(LiveSession.objects.order_by("id").values_list("air_locked", "control_key")),
        AirLogEntry.objects.count(),
        list(Draw.objects.order_by("id").values_list("id", "status", "seed")),
        list(DrawEntry.objects.order_by("id").values_list("id", "winner_rank", "winner_question")),
    )


@pytest.fixture
def world(station_a, session_a, pending_question, approved_question, producer_a):
    """Station A in the middle of a show: one question of each kind, one on air, one ban."""
    on_air = QuestionFactory(session=session_a, text="On air now?", status="on_air")
    AsRunEntry.objects.create(
        session=session_a, question=on_air, taken_by=producer_a, taken_at=timezone.now()
    )
    ModerationLogEntry.objects.create(
        session=session_a, question=on_air, actor=producer_a, action="take", to_status="on_air"
    )
    troll = QuestionFactory(session=session_a, text="Spam spam", status="rejected")
    answered = QuestionFactory(session=session_a, text="Answered already?", status="answered")
    # Two items pinned to the social wall, for its reordering.
    Question.objects.filter(pk=on_air.pk).update(wall_state="pinned", wall_position=1)
    Question.objects.filter(pk=answered.pk).update(wall_state="pinned", wall_position=2)
    ban = Ban.objects.create(station=station_a, author=troll.author, created_by=producer_a)
    QuestionFactory(session=session_a, text="Cued next?", status="approved", cued_at=timezone.now())
    AirLogEntry.objects.create(session=session_a, question=on_air, actor=producer_a, action="take")
    session_a.control_key = "control-key-0123456789abcdef0123456789abcdef"
    session_a.save(update_fields=["control_key"])
    locked = LiveSessionFactory(station=station_a, slug="locked-a", status="live", air_locked=True)
    # A contest draw open with one entry, and one drawn with its winner not announced yet.
    now = timezone.now()
    window = {"starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(hours=1)}
    entrant = QuestionFactory(session=session_a, text="Count me in #win", status="approved")
    draw = Draw.objects.create(session=session_a, title="Open", keyword="#win", **window)
    drawn = Draw.objects.create(
        session=session_a, title="Drawn", keyword="#win", status="drawn", seed="ab12", **window
    )
    entry = DrawEntry.objects.create(
        draw=drawn, author=entrant.author, question=entrant, winner_rank=1
    )
    return {
        "station": station_a.pk,
        "session": session_a.pk,
        "guest": session_a.guests.get().pk,
        "pending": pending_question.pk,
        "approved": approved_question.pk,
        "answered": answered.pk,
        "on_air": on_air.pk,
        "ban": ban.pk,
        "locked": locked.pk,
        "draw": draw.pk,
        "drawn": drawn.pk,
        "entry": entry.pk,
        "author": pending_question.author_id,
    }


@pytest.mark.parametrize("endpoint", MATRIX, ids=str)
def test_an_anonymous_caller_gets_401_and_changes_nothing(api, world, endpoint):
    before = _state()

    response = _call(api, endpoint, world)

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")
    assert _state() == before


@pytest.mark.parametrize("endpoint", [e for e in MATRIX if e.scoped], ids=str)
def test_crew_of_another_station_gets_the_same_404_as_for_an_object_that_does_not_exist(
    api_as, world, producer_b, session_b, endpoint
):
    client = api_as(producer_b)
    before = _state()

    response = _call(client, endpoint, world)

    error = assert_error(response, 404, "not_found")
    assert _state() == before
    missing = _call(client, endpoint, dict.fromkeys(world, 987654))
    assert missing.status_code == 404
    assert error == missing.json()["error"], "the answer reveals that the object exists"


@pytest.mark.parametrize(
    ("path", "station_of"),
    [
        ("/api/stations/", lambda row: row["id"]),
        ("/api/sessions/", lambda row: row["station"]),
        ("/api/bans/", lambda row: row["station"]),
    ],
)
def test_lists_of_crew_of_another_station_show_none_of_this_stations_objects(
    api_as, world, producer_b, session_b, station_b, path, station_of
):
    response = api_as(producer_b).get(path)

    assert response.status_code == 200
    assert {station_of(row) for row in response.json()["results"]} <= {station_b.pk}
    assert response.json()["count"] == len(response.json()["results"])


def test_a_session_of_another_station_cannot_be_found_through_list_filters(
    api_as, world, producer_b
):
    response = api_as(producer_b).get("/api/sessions/", {"station": world["station"]})

    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize("role", ROLE_MAY)
@pytest.mark.parametrize("endpoint", MATRIX, ids=str)
def test_each_role_may_call_exactly_the_endpoints_its_capabilities_allow(
    request, api_as, world, endpoint, role
):
    user = request.getfixturevalue(ROLE_USER[role])
    before = _state()

    response = _call(api_as(user), endpoint, world)

    if endpoint.capability in ROLE_MAY[role]:
        assert response.status_code == endpoint.ok, response.content
        if endpoint.method != "GET":
            assert _state() != before, "an allowed write changed nothing"
    else:
        error = assert_error(response, 403, "permission_denied")
        needs = NEEDS_ANY_OF.get(endpoint.capability, endpoint.capability)
        assert error["details"] == {"role": role, "needs": needs}
        assert _state() == before


@pytest.mark.parametrize("role", ROLE_MAY)
@pytest.mark.parametrize(
    "endpoint", [e for e in MATRIX if e.method == "GET" and e.capability == VIEW], ids=str
)
def test_every_role_reads_this_stations_data(request, api_as, world, endpoint, role):
    user = request.getfixturevalue(ROLE_USER[role])

    response = api_as(user).get(endpoint.url(world))

    assert response.status_code == 200
    body = response.json()
    if "results" in body:
        assert body["count"] >= 1, f"{role} sees an empty {endpoint.path}"


def _crew_routes() -> set[tuple[str, str]]:
    found = set()
    for pattern in root_urls.api:
        if not isinstance(pattern, URLPattern):
            continue  # the auth/ include: login and logout pages
        route = str(pattern.pattern)
        if pattern.name is None or pattern.name in NOT_CREW or route.startswith("public/"):
            continue  # the catch-all, the schema and docs, the audience endpoints
        view = pattern.callback.cls
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(view, method):
                found.add((f"api/{route}", method.upper()))
    return found


def test_every_crew_endpoint_is_in_the_matrix():
    ids = dict.fromkeys(
        [
            "station",
            "session",
            "guest",
            "pending",
            "approved",
            "answered",
            "ban",
            "locked",
            "draw",
            "drawn",
            "author",
        ],
        1,
    )
    in_matrix = {(resolve(e.url(ids)).route, e.method) for e in MATRIX}

    assert _crew_routes() - in_matrix == set(), "add a row to MATRIX for each new endpoint"
    assert in_matrix - _crew_routes() == set(), "a MATRIX row names no crew endpoint"
    assert len(in_matrix) == len(MATRIX), "a MATRIX row is listed twice"


# Browser sessions and tokens ---------------------------------------------------------------


@pytest.fixture
def browser(producer_a):
    """A browser logged in with the session cookie, with Django's CSRF checks on."""
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username=producer_a.username, password="correct horse battery")
    return client


def _csrf_token(client: APIClient) -> str:
    # The login page sets the CSRF cookie, as the console page does for the browser.
    assert client.get("/api/auth/login/").status_code == 200
    return client.cookies["csrftoken"].value


def test_a_browser_session_can_read_without_a_csrf_token(browser, session_a):
    response = browser.get(f"/api/sessions/{session_a.pk}/")

    assert response.status_code == 200
    assert response.json()["title"] == "Live A"


def test_a_browser_write_without_the_csrf_token_is_refused_in_the_error_shape(browser, session_a):
    response = browser.post(
        f"/api/sessions/{session_a.pk}/guests/", {"name": "Claire Morel"}, format="json"
    )

    error = assert_error(response, 403, "permission_denied")
    assert "CSRF" in error["message"]
    assert not session_a.guests.filter(name="Claire Morel").exists()


def test_a_browser_write_with_the_csrf_token_succeeds(browser, session_a):
    token = _csrf_token(browser)

    response = browser.post(
        f"/api/sessions/{session_a.pk}/guests/",
        {"name": "Claire Morel"},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 201, response.content
    assert session_a.guests.filter(name="Claire Morel").exists()


def test_a_browser_write_with_a_wrong_csrf_token_is_refused(browser, session_a):
    _csrf_token(browser)

    response = browser.post(
        f"/api/sessions/{session_a.pk}/guests/",
        {"name": "Claire Morel"},
        format="json",
        HTTP_X_CSRFTOKEN="x" * 64,
    )

    assert_error(response, 403, "permission_denied")


def test_a_token_in_the_authorization_header_authenticates_without_csrf(producer_a, session_a):
    token = Token.objects.create(user=producer_a)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    stations = client.get("/api/stations/")
    created = client.post(
        f"/api/sessions/{session_a.pk}/guests/", {"name": "Claire Morel"}, format="json"
    )

    assert stations.status_code == 200
    assert [(s["slug"], s["role"]) for s in stations.json()["results"]] == [("radio-a", "producer")]
    assert created.status_code == 201, created.content


def test_a_token_carries_its_users_role(host_a, session_a):
    token = Token.objects.create(user=host_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.post(
        f"/api/sessions/{session_a.pk}/guests/", {"name": "Claire Morel"}, format="json"
    )

    error = assert_error(response, 403, "permission_denied")
    assert error["details"]["role"] == "host"


def test_an_unknown_token_is_refused_with_401(station_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    response = client.get("/api/stations/")

    assert_error(response, 401, "authentication_failed")
