"""Inbound webhooks: SMS (Twilio-compatible) and signed JSON.

Both answer at once and hand the message to ``questions.tasks.ingest_message``: run in the
request where Celery is eager (the embedded studio, tests), on a worker in production. A message
delivered twice (a gateway's retry) makes one question: the task is idempotent per message id.
Errors are the API's one shape, ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from questions.ingest import sms as sms_source
from questions.ingest import webhook as webhook_source
from questions.models import FeedKind, IngestFeed
from questions.selectors import feed_for_token
from questions.tasks import ingest_message
from studio.api import error_body

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _error(status: int, code: str, message: str, details: Any = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, details), status=status)


def _not_found() -> JsonResponse:
    return _error(404, "not_found", "No such feed.")


def _method_not_allowed() -> JsonResponse:
    response = _error(405, "method_not_allowed", "Only POST is accepted here.")
    response["Allow"] = "POST"
    return response


def _too_large() -> JsonResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _error(413, "too_large", f"The request body is too large: at most {limit} bytes.")


def _queue(feed: IngestFeed, message: dict[str, Any]) -> JsonResponse | None:
    """Hand the message to the worker; a 503 the sender retries when the broker is down."""
    try:
        ingest_message.delay(feed.pk, message)
    except (KombuOperationalError, RedisError, OSError):
        logger.warning("could not queue a message of feed %s: broker unreachable", feed.pk)
        response = _error(
            503, "unavailable", "Messages cannot be queued right now: send it again shortly."
        )
        response["Retry-After"] = "5"
        return response
    return None


def _body(request: HttpRequest) -> bytes:
    """The raw body, within ``DATA_UPLOAD_MAX_MEMORY_SIZE`` whatever Content-Length says."""
    body = request.body  # raises RequestDataTooBig on a declared length over the limit
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and len(body) > limit:
        raise RequestDataTooBig
    return body


@csrf_exempt
def sms(request: HttpRequest, token: str) -> HttpResponse:
    """Twilio's inbound message webhook: answers an empty TwiML response."""
    if request.method != "POST":
        return _method_not_allowed()
    feed = feed_for_token(token=token, kind=FeedKind.SMS)
    if feed is None:
        return _not_found()
    try:
        form = request.POST
    except RequestDataTooBig:
        return _too_large()
    except TooManyFieldsSent:
        return _error(400, "malformed", "Too many form fields.")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not sms_source.signature_is_valid(
        secret=feed.secret, url=sms_source.public_url(request), params=form, signature=signature
    ):
        return _error(
            403,
            "bad_signature",
            "The X-Twilio-Signature header is missing or does not match this request.",
        )
    missing = sms_source.missing_fields(form)
    if missing:
        return _error(
            400,
            "invalid",
            "Required fields are missing.",
            {name: "required" for name in missing},
        )
    if form["Body"].strip():
        refused = _queue(feed, sms_source.message_from_form(form).to_dict())
        if refused is not None:
            return refused
    return HttpResponse(EMPTY_TWIML, content_type="text/xml; charset=utf-8")


@csrf_exempt
def webhook(request: HttpRequest, token: str) -> HttpResponse:
    """The signed JSON webhook: 202 ``{"accepted": true}`` once the message is queued."""
    if request.method != "POST":
        return _method_not_allowed()
    feed = feed_for_token(token=token, kind=FeedKind.WEBHOOK)
    if feed is None:
        return _not_found()
    try:
        body = _body(request)
    except RequestDataTooBig:
        return _too_large()
    try:
        webhook_source.verify(
            secret=feed.secret,
            body=body,
            signature=request.headers.get(webhook_source.SIGNATURE_HEADER),
            timestamp=request.headers.get(webhook_source.TIMESTAMP_HEADER),
        )
        message = webhook_source.parse(body)
    except webhook_source.WebhookRefused as exc:
        return _error(exc.status, exc.code, exc.message, exc.details)
    if not feed.session.accepts_questions:
        return _error(409, "session_closed", "This session is not taking questions right now.")
    return _queue(feed, message.to_dict()) or JsonResponse({"accepted": True}, status=202)
