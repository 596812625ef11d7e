"""SMS through a Twilio-compatible inbound webhook.

Twilio (or any gateway speaking its protocol) POSTs the message as form fields to
``/ingest/sms/<token>/``; only ``From``, ``Body`` and ``MessageSid`` are read. The request is
signed in ``X-Twilio-Signature``: HMAC-SHA1, keyed with the account's auth token (the feed's
``secret``), over the URL Twilio requested followed by every POST parameter name and value in
sorted order, base64-encoded. The check is the Twilio library's own ``RequestValidator``.

Phone numbers never reach the database: the author is a keyed hash of the number, and the
name shown to the crew is the number masked (``+33 6•• •• •• 78``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import phonenumbers
from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator

from questions.identity import opaque_id
from questions.ingest.base import IncomingMessage

SOURCE = "sms"
REQUIRED_FIELDS = ("From", "Body", "MessageSid")
MASK = "•"


def public_url(request: HttpRequest) -> str:
    """The URL as the sender requested it, which is what the signature covers.

    Behind a proxy that changes the scheme, host or port, set ``INGEST_PUBLIC_BASE_URL`` (e.g.
    ``https://studio.example.org``): the path and query string are appended to it.
    """
    base = getattr(settings, "INGEST_PUBLIC_BASE_URL", "") or ""
    if base:
        return base.rstrip("/") + request.get_full_path()
    return request.build_absolute_uri()


# A signature is base64 of an HMAC: 28 characters (SHA-1) or 44 (SHA-256). Far longer is no
# signature at all, and is not worth hashing the request for.
MAX_SIGNATURE_LENGTH = 128


def signature_is_valid(
    *, secret: str, url: str, params: Mapping[str, object], signature: str
) -> bool:
    if not secret or not signature or len(signature) > MAX_SIGNATURE_LENGTH:
        return False
    try:
        return RequestValidator(secret).validate(url, params, signature)
    except ValueError:
        # The URL's port is not a port (``Host: studio:99999`` passes the allowed hosts, which
        # ignore ports): no request Twilio signed.
        return False


def normalise_number(number: str) -> str:
    """``+33 6 12-34-56 78`` → ``+33612345678``: the same phone always hashes the same way."""
    number = number.strip()
    digits = re.sub(r"\D", "", number)
    if not digits:
        return number
    return ("+" if number.startswith("+") else "") + digits


def country_code(digits: str) -> str:
    """The E.164 country code at the start of an international number's digits."""
    try:
        return str(phonenumbers.parse("+" + digits, None).country_code)
    except phonenumbers.NumberParseException:
        return digits[:1]


def _group(chars: str) -> str:
    # In pairs from the right, as most countries write phone numbers; a lone leading
    # character joins the first pair.
    groups = [chars[max(0, i - 2) : i] for i in range(len(chars), 0, -2)][::-1]
    if len(groups) > 1 and len(groups[0]) == 1:
        groups[1] = groups[0] + groups[1]
        groups.pop(0)
    return " ".join(groups)


def mask_number(number: str) -> str:
    """The number as the crew sees it: country code, first and last two digits, the rest masked.

    ``+33612345678`` → ``+33 6•• •• •• 78``. A short code or a national number keeps only its
    last two digits; a sender name (alphanumeric sender id) is not a phone number and is kept.
    """
    number = normalise_number(number)
    digits = number.lstrip("+")
    if not digits.isdigit():
        return number[:40]
    if number.startswith("+") and len(digits) > 6:
        code = country_code(digits)
        national = digits[len(code) :]
        masked = national[0] + MASK * (len(national) - 3) + national[-2:]
        return f"+{code} {_group(masked)}"
    if len(digits) <= 2:
        return MASK * len(digits)
    return _group(MASK * (len(digits) - 2) + digits[-2:])


def message_from_form(form: Mapping[str, str]) -> IncomingMessage:
    """The question in a Twilio inbound SMS request (fields already checked present)."""
    number = normalise_number(form["From"])
    masked = mask_number(number)
    return IncomingMessage(
        source=SOURCE,
        external_id=form["MessageSid"].strip(),
        text=form["Body"],
        author_platform="sms",
        author_id=opaque_id(number, purpose="sms"),
        author_name=masked,
        author_handle=masked,
    )


def missing_fields(form: Mapping[str, str]) -> list[str]:
    """Required fields absent from the request. An empty ``Body`` is not missing: a picture
    message has none, and is accepted then dropped as an empty question."""
    return [
        name
        for name in REQUIRED_FIELDS
        if name not in form or (name != "Body" and not form[name].strip())
    ]
