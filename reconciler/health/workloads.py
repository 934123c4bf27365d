"""Health of workloads: Notebook, Katib Experiment, PyTorchJob/TFJob and TrainJob (pure).

Finished jobs and experiments are Healthy (they did what was asked); running ones are Progressing.
"""

from __future__ import annotations

from reconciler.health.fields import (
    Obj,
    annotations_of,
    clip,
    condition,
    count,
    describe,
    integer,
    is_true,
    items,
    mapping,
    names,
    reason_and_message,
    state,
    string,
    strings,
    text,
)
from reconciler.health.model import Health, Status

WAITING = "waiting for the {} to report status"

# --- Notebook (kubeflow.org/v1, v1beta1, v1alpha1) ----------------------------------------------
# Status (notebook-controller createNotebookStatus): readyReplicas from the StatefulSet,
# containerState of the container named like the Notebook, conditions = mirror of the Pod's.

STOP_ANNOTATION = "kubeflow-resource-stopped"

# Waiting reasons that only mean "still starting".
_STARTING = {"ContainerCreating", "PodInitializing"}


def _waiting_is_failure(reason: str) -> bool:
    """ImagePullBackOff, ErrImagePull, CrashLoopBackOff, CreateContainerConfigError, InvalidImageName..."""
    return reason.endswith(("BackOff", "Error")) or reason.startswith("Err") or reason == "InvalidImageName"


def notebook(live: Obj) -> Health:
    status = mapping(live, "status")
    ready = count(status, "readyReplicas")
    stop = annotations_of(live).get(STOP_ANNOTATION)
    if stop is not None:
        since = text(stop)
        if ready == 0:
            return Health(Status.SUSPENDED, f"stopped ({STOP_ANNOTATION}: {since})" if since else "stopped")
        return Health(Status.PROGRESSING, f"stopping: {ready} replica(s) still ready")
    if not status:
        return Health(Status.PROGRESSING, WAITING.format("notebook controller"))
    ready_cond = condition(live, "Ready")
    if ready >= 1 and is_true(ready_cond):
        return Health(Status.HEALTHY, f"running; {ready} replica(s) ready")
    container = mapping(status, "containerState")
    waiting = mapping(container, "waiting")
    if waiting:
        reason = string(waiting, "reason") or "Waiting"
        detail = clip(": ".join(p for p in (reason, string(waiting, "message")) if p))
        if _waiting_is_failure(reason):
            return Health(Status.DEGRADED, detail)
        return Health(Status.PROGRESSING, f"starting: {detail}" if reason in _STARTING else detail)
    terminated = mapping(container, "terminated")
    if terminated:
        code = integer(terminated, "exitCode")
        what = string(terminated, "reason") or "Terminated"
        msg = f"container terminated: {what}" + (f" (exit code {code})" if code is not None else "")
        extra = string(terminated, "message")
        return Health(Status.DEGRADED, clip(f"{msg}: {extra}" if extra else msg))
    # A Pod condition that is not True and says why (Unschedulable, ContainersNotReady, ...).
    for cond in items(status, "conditions"):
        if state(cond) != "True" and (cond.get("reason") or cond.get("message")):
            return Health(Status.PROGRESSING, describe(cond))
    if not items(status, "conditions"):
        return Health(Status.PROGRESSING, "starting: waiting for the notebook Pod")
    return Health(Status.PROGRESSING, f"starting; {ready} replica(s) ready")


# --- Katib Experiment (kubeflow.org/v1beta1) ----------------------------------------------------
# Conditions accumulate (Created, Running, Restarting, Succeeded, Failed); on success or failure the
# controller flips Running to False (experiments/v1beta1/util.go).

_TRIAL_COUNTS = (
    ("trialsSucceeded", "succeeded"),
    ("trialsFailed", "failed"),
    ("trialsRunning", "running"),
    ("trialsPending", "pending"),
    ("trialsKilled", "killed"),
    ("trialsEarlyStopped", "early stopped"),
)


def trial_summary(live: Obj) -> str:
    """``8 of max 12 trials: 3 succeeded, 2 failed, 3 running``."""
    status = mapping(live, "status")
    total = count(status, "trials")
    most = integer(live, "spec", "maxTrialCount")
    head = f"{total} of max {most} trials" if most is not None else f"{total} trials"
    parts = [f"{count(status, key)} {label}" for key, label in _TRIAL_COUNTS if count(status, key)]
    return head + (": " + ", ".join(parts) if parts else "")


