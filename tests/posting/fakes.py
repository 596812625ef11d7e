"""Fake servers on loopback that speak the APIs posting back uses.

- ``FakeMastodonStatuses``: ``POST /api/v1/statuses`` with a Bearer token, form fields
  ``status``, ``visibility``, ``language``, and the ``Idempotency-Key`` header (a repeated key
  answers the status it first made, as Mastodon does).
- ``FakePds``: a Bluesky PDS's ``com.atproto.server.createSession``,
  ``com.atproto.repo.createRecord`` (a record key already used answers 500
  ``InternalServerError``, as the reference PDS does) and ``com.atproto.repo.getRecord``.

``fail_next`` holds HTTP statuses answered instead of the next requests; ``lose_answer`` makes
the next accepted post answer 503 after it was made, as a connection dropped after the server
took the request.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

_POSTING = ("/api/v1/statuses", "/xrpc/com.atproto.repo.createRecord")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Fake:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.fail_next: list[int] = []
        self.lose_answer = False
        self.requests: list[tuple[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with fake.lock:
                    path = urlsplit(self.path).path
                    fake.requests.append((method, path))
                    if fake.fail_next:
                        status = fake.fail_next.pop(0)
                        self._answer(status, {"error": "Unavailable", "message": "try later"})
                        return
                    status, answer = fake.answer(method, self.path, self.headers, body)
                    if status == 200 and fake.lose_answer and path in _POSTING:
                        fake.lose_answer = False
                        status, answer = 503, {"error": "Unavailable"}
                self._answer(status, answer)

            def do_POST(self) -> None:
                self._handle("POST")

            def do_GET(self) -> None:
                self._handle("GET")

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(
        self, method: str, path: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Self:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeMastodonStatuses(_Fake):
    def __init__(self, *, token: str = "mastodon-token") -> None:
        super().__init__()
        self.token = token
        self.statuses: list[dict[str, Any]] = []
        self.by_key: dict[str, dict[str, Any]] = {}
        self.refuse_with: int | None = None  # answer every post with this status (e.g. 422)

    def answer(self, method, path, headers, body):
        if method != "POST" or urlsplit(path).path != "/api/v1/statuses":
            return 404, {"error": "Record not found"}
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "The access token is invalid"}
        if self.refuse_with is not None:
            return self.refuse_with, {"error": "Validation failed: Text can't be blank"}
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        key = headers.get("Idempotency-Key")
        if key and key in self.by_key:
            return 200, self.by_key[key]
        if not form.get("status"):
            return 422, {"error": "Validation failed: Text can't be blank"}
        status_id = str(110_000_000_000_000_000 + len(self.statuses) + 1)
        status = {
            "id": status_id,
            "uri": f"{self.url}/users/radio/statuses/{status_id}",
            "url": f"{self.url}/@radio/{status_id}",
            "content": form["status"],
            "visibility": form.get("visibility", "public"),
            "language": form.get("language"),
        }
        self.statuses.append(status)
        if key:
            self.by_key[key] = status
        return 200, status


class FakePds(_Fake):
    did = "did:plc:radiostationfake0000000"

    def __init__(self, *, handle: str = "radio.test", password: str = "app-pass-word") -> None:
        super().__init__()
        self.handle = handle
        self.password = password
        self.records: dict[str, dict[str, Any]] = {}  # rkey → record
        self.token = "access-jwt-fake"

    def answer(self, method, path, headers, body):
        parts = urlsplit(path)
        nsid = parts.path.removeprefix("/xrpc/")
        data = json.loads(body) if body else {}
        if nsid == "com.atproto.server.createSession" and method == "POST":
            if data.get("identifier") != self.handle or data.get("password") != self.password:
                return 401, {
                    "error": "AuthenticationRequired",
                    "message": "Invalid identifier or password",
                }
            return 200, {
                "did": self.did,
                "handle": self.handle,
                "accessJwt": self.token,
                "refreshJwt": "refresh-jwt-fake",
            }
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "AuthenticationRequired"}
        if nsid == "com.atproto.repo.createRecord" and method == "POST":
            rkey = data.get("rkey")
            record = data.get("record") or {}
            if data.get("repo") != self.did or data.get("collection") != "app.bsky.feed.post":
                return 400, {"error": "InvalidRequest", "message": "bad repo or collection"}
            if not isinstance(rkey, str) or len(rkey) != 13 or rkey[0] not in "234567abcdefghij":
                return 400, {"error": "InvalidRequest", "message": "rkey must be a TID"}
            if record.get("$type") != "app.bsky.feed.post" or not record.get("text"):
                return 400, {"error": "InvalidRequest", "message": "Record/text must be set"}
            if rkey in self.records:
                return 500, {"error": "InternalServerError", "message": "Internal Server Error"}
            self.records[rkey] = record
            return 200, {"uri": self._uri(rkey), "cid": f"bafyrei{rkey}"}
        if nsid == "com.atproto.repo.getRecord" and method == "GET":
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            rkey = query.get("rkey", "")
            if query.get("repo") != self.did or rkey not in self.records:
                return 400, {"error": "RecordNotFound", "message": "Could not locate record"}
            return 200, {
                "uri": self._uri(rkey),
                "cid": f"bafyrei{rkey}",
                "value": self.records[rkey],
            }
        return 404, {"error": "MethodNotImplemented"}

    def _uri(self, rkey: str) -> str:
        return f"at://{self.did}/app.bsky.feed.post/{rkey}"
