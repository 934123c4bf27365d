"""Issue 13, scenarios 5, 9 and 10 against a real kube-apiserver: what platformctl may delete, and its inventory.

5. A tampered inventory naming a user's Notebook and a cluster-scoped Profile deletes neither.
10. A deleted inventory ConfigMap holds pruning (nothing left behind silently, nothing wrongly
    deleted) until ``--adopt``; a PVC a prune skipped stays in the inventory, marked kept, until
    ``--prune-protected`` deletes it.
9. A change whose objects are all rejected writes nothing, not even the existing Namespace's labels.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.changes import apply_text
from reconciler.cluster.inventory_codec import decode_inventory, encode_inventory
from reconciler.cluster.kube.cluster import INVENTORY_KEY, KubeCluster
from reconciler.cluster.kube.options import KubeOptions
from reconciler.engine import ApplyOptions, Result, Target, reconcile
from reconciler.fleet import targets
from reconciler.inventory import Inventory
from reconciler.labels import LABEL_COMPONENT_REF
from reconciler.objects import Manifest, ObjectKey
from reconciler.owned import NOT_OURS
from reconciler.spec.document import Spec
from tests.engine.conftest import WRITE_VERBS
from tests.realkube.cluster import RealCluster

pytestmark = pytest.mark.realkube

NS = "ml-dev"
INVENTORY = f"/api/v1/namespaces/{NS}/configmaps/platformctl-inventory-dev"
NOTEBOOKS = f"/apis/kubeflow.org/v1/namespaces/{NS}/notebooks"


def _target(spec: Spec, revision: str = "r1", *, without: tuple[str, ...] = ()) -> Target:
    """The dev environment's objects, less those of the components named in ``without``."""
    [target] = targets(spec, "dev", revision)
    kept = [m for m in target.manifests if m["metadata"].get("labels", {}).get(LABEL_COMPONENT_REF) not in without]
    return Target(target.environment, "c1", NS, revision, kept)


@pytest.fixture
def cluster(real_cluster: RealCluster, tmp_path: Path) -> KubeCluster:
    config = real_cluster.write_kubeconfig(tmp_path / "config", context="c1")
    return KubeCluster("c1", kubeconfig=str(config), context="c1",
                       options=KubeOptions(sleep=lambda _s: None, qps=0, burst=0))


@pytest.fixture
def applied(cluster: KubeCluster, generated: Callable[[int], Spec]) -> Spec:
    """A generated platform, applied to the dev environment's cluster."""
    spec = generated(12)
    first = reconcile(cluster, _target(spec))
    assert first.ok, first.error
    return spec


def _inventory(real_cluster: RealCluster) -> Inventory | None:
    found = real_cluster.get_object("", "configmaps", "platformctl-inventory-dev", NS)
    return None if found is None else decode_inventory(found["data"][INVENTORY_KEY], "test")


def _deletes(real_cluster: RealCluster, *, dry_runs: bool = True) -> list[str]:
    return [f"{r.resource}/{r.name}" for r in real_cluster.requests
            if r.verb == "delete" and (dry_runs or "dryRun=All" not in r.path)]


def _writes(real_cluster: RealCluster) -> list[str]:
    """Real (not dry-run) writes the server accepted."""
    return [f"{r.verb} {r.resource}/{r.name}" for r in real_cluster.requests
            if r.verb in WRITE_VERBS and "dryRun=All" not in r.path and r.code < 400]


def _changes(result: Result) -> dict[str, tuple[str, str]]:
    return {str(c.key): (c.action, c.message) for c in result.changes}


def _create_as_someone_else(real_cluster: RealCluster, path: str, body: Manifest) -> None:
    """A plain create (as `kubectl create` does): managedFields name kubectl, operation Update."""
    real_cluster.apiserver.call("POST", f"{path}?fieldManager=kubectl-create", body)


def _users_notebook(spec: Spec) -> Manifest:
    """A Notebook a user made by hand, copying a rendered one (platformctl's labels included)."""
    rendered = next(m for m in _target(spec).manifests if m["kind"] == "Notebook")
    notebook = copy.deepcopy(rendered)
    notebook["metadata"]["name"] = "users-notebook"
    return notebook


