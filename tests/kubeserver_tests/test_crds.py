"""CRD registration, discovery and custom-resource validation against upstream schemas."""

from __future__ import annotations

import pytest

from kubeserver.discovery import AGGREGATED
from kubeserver.server import KubeServer, load_crds
from tests.kubeserver_tests.util import call

ISVC = "/apis/serving.kserve.io/v1beta1/namespaces/{ns}/inferenceservices"


def test_every_upstream_crd_is_served_with_its_versions_and_scope(kube_server: KubeServer, kube_crds) -> None:
    for crd in load_crds():
        spec = crd["spec"]
        for version in (v["name"] for v in spec["versions"] if v.get("served")):
            doc = call(kube_server, "GET", f"/apis/{spec['group']}/{version}").json
            entry = next(r for r in doc["resources"] if r["name"] == spec["names"]["plural"])
            assert entry["kind"] == spec["names"]["kind"]
            assert entry["namespaced"] is (spec["scope"] == "Namespaced")
        stored = call(kube_server, "GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}").json
        conditions = {c["type"]: c["status"] for c in stored["status"]["conditions"]}
        assert conditions == {"NamesAccepted": "True", "Established": "True"}


def test_discovery_documents(kube_server: KubeServer, kube_crds) -> None:
    version = call(kube_server, "GET", "/version").json
    assert version["major"] == "1" and version["gitVersion"].startswith("v1.")
    assert call(kube_server, "GET", "/api").json["versions"] == ["v1"]
    core = {r["name"] for r in call(kube_server, "GET", "/api/v1").json["resources"]}
    assert {"namespaces", "configmaps", "secrets", "serviceaccounts", "persistentvolumeclaims", "events"} <= core
    groups = {g["name"]: g for g in call(kube_server, "GET", "/apis").json["groups"]}
    assert groups["kubeflow.org"]["preferredVersion"]["version"] == "v1"
    assert [v["version"] for v in groups["kubeflow.org"]["versions"]] == ["v1", "v1beta1", "v1alpha1"]
    assert call(kube_server, "GET", "/apis/coordination.k8s.io").json["versions"] == [
        {"groupVersion": "coordination.k8s.io/v1", "version": "v1"}]
    aggregated = call(kube_server, "GET", "/apis", accept=AGGREGATED + ",application/json")
    assert aggregated.headers["content-type"] == AGGREGATED
    names = [item["metadata"]["name"] for item in aggregated.json["items"]]
    assert "apiextensions.k8s.io" in names and "serving.kserve.io" in names


def test_dynamic_client_discovers_crds(kube_dynamic_client, kube_crds) -> None:
    isvc = kube_dynamic_client.resources.get(api_version="serving.kserve.io/v1beta1", kind="InferenceService")
    assert isvc.namespaced and isvc.subresources["status"]
    profile = kube_dynamic_client.resources.get(api_version="kubeflow.org/v1", kind="Profile")
    assert not profile.namespaced


def test_schema_rejection_is_422_with_field_causes(kube_server: KubeServer, kube_crds, kube_namespace: str) -> None:
    body = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": "bad"},
            "spec": {"predictor": {"minReplicas": "many"}}}
    rejected = call(kube_server, "POST", ISVC.format(ns=kube_namespace), body)
    assert rejected.status == 422
    status = rejected.json
    assert status["reason"] == "Invalid"
    assert status["details"]["group"] == "serving.kserve.io" and status["details"]["kind"] == "InferenceService"
    assert status["message"].startswith('InferenceService.serving.kserve.io "bad" is invalid: ')
    fields = {c["field"]: c for c in status["details"]["causes"]}
    assert fields["spec.predictor.minReplicas"]["reason"] == "FieldValueTypeInvalid"


def test_required_field_missing(kube_server: KubeServer, kube_crds) -> None:
    body = {"apiVersion": "kubeflow.org/v1beta1", "kind": "ScheduledWorkflow", "metadata": {"name": "s"}}
    rejected = call(kube_server, "POST", "/apis/kubeflow.org/v1beta1/namespaces/default/scheduledworkflows", body)
    assert rejected.status == 422
    assert {(c["field"], c["reason"]) for c in rejected.json["details"]["causes"]} == {
        ("spec", "FieldValueRequired"), ("status", "FieldValueRequired")}


def test_unknown_fields_are_pruned_with_a_warning_or_rejected_when_strict(
        kube_server: KubeServer, kube_crds) -> None:
    path = "/apis/kubeflow.org/v1/profiles"
    body = {"apiVersion": "kubeflow.org/v1", "kind": "Profile", "metadata": {"name": "pruned"},
            "spec": {"owner": {"kind": "User", "name": "a@example.com"}, "foo": 1}}
    strict = call(kube_server, "POST", path, body, fieldValidation="Strict")
    assert strict.status == 400
    assert strict.json["message"] == ('Profile in version "v1" cannot be handled as a Profile: '
                                      'strict decoding error: unknown field "spec.foo"')  # as kube-apiserver v1.34
    created = call(kube_server, "POST", path, body)
    assert created.status == 201 and "foo" not in created.json["spec"]
    assert created.headers["warning"] == '299 - "unknown field \\"spec.foo\\""'
    call(kube_server, "DELETE", f"{path}/pruned")


def test_deleting_a_crd_stops_serving_it_and_drops_its_objects(kube_server: KubeServer) -> None:
    crd = next(c for c in load_crds() if c["metadata"]["name"] == "pipelines.pipelines.kubeflow.org")
    crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    server = KubeServer("crd-lifecycle").start()
    try:
        assert call(server, "POST", crds, crd).status == 201
        path = "/apis/pipelines.kubeflow.org/v2beta1/namespaces/default/pipelines"
        assert call(server, "POST", path, {"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "Pipeline",
                                           "metadata": {"name": "p"}, "spec": {}}).status == 201
        deleted = call(server, "DELETE", f"{crds}/{crd['metadata']['name']}")
        assert deleted.status == 200 and deleted.json["metadata"]["deletionTimestamp"]
        assert call(server, "GET", path).status == 404
        assert call(server, "GET", "/apis/pipelines.kubeflow.org/v2beta1").status == 404
        assert call(server, "POST", crds, crd).status == 201
        assert call(server, "GET", path).json["items"] == []
    finally:
        server.stop()


@pytest.mark.parametrize("name", ["Bad", "no-dot-group"])
def test_invalid_crd_is_rejected(kube_server: KubeServer, name: str) -> None:
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": f"things.{name}"},
           "spec": {"group": name, "names": {"plural": "things", "kind": "Thing"}, "scope": "Namespaced",
                    "versions": [{"name": "v1", "served": True, "storage": True}]}}
    rejected = call(kube_server, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    assert rejected.status == 422
    assert rejected.json["details"]["kind"] == "CustomResourceDefinition"
