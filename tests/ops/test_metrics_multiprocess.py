"""With PROMETHEUS_MULTIPROC_DIR, /metrics of one process sums every process of the machine,
and the open sockets of a process that exited leave the sum."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SETUP = """
import django
django.setup()
from studio import metrics
"""

# A server process that accepted two audience sockets and a vote, then exits (one socket open).
WORKER = (
    SETUP
    + """
metrics.socket_opened_now("audience")
metrics.socket_opened_now("audience")
metrics.socket_closed_now("audience")
metrics.votes_acknowledged.inc()
"""
)

# Another process, still running, with one socket open, which serves the scrape.
SCRAPER = (
    SETUP
    + """
metrics.socket_opened_now("audience")
metrics.votes_acknowledged.inc()
from django.test import Client
print(Client(HTTP_HOST="localhost").get("/metrics").content.decode())
"""
)


def run(script: str, folder: Path, tmp_path: Path) -> str:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "socialroom.settings_test",
        "DATA_DIR": str(tmp_path),
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def sample(text: str, line_start: str) -> float:
    return float(
        next(line for line in text.splitlines() if line.startswith(line_start)).split()[-1]
    )


def test_one_scrape_sums_every_process_and_forgets_the_exited_ones_sockets(tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    run(WORKER, folder, tmp_path)
    run(WORKER, folder, tmp_path)

    text = run(SCRAPER, folder, tmp_path)

    assert sample(text, "socialroom_votes_acknowledged_total ") == 3
    opened = 'socialroom_socket_connections_opened_total{kind="audience"} '
    assert sample(text, opened) == 5
    # Only the scraping process is alive: the exited ones' open socket is not counted.
    assert sample(text, 'socialroom_sockets_open{kind="audience"} ') == 1
