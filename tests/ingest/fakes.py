"""Fake servers on loopback that speak the real protocols, and the signing of the gateways.

- ``FakeMastodon``: the hashtag timeline (``since_id``, ``min_id``, ``max_id``, ``limit``,
  ``any[]``, ``Link`` header) and the streaming API (server-sent events over chunked HTTP/1.1,
  ``update`` and ``delete`` events, ``:thump`` heartbeats), on an ephemeral port.
- ``FakeJetstream``: Jetstream's ``/subscribe`` websocket with ``wantedCollections`` and a
  microsecond ``cursor`` that replays stored events, then live ones.
- ``FakeAppView``: a Bluesky AppView's ``app.bsky.actor.getProfile`` (XRPC over HTTP), with the
  answers of a failing one on demand.
- ``twilio_signature`` and ``webhook_signature``: what the senders compute, written from their
  specifications rather than with the code under test.

Each server runs in threads, so sync and async tests can use them alike.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Any:
    path = FIXTURES / name
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return json.loads(path.read_text())


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's X-Twilio-Signature: base64(HMAC-SHA1(auth token, URL + sorted name+value))."""
    signed = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def webhook_signature(secret: str, body: bytes, timestamp: int | None = None) -> str:
    signed = body if timestamp is None else f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the condition")
        time.sleep(interval)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _StreamingFake:
    """What both streaming fakes share: ``events`` and the state guarded by one condition, a
    stop that ends every open stream, and dropping every open stream as a server restart does."""

    events: list[Any]
    thread: threading.Thread

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0
        self._stopping = False

    def start(self) -> Self:
        self.thread.start()
        return self

    def _end_streams(self, *, stopping: bool = False) -> None:
        with self._cond:
            if stopping:
                self._stopping = True
            else:
                self._generation += 1
            self._cond.notify_all()

    def _events_after(self, seen: int, generation: int, timeout: float) -> list[Any] | None:
        """The events after the first ``seen``, waiting up to ``timeout`` for some; None once
        this stream must end (the fake stops, or its streams were dropped)."""
        with self._cond:
            self._cond.wait_for(
                lambda: self._stopping or self._generation != generation or len(self.events) > seen,
                timeout=timeout,
            )
            if self._stopping or self._generation != generation:
                return None
            return self.events[seen:]


