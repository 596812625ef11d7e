"""Graphics data feeds: the on-air item and the top of the queue, as JSON and XML.

Graphics software (vMix Data Sources, CasparCG, Viz and others) polls these, often several times
a second from several machines: each request costs two or three small queries and no writes.
Authenticated by the session's overlay key (``?key=`` or an ``X-Overlay-Key`` header); no cookies,
so any origin may read them. Only approved and on-air questions ever appear.

The formats are documented for graphics operators in docs/graphics.md; change both together.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from questions.models import Question
from questions.selectors import ranked_queue
from questions.shapes import cue_shape, on_air_shape
from studio.api import error_body
from studio.errors import ValidationFailed
from studio.models import LiveSession
from studio.selectors import guest_in_session, session_for_overlay_key

FORMATS = ("json", "xml")
XML_STYLES = ("rows", "caspar")
QUEUE_DEFAULT = 5
QUEUE_MAX = 50

XML_TYPE = "application/xml; charset=utf-8"

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")

# What XML 1.0 cannot carry at all, not even as a character reference. Stripped from every text
# in every format, so the XML is always well-formed and the JSON says the same thing.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# Compared against when the session does not exist, so an unknown slug and a wrong key take the
# same path and get the same answer.


def clean(value: str) -> str:
    return _NOT_XML.sub("", value)


class FeedError(Exception):
    """An answer other than the feed. With ``param``, ``message`` is the reason that parameter
    was refused."""

    def __init__(self, status: int, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param

    @property
    def text(self) -> str:
        return f"{self.param}: {self.message}" if self.param else self.message


@dataclass(frozen=True)
class Params:
    fmt: str
    style: str
    flat: bool


# --- request plumbing -------------------------------------------------------------------------


def _param(request: HttpRequest, name: str) -> str:
    return request.GET.get(name, "").strip()


def _flag(request: HttpRequest, name: str) -> bool:
    value = _param(request, name).lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise FeedError(400, "invalid", "Use 1 or 0.", name)


def _whole_number(request: HttpRequest, name: str, low: int, high: int) -> int | None:
    value = _param(request, name)
    if not value:
        return None
    # The length check comes first: int() of a huge digit string is slow, then refused.
    ok = len(value) <= len(str(high)) and value.isascii() and value.isdigit()
    if not ok or not low <= int(value) <= high:
        raise FeedError(400, "invalid", f"Give a whole number from {low} to {high}.", name)
    return int(value)


def _params(request: HttpRequest, fmt: str) -> Params:
    style = _param(request, "style").lower() or "rows"
    if style not in XML_STYLES:
        raise FeedError(400, "invalid", "Use rows or caspar.", "style")
    return Params(fmt=fmt, style=style, flat=_flag(request, "flat"))


def _authorised_session(request: HttpRequest, slug: str) -> LiveSession:
    given = request.headers.get("X-Overlay-Key") or request.GET.get("key", "")
    session = session_for_overlay_key(slug, given)
    if session is None:
        raise FeedError(403, "bad_key", "Unknown session or wrong overlay key.")
    return session


def _finish(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    # Polled by graphics machines and by HTML templates served from other hosts: never cached,
    # readable from any origin (the key is the credential; no cookie is read).
    response["Cache-Control"] = "no-store"
    response["Access-Control-Allow-Origin"] = "*"
    if request.method == "HEAD":
        length = len(response.content)
        response.content = b""
        response["Content-Length"] = str(length)
    return response


def _xml_response(root: ET.Element, *, status: int = 200, declaration: bool = True) -> HttpResponse:
    body = ET.tostring(root, encoding="unicode")
    if declaration:
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + body
    return HttpResponse(body.encode("utf-8"), content_type=XML_TYPE, status=status)


def _error(exc: FeedError, fmt: str) -> HttpResponse:
    if fmt == "xml":
        root = ET.Element("error", code=exc.code)
        if exc.param:
            root.set("param", exc.param)
        root.text = exc.text
        return _xml_response(root, status=exc.status)
    details = {exc.param: [exc.message]} if exc.param else {}
    return JsonResponse(error_body(exc.code, exc.text, details), status=exc.status)


def _preflight() -> HttpResponse:
    # A browser asks before sending the X-Overlay-Key header from another origin.
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = "GET, HEAD"
    response["Access-Control-Allow-Headers"] = "X-Overlay-Key"
    response["Access-Control-Max-Age"] = "86400"
    return response


Build = Callable[[HttpRequest, LiveSession, Params], HttpResponse]


def feed(build: Build) -> Callable[[HttpRequest, str, str], HttpResponse]:
    """A feed view: method, format, key and parameters checked in that order, one error shape."""

    @csrf_exempt  # no cookie is read and nothing is written: a POST gets 405, not a CSRF page
    @wraps(build)
    def view(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
        shown_as = fmt if fmt in FORMATS else "json"
        if request.method == "OPTIONS":
            return _finish(request, _preflight())
        if request.method not in ("GET", "HEAD"):
            error = FeedError(405, "method_not_allowed", "Only GET and HEAD are allowed.")
            response = _error(error, shown_as)
            response["Allow"] = "GET, HEAD, OPTIONS"
            return _finish(request, response)
        try:
            if fmt not in FORMATS:
                raise FeedError(404, "not_found", "Unknown format: use .json or .xml.")
            session = _authorised_session(request, slug)
            response = build(request, session, _params(request, fmt))
        except FeedError as exc:
            response = _error(exc, shown_as)
        return _finish(request, response)

    return view


# --- rendering --------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A field as the row formats carry it: always a string, empty for nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return clean(str(value))


def _rows_xml(tag: str, rows: list[dict[str, Any]], updated_at: str) -> HttpResponse:
    root = ET.Element(tag, updated_at=updated_at)
    for row in rows:
        item = ET.SubElement(root, "item")
        for name, value in row.items():
            ET.SubElement(item, name).text = _text(value)
    return _xml_response(root)


def _caspar_xml(components: list[tuple[str, dict[str, Any]]]) -> HttpResponse:
    """CasparCG template data: ``<componentData id=..><data id=.. value=../>`` per component.

    No XML declaration, so the body can go as it is into ``CG ADD`` / ``CG UPDATE``.
    """
    root = ET.Element("templateData")
    for component_id, values in components:
        component = ET.SubElement(root, "componentData", id=component_id)
        for data_id, value in values.items():
            ET.SubElement(component, "data", id=data_id, value=_text(value))
    return _xml_response(root, declaration=False)


# --- on air -----------------------------------------------------------------------------------

ON_AIR_FIELDS = ("id", "text", "author", "guest", "guest_id", "guest_title", "source")


def _on_air_question(shape: dict[str, Any]) -> dict[str, Any] | None:
    q = shape["question"]
    if q is None:
        return None
    guest = q["guest"]
    return {
        "id": q["id"],
        "text": clean(q["text"]),
        "author": clean(q["author_name"]),
        "guest": clean(guest["name"]) if guest else None,
        "guest_id": guest["id"] if guest else None,
        "guest_title": clean(guest["title"]) if guest else None,
        "source": q["source"],
    }


@feed
def on_air(request: HttpRequest, session: LiveSession, params: Params) -> HttpResponse:
    """What is on air now, or an empty item when nothing is (so a bound title clears)."""
    shape = on_air_shape(session.pk)
    question = _on_air_question(shape)
    updated_at = timezone.now().isoformat()
    row = {
        "on_air": question is not None,
        **(question or dict.fromkeys(ON_AIR_FIELDS)),
        "taken_at": shape["taken_at"],
    }
    return _one_item(
        params,
        "onair",
        row,
        updated_at,
        {
            "on_air": question is not None,
            "question": question,
            "taken_at": shape["taken_at"],
            "updated_at": updated_at,
        },
    )


def _one_item(
    params: Params, element: str, row: dict[str, Any], updated_at: str, body: dict[str, Any]
) -> HttpResponse:
    """A feed of one lower-third item (on air, or cued): CasparCG template data (f0 text, f1
    author, f2 guest, f3 guest title), XML rows, flat JSON rows, or ``body`` as JSON."""
    if params.fmt == "xml":
        if params.style == "caspar":
            return _caspar_xml(
                [
                    ("f0", {"text": row["text"]}),
                    ("f1", {"text": row["author"]}),
                    ("f2", {"text": row["guest"]}),
                    ("f3", {"text": row["guest_title"]}),
                ]
            )
        return _rows_xml(element, [row], updated_at)
    if params.flat:
        return JsonResponse([{k: _text(v) for k, v in row.items()}], safe=False)
    return JsonResponse(body)


# --- preview ----------------------------------------------------------------------------------

PREVIEW_FIELDS = ("id", "text", "author", "guest", "guest_id", "guest_title", "source")


@feed
def preview(request: HttpRequest, session: LiveSession, params: Params) -> HttpResponse:
    """The question cued to air next, in the on-air feed's formats, or an empty item when none
    is cued: what a preview (PVW) output shows before the host takes it."""
    question = _on_air_question(cue_shape(session.pk))
    updated_at = timezone.now().isoformat()
    row = {"cued": question is not None, **(question or dict.fromkeys(PREVIEW_FIELDS))}
    return _one_item(
        params,
        "preview",
        row,
        updated_at,
        {"cued": question is not None, "question": question, "updated_at": updated_at},
    )


# --- queue ------------------------------------------------------------------------------------

QUEUE_FIELDS = ("rank", "id", "text", "author", "guest", "guest_id", "guest_title", "votes")


def _queue_item(rank: int, q: Question) -> dict[str, Any]:
    guest = q.target_guest
    return {
        "rank": rank,
        "id": q.pk,
        "text": clean(q.text),
        "author": clean(q.author_name),
        "guest": clean(guest.name) if guest else None,
        "guest_id": guest.pk if guest else None,
        "guest_title": clean(guest.title) if guest else None,
        "votes": q.vote_count,
        "starred": q.starred,
    }


def _blank_item() -> dict[str, Any]:
    return {**dict.fromkeys(QUEUE_FIELDS), "starred": None}


@feed
def queue(request: HttpRequest, session: LiveSession, params: Params) -> HttpResponse:
    """The top ``n`` approved questions in the host's order. The row formats always hold ``n``
    rows, blank past the end of the queue, so a title bound to row 3 clears when it empties."""
    n = _whole_number(request, "n", 1, QUEUE_MAX) or QUEUE_DEFAULT
    guest = _whole_number(request, "guest", 1, 2**63 - 1)
    if guest is not None:
        try:
            guest_in_session(session_id=session.pk, guest_id=guest)
        except ValidationFailed as exc:
            # The feeds' own wording, as docs/graphics.md shows it.
            raise FeedError(400, "invalid", "No such guest in this session.", "guest") from exc
    items = [
        _queue_item(rank, q)
        for rank, q in enumerate(ranked_queue(session, guest=guest, limit=n), start=1)
    ]
    updated_at = timezone.now().isoformat()
    rows = items + [_blank_item() for _ in range(n - len(items))]
    if params.fmt == "xml":
        if params.style == "caspar":
            return _caspar_xml(
                [
                    (
                        f"q{place}",
                        {k: row[k] for k in ("text", "author", "guest", "votes", "starred")},
                    )
                    for place, row in enumerate(rows, start=1)
                ]
            )
        return _rows_xml("queue", rows, updated_at)
    if params.flat:
        return JsonResponse([{k: _text(v) for k, v in row.items()} for row in rows], safe=False)
    return JsonResponse({"items": items, "updated_at": updated_at})
