"""Fixtures of the operations tests: the real-time tests' sockets, and health answers made
afresh for every request (no answer kept from a previous test)."""

from __future__ import annotations

import pytest

from socialroom import health
from tests.realtime.conftest import (  # noqa: F401 - fixtures, found by name
    _fresh_coalescer,
    _quiet_heartbeat,
    audience,
    console,
    open_socket,
    overlay,
)


@pytest.fixture(autouse=True)
def _no_kept_health_answer(settings):
    settings.HEALTH_CACHE_SECONDS = 0
    health.recent.until = 0.0
    yield
    health.recent.until = 0.0
