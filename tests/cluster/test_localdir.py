"""LocalDirCluster specifics: the file layout, state, hand edits, and the pure apply merge."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cluster.localdir.apply import from_fields_v1, merge_applied, owned_paths, to_fields_v1
from reconciler.cluster.localdir.cluster import LocalDirCluster
from reconciler.errors import Invalid, NotFound
from reconciler.inventory import Inventory
from tests.cluster.test_contract import configmap, notebook


@pytest.fixture
def local(tmp_path: Path) -> LocalDirCluster:
    cluster = LocalDirCluster("local", tmp_path, now=lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}})
    return cluster


def test_one_file_per_object_in_the_documented_layout(local: LocalDirCluster, tmp_path: Path) -> None:
    local.apply(configmap("ml", "settings"))
    local.apply(notebook("ml"))
    local.apply({"apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": {"name": "team-a"}, "spec": {}})
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert files == [".state.json", "_cluster/namespaces.core/ml.yaml", "_cluster/profiles.kubeflow.org/team-a.yaml",
                     "ml/configmaps.core/settings.yaml", "ml/notebooks.kubeflow.org/nb.yaml"]
    stored = yaml.safe_load((tmp_path / "ml/configmaps.core/settings.yaml").read_text())
    assert stored["metadata"]["creationTimestamp"] == "2026-01-02T03:04:05Z"
    assert json.loads((tmp_path / ".state.json").read_text()) == {"resourceVersion": 4}


def test_no_op_apply_writes_nothing(local: LocalDirCluster, tmp_path: Path) -> None:
    local.apply(configmap("ml", "quiet"))
    path = tmp_path / "ml/configmaps.core/quiet.yaml"
    before = (path.stat().st_mtime_ns, (tmp_path / ".state.json").read_text())
    local.apply(configmap("ml", "quiet"))
    assert (path.stat().st_mtime_ns, (tmp_path / ".state.json").read_text()) == before


def test_hand_edits_survive_an_apply_unless_overwritten(local: LocalDirCluster, tmp_path: Path) -> None:
    local.apply(configmap("ml", "edited", {"a": "1"}))
    path = tmp_path / "ml/configmaps.core/edited.yaml"
    obj = yaml.safe_load(path.read_text())
    obj["data"].update({"a": "hand", "extra": "kept"})
    path.write_text(yaml.safe_dump(obj))
    stored = local.apply(configmap("ml", "edited", {"a": "1"}))
    assert stored["data"] == {"a": "1", "extra": "kept"}


def test_status_is_kept_and_not_applied(local: LocalDirCluster, tmp_path: Path) -> None:
    local.apply(notebook("ml"))
    path = tmp_path / "ml/notebooks.kubeflow.org/nb.yaml"
    obj = yaml.safe_load(path.read_text())
    obj["status"] = {"readyReplicas": 1}
    path.write_text(yaml.safe_dump(obj))
    applied = {**notebook("ml", image="jupyter:2"), "status": {"readyReplicas": 0}}
    stored = local.apply(applied)
    assert stored["status"] == {"readyReplicas": 1}
    assert stored["metadata"]["generation"] == 2
    namespace = local.get(local.kind("v1", "Namespace"), None, "ml")
    assert namespace is not None and namespace["status"] == {"phase": "Active"}


def test_status_of_kinds_without_a_status_subresource_is_applied(local: LocalDirCluster) -> None:
    schedule = {"apiVersion": "kubeflow.org/v1beta1", "kind": "ScheduledWorkflow",
                "metadata": {"name": "nightly", "namespace": "ml"}, "spec": {"enabled": True}, "status": {}}
    created = local.apply(schedule)
    assert created["status"] == {} and created["metadata"]["generation"] == 1


def test_damaged_files_are_invalid_not_empty(local: LocalDirCluster, tmp_path: Path) -> None:
    local.write_inventory(Inventory("dev", "r1", (), {}), "ml")
    (tmp_path / ".platformctl/inventory-dev.json").write_text("{not json")
    with pytest.raises(Invalid, match="damaged"):
        local.read_inventory("dev", "ml")
    (tmp_path / "ml/configmaps.core").mkdir(parents=True)
    (tmp_path / "ml/configmaps.core/broken.yaml").write_text("- just\n- a list\n")
    with pytest.raises(Invalid, match="not a Kubernetes object"):
        local.list(local.kind("v1", "ConfigMap"), "ml")


def test_inventory_file_location(local: LocalDirCluster, tmp_path: Path) -> None:
    local.write_inventory(Inventory("prod", "r1", (), {}), "ml")
    assert json.loads((tmp_path / ".platformctl/inventory-prod.json").read_text())["revision"] == "r1"


def test_names_cannot_escape_the_directory(local: LocalDirCluster, tmp_path: Path) -> None:
    with pytest.raises(Invalid):
        local.apply(configmap("ml", "../../escape"))
    with pytest.raises(Invalid):
        local.apply(configmap("../ml", "x"))
    assert local.get(local.kind("v1", "ConfigMap"), "..", "ml") is None
    with pytest.raises(Invalid):
        local.write_inventory(Inventory("../x", "r", (), {}), "ml")


def test_missing_namespace_and_unknown_kind(local: LocalDirCluster) -> None:
    with pytest.raises(NotFound, match='namespaces "gone" not found'):
        local.apply(notebook("gone"))
    with pytest.raises(NotFound, match="Gadget"):
        local.apply({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}})


# --- the pure apply merge ---------------------------------------------------------

def test_fields_v1_round_trip() -> None:
    applied = {"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "x", "namespace": "n", "labels": {"a": "1"}}, "data": {"k": "v", "l": "w"}}
    paths = owned_paths(applied)
    assert paths == {("metadata", "labels", "a"), ("data", "k"), ("data", "l")}
    assert to_fields_v1(paths) == {"f:data": {"f:k": {}, "f:l": {}}, "f:metadata": {"f:labels": {"f:a": {}}}}
    assert from_fields_v1(to_fields_v1(paths)) == paths


def test_merge_removes_only_what_we_stopped_applying() -> None:
    live: dict[str, Any] = {"metadata": {"name": "x"}, "spec": {"a": 1, "b": {"c": 2}, "theirs": 3},
                            "status": {"ok": True}}
    previous = {("spec", "a"), ("spec", "b", "c")}
    applied = {"metadata": {"name": "x"}, "spec": {"a": 5, "list": [1, 2]}}
    merged = merge_applied(live, applied, previous, owned_paths(applied))
    assert merged == {"metadata": {"name": "x"}, "spec": {"a": 5, "theirs": 3, "list": [1, 2]}, "status": {"ok": True}}
    assert live["spec"]["b"] == {"c": 2}  # inputs untouched


def test_merge_replaces_lists_atomically_and_drops_empty_parents() -> None:
    live = {"metadata": {"name": "x", "labels": {"a": "1"}}, "spec": {"ports": [1, 2, 3]}}
    previous = {("metadata", "labels", "a"), ("spec", "ports")}
    applied = {"metadata": {"name": "x"}, "spec": {"ports": [4]}}
    merged = merge_applied(live, applied, previous, owned_paths(applied))
    assert merged == {"metadata": {"name": "x"}, "spec": {"ports": [4]}}
