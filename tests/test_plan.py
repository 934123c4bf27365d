"""Pure planning: pairing desired with live and the inventory, diffs, and the deletion budget."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.diff import in_sync, unified_diff
from reconciler.labels import ANNOTATION_KEEP, ANNOTATION_REVISION
from reconciler.objects import Manifest, ObjectKey
from reconciler.owned import NOT_OURS
from reconciler.plan import RELEASED, Action, Scope, budget_refusal, make_plan


def obj(kind: str, name: str, spec: dict[str, Any] | None = None, *, api: str = "kubeflow.org/v1",
        annotations: dict[str, str] | None = None, **extra: Any) -> Manifest:
    metadata: dict[str, Any] = {"name": name, "namespace": "ml"}
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": api, "kind": kind, "metadata": metadata, **({"spec": spec} if spec is not None else {}), **extra}


def live_of(manifest: Manifest, **server: Any) -> Manifest:
    """What a server returns: our fields plus server metadata, defaults and status."""
    metadata = {**manifest["metadata"], "uid": "u-1", "resourceVersion": "42", "generation": 3,
                "managedFields": [{"manager": "platformctl"}], "creationTimestamp": "2026-01-01T00:00:00Z"}
    spec = {**manifest.get("spec", {}), **server.pop("defaults", {})}
    return {**manifest, "metadata": metadata, "spec": spec, "status": {"conditions": [{"type": "Ready"}]}, **server}


def key(manifest: Manifest) -> ObjectKey:
    return ObjectKey.of(manifest)


def test_server_fields_defaults_and_status_are_not_drift() -> None:
    desired = obj("Notebook", "nb", {"template": {"spec": {"containers": [{"name": "nb", "image": "a:1"}]}}},
                  annotations={ANNOTATION_REVISION: "new-commit"})
    live = live_of({**desired, "metadata": {**desired["metadata"], "annotations": {ANNOTATION_REVISION: "old"}}},
                   defaults={"extra": "defaulted-by-server"})
    assert in_sync(desired, live)
    plan = make_plan([desired], {key(desired): live}, frozenset({key(desired)}))
    assert [e.action for e in plan.entries] == [Action.UNCHANGED]
    assert not plan.has_changes


def test_changed_field_is_an_update_with_a_yaml_diff() -> None:
    desired = obj("InferenceService", "m", {"predictor": {"minReplicas": 3}}, api="serving.kserve.io/v1beta1")
    live = live_of(obj("InferenceService", "m", {"predictor": {"minReplicas": 2}}, api="serving.kserve.io/v1beta1"))
    [entry] = make_plan([desired], {key(desired): live}, frozenset({key(desired)})).entries
    assert entry.action is Action.UPDATE
    assert "-    minReplicas: 2\n+    minReplicas: 3" in entry.diff
    assert "uid" not in entry.diff and "status" not in entry.diff


def test_live_object_we_never_owned_is_adopted_not_silently_updated() -> None:
    desired = obj("Notebook", "nb", {"a": 1})
    live = live_of(obj("Notebook", "nb", {"a": 2}))
    [entry] = make_plan([desired], {key(desired): live}, frozenset()).entries
    assert entry.action is Action.UPDATE and "adopting" in entry.reason


def test_only_inventory_objects_are_pruned_in_reverse_apply_order() -> None:
    pipeline = obj("Pipeline", "p", {}, api="pipelines.kubeflow.org/v2beta1")
    schedule = obj("ScheduledWorkflow", "s", {}, api="kubeflow.org/v1beta1")
    stranger = obj("Notebook", "not-ours", {})
    live = {key(o): live_of(o) for o in (pipeline, schedule, stranger)}
    plan = make_plan([], live, frozenset({key(pipeline), key(schedule)}))
    assert [(e.action, e.key.name) for e in plan.entries] == [(Action.PRUNE, "s"), (Action.PRUNE, "p")]


@pytest.mark.parametrize(("manifest", "protected"), [
    (obj("PersistentVolumeClaim", "data", {}, api="v1"), True),
    ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}}, True),
    (obj("Notebook", "keep-me", {}, annotations={ANNOTATION_KEEP: "disabled"}), True),
    (obj("Notebook", "nb", {}), False),
])
def test_protected_objects_are_skipped_unless_asked(manifest: Manifest, protected: bool) -> None:
    live = {key(manifest): live_of(manifest)}
    [entry] = make_plan([], live, frozenset(live)).entries
    assert entry.action is (Action.SKIP if protected else Action.PRUNE)
    if manifest["kind"] in ("PersistentVolumeClaim", "Namespace"):
        [forced] = make_plan([], live, frozenset(live), prune_protected=True).entries
        assert forced.action is Action.PRUNE


def test_objects_already_gone_just_leave_the_inventory() -> None:
    gone = obj("Notebook", "gone", {})
    assert make_plan([], {}, frozenset({key(gone)})).entries == ()


def _owned(n: int) -> dict[ObjectKey, Manifest]:
    return {key(o): live_of(o) for o in (obj("Notebook", f"nb-{i}", {}) for i in range(n))}


def test_budget_refuses_deleting_more_than_the_policy_allows() -> None:
    live = _owned(10)
    keep = [m for m in (obj("Notebook", f"nb-{i}", {}) for i in range(6))]
    plan = make_plan(keep, live, frozenset(live))
    assert len(plan.prunes) == 4
    refusal = budget_refusal(plan, 0.3, override=False)
    assert refusal is not None and "4 of 10 owned objects (40%)" in refusal
    assert budget_refusal(plan, 0.5, override=False) is None
    assert budget_refusal(plan, 0.3, override=True) is None


def test_budget_always_refuses_deleting_everything_without_override() -> None:
    live = _owned(3)
    plan = make_plan([], live, frozenset(live))
    refusal = budget_refusal(plan, 1.0, override=False)
    assert refusal is not None and "deletes everything" in refusal


def test_secrets_are_masked_in_diffs() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ml"},
              "data": {"token": "c2VjcmV0"}}
    text = unified_diff("Secret/ml/s", secret, None)
    assert "c2VjcmV0" not in text and "token: '***'" in text


def test_a_field_git_dropped_is_an_update_even_though_every_remaining_field_matches() -> None:
    from reconciler.labels import ANNOTATION_HASH

    old = obj("InferenceService", "m", {"predictor": {"minReplicas": 1, "canaryTrafficPercent": 10}},
              api="serving.kserve.io/v1beta1", annotations={ANNOTATION_HASH: "sha256:old"})
    new = obj("InferenceService", "m", {"predictor": {"minReplicas": 1}},
              api="serving.kserve.io/v1beta1", annotations={ANNOTATION_HASH: "sha256:new"})
    [entry] = make_plan([new], {key(new): live_of(old)}, frozenset({key(new)})).entries
    assert entry.action is Action.UPDATE
    assert "removed by server-side apply" in entry.diff


def test_budget_refuses_a_plan_that_keeps_only_the_namespace() -> None:
    live = _owned(4)
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}}
    live[key(namespace)] = live_of(namespace)
    plan = make_plan([namespace], live, frozenset(live))
    refusal = budget_refusal(plan, 1.0, override=False)
    assert refusal is not None and "deletes everything" in refusal


# --- ownership: what platformctl may delete (reconciler.owned) ---------------------------------------

def applied(manifest: Manifest, *entries: dict[str, str]) -> Manifest:
    """A live object whose managedFields hold ``entries`` (platformctl's own Apply when none given)."""
    live = live_of(manifest)
    live["metadata"]["managedFields"] = list(entries) or [{"manager": "platformctl", "operation": "Apply"}]
    return live


ML = Scope("ml")
CLUSTER_ROLE = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "team-a"}}


