"""The server process's event loop, for work handed over from database threads.

Sockets run on one event loop per server process; services run in database threads. A thread
that has something for the sockets (committed events, coalesced vote counts) hands it to that
loop and goes on, rather than waiting for the loop to do it. ``event_loop()`` is the loop the
caller runs on, or else the loop the server process serves on (remembered by
``BindEventLoop``, the outermost ASGI wrapper), or ``None`` outside a server (a management
command, a worker, a synchronous test), where the caller does the work itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

_bound_loop: asyncio.AbstractEventLoop | None = None


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def server_loop() -> asyncio.AbstractEventLoop | None:
    """The server's loop when called from another thread while it runs; else None (on the loop
    itself, or outside a server)."""
    if _running_loop() is not None:
        return None
    loop = _bound_loop
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    return loop


def event_loop() -> asyncio.AbstractEventLoop | None:
    """The running loop when called on one; else the server's loop while it runs; else None."""
    return _running_loop() or server_loop()


class BindEventLoop:
    """ASGI wrapper that remembers the server's event loop."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        global _bound_loop
        loop = asyncio.get_running_loop()
        if _bound_loop is not loop:
            _bound_loop = loop
        return await self.app(scope, receive, send)
