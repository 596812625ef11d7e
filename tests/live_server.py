"""The real studio served by Daphne in a subprocess, for tests that go through the network.

Used by the browser tests (one server) and the multi-process tests (two servers sharing one
database and one Redis).
"""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "demo-pass-for-browser-tests"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveStudio:
    """The studio served by Daphne on a free port.

    On the embedded defaults it has its own SQLite file. When the suite runs with DATABASE_URL
    and REDIS_URL, the studio runs on them too (a database of its own, created and dropped here,
    and Redis database ``redis_db``), so these tests cover the production path: PostgreSQL and
    the Redis channel layer. ``sibling()`` gives a second server process on the same database,
    Redis and data folder (so the same secret key).
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        redis_db: int = 15,
        database_prefix: str = "sr_browser",
        env: Mapping[str, str] | None = None,
        name: str = "daphne",
    ) -> None:
        self.data_dir = data_dir
        self.name = name
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
        }
        self.env |= {
            "DATA_DIR": str(data_dir),
            "DEMO_PASSWORD": PASSWORD,
            "DJANGO_SETTINGS_MODULE": "socialroom.settings",
            "PYTHONUNBUFFERED": "1",
        }
        self.env |= dict(env or {})
        if os.environ.get("REDIS_URL") and "REDIS_URL" not in (env or {}):
            # A Redis database of its own: its groups never meet the test process's.
            self.env["REDIS_URL"] = (
                urlsplit(os.environ["REDIS_URL"])._replace(path=f"/{redis_db}").geturl()
            )
        self.database: str | None = None
        self.owns_database = False
        base_url = os.environ.get("DATABASE_URL", "")
        if base_url.startswith(("postgres://", "postgresql://")):
            self.database = f"{database_prefix}_{os.getpid()}"
            self._postgres(base_url, f'DROP DATABASE IF EXISTS "{self.database}"')
            self._postgres(base_url, f'CREATE DATABASE "{self.database}"')
            self.owns_database = True
            self.env["DATABASE_URL"] = (
                urlsplit(base_url)._replace(path="/" + self.database).geturl()
            )
            self.base_url = base_url

    def sibling(self, name: str) -> LiveStudio:
        """Another server process of the same studio: same environment, database and data
        folder, its own port and log. It neither creates nor drops the database."""
        twin = copy.copy(self)
        twin.env = dict(self.env)
        twin.name = name
        twin.port = _free_port()
        twin.url = f"http://127.0.0.1:{twin.port}"
        twin.process = None
        twin.owns_database = False
        return twin

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"{self.name}.log"

    @staticmethod
    def _postgres(url: str, sql: str) -> None:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)

    def drop_database(self) -> None:
        if self.database and self.owns_database:
            self._postgres(self.base_url, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def shell(self, code: str) -> str:
        """Run Python in the studio's database (e.g. while the server is down)."""
        return self.manage("shell", "--verbosity", "0", "-c", code)

    def start(self) -> None:
        self.launch()
        self.wait_until_ready()

    def launch(self) -> None:
        """Start Daphne without waiting for it (to start several side by side)."""
        with open(self.log_path, "ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "socialroom.asgi:application",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("Daphne exited:\n" + self.log())
            try:
                with urllib.request.urlopen(self.url + "/login/", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("Daphne did not answer within 30 s:\n" + self.log())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """Crash: SIGKILL, no chance to finish anything."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def log(self) -> str:
        path = self.log_path
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""
