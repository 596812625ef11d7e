"""Per-unit costs: what a piece of work costs the servers, PostgreSQL and Redis.

A ``Meter`` reads, before and after a phase, the CPU time of the design's server processes
(/proc/<pid>/stat), the CPU time of PostgreSQL's and Redis's processes, the bench database's
commits and row changes (pg_stat_database) and Redis's commands (INFO commandstats: PUBLISH,
and all). The capacity plan (bench/report.py) divides these by the work done.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis

from bench.config import DATABASE, POSTGRES_ADMIN_URL, REDIS_URL
from bench.processes import cpu_seconds, named_pids, total_cpu_seconds

# pg_stat_database is written by each backend when it goes idle, at most every second or so.
STATS_SETTLE_SECONDS = 1.2


@dataclass
class Reading:
    at: float
    server_cpu: float
    database_cpu: dict[int, float]  # PostgreSQL (the bench's backends) + Redis, per process
    commits: int
    rows: int  # inserted + updated + deleted
    publishes: int
    redis_commands: int

    def minus(self, other: Reading) -> dict[str, float]:
        return {
            "seconds": round(self.at - other.at, 3),
            "server_cpu_seconds": round(self.server_cpu - other.server_cpu, 3),
            "database_cpu_seconds": round(
                sum(
                    cpu - other.database_cpu.get(pid, 0.0) for pid, cpu in self.database_cpu.items()
                ),
                3,
            ),
            "commits": self.commits - other.commits,
            "rows": self.rows - other.rows,
            "publishes": self.publishes - other.publishes,
            "redis_commands": self.redis_commands - other.redis_commands,
        }


def _database_counters() -> tuple[int, int]:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted "
            "FROM pg_stat_database WHERE datname = %s",
            (DATABASE,),
        ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _redis_counters() -> tuple[int, int]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    publishes = int(stats.get("cmdstat_publish", {}).get("calls", 0))
    total = sum(int(v.get("calls", 0)) for v in stats.values() if isinstance(v, dict))
    return publishes, total


class Meter:
    """Readings of one design's servers (by pid) and of the shared database side."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids

    @staticmethod
    def database_cpu() -> dict[int, float]:
        """Redis, PostgreSQL's own processes and its backends on the bench database (not those
        of other databases on the same server); a backend that starts within the phase counts
        whole, one that ends within it is missed."""
        cpu = {}
        for pid in named_pids("postgres", "redis-server"):
            with contextlib.suppress(OSError):
                line = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                backend = "(" in line and line.startswith("postgres:")
                if not backend or f" {DATABASE} " in line:
                    cpu[pid] = cpu_seconds(pid)
        return cpu

    def read(self) -> Reading:
        commits, rows = _database_counters()
        publishes, commands = _redis_counters()
        return Reading(
            at=time.monotonic(),
            server_cpu=total_cpu_seconds(self.pids),
            database_cpu=self.database_cpu(),
            commits=commits,
            rows=rows,
            publishes=publishes,
            redis_commands=commands,
        )

    def cpu(self) -> tuple[float, float]:
        """(monotonic time, server CPU seconds): a cheap reading within a phase."""
        return time.monotonic(), total_cpu_seconds(self.pids)
