"""The dashboard's documents, built from the status document, the targets' states, their history and the
last good revision (pure: the daemon calls these holding its condition and serves the result).

Documents are JSON-able dicts, camelCase like the status document; ``reconciler.observability.pages``
turns them into HTML and ``/api/*.json`` serves them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.daemon.history import AppliedDiff, History, Reconcile, TargetHistory, component_of
from reconciler.daemon.revisions import LoadedRevision, TargetKey
from reconciler.daemon.status import TargetState
from reconciler.health import MISSING
from reconciler.health.model import iso
from reconciler.objects import ObjectKey

LATEST = 30
"""Reconciles of all targets together on the overview."""
MAX_DIFF_CHARS = 64 * 1024
"""Characters of a component's diff shown (objects past them keep their name and action)."""


def overview(status: dict[str, Any], history: History, keys: list[TargetKey]) -> dict[str, Any]:
    """The status document plus ``reconciles``: the latest of every target, newest first."""
    latest: list[tuple[TargetKey, Reconcile]] = []
    for key in keys:
        known = history.known(key)
        if known is not None:
            latest.extend((key, r) for r in known.reconciles)
    latest.sort(key=lambda kr: (kr[1].at, kr[1].seq), reverse=True)
    return {**status, "reconciles": [reconcile_doc(r, key, changes=False) for key, r in latest[:LATEST]]}


def cluster(status: Mapping[str, Any], history: History, key: TargetKey) -> dict[str, Any] | None:
    """One target: its entry of the status document and its reconciles (newest first, with their changes)."""
    entry = _cluster_entry(status, key)
    if entry is None:
        return None
    known = history.known(key)
    reconciles = list(known.reconciles) if known is not None else []
    return {"environment": key[0], "cluster": entry,
            "reconciles": [reconcile_doc(r, key, changes=True) for r in reversed(reconciles)]}


def component(status: Mapping[str, Any], history: History, key: TargetKey, name: str,
              state: TargetState | None, good: LoadedRevision | None) -> dict[str, Any] | None:
    """One component on one target: its row, rendered objects (with their health as last read), last
    applied diff, Events, health history and the reconciles that changed its objects."""
    entry = _cluster_entry(status, key)
    if entry is None:
        return None
    rows = {str(c.get("name")): c for c in entry.get("components") or [] if isinstance(c, Mapping)}
    objects = _objects(name, key, state, good)
    if name not in rows and not objects:
        return None
    known = history.known(key) or TargetHistory()
    changes = list(known.health.get(name, ()))
    last_change = changes[-1] if changes else None
    reconciles = [r for r in reversed(known.reconciles) if any(c.component == name for c in r.changes)]
    latest = known.reconciles[-1] if known.reconciles else None
    failed = [c for c in latest.changes if c.component == name and c.action in ("failed", "refused")] \
        if latest is not None and latest.outcome in ("failed", "blocked") else []
    return {
        "environment": key[0], "cluster": key[1], "name": name,
        "component": rows.get(name, {}),
        "revision": entry.get("revision"),
        "changedBy": last_change.revision if last_change is not None else None,
        "changedAt": iso(last_change.at) if last_change is not None else None,
        "objects": objects,
        "lastDiff": _diff_doc(known.diffs.get(name)),
        "events": [{"at": iso(e.at), "type": e.note.type, "reason": e.note.reason, "object": str(e.note.key),
                    "message": e.note.message, "revision": e.note.revision}
                   for e in reversed(known.events) if e.component == name],
        "healthHistory": [{"at": iso(c.at), "status": c.status, "message": c.message, "revision": c.revision}
                          for c in reversed(changes)],
        "reconciles": [reconcile_doc(r, key, changes=False) for r in reconciles],
        "lastFailure": {"at": iso(latest.at), "revision": latest.revision, "error": latest.error,
                        "objects": [{"object": c.object, "action": c.action, "message": c.message} for c in failed]}
        if latest is not None and failed else None,
    }


def reconcile_doc(entry: Reconcile, key: TargetKey, *, changes: bool) -> dict[str, Any]:
    """One reconcile as a document (``changes``: with each object's outcome)."""
    doc: dict[str, Any] = {"environment": key[0], "cluster": key[1], "at": iso(entry.at), "revision": entry.revision,
                           "reason": entry.reason, "outcome": entry.outcome, "seconds": entry.seconds,
                           "changed": entry.changed, "counts": dict(entry.counts), "error": entry.error}
    if changes:
        doc["changes"] = [{"object": c.object, "component": c.component, "action": c.action, "message": c.message}
                          for c in entry.changes]
    return doc


def _cluster_entry(status: Mapping[str, Any], key: TargetKey) -> Mapping[str, Any] | None:
    for env in status.get("environments") or []:
        if env.get("name") != key[0]:
            continue
        for entry in env.get("clusters") or []:
            if entry.get("name") == key[1]:
                return entry  # type: ignore[no-any-return]
    return None


def _objects(name: str, key: TargetKey, state: TargetState | None,
             good: LoadedRevision | None) -> list[dict[str, Any]]:
    """The objects the good revision renders for the component, each with its health as last read."""
    desired = good.desired.get(key) if good is not None else None
    if desired is None:
        return []
    judged = state.objects if state is not None else {}
    found = []
    for manifest in desired.target.manifests:
        if component_of(manifest) != name:
            continue
        object_key = ObjectKey.of(manifest)
        health = judged.get(object_key, MISSING) if judged else None
        found.append({"object": str(object_key), "manifest": manifest,
                      "health": health.status.value if health is not None else "Unknown",
                      "message": health.message if health is not None else "not read yet"})
    return found


def _diff_doc(diff: AppliedDiff | None) -> dict[str, Any] | None:
    """The last applied diff, computed now, at most ``MAX_DIFF_CHARS`` of it."""
    if diff is None:
        return None
    objects: list[dict[str, Any]] = []
    budget, truncated = MAX_DIFF_CHARS, False
    for entry in diff.entries:
        text = ""
        if budget > 0:
            full = entry.diff
            text = full[:budget]
            truncated = truncated or len(full) > budget
            budget -= len(text)
        else:
            truncated = True  # past the budget: the object's name and action only
        objects.append({"object": str(entry.key), "action": entry.action.value, "diff": text})
    return {"at": iso(diff.at), "revision": diff.revision, "truncated": truncated, "objects": objects}
