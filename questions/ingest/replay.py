"""Recorded streams, replayed into a session (``python manage.py replay_stream``).

A record is one message: JSON lines ``{"at", "source", "id", "text", "author": {"id", "name",
"handle"}}`` or CSV with the header ``at,source,id,text,author_id,author_name``. ``at`` is a
number of seconds from the start of the recording, or an ISO 8601 time (then measured from the
first record's). ``source`` is ``sms``, ``web`` or ``social:<network>``; ``id`` is the message's id
at its source, so replaying a file twice adds nothing.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import close_old_connections, connection

from questions.identity import opaque_id
from questions.ingest.base import IncomingMessage, ingest
from questions.ingest.sms import mask_number
from questions.models import SOURCE_RE
from questions.services import SubmitResult
from studio.models import LiveSession

CSV_FIELDS = ("at", "source", "id", "text", "author_id", "author_name")
# Between two rounds of a looped replay, so a demo's audience can tell them apart.
LOOP_PAUSE_SECONDS = 10.0


class ReplayFormatError(ValueError):
    """A record that cannot be read; the message names the line."""


@dataclass(frozen=True)
class ReplayRecord:
    at: float  # seconds from the start of the recording
    source: str
    id: str
    text: str
    author_id: str
    author_name: str = ""
    author_handle: str = ""

    def message(self, round_: int = 0) -> IncomingMessage:
        """The message as received; rounds after the first get new ids (``<id>~<round>``)."""
        platform = self.source.split(":")[-1]
        name = self.author_name
        if not name and self.source == "sms" and self.author_id:
            name = mask_number(self.author_id)  # a recording may hold real numbers
        return IncomingMessage(
            source=self.source,
            external_id=f"{self.id}~{round_}" if round_ else self.id,
            text=self.text,
            author_platform=platform,
            author_id=opaque_id(f"{platform}:{self.author_id}", purpose="replay"),
            author_name=name,
            author_handle=self.author_handle or (name if self.source == "sms" else ""),
        )


@dataclass
class ReplayStats:
    created: int = 0
    repeated: int = 0
    dropped: int = 0
    rounds: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} new questions, {self.repeated} already there, "
            f"{self.dropped} dropped, in {self.rounds} round(s)"
        )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _at(value: Any) -> float | datetime:
    if isinstance(value, bool):
        raise ValueError("not a time")
    if isinstance(value, int | float):
        return float(value)
    value = str(value).strip()
    try:
        return float(value)
    except ValueError:
        return datetime.fromisoformat(value)


def _record(raw: dict[str, Any], where: str) -> tuple[float | datetime, dict[str, str]]:
    try:
        at = _at(raw.get("at", 0))
    except ValueError as exc:
        raise ReplayFormatError(f"{where}: 'at' is neither seconds nor an ISO time.") from exc
    fields = {
        "source": _text(raw.get("source")).strip(),
        "id": _text(raw.get("id")).strip(),
        "text": _text(raw.get("text")),
        "author_id": _text(raw.get("author_id")).strip(),
        "author_name": _text(raw.get("author_name")).strip(),
        "author_handle": _text(raw.get("author_handle")).strip(),
    }
    if not SOURCE_RE.match(fields["source"]) or fields["source"] in ("manual", "import"):
        raise ReplayFormatError(f"{where}: unknown source {fields['source']!r}.")
    if not fields["id"]:
        raise ReplayFormatError(f"{where}: the record has no id.")
    return at, fields


def _jsonl(lines: Iterable[str], name: str) -> Iterator[tuple[float | datetime, dict[str, str]]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{name}, line {number}"
        try:
            raw = json.loads(line)
        except ValueError as exc:
            raise ReplayFormatError(f"{where}: not JSON.") from exc
        if not isinstance(raw, dict):
            raise ReplayFormatError(f"{where}: not a JSON object.")
        author = raw.get("author") or {}
        if not isinstance(author, dict):
            raise ReplayFormatError(f"{where}: 'author' must be an object.")
        raw = {
            **raw,
            "author_id": author.get("id", ""),
            "author_name": author.get("name", ""),
            "author_handle": author.get("handle", ""),
        }
        yield _record(raw, where)


def _csv(lines: Iterable[str], name: str) -> Iterator[tuple[float | datetime, dict[str, str]]]:
    reader = csv.DictReader(lines)
    missing = set(CSV_FIELDS) - set(reader.fieldnames or ())
    if missing:
        raise ReplayFormatError(f"{name}: the CSV header lacks {', '.join(sorted(missing))}.")
    for row in reader:
        yield _record(row, f"{name}, line {reader.line_num}")


def read_records(path: str | Path) -> list[ReplayRecord]:
    """Every record of a JSONL or CSV file (told apart by the ``.csv`` suffix), in file order."""
    path = Path(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = _csv if path.suffix.lower() == ".csv" else _jsonl
        parsed = list(reader(handle, path.name))
    times = [at for at, _ in parsed]
    if any(isinstance(at, datetime) for at in times):
        if not all(isinstance(at, datetime) for at in times):
            raise ReplayFormatError(f"{path.name}: 'at' mixes ISO times and seconds.")
        start = times[0]
        try:
            offsets = [(at - start).total_seconds() for at in times]  # type: ignore[operator,union-attr]
        except TypeError as exc:
            raise ReplayFormatError(
                f"{path.name}: 'at' mixes times with and without a time zone."
            ) from exc
    else:
        offsets = [float(at) for at in times]  # type: ignore[arg-type]
    return [ReplayRecord(at=at, **fields) for at, (_, fields) in zip(offsets, parsed, strict=True)]


def parse_pace(value: str) -> float | None:
    """``real`` → 1.0, ``fast`` → None (no waiting), ``N`` → N times faster than recorded."""
    if value == "real":
        return 1.0
    if value == "fast":
        return None
    speed = float(value)
    if not speed > 0:
        raise ValueError("The pace must be real, fast or a positive speed factor.")
    return speed


def replay(
    session: LiveSession,
    records: list[ReplayRecord],
    *,
    speed: float | None = None,
    rounds: int | None = 1,
    sleep: Callable[[float], None] = time.sleep,
    report: Callable[[ReplayRecord, SubmitResult | None], None] | None = None,
) -> ReplayStats:
    """Send the records into the session through the ingest path, as they came.

    ``speed`` divides the recorded gaps (None: no waiting); ``rounds`` None repeats forever, each
    round after the first with new message ids. Each message is ingested once: a second replay of
    the same round counts it as ``repeated``.
    """
    stats = ReplayStats()
    round_ = 0
    while rounds is None or round_ < rounds:
        if round_ and speed:
            sleep(LOOP_PAUSE_SECONDS / speed)
        previous = 0.0
        for record in records:
            if speed:
                gap = (record.at - previous) / speed
                if gap > 0:
                    sleep(gap)
            previous = record.at
            # A replay can run for hours: the session's state and the connection may change.
            if not connection.in_atomic_block:
                close_old_connections()
            session.refresh_from_db()
            result = ingest(session, record.message(round_))
            if result is None:
                stats.dropped += 1
            elif result.created:
                stats.created += 1
            else:
                stats.repeated += 1
            if report:
                report(record, result)
        round_ += 1
        stats.rounds = round_
    return stats
