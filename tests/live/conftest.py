"""The real-time tests' socket fixtures, for the audience socket's tests here."""

from tests.realtime.conftest import _fresh_coalescer, _quiet_heartbeat, audience, open_socket

__all__ = ["_fresh_coalescer", "_quiet_heartbeat", "audience", "open_socket"]