@pytest.mark.parametrize(("live", "why"), [
    (applied(obj("Notebook", "users", {}), {"manager": "kubectl-client-side-apply", "operation": "Update"}),
     "no server-side apply by 'platformctl'"),
    (applied(obj("Notebook", "users", {}), {"manager": "kubectl", "operation": "Apply"}),
     "no server-side apply by 'platformctl'"),
    (applied(obj("Notebook", "users", {}), {"manager": "platformctl", "operation": "Update"}),
     "no server-side apply by 'platformctl'"),
    (applied(obj("Notebook", "users", {}), {"manager": "platformctl", "operation": "Apply", "subresource": "status"}),
     "no server-side apply by 'platformctl'"),
    (applied(CLUSTER_ROLE), "never renders ClusterRole objects"),
    (applied(obj("ConfigMap", "settings", api="v1")), "never renders ConfigMap objects"),
    (applied({**obj("Notebook", "theirs", {}), "metadata": {"name": "theirs", "namespace": "other"}}),
     "outside this environment's namespace 'ml'"),
    (applied({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}),
     "may only own its own namespace 'ml'"),
])
def test_an_inventory_entry_that_is_not_ours_is_reported_never_pruned(live: Manifest, why: str) -> None:
    plan = make_plan([], {key(live): live}, frozenset({key(live)}), scope=ML, prune_protected=True)
    [entry] = plan.entries
    assert entry.action is Action.SKIP and entry.reason.startswith(NOT_OURS) and why in entry.reason
    assert plan.not_ours == [entry] and plan.prunes == [] and not plan.has_changes


