"""What the daemon knows about its source and each target, and the status document built from it.

The document follows ``reconciler.observability.statuspage.StatusDoc`` (camelCase, JSON-able) and
adds the daemon's own keys: last applied and last attempted revision, last error, last success,
reachability with the last-seen time, retry state, and the source's located errors. A cluster
that did not answer is Unknown with its last-seen time, never a stale Healthy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from collections.abc import Mapping

from reconciler.component_status import Row, target_rows
from reconciler.engine import Result
from reconciler.health import Health, Status, unreachable, worst
from reconciler.health.model import iso
from reconciler.objects import ObjectKey
from reconciler.rollout.view import RolloutView, as_document


@dataclass
class SourceState:
    """The tracked branch: its head, the last good revision, and why the last commit was refused."""

    description: str
    branch: str
    head: str | None = None
    good: str | None = None
    signer: str = ""
    attempted: str | None = None
    rejected: str | None = None
    stage: str = ""
    errors: list[str] = field(default_factory=list)
    fetch_error: str | None = None
    last_refresh: datetime | None = None

    def error_text(self) -> str | None:
        """One line for the status page: the fetch error, or the rejected revision and its first errors."""
        if self.fetch_error:
            return self.fetch_error
        if self.rejected:
            shown = "; ".join(self.errors[:3]) + (f"; and {len(self.errors) - 3} more" if len(self.errors) > 3 else "")
            return f"revision {self.rejected[:12]} rejected ({self.stage}), still running " \
                   f"{(self.good or 'nothing')[:12]}: {shown}"
        return None


@dataclass(frozen=True, slots=True)
class Applying:
    """An apply in flight on one target: the revision being written and how far it is."""

    revision: str
    done: int
    total: int
    since: datetime

    def advanced(self) -> Applying:
        """One more object written (or pruned, or failed)."""
        return dataclasses.replace(self, done=self.done + 1)


@dataclass
class TargetState:
    """One (environment, cluster) as its worker last left it."""

    environment: str
    cluster: str
    applied: str | None = None
    attempted: str | None = None
    submitted: str | None = None
    error: str | None = None
    last_reconcile: datetime | None = None
    last_success: datetime | None = None
    reachable: bool | None = None
    last_seen: datetime | None = None
    rows: list[Row] = field(default_factory=list)
    failures: int = 0
    next_retry: datetime | None = None
    drifted: int | None = None
    last_result: Result | None = None
    """The last reconcile's result as kept (``kept.kept_result``: its live objects let go)."""
    objects: dict[ObjectKey, Health] = field(default_factory=dict)
    """The health of each live object as the last reconcile read it (the dashboard's objects)."""
    blocked: str | None = None
    """The revision refused because an object needs replacement (not retried until the next commit)."""
    spec_errors: list[str] = field(default_factory=list)
    """``file:line:col`` of each change that needs replacement (with ``blocked``)."""
    rollouts: list[RolloutView] = field(default_factory=list)
    """The progressive rollouts of the target's served models, as the last job left them."""
    applying: Applying | None = None
    """The apply in flight, while one writes (the status shows it instead of Synced at the old revision)."""

    def health(self) -> Health:
        """Worst of the rows; Unknown (with last-seen) while unreachable; Unknown before the first reconcile."""
        if self.reachable is False:
            return unreachable(self.last_seen)
        if not self.rows:
            return Health(Status.UNKNOWN, "not reconciled yet")
        return worst(r.health for r in self.rows)

    def sync(self) -> str:
        """Applying (while an apply writes), Synced, OutOfSync or Unknown for the cluster as a whole; Unknown
        while it does not answer, even mid-apply (``applying`` still says which revision is in flight)."""
        if self.reachable is False:
            return "Unknown"
        if self.applying is not None:
            return "Applying"
        if not self.rows:
            return "Unknown"
        syncs = {r.sync for r in self.rows}
        return "Synced" if syncs == {"Synced"} else "Unknown" if syncs == {"Unknown"} else "OutOfSync"


