"""The API description and its docs page, the admin site, and the demo the studio starts with."""

from __future__ import annotations

import re
from io import StringIO

import pytest
import yaml
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import override_settings
from django.urls import URLPattern, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from live.demo import DEMO_QUESTIONS
from live.models import PostBack, StationAccount
from questions.models import (
    Ban,
    IngestFeed,
    ModerationLogEntry,
    PrivacyLogEntry,
    Question,
    Vote,
)
from socialroom import urls as root_urls
from studio.models import AsRunEntry, Guest, LiveSession, Membership, Station
from tests.factories import QuestionFactory, UserFactory

DEMO_PASSWORD = "demo-password-for-tests"

# Schema and docs ----------------------------------------------------------------------------


def _schema(client) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    return yaml.safe_load(response.content)


def _documented_routes() -> set[tuple[str, str]]:
    """(OpenAPI path, method) for every endpoint in urls.py except the docs themselves."""
    found = set()
    for pattern in root_urls.api:
        if not isinstance(pattern, URLPattern) or pattern.name in {
            None,
            "schema",
            "api-docs",
        }:
            continue
        route = re.sub(
            r"<\w+:(\w+)>",
            lambda m: "{id}" if m.group(1) == "pk" else f"{{{m.group(1)}}}",
            str(pattern.pattern),
        )
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(pattern.callback.cls, method):
                found.add((f"/api/{route}", method))
    return found


def test_the_schema_is_an_openapi_3_document_of_every_public_and_crew_endpoint(db):
    schema = _schema(APIClient())

    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Social Room studio API"
    documented = {
        (path, method)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert _documented_routes() == documented
    assert ("/api/public/sessions/{slug}/questions/", "post") in documented
    assert ("/api/sessions/{id}/on-air/", "delete") in documented


def test_the_schema_marks_crew_endpoints_as_authenticated_and_audience_ones_as_open(db):
    paths = _schema(APIClient())["paths"]

    crew = paths["/api/sessions/{id}/"]["get"]["security"]
    audience = paths["/api/public/sessions/{slug}/questions/"]["post"]["security"]

    assert {name for rule in crew for name in rule} == {"tokenAuth", "cookieAuth"}
    assert audience == [{}]


def test_the_schema_describes_the_audience_headers(db):
    post = _schema(APIClient())["paths"]["/api/public/sessions/{slug}/questions/"]["post"]

    headers = {p["name"] for p in post["parameters"] if p["in"] == "header"}

    assert {"X-Voter-Token", "Idempotency-Key"} <= headers
    assert {"200", "201"} <= set(post["responses"])


def test_the_api_docs_page_serves_swagger_ui_from_local_static_files(db):
    client = APIClient()

    page = client.get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="swagger-ui"' in html
    assert not re.search(r"<script>", html), "inline script would break the CSP"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    start_up = [a for a in assets if a.startswith("/api/docs/")]
    assert len(start_up) == 1
    assert "/api/schema/" in client.get(start_up[0].replace("&amp;", "&")).content.decode()
    for asset in assets:
        assert asset.startswith(("/static/", "/api/docs/")), f"{asset} is not served here"
        assert client.get(asset.replace("&amp;", "&")).status_code == 200, asset
    assert not re.search(r"https?://", html), "the docs page loads something from the internet"


def test_the_site_root_leads_to_the_studio_home(db):
    response = APIClient().get("/")

    assert response.status_code == 302
    assert response["Location"] == "/studio/"


# Admin --------------------------------------------------------------------------------------

READ_ONLY_MODELS = {ModerationLogEntry, AsRunEntry, Vote, PrivacyLogEntry}
# Questions arrive only through the studio, which logs them; the admin can correct them.
# Posts back are made when a question airs.
NO_ADD_MODELS = {*READ_ONLY_MODELS, Question, PostBack}


@pytest.fixture
def superuser_client(db):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def one_of_everything(session_a, producer_a, approved_question):
    """At least one row of every model the admin shows, so every list has something to draw."""
    voter = "f" * 64
    Vote.objects.create(question=approved_question, voter=voter)
    Ban.objects.create(
        station=session_a.station, author=approved_question.author, created_by=producer_a
    )
    ModerationLogEntry.objects.create(
        session=session_a,
        question=approved_question,
        actor=producer_a,
        action="approve",
        from_status="pending",
        to_status="approved",
    )
    aired = QuestionFactory(session=session_a, status="answered", author=None, author_name="X")
    AsRunEntry.objects.create(
        session=session_a,
        question=aired,
        taken_by=producer_a,
        taken_at=timezone.now(),
        ended_at=timezone.now(),
        outcome="answered",
    )
    Token.objects.create(user=producer_a)
    producer_a.groups.add(Group.objects.create(name="Producers"))
    IngestFeed.objects.create(session=session_a, kind="sms", name="Studio SMS line")
    StationAccount.objects.create(
        station=session_a.station,
        network="mastodon",
        service="https://mastodon.example",
        handle="@radio",
        secret="token",
    )
    PostBack.objects.create(question=aired, network="mastodon", text="On air: a question")
    PrivacyLogEntry.objects.create(
        station=session_a.station,
        session=session_a,
        action="retention",
        counts={"questions": 2},
    )


def _admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


ADMIN_MODELS = sorted(admin.site._registry, key=lambda m: m._meta.label)


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_every_admin_list_loads_with_rows_and_with_a_search(
    superuser_client, one_of_everything, model
):
    url = _admin_url(model, "changelist")

    page = superuser_client.get(url)
    searched = superuser_client.get(url, {"q": "a"})

    assert page.status_code == 200
    assert searched.status_code == 200
    assert _admin_url(model, "change", model.objects.first().pk) in page.content.decode()


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label)
def test_every_admin_change_page_loads(superuser_client, one_of_everything, model):
    obj = model.objects.first()

    response = superuser_client.get(_admin_url(model, "change", obj.pk))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "model",
    [m for m in ADMIN_MODELS if m not in NO_ADD_MODELS],
    ids=lambda m: m._meta.label,
)
def test_every_editable_model_has_an_admin_add_page(superuser_client, model):
    response = superuser_client.get(_admin_url(model, "add"))

    assert response.status_code == 200
    assert 'name="_save"' in response.content.decode()


