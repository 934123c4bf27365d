"""The status command: components x clusters with sync state and health."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from reconciler.commands.output import json_text, table
from reconciler.engine import Result
from reconciler.health import Health, Status, health_of, worst
from reconciler.objects import ObjectKey
from reconciler.plan import Action
from reconciler.render.ownership import LABEL_COMPONENT_REF


@dataclass(frozen=True, slots=True)
class Row:
    """One component on one cluster."""

    environment: str
    cluster: str
    component: str
    sync: str
    health: Health
    objects: int


def status_rows(results: list[Result]) -> list[Row]:
    """Sync and worst-of health per component per cluster; an unreachable cluster is Unknown."""
    rows: list[Row] = []
    for result in results:
        target = result.target
        if result.plan is None:
            reason = result.error or "no plan"
            rows.append(Row(target.environment, target.cluster, "*", "Unknown",
                            Health(Status.UNKNOWN, f"cluster unreachable: {reason}"), 0))
            continue
        by_component: dict[str, list[tuple[ObjectKey, Action]]] = {}
        for entry in result.plan.entries:
            if entry.action is Action.SKIP and entry.desired is None:
                continue  # left in place (kept, not ours): Git no longer renders it, so no component shows it
            labels = ((entry.desired or entry.live or {}).get("metadata", {}).get("labels") or {})
            component = labels.get(LABEL_COMPONENT_REF, "(unknown)").replace(".", "/", 1)
            by_component.setdefault(component, []).append((entry.key, entry.action))
        for component, entries in sorted(by_component.items()):
            actions = {action for _key, action in entries}
            sync = ("Missing" if actions == {Action.CREATE} else
                    "OutOfSync" if actions & {Action.CREATE, Action.UPDATE, Action.REPLACE, Action.PRUNE} else "Synced")
            health = worst(health_of(result.live.get(key)) for key, action in entries if action is not Action.PRUNE)
            rows.append(Row(target.environment, target.cluster, component, sync, health, len(entries)))
    return rows


def roll_ups(rows: list[Row]) -> list[tuple[str, str, Health]]:
    """Worst-of health per cluster and for the whole environment: (scope, name, health)."""
    clusters: dict[str, list[Row]] = {}
    for row in rows:
        clusters.setdefault(row.cluster, []).append(row)
    found = [("cluster", name, worst(r.health.prefixed(r.component) for r in members))
             for name, members in clusters.items()]
    if rows:
        found.append(("environment", rows[0].environment, worst(h.prefixed(n) for _s, n, h in found)))
    return found


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
