"""Health of Kubeflow Pipelines objects: ScheduledWorkflow, Pipeline, PipelineVersion (pure).

ScheduledWorkflow (kubeflow.org/v1beta1; controller backend/src/crd/controller/scheduledworkflow,
``UpdateStatus``): ``status.conditions`` holds exactly one condition whose type is the state
(Enabled, Disabled, Running and Succeeded for one-off runs, Error); ``status.workflowHistory``
lists the active and the last ``maxHistory`` completed runs with their Argo phase.

* Error -> Degraded.
* Disabled while ``spec.enabled`` is false -> Suspended (what was asked); Enabled while it is false,
  or Disabled while it is true -> Progressing (the controller has not caught up).
* The most recent completed run Failed or Error -> Degraded, naming every failed run in the history.
  Older failures followed by a successful run do not degrade the schedule (it has recovered); the
  message still names them.
* Enabled -> Healthy, with the next and the last trigger times; Running (one-off) -> Progressing;
  Succeeded (one-off, ran and its run did not fail) -> Healthy.
"""

from __future__ import annotations

from reconciler.health.fields import Obj, clip, conditions, describe, items, mapping, names, string
from reconciler.health.model import Health, Status

FAILED_PHASES = {"Failed", "Error"}


def _completed(live: Obj) -> list[Obj]:
    """Completed runs, newest first (by scheduledAt, then finishedAt; RFC 3339 strings sort by time)."""
    runs = items(live, "status", "workflowHistory", "completed")
    return sorted(runs, key=lambda r: (string(r, "scheduledAt"), string(r, "finishedAt")), reverse=True)


def _failed_runs(runs: list[Obj]) -> list[str]:
    return [string(r, "name") or "?" for r in runs if string(r, "phase") in FAILED_PHASES]


def scheduled_workflow(live: Obj) -> Health:
    conds = conditions(live)
    if not conds:
        return Health(Status.PROGRESSING, "waiting for the ScheduledWorkflow controller to report status")
    cond = conds[-1]
    kind = string(cond, "type")
    enabled = mapping(live, "spec").get("enabled") is True
    runs = _completed(live)
    failed = _failed_runs(runs)
    failed_note = f"; failed runs in history: {names(failed)}" if failed else ""
    trigger = mapping(live, "status", "trigger")

    if kind == "Error":
        return Health(Status.DEGRADED, describe(cond))
    if kind == "Disabled":
        if enabled:
            return Health(Status.PROGRESSING, "enabling: spec.enabled is true; the controller still reports Disabled")
        return Health(Status.SUSPENDED, clip("disabled (spec.enabled is false)" + failed_note))
    if kind == "Enabled" and not enabled:
        return Health(Status.PROGRESSING, "disabling: spec.enabled is false; the controller still reports Enabled")

    if runs and string(runs[0], "phase") in FAILED_PHASES:
        latest = runs[0]
        why = string(latest, "message")
        head = f"latest run {string(latest, 'name') or '?'} {string(latest, 'phase')}" + (f": {why}" if why else "")
        tally = f"{len(failed)} of {len(runs)} recent runs failed: {names(failed)}"
        return Health(Status.DEGRADED, clip(f"{head}; {tally}"))

    if kind == "Enabled":
        parts = ["enabled"]
        if string(trigger, "nextTriggeredTime"):
            parts.append(f"next run {string(trigger, 'nextTriggeredTime')}")
        else:
            parts.append("no next run scheduled")
        if string(trigger, "lastTriggeredTime"):
            parts.append(f"last run {string(trigger, 'lastTriggeredTime')}")
        active = items(live, "status", "workflowHistory", "active")
        if active:
            parts.append(f"{len(active)} active")
        return Health(Status.HEALTHY, clip("; ".join(parts) + failed_note))
    if kind == "Running":
        return Health(Status.PROGRESSING, "one-off run in progress")
    if kind == "Succeeded":
        return Health(Status.HEALTHY, clip("one-off run finished" + failed_note))
    return Health(Status.UNKNOWN, f"unrecognised ScheduledWorkflow condition: {describe(cond)}")


# --- Pipeline / PipelineVersion (pipelines.kubeflow.org/v2beta1) --------------------------------


def pipeline(live: Obj) -> Health:
    """A Pipeline has no status; existing is all there is to it."""
    return Health(Status.HEALTHY, "exists")


# The API server (pipeline_store_kubernetes.go UpdatePipelineVersionStatus) keeps one condition
# {type: PipelineVersionStatus, status: "True", reason = message = CREATING | READY | DELETING}.
_VERSION_STATES = {"READY": Status.HEALTHY, "CREATING": Status.PROGRESSING, "DELETING": Status.PROGRESSING}


def pipeline_version(live: Obj) -> Health:
    cond = next((c for c in conditions(live) if string(c, "type") == "PipelineVersionStatus"), None)
    if cond is None:
        return Health(
            Status.PROGRESSING,
            "waiting for the KFP API server to report status (it runs with pipelinesStoreKubernetes=true)",
        )
    if string(cond, "status") == "False":
        return Health(Status.DEGRADED, describe(cond))
    reason = string(cond, "reason")
    status = _VERSION_STATES.get(reason)
    if status is None:
        return Health(Status.UNKNOWN, f"unrecognised PipelineVersionStatus reason {reason!r}")
    return Health(status, f"PipelineVersionStatus: {reason}")
