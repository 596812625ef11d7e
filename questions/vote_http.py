"""The vote endpoint's fast path: POST and DELETE on the vote address, answered on the event loop.

Django's ASGI handler runs a synchronous middleware (WhiteNoise) and so every request's
middleware in a worker thread, one request at a time: a few hundred votes a second per process.
``VoteEndpoint`` sits in front of Django and answers the vote's POST and DELETE itself, on the
loop, with the same view code (``questions.public_apis._vote``) and the same middleware hooks:
each ``MiddlewareMixin`` middleware's ``process_request``/``process_view``/``process_response``
runs inline, as none of them does blocking work for this view (it uses no session, user or
messages, and is CSRF-exempt). Every other request, and every other method (OPTIONS, 405),
goes to Django as before.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.exception import response_for_exception
from django.http import HttpResponse
from django.urls import Resolver404, get_resolver, set_urlconf
from django.utils.deprecation import MiddlewareMixin
from django.utils.module_loading import import_string

from questions.public_apis import public_vote_view

_METHODS = frozenset({"POST", "DELETE"})


def _hooks() -> list[MiddlewareMixin]:
    def no_view(request: Any) -> HttpResponse:  # never called: the hooks are called directly
        raise RuntimeError("inline middleware hook only")

    chain = []
    for path in settings.MIDDLEWARE:
        middleware = import_string(path)
        # Only MiddlewareMixin middlewares have hooks to call; the others (WhiteNoise: static
        # files) have nothing to do with this address.
        if isinstance(middleware, type) and issubclass(middleware, MiddlewareMixin):
            chain.append(middleware(no_view))
    return chain


class VoteEndpoint:
    """ASGI app: the vote's POST and DELETE on the loop; everything else to ``app`` (Django)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._chain: list[MiddlewareMixin] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "http" or scope["method"] not in _METHODS:
            return await self.app(scope, receive, send)
        root = scope.get("root_path", "")
        path = scope["path"]
        path_info = path[len(root) :] if root and path.startswith(root) else path
        try:
            match = get_resolver().resolve(path_info)
        except Resolver404:
            return await self.app(scope, receive, send)
        if match.func is not public_vote_view:
            return await self.app(scope, receive, send)
        body = await _read_body(receive)
        if body is None:
            return None  # the client went away
        set_urlconf(None)
        request = ASGIRequest(scope, io.BytesIO(body))
        response = await self._respond(request, match)
        await _send_response(response, send)
        return None

    async def _respond(self, request: ASGIRequest, match: Any) -> HttpResponse:
        if self._chain is None:
            self._chain = _hooks()
        chain = self._chain
        response: HttpResponse | None = None
        ran: list[MiddlewareMixin] = []
        try:
            for middleware in chain:
                ran.append(middleware)
                hook = getattr(middleware, "process_request", None)
                response = hook(request) if hook else None
                if response is not None:
                    break
            if response is None:
                for middleware in chain:
                    hook = getattr(middleware, "process_view", None)
                    response = hook(request, match.func, match.args, match.kwargs) if hook else None
                    if response is not None:
                        break
            if response is None:
                request.resolver_match = match
                response = await match.func(request, *match.args, **match.kwargs)
        except Exception as exc:
            for middleware in reversed(chain):
                hook = getattr(middleware, "process_exception", None)
                response = hook(request, exc) if hook else None
                if response is not None:
                    break
            if response is None:
                response = response_for_exception(request, exc)
        for middleware in reversed(ran):
            hook = getattr(middleware, "process_response", None)
            if hook:
                response = hook(request, response)
        assert response is not None
        return response


async def _read_body(receive: Any) -> bytes | None:
    chunks = []
    size = 0
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:  # a vote has no body: anything beyond is read and dropped
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send_response(response: HttpResponse, send: Any) -> None:
    headers = [(name.encode("ascii"), value.encode("latin-1")) for name, value in response.items()]
    for cookie in response.cookies.values():
        headers.append((b"set-cookie", cookie.output(header="").strip().encode("ascii")))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": response.content})
