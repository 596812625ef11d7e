"""Every URL pattern, every method, hostile bodies and headers, logged in or not: never a 5xx."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import Cast
from tests.fuzz.support import (
    CONTENT_TYPES,
    FUZZ,
    METHODS,
    Route,
    assert_no_server_error,
    big_ints,
    bodies,
    client,
    example,
    headers,
    parameters,
    routes,
    send,
)

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=x"
# The body and headers sent with each (route, method) of the sweep, in turn.
GARBAGE = (
    (
        b'{"text": null, "status": [], "guest": 1e999, "station": 9223372036854775808,'
        b' "reason": {"a": [1]}, "name": "\\u0000", "question": -1}',
        "application/json",
    ),
    (b"\xff\x00 not json", "application/json"),
    (
        b"text=%ZZ&status=%00&guest=99999999999999999999&guest=x",
        "application/x-www-form-urlencoded",
    ),
    (
        b"--x\r\nContent-Disposition: form-data; name=text\r\n\r\n",
        "multipart/form-data; boundary=x",
    ),
)
HOSTILE_HEADERS = (
    {},
    {
        "Idempotency-Key": "\x01\x02",
        "Accept": "application/xml;q=nan, */*;q=-1",
        "Accept-Language": "zz-ZZ;q=2, ,;",
        "X-Forwarded-For": "999.1.1.1, ::zz, ",
        "X-Socialroom-Timestamp": "9" * 400,
        "X-Twilio-Signature": "\xff" * 200,
        "Range": "bytes=99999999999999999999-",
    },
)


def _values(route: Route, cast: Cast, pk: int | None = None) -> dict[str, str]:
    """Real ids of station A's things, so the routes reach their views."""
    template = route.template
    real = cast.session.pk
    for prefix, thing in (
        ("questions/", cast.approved),
        ("guests/", cast.guest),
        ("bans/", cast.ban),
        ("authors/", cast.pending.author),
    ):
        if f"{prefix}<int:pk>" in template:
            real = thing.pk
    return {
        "pk": str(real if pk is None else pk),
        "slug": cast.session.slug,
        "station": str(cast.session.station_id),
        "fmt": "json",
        "kind": "questions",
        "name": "questions",
        "token": cast.sms.token if "ingest/sms/" in template else cast.webhook.token,
        "object_id": str(real if pk is None else pk),
        "content_type_id": "1",
        "id": "1",
        "app_label": "studio",
        "url": "no-such-page/",
    }


def _sweep(c, cast: Cast) -> list[str]:
    failures = []
    n = 0
    for route in routes():
        path = route.path(_values(route, cast))
        for method in METHODS:
            body, content_type = GARBAGE[n % len(GARBAGE)]
            hostile = HOSTILE_HEADERS[n % len(HOSTILE_HEADERS)]
            n += 1
            with example(c):
                response = send(
                    c, method, path, body=body, content_type=content_type, headers=hostile
                )
            if response.status_code >= 500:
                failures.append(f"{method} {path} -> {response.status_code}")
    return failures


def test_every_route_answers_every_method_without_a_server_error_logged_out(cast):
    failures = _sweep(client(), cast)

    assert failures == []


def test_every_route_answers_every_method_without_a_server_error_for_another_station(
    cast, producer_b
):
    c = client()
    c.force_login(producer_b)

    failures = _sweep(c, cast)

    assert failures == []
    # Still crew of station B after the sweep (it logged out and in again along the way).
    stations = c.get("/api/stations/").json()["results"]
    assert [s["name"] for s in stations] == ["Radio B"]


def test_every_route_answers_every_method_without_a_server_error_for_the_stations_crew(
    cast, producer_a
):
    c = client()
    c.force_login(producer_a)

    failures = _sweep(c, cast)

    assert failures == []
    stations = c.get("/api/stations/").json()["results"]
    assert [s["name"] for s in stations] == ["Radio A"]


def test_the_sweep_covers_every_route_and_every_parameter(cast):
    every = routes()
    names = set().union(*(parameters(r) for r in every))

    assert len(every) > 50  # the API, the pages, the feeds, the webhooks and the admin
    assert names <= set(_values(every[0], cast))
    assert any("public/sessions/<slug:slug>/questions/<int:pk>/vote/" in r.template for r in every)


@pytest.fixture
def clients(producer_a, producer_b):
    """The audience, crew of station A (its own) and crew of station B, once per test."""
    crew_a, crew_b = client(), client()
    crew_a.force_login(producer_a)
    crew_b.force_login(producer_b)
    return {"audience": client(), "crew_a": crew_a, "crew_b": crew_b}


@FUZZ
@given(
    route=st.deferred(lambda: st.sampled_from(routes())),
    method=st.sampled_from(METHODS),
    who=st.sampled_from(["audience", "crew_a", "crew_b"]),
    pk=st.one_of(st.none(), big_ints.filter(lambda n: n >= 0)),
    body=bodies,
    content_type=st.sampled_from(CONTENT_TYPES),
    sent_headers=headers,
)
def test_any_route_with_any_body_and_headers_never_answers_a_server_error(
    cast, clients, route, method, who, pk, body, content_type, sent_headers
):
    path = route.path(_values(route, cast, pk))

    with example(clients[who]):
        response = send(
            clients[who], method, path, body=body, content_type=content_type, headers=sent_headers
        )

    assert_no_server_error(response, method, path, who=who, body=body[:200], headers=sent_headers)
