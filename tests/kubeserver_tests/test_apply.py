"""Server-side apply and the other patch types."""

from __future__ import annotations

from typing import Any

from kubeserver.server import KubeServer
from tests.kubeserver_tests.util import Response, call, cm

APPLY = "application/apply-patch+yaml"


def apply(server: KubeServer, path: str, body: Any, manager: str | None, **query: Any) -> Response:
    return call(server, "PATCH", path, body, content_type=APPLY, fieldManager=manager, **query)


def entries(obj: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(e["manager"], e["operation"]): e["fieldsV1"] for e in obj["metadata"]["managedFields"]}


def test_apply_creates_and_records_ownership_like_the_real_server(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps/test-cm"
    body = cm("test-cm", key="value")
    body["metadata"]["labels"] = {"test-label": "test"}
    created = apply(kube_server, path, body, "kubectl")
    assert created.status == 201
    [entry] = created.json["metadata"]["managedFields"]
    assert list(entry) == ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1"]
    assert entry["fieldsV1"] == {"f:data": {"f:key": {}}, "f:metadata": {"f:labels": {"f:test-label": {}}}}
    again = apply(kube_server, path, body, "kubectl")
    assert again.status == 200
    assert again.json["metadata"]["resourceVersion"] == created.json["metadata"]["resourceVersion"]


def test_apply_requires_field_manager(kube_server: KubeServer, kube_namespace: str) -> None:
    missing = apply(kube_server, f"/api/v1/namespaces/{kube_namespace}/configmaps/x", cm("x"), None)
    assert missing.status == 422
    assert missing.json["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch')
    assert missing.json["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value: is required for apply patch",
         "field": "fieldManager"}]


def test_conflicting_managers_get_409_and_force_moves_ownership(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps/shared"
    apply(kube_server, path, cm("shared", replicas="1", mine="a"), "alice")
    conflict = apply(kube_server, path, cm("shared", replicas="2"), "bob")
    assert conflict.status == 409
    assert conflict.json == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'Apply failed with 1 conflict: conflict with "alice": .data.replicas',
        "reason": "Conflict",
        "details": {"causes": [{"reason": "FieldManagerConflict", "message": 'conflict with "alice"',
                                "field": ".data.replicas"}]},
        "code": 409,
    }
    same_value = apply(kube_server, path, cm("shared", replicas="1"), "bob")
    assert same_value.status == 200  # agreeing on a value is shared ownership, not a conflict
    assert entries(same_value.json)[("bob", "Apply")] == {"f:data": {"f:replicas": {}}}
    forced = apply(kube_server, path, cm("shared", replicas="3"), "bob", force="true")
    assert forced.status == 200 and forced.json["data"]["replicas"] == "3"
    owned = entries(forced.json)
    assert owned[("alice", "Apply")] == {"f:data": {"f:mine": {}}}
    assert owned[("bob", "Apply")] == {"f:data": {"f:replicas": {}}}


def test_update_manager_conflict_names_api_version(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/apis/coordination.k8s.io/v1/namespaces/{kube_namespace}/leases"
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l"},
             "spec": {"holderIdentity": "a", "leaseDurationSeconds": 10}}
    call(kube_server, "POST", path, lease, fieldManager="kubectl-client-side-apply")
    lease["spec"]["holderIdentity"] = "b"
    lease["spec"]["leaseDurationSeconds"] = 20
    conflict = apply(kube_server, f"{path}/l", lease, "controller")
    assert conflict.status == 409
    assert conflict.json["message"] == (
        'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using coordination.k8s.io/v1:\n'
        "- .spec.holderIdentity\n- .spec.leaseDurationSeconds")
    assert [c["field"] for c in conflict.json["details"]["causes"]] == [
        ".spec.holderIdentity", ".spec.leaseDurationSeconds"]


def test_fields_no_longer_applied_are_removed_unless_owned_by_another(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps/prune"
    apply(kube_server, path, cm("prune", a="1", b="2", c="3"), "first")
    apply(kube_server, path, cm("prune", c="3"), "second")
    result = apply(kube_server, path, cm("prune", a="1"), "first").json
    assert result["data"] == {"a": "1", "c": "3"}  # b dropped; c kept because "second" owns it


def test_list_map_keys_and_sets_in_managed_fields(kube_server: KubeServer, kube_crds, kube_namespace: str) -> None:
    path = f"/apis/kubeflow.org/v1/namespaces/{kube_namespace}/pytorchjobs/job"
    container = {"name": "pytorch", "image": "torch:1", "ports": [{"containerPort": 23456}]}
    body = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
            "metadata": {"name": "job", "finalizers": ["example.com/a"]},
            "spec": {"pytorchReplicaSpecs": {"Master": {"template": {"spec": {"containers": [container]}}}}}}
    created = apply(kube_server, path, body, "platformctl")
    assert created.status == 201, created.json
    fields = entries(created.json)[("platformctl", "Apply")]
    assert fields["f:metadata"] == {"f:finalizers": {'v:"example.com/a"': {}}}
    master = fields["f:spec"]["f:pytorchReplicaSpecs"]["f:Master"]
    containers = master["f:template"]["f:spec"]["f:containers"]
    # ports are keyed by (containerPort, protocol); protocol comes from the schema default
    assert containers == {'k:{"name":"pytorch"}': {
        ".": {}, "f:image": {}, "f:name": {},
        "f:ports": {'k:{"containerPort":23456}': {".": {}, "f:containerPort": {}}}}}
    live_port = created.json["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["ports"]
    assert live_port == [{"containerPort": 23456, "protocol": "TCP"}]
    container["image"] = "torch:2"
    conflict = apply(kube_server, path, body, "other")
    assert conflict.status == 409
    assert conflict.json["details"]["causes"][0]["field"] == (
        '.spec.pytorchReplicaSpecs.Master.template.spec.containers[name="pytorch"].image')


def test_atomic_lists_are_owned_whole(kube_server: KubeServer, kube_crds, kube_namespace: str) -> None:
    # The upstream Notebook CRD does not mark containers as a map list: it is atomic.
    path = f"/apis/kubeflow.org/v1/namespaces/{kube_namespace}/notebooks/nb"
    body = {"apiVersion": "kubeflow.org/v1", "kind": "Notebook", "metadata": {"name": "nb"},
            "spec": {"template": {"spec": {"containers": [{"name": "main", "image": "jupyter:1"}]}}}}
    fields = entries(apply(kube_server, path, body, "platformctl").json)[("platformctl", "Apply")]
    assert fields["f:spec"]["f:template"]["f:spec"] == {"f:containers": {}}


def test_merge_json_and_strategic_patches(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    call(kube_server, "POST", path, {**cm("p", a="1", b="2"), "metadata": {"name": "p", "labels": {"x": "1"}}})
    merged = call(kube_server, "PATCH", f"{path}/p", {"data": {"a": None, "c": "3"}},
                  content_type="application/merge-patch+json").json
    assert merged["data"] == {"b": "2", "c": "3"}
    ops = [{"op": "test", "path": "/data/b", "value": "2"}, {"op": "replace", "path": "/data/b", "value": "9"},
           {"op": "add", "path": "/metadata/labels/y", "value": "2"}, {"op": "remove", "path": "/data/c"}]
    patched = call(kube_server, "PATCH", f"{path}/p", ops, content_type="application/json-patch+json").json
    assert patched["data"] == {"b": "9"} and patched["metadata"]["labels"] == {"x": "1", "y": "2"}
    failed = call(kube_server, "PATCH", f"{path}/p", [{"op": "test", "path": "/data/b", "value": "0"}],
                  content_type="application/json-patch+json")
    assert failed.status == 422
    smp = call(kube_server, "PATCH", f"{path}/p", {"metadata": {"labels": {"x": None}}, "data": {"d": "4"}},
               content_type="application/strategic-merge-patch+json").json
    assert smp["metadata"]["labels"] == {"y": "2"} and smp["data"] == {"b": "9", "d": "4"}
    assert call(kube_server, "PATCH", f"{path}/missing", {"data": {}},
                content_type="application/merge-patch+json").status == 404


def test_strategic_merge_is_refused_for_custom_resources(kube_server: KubeServer, kube_crds, kube_namespace: str) -> None:
    path = f"/apis/kubeflow.org/v1beta1/namespaces/{kube_namespace}/scheduledworkflows"
    call(kube_server, "POST", path, {"apiVersion": "kubeflow.org/v1beta1", "kind": "ScheduledWorkflow",
                                     "metadata": {"name": "s"}, "spec": {}, "status": {}})
    refused = call(kube_server, "PATCH", f"{path}/s", {"spec": {"a": 1}},
                   content_type="application/strategic-merge-patch+json")
    assert refused.status == 415 and refused.json["reason"] == "UnsupportedMediaType"


def test_dynamic_client_patch_and_server_side_apply(kube_dynamic_client, kube_namespace: str) -> None:
    api = kube_dynamic_client.resources.get(api_version="v1", kind="Secret")
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": kube_namespace},
            "stringData": {"token": "abc"}}
    applied = api.server_side_apply(body=body, field_manager="platformctl")
    assert applied.data.token == "YWJj" and applied.type == "Opaque"
    patched = api.patch(body={"metadata": {"name": "s", "annotations": {"a": "b"}}}, namespace=kube_namespace)
    assert patched.metadata.annotations.a == "b"
    forced = api.server_side_apply(body={**body, "stringData": {"token": "xyz"}}, field_manager="other",
                                   force_conflicts=True)
    assert forced.data.token == "eHl6"
