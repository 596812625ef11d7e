"""The Grafana dashboard in docs/ shows every metric the studio exports, and only those."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import Counter, Histogram

from studio import metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"


def exported() -> set[str]:
    names = set()
    for value in vars(metrics).values():
        if isinstance(value, Counter):
            names.add(f"{value._name}_total")
        elif isinstance(value, Histogram):
            names.update(f"{value._name}_{part}" for part in ("bucket", "sum", "count"))
        elif hasattr(value, "_name") and hasattr(value, "_type"):
            names.add(value._name)
    return names


def test_the_dashboard_imports_and_charts_every_metric():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["__inputs"][0]["pluginId"] == "prometheus"
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    used = set(re.findall(r"socialroom_[a-z_]+", " ".join(queries)))

    assert used <= exported(), used - exported()
    families = {re.sub(r"_(bucket|sum|count|total)$", "", name) for name in used}
    for value in vars(metrics).values():
        if hasattr(value, "_name") and hasattr(value, "_type"):
            assert value._name in families, f"{value._name} is on no panel"
