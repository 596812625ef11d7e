"""Request body parsers that keep Django's size limit and never crash on hostile JSON.

DRF's parsers read the whole stream without the ``DATA_UPLOAD_MAX_MEMORY_SIZE``
check that Django applies to ``request.body``; these read at most one byte past it, whatever
``Content-Length`` claims, and answer 413. The API takes no file uploads.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def _bounded(stream: Any) -> io.BytesIO:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return io.BytesIO(stream.read())
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestTooLarge(f"The request body is too large: at most {limit} bytes.")
    return io.BytesIO(body)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(_bounded(stream), media_type, parser_context)
        except RecursionError as exc:
            # json.load gives up on deeply nested input with RecursionError, not ValueError.
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(_bounded(stream), media_type, parser_context)


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(_bounded(stream), media_type, parser_context)
