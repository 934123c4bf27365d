"""Each component on each cluster: its sync state and worst-of health, with cluster and environment
roll-ups (pure). The ``status`` command prints these rows; the daemon's status document carries them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.engine import Result
from reconciler.health import MISSING, Health, Status, health_among, worst
from reconciler.labels import LABEL_COMPONENT_REF
from reconciler.objects import Manifest, ObjectKey
from reconciler.plan import Action


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
    return [row for result in results for row in target_rows(result)]


def object_health(result: Result) -> dict[ObjectKey, Health]:
    """The health of every live object a reconcile read or wrote (an object absent from it is Missing)."""
    return {key: health_among(obj, result.live) for key, obj in result.live.items()}


def target_rows(result: Result, health: Mapping[ObjectKey, Health] | None = None) -> list[Row]:
    """One target's rows; ``health``: its objects' as ``object_health`` judged them (else judged here)."""
    target = result.target
    if result.plan is None:
        reason = result.error or "no plan"
        return [Row(target.environment, target.cluster, "*", "Unknown",
                    Health(Status.UNKNOWN, f"cluster unreachable: {reason}"), 0)]
    judged = health if health is not None else _Judged(result.live)
    by_component: dict[str, list[tuple[ObjectKey, Action]]] = {}
    for entry in result.plan.entries:
        if entry.action is Action.SKIP and entry.desired is None:
            continue  # left in place (kept, not ours): Git no longer renders it, so no component shows it
        labels = ((entry.desired or entry.live or {}).get("metadata", {}).get("labels") or {})
        component = labels.get(LABEL_COMPONENT_REF, "(unknown)").replace(".", "/", 1)
        by_component.setdefault(component, []).append((entry.key, entry.action))
    rows: list[Row] = []
    for component, entries in sorted(by_component.items()):
        actions = {action for _key, action in entries}
        sync = ("Missing" if actions == {Action.CREATE} else
                "OutOfSync" if actions & {Action.CREATE, Action.UPDATE, Action.REPLACE, Action.PRUNE} else "Synced")
        overall = worst(judged.get(key, MISSING) for key, action in entries if action is not Action.PRUNE)
        rows.append(Row(target.environment, target.cluster, component, sync, overall, len(entries)))
    return rows


class _Judged:
    """Each live object's health, judged when asked (``target_rows`` without ``object_health``)."""

    def __init__(self, live: Mapping[ObjectKey, Manifest]) -> None:
        self._live = live

    def get(self, key: ObjectKey, default: Health) -> Health:
        obj = self._live.get(key)
        return health_among(obj, self._live) if obj is not None else default


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
