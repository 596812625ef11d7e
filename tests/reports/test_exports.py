"""Exports of a session: streamed CSV and JSON for producers, with nothing that identifies an
audience member and nothing of another station."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import tracemalloc
import warnings
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.asgi import get_asgi_application
from django.db import connections
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from questions.identity import opaque_id, voter_id
from questions.models import Author, ModerationLogEntry, Question, Vote
from reports import exports
from reports.exports import EXPORTS
from studio.models import AsRunEntry
from tests.factories import (
    AuthorFactory,
    LiveSessionFactory,
    MembershipFactory,
    QuestionFactory,
    UserFactory,
)

T0 = datetime(2026, 12, 3, 15, 30, 0, tzinfo=UTC)
PHONE = "+33 6 12 34 56 78"
PHONE_DIGITS = "612345678"
VOTERS = [voter_id(f"audience-token-{n}") for n in range(4)]

QUESTION_COLUMNS = [
    "id",
    "created_at",
    "source",
    "status",
    "text",
    "air_text",
    "author_name",
    "author_platform",
    "author_ref",
    "author_followers",
    "target_guest",
    "votes",
    "starred",
    "flags",
    "duplicate_of",
    "approved_at",
    "answered_at",
    "first_aired_at",
]


def _at(question_or_model, **fields) -> None:
    """Set auto_now_add times, which ``create`` ignores."""
    type(question_or_model).objects.filter(pk=question_or_model.pk).update(**fields)


@pytest.fixture
def seeded(session_a, session_b, producer_a, moderator_a):
    """Three questions of station A (web, SMS, Mastodon), their votes, an as-run entry and
    moderation log; one question of station B."""
    guest = session_a.guests.get()
    fan = AuthorFactory(platform="web", display_name="Aya Fan")
    web = QuestionFactory(
        session=session_a,
        text="How do you write a song?",
        author=fan,
        source="web",
        status="approved",
        starred=True,
        vote_count=3,
        target_guest=guest,
        flags=[{"code": "shouting", "reason": "x"}, {"code": "link", "reason": "y"}],
        approved_at=T0 + timedelta(seconds=40),
    )
    _at(web, created_at=T0)

    sms_author = Author.objects.create(
        platform="sms", external_id=opaque_id("+33612345678", purpose="sms"), display_name=PHONE
    )
    sms = QuestionFactory(
        session=session_a,
        text=f"Call me back on {PHONE} please?",
        author=sms_author,
        author_name=PHONE,
        source="sms",
        external_id="SM0123456789abcdef",
        status="rejected",
    )
    _at(sms, created_at=T0 + timedelta(seconds=20))

    toot_author = AuthorFactory(
        platform="mastodon", external_id="109876543210", display_name="Zoé", followers_count=1200
    )
    toot = QuestionFactory(
        session=session_a,
        text="Quand sort le prochain album ?",
        air_text="Le prochain album ?",
        air_name="Z.",
        author=toot_author,
        author_name="Zoé",
        source="social:mastodon",
        external_id="https://mastodon.example/@zoe/1",
        status="answered",
        vote_count=1,
        approved_at=T0 + timedelta(minutes=1),
        answered_at=T0 + timedelta(minutes=3, seconds=35),
    )
    _at(toot, created_at=T0 + timedelta(seconds=50))

    for n, (question, at) in enumerate(
        [
            (web, T0 + timedelta(seconds=5)),
            (web, T0 + timedelta(seconds=59)),
            (web, T0 + timedelta(minutes=1, seconds=1)),
            (toot, T0 + timedelta(minutes=1, seconds=30)),
        ]
    ):
        vote = Vote.objects.create(question=question, voter=VOTERS[n])
        _at(vote, created_at=at)

    AsRunEntry.objects.create(
        session=session_a,
        question=toot,
        taken_by=producer_a,
        taken_at=T0 + timedelta(minutes=2),
        ended_by=producer_a,
        ended_at=T0 + timedelta(minutes=3, seconds=35),
        outcome="answered",
    )

    entries = [
        (None, sms, "submit", "", "rejected", "Banned author.", {"author": sms_author.pk}),
        (moderator_a, web, "approve", "pending", "approved", "", {}),
        (
            moderator_a,
            toot,
            "edit",
            "approved",
            "approved",
            "",
            {"text": f"Text me at {PHONE}", "voter": VOTERS[0], "phone": PHONE, "field": "text"},
        ),
    ]
    for n, (actor, question, action, before, after, reason, details) in enumerate(entries):
        entry = ModerationLogEntry.objects.create(
            session=session_a,
            question=question,
            actor=actor,
            action=action,
            from_status=before,
            to_status=after,
            reason=reason,
            details=details,
        )
        _at(entry, created_at=T0 + timedelta(minutes=n))

    other = QuestionFactory(session=session_b, text="Station B secret question?", status="approved")
    Vote.objects.create(question=other, voter=voter_id("station-b-voter"))
    ModerationLogEntry.objects.create(
        session=session_b, question=other, action="approve", reason="Station B reason"
    )
    return {"web": web, "sms": sms, "toot": toot, "other": other, "fan": fan}


def _url(session, kind: str, fmt: str) -> str:
    return reverse("session-export", kwargs={"pk": session.pk, "kind": kind, "fmt": fmt})


def _body(response) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def _csv(response) -> tuple[list[str], list[dict[str, str]]]:
    body = _body(response)
    assert body.startswith(b"\xef\xbb\xbf"), "no byte order mark: spreadsheets guess the encoding"
    reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


@pytest.fixture
def producer(api_as, producer_a):
    return api_as(producer_a)


# What the files hold -----------------------------------------------------------------------


def test_the_questions_csv_has_a_header_and_one_row_per_question_of_the_session(
    producer, session_a, seeded
):
    response = producer.get(_url(session_a, "questions", "csv"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="live-a-questions-\d{8}-\d{4}\.csv"',
        response["Content-Disposition"],
    )
    header, rows = _csv(response)
    assert header == QUESTION_COLUMNS
    assert [int(r["id"]) for r in rows] == [seeded["web"].pk, seeded["sms"].pk, seeded["toot"].pk]
    web, sms, toot = rows
    assert web == {
        "id": str(seeded["web"].pk),
        "created_at": "2026-12-03T15:30:00Z",
        "source": "web",
        "status": "approved",
        "text": "How do you write a song?",
        "air_text": "",
        "author_name": "Aya Fan",
        "author_platform": "web",
        "author_ref": web["author_ref"],
        "author_followers": "",
        "target_guest": "Aya Lune",
        "votes": "3",
        "starred": "true",
        "flags": "shouting;link",
        "duplicate_of": "",
        "approved_at": "2026-12-03T15:30:40Z",
        "answered_at": "",
        "first_aired_at": "",
    }
    assert re.fullmatch(r"[0-9a-f]{16}", web["author_ref"])
    assert len({web["author_ref"], sms["author_ref"], toot["author_ref"]}) == 3
    assert (toot["source"], toot["status"], toot["air_text"]) == (
        "social:mastodon",
        "answered",
        "Le prochain album ?",
    )
    assert (toot["author_followers"], toot["author_platform"]) == ("1200", "mastodon")
    assert (toot["answered_at"], toot["first_aired_at"]) == (
        "2026-12-03T15:33:35Z",
        "2026-12-03T15:32:00Z",
    )
    assert sms["starred"] == "false"


def test_an_sms_question_exports_without_the_phone_number_in_its_text_or_sender(
    producer, session_a, seeded
):
    for fmt in ("csv", "json"):
        body = _body(producer.get(_url(session_a, "questions", fmt))).decode("utf-8-sig")

        assert "Call me back on [phone] please?" in body
        assert PHONE not in body
        assert PHONE_DIGITS not in body.replace(" ", "")
    _, rows = _csv(producer.get(_url(session_a, "questions", "csv")))
    assert (rows[1]["source"], rows[1]["author_name"]) == ("sms", "[phone]")


def test_the_questions_json_is_an_array_of_one_object_per_question(producer, session_a, seeded):
    response = producer.get(_url(session_a, "questions", "json"))

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].endswith('.json"')
    rows = json.loads(_body(response))
    assert [list(r) for r in rows] == [QUESTION_COLUMNS] * 3
    web = rows[0]
    assert (web["starred"], web["flags"], web["votes"], web["duplicate_of"]) == (
        True,
        ["shouting", "link"],
        3,
        None,
    )
    assert rows[2]["author_followers"] == 1200


def test_the_author_reference_is_the_same_in_the_questions_and_the_moderation_log(
    producer, session_a, seeded
):
    questions = json.loads(_body(producer.get(_url(session_a, "questions", "json"))))
    log = json.loads(_body(producer.get(_url(session_a, "moderation", "json"))))

    assert log[0]["details"] == {"author_ref": questions[1]["author_ref"]}


def test_votes_are_counted_per_question_per_minute(producer, session_a, seeded):
    header, rows = _csv(producer.get(_url(session_a, "votes", "csv")))

    assert header == ["question_id", "minute", "votes"]
    web, toot = seeded["web"].pk, seeded["toot"].pk
    assert rows == [
        {"question_id": str(web), "minute": "2026-12-03T15:30:00Z", "votes": "2"},
        {"question_id": str(web), "minute": "2026-12-03T15:31:00Z", "votes": "1"},
        {"question_id": str(toot), "minute": "2026-12-03T15:31:00Z", "votes": "1"},
    ]
    assert json.loads(_body(producer.get(_url(session_a, "votes", "json"))))[0] == {
        "question_id": web,
        "minute": "2026-12-03T15:30:00Z",
        "votes": 2,
    }


def test_the_as_run_log_says_what_aired_when_for_how_long_and_who_took_it(
    producer, session_a, seeded
):
    header, rows = _csv(producer.get(_url(session_a, "as-run", "csv")))

    assert header == list(EXPORTS["as-run"].columns)
    assert rows == [
        {
            "question_id": str(seeded["toot"].pk),
            "taken_at": "2026-12-03T15:32:00Z",
            "ended_at": "2026-12-03T15:33:35Z",
            "duration_seconds": "95.0",
            "taken_by": "alice",
            "ended_by": "alice",
            "outcome": "answered",
            "text": "Le prochain album ?",
            "name": "Z.",
            "source": "social:mastodon",
        }
    ]


def test_the_moderation_log_says_who_did_what_and_keeps_no_voter_id_or_phone_in_details(
    producer, session_a, seeded
):
    header, rows = _csv(producer.get(_url(session_a, "moderation", "csv")))

    assert header == [
        "at",
        "question_id",
        "action",
        "from_status",
        "to_status",
        "actor",
        "reason",
        "details",
    ]
    assert [(r["action"], r["actor"], r["reason"]) for r in rows] == [
        ("submit", "", "Banned author."),
        ("approve", "mona", ""),
        ("edit", "mona", ""),
    ]
    assert rows[1]["at"] == "2026-12-03T15:31:00Z"
    assert json.loads(rows[2]["details"]) == {"field": "text", "text": "Text me at [phone]"}


def test_no_export_holds_a_voter_id_a_phone_number_an_external_id_or_another_station(
    producer, session_a, seeded
):
    secrets = [
        *VOTERS,
        voter_id("station-b-voter"),
        PHONE,
        "+33612345678",
        seeded["fan"].external_id,
        seeded["sms"].author.external_id,
        seeded["sms"].external_id,
        "109876543210",
        "mastodon.example",
        "Station B",
    ]
    for kind in EXPORTS:
        for fmt in ("csv", "json"):
            body = _body(producer.get(_url(session_a, kind, fmt))).decode("utf-8-sig")
            for secret in secrets:
                assert secret not in body, f"{secret!r} in the {kind}.{fmt} export"


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_kept_as_text(producer, session_a):
    QuestionFactory(session=session_a, text='=HYPERLINK("http://evil.example","x")')

    _, rows = _csv(producer.get(_url(session_a, "questions", "csv")))

    assert rows[0]["text"] == '\'=HYPERLINK("http://evil.example","x")'
    rows = json.loads(_body(producer.get(_url(session_a, "questions", "json"))))
    assert rows[0]["text"] == '=HYPERLINK("http://evil.example","x")'


def test_an_empty_session_exports_a_header_or_an_empty_array(producer, session_a):
    for kind, export in EXPORTS.items():
        header, rows = _csv(producer.get(_url(session_a, kind, "csv")))
        assert (header, rows) == (list(export.columns), [])
        assert json.loads(_body(producer.get(_url(session_a, kind, "json")))) == []


# Who may export ----------------------------------------------------------------------------


def test_a_moderator_is_told_only_producers_may_export(api_as, moderator_a, session_a):
    response = api_as(moderator_a).get(_url(session_a, "questions", "csv"))

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "permission_denied"
    assert error["message"] == "Only the station's producers may export a session's data."
    assert error["details"] == {"role": "moderator", "needs": "manage"}


def test_another_station_gets_the_same_404_as_a_session_that_does_not_exist(
    api_as, producer_b, session_a, seeded
):
    client = api_as(producer_b)

    theirs = client.get(_url(session_a, "questions", "csv"))
    missing = client.get(
        reverse("session-export", kwargs={"pk": 999999, "kind": "questions", "fmt": "csv"})
    )

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert b"secret" not in theirs.content


def test_the_audience_gets_nothing(api, session_a, seeded):
    response = api.get(_url(session_a, "questions", "csv"))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_an_unknown_export_or_format_is_refused_with_a_reason(producer, session_a):
    kind = producer.get(_url(session_a, "answers", "csv"))
    fmt = producer.get(_url(session_a, "questions", "xlsx"))

    assert kind.status_code == 404
    assert kind.json()["error"]["code"] == "unknown_export"
    assert kind.json()["error"]["message"] == (
        "There is no answers export: the exports are questions, votes, as-run, moderation."
    )
    assert fmt.status_code == 400
    assert fmt.json()["error"] == {
        "code": "unknown_format",
        "message": "There is no xlsx format: exports come as csv or json.",
        "details": {"format": "xlsx", "accepted": ["csv", "json"]},
    }


def test_a_producer_exports_with_a_token_or_from_the_browser(producer_a, session_a, seeded):
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=producer_a).key}")
    browser = Client()
    browser.force_login(producer_a)

    for client in (token, browser):
        response = client.get(_url(session_a, "as-run", "csv"))
        assert response.status_code == 200
        assert len(_csv(response)[1]) == 1


# Streaming ---------------------------------------------------------------------------------

MANY = 20_000


@pytest.fixture
def big_session(session_a, monkeypatch):
    # Rows read per round trip: a few hundred, so that holding one batch is far from holding
    # them all (with the default 2,000 the margin would be a factor of a few).
    monkeypatch.setattr(exports, "EXPORT_CHUNK_ROWS", 500)
    Question.objects.bulk_create(
        [
            Question(
                session=session_a,
                text=f"Question {n} about the album, the tour and the songs we love?",
                author_name=f"Listener {n}",
                source="web",
                status="approved",
            )
            for n in range(MANY)
        ],
        batch_size=2000,
    )
    return session_a


def _loaded_peak(session) -> int:
    """Memory it takes to hold the session's questions at once, as the export reads them."""
    tracemalloc.start()
    try:
        rows = list(
            Question.objects.filter(session=session).values_list(
                "id", "created_at", "source", "status", "text", "air_text", "author_name"
            )
        )
        assert len(rows) == MANY
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_large_export_is_read_and_sent_chunk_by_chunk(producer, big_session):
    response = producer.get(_url(big_session, "questions", "csv"))
    assert isinstance(response, StreamingHttpResponse)

    tracemalloc.start()
    try:
        chunks = 0
        size = 0
        lines = 0
        for chunk in response.streaming_content:
            chunks += 1
            size += len(chunk)
            lines += chunk.count(b"\n")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert lines == MANY + 1
    assert chunks >= size // (64 * 1024)
    assert chunks > 20
    # Neither the rows nor the file are ever held whole.
    assert peak < size / 2, (peak, size)
    assert peak < _loaded_peak(big_session) / 5


