"""Shared REST plumbing: one error body for every 4xx, pagination."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from studio.errors import DomainError
from studio.parsers import RequestTooLarge

logger = logging.getLogger(__name__)

# The largest id SQLite and PostgreSQL store; a bigger one in a request is a 400, not a crash.
MAX_ID = 2**63 - 1


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The one error shape: ``{"error": {"code", "message", "details"}}``."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


_DRF_CODES = {
    RequestTooLarge: "too_large",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "malformed",
    exceptions.ValidationError: "invalid",
}


# The database unreachable (down, restarting, out of connections, a timeout): 503, try again.
DATABASE_DOWN = (OperationalError, InterfaceError)
UNAVAILABLE_MESSAGE = "The studio cannot reach its database: try again in a moment."


def unavailable_body() -> dict[str, Any]:
    return error_body("unavailable", UNAVAILABLE_MESSAGE)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
    if isinstance(exc, DATABASE_DOWN):
        logger.warning("database unavailable: %s", exc)
        return Response(unavailable_body(), status=503)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response

    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        message = "Some fields are invalid."
        details = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
    else:
        message = str(exc.detail)
        details = {}
        # DRF sets `wait` on Throttled; the stubs omit it.
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:  # type: ignore[attr-defined]
            details = {"retry_after_seconds": int(exc.wait)}  # type: ignore[attr-defined]
    response.data = error_body(code, message, details)
    return response


def validated(serializer_class: type[serializers.Serializer], request: Request, **kwargs) -> dict:
    """Validate the request body with ``serializer_class``; a 400 in the one error shape if not."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
