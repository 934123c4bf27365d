"""CRUD semantics: metadata, resourceVersion, generation, errors, selectors, paging."""

from __future__ import annotations

import pytest
from kubernetes.dynamic.exceptions import ConflictError, NotFoundError

from kubeserver.server import KubeServer
from tests.kubeserver_tests.util import call, cm

NOTEBOOK = "/apis/kubeflow.org/v1/namespaces/{ns}/notebooks"


def nb_status(ready: int) -> dict:
    """A Notebook status the upstream schema accepts (all three fields are required)."""
    return {"status": {"conditions": [], "containerState": {}, "readyReplicas": ready}}


def notebook(name: str, image: str = "jupyter:1") -> dict:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "Notebook",
        "metadata": {"name": name},
        "spec": {"template": {"spec": {"containers": [{"name": name, "image": image}]}}},
    }


def test_create_fills_system_metadata_and_get_returns_it(kube_server: KubeServer, kube_namespace: str) -> None:
    created = call(kube_server, "POST", f"/api/v1/namespaces/{kube_namespace}/configmaps", cm("a", k="v"))
    assert created.status == 201
    meta = created.json["metadata"]
    assert meta["namespace"] == kube_namespace
    assert len(meta["uid"]) == 36 and meta["creationTimestamp"].endswith("Z")
    assert int(meta["resourceVersion"]) == kube_server.resource_version
    assert "generation" not in meta  # ConfigMaps have no generation on a real server
    assert meta["managedFields"][0]["manager"] == "raw-test"
    assert meta["managedFields"][0]["operation"] == "Update"
    got = call(kube_server, "GET", f"/api/v1/namespaces/{kube_namespace}/configmaps/a")
    assert got.json == created.json


def test_generate_name_and_already_exists(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    gen = call(kube_server, "POST", path, {"metadata": {"generateName": "job-"}, "data": {}})
    name = gen.json["metadata"]["name"]
    assert name.startswith("job-") and len(name) == 9
    dup = call(kube_server, "POST", path, cm(name))
    assert dup.status == 409
    assert dup.json == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f'configmaps "{name}" already exists', "reason": "AlreadyExists",
        "details": {"name": name, "kind": "configmaps"}, "code": 409,
    }


def test_not_found_and_missing_namespace_statuses(kube_server: KubeServer, kube_namespace: str) -> None:
    missing = call(kube_server, "GET", f"/apis/coordination.k8s.io/v1/namespaces/{kube_namespace}/leases/x")
    assert missing.status == 404
    assert missing.json["message"] == 'leases.coordination.k8s.io "x" not found'
    assert missing.json["details"] == {"name": "x", "group": "coordination.k8s.io", "kind": "leases"}
    no_ns = call(kube_server, "POST", "/api/v1/namespaces/nope/configmaps", cm("a"))
    assert no_ns.status == 404
    assert no_ns.json["message"] == 'namespaces "nope" not found'
    assert call(kube_server, "GET", "/api/v1/nothings").status == 404
    assert call(kube_server, "POST", f"/api/v1/namespaces/{kube_namespace}/configmaps/a", cm("a")).status == 405


def test_invalid_name_is_422_with_cause(kube_server: KubeServer, kube_namespace: str) -> None:
    bad = call(kube_server, "POST", f"/api/v1/namespaces/{kube_namespace}/configmaps", cm("Bad_Name"))
    assert bad.status == 422
    body = bad.json
    assert body["reason"] == "Invalid"
    assert body["message"].startswith('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain')
    assert body["details"]["causes"][0]["field"] == "metadata.name"
    assert body["details"]["causes"][0]["reason"] == "FieldValueInvalid"


def test_stale_update_conflicts_and_rv_is_global_and_monotonic(kube_dynamic_client, kube_namespace: str) -> None:
    api = kube_dynamic_client.resources.get(api_version="v1", kind="ConfigMap")
    first = api.create(body=cm("a", k="1"), namespace=kube_namespace)
    other = api.create(body=cm("b", k="1"), namespace=kube_namespace)
    assert int(other.metadata.resourceVersion) > int(first.metadata.resourceVersion)
    body = first.to_dict()
    body["data"] = {"k": "2"}
    updated = api.replace(body=body, namespace=kube_namespace)
    assert int(updated.metadata.resourceVersion) > int(other.metadata.resourceVersion)
    body["data"] = {"k": "3"}  # still carries the old resourceVersion
    with pytest.raises(ConflictError) as err:
        api.replace(body=body, namespace=kube_namespace)
    assert "the object has been modified; please apply your changes to the latest version" in str(err.value.body)
    same = api.replace(body=updated.to_dict(), namespace=kube_namespace)
    assert same.metadata.resourceVersion == updated.metadata.resourceVersion  # no-op write


