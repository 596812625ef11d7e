"""Graphics data feeds: the on-air item and the top of the queue, as JSON and XML.

Authenticated by the session's overlay key (``?key=``). See docs/graphics.md.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse


def on_air(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    return JsonResponse({"error": "not yet"}, status=501)


def queue(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    return JsonResponse({"error": "not yet"}, status=501)
