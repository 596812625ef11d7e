"""Fault drills on the real services: Daphne processes on PostgreSQL and Redis (docs/deployment.md,
*Fault drills*). Like tests/multiprocess, they skip without ``DATABASE_URL=postgres://…`` and
``REDIS_URL``, and fail instead with ``REQUIRE_POSTGRES=1`` (CI). The servers use a database of
their own and Redis database 8."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.live_server import LiveStudio
from tests.multiprocess.conftest import SERVER_ENV, SETUP, _require_postgres_and_redis

REDIS_DB = 8
# The socket cap the drills run with: small enough to reach quickly, large enough to matter.
SOCKETS_PER_ADDRESS = 200


@pytest.fixture(scope="package")
def proxied_studio(tmp_path_factory) -> Iterator[tuple[LiveStudio, str]]:
    """One Daphne process behind a (simulated) proxy: ``NUM_PROXIES=1``, so a test chooses each
    socket's client address with ``X-Forwarded-For``; and the crew login it accepts."""
    _require_postgres_and_redis()
    import redis

    redis_url = urlsplit(os.environ["REDIS_URL"])._replace(path=f"/{REDIS_DB}").geturl()
    own_redis = redis.Redis.from_url(redis_url)
    own_redis.flushdb()
    server = LiveStudio(
        tmp_path_factory.mktemp("drills"),
        redis_db=REDIS_DB,
        database_prefix="sr_drills",
        env=SERVER_ENV
        | {"NUM_PROXIES": "1", "AUDIENCE_SOCKETS_PER_ADDRESS": str(SOCKETS_PER_ADDRESS)},
        name="studio",
    )
    try:
        server.manage("migrate", "--noinput")
        crew_cookie = server.shell(SETUP).strip().splitlines()[-1]
        server.start()
        yield server, crew_cookie
    finally:
        server.stop()
        server.drop_database()
        own_redis.flushdb()