@pytest.mark.parametrize("model", sorted(READ_ONLY_MODELS, key=str), ids=lambda m: m.__name__)
def test_the_logs_and_votes_are_read_only_in_the_admin(superuser_client, one_of_everything, model):
    obj = model.objects.first()
    before = model.objects.count()

    add = superuser_client.get(_admin_url(model, "add"))
    listing = superuser_client.get(_admin_url(model, "changelist")).content.decode()
    change = superuser_client.get(_admin_url(model, "change", obj.pk)).content.decode()
    delete = superuser_client.post(_admin_url(model, "delete", obj.pk), {"post": "yes"})

    assert model in admin.site._registry
    assert add.status_code == 403
    assert _admin_url(model, "add") not in listing
    assert 'name="_save"' not in change
    assert delete.status_code == 403
    assert model.objects.count() == before


def test_the_question_admin_cannot_add_a_question_around_the_studio(superuser_client):
    response = superuser_client.get(_admin_url(Question, "add"))

    assert response.status_code == 403
    assert not Question.objects.exists()


def test_the_question_admin_cannot_change_a_questions_status(superuser_client, approved_question):
    page = superuser_client.get(_admin_url(Question, "change", approved_question.pk))

    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="text"' in html
    assert 'name="status"' not in html
    assert 'name="vote_count"' not in html


def test_every_registered_model_of_the_studio_is_in_the_admin():
    ours = {m for m in admin.site._registry if m._meta.app_label in {"studio", "questions"}}

    assert ours == {
        Station,
        Membership,
        LiveSession,
        Guest,
        AsRunEntry,
        Question,
        Ban,
        ModerationLogEntry,
        Vote,
        IngestFeed,
        PrivacyLogEntry,
    } | {Question.author.field.related_model}


# Demo seed ----------------------------------------------------------------------------------


def _seed(**settings) -> str:
    out = StringIO()
    with override_settings(**settings):
        call_command("seed_demo", "--base-url", "http://studio.test:8000/", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    models = [get_user_model(), Station, Membership, LiveSession, Guest, Question, Vote, Ban]
    return {
        **{m.__name__: m.objects.count() for m in models},
        "log": ModerationLogEntry.objects.count(),
    }


@pytest.mark.django_db
def test_the_demo_seed_creates_a_station_with_a_producer_and_a_host_who_can_log_in():
    output = _seed(DEMO_PASSWORD=DEMO_PASSWORD)

    station = Station.objects.get(slug="radio-demo")
    roles = dict(Membership.objects.filter(station=station).values_list("user__username", "role"))
    assert roles == {"producer": "producer", "host": "host"}
    for username, role in roles.items():
        client = APIClient()
        assert client.login(username=username, password=DEMO_PASSWORD)
        stations = client.get("/api/stations/").json()["results"]
        assert [(s["slug"], s["role"]) for s in stations] == [("radio-demo", role)]
    assert not APIClient().login(username="producer", password="wrong password")
    assert f"producer / {DEMO_PASSWORD}" in output
    assert "http://studio.test:8000/api/docs/" in output


@pytest.mark.django_db
def test_the_demo_seed_creates_a_live_session_with_guests_and_questions_in_every_state():
    _seed(DEMO_PASSWORD=DEMO_PASSWORD)

    session = LiveSession.objects.get(slug="demo-live")
    statuses = set(session.questions.values_list("status", flat=True))
    assert session.status == "live"
    assert session.accepts_questions
    assert session.guests.count() == 2
    assert session.questions.count() == len(DEMO_QUESTIONS) == 30
    assert statuses == {"pending", "approved", "answered", "rejected", "archived"}
    assert session.questions.filter(starred=True).count() == 2
    for question in session.questions.all():
        assert question.vote_count == question.votes.count()


@pytest.mark.django_db
def test_the_demo_audience_sees_the_approved_questions_most_voted_first():
    _seed(DEMO_PASSWORD=DEMO_PASSWORD)

    rows = APIClient().get("/api/public/sessions/demo-live/questions/").json()

    counts = [q["vote_count"] for q in rows["results"]]
    assert rows["count"] == Question.objects.filter(status__in=["approved", "answered"]).count()
    assert counts == sorted(counts, reverse=True)
    assert rows["results"][0]["vote_count"] == 22


@pytest.mark.django_db
def test_running_the_demo_seed_again_creates_nothing_new():
    _seed(DEMO_PASSWORD=DEMO_PASSWORD)
    first = _counts()

    _seed(DEMO_PASSWORD=DEMO_PASSWORD)

    assert _counts() == first
    assert APIClient().login(username="host", password=DEMO_PASSWORD)


@pytest.mark.django_db
def test_without_a_demo_password_one_is_generated_once_and_kept(tmp_path):
    first = _seed(DEMO_PASSWORD="", DATA_DIR=tmp_path)
    second = _seed(DEMO_PASSWORD="", DATA_DIR=tmp_path)

    password = re.search(r"Producer login\s+producer / (\S+)", first).group(1)
    assert f"producer / {password}" in second
    assert len(password) >= 12
    assert APIClient().login(username="producer", password=password)
