"""Websocket routes. The live studio sockets are added here."""

from __future__ import annotations

websocket_urlpatterns: list = []