def test_a_tampered_inventory_never_deletes_what_platformctl_did_not_create(
        applied: Spec, cluster: KubeCluster, real_cluster: RealCluster) -> None:
    _create_as_someone_else(real_cluster, NOTEBOOKS, _users_notebook(applied))
    _create_as_someone_else(real_cluster, "/apis/kubeflow.org/v1/profiles", {
        "apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": {"name": "team-a"},
        "spec": {"owner": {"kind": "User", "name": "a@example.com"}}})
    stored = _inventory(real_cluster)
    assert stored is not None
    notebook = ObjectKey("kubeflow.org", "Notebook", NS, "users-notebook")
    profile = ObjectKey("kubeflow.org", "Profile", "", "team-a")
    tampered = Inventory(stored.environment, stored.revision, (*stored.objects, notebook, profile),
                         {**stored.api_versions, "kubeflow.org/Profile": "kubeflow.org/v1"})
    real_cluster.apiserver.call("PATCH", f"{INVENTORY}?fieldManager=kubectl-edit",
                                {"data": {INVENTORY_KEY: encode_inventory(tampered)}},
                                content_type="application/merge-patch+json")
    real_cluster.reset_requests()

    result = reconcile(cluster, _target(applied, "r2"), ApplyOptions(prune=True))

    assert result.ok, result.error
    assert _deletes(real_cluster) == []  # not even a dry run
    assert real_cluster.get_object("kubeflow.org", "notebooks", "users-notebook", NS) is not None
    assert real_cluster.get_object("kubeflow.org", "profiles", "team-a") is not None
    changes = _changes(result)
    assert changes["Notebook/ml-dev/users-notebook"][0] == "refused"
    assert "no server-side apply by 'platformctl'" in changes["Notebook/ml-dev/users-notebook"][1]
    assert changes["Profile/team-a"][0] == "refused"
    # platformctl renders Profiles (for teams), but team-a is no team this environment hosts
    assert "cluster-scoped Profile objects are outside this environment's policy" in changes["Profile/team-a"][1]
    assert result.plan is not None and {str(e.key) for e in result.plan.not_ours} == {
        "Notebook/ml-dev/users-notebook", "Profile/team-a"}
    text = apply_text([result])
    assert f"Profile/team-a refused ({NOT_OURS}" in text
    assert f"Notebook/ml-dev/users-notebook refused ({NOT_OURS}" in text


def test_a_deleted_inventory_holds_pruning_until_adopt_rebuilds_it(
        applied: Spec, cluster: KubeCluster, real_cluster: RealCluster) -> None:
    _create_as_someone_else(real_cluster, NOTEBOOKS, _users_notebook(applied))
    real_cluster.apiserver.call("DELETE", INVENTORY)
    removed = _target(applied, "r2", without=("serving.model-1", "notebooks.nb-0"))
    real_cluster.reset_requests()

    held = reconcile(cluster, removed, ApplyOptions(prune=True))

    assert not held.ok and held.error is not None
    assert "inventory of environment 'dev' is missing" in held.error and "--adopt" in held.error
    for name in ("InferenceService/ml-dev/model-1", "Notebook/ml-dev/nb-0",
                 "PersistentVolumeClaim/ml-dev/nb-0-workspace"):
        assert _changes(held)[name][0] == "skipped" and "--adopt" in _changes(held)[name][1]
    assert "Notebook/ml-dev/users-notebook" not in _changes(held)  # never platformctl's, never listed
    assert _deletes(real_cluster) == []
    assert _inventory(real_cluster) is None  # not rewritten: that would forget model-1 and nb-0

    again = reconcile(cluster, removed, ApplyOptions(prune=True))
    assert not again.ok and "--adopt" in (again.error or "") and _deletes(real_cluster) == []  # it persists

    adopted = reconcile(cluster, removed, ApplyOptions(prune=True, adopt=True))

    assert adopted.ok, adopted.error
    assert sorted(_deletes(real_cluster, dry_runs=False)) == ["inferenceservices.serving.kserve.io/model-1",
                                              "notebooks.kubeflow.org/nb-0"]
    assert real_cluster.get_object("serving.kserve.io", "inferenceservices", "model-1", NS) is None
    assert real_cluster.get_object("kubeflow.org", "notebooks", "users-notebook", NS) is not None
    assert real_cluster.get_object("", "persistentvolumeclaims", "nb-0-workspace", NS) is not None
    inventory = _inventory(real_cluster)
    assert inventory is not None
    claim = ObjectKey("", "PersistentVolumeClaim", NS, "nb-0-workspace")
    assert inventory.keys() == {ObjectKey.of(m) for m in removed.manifests} | {claim}
    assert inventory.kept == (claim,)


def test_a_damaged_inventory_is_reported_and_never_overwritten_without_adopt(
        applied: Spec, cluster: KubeCluster, real_cluster: RealCluster) -> None:
    real_cluster.apiserver.call("PATCH", f"{INVENTORY}?fieldManager=kubectl-edit",
                                {"data": {INVENTORY_KEY: "{not json"}}, content_type="application/merge-patch+json")
    real_cluster.reset_requests()

    held = reconcile(cluster, _target(applied, "r2", without=("serving.model-1",)), ApplyOptions(prune=True))

    assert not held.ok and "damaged" in (held.error or "") and "--adopt" in (held.error or "")
    assert _deletes(real_cluster) == []
    found = real_cluster.get_object("", "configmaps", "platformctl-inventory-dev", NS)
    assert found is not None and found["data"][INVENTORY_KEY] == "{not json"