def rows_after(result: Result, *, applied: bool, reachable: bool | None, last_seen: datetime | None,
               health: Mapping[ObjectKey, Health] | None = None) -> list[Row]:
    """Status rows after a reconcile: the plan's rows, Synced where the apply succeeded; Unknown when unreachable.
    ``health``: each live object's, when already judged (``component_status.object_health``)."""
    target = result.target
    if reachable is False:
        return [Row(target.environment, target.cluster, "*", "Unknown", unreachable(last_seen), 0)]
    rows = target_rows(result, health)
    if applied and result.ok:
        rows = [dataclasses.replace(r, sync="Synced") if r.sync != "Unknown" else r for r in rows]
    return rows


def document(source: SourceState, states: list[TargetState], *, leader: bool, ready: bool,
             election: dict[str, object], owners: dict[tuple[str, str], dict[str, Any]] | None = None
             ) -> dict[str, Any]:
    """The status document (``StatusDoc`` keys plus the daemon's); sharded, each cluster's ``shard`` and
    ``owner`` (the replica holding the shard's Lease) from ``owners``."""
    environments: dict[str, list[dict[str, Any]]] = {}
    for state in states:
        entry = _cluster(state)
        if owners is not None:
            entry.update(owners.get((state.environment, state.cluster), {}))
        environments.setdefault(state.environment, []).append(entry)
    return {
        "revision": source.good,
        "sourceError": source.error_text(),
        "leader": leader,
        "ready": ready,
        "election": election,
        "source": {
            "location": source.description, "branch": source.branch, "head": source.head,
            "lastGoodRevision": source.good, "signer": source.signer or None,
            "lastAttemptedRevision": source.attempted, "rejectedRevision": source.rejected,
            "rejectedStage": source.stage or None, "errors": list(source.errors),
            "fetchError": source.fetch_error, "lastRefresh": _time(source.last_refresh),
        },
        "environments": [{"name": name, "clusters": clusters} for name, clusters in environments.items()],
    }


def _cluster(state: TargetState) -> dict[str, Any]:
    health = state.health()
    return {
        "name": state.cluster,
        "sync": state.sync(),
        "health": health.status.value,
        "healthMessage": health.message,
        "revision": state.applied,
        "applying": _applying(state.applying),
        "lastAttemptedRevision": state.attempted,
        "lastReconcile": _time(state.last_reconcile),
        "lastSuccess": _time(state.last_success),
        "lastError": state.error,
        "reachable": state.reachable,
        "lastSeen": _time(state.last_seen),
        "failures": state.failures,
        "nextRetry": _time(state.next_retry),
        "drifted": state.drifted,
        "blockedRevision": state.blocked,
        "specErrors": list(state.spec_errors),
        "refusedDeletes": _refused_deletes(state),
        "rollouts": [as_document(view) for view in state.rollouts],
        "components": [{"name": r.component, "sync": r.sync, "health": r.health.status.value,
                        "message": r.health.message, "objects": r.objects} for r in shown_rows(state)],
    }


def _applying(applying: Applying | None) -> dict[str, Any] | None:
    if applying is None:
        return None
    return {"revision": applying.revision, "done": applying.done, "total": applying.total,
            "since": _time(applying.since)}


def shown_rows(state: TargetState) -> list[Row]:
    """The rows as they may be shown now: while the cluster does not answer, every one is Unknown (with
    the last-seen time), never the Synced/Healthy of the last reconcile."""
    if state.reachable is not False:
        return state.rows
    gone = unreachable(state.last_seen)
    return [dataclasses.replace(r, sync="Unknown", health=gone) for r in state.rows]


def _refused_deletes(state: TargetState) -> list[str]:
    """Inventory entries the last reconcile refused to delete: not platformctl's (was the inventory edited?)."""
    plan = state.last_result.plan if state.last_result is not None else None
    return [f"{e.key}: {e.reason}" for e in plan.not_ours] if plan is not None else []


def _time(moment: datetime | None) -> str | None:
    return iso(moment) if moment is not None else None
