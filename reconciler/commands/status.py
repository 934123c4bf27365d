"""The status command: components x clusters with sync state and health."""

from __future__ import annotations

from collections import Counter

from reconciler.commands.output import json_text, table
from reconciler.component_status import Row, roll_ups


def status_table(rows: list[Row]) -> str:
    """A fixed-width table, one line per component and cluster, then the cluster and environment roll-ups."""
    header = ("COMPONENT", "CLUSTER", "SYNC", "HEALTH", "MESSAGE")
    body = [(r.component, r.cluster, r.sync, r.health.status.value, r.health.message[:80]) for r in rows]
    lines = [*table(header, body), ""]
    for scope, name, health in roll_ups(rows):
        members = [r for r in rows if scope == "environment" or r.cluster == name]
        counts = Counter(r.health.status.value for r in members)
        lines.append(f"{scope} {name}: {health.status.value} ("
                     + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) + ")")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def status_json(rows: list[Row]) -> str:
    """The same rows as JSON."""
    return json_text([{"environment": r.environment, "cluster": r.cluster, "component": r.component, "sync": r.sync,
                       "health": r.health.status.value, "message": r.health.message, "objects": r.objects}
                      for r in rows])
