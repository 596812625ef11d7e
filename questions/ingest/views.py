"""Inbound webhooks: SMS (Twilio-compatible) and signed JSON."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse


def sms(request: HttpRequest, token: str) -> HttpResponse:
    return JsonResponse({"error": "not yet"}, status=501)


def webhook(request: HttpRequest, token: str) -> HttpResponse:
    return JsonResponse({"error": "not yet"}, status=501)
