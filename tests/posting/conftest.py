from __future__ import annotations

import pytest

from live.models import StationAccount
from tests.posting.fakes import FakeMastodonStatuses, FakePds


@pytest.fixture
def fake_mastodon():
    fake = FakeMastodonStatuses().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_pds():
    fake = FakePds().start()
    yield fake
    fake.stop()


@pytest.fixture
def accounts(station_a, fake_mastodon, fake_pds):
    return [
        StationAccount.objects.create(
            station=station_a,
            network="mastodon",
            service=fake_mastodon.url,
            secret=fake_mastodon.token,
        ),
        StationAccount.objects.create(
            station=station_a,
            network="bluesky",
            service=fake_pds.url,
            handle=fake_pds.handle,
            secret=fake_pds.password,
        ),
    ]


@pytest.fixture
def posting_on(session_a):
    session_a.post_back_enabled = True
    session_a.save(update_fields=["post_back_enabled"])
    return session_a
