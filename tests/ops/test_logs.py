"""Log lines: plain text by default, one JSON object per line with LOG_FORMAT=json
(docs/deployment.md, "Logs")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A process configured as the studio is (settings, LOGGING), writing two records.
SCRIPT = """
import logging
import django
django.setup()
logging.getLogger("questions.ingest").warning("feed %s stopped", 7)
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("studio.events").exception("could not send")
"""


def log_lines(tmp_path, **env) -> list[str]:
    environment = {name: v for name, v in os.environ.items() if name != "LOG_FORMAT"}
    environment.update(DJANGO_SETTINGS_MODULE="socialroom.settings", DATA_DIR=str(tmp_path), **env)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [line for line in done.stderr.splitlines() if line.strip()]


def test_with_log_format_json_every_line_is_a_json_object(tmp_path):
    lines = log_lines(tmp_path, LOG_FORMAT="json")

    records = [json.loads(line) for line in lines]  # fails on any line that is not JSON
    assert len(records) == 2
    first, second = records
    assert first["level"] == "WARNING"
    assert first["logger"] == "questions.ingest"
    assert first["message"] == "feed 7 stopped"
    assert first["time"]
    assert second["level"] == "ERROR"
    assert second["logger"] == "studio.events"
    assert "ZeroDivisionError" in second["exc_info"]


def test_by_default_lines_are_plain_text(tmp_path):
    lines = log_lines(tmp_path)

    assert lines[0] == "feed 7 stopped"
    assert "Traceback" in "\n".join(lines)