def test_a_claim_a_prune_skipped_stays_in_the_inventory_kept_until_prune_protected_deletes_it(
        applied: Spec, cluster: KubeCluster, real_cluster: RealCluster) -> None:
    removed = _target(applied, "r2", without=("notebooks.nb-0",))
    claim = ObjectKey("", "PersistentVolumeClaim", NS, "nb-0-workspace")

    pruned = reconcile(cluster, removed, ApplyOptions(prune=True))

    assert pruned.ok, pruned.error
    assert _changes(pruned)["Notebook/ml-dev/nb-0"][0] == "pruned"
    assert _changes(pruned)[str(claim)] == ("skipped", "PersistentVolumeClaim is protected from pruning "
                                                        "(use --prune-protected to delete it)")
    inventory = _inventory(real_cluster)
    assert inventory is not None and claim in inventory.keys() and inventory.kept == (claim,)

    # Later reconciles: the kept claim is not a change, costs no write and leaves the budget alone.
    real_cluster.reset_requests()
    quiet = reconcile(cluster, _target(applied, "r3", without=("notebooks.nb-0",)), ApplyOptions(prune=True))
    assert quiet.ok and quiet.plan is not None and not quiet.plan.has_changes
    assert _writes(real_cluster) == []

    forced = reconcile(cluster, removed, ApplyOptions(prune=True, prune_protected=True))

    assert forced.ok, forced.error
    assert _changes(forced)[str(claim)][0] == "pruned"
    assert _deletes(real_cluster, dry_runs=False) == ["persistentvolumeclaims/nb-0-workspace"]
    left = real_cluster.get_object("", "persistentvolumeclaims", "nb-0-workspace", NS)
    assert left is None or left["metadata"].get("deletionTimestamp")  # the pvc-protection finalizer may hold it
    inventory = _inventory(real_cluster)
    assert inventory is not None and claim not in inventory.keys() and inventory.kept == ()


def test_release_forgets_a_kept_claim_and_leaves_it_in_place(
        applied: Spec, cluster: KubeCluster, real_cluster: RealCluster) -> None:
    removed = _target(applied, "r2", without=("notebooks.nb-0",))
    assert reconcile(cluster, removed, ApplyOptions(prune=True)).ok
    real_cluster.reset_requests()

    released = reconcile(cluster, removed, ApplyOptions(prune=True, release=True))

    assert released.ok, released.error
    assert "released" in _changes(released)["PersistentVolumeClaim/ml-dev/nb-0-workspace"][1]
    assert _deletes(real_cluster) == []
    assert real_cluster.get_object("", "persistentvolumeclaims", "nb-0-workspace", NS) is not None
    inventory = _inventory(real_cluster)
    assert inventory is not None and inventory.kept == () and inventory.keys() == {
        ObjectKey.of(m) for m in removed.manifests}


def _rejected(manifest: Manifest) -> Manifest:
    """The same object with a label value every API server refuses."""
    broken: dict[str, Any] = json.loads(json.dumps(manifest))
    broken["metadata"].setdefault("labels", {})["platformctl.dev/broken"] = "not a valid value!"
    return broken


def test_a_change_whose_objects_are_all_rejected_leaves_the_existing_namespace_untouched(
        applied: Spec, cluster: KubeCluster, real_cluster: RealCluster) -> None:
    target = _target(applied, "r2")
    before = real_cluster.get_object("", "namespaces", NS)
    assert before is not None
    manifests = []
    for manifest in target.manifests:
        if manifest["kind"] == "Namespace":
            relabelled = copy.deepcopy(manifest)
            relabelled["metadata"]["labels"]["team"] = "research"
            manifests.append(relabelled)
        else:
            manifests.append(_rejected(manifest))
    real_cluster.reset_requests()

    result = reconcile(cluster, Target(target.environment, target.cluster, NS, "r2", manifests))

    assert not result.ok and "rejected by the cluster's dry run" in (result.error or "")
    assert _writes(real_cluster) == []
    dry_runs = [r for r in real_cluster.requests if r.verb == "patch" and "dryRun=All" in r.path]
    assert any(r.resource == "namespaces" for r in dry_runs)  # the namespace's patch was checked, not written
    after = real_cluster.get_object("", "namespaces", NS)
    assert after is not None and "team" not in after["metadata"]["labels"]
    assert after["metadata"]["labels"] == before["metadata"]["labels"]
