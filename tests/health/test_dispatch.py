"""health_of(): Missing, unknown kinds, deletion, objects without status, and per-kind edge cases
that the golden files do not show."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.health import CHECKS, Health, Status, health_among, health_of, kind_key, profile_health
from reconciler.objects import ObjectKey

DATA = Path(__file__).resolve().parents[1] / "data" / "health"


def golden(name: str) -> dict[str, Any]:
    obj = yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))
    assert isinstance(obj, dict)
    return obj


def obj(api_version: str, kind: str, **rest: Any) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x", "namespace": "ns"}, **rest}


# --- generic ----------------------------------------------------------------------------------


def test_none_is_missing() -> None:
    assert health_of(None) == Health(Status.MISSING, "not found in the cluster")


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [("apps/v1", "Deployment"), ("kubeflow.org/v1", "MPIJob"), ("v1", "Pod"), ("example.com/v1", "Widget")],
)
def test_kinds_without_a_check_are_unknown(api_version: str, kind: str) -> None:
    got = health_of(obj(api_version, kind, status={"phase": "Running"}))
    assert got.status is Status.UNKNOWN
    assert got.message.startswith(f"no health check for {kind}")


def test_an_object_without_kind_is_unknown() -> None:
    assert health_of({"metadata": {"name": "x"}}).status is Status.UNKNOWN


def test_kind_key_uses_the_group_not_the_version() -> None:
    assert kind_key(obj("kubeflow.org/v1beta1", "Notebook")) == ("kubeflow.org", "Notebook")
    assert kind_key(obj("v1", "Namespace")) == ("", "Namespace")
    for version in ("v1", "v1beta1", "v1alpha1"):
        assert health_of(golden("notebook-ready") | {"apiVersion": f"kubeflow.org/{version}"}).status is Status.HEALTHY


def test_every_kind_platformctl_stores_has_a_check() -> None:
    from reconciler.cluster.kinds import KNOWN_KINDS

    unchecked = {"Event", "Lease", "CustomResourceDefinition"}  # bookkeeping, not platform resources
    for ref in KNOWN_KINDS:
        if ref.kind not in unchecked:
            assert (ref.api_version.rpartition("/")[0], ref.kind) in CHECKS, ref.kind


@pytest.mark.parametrize("name", ["isvc-ready", "notebook-ready", "swf-enabled", "pvc-bound", "experiment-running"])
def test_an_object_being_deleted_is_progressing(name: str) -> None:
    live = copy.deepcopy(golden(name))
    live["metadata"]["deletionTimestamp"] = "2024-07-01T12:00:03Z"
    live["metadata"]["finalizers"] = ["inferenceservice.finalizers", "kubernetes.io/pvc-protection"]
    got = health_of(live)
    assert got.status is Status.PROGRESSING
    assert got.message == (
        "being deleted since 2024-07-01T12:00:03Z; waiting on finalizers: "
        "inferenceservice.finalizers, kubernetes.io/pvc-protection"
    )


def test_deletion_of_an_unknown_kind_is_still_progressing() -> None:
    live = obj("apps/v1", "Deployment")
    live["metadata"]["deletionTimestamp"] = "2024-07-01T12:00:03Z"
    assert health_of(live) == Health(Status.PROGRESSING, "being deleted since 2024-07-01T12:00:03Z")


# Decision, per kind, for an object whose controller has not written status (fresh, or no controller
# at all, e.g. the localdir cluster).
NO_STATUS = [
    ("kubeflow.org/v1", "Notebook", Status.PROGRESSING, "waiting for the notebook controller"),
    ("kubeflow.org/v1", "Profile", Status.HEALTHY, "no failure reported"),
    ("kubeflow.org/v1beta1", "Experiment", Status.PROGRESSING, "waiting for the Katib experiment controller"),
    ("serving.kserve.io/v1beta1", "InferenceService", Status.PROGRESSING, "waiting for the KServe controller"),
    ("kubeflow.org/v1beta1", "ScheduledWorkflow", Status.PROGRESSING, "waiting for the ScheduledWorkflow controller"),
    ("pipelines.kubeflow.org/v2beta1", "Pipeline", Status.HEALTHY, "exists"),
    ("pipelines.kubeflow.org/v2beta1", "PipelineVersion", Status.PROGRESSING, "waiting for the KFP API server"),
    ("kubeflow.org/v1", "PyTorchJob", Status.PROGRESSING, "waiting for the training operator"),
    ("kubeflow.org/v1", "TFJob", Status.PROGRESSING, "waiting for the training operator"),
    ("trainer.kubeflow.org/v1alpha1", "TrainJob", Status.PROGRESSING, "waiting for the trainer controller"),
    ("v1", "Namespace", Status.HEALTHY, "exists (no phase reported)"),
    ("v1", "PersistentVolumeClaim", Status.PROGRESSING, "waiting for the volume controller"),
    ("v1", "ConfigMap", Status.HEALTHY, "exists"),
    ("v1", "Secret", Status.HEALTHY, "exists"),
    ("v1", "ServiceAccount", Status.HEALTHY, "exists"),
]


@pytest.mark.parametrize(("api_version", "kind", "status", "fragment"), NO_STATUS, ids=[k for _, k, _, _ in NO_STATUS])
def test_objects_without_status(api_version: str, kind: str, status: Status, fragment: str) -> None:
    for live in (obj(api_version, kind), obj(api_version, kind, status={})):
        got = health_of(live)
        assert got.status is status and fragment in got.message, got


def test_swf_rendered_with_empty_status_waits_for_the_controller() -> None:
    got = health_of(obj("kubeflow.org/v1beta1", "ScheduledWorkflow", spec={"enabled": True}, status={}))
    assert got.status is Status.PROGRESSING


def test_unquoted_yaml_scalars_are_tolerated() -> None:
    """A hand-written or YAML-round-tripped object may carry bools and datetimes where JSON has strings."""
    live = golden("notebook-ready")
    for cond in live["status"]["conditions"]:
        cond["status"] = True
    assert health_of(live).status is Status.HEALTHY
    assert health_of(golden("pytorchjob-succeeded")).status is Status.HEALTHY  # unquoted timestamps


GARBAGE: list[Any] = [[], "x", 7, None, {"conditions": "nope"}, {"conditions": [1, "a", None, {"type": 3}]},
                      {"readyReplicas": "many", "phase": ["Bound"], "components": "x", "modelStatus": 1,
                       "workflowHistory": {"completed": "x"}, "replicaStatuses": {"Master": "x"}, "jobsStatus": [None]}]


@pytest.mark.parametrize("status", GARBAGE)
def test_garbage_shapes_do_not_raise(status: Any) -> None:
    for api_version, kind, *_ in NO_STATUS:
        for metadata in ("oops", {"name": "x", "annotations": "nope", "generation": "two"}):
            got = health_of(obj(api_version, kind, status=status, metadata=metadata, spec=status))
            assert isinstance(got, Health) and got.message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "status", "reason", "message", "conditions", "phase", "traffic", "percent",
                         "predictor", "completed", "readyReplicas", "waiting", "containerState", "modelStatus",
                         "transitionStatus", "components", "workflowHistory", "trigger", "trials", "jobsStatus",
                         "deletionTimestamp", "finalizers", "annotations", "generation", "observedGeneration",
                         "kubeflow-resource-stopped", "serving.kserve.io/stop", "failedTrialList", "enabled"]),
        inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from([(a, k) for a, k, *_ in NO_STATUS]), status=json_values, spec=json_values, meta=json_values)
def test_any_json_shape_gets_a_health(kind: tuple[str, str], status: Any, spec: Any, meta: Any) -> None:
    live = {"apiVersion": kind[0], "kind": kind[1], "metadata": meta, "spec": spec, "status": status}
    got = health_of(live)
    assert isinstance(got.status, Status) and got.message


# --- Notebook ---------------------------------------------------------------------------------


def test_notebook_being_stopped_is_progressing() -> None:
    live = golden("notebook-ready")
    live["metadata"]["annotations"]["kubeflow-resource-stopped"] = "2024-03-12T18:02:11Z"
    assert health_of(live) == Health(Status.PROGRESSING, "stopping: 1 replica(s) still ready")


def test_notebook_ready_replicas_without_ready_condition_is_progressing() -> None:
    live = golden("notebook-ready")
    live["status"]["conditions"] = [c for c in live["status"]["conditions"] if c["type"] != "Ready"]
    assert health_of(live).status is Status.PROGRESSING


def test_notebook_terminated_container_is_degraded() -> None:
    live = golden("notebook-ready")
    live["status"]["readyReplicas"] = 0
    live["status"]["containerState"] = {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}
    assert health_of(live) == Health(Status.DEGRADED, "container terminated: OOMKilled (exit code 137)")


def test_notebook_pod_not_created_yet() -> None:
    live = obj("kubeflow.org/v1", "Notebook", status={"conditions": [], "containerState": {}, "readyReplicas": 0})
    assert health_of(live) == Health(Status.PROGRESSING, "starting: waiting for the notebook Pod")


@pytest.mark.parametrize(
    "reason", ["ErrImagePull", "CreateContainerConfigError", "InvalidImageName", "RunContainerError"]
)
def test_notebook_failing_waits_are_degraded(reason: str) -> None:
    live = golden("notebook-starting")
    live["status"]["containerState"] = {"waiting": {"reason": reason, "message": "boom"}}
    assert health_of(live) == Health(Status.DEGRADED, f"{reason}: boom")


# --- InferenceService -------------------------------------------------------------------------


def test_isvc_stale_generation_does_not_hide_a_failure() -> None:
    live = golden("isvc-degraded-ingress")
    live["metadata"]["generation"] = 3
    live["status"]["observedGeneration"] = 2
    got = health_of(live)
    assert got.status is Status.DEGRADED
    assert got.message.endswith("(generation 3 not yet observed by the controller; status is for generation 2)")


def test_isvc_observed_generation_ahead_or_absent_is_not_stale() -> None:
    live = golden("isvc-ready")
    live["status"]["observedGeneration"] = 5
    assert health_of(live).status is Status.HEALTHY
    del live["status"]["observedGeneration"]
    assert health_of(live).status is Status.HEALTHY


def test_isvc_raw_deployment_still_starting_is_progressing() -> None:
    live = golden("isvc-ready-raw")
    for cond in live["status"]["conditions"]:
        if cond["type"] in ("PredictorReady", "Ready"):
            cond.update(status="False", reason="MinimumReplicasUnavailable",
                        message="Deployment does not have minimum availability.")
    got = health_of(live)
    assert got == Health(
        Status.PROGRESSING, "Ready=False: MinimumReplicasUnavailable: Deployment does not have minimum availability."
    )


def test_isvc_progress_deadline_exceeded_is_degraded() -> None:
    live = golden("isvc-ready-raw")
    for cond in live["status"]["conditions"]:
        if cond["type"] in ("PredictorReady", "Ready"):
            cond.update(status="False", reason="ProgressDeadlineExceeded",
                        message='ReplicaSet "x-predictor-6d4f" has timed out progressing.')
    assert health_of(live).status is Status.DEGRADED


def test_isvc_in_progress_model_transition_does_not_spoil_ready() -> None:
    live = golden("isvc-ready")
    live["status"]["modelStatus"]["transitionStatus"] = "InProgress"
    live["status"]["modelStatus"]["states"]["targetModelState"] = "Pending"
    got = health_of(live)
    assert got.status is Status.HEALTHY and got.message.endswith("modelStatus InProgress")


def test_isvc_invalid_spec_is_degraded() -> None:
    live = golden("isvc-ready")
    live["status"]["modelStatus"] = {
        "transitionStatus": "InvalidSpec",
        "lastFailureInfo": {
            "reason": "NoSupportingRuntime",
            "message": "Specified runtime does not support specified framework/version",
        },
    }
    got = health_of(live)
    assert got.status is Status.DEGRADED
    assert "model InvalidSpec: NoSupportingRuntime: Specified runtime does not support" in got.message


def test_isvc_stop_requested_but_not_yet_stopped() -> None:
    live = golden("isvc-ready")
    live["metadata"]["annotations"] = {"serving.kserve.io/stop": "true"}
    assert health_of(live) == Health(Status.PROGRESSING, "stopping (serving.kserve.io/stop is set)")


def test_isvc_rolled_back_canary_says_it_is_pinned() -> None:
    live = golden("isvc-ready-canary")
    traffic = live["status"]["components"]["predictor"]["traffic"]
    traffic[0]["percent"], traffic[1]["percent"] = 0, 100
    got = health_of(live)
    assert got.status is Status.HEALTHY
    assert got.message.endswith(
        "pinned: 100% to sklearn-iris-predictor-default-00001; latest sklearn-iris-predictor-default-00003 gets 0%"
    )


# --- Experiment / jobs ------------------------------------------------------------------------


def test_experiment_restarting_and_created() -> None:
    live = golden("experiment-running")
    live["status"]["conditions"].append({"type": "Restarting", "status": "True", "reason": "ExperimentRestarting"})
    assert health_of(live).message.startswith("restarting; 8 of max 12 trials")
    live["status"]["conditions"] = live["status"]["conditions"][:1]
    assert health_of(live).message.startswith("created; waiting for trials")


def test_training_job_suspended_and_restarting() -> None:
    live = golden("pytorchjob-running")
    live["status"]["conditions"].append({
        "type": "Restarting", "status": "True", "reason": "PyTorchJobRestarting",
        "message": "PyTorchJob pytorch-simple is restarting because 1 Worker replica(s) failed.",
    })
    assert health_of(live).message.startswith("Restarting=True: PyTorchJobRestarting")
    live["status"]["conditions"].append({"type": "Suspended", "status": "True", "reason": "PyTorchJobSuspended"})
    assert health_of(live).status is Status.SUSPENDED
    fresh = obj("kubeflow.org/v1", "TFJob", spec={"runPolicy": {"suspend": True}})
    assert health_of(fresh) == Health(Status.SUSPENDED, "suspended (runPolicy.suspend)")


def test_train_job_suspended() -> None:
    fresh = obj("trainer.kubeflow.org/v1alpha1", "TrainJob", spec={"suspend": True})
    assert health_of(fresh) == Health(Status.SUSPENDED, "suspended (spec.suspend)")
    live = golden("trainjob-complete")
    live["status"]["conditions"] = [
        {"type": "Suspended", "status": "True", "reason": "Suspended", "message": "TrainJob is suspended"}
    ]
    assert health_of(live).status is Status.SUSPENDED
    live["status"]["conditions"] = []
    live["status"]["jobsStatus"][0].update(succeeded=0, active=2, ready=2)
    assert health_of(live) == Health(Status.PROGRESSING, "running; node: 2 active, 2 ready")


# --- ScheduledWorkflow ------------------------------------------------------------------------


def test_swf_recovered_from_an_older_failure_is_healthy_but_says_so() -> None:
    live = golden("swf-failed-runs")
    latest = live["status"]["workflowHistory"]["completed"][0]
    latest.update(phase="Succeeded", message="")
    got = health_of(live)
    assert got.status is Status.HEALTHY
    assert got.message.endswith("failed runs in history: every-minute-cron-10-2056205136")


def test_swf_history_order_does_not_matter() -> None:
    live = golden("swf-failed-runs")
    live["status"]["workflowHistory"]["completed"].reverse()
    assert health_of(live).status is Status.DEGRADED


def test_swf_enabled_and_disabled_disagreeing_with_spec_is_progressing() -> None:
    live = golden("swf-enabled")
    live["spec"]["enabled"] = False
    assert health_of(live).message.startswith("disabling")
    live = golden("swf-disabled")
    live["spec"]["enabled"] = True
    assert health_of(live).message.startswith("enabling")


def test_swf_error_and_running() -> None:
    live = golden("swf-oneoff-succeeded")
    live["status"]["conditions"] = [{"type": "Running", "status": "True", "reason": "Running"}]
    assert health_of(live) == Health(Status.PROGRESSING, "one-off run in progress")
    live["status"]["conditions"] = [{"type": "Error", "status": "True", "reason": "Error", "message": "bad cron"}]
    assert health_of(live) == Health(Status.DEGRADED, "Error=True: Error: bad cron")


# --- PipelineVersion / PVC / Namespace --------------------------------------------------------


def test_pipeline_version_deleting_and_unknown_reason() -> None:
    live = golden("pipelineversion-ready")
    live["status"]["conditions"][0].update(reason="DELETING", message="DELETING")
    assert health_of(live).status is Status.PROGRESSING
    live["status"]["conditions"][0].update(reason="SOMETHING")
    assert health_of(live).status is Status.UNKNOWN


def test_pvc_resizing_and_resize_error() -> None:
    live = golden("pvc-bound")
    live["status"]["conditions"] = [{
        "type": "FileSystemResizePending", "status": "True",
        "message": "Waiting for user to (re-)start a pod to finish file system resize of volume on node.",
    }]
    assert health_of(live).status is Status.PROGRESSING
    live["status"]["conditions"] = [{"type": "ControllerResizeError", "status": "True", "message": "quota exceeded"}]
    assert health_of(live).status is Status.DEGRADED


def test_namespace_terminating_without_conditions() -> None:
    live = obj("v1", "Namespace", status={"phase": "Terminating"})
    assert health_of(live) == Health(Status.PROGRESSING, "being deleted (Terminating)")


# --- Profile with its namespace ---------------------------------------------------------------


def test_profile_health_needs_its_namespace_owned_by_the_owner() -> None:
    profile = golden("profile-ok")
    namespace = obj("v1", "Namespace", status={"phase": "Active"})
    namespace["metadata"] = {"name": "kubeflow-user-example-com", "annotations": {"owner": "user@example.com"}}
    assert profile_health(profile, namespace) == Health(
        Status.HEALTHY, "namespace kubeflow-user-example-com exists, owned by user@example.com"
    )
    assert profile_health(profile, None).status is Status.PROGRESSING
    namespace["metadata"]["annotations"]["owner"] = "mallory@example.com"
    assert profile_health(profile, namespace) == Health(
        Status.DEGRADED, "namespace kubeflow-user-example-com is owned by mallory@example.com, not user@example.com"
    )
    terminating = golden("namespace-terminating")
    got = profile_health(profile, terminating)
    assert got.status is Status.PROGRESSING
    assert got.message.startswith("namespace kubeflow-user-example-com: being deleted")
    assert profile_health(golden("profile-failed"), namespace).status is Status.DEGRADED
    assert profile_health(None, namespace).status is Status.MISSING


def test_a_profile_among_the_live_objects_is_judged_with_its_namespace() -> None:
    profile = golden("profile-ok")
    namespace = obj("v1", "Namespace", status={"phase": "Active"})
    namespace["metadata"] = {"name": "kubeflow-user-example-com", "annotations": {"owner": "user@example.com"}}
    key = ObjectKey("", "Namespace", "", "kubeflow-user-example-com")
    assert health_among(profile, {key: namespace}).status is Status.HEALTHY
    waiting = health_among(profile, {})
    assert waiting == Health(Status.PROGRESSING, "waiting for the profile controller to create namespace "
                                                 "kubeflow-user-example-com")
    assert health_among(namespace, {}) == health_of(namespace)  # any other kind: as health_of says