def test_generation_bumps_on_spec_changes_only(kube_server: KubeServer, kube_crds, kube_namespace: str) -> None:
    path = NOTEBOOK.format(ns=kube_namespace)
    created = call(kube_server, "POST", path, notebook("nb")).json
    assert created["metadata"]["generation"] == 1
    created["metadata"]["labels"] = {"team": "a"}
    relabeled = call(kube_server, "PUT", f"{path}/nb", created).json
    assert relabeled["metadata"]["generation"] == 1
    relabeled["spec"]["template"]["spec"]["containers"][0]["image"] = "jupyter:2"
    respec = call(kube_server, "PUT", f"{path}/nb", relabeled).json
    assert respec["metadata"]["generation"] == 2
    status = call(kube_server, "PATCH", f"{path}/nb/status", nb_status(1),
                  content_type="application/merge-patch+json").json
    assert status["metadata"]["generation"] == 2
    assert status["status"]["readyReplicas"] == 1


def test_status_subresource_splits_writes(kube_server: KubeServer, kube_crds, kube_namespace: str) -> None:
    path = NOTEBOOK.format(ns=kube_namespace)
    body = notebook("nb")
    body.update(nb_status(5))
    created = call(kube_server, "POST", path, body).json
    assert "status" not in created  # dropped on create when /status exists
    call(kube_server, "PATCH", f"{path}/nb/status", nb_status(1),
         content_type="application/merge-patch+json")
    main = call(kube_server, "PATCH", f"{path}/nb",
                {"metadata": {"labels": {"a": "b"}}, **nb_status(9)},
                content_type="application/merge-patch+json").json
    assert main["status"]["readyReplicas"] == 1 and main["metadata"]["labels"] == {"a": "b"}
    via_status = call(kube_server, "PATCH", f"{path}/nb/status",
                      {"metadata": {"labels": {"a": "c"}}, "spec": {"x": 1}, **nb_status(2)},
                      content_type="application/merge-patch+json").json
    assert via_status["metadata"]["labels"] == {"a": "b"} and via_status["status"]["readyReplicas"] == 2
    assert "x" not in via_status["spec"]


def test_without_status_subresource_status_is_stored_with_the_object(
        kube_server: KubeServer, kube_crds, kube_namespace: str) -> None:
    path = f"/apis/kubeflow.org/v1beta1/namespaces/{kube_namespace}/scheduledworkflows"
    swf = {"apiVersion": "kubeflow.org/v1beta1", "kind": "ScheduledWorkflow", "metadata": {"name": "s"},
           "spec": {"enabled": True}, "status": {"conditions": []}}
    created = call(kube_server, "POST", path, swf)
    assert created.status == 201 and created.json["status"] == {"conditions": []}
    assert call(kube_server, "GET", f"{path}/s/status").status == 404
    swf = created.json
    swf["status"] = {"conditions": [{"type": "Enabled"}]}
    updated = call(kube_server, "PUT", f"{path}/s", swf).json
    assert updated["status"]["conditions"] == [{"type": "Enabled"}]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["a", "b"]),
        ("app==web", ["a", "b"]),
        ("app!=web", ["c", "d"]),
        ("tier in (front,back)", ["a", "c"]),
        ("tier notin (front)", ["b", "c", "d"]),
        ("tier", ["a", "c"]),
        ("!tier", ["b", "d"]),
        ("app=web,tier=front", ["a"]),
    ],
)
def test_label_selectors(kube_server: KubeServer, kube_namespace: str, selector: str, expected: list[str]) -> None:
    labels = {"a": {"app": "web", "tier": "front"}, "b": {"app": "web"}, "c": {"app": "db", "tier": "back"}, "d": {}}
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    for name, lab in labels.items():
        call(kube_server, "POST", path, {"metadata": {"name": name, "labels": lab}})
    got = call(kube_server, "GET", path, labelSelector=selector).json
    assert [i["metadata"]["name"] for i in got["items"]] == expected
    assert got["kind"] == "ConfigMapList" and "kind" not in got["items"][0]


def test_field_selectors_and_all_namespaces(kube_server: KubeServer, kube_namespace: str) -> None:
    other = f"{kube_namespace}-other"
    kube_server.create_namespace(other)
    try:
        for ns in (kube_namespace, other):
            call(kube_server, "POST", f"/api/v1/namespaces/{ns}/configmaps", cm("same"))
            call(kube_server, "POST", f"/api/v1/namespaces/{ns}/configmaps", cm(f"only-{ns}"))
        everywhere = call(kube_server, "GET", "/api/v1/configmaps", fieldSelector="metadata.name=same").json
        assert sorted(i["metadata"]["namespace"] for i in everywhere["items"]) == sorted([kube_namespace, other])
        not_here = call(kube_server, "GET", "/api/v1/configmaps",
                        fieldSelector=f"metadata.namespace!={kube_namespace},metadata.name!=same").json
        assert [i["metadata"]["name"] for i in not_here["items"]] == [f"only-{other}"]
        bad = call(kube_server, "GET", "/api/v1/configmaps", fieldSelector="data.x=1")
        assert bad.status == 400 and bad.json["message"] == "field label not supported: data.x"
    finally:
        kube_server.delete_namespace(other)


