"""Files streamed to the crew: CSV rows written one at a time, sent in chunks, read in the
request's own thread under ASGI (the session exports, the draws' entrant lists)."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse

Row = dict[str, Any]
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Echo:
    """A file for ``csv.writer`` that hands each written line back instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def cell(value: Any) -> Any:
    """A value as a CSV cell: blanks for None, true/false, lists joined by ";", objects as JSON,
    and a text a spreadsheet would run as a formula kept as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    elif isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_pieces(columns: Sequence[str], rows: Iterable[Row]) -> Iterator[str]:
    writer = csv.writer(Echo())
    # The byte order mark tells spreadsheets the file is UTF-8.
    yield "\ufeff" + writer.writerow(columns)
    for row in rows:
        yield writer.writerow([cell(row[c]) for c in columns])


def chunked(pieces: Iterable[str], size: int) -> Iterator[bytes]:
    """The pieces joined into chunks of bytes of about ``size`` characters."""
    buffer: list[str] = []
    length = 0
    for piece in pieces:
        buffer.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(buffer).encode()
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer).encode()


class ExportResponse(StreamingHttpResponse):
    """A streamed file under both servers.

    Django serves a synchronous iterator to an ASGI server (Daphne) by reading it whole into a
    list first. Here each chunk is read in the request's own thread, where the database cursor
    lives, and sent before the next is read.
    """

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self.streaming_content
        if not isinstance(content, Iterator):
            async for chunk in content:
                yield chunk
            return
        read = sync_to_async(_next_chunk, thread_sensitive=True)
        while (piece := await read(content)) is not None:
            yield piece


def _next_chunk(chunks: Iterator[bytes]) -> bytes | None:
    return next(chunks, None)
