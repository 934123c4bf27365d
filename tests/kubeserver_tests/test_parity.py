"""Behaviour matched to a real kube-apiserver v1.34 by tests/real/test_differential.py, held
here too so that the fast tier (no real server) keeps it."""

from __future__ import annotations

import json
from typing import Any

from kubeserver.server import KubeServer
from tests.kubeserver_tests.util import call, cm

MERGE = "application/merge-patch+json"


def claim(name: str, storage: str = "1024Mi") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage}}}}


def notebook(name: str, **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "metadata": {"name": name, **meta},
            "spec": {"template": {"spec": {"containers": [{"name": "main", "image": "jupyter:1"}]}}}}


def watch_events(server: KubeServer, path: str, **query: str) -> list[dict[str, Any]]:
    answer = call(server, "GET", path, watch="true", **query)
    assert answer.status == 200
    return [json.loads(line) for line in answer.raw.splitlines()]


def test_namespace_finalizer_is_not_owned_by_its_creator(kube_server: KubeServer) -> None:
    created = call(kube_server, "POST", "/api/v1/namespaces", {"metadata": {"name": "parity-ns"}})
    assert created.json["spec"] == {"finalizers": ["kubernetes"]}
    assert created.json["metadata"]["managedFields"][0]["fieldsV1"] == {
        "f:metadata": {"f:labels": {".": {}, "f:kubernetes.io/metadata.name": {}}}}
    kept = call(kube_server, "PUT", "/api/v1/namespaces/parity-ns", {"metadata": {"name": "parity-ns"}})
    assert kept.json["spec"] == {"finalizers": ["kubernetes"]}  # spec changes only through /finalize
    gone = call(kube_server, "DELETE", "/api/v1/namespaces/parity-ns")
    assert gone.json["status"]["phase"] == "Terminating"
    assert "deletionGracePeriodSeconds" not in gone.json["metadata"]


def test_claim_quantities_finalizer_immutability_and_deletion(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/persistentvolumeclaims"
    created = call(kube_server, "POST", path, claim("data"))
    assert created.status == 201
    assert created.json["spec"]["resources"] == {"requests": {"storage": "1Gi"}}
    assert created.json["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    assert created.json["metadata"]["managedFields"][0]["fieldsV1"] == {"f:spec": {
        "f:accessModes": {}, "f:resources": {"f:requests": {".": {}, "f:storage": {}}}, "f:volumeMode": {}}}
    resized = call(kube_server, "PATCH", f"{path}/data", {"spec": {"resources": {"requests": {"storage": "2Gi"}}}},
                   content_type=MERGE)
    assert resized.status == 422
    assert [(c["field"], c["reason"]) for c in resized.json["details"]["causes"]] == [("spec", "FieldValueForbidden")]
    assert call(kube_server, "PATCH", f"{path}/data", {"spec": {"volumeName": "pv"}}, content_type=MERGE).status == 200
    empty = call(kube_server, "POST", path, {"metadata": {"name": "e"}, "spec": {}})
    assert [c["field"] for c in empty.json["details"]["causes"]] == ["spec.accessModes", "spec.resources[storage]"]
    assert call(kube_server, "POST", path, claim("q", "lots")).status == 400
    deleted = call(kube_server, "DELETE", f"{path}/data")
    assert deleted.json["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    assert call(kube_server, "GET", f"{path}/data").status == 404  # the protection controller let it go


def test_empty_fields_are_dropped_and_untracked_objects_stay_untracked(kube_server: KubeServer,
                                                                      kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    created = call(kube_server, "POST", path, {"metadata": {"name": "e", "labels": {}, "finalizers": []}, "data": {}})
    assert created.json["metadata"] == {k: created.json["metadata"][k] for k in
                                        ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")}
    assert "data" not in created.json
    patched = call(kube_server, "PATCH", f"{path}/e", {"data": {"k": "v"}}, content_type=MERGE)
    assert patched.json["data"] == {"k": "v"} and "managedFields" not in patched.json["metadata"]


def test_custom_resource_deletes_lists_and_finalizers(kube_server: KubeServer, kube_crds: list[str],
                                                      kube_namespace: str) -> None:
    path = f"/apis/kubeflow.org/v1/namespaces/{kube_namespace}/notebooks"
    assert call(kube_server, "GET", path).json["metadata"]["continue"] == ""
    call(kube_server, "POST", path, notebook("free"))
    gone = call(kube_server, "DELETE", f"{path}/free")
    assert gone.json["kind"] == "Status" and gone.json["details"]["kind"] == "notebooks"
    call(kube_server, "POST", path, notebook("held", finalizers=["example.com/hold"]))
    dry = call(kube_server, "DELETE", f"{path}/held", dryRun="All")
    assert dry.json["metadata"]["generation"] == 2 and dry.json["metadata"]["deletionGracePeriodSeconds"] == 0
    assert call(kube_server, "GET", f"{path}/held").json["metadata"]["generation"] == 1
    marked = call(kube_server, "DELETE", f"{path}/held")
    assert marked.json["metadata"]["generation"] == 2 and "deletionTimestamp" in marked.json["metadata"]


def test_errors_shaped_as_the_real_server_writes_them(kube_server: KubeServer, kube_crds: list[str],
                                                      kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    call(kube_server, "POST", path, cm("a", k="1"))
    failed = call(kube_server, "PATCH", f"{path}/a", [{"op": "remove", "path": "/data/x"}],
                  content_type="application/json-patch+json")
    assert failed.status == 422 and failed.json["details"] == {}
    assert call(kube_server, "GET", f"{path}/a", resourceVersion="x").json.get("reason") is None  # bare 500
    assert call(kube_server, "GET", path, resourceVersion="x").status == 400
    assert call(kube_server, "GET", path, limit="-1").status == 200
    assert call(kube_server, "GET", f"/api/v1/namespaces/{kube_namespace}/widgets").json["details"] == {}
    plain = call(kube_server, "GET", f"/apis/kubeflow.org/v1/namespaces/{kube_namespace}/widgets")
    assert (plain.status, plain.raw) == (404, b"404 page not found\n")
    assert plain.headers["content-type"] == "text/plain; charset=utf-8"


def test_watch_bookmarks_and_the_custom_resource_watch_window(kube_server: KubeServer, kube_crds: list[str],
                                                              kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    start = call(kube_server, "GET", path).json["metadata"]["resourceVersion"]
    call(kube_server, "POST", path, cm("a"))
    replayed = watch_events(kube_server, path, resourceVersion=start, timeoutSeconds="1", allowWatchBookmarks="true")
    assert [e["type"] for e in replayed] == ["ADDED"]  # no bookmark when the watch times out
    listed = watch_events(kube_server, path, resourceVersion="0", timeoutSeconds="1", allowWatchBookmarks="true")
    assert [e["type"] for e in listed] == ["ADDED", "BOOKMARK"]
    assert listed[-1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    expired = watch_events(kube_server, f"/apis/kubeflow.org/v1/namespaces/{kube_namespace}/notebooks",
                           resourceVersion="1", timeoutSeconds="1")
    assert [(e["type"], e["object"]["code"], e["object"]["reason"]) for e in expired] == [("ERROR", 410, "Expired")]
    assert expired[0]["object"]["message"].startswith("too old resource version: 1 (")