def test_paging_is_consistent_across_pages(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    for i in range(7):
        call(kube_server, "POST", path, cm(f"cm-{i}"))
    first = call(kube_server, "GET", path, limit=3).json
    assert [i["metadata"]["name"] for i in first["items"]] == ["cm-0", "cm-1", "cm-2"]
    assert first["metadata"]["remainingItemCount"] == 4
    call(kube_server, "POST", path, cm("cm-9"))  # created after the first page
    names = []
    token = first["metadata"]["continue"]
    while token:
        page = call(kube_server, "GET", path, limit=3, **{"continue": token}).json
        assert page["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
        names += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue")
    assert names == ["cm-3", "cm-4", "cm-5", "cm-6"]


def test_finalizers_keep_object_until_removed(kube_dynamic_client, kube_namespace: str) -> None:
    api = kube_dynamic_client.resources.get(api_version="v1", kind="ConfigMap")
    body = cm("f")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    api.create(body=body, namespace=kube_namespace)
    deleted = api.delete(name="f", namespace=kube_namespace, propagation_policy="Foreground")
    assert deleted.metadata.deletionTimestamp
    live = api.get(name="f", namespace=kube_namespace)
    assert live.metadata.deletionTimestamp and live.metadata.finalizers == ["example.com/hold"]
    api.patch(name="f", namespace=kube_namespace, body={"metadata": {"finalizers": None}},
              content_type="application/merge-patch+json")
    with pytest.raises(NotFoundError):
        api.get(name="f", namespace=kube_namespace)


def test_delete_without_finalizers_answers_status_and_bad_policy_is_rejected(
        kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    uid = call(kube_server, "POST", path, cm("d")).json["metadata"]["uid"]
    bad = call(kube_server, "DELETE", f"{path}/d", {"propagationPolicy": "Sometimes"})
    assert bad.status == 422
    gone = call(kube_server, "DELETE", f"{path}/d", {"kind": "DeleteOptions", "propagationPolicy": "Background"})
    assert gone.json == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                         "details": {"name": "d", "kind": "configmaps", "uid": uid}}
    assert call(kube_server, "GET", f"{path}/d").status == 404


def test_dry_run_validates_and_stores_nothing(kube_server: KubeServer, kube_namespace: str) -> None:
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    rv = kube_server.resource_version
    would = call(kube_server, "POST", path, cm("dry", k="v"), dryRun="All")
    assert would.status == 201 and would.json["data"] == {"k": "v"}
    assert "resourceVersion" not in would.json["metadata"]
    assert call(kube_server, "POST", path, cm("Bad!"), dryRun="All").status == 422
    assert call(kube_server, "GET", f"{path}/dry").status == 404
    real = call(kube_server, "POST", path, cm("wet", k="v")).json
    rv = kube_server.resource_version
    patched = call(kube_server, "PATCH", f"{path}/wet", {"data": {"k": "w"}},
                   content_type="application/merge-patch+json", dryRun="All").json
    assert patched["data"] == {"k": "w"}
    applied = call(kube_server, "PATCH", f"{path}/wet", cm("wet", k="x"),
                   content_type="application/apply-patch+yaml", fieldManager="m", force="true", dryRun="All")
    assert applied.status == 200 and applied.json["data"] == {"k": "x"}
    deleted = call(kube_server, "DELETE", f"{path}/wet", dryRun="All")
    assert deleted.status == 200
    assert kube_server.resource_version == rv
    assert call(kube_server, "GET", f"{path}/wet").json == real


def test_deleting_a_namespace_deletes_its_content(kube_server: KubeServer, kube_namespace: str) -> None:
    ns = f"{kube_namespace}-gone"
    assert call(kube_server, "POST", "/api/v1/namespaces", {"metadata": {"name": ns}}).status == 201
    call(kube_server, "POST", f"/api/v1/namespaces/{ns}/configmaps", cm("x"))
    deleted = call(kube_server, "DELETE", f"/api/v1/namespaces/{ns}").json
    assert deleted["status"]["phase"] == "Terminating"
    assert call(kube_server, "GET", f"/api/v1/namespaces/{ns}").status == 404
    assert call(kube_server, "GET", f"/api/v1/namespaces/{ns}/configmaps/x").status == 404


def test_typed_official_client_round_trip(kube_api_client, kube_namespace: str) -> None:
    from kubernetes import client

    core = client.CoreV1Api(kube_api_client)
    core.create_namespaced_config_map(kube_namespace, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="typed", labels={"a": "b"}), data={"k": "v"}))
    listed = core.list_namespaced_config_map(kube_namespace, label_selector="a=b")
    assert [c.metadata.name for c in listed.items] == ["typed"]
    leases = client.CoordinationV1Api(kube_api_client)
    lease = leases.create_namespaced_lease(kube_namespace, client.V1Lease(
        metadata=client.V1ObjectMeta(name="leader"), spec=client.V1LeaseSpec(holder_identity="me")))
    assert lease.spec.holder_identity == "me" and lease.metadata.resource_version
    with pytest.raises(client.ApiException) as err:
        core.read_namespaced_secret("missing", kube_namespace)
    assert err.value.status == 404