def test_under_asgi_a_large_export_is_streamed_without_reading_it_whole_first(
    producer, big_session
):
    response = producer.get(_url(big_session, "questions", "json"))

    async def consume() -> tuple[int, int]:
        chunks = size = 0
        async for chunk in response:
            chunks += 1
            size += len(chunk)
        return chunks, size

    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            # Django warns when it reads a synchronous iterator whole to serve it under ASGI.
            warnings.simplefilter("error")
            chunks, size = async_to_sync(consume)()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert chunks > 20
    assert peak < size / 4, (peak, size)
    assert peak < _loaded_peak(big_session) / 5


@pytest.mark.django_db(transaction=True)
async def test_through_the_asgi_server_the_export_arrives_in_many_body_messages(monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_CHUNK_ROWS", 100)
    monkeypatch.setattr(exports, "CHUNK_CHARS", 4096)

    def seed() -> tuple[int, str]:
        user = UserFactory(username="paula")
        session = LiveSessionFactory(slug="late-show")
        MembershipFactory(station=session.station, user=user, role="producer")
        Question.objects.bulk_create(
            Question(session=session, text=f"Question {n}?", source="web") for n in range(1000)
        )
        return session.pk, Token.objects.create(user=user).key

    pk, key = await sync_to_async(seed)()
    # The thread that seeded keeps its connection; the test database can only be dropped at the
    # end of the run if it is closed.
    await sync_to_async(connections.close_all)()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"/api/sessions/{pk}/exports/questions.csv",
        "raw_path": f"/api/sessions/{pk}/exports/questions.csv".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"authorization", f"Token {key}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent: list[dict] = []
    received = asyncio.Event()

    async def receive() -> dict:
        if not received.is_set():
            received.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        await get_asgi_application()(scope, receive, send)

    assert sent[0]["status"] == 200
    bodies = [m["body"] for m in sent[1:] if m.get("body")]
    assert len(bodies) > 5
    text = b"".join(bodies).decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(text, newline="")))) == 1000


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Rappelez-moi au 06 12 34 56 78 svp", "Rappelez-moi au [phone] svp"),
        ("Call +44 7700 900123 or (555) 123-4567?", "Call [phone] or [phone]?"),
        ("In 2026, 150 000 listeners, 12 guests", "In 2026, 150 000 listeners, 12 guests"),
        ("+33 6•• •• •• 78", "+33 6•• •• •• 78"),
    ],
)
def test_phone_numbers_written_in_digits_are_masked_and_other_numbers_kept(text, masked):
    assert exports.mask_phones(text) == masked