def _best_trial(live: Obj) -> str:
    best = mapping(live, "status", "currentOptimalTrial")
    name = string(best, "bestTrialName")
    if not name:
        return ""
    objective = string(live, "spec", "objective", "objectiveMetricName")
    for metric in items(best, "observation", "metrics"):
        if string(metric, "name") == objective:
            return f"best trial {name} ({objective} {string(metric, 'latest')})"
    return f"best trial {name}"


def experiment(live: Obj) -> Health:
    if not items(live, "status", "conditions"):
        return Health(Status.PROGRESSING, WAITING.format("Katib experiment controller"))
    summary = trial_summary(live)
    failed = condition(live, "Failed")
    if is_true(failed):
        assert failed is not None
        names_ = strings(live, "status", "failedTrialList")
        extra = f"; failed trials: {names(names_)}" if names_ else ""
        return Health(Status.DEGRADED, clip(f"{describe(failed)}; {summary}{extra}"))
    succeeded = condition(live, "Succeeded")
    if is_true(succeeded):
        assert succeeded is not None
        best = _best_trial(live)
        return Health(Status.HEALTHY, clip("; ".join(p for p in (reason_and_message(succeeded), summary, best) if p)))
    if is_true(condition(live, "Restarting")):
        return Health(Status.PROGRESSING, f"restarting; {summary}")
    if is_true(condition(live, "Running")):
        limit = integer(live, "spec", "maxFailedTrialCount")
        failing = limit is not None and count(live, "status", "trialsFailed")
        tolerated = f" (the experiment fails after more than {limit} failed trials)" if failing else ""
        return Health(Status.PROGRESSING, f"running; {summary}{tolerated}")
    if is_true(condition(live, "Created")):
        return Health(Status.PROGRESSING, f"created; waiting for trials; {summary}")
    return Health(Status.PROGRESSING, summary)


# --- Training Operator v1 jobs: PyTorchJob, TFJob (kubeflow.org/v1) ----------------------------
# Conditions Created, Running, Restarting, Succeeded, Suspended, Failed (common_types.go).


def _replicas(live: Obj) -> str:
    """``Master: 1 active; Worker: 2 active, 1 failed``."""
    out = []
    for rtype, counts in mapping(live, "status", "replicaStatuses").items():
        parts = [f"{count(counts, k)} {k}" for k in ("active", "succeeded", "failed") if count(counts, k)]
        if parts:
            out.append(f"{rtype}: {', '.join(parts)}")
    return "; ".join(out)


def training_job(live: Obj) -> Health:
    suspend = mapping(live, "spec", "runPolicy").get("suspend") is True
    if not items(live, "status", "conditions"):
        if suspend:
            return Health(Status.SUSPENDED, "suspended (runPolicy.suspend)")
        return Health(Status.PROGRESSING, WAITING.format("training operator"))
    replicas = _replicas(live)
    tail = f"; {replicas}" if replicas else ""
    for kind, status in (("Failed", Status.DEGRADED), ("Succeeded", Status.HEALTHY), ("Suspended", Status.SUSPENDED)):
        cond = condition(live, kind)
        if is_true(cond):
            assert cond is not None
            return Health(status, clip(describe(cond) + tail))
    for kind in ("Restarting", "Running", "Created"):
        cond = condition(live, kind)
        if is_true(cond):
            assert cond is not None
            return Health(Status.PROGRESSING, clip(describe(cond) + tail))
    return Health(Status.PROGRESSING, clip("no condition is True yet" + tail))


# --- Trainer v2 TrainJob (trainer.kubeflow.org/v1alpha1) ----------------------------------------
# metav1.Conditions: Complete, Failed, Suspended (+ Created in newer releases); jobsStatus per job.


def _jobs(live: Obj) -> str:
    out = []
    for job in items(live, "status", "jobsStatus"):
        keys = ("active", "ready", "succeeded", "failed", "suspended")
        parts = [f"{count(job, k)} {k}" for k in keys if count(job, k)]
        if parts:
            out.append(f"{string(job, 'name') or 'job'}: {', '.join(parts)}")
    return "; ".join(out)


def train_job(live: Obj) -> Health:
    suspend = mapping(live, "spec").get("suspend") is True
    jobs = _jobs(live)
    tail = f"; {jobs}" if jobs else ""
    for kind, status in (("Failed", Status.DEGRADED), ("Complete", Status.HEALTHY), ("Suspended", Status.SUSPENDED)):
        cond = condition(live, kind)
        if is_true(cond):
            assert cond is not None
            return Health(status, clip(describe(cond) + tail))
    if suspend:
        return Health(Status.SUSPENDED, "suspended (spec.suspend)")
    if not items(live, "status", "conditions") and not jobs:
        return Health(Status.PROGRESSING, WAITING.format("trainer controller"))
    return Health(Status.PROGRESSING, clip("running" + tail))
