"""Changes the cluster refuses are refused before any write, replaced only on request; quantities by amount.

The test server does not enforce immutability (a real kube-apiserver answers 422); the engine must
not need it to: a plan holding a change that needs replacement sends no write at all, not even a
dry run.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reconciler.cluster.inventory_codec import decode_inventory, encode_inventory
from reconciler.source.directory import DirectorySource
from reconciler.spec.document import Spec
from reconciler.spec.load import load
from tests.daemon.conftest import merge_patch
from tests.engine.conftest import WRITE_VERBS, Fleet, writes
from tests.spec.conftest import copy_platform

NOTEBOOK = "components/notebooks/research-gpu.yaml"
CLAIM = "PersistentVolumeClaim/ml-prod/research-gpu-workspace"
CLAIM_PATH = "/api/v1/namespaces/ml-prod/persistentvolumeclaims/research-gpu-workspace"


def _applied(tmp_path: Path, make_fleet: Callable[[Spec, str], Fleet]) -> tuple[Path, Fleet]:
    repo = copy_platform(tmp_path / "repo")
    fleet = make_fleet(load(DirectorySource(repo)), "prod-onprem")
    assert [r.error for r in fleet.reconcile()] == [None]
    fleet.reset_requests()
    return repo, fleet


def _edit(repo: Path, *edits: tuple[str, str]) -> Spec:
    path = repo / NOTEBOOK
    text = path.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)
    return load(DirectorySource(repo))


def _expandable_storage_class(url: str, name: str) -> None:
    """A StorageClass that allows volume expansion: a real apiserver's resize admission asks the
    claim's class. The in-process test server serves no StorageClasses (404) and allows any resize."""
    body = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
            "provisioner": "example.com/test", "allowVolumeExpansion": True}
    request = urllib.request.Request(f"{url}/apis/storage.k8s.io/v1/storageclasses", method="POST",
                                     data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - loopback test server
    except urllib.error.HTTPError as err:
        assert err.code == 404, err.read()


def _claim(fleet: Fleet) -> dict[str, Any]:
    found = fleet.servers["onprem-gpu"].get_object("", "persistentvolumeclaims", "research-gpu-workspace", "ml-prod")
    assert found is not None
    return found


def _notebook(fleet: Fleet) -> dict[str, Any]:
    found = fleet.servers["onprem-gpu"].get_object("kubeflow.org", "notebooks", "research-gpu", "ml-prod")
    assert found is not None
    return found


def test_shrinking_a_workspace_is_refused_before_any_write_then_replaced_on_request(
    tmp_path: Path, make_fleet: Callable[[Spec, str], Fleet]
) -> None:
    repo, fleet = _applied(tmp_path, make_fleet)
    server = fleet.servers["onprem-gpu"]
    before = _claim(fleet)["metadata"]["uid"]
    spec = _edit(repo, ("size: 50Gi", "size: 40Gi"), ("memory: 32Gi", "memory: 16Gi"))

    [refused] = fleet.reconcile(spec, revision="r2")

    assert refused.permanent and refused.error is not None
    assert f"1 object(s) need replacement: the cluster refuses to change {CLAIM}: " \
           "spec.resources.requests.storage. Nothing was applied" in refused.error
    assert "--replace" in refused.error
    assert [(str(c.key), c.action) for c in refused.changes] == [(CLAIM, "refused")]
    assert "spec.resources.requests.storage 50Gi -> 40Gi: cannot shrink" in refused.changes[0].message
    # Not even the notebook's unrelated memory change was applied, and nothing was sent to try.
    assert [r for r in server.requests if r.verb in WRITE_VERBS] == []
    assert _notebook(fleet)["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "32Gi"

    [replaced] = fleet.reconcile(spec, revision="r2", replace=True)

    assert replaced.ok, replaced.error
    changes = {str(c.key): c for c in replaced.changes}
    assert changes[CLAIM].action == "replaced"
    assert "spec.resources.requests.storage" in changes[CLAIM].message and "data is gone" in changes[CLAIM].message
    claim = _claim(fleet)
    assert claim["spec"]["resources"]["requests"]["storage"] == "40Gi" and claim["metadata"]["uid"] != before
    assert _notebook(fleet)["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "16Gi"
    fleet.reset_requests()
    [again] = fleet.reconcile(spec, revision="r3")
    assert again.ok and writes(server) == []


def test_replace_never_deletes_an_object_platformctl_did_not_create(
    tmp_path: Path, make_fleet: Callable[[Spec, str], Fleet]
) -> None:
    repo, fleet = _applied(tmp_path, make_fleet)
    server = fleet.servers["onprem-gpu"]
    path = "/api/v1/namespaces/ml-prod/configmaps/platformctl-inventory-prod-onprem"
    inventory = server.get_object("", "configmaps", "platformctl-inventory-prod-onprem", "ml-prod")
    assert inventory is not None  # a claim of the same name made by someone else: drop it from what we own
    [(field, text)] = inventory["data"].items()
    owned = decode_inventory(text, "test")
    mine = tuple(k for k in owned.objects if k.name != "research-gpu-workspace")
    merge_patch(server, path, {"data": {field: encode_inventory(dataclasses.replace(owned, objects=mine))}})
    spec = _edit(repo, ("size: 50Gi", "size: 40Gi"))
    server.reset_requests()

    [refused] = fleet.reconcile(spec, revision="r2", replace=True)

    assert refused.permanent and "protected from deletion" in (refused.error or "")
    assert [(str(c.key), c.action) for c in refused.changes] == [(CLAIM, "refused")]
    assert "did not create it" in refused.changes[0].message
    assert [r for r in server.requests if r.verb in WRITE_VERBS] == []
    assert _claim(fleet)["spec"]["resources"]["requests"]["storage"] == "50Gi"


def test_growing_a_bound_workspace_is_an_ordinary_update(tmp_path: Path,
                                                        make_fleet: Callable[[Spec, str], Fleet]) -> None:
    repo, fleet = _applied(tmp_path, make_fleet)
    spec = _edit(repo, ("size: 50Gi", "size: 60Gi"))
    # No provisioner binds claims on the test server: while Pending, Kubernetes refuses any resize.
    [pending] = fleet.reconcile(spec, revision="r2")
    assert pending.permanent and "can only grow once the claim is bound" in pending.changes[0].message
    _expandable_storage_class(fleet.servers["onprem-gpu"].url, "fast-ssd")
    merge_patch(fleet.servers["onprem-gpu"], f"{CLAIM_PATH}/status",
                {"status": {"phase": "Bound", "capacity": {"storage": "50Gi"}}}, manager="pv-controller")
    before = _claim(fleet)["metadata"]["uid"]

    [result] = fleet.reconcile(spec, revision="r2")

    assert result.ok and not result.permanent, [c.message for c in result.changes if c.message]
    assert {str(c.key): c.action for c in result.changes}[CLAIM] == "configured"
    claim = _claim(fleet)
    assert claim["spec"]["resources"]["requests"]["storage"] == "60Gi" and claim["metadata"]["uid"] == before


def test_changing_a_storage_class_cannot_be_forced_without_replace(
    tmp_path: Path, make_fleet: Callable[[Spec, str], Fleet]
) -> None:
    repo, fleet = _applied(tmp_path, make_fleet)
    spec = _edit(repo, ("storageClass: fast-ssd", "storageClass: standard-hdd"))

    [result] = fleet.reconcile(spec, revision="r2", allow_mass_prune=True, prune_protected=True)

    assert result.permanent and "spec.storageClassName" in (result.error or "")
    assert writes(fleet.servers["onprem-gpu"]) == []
    assert _claim(fleet)["spec"]["storageClassName"] == "fast-ssd"


def test_a_quantity_respelled_on_the_cluster_is_not_drift(tmp_path: Path,
                                                          make_fleet: Callable[[Spec, str], Fleet]) -> None:
    _repo, fleet = _applied(tmp_path, make_fleet)
    server = fleet.servers["onprem-gpu"]
    notebook = _notebook(fleet)
    containers = notebook["spec"]["template"]["spec"]["containers"]
    containers[0]["resources"] = {"requests": {**containers[0]["resources"]["requests"], "memory": "32768Mi"},
                                  "limits": {**containers[0]["resources"]["limits"], "memory": "32768Mi", "cpu": "8000m"}}
    merge_patch(server, "/apis/kubeflow.org/v1/namespaces/ml-prod/notebooks/research-gpu",
                {"spec": {"template": {"spec": {"containers": containers}}}})
    fleet.reset_requests()

    [result] = fleet.reconcile(revision="r2")

    assert result.ok and result.plan is not None and not result.plan.has_changes
    assert writes(server) == []
