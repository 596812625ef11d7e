"""The processes a run starts (servers, load processes, the profiler), and stopping all of them.

Each is started in a session of its own, so that a Ctrl-C in the terminal reaches only the
orchestrator, which then stops every one of them by its process group, whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.config import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    """Resident memory of a process (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def named_pids(*names: str) -> list[int]:
    """The processes of this machine whose command name is one of ``names`` (PostgreSQL's
    backends, redis-server): their CPU is the database side of a per-unit cost."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in names:
                    pids.append(int(entry.name))
    return pids


def total_cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):  # a backend that ended: its CPU is gone with it
            total += cpu_seconds(pid)
    return total


def raise_open_files_limit(wanted: int | None = None) -> tuple[int, int]:
    """Raise this process's soft limit of open files up to the hard limit (or ``wanted``); the
    processes it starts inherit it. Returns (soft, hard) as they are afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if wanted is None or hard == resource.RLIM_INFINITY else min(wanted, hard)
    if hard == resource.RLIM_INFINITY and wanted is not None:
        target = wanted
    if target > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Processes:
    """Everything started by this run, stopped by ``stop_all`` (called from a ``finally``)."""

    log_dir: Path
    started: list[subprocess.Popen] = field(default_factory=list)

    def popen(self, name: str, args: list[str], env: dict[str, str], **kwargs: Any):
        log = self.log_dir / f"{name}.log"
        kwargs.setdefault("stdout", open(log, "ab"))  # noqa: SIM115 - closed with the process
        kwargs.setdefault("stderr", subprocess.STDOUT)
        process = subprocess.Popen(  # noqa: S603 - our own commands
            args, cwd=ROOT, env=env, start_new_session=True, **kwargs
        )
        self.started.append(process)
        return process, log

    def daphne(
        self, name: str, application: str, env: dict[str, str], options: list[str]
    ) -> Server:
        port = free_port()
        args = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *options]
        process, log = self.popen(name, [*args, application], env)
        return Server(name, port, process, log)

    def uvicorn(self, name: str, application: str, env: dict[str, str]) -> Server:
        """Uvicorn with its defaults (uvloop, httptools, the websockets implementation), no
        access log, no lifespan (the studio has none), no compression (no client asks)."""
        port = free_port()
        args = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port)]
        args += ["--log-level", "warning", "--no-access-log", "--lifespan", "off"]
        args += ["--ws-per-message-deflate", "false", "--ws-max-size", str(16 * 1024 * 1024)]
        process, log = self.popen(name, [*args, application], env)
        return Server(name, port, process, log)

    def floor(self, env: dict[str, str]) -> Server:
        port = free_port()
        args = [sys.executable, "-m", "bench.baselines.floor", "--port", str(port)]
        process, log = self.popen("floor", args, env)
        return Server("floor", port, process, log)

    def stop(self, process: subprocess.Popen, timeout: float = 5.0) -> None:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
            except ProcessLookupError:
                pass
        if process in self.started:
            self.started.remove(process)

    def stop_all(self) -> None:
        for process in list(self.started):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for process in list(self.started):
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        self.started.clear()


def wait_http(server: Server, timeout: float = 60.0) -> None:
    """Until the server answers an HTTP request (any status)."""
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{server.port}/"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n{server.tail()}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not answer HTTP in {timeout:.0f} s:\n{server.tail()}")


def wait_tcp(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n{server.tail()}")
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{server.name} did not listen in {timeout:.0f} s:\n{server.tail()}")


class LoadClient:
    """One load process (bench/load.py), driven over its stdin/stdout."""

    def __init__(self, name: str, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.process = process
        self.next_rid = 0
        self.waiting: dict[int, asyncio.Future] = {}
        self.events: asyncio.Queue = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, name: str, env: dict[str, str], log_dir: Path) -> LoadClient:
        log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.load",
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            limit=64 * 1024 * 1024,
            start_new_session=True,
        )
        return cls(name, process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            message = json.loads(line)
            rid = message.pop("rid", None)
            if rid is None:
                self.events.put_nowait(message)
            elif (future := self.waiting.pop(rid, None)) is not None and not future.done():
                future.set_result(message)
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(RuntimeError(f"load process {self.name} exited"))

    async def call(self, cmd: str, timeout: float = 120.0, **args: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.next_rid += 1
        rid = self.next_rid
        future = asyncio.get_running_loop().create_future()
        self.waiting[rid] = future
        self.process.stdin.write((json.dumps({"rid": rid, "cmd": cmd, **args}) + "\n").encode())
        await self.process.stdin.drain()
        reply = await asyncio.wait_for(future, timeout)
        if "error" in reply:
            raise RuntimeError(f"load process {self.name}: {cmd}: {reply['error']}")
        return reply

    async def stop(self) -> None:
        if self.process.returncode is None:
            if self.process.stdin is not None:
                self.process.stdin.close()
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                await self.process.wait()
        self.reader.cancel()