class FakeMastodon(_StreamingFake):
    """A Mastodon instance's hashtag APIs. ``post()`` publishes a status."""

    host = "mastodon.test"

    def __init__(self, *, heartbeat: float = 0.2) -> None:
        super().__init__()
        self.heartbeat = heartbeat
        self.statuses: list[dict[str, Any]] = []
        # Everything the streaming API has to tell: ("update" | "delete", data, tags).
        self.events: list[tuple[str, str, set[str]]] = []
        self.streaming_status = 200  # any other status: streaming answers it, as refused
        self.failing = False  # every request answers 503
        self.requests: list[tuple[float, str, dict[str, list[str]]]] = []
        self.stream_connections = 0
        self.open_streams = 0
        self._next_id = 113_456_789_012_345_000
        fake = self

        class Handler(_MastodonHandler):
            server_fake = fake

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self._end_streams(stopping=True)
        self.server.shutdown()
        self.server.server_close()

    def drop_streams(self) -> None:
        """End every open stream, as an instance restart does."""
        self._end_streams()

    def timeline_requests(self) -> list[dict[str, list[str]]]:
        return [q for _, path, q in self.requests if path.startswith("/api/v1/timelines/tag/")]

    def post(
        self,
        text: str,
        *,
        tags: tuple[str, ...] = ("SocialRoom",),
        username: str = "lea",
        account_id: str = "109876543210987654",
        reblog: bool = False,
        created_at: str = "2030-01-01T12:00:00.000Z",
        followers: Any = 120,
    ) -> dict[str, Any]:
        status = copy.deepcopy(fixture("mastodon_status.json"))
        with self._cond:
            self._next_id += 1000  # ids grow with time, as Mastodon's snowflake ids do
            status_id = str(self._next_id)
        links = " ".join(
            f'<a href="https://{self.host}/tags/{t}" class="mention hashtag" rel="tag">'
            f"#<span>{t}</span></a>"
            for t in tags
        )
        status.update(
            id=status_id,
            created_at=created_at,
            uri=f"https://{self.host}/users/{username}/statuses/{status_id}",
            url=f"https://{self.host}/@{username}/{status_id}",
            content=f"<p>{text} {links}</p>",
            tags=[{"name": t, "url": f"https://{self.host}/tags/{t}"} for t in tags],
        )
        status["account"].update(
            id=account_id,
            username=username,
            acct=username,
            display_name=username.title(),
            followers_count=followers,
        )
        if reblog:
            original = copy.deepcopy(status)
            status["reblog"] = original
            status["content"] = ""
            status["uri"] = f"{status['uri']}/activity"
        return self.publish(status)

    def publish(self, status: dict[str, Any]) -> dict[str, Any]:
        tags = {t["name"].lower() for t in status.get("tags", [])}
        with self._cond:
            self.statuses.append(status)
            self.events.append(("update", json.dumps(status), tags))
            self._cond.notify_all()
        return status

    def resend(self, status: dict[str, Any]) -> None:
        """The same status on the stream again (a repeat some servers do send)."""
        tags = {t["name"].lower() for t in status.get("tags", [])}
        with self._cond:
            self.events.append(("update", json.dumps(status), tags))
            self._cond.notify_all()

    def delete(self, status: dict[str, Any]) -> None:
        tags = {t["name"].lower() for t in status.get("tags", [])}
        with self._cond:
            self.events.append(("delete", status["id"], tags))
            self._cond.notify_all()

    def timeline(self, tag: str, query: dict[str, list[str]]) -> tuple[list[dict], str]:
        """The hashtag timeline as Mastodon pages it: newest first."""
        wanted = {tag.lower()} | {t.lower() for t in query.get("any[]", [])}
        limit = min(int(query.get("limit", ["20"])[0]), 40)
        with self._cond:
            matching = [s for s in self.statuses if {t["name"].lower() for t in s["tags"]} & wanted]
        matching.sort(key=lambda s: int(s["id"]))

        def bound(name: str) -> int | None:
            return int(query[name][0]) if name in query else None

        since, max_id, min_id = bound("since_id"), bound("max_id"), bound("min_id")
        if since is not None:
            matching = [s for s in matching if int(s["id"]) > since]
        if max_id is not None:
            matching = [s for s in matching if int(s["id"]) < max_id]
        if min_id is not None:
            # The statuses immediately newer than min_id, still answered newest first.
            page = [s for s in matching if int(s["id"]) > min_id][:limit][::-1]
        else:
            page = matching[::-1][:limit]
        link = ""
        if page:
            base = f"{self.url}/api/v1/timelines/tag/{tag}"
            link = (
                f'<{base}?{urlencode({"max_id": page[-1]["id"]})}>; rel="next", '
                f'<{base}?{urlencode({"min_id": page[0]["id"]})}>; rel="prev"'
            )
        return page, link


class _MastodonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_fake: FakeMastodon

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        fake = self.server_fake
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        fake.requests.append((time.monotonic(), parts.path, query))
        if fake.failing:
            self._json(503, {"error": "Service Unavailable"})
            return
        prefix = "/api/v1/timelines/tag/"
        if parts.path.startswith(prefix):
            page, link = fake.timeline(unquote(parts.path[len(prefix) :]), query)
            self._json(200, page, {"Link": link} if link else None)
        elif parts.path == "/api/v1/streaming/hashtag":
            self._stream(query.get("tag", [""])[0].lower())
        else:
            self._json(404, {"error": "Record not found"})

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _stream(self, tag: str) -> None:
        fake = self.server_fake
        if fake.streaming_status != 200:
            self._json(fake.streaming_status, {"error": "Streaming is not available"})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with fake._cond:
            generation = fake._generation
            seen = len(fake.events)
            fake.stream_connections += 1
            fake.open_streams += 1
        try:
            self._chunk(b":)\n")
            while True:
                new = fake._events_after(seen, generation, fake.heartbeat)
                if new is None:
                    break
                seen += len(new)
                for event, data, tags in new:
                    if tag in tags:
                        self._chunk(f"event: {event}\ndata: {data}\n\n".encode())
                if not new:
                    self._chunk(b":thump\n")
            self._chunk(b"")
        except OSError:
            pass  # the client went away
        finally:
            with fake._cond:
                fake.open_streams -= 1
            self.close_connection = True


