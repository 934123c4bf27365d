"""The daemon and the inventory it cannot trust: a missing inventory holds pruning (shown as the
cluster's error until someone runs ``apply --adopt``); a tampered one deletes nothing it names
that platformctl did not create (listed as refusedDeletes on the status page)."""

from __future__ import annotations

import copy
import html
import json
import urllib.request
from collections.abc import Callable

from reconciler.cluster.inventory_codec import decode_inventory, encode_inventory
from reconciler.cluster.kinds import known_kind
from reconciler.cluster.kube.cluster import INVENTORY_KEY, KubeCluster
from reconciler.objects import Manifest, ObjectKey
from reconciler.observability.statuspage import status_html
from tests.daemon.conftest import Harness, Repo, merge_patch
from tests.engine.conftest import Fleet
from kubeserver.server import KubeServer

NS = "ml-serving"
INVENTORY = "platformctl-inventory-prod-cloud"
ISVC = known_kind("serving.kserve.io/v1beta1", "InferenceService")


def _client(fleet: Fleet, cluster: str) -> KubeCluster:
    [spec] = [c for c in fleet.spec.environments["prod-cloud"].model.spec.clusters if c.name == cluster]
    client = fleet.connect(spec)
    assert isinstance(client, KubeCluster)
    return client


def _renamed(client: KubeCluster, name: str) -> Manifest:
    assert ISVC is not None
    live = client.get(ISVC, NS, "fraud-detector")
    assert live is not None
    copied: Manifest = {"apiVersion": live["apiVersion"], "kind": live["kind"],
                        "metadata": {"name": name, "namespace": NS, "labels": live["metadata"].get("labels", {})},
                        "spec": copy.deepcopy(live["spec"])}
    return copied


def _deletes(server: KubeServer) -> list[str]:
    return [r.name for r in server.requests if r.verb == "delete"]


def test_a_missing_inventory_holds_pruning_and_shows_until_adopted(
        repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]) -> None:
    h = make_daemon(repo, fleet.connect)
    h.step()
    eu = _client(fleet, "gke-eu")
    eu.apply(_renamed(eu, "old-model"))  # applied by platformctl once; Git no longer renders it
    configmap = known_kind("v1", "ConfigMap")
    assert configmap is not None
    eu.delete(configmap, NS, INVENTORY)
    server = fleet.servers["gke-eu"]
    server.reset_requests()

    h.tick(60)  # the drift check reconciles both clusters

    state = h.daemon.target("prod-cloud", "gke-eu")
    assert state.error is not None and "is missing" in state.error and "--adopt" in state.error
    assert "InferenceService/ml-serving/old-model" in state.error
    assert _deletes(server) == [] and eu.get(ISVC, NS, "old-model") is not None  # type: ignore[arg-type]
    assert eu.read_inventory("prod-cloud", NS) is None  # not rewritten: that would forget old-model
    [cluster] = [c for c in h.daemon.status()["environments"][0]["clusters"] if c["name"] == "gke-eu"]
    assert cluster["lastError"] == state.error
    assert html.escape(state.error, quote=True) in status_html(h.daemon.status())
    assert h.daemon.target("prod-cloud", "gke-us").error is None

    h.tick(3600)  # retries: still held, still nothing deleted
    assert "--adopt" in (h.daemon.target("prod-cloud", "gke-eu").error or "") and _deletes(server) == []


def test_a_tampered_inventory_is_reported_on_the_status_page_and_deletes_nothing(
        repo: Repo, fleet: Fleet, make_daemon: Callable[..., Harness]) -> None:
    h = make_daemon(repo, fleet.connect)
    h.step()
    us = _client(fleet, "gke-us")
    server = fleet.servers["gke-us"]
    request = urllib.request.Request(
        f"{server.url}/apis/serving.kserve.io/v1beta1/namespaces/{NS}/inferenceservices?fieldManager=kubectl-create",
        method="POST", data=json.dumps(_renamed(us, "users-model")).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback test server
        assert answer.status == 201
    stored = us.read_inventory("prod-cloud", NS)
    assert stored is not None
    users = ObjectKey("serving.kserve.io", "InferenceService", NS, "users-model")
    tampered = encode_inventory(type(stored)(stored.environment, stored.revision, (*stored.objects, users),
                                             stored.api_versions))
    merge_patch(server, f"/api/v1/namespaces/{NS}/configmaps/{INVENTORY}", {"data": {INVENTORY_KEY: tampered}})
    server.reset_requests()

    h.tick(60)

    state = h.daemon.target("prod-cloud", "gke-us")
    assert state.error is None
    assert _deletes(server) == [] and us.get(ISVC, NS, "users-model") is not None  # type: ignore[arg-type]
    [cluster] = [c for c in h.daemon.status()["environments"][0]["clusters"] if c["name"] == "gke-us"]
    [refused] = cluster["refusedDeletes"]
    assert refused.startswith("InferenceService/ml-serving/users-model: not platformctl's to delete")
    assert html.escape(refused, quote=True) in status_html(h.daemon.status())
    found = server.get_object("", "configmaps", INVENTORY, NS)
    assert found is not None and users in decode_inventory(found["data"][INVENTORY_KEY], "test").kept_keys()
