"""Pure planning against what a real API server returns: quantities in canonical form are not drift,
and a change the server refuses (an immutable field) is planned as ``replace``, never as an update."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reconciler.changes import plan_text
from reconciler.cluster.kube.watch import WatchEvent
from reconciler.daemon.driftwatch import drifted
from reconciler.diff import in_sync
from reconciler.engine import Result, Target
from reconciler.immutable import immutable_changes
from reconciler.labels import ANNOTATION_HASH, ANNOTATION_SOURCE, LABEL_COMPONENT_REF
from reconciler.objects import Manifest, ObjectKey
from reconciler.plan import Action, make_plan


def pvc(storage: Any = "20Gi", *, storage_class: str | None = None, modes: tuple[str, ...] = ("ReadWriteOnce",),
        status: dict[str, Any] | None = None) -> Manifest:
    spec: dict[str, Any] = {"accessModes": list(modes), "resources": {"requests": {"storage": storage}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    manifest: Manifest = {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "analytics-workspace", "namespace": "ml-dev",
                     "labels": {LABEL_COMPONENT_REF: "notebooks.analytics"},
                     "annotations": {ANNOTATION_SOURCE: "components/notebooks/analytics.yaml"}},
        "spec": spec,
    }
    if status is not None:
        manifest["status"] = status
    return manifest


def served(manifest: Manifest, **defaults: Any) -> Manifest:
    """What the server returns: server metadata, defaulted spec fields and a status."""
    live = copy.deepcopy(manifest)
    live["metadata"].update(uid="u-1", resourceVersion="7", creationTimestamp="2026-01-01T00:00:00Z")
    live["spec"] = {**live["spec"], **defaults}
    live.setdefault("status", {"phase": "Bound"})
    return live


def plan_one(desired: Manifest, live: Manifest) -> Any:
    key = ObjectKey.of(desired)
    [entry] = make_plan([desired], {key: live}, frozenset({key})).entries
    return entry


def notebook(memory: Any, version: str = "7") -> Manifest:
    return {"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "metadata": {"name": "nb", "namespace": "ml"},
            "spec": {"template": {"spec": {"containers": [{"name": "nb", "image": f"jupyter:{version}",
                                                             "resources": {"requests": {"memory": memory},
                                                                           "limits": {"memory": memory}}}]}}}}


# --- quantities -------------------------------------------------------------------------------
@pytest.mark.parametrize(("desired", "stored"), [("1024Mi", "1Gi"), ("0.5Gi", "512Mi"), ("20480Mi", "20Gi"),
                                                 ("1000Mi", "1000Mi")])
def test_a_claim_the_server_stored_in_canonical_form_is_unchanged(desired: str, stored: str) -> None:
    live = served(pvc(stored), storageClassName="standard", volumeMode="Filesystem")
    entry = plan_one(pvc(desired), live)
    assert entry.action is Action.UNCHANGED
    assert in_sync(pvc(desired), live) and entry.diff == ""
    # When something else changes, the diff shows that change and not the respelled size.
    relabelled = pvc(desired)
    relabelled["metadata"]["labels"]["team"] = "risk"
    changed = plan_one(relabelled, live)
    assert changed.action is Action.UPDATE and "+    team: risk" in changed.diff and "storage" not in changed.diff


def test_a_custom_resource_whose_quantity_is_spelled_differently_is_not_drift() -> None:
    # Someone (or a tool) rewrote 8Gi as 8192Mi: the same amount, so nothing to do and no drift reported.
    live = served(notebook("8192Mi"))
    assert plan_one(notebook("8Gi"), live).action is Action.UNCHANGED
    assert not drifted(WatchEvent("MODIFIED", live), notebook("8Gi"))
    # A different amount is drift, and the diff shows both spellings.
    changed = served(notebook("4Gi"))
    entry = plan_one(notebook("8Gi"), changed)
    assert entry.action is Action.UPDATE and "-            memory: 4Gi\n+            memory: 8Gi" in entry.diff
    assert drifted(WatchEvent("MODIFIED", changed), notebook("8Gi"))


def test_numeric_looking_strings_outside_quantity_fields_keep_their_exact_text() -> None:
    # An image tag (or a model version "7" vs "7.0") is not a quantity: 7 and 7.0 are different versions.
    entry = plan_one(notebook("8Gi", version="7.0"), served(notebook("8Gi", version="7")))
    assert entry.action is Action.UPDATE and "image: jupyter:7.0" in entry.diff


def test_a_json_number_and_its_canonical_string_are_the_same_quantity() -> None:
    desired = notebook(8 * 2**30)  # a GPU or memory count written as a number
    assert plan_one(desired, served(notebook("8Gi"))).action is Action.UNCHANGED


# --- immutable fields -------------------------------------------------------------------------
@pytest.mark.parametrize(("desired", "field", "old", "new"), [
    (pvc("10Gi"), "spec.resources.requests.storage", "20Gi", "10Gi"),
    (pvc("20Gi", storage_class="fast-ssd"), "spec.storageClassName", "standard", "fast-ssd"),
    (pvc("20Gi", modes=("ReadWriteMany",)), "spec.accessModes[0]", "ReadWriteOnce", "ReadWriteMany"),
])
def test_a_claim_change_the_server_refuses_needs_replacement(desired: Manifest, field: str, old: str,
                                                              new: str) -> None:
    live = served(pvc("20Gi"), storageClassName="standard")
    entry = plan_one(desired, live)
    assert entry.action is Action.REPLACE
    [change] = entry.immutable
    assert (change.field, change.old, change.new) == (field, old, new)
    assert entry.reason.startswith(f"needs replacement: {field} {old} -> {new}: ")
    assert "component notebooks/analytics, components/notebooks/analytics.yaml" in entry.reason
    assert "deletes the claim and the data on its volume" in entry.reason
    assert entry.diff  # the reviewer still sees what changes


def test_growing_a_bound_claim_is_an_ordinary_update() -> None:
    entry = plan_one(pvc("30Gi"), served(pvc("20Gi"), storageClassName="standard"))
    assert entry.action is Action.UPDATE and entry.immutable == ()


def test_growing_a_claim_that_is_not_bound_yet_needs_replacement() -> None:
    entry = plan_one(pvc("30Gi"), served(pvc("20Gi", status={"phase": "Pending"})))
    assert entry.action is Action.REPLACE and "can only grow once the claim is bound" in entry.reason


def test_undoing_an_expansion_that_did_not_complete_is_allowed() -> None:
    live = served(pvc("30Gi", status={"phase": "Bound", "capacity": {"storage": "20Gi"}}))
    assert plan_one(pvc("25Gi"), live).action is Action.UPDATE
    assert plan_one(pvc("20Gi"), live).action is Action.REPLACE  # not above what the volume already has


def test_the_same_size_spelled_differently_is_not_a_shrink() -> None:
    assert immutable_changes(pvc("20480Mi"), served(pvc("20Gi"))) == []


def _pipeline_version(ir: dict[str, Any], display: str = "v1") -> Manifest:
    return {"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "PipelineVersion",
            "metadata": {"name": "train-1-0-0", "namespace": "ml", "annotations": {ANNOTATION_HASH: display}},
            "spec": {"pipelineName": "train", "displayName": display, "pipelineSpec": ir}}


def test_a_pipeline_version_spec_is_immutable_except_its_display_name() -> None:
    live = served(_pipeline_version({"root": {"dag": {"tasks": {"a": {}}}}}))
    renamed = plan_one(_pipeline_version({"root": {"dag": {"tasks": {"a": {}}}}}, display="v1 (final)"), live)
    assert renamed.action is Action.UPDATE
    edited = plan_one(_pipeline_version({"root": {"dag": {"tasks": {"b": {}}}}}), live)
    assert edited.action is Action.REPLACE
    assert "spec.pipelineSpec.root.dag.tasks.b unset -> {}: a pipeline version cannot change" in edited.reason


def _runtime(order: str | None) -> Manifest:
    template: dict[str, Any] = {"startupPolicy": {"startupPolicyOrder": order}} if order else {}
    return {"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainingRuntime",
            "metadata": {"name": "t", "namespace": "ml"}, "spec": {"template": {"spec": template}}}


def test_a_crd_field_with_a_self_equals_old_self_rule_needs_replacement() -> None:
    entry = plan_one(_runtime("InOrder"), served(_runtime("AnyOrder")))
    assert entry.action is Action.REPLACE
    assert "spec.template.spec.startupPolicy.startupPolicyOrder AnyOrder -> InOrder: " \
           "cannot change after creation (Value is immutable)" in entry.reason
    # A transition rule only runs when both sides have the field: setting it for the first time is an update.
    assert plan_one(_runtime("AnyOrder"), served(_runtime(None))).action is Action.UPDATE


def _tfjob(queue: str | None) -> Manifest:
    policy = {"schedulingPolicy": {"queue": queue}} if queue else {}
    return {"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": {"name": "t", "namespace": "ml"},
            "spec": {"runPolicy": policy, "tfReplicaSpecs": {}}}


def test_a_training_run_cannot_change_at_all() -> None:
    entry = plan_one(_tfjob("gpu-b"), served(_tfjob("gpu-a")))
    assert entry.action is Action.REPLACE
    assert "spec.runPolicy.schedulingPolicy.queue gpu-a -> gpu-b: a training run cannot change " \
           "(pin a new version to start a new run)" in entry.reason
    # Unlike a CEL transition rule, setting a field the run was created without is a change too.
    assert plan_one(_tfjob("gpu-a"), served(_tfjob(None))).action is Action.REPLACE


def test_the_plan_text_shows_the_replacement_and_counts_it() -> None:
    desired = pvc("10Gi")
    key = ObjectKey.of(desired)
    plan = make_plan([desired], {key: served(pvc("20Gi"))}, frozenset({key}))
    assert plan.has_changes and plan.replacements and plan.writes == plan.replacements
    text = plan_text([Result(Target("dev", "local", "ml-dev", "r1", [desired]), plan=plan)], show_diff=False)
    assert "  -/+ replace   PersistentVolumeClaim/ml-dev/analytics-workspace  (needs replacement: " \
           "spec.resources.requests.storage 20Gi -> 10Gi: cannot shrink" in text
    assert "0 to create, 0 to update, 1 to replace, 0 to prune, 0 unchanged" in text


def test_a_replacement_may_delete_only_what_platformctl_created_and_nobody_asked_to_keep() -> None:
    desired = pvc("10Gi")
    key = ObjectKey.of(desired)
    live = served(pvc("20Gi"))
    [ours] = make_plan([desired], {key: live}, frozenset({key})).entries
    assert ours.action is Action.REPLACE and ours.undeletable == ""

    [foreign] = make_plan([desired], {key: live}, frozenset()).entries  # same name, not in the inventory
    assert foreign.action is Action.REPLACE and "did not create it" in foreign.undeletable

    kept = copy.deepcopy(live)
    kept["metadata"]["annotations"]["platformctl.dev/prune"] = "disabled"
    [annotated] = make_plan([desired], {key: kept}, frozenset({key})).entries
    assert "platformctl.dev/prune: disabled" in annotated.undeletable

    shared = copy.deepcopy(live)
    shared["metadata"]["managedFields"] = [
        {"manager": "platformctl", "operation": "Apply", "fieldsV1": {"f:spec": {}}},
        {"manager": "team-tooling", "operation": "Apply", "fieldsV1": {"f:metadata": {"f:labels": {}}}}]
    [also_applied] = make_plan([desired], {key: shared}, frozenset({key})).entries
    assert "also applied by team-tooling" in also_applied.undeletable
