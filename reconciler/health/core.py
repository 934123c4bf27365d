"""Health of core kinds (Namespace, PersistentVolumeClaim, ConfigMap, Secret, ServiceAccount) and of
the Kubeflow Profile (pure)."""

from __future__ import annotations

from reconciler.health.fields import (
    Obj,
    clip,
    conditions,
    describe,
    mapping,
    state,
    string,
)
from reconciler.health.model import Health, Status

# --- Namespace --------------------------------------------------------------------------------
# The namespace deletion controller reports on a Terminating namespace with these conditions
# (kubernetes pkg/controller/namespace/deletion). The *Failure ones True mean deletion is stuck on
# an error (e.g. an unavailable aggregated API); the *Remaining ones True mean it is waiting.
DELETION_FAILURES = (
    "NamespaceDeletionDiscoveryFailure",
    "NamespaceDeletionGroupVersionParsingFailure",
    "NamespaceDeletionContentFailure",
)
DELETION_WAITS = ("NamespaceContentRemaining", "NamespaceFinalizersRemaining")


def namespace(live: Obj) -> Health:
    phase = string(live, "status", "phase")
    deleting = bool(mapping(live, "metadata").get("deletionTimestamp")) or phase == "Terminating"
    if deleting:
        true = {string(c, "type"): c for c in conditions(live) if state(c) == "True"}
        stuck = [true[t] for t in DELETION_FAILURES if t in true]
        if stuck:
            return Health(Status.DEGRADED, clip("deletion stuck: " + "; ".join(describe(c) for c in stuck)))
        waits = [string(true[t], "message") or describe(true[t]) for t in DELETION_WAITS if t in true]
        since = string(live, "metadata", "deletionTimestamp")
        head = "being deleted (Terminating" + (f" since {since}" if since else "") + ")"
        return Health(Status.PROGRESSING, clip("; ".join([head, *waits])))
    if phase == "Active":
        return Health(Status.HEALTHY, "Active")
    if not phase:
        # The API server sets phase Active on create, so only a store without one (localdir) lacks it.
        return Health(Status.HEALTHY, "exists (no phase reported)")
    return Health(Status.UNKNOWN, f"unrecognised namespace phase {phase!r}")


# --- PersistentVolumeClaim --------------------------------------------------------------------

_RESIZING = ("Resizing", "FileSystemResizePending")
_RESIZE_ERRORS = ("ControllerResizeError", "NodeResizeError")


def persistent_volume_claim(live: Obj) -> Health:
    phase = string(live, "status", "phase")
    true = [c for c in conditions(live) if state(c) == "True"]
    if phase == "Lost":
        volume = string(live, "spec", "volumeName")
        return Health(Status.DEGRADED, f"Lost: its PersistentVolume {volume or '(unnamed)'} no longer exists")
    if phase == "Bound":
        errors = [c for c in true if string(c, "type") in _RESIZE_ERRORS]
        if errors:
            return Health(Status.DEGRADED, describe(errors[0]))
        resizing = [c for c in true if string(c, "type") in _RESIZING]
        size = string(live, "status", "capacity", "storage")
        head = f"Bound to {string(live, 'spec', 'volumeName') or 'a volume'}" + (f" ({size})" if size else "")
        if resizing:
            return Health(Status.PROGRESSING, clip(f"{head}; {describe(resizing[0])}"))
        return Health(Status.HEALTHY, head)
    if phase == "Pending" or not phase:
        storage_class = string(live, "spec", "storageClassName")
        cls = f" of storage class {storage_class}" if storage_class else ""
        msg = f"Pending: waiting for a volume{cls} to be provisioned or bound"
        if not string(live, "metadata", "annotations", "volume.kubernetes.io/selected-node"):
            msg += " (a WaitForFirstConsumer class binds only once a Pod uses the claim)"
        return Health(Status.PROGRESSING, msg if phase else "waiting for the volume controller to report a phase")
    return Health(Status.UNKNOWN, f"unrecognised claim phase {phase!r}")


# --- kinds with no status ---------------------------------------------------------------------


def exists(live: Obj) -> Health:
    """ConfigMap, Secret, ServiceAccount, Pipeline: present is healthy."""
    return Health(Status.HEALTHY, "exists")


# --- Profile (kubeflow.org/v1, v1beta1; cluster-scoped) -----------------------------------------
# The profile controller only ever appends {type: Failed, message} conditions (no status, no
# reason; appendErrorConditionAndReturn) and never writes a success condition nor clears old
# failures, so "no Failed condition" is the only good sign the object itself can give.


def profile(live: Obj) -> Health:
    failed = [c for c in conditions(live) if string(c, "type") == "Failed" and state(c) != "False"]
    if not failed:
        return Health(Status.HEALTHY, "no failure reported (the profile controller reports failures only)")
    messages = list(dict.fromkeys(string(c, "message") for c in failed if string(c, "message")))
    latest = messages[-1] if messages else "no message"
    repeat = f" (reported {len(failed)} times)" if len(failed) > 1 else ""
    return Health(Status.DEGRADED, clip(f"Failed: {latest}{repeat}"))

