"""The Kubernetes Events of a finished reconcile and of a rejected revision (pure), named like Flux's reasons.

Per object: ``Created``, ``Configured``, ``Replaced``, ``Pruned`` (Normal), ``DriftCorrected``
(Normal: a drift check wrote it back), ``ApplyFailed`` and ``ApplyRefused`` (Warning). A
rejected revision is one ``RevisionRejected`` Warning on each target's inventory ConfigMap.
At most ``MAX_OBJECT_EVENTS`` per reconcile: a first apply of thousands of objects is summed
up in the logs and metrics, not in thousands of Events.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.cluster.eventnote import EventNote, EventType
from reconciler.cluster.inventory_codec import inventory_name
from reconciler.daemon.revisions import Desired
from reconciler.daemon.status import SourceState
from reconciler.daemon.worker import Outcome
from reconciler.engine import ChangeAction
from reconciler.objects import ObjectKey

MAX_OBJECT_EVENTS = 100

_REASONS: dict[ChangeAction, tuple[EventType, str, str]] = {
    ChangeAction.CREATED: ("Normal", "Created", "created"),
    ChangeAction.CONFIGURED: ("Normal", "Configured", "configured"),
    ChangeAction.REPLACED: ("Normal", "Replaced", "replaced (deleted and created again)"),
    ChangeAction.PRUNED: ("Normal", "Pruned", "pruned: no longer in Git"),
    ChangeAction.FAILED: ("Warning", "ApplyFailed", "failed"),
    ChangeAction.REFUSED: ("Warning", "ApplyRefused", "refused"),
}


def outcome_notes(outcome: Outcome) -> list[EventNote]:
    """The Events of a finished reconcile (none for one that wrote nothing)."""
    job, result = outcome.job, outcome.result
    revision = job.desired.target.revision
    versions = _api_versions(job.desired.target.manifests, result.live.values())
    notes: list[EventNote] = []
    for change in result.changes:
        entry = _REASONS.get(change.action)
        if entry is None:
            continue
        kind, reason, verb = entry
        if job.reason == "drift" and change.action in (ChangeAction.CREATED, ChangeAction.CONFIGURED):
            reason, verb = "DriftCorrected", f"drift corrected ({change.action.value})"
        message = f"{change.key} {verb} by platformctl at revision {revision[:12]}"
        if change.message:
            message += f": {change.message}"
        live = result.live.get(change.key) or {}
        uid = str((live.get("metadata") or {}).get("uid") or "")
        notes.append(EventNote(change.key, versions.get(change.key, ""), kind, reason, message, revision, uid))
        if len(notes) >= MAX_OBJECT_EVENTS:
            break
    return notes


def rejected_notes(source: SourceState, desired: Iterable[Desired]) -> list[tuple[Desired, EventNote]]:
    """A ``RevisionRejected`` Warning on the inventory ConfigMap of each target still running the good revision."""
    first = source.errors[0] if source.errors else ""
    message = (f"revision {(source.rejected or '')[:12]} rejected ({source.stage}); still running "
               f"{(source.good or 'nothing')[:12]}" + (f": {first}" if first else ""))
    return [(d, EventNote(ObjectKey("", "ConfigMap", d.target.namespace, inventory_name(d.target.environment)),
                          "v1", "Warning", "RevisionRejected", message, source.rejected or ""))
            for d in desired]


def _api_versions(*manifests: Iterable[dict[str, object]]) -> dict[ObjectKey, str]:
    out: dict[ObjectKey, str] = {}
    for group in manifests:
        for manifest in group:
            out.setdefault(ObjectKey.of(manifest), str(manifest.get("apiVersion", "")))
    return out
