"""The engine and what it may delete, on the test API server and the embedded directory cluster:
all or nothing with an existing namespace, a missing inventory held until --adopt, kept objects."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.cluster.base import Cluster
from reconciler.cluster.kinds import known_kind
from reconciler.cluster.kube.cluster import KubeCluster
from reconciler.cluster.kube.options import KubeOptions
from reconciler.cluster.localdir.cluster import LocalDirCluster
from reconciler.engine import ApplyOptions, Target, reconcile
from reconciler.objects import Manifest, ObjectKey
from tests.engine.conftest import writes
from kubeserver import kubeconfig
from kubeserver.server import KubeServer

NS = "ml"
LABELS = {"app.kubernetes.io/managed-by": "platformctl"}


def _namespace(**labels: str) -> Manifest:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS, "labels": {**LABELS, **labels}}}


def _claim(name: str) -> Manifest:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": NS},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}


def _notebook(name: str) -> Manifest:
    return {"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "metadata": {"name": name, "namespace": NS},
            "spec": {"template": {"spec": {"containers": [{"name": name, "image": "jupyter:1"}]}}}}


def _target(revision: str, *manifests: Manifest) -> Target:
    return Target("dev", "c1", NS, revision, [_namespace(), *manifests] if not any(
        m["kind"] == "Namespace" for m in manifests) else list(manifests))


@pytest.fixture
def server(kube_cluster_factory: Callable[..., KubeServer]) -> KubeServer:
    made = kube_cluster_factory("c1")
    made.install_crds()
    return made


@pytest.fixture
def kube(server: KubeServer, tmp_path: Path) -> KubeCluster:
    config = kubeconfig.write(tmp_path / "config", {"c1": server})
    return KubeCluster("c1", kubeconfig=str(config), context="c1", options=KubeOptions(sleep=lambda _s: None))


def test_an_existing_namespace_is_patched_only_after_every_dry_run_passed(kube: KubeCluster,
                                                                          server: KubeServer) -> None:
    assert reconcile(kube, _target("r1", _notebook("a"))).ok
    broken = copy.deepcopy(_notebook("a"))
    broken["metadata"]["labels"] = {"bad": "not a valid value!"}
    server.reset_requests()

    result = reconcile(kube, _target("r2", _namespace(team="research"), broken))

    assert not result.ok and "rejected by the cluster's dry run" in (result.error or "")
    assert writes(server) == []
    found = server.get_object("", "namespaces", NS)
    assert found is not None and "team" not in found["metadata"]["labels"]
    fixed = reconcile(kube, _target("r3", _namespace(team="research"), _notebook("a")))
    relabelled = server.get_object("", "namespaces", NS)
    assert fixed.ok and relabelled is not None and relabelled["metadata"]["labels"]["team"] == "research"


def test_a_missing_namespace_is_still_created_before_the_dry_runs_that_need_it(kube: KubeCluster,
                                                                               server: KubeServer) -> None:
    result = reconcile(kube, _target("r1", _notebook("a"), _claim("data")))
    assert result.ok, result.error
    assert [c.action for c in result.changes if c.key.kind == "Namespace"] == ["created"]


@pytest.mark.parametrize("where", ["kube", "localdir"])
def test_a_lost_inventory_holds_pruning_and_adopt_resolves_it(where: str, kube: KubeCluster,
                                                              tmp_path: Path) -> None:
    cluster: Cluster = kube if where == "kube" else LocalDirCluster("c1", tmp_path / "dir")
    assert reconcile(cluster, _target("r1", _notebook("a"), _notebook("b"), _claim("data"))).ok
    configmap = known_kind("v1", "ConfigMap")
    assert configmap is not None
    if isinstance(cluster, KubeCluster):
        cluster.delete(configmap, NS, "platformctl-inventory-dev")
    else:
        (tmp_path / "dir" / ".platformctl" / "inventory-dev.json").unlink()

    # Nothing Git dropped: a fresh inventory forgets nothing, so nothing is held.
    assert reconcile(cluster, _target("r2", _notebook("a"), _notebook("b"), _claim("data"))).ok
    if isinstance(cluster, KubeCluster):
        cluster.delete(configmap, NS, "platformctl-inventory-dev")
    else:
        (tmp_path / "dir" / ".platformctl" / "inventory-dev.json").unlink()

    held = reconcile(cluster, _target("r3", _notebook("a")), ApplyOptions(allow_mass_prune=True))
    assert not held.ok and "--adopt" in (held.error or "")
    assert {str(c.key): c.action for c in held.changes if c.action != "unchanged"} == {
        "Notebook/ml/b": "skipped", "PersistentVolumeClaim/ml/data": "skipped"}
    assert cluster.read_inventory("dev", NS) is None

    adopted = reconcile(cluster, _target("r3", _notebook("a")), ApplyOptions(adopt=True, allow_mass_prune=True))
    assert adopted.ok, adopted.error
    assert {str(c.key): c.action for c in adopted.changes if c.action != "unchanged"} == {
        "Notebook/ml/b": "pruned", "PersistentVolumeClaim/ml/data": "skipped"}
    inventory = cluster.read_inventory("dev", NS)
    assert inventory is not None and inventory.kept == (ObjectKey("", "PersistentVolumeClaim", NS, "data"),)


def test_a_kept_claim_stays_owned_but_shows_in_no_component_row(kube: KubeCluster) -> None:
    from reconciler.component_status import status_rows

    claim = _claim("data")
    claim["metadata"]["labels"] = {"platformctl.dev/component": "notebooks.gone"}
    assert reconcile(kube, _target("r1", _notebook("a"), claim)).ok
    pruned = reconcile(kube, _target("r2", _notebook("a")))
    assert pruned.ok and [c.action for c in pruned.changes if c.key.name == "data"] == ["skipped"]

    again = reconcile(kube, _target("r3", _notebook("a")))

    assert again.ok and again.plan is not None and not again.plan.has_changes
    assert [e.key.name for e in again.plan.entries if e.action.value == "skip"] == ["data"]
    assert "notebooks/gone" not in {row.component for row in status_rows([again])}
    inventory = kube.read_inventory("dev", NS)
    assert inventory is not None and [k.name for k in inventory.kept] == ["data"]
