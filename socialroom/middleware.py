"""The database unreachable answers 503 ``unavailable`` on every page, feed and webhook.

The API's views answer it themselves (``studio.api.exception_handler``); this catches what
the other views raise, which Django would otherwise answer with a bare 500.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin

from studio.api import DATABASE_DOWN, unavailable_body

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    # MiddlewareMixin: sync and async capable, so the ASGI handler adds no thread hop for it.

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, DATABASE_DOWN):
            return None
        logger.warning("database unavailable (%s %s): %s", request.method, request.path, exc)
        return JsonResponse(unavailable_body(), status=503)
