"""The station's accounts in the admin: the secret goes in and never comes back out."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from live.models import PostBack, StationAccount
from tests.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "very-secret-token-4242"


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def account(station_a):
    return StationAccount.objects.create(
        station=station_a, network="mastodon", service="https://mastodon.example", secret=SECRET
    )


def test_the_secret_is_never_shown_back(admin_client, account):
    listing = admin_client.get(reverse("admin:live_stationaccount_changelist")).content.decode()
    change = admin_client.get(
        reverse("admin:live_stationaccount_change", args=[account.pk])
    ).content.decode()
    assert "mastodon.example" in listing
    assert SECRET not in listing and SECRET not in change
    assert 'type="password"' in change


def _form(account, **changes):
    data = {
        "station": account.station_id,
        "network": account.network,
        "service": account.service,
        "handle": "@radio",
        "secret": "",
        "enabled": "on",
    }
    return data | changes


def test_a_blank_secret_keeps_the_saved_one_and_a_new_one_replaces_it(admin_client, account):
    url = reverse("admin:live_stationaccount_change", args=[account.pk])
    assert admin_client.post(url, _form(account)).status_code == 302
    account.refresh_from_db()
    assert account.secret == SECRET and account.handle == "@radio"
    assert admin_client.post(url, _form(account, secret="new-token")).status_code == 302
    account.refresh_from_db()
    assert account.secret == "new-token"


def test_a_new_account_needs_its_secret(admin_client, station_a):
    response = admin_client.post(
        reverse("admin:live_stationaccount_add"),
        {
            "station": station_a.pk,
            "network": "bluesky",
            "service": "https://bsky.social",
            "handle": "radio.test",
            "secret": "",
            "enabled": "on",
        },
    )
    assert response.status_code == 200
    assert not StationAccount.objects.exists()


def test_the_admin_lists_the_posts_with_their_links(admin_client, session_a):
    question = QuestionFactory(session=session_a, text="Why?", status="answered")
    PostBack.objects.create(
        question=question,
        network="bluesky",
        text="On air: Why?",
        status="posted",
        link="https://bsky.app/profile/radio.test/post/3kabc",
    )
    page = admin_client.get(reverse("admin:live_postback_changelist")).content.decode()
    assert 'href="https://bsky.app/profile/radio.test/post/3kabc"' in page