class FakeJetstream(_StreamingFake):
    """Jetstream's subscribe endpoint. ``post()`` publishes a post; ``publish()`` any event."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []
        self.cursors: list[int | None] = []  # the cursor each connection asked for
        self.attempts: list[float] = []  # when each connection was attempted
        self.refusing = False  # answer the handshake with 503
        self._clock = 1_725_911_162_000_000
        self.server = serve(self._handle, "127.0.0.1", 0, process_request=self._process_request)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/subscribe"

    def stop(self) -> None:
        self._end_streams(stopping=True)
        self.server.shutdown()

    def drop_connections(self) -> None:
        self._end_streams()

    def tick(self) -> int:
        with self._cond:
            self._clock += 1_000  # a millisecond between events
            return self._clock

    def publish(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()
        return event

    def post(
        self,
        text: str,
        *,
        did: str = "did:plc:eygmaihciaxprqvxpfvl6flk",
        facet_tags: tuple[str, ...] = (),
        rkey: str | None = None,
    ) -> dict[str, Any]:
        event = copy.deepcopy(fixture("jetstream_post.json"))
        time_us = self.tick()
        event["did"] = did
        event["time_us"] = time_us
        commit = event["commit"]
        commit["rkey"] = rkey or f"3l{time_us:x}"
        commit["record"]["text"] = text
        commit["record"]["facets"] = [
            {
                "$type": "app.bsky.richtext.facet",
                "index": {"byteStart": 0, "byteEnd": 1},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
            }
            for tag in facet_tags
        ]
        return self.publish(event)

    def _process_request(self, connection: ServerConnection, request: Any) -> Any:
        self.attempts.append(time.monotonic())
        if self.refusing:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "Jetstream is down\n")
        return None

    def _handle(self, connection: ServerConnection) -> None:
        query = parse_qs(urlsplit(connection.request.path).query)
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        wanted = set(query.get("wantedCollections", []))
        with self._cond:
            self.cursors.append(cursor)
            generation = self._generation
            if cursor is None:
                index = len(self.events)  # live only
            else:
                index = next(
                    (i for i, e in enumerate(self.events) if e["time_us"] >= cursor),
                    len(self.events),
                )
        try:
            while True:
                new = self._events_after(index, generation, 0.5)
                if new is None:
                    break
                index += len(new)
                for event in new:
                    collection = event.get("commit", {}).get("collection")
                    if event.get("kind") == "commit" and wanted and collection not in wanted:
                        continue
                    connection.send(json.dumps(event))
        except ConnectionClosed:
            pass


class FakeAppView:
    """A Bluesky AppView answering ``GET /xrpc/app.bsky.actor.getProfile?actor=<did>``.

    ``profiles`` maps a DID to its ``ProfileViewDetailed``; an unknown DID gets XRPC's 400
    ``InvalidRequest``. ``status`` answers every request with that HTTP status instead,
    ``body`` with those raw bytes, and ``delay`` makes every answer that many seconds late.
    ``requests`` lists the ``actor`` of every request.
    """

    def __init__(self) -> None:
        self.profiles: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []
        self.status = 200
        self.body: bytes | None = None
        self.delay = 0.0
        fake = self

        class Handler(_AppViewHandler):
            server_fake = fake

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Self:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_profile(
        self,
        did: str,
        *,
        handle: str = "lea.bsky.social",
        display_name: Any = "Léa",
        followers: Any = 1234,
    ) -> dict[str, Any]:
        profile = {
            "did": did,
            "handle": handle,
            "displayName": display_name,
            "description": "Listens to the show every morning.",
            "followersCount": followers,
            "followsCount": 321,
            "postsCount": 42,
            "indexedAt": "2024-09-01T10:00:00.000Z",
            "createdAt": "2023-05-01T10:00:00.000Z",
        }
        self.profiles[did] = profile
        return profile


class _AppViewHandler(_MastodonHandler):
    server_fake: FakeAppView  # type: ignore[assignment]

    def do_GET(self) -> None:
        fake = self.server_fake
        parts = urlsplit(self.path)
        actor = parse_qs(parts.query).get("actor", [""])[0]
        fake.requests.append(actor)
        if fake.delay:
            time.sleep(fake.delay)
        try:
            if parts.path != "/xrpc/app.bsky.actor.getProfile":
                self._json(404, {"error": "MethodNotImplemented", "message": "Not found"})
            elif fake.status != 200:
                self._json(fake.status, {"error": "InternalServerError", "message": "Boom"})
            elif fake.body is not None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(fake.body)))
                self.end_headers()
                self.wfile.write(fake.body)
            elif actor in fake.profiles:
                self._json(200, fake.profiles[actor])
            else:
                self._json(400, {"error": "InvalidRequest", "message": "Profile not found"})
        except OSError:
            pass  # the client gave up waiting