@pytest.mark.parametrize(("entry", "why"), [
    (ObjectKey("kubeflow.org", "Notebook", "team-b", "their-notebook"), "outside this environment's namespace"),
    (ObjectKey("", "Namespace", "", "kube-system"), "may only own its own namespace"),
    (ObjectKey("rbac.authorization.k8s.io", "ClusterRole", "", "admin"), "never renders ClusterRole"),
])
def test_an_inventory_entry_naming_something_out_of_scope_is_reported_though_never_read(
        entry: ObjectKey, why: str) -> None:
    # Such objects are never listed (only the environment's namespace is), so no live copy exists.
    plan = make_plan([], {}, frozenset({entry}), scope=ML)
    [skipped] = plan.entries
    assert skipped.action is Action.SKIP and skipped.live is None and why in skipped.reason
    assert plan.not_ours == [skipped] and plan.prunes == [] and not plan.has_changes


def test_an_inventory_entry_already_gone_leaves_silently() -> None:
    gone = ObjectKey("kubeflow.org", "Notebook", "ml", "deleted-by-hand")
    assert make_plan([], {}, frozenset({gone}), scope=ML).entries == ()


def test_a_cluster_scoped_kind_the_environment_may_own_passes_the_namespace_rule() -> None:
    role = applied(CLUSTER_ROLE)
    plan = make_plan([], {key(role): role}, frozenset({key(role)}),
                     scope=Scope("ml", frozenset({"Namespace", "ClusterRole"})))
    assert "never renders ClusterRole" in plan.entries[0].reason  # still not a kind platformctl renders


def test_our_own_object_in_scope_is_pruned_even_when_others_wrote_its_status() -> None:
    live = applied(obj("Notebook", "nb", {}), {"manager": "platformctl", "operation": "Apply"},
                   {"manager": "notebook-controller", "operation": "Update", "subresource": "status"})
    plan = make_plan([], {key(live): live}, frozenset({key(live)}), scope=ML)
    assert [e.action for e in plan.entries] == [Action.PRUNE] and plan.not_ours == []


def test_replace_never_deletes_an_inventory_object_that_is_not_ours() -> None:
    desired = obj("PersistentVolumeClaim", "data", {"storageClassName": "fast"}, api="v1")
    live = applied(obj("PersistentVolumeClaim", "data", {"storageClassName": "slow"}, api="v1"),
                   {"manager": "kubectl", "operation": "Apply"})
    [entry] = make_plan([desired], {key(live): live}, frozenset({key(live)}), scope=ML).entries
    assert entry.action is Action.REPLACE and entry.undeletable.startswith(NOT_OURS)


def test_a_hold_skips_every_stale_entry_with_its_reason() -> None:
    live = {key(o): applied(o) for o in (obj("Notebook", "a", {}), obj("Notebook", "b", {}))}
    plan = make_plan([], live, frozenset(live), scope=ML, hold="inventory missing")
    assert [(e.action, e.reason) for e in plan.entries] == [(Action.SKIP, "inventory missing")] * 2


def test_released_entries_say_so() -> None:
    pvc = applied(obj("PersistentVolumeClaim", "data", {}, api="v1"))
    [entry] = make_plan([], {key(pvc): pvc}, frozenset({key(pvc)}), scope=ML, release=True).entries
    assert entry.action is Action.SKIP and entry.reason.endswith(RELEASED) and "protected" in entry.reason


def test_kept_objects_do_not_count_as_owned_in_the_deletion_budget() -> None:
    claims = {key(o): applied(o) for o in (obj("PersistentVolumeClaim", f"c-{i}", {}, api="v1") for i in range(10))}
    notebooks = {key(o): applied(o) for o in (obj("Notebook", f"nb-{i}", {}) for i in range(3))}
    live = {**claims, **notebooks}
    unchanged = make_plan([obj("Notebook", f"nb-{i}", {}) for i in range(3)], live, frozenset(live), scope=ML,
                          kept=frozenset(claims))
    assert not unchanged.has_changes and budget_refusal(unchanged, 0.3, override=False) is None
    assert unchanged.owned_before == 3
    removal = make_plan([obj("Notebook", "nb-0", {})], live, frozenset(live), scope=ML, kept=frozenset(claims))
    refusal = budget_refusal(removal, 0.3, override=False)
    assert refusal is not None and "2 of 3 owned objects" in refusal  # not 2 of 13
    forced = make_plan([obj("Notebook", "nb-0", {})], live, frozenset(live), scope=ML, kept=frozenset(claims),
                       prune_protected=True)
    assert len(forced.prunes) == 12 and forced.owned_before == 13
