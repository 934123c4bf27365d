"""One contract, two implementations: KubeCluster over the test server, LocalDirCluster in tmp_path.

LocalDirCluster does no CRD schema validation (``platformctl validate`` does that before any
apply), so the schema-rejection test is kube-only and lives in test_kube.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.errors import Invalid, NotFound
from reconciler.inventory import Inventory
from reconciler.objects import ObjectKey
from tests.cluster.conftest import Target
from tests.waiting import until

CONFIGMAP = ("v1", "ConfigMap")
NOTEBOOK = ("kubeflow.org/v1", "Notebook")


def configmap(namespace: str, name: str, data: dict[str, str] | None = None,
              labels: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels is not None:
        metadata["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data or {"k": "v"}}


def notebook(namespace: str, image: str = "jupyter:1", labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1", "kind": "Notebook",
        "metadata": {"name": "nb", "namespace": namespace, "labels": labels or {"team": "a"}},
        "spec": {"template": {"spec": {"containers": [{"name": "nb", "image": image}]}}},
    }


def test_apply_creates_with_server_fields(target: Target) -> None:
    stored = target.cluster.apply(configmap(target.namespace, "created", {"a": "1"}))
    meta = stored["metadata"]
    assert meta["uid"] and meta["creationTimestamp"] and meta["resourceVersion"]
    assert "generation" not in meta  # ConfigMaps carry none on a real server
    assert [e["manager"] for e in meta["managedFields"]] == ["platformctl"]
    kind = target.cluster.kind(*CONFIGMAP)
    assert target.cluster.get(kind, target.namespace, "created") == stored


def test_identical_apply_is_a_no_op(target: Target) -> None:
    first = target.cluster.apply(configmap(target.namespace, "same", labels={"x": "1"}))
    second = target.cluster.apply(configmap(target.namespace, "same", labels={"x": "1"}))
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert second == first


def test_resource_version_moves_on_every_real_change(target: Target) -> None:
    first = target.cluster.apply(configmap(target.namespace, "moves", {"a": "1"}))
    second = target.cluster.apply(configmap(target.namespace, "moves", {"a": "2"}))
    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])
    assert second["metadata"]["uid"] == first["metadata"]["uid"]


def test_generation_counts_spec_changes_only(target: Target) -> None:
    created = target.cluster.apply(notebook(target.namespace))
    assert created["metadata"]["generation"] == 1
    relabelled = target.cluster.apply(notebook(target.namespace, labels={"team": "b"}))
    assert relabelled["metadata"]["generation"] == 1  # metadata is not spec
    assert relabelled["metadata"]["resourceVersion"] != created["metadata"]["resourceVersion"]
    changed = target.cluster.apply(notebook(target.namespace, image="jupyter:2", labels={"team": "b"}))
    assert changed["metadata"]["generation"] == 2
    again = target.cluster.apply(notebook(target.namespace, image="jupyter:2", labels={"team": "b"}))
    assert again["metadata"]["generation"] == 2


def test_fields_no_longer_applied_are_removed(target: Target) -> None:
    target.cluster.apply(configmap(target.namespace, "shrink", {"a": "1", "b": "2"}, labels={"x": "1", "y": "2"}))
    stored = target.cluster.apply(configmap(target.namespace, "shrink", {"a": "1"}, labels={"x": "1"}))
    assert stored["data"] == {"a": "1"}
    assert stored["metadata"]["labels"] == {"x": "1"}
    unlabelled = target.cluster.apply(configmap(target.namespace, "shrink", {"a": "1"}))
    assert "labels" not in unlabelled["metadata"]


def test_dry_run_stores_nothing(target: Target) -> None:
    kind = target.cluster.kind(*CONFIGMAP)
    would_be = target.cluster.apply(configmap(target.namespace, "dry", {"a": "1"}), dry_run=True)
    assert would_be["data"] == {"a": "1"} and would_be["metadata"]["name"] == "dry"
    assert target.cluster.get(kind, target.namespace, "dry") is None
    stored = target.cluster.apply(configmap(target.namespace, "dry", {"a": "1"}))
    changed = target.cluster.apply(configmap(target.namespace, "dry", {"a": "2"}), dry_run=True)
    assert changed["data"] == {"a": "2"}
    assert target.cluster.get(kind, target.namespace, "dry") == stored


def test_get_of_a_missing_object_is_none(target: Target) -> None:
    assert target.cluster.get(target.cluster.kind(*CONFIGMAP), target.namespace, "absent") is None


@pytest.mark.parametrize(("selector", "expected"), [
    ("", ["db", "plain", "web", "web-dev"]),
    ("tier=web", ["web", "web-dev"]),
    ("tier==web,env=prod", ["web"]),
    ("tier!=web", ["db", "plain"]),
    ("tier in (web, db)", ["db", "web", "web-dev"]),
    ("tier notin (web)", ["db", "plain"]),
    ("tier", ["db", "web", "web-dev"]),
    ("!tier", ["plain"]),
    ("env", ["db", "web", "web-dev"]),
])
def test_list_with_label_selectors(target: Target, selector: str, expected: list[str]) -> None:
    labels = {"web": {"tier": "web", "env": "prod"}, "web-dev": {"tier": "web", "env": "dev"},
              "db": {"tier": "db", "env": "prod"}, "plain": None}
    for name, found in labels.items():
        target.cluster.apply(configmap(target.namespace, name, labels=found))
    listed = target.cluster.list(target.cluster.kind(*CONFIGMAP), target.namespace, selector)
    assert [o["metadata"]["name"] for o in listed] == expected
    assert all(o["apiVersion"] == "v1" and o["kind"] == "ConfigMap" for o in listed)


def test_list_across_namespaces_and_cluster_scope(target: Target) -> None:
    target.cluster.apply(configmap(target.namespace, "everywhere", labels={"probe": target.namespace}))
    everywhere = target.cluster.list(target.cluster.kind(*CONFIGMAP), None, f"probe={target.namespace}")
    assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in everywhere] == [
        (target.namespace, "everywhere")]
    namespaces = target.cluster.list(target.cluster.kind("v1", "Namespace"), None)
    assert target.namespace in {o["metadata"]["name"] for o in namespaces}


def test_list_of_an_empty_kind_is_empty(target: Target) -> None:
    assert target.cluster.list(target.cluster.kind(*NOTEBOOK), target.namespace) == []


def test_delete_returns_true_then_false(target: Target) -> None:
    kind = target.cluster.kind(*CONFIGMAP)
    target.cluster.apply(configmap(target.namespace, "doomed"))
    assert target.cluster.delete(kind, target.namespace, "doomed", dry_run=True) is True
    assert target.cluster.get(kind, target.namespace, "doomed") is not None
    assert target.cluster.delete(kind, target.namespace, "doomed") is True
    assert target.cluster.get(kind, target.namespace, "doomed") is None
    assert target.cluster.delete(kind, target.namespace, "doomed") is False


def test_namespace_lifecycle_takes_its_content(target: Target) -> None:
    ns_kind = target.cluster.kind("v1", "Namespace")
    name = f"{target.namespace}-extra"
    created = target.cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert created["metadata"]["name"] == name and "namespace" not in created["metadata"]
    target.cluster.apply(configmap(name, "inside"))
    assert target.cluster.delete(ns_kind, None, name) is True
    # A real cluster finalizes a namespace in the background (kube-controller-manager).
    assert until(lambda: target.cluster.get(ns_kind, None, name) is None, timeout=30)
    assert target.cluster.get(target.cluster.kind(*CONFIGMAP), name, "inside") is None


def test_namespaced_object_in_a_missing_namespace_is_not_found(target: Target) -> None:
    with pytest.raises(NotFound) as caught:
        target.cluster.apply(configmap("no-such-namespace", "orphan"))
    assert caught.value.key == ObjectKey("", "ConfigMap", "no-such-namespace", "orphan")
    assert "no-such-namespace" in caught.value.message


def test_invalid_name_is_invalid(target: Target) -> None:
    with pytest.raises(Invalid) as caught:
        target.cluster.apply(configmap(target.namespace, "Not_A_Name"))
    assert any(c.startswith("metadata.name") for c in caught.value.causes)


def test_namespaced_object_without_a_namespace_is_invalid(target: Target) -> None:
    manifest = configmap(target.namespace, "homeless")
    del manifest["metadata"]["namespace"]
    with pytest.raises(Invalid) as caught:
        target.cluster.apply(manifest)
    assert any(c.startswith("metadata.namespace") for c in caught.value.causes)


def test_unknown_kind_is_not_found(target: Target) -> None:
    with pytest.raises(NotFound) as caught:
        target.cluster.kind("widgets.example.com/v1", "Widget")
    assert "Widget" in str(caught.value)


def test_inventory_round_trip(target: Target) -> None:
    assert target.cluster.read_inventory("dev", target.namespace) is None
    owned = (ObjectKey("kubeflow.org", "Notebook", target.namespace, "nb"),
             ObjectKey("", "Namespace", "", target.namespace))
    inventory = Inventory("dev", "abc123", owned, {"kubeflow.org/Notebook": "kubeflow.org/v1", "/Namespace": "v1"})
    target.cluster.write_inventory(inventory, target.namespace)
    read = target.cluster.read_inventory("dev", target.namespace)
    assert read is not None and read.keys() == inventory.keys()
    assert (read.environment, read.revision, read.api_versions) == ("dev", "abc123", inventory.api_versions)
    target.cluster.write_inventory(Inventory("dev", "def456", owned[:1], {}), target.namespace)
    assert target.cluster.read_inventory("dev", target.namespace) == Inventory("dev", "def456", owned[:1], {})
    assert target.cluster.read_inventory("prod", target.namespace) is None


def test_inventory_needs_its_namespace(target: Target) -> None:
    with pytest.raises(NotFound):
        target.cluster.write_inventory(Inventory("dev", "r", (), {}), "no-such-namespace")


def test_request_counts_by_verb(target: Target) -> None:
    kind = target.cluster.kind(*CONFIGMAP)  # a known kind: no discovery request
    target.cluster.apply(configmap(target.namespace, "counted"))
    target.cluster.get(kind, target.namespace, "counted")
    target.cluster.list(kind, target.namespace)
    target.cluster.delete(kind, target.namespace, "counted")
    target.cluster.read_inventory("dev", target.namespace)
    assert target.cluster.request_counts() == {"patch": 1, "get": 2, "list": 1, "delete": 1}
    if target.server is not None:
        assert target.server.count("patch") == 1 and target.server.count("list") == 1


def test_supervision_and_statistics_are_part_of_the_contract(target: Target) -> None:
    """What the daemon asks of every client, with no duck typing: a directory answers with no-ops."""
    cluster = target.cluster
    cluster.supervise(fence=None, observer=None, answer_timeout=None)
    cluster.get(cluster.kind(*CONFIGMAP), target.namespace, "absent")
    assert cluster.retries == 0 and cluster.throttled_seconds == 0.0
    if target.server is None:
        assert cluster.probe is None and cluster.rate_limit is None
        cluster.close()
        return
    assert cluster.rate_limit == 0.0  # the test options set no rate limit
    assert cluster.probe is not None
    cluster.probe()
    assert cluster.request_counts()["probe"] == 1
